package sim_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/demo/sim"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
	"github.com/yitu-gis/yitu/live/mqtt"
	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestSimulation: a small simulation against real parts — the JT/T 808 gateway in front of the hub,
// Mosquitto with a sensor account each, PostGIS — on a town of a 6 × 6 street grid: every device is
// registered, the vehicles drive on the streets and report over TCP, the sensors publish with their
// own credentials, the demo fences and rules are set up, and the FIRMS file's fire is imported.
func TestSimulation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('grid', 'basemap', 'dxf', 'grid.dxf', 'x', 'EPSG:4528', 'test')`); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		d := 0.002 * float64(i)
		if _, err := pool.Exec(ctx, `INSERT INTO basemap.road (dataset_id, name, geom) VALUES
			(1, $1, ST_SetSRID(ST_MakeLine(ST_MakePoint(119.940, 37.180 + $3::float8), ST_MakePoint(119.950, 37.180 + $3::float8)), 4490)),
			(1, $2, ST_SetSRID(ST_MakeLine(ST_MakePoint(119.940 + $3::float8, 37.180), ST_MakePoint(119.940 + $3::float8, 37.190)), 4490))`,
			fmt.Sprintf("东西%d街", i), fmt.Sprintf("南北%d路", i), d); err != nil {
			t.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir = t.TempDir()
	hub := live.NewHub(cfg, pool, nil, nil)
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go hub.Run(ctx)
	gw := jt808.NewGateway(jt808.Config{}, hub, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	broker := mqtttest.New(t)
	admin, err := mqtt.NewAdmin(broker.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	go mqtt.New(mqtt.Config{URL: broker.URL, ClientID: "yitu-sim-test"}, hub, nil, nil).Run(ctx)

	s, err := sim.New(ctx, sim.Options{Pool: pool, Creds: admin, JT808Addr: ln.Addr().String(), MQTTAddr: broker.Addr,
		Vehicles: 6, Teams: 1, Sensors: 10, Cameras: 3, Interval: 100 * time.Millisecond, SensorInterval: 100 * time.Millisecond,
		Seed: 7, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Devices()); n != 6+1+10+3 {
		t.Errorf("%d devices, want 20", n)
	}
	fences, rules, err := s.Watch(ctx, watch.NewStore(pool))
	if err != nil || fences == 0 || rules == 0 {
		t.Fatalf("demo fences and rules: %d, %d, %v", fences, rules, err)
	}
	if again, _, err := s.Watch(ctx, watch.NewStore(pool)); err != nil || again != 0 {
		t.Errorf("setting the demo's watch up again added %d fences (%v)", again, err)
	}
	_, added, err := s.ImportFIRMS(ctx)
	if err != nil || added == 0 {
		t.Fatalf("the FIRMS file: %d hotspots, %v", added, err)
	}

	go s.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		movers := hub.Objects(live.Filter{Kinds: []live.Kind{live.KindVehicle, live.KindTeam}})
		sensors := 0
		for _, o := range hub.Objects(live.Filter{Kinds: []live.Kind{live.KindSensor}}) {
			if len(o.Values) > 0 {
				sensors++
			}
		}
		reporting := 0
		for _, o := range movers {
			if o.HasPos && !o.Time.IsZero() {
				reporting++
				if p := o.Position; p.Lon < 119.9399 || p.Lon > 119.9501 || p.Lat < 37.1799 || p.Lat > 37.1901 {
					t.Fatalf("%s is off the town's streets at %v, %v", o.ID, p.Lon, p.Lat)
				}
			}
		}
		if reporting == 7 && sensors == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d of 7 movers report over JT/T 808 and %d of 10 sensors over MQTT", reporting, sensors)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d, _ := hub.Device("013905350000")
	if d.VehicleKind != "hazmat" || d.Props["approved_route"] == nil {
		t.Errorf("the straying truck: %+v", d)
	}
}
