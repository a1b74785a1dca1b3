package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yitu-gis/yitu/live"
)

// sensor is an IoT sensor that publishes its readings with its own MQTT credentials.
type sensor struct {
	dev      live.Device
	password string
	// read is the reading at t (hours: since the simulation started) and the local hour of day.
	read func(rng *rand.Rand, hours, hourOfDay float64) map[string]float64
}

// diurnal is a daily cycle: -1 at 03:00, +1 at 15:00.
func diurnal(hourOfDay float64) float64 { return -math.Cos((hourOfDay - 3) / 24 * 2 * math.Pi) }

// sensorMix is how the sensors divide between kinds (per 500).
var sensorMix = []struct {
	kind string
	per  int
}{{"manhole_tilt", 180}, {"smart_pole", 160}, {"gas", 60}, {"settlement", 40}, {"water_level", 20}, {"saturation_line", 24}, {"displacement", 12}, {"rainfall", 4}}

func (s *Simulation) makeSensors(rng *rand.Rand) {
	w := s.world
	pick := func(list [][2]float64, i int) [2]float64 {
		if len(list) == 0 {
			return w.centre
		}
		return list[(i*7919)%len(list)]
	}
	jitter := func(p [2]float64, m float64) [2]float64 {
		return [2]float64{p[0] + (rng.Float64()-0.5)*m/88000, p[1] + (rng.Float64()-0.5)*m/111000}
	}
	n := 0
	for _, mix := range sensorMix {
		count := max(mix.per*s.opts.Sensors/500, 0)
		if mix.per > 0 && count == 0 && s.opts.Sensors > 0 {
			count = 1
		}
		for i := range count {
			if n >= s.opts.Sensors {
				return
			}
			n++
			sn := &sensor{}
			d := live.Device{Kind: live.KindSensor, SensorKind: mix.kind, Owner: "莱州市城市运行管理服务中心"}
			var at [2]float64
			switch mix.kind {
			case "manhole_tilt":
				d.ID, d.Unit, d.Name = fmt.Sprintf("mh-%03d", i+1), "°", fmt.Sprintf("井盖倾角%03d", i+1)
				at = pick(w.manholes, i)
				tilted := i == 7
				sn.read = func(rng *rand.Rand, h, _ float64) map[string]float64 {
					v := math.Abs(0.4 + rng.NormFloat64()*0.15)
					if tilted && h > 0.3 { // a cover knocked askew twenty minutes in
						v = 14 + rng.NormFloat64()
					}
					return map[string]float64{"value": round(v, 2)}
				}
			case "smart_pole":
				d.ID, d.Unit, d.Name = fmt.Sprintf("pole-%03d", i+1), "", fmt.Sprintf("智慧灯杆%03d", i+1)
				at = pick(w.lamps, i)
				base := 30 + rng.Float64()*20
				sn.read = func(rng *rand.Rand, _, hd float64) map[string]float64 {
					return map[string]float64{
						"pm25":     round(math.Max(base+12*diurnal(hd+9)+rng.NormFloat64()*4, 3), 1),
						"noise_db": round(52+9*diurnal(hd)+rng.NormFloat64()*2, 1),
						"temp_c":   round(6+6*diurnal(hd)+rng.NormFloat64()*0.3, 1),
					}
				}
			case "gas":
				d.ID, d.Unit, d.Name = fmt.Sprintf("gas-%03d", i+1), "%LEL", fmt.Sprintf("燃气泄漏监测%03d", i+1)
				at = pick(w.gasWells, i)
				sn.read = func(rng *rand.Rand, _, hd float64) map[string]float64 {
					return map[string]float64{"value": round(math.Max(0.6+0.3*diurnal(hd)+rng.NormFloat64()*0.2, 0), 2)}
				}
			case "settlement":
				d.ID, d.Unit, d.Name = fmt.Sprintf("st-%03d", i+1), "mm", fmt.Sprintf("地面沉降监测%03d", i+1)
				at = pick(w.manholes, 1000+i)
				rate := 0.02 + rng.Float64()*0.05
				sn.read = func(rng *rand.Rand, h, _ float64) map[string]float64 {
					return map[string]float64{"value": round(-rate*h+rng.NormFloat64()*0.05, 2)}
				}
			case "water_level":
				d.ID, d.Unit, d.Name, d.Group = fmt.Sprintf("wl-%03d", i+1), "m", fmt.Sprintf("南阳河水位%02d", i+1), "南阳河"
				at = pick(w.river, i*2)
				rising := i%7 == 3 // a few rise steadily (rain upstream)
				base := 1.1 + rng.Float64()*0.3
				sn.read = func(rng *rand.Rand, h, hd float64) map[string]float64 {
					v := base + 0.08*diurnal(hd) + rng.NormFloat64()*0.01
					if rising {
						v += 0.12 * h
					}
					return map[string]float64{"value": round(v, 3)}
				}
			case "saturation_line", "displacement", "rainfall":
				dam := i % 3
				hill := w.hills[min(dam, len(w.hills)-1)]
				d.Group = fmt.Sprintf("尾矿库%d号", dam+1)
				centre := [2]float64{hill[0] + 0.004*float64(dam-1), hill[1] - 0.003}
				at = jitter(centre, 300)
				switch mix.kind {
				case "saturation_line":
					d.ID, d.Unit, d.Name = fmt.Sprintf("sat-%d-%02d", dam+1, i/3+1), "m", fmt.Sprintf("%s浸润线埋深%02d", d.Group, i/3+1)
					rising := dam == 0 // the first dam's phreatic line rises: its burial depth falls
					base := 8 + rng.Float64()*2
					sn.read = func(rng *rand.Rand, h, _ float64) map[string]float64 {
						v := base + rng.NormFloat64()*0.03
						if rising {
							v -= 0.3 * h
						}
						return map[string]float64{"value": round(math.Max(v, 0.5), 2)}
					}
				case "displacement":
					d.ID, d.Unit, d.Name = fmt.Sprintf("disp-%d-%02d", dam+1, i/3+1), "mm", fmt.Sprintf("%s坝体位移%02d", d.Group, i/3+1)
					sn.read = func(rng *rand.Rand, h, _ float64) map[string]float64 {
						return map[string]float64{"value": round(0.5*h+rng.NormFloat64()*0.2, 2)}
					}
				default:
					d.ID, d.Unit, d.Name = fmt.Sprintf("rain-%02d", i+1), "mm/h", fmt.Sprintf("%s雨量计", d.Group)
					sn.read = func(rng *rand.Rand, h, _ float64) map[string]float64 {
						v := 0.0
						if math.Sin(h*0.8) > 0.6 {
							v = math.Abs(rng.NormFloat64() * 6)
						}
						return map[string]float64{"value": round(v, 1)}
					}
				}
			}
			lon, lat := at[0], at[1]
			d.Lon, d.Lat = &lon, &lat
			sn.dev, sn.password = d, "sim-"+d.ID
			s.sensors = append(s.sensors, sn)
		}
	}
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// run connects the sensor to the broker with its own credentials and publishes a reading every
// interval (QoS 1) until ctx ends.
func (sn *sensor) run(ctx context.Context, o Options, i int) {
	if !sleep(ctx, time.Duration(i)*o.SensorInterval/time.Duration(max(len(sensorMix), o.Sensors))) {
		return
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(20000+i)))
	start := o.Now()
	opts := paho.NewClientOptions().AddBroker("tcp://" + o.MQTTAddr).SetClientID("sim-" + sn.dev.ID).
		SetUsername(sn.dev.ID).SetPassword(sn.password).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(5 * time.Second).SetMaxReconnectInterval(30 * time.Second).SetCleanSession(true)
	c := paho.NewClient(opts)
	c.Connect()
	defer c.Disconnect(250)
	topic := "yitu/sensors/" + sn.dev.ID + "/obs"
	t := time.NewTicker(o.SensorInterval)
	defer t.Stop()
	for {
		now := o.Now()
		local := now.In(time.FixedZone("CST", 8*3600))
		hd := float64(local.Hour()) + float64(local.Minute())/60
		vals := sn.read(rng, now.Sub(start).Hours(), hd)
		msg := map[string]any{"time": now.UTC().Format(time.RFC3339)}
		if v, ok := vals["value"]; ok && len(vals) == 1 {
			msg["value"] = v
		} else {
			msg["values"] = vals
		}
		b, _ := json.Marshal(msg)
		if c.IsConnectionOpen() {
			c.Publish(topic, 1, false, b) // the client keeps unacknowledged QoS 1 messages and resends them
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
