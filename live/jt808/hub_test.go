package jt808_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestGatewayIntoHistory: a real TCP exchange between a terminal and the gateway in front of the real
// hub and PostGIS: register → auth → locations → heartbeat → blind-area batch; the positions are in
// the hub's current state and in live.position with the values sent (time GMT+8 → UTC, 0.1 km/h,
// mileage), the register and auth events in live.device_event; an unregistered terminal is refused
// with result 4 and a terminal that skipped authentication stores nothing.
func TestGatewayIntoHistory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	reg := live.NewRegistry(pool)
	if err := reg.Put(ctx, live.Device{ID: "013912345678", Kind: live.KindVehicle, Plate: "鲁F12345", UN: "1203", HazardClass: "3"}); err != nil {
		t.Fatal(err)
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir, cfg.FlushEvery = t.TempDir(), 20*time.Millisecond
	hub := live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go hub.Run(ctx)
	gw := jt808.NewGateway(jt808.Config{}, hub, nil, prometheus.NewRegistry())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	addr := ln.Addr().String()

	term, err := jt808.DialTerminal(ctx, addr, "013912345678", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	// Positions before authentication are refused and not stored.
	if _, err := term.Send(jt808.Location{Lat: 37180000, Lon: 119940000, Time: time.Now()}); !errors.Is(err, jt808.ErrRefused) {
		t.Errorf("a location before authentication: %v, want a refusal", err)
	}
	code, err := term.Login(jt808.Register{Province: 37, City: 683, Maker: "YITU", Model: "SIM", TerminalID: "T1", PlateColor: 2, Plate: "鲁F12345"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := hub.Device("013912345678"); code != d.AuthCode {
		t.Errorf("auth code %q, registry has %q", code, d.AuthCode)
	}
	cst := time.FixedZone("CST", 8*3600)
	t0 := time.Now().In(cst).Add(-10 * time.Minute).Truncate(time.Second)
	for i := range 5 {
		l := jt808.Location{Lat: 37180000 + int32(i)*100, Lon: 119940000, Altitude: 12, Speed: 455, Heading: 90,
			Time: t0.Add(time.Duration(i) * time.Minute), Has: jt808.HasMileage, Mileage: 12345}
		if _, err := term.Send(l); err != nil {
			t.Fatalf("location %d: %v", i, err)
		}
	}
	if _, err := term.Send(jt808.Heartbeat{}); err != nil {
		t.Fatal(err)
	}
	batch := jt808.LocationBatch{Type: 1}
	for i := range 3 { // blind-area resend: older than what was sent
		batch.Locations = append(batch.Locations, jt808.Location{Lat: 37170000, Lon: 119930000 + int32(i)*100, Time: t0.Add(-time.Duration(3-i) * time.Minute)})
	}
	if _, err := term.Send(batch); err != nil {
		t.Fatal(err)
	}

	o, ok := hub.Object("013912345678")
	if !ok || o.Position.Speed != 45.5 || o.Position.Lat != 37.1804 || !o.Time.Equal(t0.Add(4*time.Minute).UTC()) || o.Layer != "live.hazmat" {
		t.Fatalf("the truck in the hub: %+v", o)
	}
	deadline := time.Now().Add(10 * time.Second)
	var n, events int
	for time.Now().Before(deadline) {
		pool.QueryRow(ctx, `SELECT count(*) FROM live.position WHERE object_id = '013912345678'`).Scan(&n)
		pool.QueryRow(ctx, `SELECT count(*) FROM live.device_event WHERE device_id = '013912345678' AND name IN ('register', 'auth')`).Scan(&events)
		if n == 8 && events == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 8 || events != 2 {
		t.Fatalf("%d positions and %d register/auth events in history, want 8 and 2", n, events)
	}
	var (
		first   time.Time
		speed   float32
		mileage float64
	)
	if err := pool.QueryRow(ctx, `SELECT time, speed, (extra->>'mileage_km')::float8 FROM live.position
		WHERE object_id = '013912345678' AND lat > 37.175 ORDER BY time LIMIT 1`).Scan(&first, &speed, &mileage); err != nil {
		t.Fatal(err)
	}
	if !first.Equal(t0) || speed != 45.5 || mileage != 1234.5 {
		t.Errorf("first stored fix: %v, %v km/h, mileage %v km; want %v, 45.5, 1234.5", first, speed, mileage, t0.UTC())
	}

	// An unregistered terminal.
	stranger, err := jt808.DialTerminal(ctx, addr, "013900000999", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if _, err := stranger.Register(jt808.Register{Plate: "鲁F99999", PlateColor: 2}); !errors.Is(err, jt808.ErrRefused) {
		t.Errorf("an unregistered terminal: %v", err)
	}
}

// BenchmarkGatewayHub: location frames from 1,000 concurrent TCP terminals on loopback into the real
// hub with history on (COPY into PostgreSQL), each terminal waiting for the reply to a frame before
// it sends the next: frames/s accepted, and rows/s written to live.position by the end.
func BenchmarkGatewayHub(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchGatewayHub(b, false) })
	// The same with the watch engine matching 1,000 circle fences (enter and speed rules) on the
	// hub's stream: off the ingest path, it should not slow the gateway.
	b.Run("watching-1000-fences", func(b *testing.B) { benchGatewayHub(b, true) })
}

func benchGatewayHub(b *testing.B, watching bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(b)
	const terminals = 1000
	reg := live.NewRegistry(pool)
	for i := range terminals {
		if err := reg.Put(ctx, live.Device{ID: fmt.Sprintf("0139%08d", i), Kind: live.KindVehicle}); err != nil {
			b.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir, cfg.Buffer = b.TempDir(), 10_000_000
	hub := live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	if err := hub.Start(ctx); err != nil {
		b.Fatal(err)
	}
	go hub.Run(ctx)
	var eng *watch.Engine
	if watching {
		if _, err := pool.Exec(ctx, `INSERT INTO live.fence (name, kind, geom, radius_m, rules)
			SELECT 'f' || i, 'circle', ST_SetSRID(ST_MakePoint(119.65 + random() * 0.6, 36.95 + random() * 0.55), 4490),
				100 + random() * 700, '[{"kind":"enter"},{"kind":"speed","max_kmh":60}]'
			FROM generate_series(1, 1000) i`); err != nil {
			b.Fatal(err)
		}
		eng = watch.NewEngine(hub, watch.NewStore(pool), nil, nil, nil)
		if err := eng.Start(ctx); err != nil {
			b.Fatal(err)
		}
		go eng.Run(ctx)
	}
	gw := jt808.NewGateway(jt808.Config{}, hub, nil, prometheus.NewRegistry())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	terms := make([]*jt808.Terminal, terminals)
	for i := range terms {
		if terms[i], err = jt808.DialTerminal(ctx, ln.Addr().String(), fmt.Sprintf("0139%08d", i), 30*time.Second); err != nil {
			b.Fatal(err)
		}
		defer terms[i].Close()
		if _, err := terms[i].Login(jt808.Register{Plate: fmt.Sprintf("鲁F%05d", i)}, ""); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	per := (b.N + terminals - 1) / terminals
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, term := range terms {
		wg.Go(func() {
			for k := range per {
				// terminals spread over the county, each moving a little with every fix
				l := jt808.Location{Lat: 36950000 + int32(i*547%550000) + int32(k*10), Lon: 119650000 + int32(i*7919%600000), Speed: 400, Time: t0.Add(time.Duration(k) * time.Second)}
				if _, err := term.Send(l); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sent := per * terminals
	var n int
	for n < sent {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.position`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "frames/s")
	if eng != nil {
		last := hub.Stream().Last()
		for eng.Matched() < last {
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(len(eng.Open())), "open-alarms")
		b.ReportMetric(time.Since(start).Seconds()-elapsed.Seconds(), "s-matching-after-last-frame")
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s-written")
}

// TestAckReachesTerminal: a terminal's emergency alarm, raised from its frame by the watch engine,
// acknowledged by an operator, reaches the terminal over its TCP connection as 0x8203 confirming
// the emergency bit.
func TestAckReachesTerminal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	if err := live.NewRegistry(pool).Put(ctx, live.Device{ID: "013912345678", Kind: live.KindVehicle, Plate: "鲁F12345"}); err != nil {
		t.Fatal(err)
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir = t.TempDir()
	hub := live.NewHub(cfg, pool, nil, nil)
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go hub.Run(ctx)
	gw := jt808.NewGateway(jt808.Config{}, hub, nil, nil)
	eng := watch.NewEngine(hub, watch.NewStore(pool), gw, nil, nil)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go eng.Run(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	term, err := jt808.DialTerminal(ctx, ln.Addr().String(), "013912345678", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	got := make(chan jt808.AlarmAck, 1)
	term.OnPlatform = func(f *jt808.Frame) {
		if f.MsgID == jt808.MsgAlarmAck {
			a, err := f.AlarmAck()
			if err != nil {
				t.Error(err)
			}
			got <- a
		}
	}
	if _, err := term.Login(jt808.Register{Plate: "鲁F12345"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := term.Send(jt808.Location{Alarm: 1, Lat: 37150000, Lon: 119950000, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, a := range eng.Open() {
			if a.Kind == "jt808_emergency" {
				id = a.ID
			}
		}
	}
	if id == "" {
		t.Fatal("no emergency alarm raised")
	}
	if err := eng.Flush(ctx); err != nil { // stored before it can be acknowledged
		t.Fatal(err)
	}
	if _, err := eng.Ack(ctx, id, "值班员", "已联系"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := term.Poll(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-got:
			if a.AlarmType != 1 {
				t.Errorf("0x8203 acknowledges alarm bits %b, want the emergency bit", a.AlarmType)
			}
			return
		default:
		}
	}
	t.Fatal("no 0x8203 reached the terminal")
}
