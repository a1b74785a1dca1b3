package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// rig is an engine over a real hub and PostGIS with a clock the test moves.
type rig struct {
	t     *testing.T
	ctx   context.Context
	hub   *live.Hub
	store *Store
	e     *Engine
	now   time.Time
	mu    sync.Mutex
	acked []string // terminals told of an acknowledgement (0x8203)
}

func (r *rig) AckAlarm(phone string, bits uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked = append(r.acked, fmt.Sprintf("%s:%d", phone, bits))
	return nil
}

func ptr[T any](v T) *T { return &v }

func newRig(t *testing.T) *rig {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pool := pgtest.New(t)
	reg := live.NewRegistry(pool)
	for _, d := range []live.Device{
		{ID: "013900000001", Kind: live.KindVehicle, Plate: "鲁F00001", UN: "1203", HazardClass: "3"},
		{ID: "013900000002", Kind: live.KindVehicle, Plate: "鲁F00002", VehicleKind: "patrol"},
		{ID: "sat-1", Kind: live.KindSensor, SensorKind: "water_level", Unit: "m", Group: "尾矿库1号", Lon: ptr(119.95), Lat: ptr(37.17)},
		{ID: "sat-2", Kind: live.KindSensor, SensorKind: "water_level", Unit: "m", Group: "尾矿库1号", Lon: ptr(119.951), Lat: ptr(37.17)},
		{ID: "sat-3", Kind: live.KindSensor, SensorKind: "water_level", Unit: "m", Group: "尾矿库1号", Lon: ptr(119.952), Lat: ptr(37.17)},
	} {
		if err := reg.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxFuture = 365 * 24 * time.Hour
	r := &rig{t: t, ctx: ctx, now: time.Date(2026, 12, 7, 9, 0, 0, 0, cst)} // a Monday, 09:00 in Laizhou
	clock := func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }
	r.hub = live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	r.hub.SetClock(clock)
	if err := r.hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r.store = NewStore(pool)
	r.e = NewEngine(r.hub, r.store, r, nil, nil)
	r.e.SetClock(clock)
	return r
}

// fence stores a fence from GeoJSON.
func (r *rig) fence(body string) *Fence {
	r.t.Helper()
	ff, err := ParseFenceFeature([]byte(body))
	if err != nil {
		r.t.Fatal(err)
	}
	f, err := r.store.PutFence(r.ctx, 0, ff, "test", nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

func (r *rig) rule(name, rule, applies string) {
	r.t.Helper()
	var g GroupRule
	g.Name, g.Enabled = name, true
	if err := jsonUnmarshal(rule, &g.Rule); err != nil {
		r.t.Fatal(err)
	}
	if err := jsonUnmarshal(applies, &g.AppliesTo); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.store.PutRule(r.ctx, g, "test"); err != nil {
		r.t.Fatal(err)
	}
}

// at moves the clock and ticks the engine.
func (r *rig) at(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
	r.e.Tick()
}

// pos feeds a position (at the clock's time) through the hub to the engine.
func (r *rig) pos(id string, lon, lat, speed float64, bits uint32) {
	r.t.Helper()
	r.feed(live.Change{Type: live.ChangePosition, Object: id, Time: r.now, Source: "test",
		Position: &live.Position{Lon: lon, Lat: lat, Speed: speed, Alarm: bits}})
}

func (r *rig) obs(id string, v float64) {
	r.t.Helper()
	r.feed(live.Change{Type: live.ChangeObservation, Object: id, Time: r.now, Source: "test",
		Observation: &live.Observation{Values: map[string]float64{"value": v}}})
}

func (r *rig) feed(c live.Change) {
	r.t.Helper()
	cs := []live.Change{c}
	if err := r.hub.Accept(r.ctx, cs); err != nil {
		r.t.Fatal(err)
	}
	r.e.Process(cs[0])
}

// open lists the open alarms as kind:object@level.
func (r *rig) open() []string {
	var out []string
	for _, a := range r.e.Open() {
		out = append(out, fmt.Sprintf("%s:%s@%s", a.Kind, a.Object, a.Level))
	}
	slices.Sort(out)
	return out
}

func (r *rig) expect(step string, want ...string) {
	r.t.Helper()
	slices.Sort(want)
	if got := r.open(); strings.Join(got, " ") != strings.Join(want, " ") {
		r.t.Errorf("%s: open alarms\n  %v\nwant\n  %v", step, got, want)
	}
}

const (
	truck  = "013900000001"
	patrol = "013900000002"
)

// square is a GeoJSON polygon of side d degrees at (lon, lat).
func square(lon, lat, d float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat)
}

// TestFenceRules: every fence rule kind with a scripted sequence of positions and an injected clock.
func TestFenceRules(t *testing.T) {
	r := newRig(t)
	r.fence(`{"type":"Feature","geometry":` + square(119.90, 37.10, 0.01) + `,"properties":{"name":"学校","rules":[{"kind":"enter"},{"kind":"speed","max_kmh":30}]}}`)
	r.fence(`{"type":"Feature","geometry":` + square(119.92, 37.10, 0.01) + `,"properties":{"name":"园区","rules":[{"kind":"exit"}],"applies_to":{"ids":["` + truck + `"]}}}`)
	r.fence(`{"type":"Feature","geometry":{"type":"Point","coordinates":[119.95,37.105]},"properties":{"name":"加油站","radius_m":300,"rules":[{"kind":"dwell","seconds":600}]}}`)
	r.fence(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.90,37.13],[119.96,37.13]]},"properties":{"name":"核定路线","width_m":100,"rules":[{"kind":"off_route","level":"red"}],"applies_to":{"ids":["` + truck + `"]}}}`)
	r.fence(`{"type":"Feature","geometry":` + square(119.97, 37.10, 0.01) + `,"properties":{"name":"夜间禁行区","rules":[{"kind":"inside","window":{"from":"22:00","to":"06:00"}}]}}`)
	if err := r.e.Start(r.ctx); err != nil {
		t.Fatal(err)
	}

	// On its route (the corridor is 50 m either side of 37.13).
	r.pos(truck, 119.93, 37.1302, 40, 0)
	r.expect("on the route")
	r.pos(truck, 119.93, 37.1320, 40, 0) // ~220 m north: off the route
	r.expect("off the route", "off_route:"+truck+"@red")
	r.at(10 * time.Second)
	r.pos(truck, 119.93, 37.1301, 40, 0)
	r.expect("back on the route")

	// The patrol car enters the school zone (not the truck's corridor: it applies to the truck only).
	r.pos(patrol, 119.905, 37.105, 25, 0)
	r.expect("patrol enters the school", "enter:"+patrol+"@orange")
	r.at(5 * time.Second)
	r.pos(patrol, 119.906, 37.105, 45, 0)
	r.expect("speeding in the school zone", "enter:"+patrol+"@orange", "speed:"+patrol+"@orange")
	r.at(5 * time.Second)
	r.pos(patrol, 119.907, 37.105, 20, 0)
	r.expect("slower again", "enter:"+patrol+"@orange")
	r.pos(patrol, 119.915, 37.105, 20, 0)
	r.expect("left the school")

	// Exit: the truck leaves the park it applies to; the patrol car leaving it raises nothing.
	r.pos(truck, 119.925, 37.105, 10, 0)
	r.pos(patrol, 119.925, 37.106, 10, 0)
	r.pos(patrol, 119.935, 37.106, 10, 0)
	r.expect("in the park", "off_route:"+truck+"@red")
	r.pos(truck, 119.935, 37.105, 10, 0)
	r.expect("truck left the park", "off_route:"+truck+"@red", "exit:"+truck+"@orange")
	r.pos(truck, 119.925, 37.105, 10, 0)
	r.expect("truck back in the park", "off_route:"+truck+"@red")

	// Dwell: ten minutes inside the circle, the clock alone raises it.
	r.pos(patrol, 119.95, 37.1052, 0, 0)
	r.at(9 * time.Minute)
	r.expect("nine minutes at the station", "off_route:"+truck+"@red")
	r.at(61 * time.Second)
	r.expect("ten minutes at the station", "off_route:"+truck+"@red", "dwell:"+patrol+"@yellow")
	r.pos(patrol, 119.96, 37.1052, 30, 0)
	r.expect("left the station", "off_route:"+truck+"@red")

	// Inside during a window: in the zone at 21:00 is fine, 22:00 is not (the clock alone), 06:00 ends it.
	r.mu.Lock()
	r.now = time.Date(2026, 12, 7, 21, 0, 0, 0, cst)
	r.mu.Unlock()
	r.pos(patrol, 119.975, 37.105, 0, 0)
	r.expect("in the zone at 21:00", "off_route:"+truck+"@red")
	r.at(time.Hour)
	r.expect("in the zone at 22:00", "off_route:"+truck+"@red", "inside:"+patrol+"@yellow")
	r.at(8 * time.Hour)
	r.expect("at 06:00", "off_route:"+truck+"@red")

	// A fence removed takes its alarms with it.
	fences, _ := r.store.Fences(r.ctx)
	for _, f := range fences {
		if f.Name == "核定路线" {
			if err := r.store.DeleteFence(r.ctx, f.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.e.Reload(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.expect("route fence removed")
	checkStored(t, r)
}

// checkStored writes the alarms and compares the database with what the engine raised.
func checkStored(t *testing.T, r *rig) {
	t.Helper()
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	go r.e.writer(ctx)
	if err := r.e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := r.store.OpenAlarms(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != len(r.e.Open()) {
		t.Errorf("%d open alarms stored, the engine has %d", len(open), len(r.e.Open()))
	}
	all, err := r.store.Alarms(r.ctx, AlarmFilter{})
	if err != nil || len(all) == 0 {
		t.Fatalf("%d alarms stored, %v", len(all), err)
	}
	since, err := r.store.AlarmEventsSince(r.ctx, time.Now().Add(-time.Hour), 10_000)
	if err != nil || len(since) < len(all) {
		t.Errorf("AlarmEventsSince: %d changes of %d alarms, %v", len(since), len(all), err)
	}
	for _, a := range all {
		if a.State == live.AlarmRaised || a.State == live.AlarmAcknowledged {
			continue
		}
		if a.Cleared == nil || len(a.Evidence) == 0 {
			t.Errorf("alarm %s (%s) %s without its clearing time or evidence", a.ID, a.Kind, a.State)
		}
	}
}

// TestGroupRules: offline, stops outside allowed places, group speed, JT/T 808 alarm bits with the
// acknowledgement reaching the terminal, sensor thresholds in four levels with hysteresis, rates of
// change, and escalation across a dam's monitoring points.
func TestGroupRules(t *testing.T) {
	r := newRig(t)
	depot := r.fence(`{"type":"Feature","geometry":` + square(119.90, 37.20, 0.005) + `,"properties":{"name":"停车场"}}`)
	r.rule("离线", `{"kind":"offline","seconds":300}`, `{"ids":["`+truck+`"]}`)
	r.rule("违停", fmt.Sprintf(`{"kind":"stop","seconds":600,"allowed_fences":[%d]}`, depot.ID), `{"vehicle_kinds":["hazmat"]}`)
	r.rule("危化品限速", `{"kind":"speed","max_kmh":60,"level":"yellow"}`, `{"vehicle_kinds":["hazmat"]}`)
	r.rule("浸润线", `{"kind":"threshold","levels":{"blue":2.0,"yellow":2.5,"orange":3.0,"red":3.5},"clear":0.1}`, `{"sensor_kinds":["water_level"]}`)
	r.rule("浸润线速率", `{"kind":"rate","rate_per_hour":0.5,"level":"orange"}`, `{"ids":["sat-3"]}`)
	r.rule("尾矿库联动", `{"kind":"escalation","count":3,"at_level":"yellow","window_seconds":3600}`, `{"groups":["尾矿库1号"]}`)
	if err := r.e.Start(r.ctx); err != nil {
		t.Fatal(err)
	}

	r.pos(truck, 119.93, 37.15, 70, 0)
	r.expect("speeding hazmat truck", "speed:"+truck+"@yellow")
	r.at(10 * time.Second)
	r.pos(truck, 119.931, 37.15, 0, 0)
	r.expect("stopped")
	r.at(601 * time.Second)
	r.expect("stopped 10 minutes outside the depot", "stop:"+truck+"@yellow", "offline:"+truck+"@yellow")
	r.pos(truck, 119.931, 37.15, 0, 1<<0) // reports again, pressing the emergency button
	r.expect("emergency", "stop:"+truck+"@yellow", "jt808_emergency:"+truck+"@red")
	r.pos(truck, 119.902, 37.202, 20, 1<<0) // drives into the depot
	r.at(11 * time.Minute)
	r.pos(truck, 119.902, 37.202, 0, 1<<0)
	r.at(11 * time.Minute)
	r.pos(truck, 119.902, 37.202, 0, 1<<0)
	r.expect("stopped in the depot", "jt808_emergency:"+truck+"@red")
	r.pos(patrol, 119.95, 37.15, 90, 1<<1) // the terminal's own overspeed bit; the group speed rule is for hazmat
	r.expect("patrol overspeed bit", "jt808_emergency:"+truck+"@red", "jt808_overspeed:"+patrol+"@yellow")
	r.pos(patrol, 119.95, 37.15, 40, 0)
	r.expect("bit cleared", "jt808_emergency:"+truck+"@red")

	// Thresholds with hysteresis.
	r.obs("sat-1", 1.9)
	r.expect("below blue", "jt808_emergency:"+truck+"@red")
	r.obs("sat-1", 2.6)
	r.expect("yellow", "jt808_emergency:"+truck+"@red", "threshold:sat-1@yellow")
	r.at(time.Minute)
	r.obs("sat-1", 2.45) // within the clear margin of yellow
	r.expect("yellow held", "jt808_emergency:"+truck+"@red", "threshold:sat-1@yellow")
	r.at(time.Minute)
	r.obs("sat-1", 3.6)
	r.expect("red", "jt808_emergency:"+truck+"@red", "threshold:sat-1@red")
	// Escalation: three points of the dam at yellow or above within the hour → the dam at orange.
	r.at(time.Minute)
	r.obs("sat-2", 2.7)
	r.expect("two points", "jt808_emergency:"+truck+"@red", "threshold:sat-1@red", "threshold:sat-2@yellow")
	r.at(20 * time.Minute)
	r.obs("sat-3", 2.0)
	r.at(30 * time.Minute)
	r.obs("sat-3", 2.55) // +0.55 in 30 minutes: 1.1/h, past the rate limit too
	// The truck has not reported for the last hour: offline.
	r.expect("three points", "jt808_emergency:"+truck+"@red", "offline:"+truck+"@yellow", "threshold:sat-1@red", "threshold:sat-2@yellow",
		"threshold:sat-3@yellow", "rate:sat-3@orange", "escalation:尾矿库1号@orange")
	r.at(time.Minute)
	r.obs("sat-2", 2.0)
	r.expect("a point back down", "jt808_emergency:"+truck+"@red", "offline:"+truck+"@yellow", "threshold:sat-1@red", "threshold:sat-2@blue",
		"threshold:sat-3@yellow", "rate:sat-3@orange")
	r.at(time.Hour)
	r.obs("sat-3", 2.56)
	r.expect("rate back to normal", "jt808_emergency:"+truck+"@red", "offline:"+truck+"@yellow", "threshold:sat-1@red", "threshold:sat-2@blue", "threshold:sat-3@yellow")

	// Acknowledging the emergency tells the terminal (0x8203); it stays open until the bit drops.
	checkStored(t, r)
	var emergency live.Alarm
	for _, a := range r.e.Open() {
		if a.Kind == "jt808_emergency" {
			emergency = a
		}
	}
	a, err := r.e.Ack(r.ctx, emergency.ID, "值班员张", "已电话联系司机")
	if err != nil || a.State != live.AlarmAcknowledged {
		t.Fatalf("Ack = %+v, %v", a, err)
	}
	if _, err := r.e.Ack(r.ctx, emergency.ID, "值班员李", ""); err == nil {
		t.Error("acknowledging twice was accepted")
	}
	if strings.Join(r.acked, ",") != truck+":1" {
		t.Errorf("terminals told: %v", r.acked)
	}
	r.pos(truck, 119.902, 37.202, 0, 0)
	checkStored(t, r)
	got, events, err := r.store.Alarm(r.ctx, emergency.ID)
	if err != nil || got.State != live.AlarmClosed || got.AckBy != "值班员张" {
		t.Fatalf("the emergency alarm: %+v, %v", got, err)
	}
	var names []string
	for _, ev := range events {
		names = append(names, ev.Event)
	}
	if strings.Join(names, ",") != "raised,acknowledged,closed" {
		t.Errorf("its timeline: %v", names)
	}
}

// TestTwoEnginesOneAlarm: two replicas matching the same stream store one alarm per condition; the
// second adopts the first's.
func TestTwoEnginesOneAlarm(t *testing.T) {
	r := newRig(t)
	r.fence(`{"type":"Feature","geometry":` + square(119.90, 37.10, 0.01) + `,"properties":{"name":"学校","rules":[{"kind":"enter"}]}}`)
	if err := r.e.Start(r.ctx); err != nil {
		t.Fatal(err)
	}
	other := NewEngine(r.hub, r.store, nil, nil, nil)
	other.SetClock(func() time.Time { return r.now })
	if err := other.Start(r.ctx); err != nil {
		t.Fatal(err)
	}
	cs := []live.Change{{Type: live.ChangePosition, Object: patrol, Time: r.now, Source: "test", Position: &live.Position{Lon: 119.905, Lat: 37.105}}}
	if err := r.hub.Accept(r.ctx, cs); err != nil {
		t.Fatal(err)
	}
	r.e.Process(cs[0])
	other.Process(cs[0])
	checkStored(t, r)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	go other.writer(ctx)
	if err := other.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := r.store.Alarms(r.ctx, AlarmFilter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("%d alarms stored for one condition, %v", len(all), err)
	}
	if o := other.Open(); len(o) != 1 || o[0].ID != all[0].ID {
		t.Errorf("the second engine's alarm %v is not the stored one %s", o, all[0].ID)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
