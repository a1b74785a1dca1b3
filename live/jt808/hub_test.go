package jt808_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
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
