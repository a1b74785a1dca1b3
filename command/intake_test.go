package command

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// clock is a settable clock for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func timeline(t *testing.T, s *Store, id int64) string {
	t.Helper()
	_, events, err := s.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range events {
		steps = append(steps, e.Action+":"+e.Actor)
	}
	return strings.Join(steps, " ")
}

// TestHotspotClusters: satellite detections close in space and time make one forest-fire incident
// across passes; a detection far away makes another; one of low confidence and one on a known
// static heat source (the mask layer, with its margin) make none; a detection after the window
// starts a new fire. Every detection is taken once, however many passes run.
func TestHotspotClusters(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	// The mask: a steel works' yard, its geometry column not called geom.
	exec(t, pool, `CREATE TABLE basemap.heat_source (id int PRIMARY KEY, name text, shape geometry(Polygon, 4490))`)
	exec(t, pool, `INSERT INTO basemap.heat_source VALUES (1, '钢厂', ST_MakeEnvelope(120.300, 37.300, 120.302, 37.302, 4490))`)
	exec(t, pool, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_column, geometry_type)
		VALUES ('basemap.heat_source', '固定热源', 'Static heat sources', 'reference', 'basemap', 'heat_source', 'shape', 'Polygon')`)
	now := time.Date(2026, 4, 3, 6, 0, 0, 0, time.UTC)
	clk := &clock{now}
	store := NewStore(pool)
	store.SetClock(clk.now)
	var published []int64
	store.OnChange(func(in *Incident) { published = append(published, in.ID) })
	cfg := DefaultConfig()
	cfg.HotspotMask = "basemap.heat_source"
	in := NewIntake(store, cfg, slog.New(slog.DiscardHandler))
	if err := in.Check(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(at time.Time, lon, lat float64, conf string) {
		t.Helper()
		n++
		if _, err := live.AddHotspots(ctx, pool, []live.HotspotRecord{{Key: fmt.Sprint("h", n), Time: at,
			Hotspot: live.Hotspot{Lon: lon, Lat: lat, Instrument: "VIIRS", Satellite: "N20", Confidence: conf, Source: "test"}}}); err != nil {
			t.Fatal(err)
		}
	}
	pass := func() PassResult {
		t.Helper()
		r, err := in.pass(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Pass 1: three detections 400–700 m apart in the hills, one 30 km away, one weak, one at the works.
	t0 := now.Add(-2 * time.Hour)
	add(t0, 120.0000, 37.2000, "n")
	add(t0, 120.0045, 37.2000, "h")
	add(t0, 120.0020, 37.2050, "n")
	add(t0, 120.3500, 37.2000, "n")
	add(t0, 120.1000, 37.1000, "l")
	add(t0, 120.3025, 37.3010, "h") // 220 m east of the yard: within the 500 m margin
	if r := pass(); r.Hotspots != 6 || r.Masked != 2 || r.Incidents != 2 {
		t.Fatalf("first pass: %+v, want 6 hotspots, 2 masked, 2 incidents", r)
	}
	list, err := store.Incidents(ctx, Filter{Types: []string{"forest_fire"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d fire incidents, want 2", len(list))
	}
	slices.SortFunc(list, func(a, b *Incident) int { return int(a.ID - b.ID) })
	hills, far := list[0], list[1]
	if hills.Source != "hotspot" || !strings.Contains(hills.Title, "3 处") || !strings.Contains(string(hills.Geometry), "Polygon") {
		t.Errorf("the hills' fire: %s %s %s", hills.Source, hills.Title, hills.Geometry)
	}
	if !strings.Contains(string(far.Geometry), "Point") || !strings.Contains(far.Title, "1 处") {
		t.Errorf("the far fire: %s %s", far.Title, far.Geometry)
	}
	var why []string
	rows, _ := pool.Query(ctx, `SELECT masked_by FROM command.incident_hotspot WHERE incident_id IS NULL ORDER BY hotspot_id`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		why = append(why, s)
	}
	if fmt.Sprint(why) != "[low confidence l mask:basemap.heat_source]" {
		t.Errorf("masked: %v", why)
	}

	// Pass 2, the next satellite 6 h later: one detection 1 km from the hills' fire joins it; a
	// second pass takes nothing again.
	clk.t = now.Add(6 * time.Hour)
	add(now.Add(4*time.Hour), 120.0030, 37.2130, "n")
	if r := pass(); r.Hotspots != 1 || r.Incidents != 0 {
		t.Fatalf("second pass: %+v", r)
	}
	if r := pass(); r != (PassResult{}) {
		t.Errorf("a pass with nothing new did %+v", r)
	}
	if got := timeline(t, store, hills.ID); got != "report:系统 attach:系统" {
		t.Errorf("the hills' timeline: %s", got)
	}
	// Two days later, a detection at the same place is a new fire (outside the window).
	clk.t = now.Add(50 * time.Hour)
	add(now.Add(49*time.Hour), 120.0010, 37.2010, "n")
	if r := pass(); r.Incidents != 1 {
		t.Errorf("a detection after the window: %+v, want a new incident", r)
	}
	if len(published) < 4 {
		t.Errorf("published incident changes %v, want one per new incident and attach", published)
	}

	// A mask that is no polygon layer, or none at all, is refused.
	cfg.HotspotMask = "basemap.nowhere"
	if err := NewIntake(store, cfg, nil).Check(ctx); err == nil || !strings.Contains(err.Error(), "basemap.nowhere") {
		t.Errorf("an unknown mask layer: %v", err)
	}
	cfg.HotspotMask, cfg.AlarmLevels = "", []string{"purple"}
	if err := NewIntake(store, cfg, nil).Check(ctx); err == nil || !strings.Contains(err.Error(), "purple") {
		t.Errorf("an unknown alarm level: %v", err)
	}
}

// TestAutoSupervision: an incident dispatched with a deadline is supervised by the system once the
// deadline passes (by the injected clock), once per deadline: a pass after that adds nothing, a new
// dispatch sets a new deadline that is supervised again when it passes. One not yet due is not.
func TestAutoSupervision(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	start := time.Now().Truncate(time.Second)
	clk := &clock{start}
	store := NewStore(pool)
	store.SetClock(clk.now)
	in := NewIntake(store, DefaultConfig(), slog.New(slog.DiscardHandler))
	op := spatial.Principal{Subject: "值班员", Roles: []string{RoleOperator}}
	report := func(typ string) int64 {
		t.Helper()
		inc, err := store.Report(ctx, Report{Type: typ, Title: "测试"}, "值班员")
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range []Transition{{To: Accepted}, {To: Dispatched, Assignee: "一中队"}} {
			if _, err := store.Transition(ctx, inc.ID, tr, op); err != nil {
				t.Fatal(err)
			}
		}
		return inc.ID
	}
	fire, sensor := report("forest_fire"), report("sensor") // deadlines 1 h and 4 h
	pass := func() PassResult {
		t.Helper()
		r, err := in.pass(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	clk.t = start.Add(59 * time.Minute)
	if r := pass(); r.Supervised != 0 {
		t.Fatalf("supervised before the deadline: %+v", r)
	}
	clk.t = start.Add(61 * time.Minute)
	if r := pass(); r.Supervised != 1 {
		t.Fatalf("after the fire's deadline: %+v, want 1 supervised", r)
	}
	clk.t = start.Add(90 * time.Minute)
	if r := pass(); r.Supervised != 0 {
		t.Errorf("supervised twice for one deadline: %+v", r)
	}
	inc, events, _ := store.Incident(ctx, fire)
	last := events[len(events)-1]
	if !inc.Supervised || last.Action != "supervise" || last.Actor != System || !strings.Contains(last.Note, "自动督办") || last.Detail["automatic"] != true {
		t.Errorf("the automatic supervision: %+v %+v", inc, last)
	}
	if s, _, _ := store.Incident(ctx, sensor); s.Supervised {
		t.Error("the sensor incident (4 h) supervised after 90 min")
	}
	// Dispatched again (a new deadline an hour on): supervised again once that passes.
	if _, err := store.Transition(ctx, fire, Transition{Action: "dispatch", Assignee: "二中队"}, op); err != nil {
		t.Fatal(err)
	}
	clk.t = start.Add(151 * time.Minute)
	if r := pass(); r.Supervised != 1 {
		t.Errorf("the second deadline passed: %+v, want the fire supervised again", r)
	}
	clk.t = start.Add(5 * time.Hour)
	if r := pass(); r.Supervised != 1 {
		t.Errorf("the sensor's deadline passed: %+v", r)
	}
	if got := timeline(t, store, fire); got != "report:值班员 accept:值班员 dispatch:值班员 supervise:系统 dispatch:值班员 supervise:系统" {
		t.Errorf("the timeline: %s", got)
	}
}
