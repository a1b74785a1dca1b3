package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
)

// cargoes are the hazmat trucks' loads: UN number, class, name.
var cargoes = []struct{ un, class, name string }{
	{"1203", "3", "汽油"}, {"1202", "3", "柴油"}, {"1075", "2.1", "液化石油气"}, {"1005", "2.3", "液氨"},
	{"1830", "8", "硫酸"}, {"1789", "8", "盐酸"}, {"1017", "2.3", "液氯"}, {"1230", "3", "甲醇"},
}

var carriers = []string{"莱州市鲁港危险品运输有限公司", "烟台安顺化工物流有限公司", "莱州市金海运输有限公司", "山东鑫通危货运输有限公司"}

// role is how a vehicle misbehaves, if it does.
type role int

const (
	normal    role = iota
	stray          // a hazmat truck that leaves its approved route for a while, every hour
	silent         // a truck that goes silent after ten minutes (its terminal loses power)
	emergency      // a truck whose driver presses the emergency button once an hour
)

// vehicle is a JT/T 808 terminal in a vehicle or with a fire team.
type vehicle struct {
	dev      live.Device
	role     role
	w        *walker
	rng      *rand.Rand
	speed    float64   // km/h
	mileage  float64   // km
	fuel     float64   // litres
	strayEnd time.Time // when a truck off its route turns back
}

func plate(rng *rand.Rand) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	return fmt.Sprintf("鲁F%c%04d", letters[rng.IntN(len(letters))], rng.IntN(10000))
}

func (s *Simulation) makeVehicles(rng *rand.Rand) {
	r := s.world.roads
	for i := range s.opts.Vehicles {
		v := &vehicle{rng: rand.New(rand.NewPCG(s.opts.Seed, uint64(i))), fuel: 200 + rng.Float64()*200, mileage: rng.Float64() * 200000}
		v.dev = live.Device{ID: fmt.Sprintf("01390535%04d", i), Kind: live.KindVehicle, Plate: plate(rng), PlateColor: 1}
		v.w = &walker{r: r, edge: rng.IntN(len(r.edges))}
		switch {
		case i%3 == 0: // a third are hazmat trucks
			c := cargoes[rng.IntN(len(cargoes))]
			v.dev.VehicleKind, v.dev.UN, v.dev.HazardClass, v.dev.PlateColor = "hazmat", c.un, c.class, 2
			v.dev.Carrier = carriers[rng.IntN(len(carriers))]
			v.dev.Name = c.name + "罐车"
			v.dev.Props = map[string]any{"cargo": c.name}
		case i%3 == 1:
			v.dev.VehicleKind, v.dev.Name, v.dev.Carrier = "patrol", "城管巡查车", "莱州市综合行政执法局"
		default:
			v.dev.VehicleKind, v.dev.Name, v.dev.Carrier = "logistics", "货运车辆", "莱州市物流园"
		}
		switch i {
		case 0: // a hazmat truck with an approved route that it leaves
			v.role = stray
			v.w.route = r.makeRoute(rng, 40)
			v.w.edge, v.w.routeFw = v.w.route[0], true
			v.dev.Props["approved_route"] = jsonRoute(v.w.routeLine())
			v.dev.Name = v.dev.Props["cargo"].(string) + "罐车（核定路线）"
		case 1:
			v.role = silent
		case 2:
			v.role = emergency
		}
		s.vehicles = append(s.vehicles, v)
	}
	// Fire teams start from the foot of the hills and patrol the roads nearby.
	for i := range s.opts.Teams {
		v := &vehicle{rng: rand.New(rand.NewPCG(s.opts.Seed, uint64(10000+i))), fuel: 100, mileage: rng.Float64() * 50000}
		v.dev = live.Device{ID: fmt.Sprintf("01380535%04d", i), Kind: live.KindTeam, Plate: plate(rng), PlateColor: 1,
			VehicleKind: "fire_team", Name: fmt.Sprintf("森林消防%d中队", i+1), Owner: "莱州市森林消防大队"}
		hill := s.world.hills[i%len(s.world.hills)]
		v.w = &walker{r: r, edge: r.nearestEdge(hill[0], hill[1], rng)}
		s.vehicles = append(s.vehicles, v)
	}
}

// nearestEdge is an edge starting near (lon, lat) (one of the few nearest, at random).
func (r *roads) nearestEdge(lon, lat float64, rng *rand.Rand) int {
	best, bestD := 0, math.Inf(1)
	for i := range r.edges {
		p := r.edges[i].pts[0]
		d := metres(p, [2]float64{lon, lat}) + rng.Float64()*150
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// step moves the vehicle by dt and returns its report.
func (v *vehicle) step(now time.Time, dt time.Duration) jt808.Location {
	limit := v.w.limit()
	if v.dev.Kind == live.KindTeam {
		limit *= 0.8
	}
	target := limit * (0.55 + 0.45*v.rng.Float64())
	if v.rng.Float64() < 0.08 { // a red light, a stop
		target = 0
	}
	v.speed += (target - v.speed) * 0.6
	if v.speed < 1 {
		v.speed = 0
	}
	if v.role == stray {
		v.strayStep(now)
	}
	m := v.speed / 3.6 * dt.Seconds()
	v.w.advance(m, v.rng)
	v.mileage += m / 1000
	v.fuel = math.Max(v.fuel-m/1000*0.3, 20)
	lon, lat, heading := v.w.position()
	l := jt808.Location{
		Status: 1<<0 | 1<<1, // ACC on, positioned
		Lat:    int32(math.Round(lat * 1e6)), Lon: int32(math.Round(lon * 1e6)),
		Altitude: uint16(8 + v.rng.IntN(4)), Speed: uint16(math.Round(v.speed * 10)), Heading: uint16(math.Round(heading)) % 360,
		Time: now, Has: jt808.HasMileage | jt808.HasFuel | jt808.HasSatellites,
		Mileage: uint32(v.mileage * 10), Fuel: uint16(v.fuel * 10), Satellites: uint8(9 + v.rng.IntN(8)),
	}
	if v.speed > limit+10 {
		l.Alarm |= 1 << 1 // overspeed
	}
	if v.role == emergency && now.Minute() >= 8 && now.Minute() < 9 {
		l.Alarm |= 1 << 0 // emergency
	}
	return l
}

// strayStep leaves the approved route at a quarter past each hour, drives off it for four minutes
// and walks back the same way to rejoin it.
func (v *vehicle) strayStep(now time.Time) {
	switch {
	case !v.w.off && !v.w.leave && now.Minute() == 15 && now.After(v.strayEnd):
		v.w.leave, v.strayEnd = true, now.Add(4*time.Minute)
	case v.w.off && now.After(v.strayEnd):
		v.w.comeBack = true
	}
}

// run keeps the vehicle's terminal connected and reporting until ctx ends.
func (v *vehicle) run(ctx context.Context, o Options, i int) {
	start := o.Now()
	// Stagger the terminals over one interval, so that reports arrive evenly.
	if !sleep(ctx, time.Duration(i)*o.Interval/time.Duration(max(o.Vehicles+o.Teams, 1))) {
		return
	}
	backoff := time.Second
	var code string
	last := o.Now()
	for ctx.Err() == nil {
		term, err := jt808.DialTerminal(ctx, o.JT808Addr, v.dev.ID, 10*time.Second)
		if err == nil {
			code, err = term.Login(jt808.Register{Province: 37, City: 683, Maker: "YITU", Model: "SIM-808",
				TerminalID: v.dev.ID[len(v.dev.ID)-7:], PlateColor: uint8(v.dev.PlateColor), Plate: v.dev.Plate}, code)
			if err != nil {
				code = "" // register again next time
			}
		}
		if err != nil {
			if term != nil {
				term.Close()
			}
			o.Log.Debug("sim: terminal cannot log in; retrying", "id", v.dev.ID, "err", err, "in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		err = v.report(ctx, o, term, start, &last)
		term.Close()
		if err == errSilent {
			o.Log.Info("sim: a vehicle went silent (its terminal lost power)", "id", v.dev.ID, "plate", v.dev.Plate)
			<-ctx.Done()
			return
		}
		if ctx.Err() == nil {
			o.Log.Debug("sim: terminal connection lost; reconnecting", "id", v.dev.ID, "err", err)
		}
	}
}

var errSilent = fmt.Errorf("silent")

func (v *vehicle) report(ctx context.Context, o Options, term *jt808.Terminal, start time.Time, last *time.Time) error {
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		now := o.Now()
		if v.role == silent && now.Sub(start) > 10*time.Minute {
			return errSilent
		}
		l := v.step(now, now.Sub(*last))
		*last = now
		if _, err := term.Send(l); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			_, _ = term.Send(jt808.Deregister{})
			return nil
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
