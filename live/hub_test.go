package live_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func ptr[T any](v T) *T { return &v }

// testDevices registers a hazmat truck, a patrol car, a water-level sensor and a camera.
func testDevices(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	reg := live.NewRegistry(pool)
	for _, d := range []live.Device{
		{ID: "013912345678", Kind: live.KindVehicle, Plate: "鲁F12345", PlateColor: 2, UN: "1203", HazardClass: "3", Carrier: "莱州危运"},
		{ID: "013900000002", Kind: live.KindVehicle, Plate: "鲁F00002", VehicleKind: "patrol"},
		{ID: "wl-001", Kind: live.KindSensor, SensorKind: "water_level", Unit: "m", Lon: ptr(119.94), Lat: ptr(37.18), Group: "南阳河"},
		{ID: "cam-1", Kind: live.KindCamera, Lon: ptr(119.95), Lat: ptr(37.19), ViewDirection: ptr(45.0), StreamURL: "rtsp://media/1"},
	} {
		if err := reg.Put(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
}

func newHub(t *testing.T, pool *pgxpool.Pool, cfg live.Config) *live.Hub {
	t.Helper()
	h := live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func testConfig(t *testing.T) live.Config {
	cfg := live.DefaultConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.FlushEvery = 20 * time.Millisecond
	return cfg
}

func pos(id string, t time.Time, lon, lat float64) live.Change {
	return live.Change{Type: live.ChangePosition, Object: id, Time: t, Source: "test",
		Position: &live.Position{Lon: lon, Lat: lat, Speed: 42.5, Heading: 90, Alarm: 1}}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHub: accepted changes move objects (in order per object; a late one goes to history only),
// answer bbox queries, reach the stream in order and the history tables; bad ones are refused and
// nothing of their batch is taken; the current state survives a restart of the hub.
func TestHub(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	cfg := testConfig(t)
	h := newHub(t, pool, cfg)
	sub := h.Stream().Subscribe()
	defer sub.Close()

	t0 := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	batch := []live.Change{
		pos("013912345678", t0, 119.90, 37.10),
		pos("013912345678", t0.Add(10*time.Second), 119.91, 37.11),
		pos("013912345678", t0.Add(5*time.Second), 119.99, 37.99), // late: history only
		{Type: live.ChangeObservation, Object: "wl-001", Time: t0, Observation: &live.Observation{Values: map[string]float64{"value": 2.25}}},
		{Type: live.ChangeEvent, Object: "013900000002", Time: t0, Event: &live.Event{Name: "auth"}},
	}
	if err := h.Accept(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if !batch[2].Late || batch[1].Late {
		t.Errorf("Late = %v, %v; want the third change late", batch[1].Late, batch[2].Late)
	}
	got, err := sub.Next(ctx, 100)
	if err != nil || len(got) != len(batch) {
		t.Fatalf("stream: %d changes, %v", len(got), err)
	}
	for i := range got {
		if got[i].Seq != got[0].Seq+uint64(i) || got[i].Object != batch[i].Object {
			t.Errorf("stream change %d = seq %d %s", i, got[i].Seq, got[i].Object)
		}
	}
	if got[0].Layer != "live.hazmat" || got[3].Layer != "live.sensor" || got[3].Observation.Unit != "m" {
		t.Errorf("completed from the registry: %s, %s, unit %q", got[0].Layer, got[3].Layer, got[3].Observation.Unit)
	}

	o, ok := h.Object("013912345678")
	if !ok || o.Position.Lon != 119.91 || !o.Time.Equal(t0.Add(10*time.Second)) || o.Device.Plate != "鲁F12345" {
		t.Fatalf("truck = %+v, %v", o, ok)
	}
	in := h.Objects(live.Filter{BBox: &[4]float64{119.905, 37.105, 119.915, 37.115}})
	if len(in) != 1 || in[0].ID != "013912345678" {
		t.Errorf("bbox around the truck: %v", ids(in))
	}
	all := h.Objects(live.Filter{Kinds: []live.Kind{live.KindSensor, live.KindCamera}})
	if strings.Join(ids(all), ",") != "cam-1,wl-001" {
		t.Errorf("sensors and cameras: %v (fixed places appear before any report)", ids(all))
	}
	noHazmat := h.Objects(live.Filter{Layer: func(l string) bool { return l != "live.hazmat" }})
	for _, o := range noHazmat {
		if o.Layer == "live.hazmat" {
			t.Error("a layer the caller may not read was returned")
		}
	}
	f := o.Feature(time.Now(), cfg.StaleAfter)
	if f.Properties["un"] != "UN1203" || f.Properties["speed"] != 42.5 || f.Properties["kind"] != live.KindVehicle || f.Properties["stale"] != false {
		t.Errorf("feature properties = %v", f.Properties)
	}

	// Refusals: nothing of a batch with one bad change is taken.
	before := h.Stream().Last()
	for _, bad := range [][]live.Change{
		{pos("013912345678", t0, 119, 37), pos("nobody", t0, 119, 37)},
		{pos("013912345678", t0, 500, 37)},
		{pos("013912345678", time.Now().Add(time.Hour), 119, 37)},
		{pos("wl-001", t0, 119, 37)},
		{{Type: live.ChangeObservation, Object: "wl-001", Observation: &live.Observation{}}},
	} {
		err := h.Accept(ctx, bad)
		var invalid *spatial.InvalidError
		if err == nil || !(errors.Is(err, live.ErrUnknownDevice) || errors.As(err, &invalid)) {
			t.Errorf("Accept(%s…) = %v, want a refusal", bad[0].Object, err)
		}
	}
	if h.Stream().Last() != before {
		t.Error("refused changes reached the stream")
	}
	// A repeat (the broker sending a reading again after a lost acknowledgement) is taken and dropped.
	again := []live.Change{{Type: live.ChangeObservation, Object: "wl-001", Time: t0, Observation: &live.Observation{Values: map[string]float64{"value": 2.25}}}}
	if err := h.Accept(ctx, again); err != nil || h.Stream().Last() != before {
		t.Errorf("a repeated reading: %v, stream %d → %d", err, before, h.Stream().Last())
	}

	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.position WHERE object_id = '013912345678'`); n != 3 {
		t.Errorf("%d positions in history, want 3 (the late one too)", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.observation WHERE sensor_id = 'wl-001' AND value = 2.25 AND unit = 'm'`); n != 1 {
		t.Errorf("%d observations in history, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.device_event WHERE device_id = '013900000002' AND name = 'auth'`); n != 1 {
		t.Errorf("%d events in history, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.hazmat_now WHERE plate = '鲁F12345' AND speed = 42.5`); n != 1 {
		t.Errorf("the live.hazmat layer's view has %d rows for the truck, want 1", n)
	}

	// A new hub starts from the stored state.
	h2 := newHub(t, pool, cfg)
	o2, ok := h2.Object("013912345678")
	if !ok || o2.Position.Lon != 119.91 || !o2.Time.Equal(o.Time) {
		t.Errorf("after a restart the truck is %+v, %v", o2, ok)
	}
	if o, ok := h2.Object("wl-001"); !ok || o.Values["value"] != 2.25 {
		t.Errorf("after a restart the sensor is %+v", o)
	}

	// Removing a device removes its object (the registry is followed).
	if err := live.NewRegistry(pool).Remove(ctx, "013900000002"); err != nil {
		t.Fatal(err)
	}
	if err := h2.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := h2.Object("013900000002"); ok {
		t.Error("a removed device's object is still there")
	}
}

func ids(objs []live.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

// TestBufferFull: past the buffer, new changes are refused (not the held ones dropped).
func TestBufferFull(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	cfg := testConfig(t)
	cfg.Buffer = 3
	h := newHub(t, pool, cfg) // not Run: nothing is written meanwhile
	now := time.Now()
	for i := range 3 {
		if err := h.Accept(ctx, []live.Change{pos("013912345678", now.Add(time.Duration(i)*time.Millisecond), 119.9, 37.1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Accept(ctx, []live.Change{pos("013912345678", now, 119.9, 37.1)}); !errors.Is(err, live.ErrBufferFull) {
		t.Fatalf("the fourth change: %v, want ErrBufferFull", err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.position`); n != 3 {
		t.Errorf("%d rows, want the 3 held", n)
	}
}

// TestDatabaseOutage: PostgreSQL stopped while 1,000 positions arrive, started again: all 1,000 rows
// are there, written by the running hub without a restart. Then a SIGTERM-like close while the
// database is away spools what it holds, and the next start writes it.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.NewCluster(t)
	pool, err := spatial.Open(ctx, spatial.DBConfig{URL: cluster.URL, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	testDevices(t, pool)
	cfg := testConfig(t)
	h := newHub(t, pool, cfg)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.Run(rctx); close(done) }()

	cluster.Stop(t)
	start := time.Now().Add(-time.Hour)
	for i := range 1000 {
		c := pos("013912345678", start.Add(time.Duration(i)*time.Second), 119.9+float64(i)*1e-5, 37.1)
		if err := h.Accept(ctx, []live.Change{c}); err != nil {
			t.Fatalf("position %d refused during the outage: %v", i, err)
		}
	}
	cluster.Start(t)
	waitFor(t, 60*time.Second, "all 1,000 positions written after the database returned", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM live.position`).Scan(&n)
		return err == nil && n == 1000
	})

	// Shutdown while the database is away: the changes are spooled, then written at the next start.
	cluster.Stop(t)
	for i := range 50 {
		if err := h.Accept(ctx, []live.Change{pos("013912345678", time.Now().Add(time.Duration(i-100)*time.Millisecond), 119.95, 37.15)}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	<-done
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := h.Close(cctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	files, _ := filepath.Glob(filepath.Join(cfg.SpoolDir, "spool-*.ndjson"))
	if len(files) != 1 {
		t.Fatalf("spool files: %v", files)
	}
	cluster.Start(t)
	waitFor(t, 30*time.Second, "the database back", func() bool { return pool.Ping(ctx) == nil })
	h2 := newHub(t, pool, cfg)
	if n := count(t, pool, `SELECT count(*) FROM live.position`); n != 1050 {
		t.Errorf("%d rows after the spool was written, want 1050", n)
	}
	if o, ok := h2.Object("013912345678"); !ok || o.Position.Lon != 119.95 {
		t.Errorf("the truck after the restart: %+v", o)
	}
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Errorf("the spool file is still there: %v", err)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueries: a track from history, the state at a past time, a downsampled series.
func TestQueries(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	h := newHub(t, pool, testConfig(t))
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	var cs []live.Change
	for i := range 60 {
		cs = append(cs, pos("013912345678", t0.Add(time.Duration(i)*time.Minute), 119.90+float64(i)*0.001, 37.10))
	}
	for i := range 120 {
		cs = append(cs, live.Change{Type: live.ChangeObservation, Object: "wl-001", Time: t0.Add(time.Duration(i) * 30 * time.Second),
			Observation: &live.Observation{Values: map[string]float64{"value": float64(i)}}})
	}
	if err := h.Accept(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}

	pts, trunc, err := h.Track(ctx, "013912345678", t0.Add(10*time.Minute), t0.Add(20*time.Minute))
	if err != nil || trunc || len(pts) != 10 || !pts[0].Time.Equal(t0.Add(10*time.Minute)) || math.Abs(pts[9].Lon-119.919) > 1e-9 {
		t.Fatalf("track: %d points, %v, %v", len(pts), trunc, err)
	}
	if _, _, err := h.Track(ctx, "013912345678", t0, t0.Add(-time.Second)); err == nil {
		t.Error("a period ending before it starts was accepted")
	}

	at, err := h.At(ctx, t0.Add(30*time.Minute+30*time.Second), 24*time.Hour, live.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]live.Object{}
	for _, o := range at {
		byID[o.ID] = o
	}
	if o := byID["013912345678"]; math.Abs(o.Position.Lon-119.93) > 1e-9 || !o.Time.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("truck at T+30m30s: %+v", o)
	}
	if o := byID["wl-001"]; o.Values["value"] != 61 {
		t.Errorf("sensor at T+30m30s: %v", o.Values)
	}
	if _, ok := byID["013900000002"]; ok {
		t.Error("a vehicle with no history appears at T")
	}

	s, err := h.ObservationSeries(ctx, "wl-001", "", t0, t0.Add(time.Hour), 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 12 || s.Unit != "m" || s.Name != "value" || s.Points[0].Count != 10 || s.Points[0].Value != 4.5 || s.Points[0].Min != 0 || s.Points[0].Max != 9 {
		t.Errorf("series: %d points, first %+v, unit %q", len(s.Points), s.Points[0], s.Unit)
	}
	raw, err := h.ObservationSeries(ctx, "wl-001", "value", t0, t0.Add(time.Hour), 1000)
	if err != nil || len(raw.Points) != 120 || raw.Bucket != "" {
		t.Errorf("raw series: %d points, bucket %q, %v", len(raw.Points), raw.Bucket, err)
	}
	if _, err := h.ObservationSeries(ctx, "013912345678", "", t0, t0.Add(time.Hour), 10); !errors.Is(err, spatial.ErrNotFound) {
		t.Errorf("a truck's series: %v", err)
	}
}

// TestStreamGap: a subscriber that falls behind the ring learns it and resumes at the oldest kept.
func TestStreamGap(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	cfg := testConfig(t)
	cfg.StreamSize = 16
	h := newHub(t, pool, cfg)
	slow := h.Stream().Subscribe()
	defer slow.Close()
	now := time.Now()
	var n atomic.Int64
	for i := range 40 {
		if err := h.Accept(ctx, []live.Change{pos("013912345678", now.Add(time.Duration(i)*time.Millisecond), 119.9, 37.1)}); err != nil {
			t.Fatal(err)
		}
		n.Add(1)
	}
	got, err := slow.Next(ctx, 100)
	if !errors.Is(err, live.ErrGap) || len(got) != 16 || got[15].Seq != h.Stream().Last() {
		t.Fatalf("after 40 changes a 16-change ring gave %d, %v", len(got), err)
	}
}

// TestOldDataPartition: a fix days old (a terminal's blind-area resend after a long outage) is
// written into a day partition made when it arrives; one older than the retention is refused.
func TestOldDataPartition(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	cfg := testConfig(t)
	cfg.RetentionDays = 30
	h := newHub(t, pool, cfg)
	old := time.Now().UTC().AddDate(0, 0, -5)
	if err := h.Accept(ctx, []live.Change{pos("013912345678", old, 119.9, 37.1)}); err != nil {
		t.Fatal(err)
	}
	if err := h.Accept(ctx, []live.Change{pos("013912345678", time.Now().AddDate(0, 0, -31), 119.9, 37.1)}); err == nil {
		t.Error("a fix older than the retention was accepted")
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM live.position WHERE time = $1`, old); n != 1 {
		t.Errorf("%d rows of the five-day-old fix", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM pg_class WHERE relname = $1`, "position_"+old.Format("20060102")); n != 1 {
		t.Error("no partition for its day")
	}
}

// TestHotspotsReachTheHub: detections stored by anyone (an import, another replica's poller) reach a
// running hub by NOTIFY, once each, onto its stream; repeats are not stored again.
func TestHotspotsReachTheHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	h := newHub(t, pool, testConfig(t))
	sub := h.Stream().Subscribe()
	defer sub.Close()
	go h.Run(ctx)
	now := time.Now().UTC().Truncate(time.Minute)
	recs := []live.HotspotRecord{
		{Key: "VIIRS/N20/a", Time: now.Add(-2 * time.Hour), Hotspot: live.Hotspot{Lon: 119.95, Lat: 37.17, Instrument: "VIIRS", Satellite: "N20", Confidence: "h", FRP: 12.5, Source: "test.csv"}},
		{Key: "VIIRS/N/b", Time: now.Add(-time.Hour), Hotspot: live.Hotspot{Lon: 119.951, Lat: 37.171, Instrument: "VIIRS", Satellite: "N", Confidence: "n", FRP: 20, Source: "test.csv"}},
		{Key: "MODIS/T/old", Time: now.Add(-30 * 24 * time.Hour), Hotspot: live.Hotspot{Lon: 119.9, Lat: 37.1, Instrument: "MODIS", Satellite: "T", Source: "old.csv"}},
	}
	// Whether these land before or after the hub's LISTEN took effect, it has them: it loads what
	// was added when it connects, then what each notification announces.
	if added, err := live.AddHotspots(ctx, pool, recs[:1]); err != nil || added != 1 {
		t.Fatalf("AddHotspots = %d, %v", added, err)
	}
	if added, err := live.AddHotspots(ctx, pool, recs); err != nil || added != 2 {
		t.Fatalf("AddHotspots = %d, %v; want the 2 not stored yet", added, err)
	}
	seen := map[string]bool{}
	waitFor(t, 10*time.Second, "two hotspots on the stream", func() bool {
		sctx, stop := context.WithTimeout(ctx, 50*time.Millisecond)
		defer stop()
		cs, _ := sub.Next(sctx, 100)
		for _, c := range cs {
			if c.Type == live.ChangeHotspot {
				if seen[c.Object] {
					t.Errorf("%s twice on the stream", c.Object)
				}
				seen[c.Object] = true
			}
		}
		return len(seen) == 2
	})
	hs := h.Objects(live.Filter{Kinds: []live.Kind{live.KindHotspot}})
	if len(hs) != 2 || hs[0].Hotspot.FRP == 0 || hs[0].Layer != "live.hotspot" {
		t.Errorf("hotspots in the hub: %+v (the 30-day-old one stays history)", hs)
	}
}

// TestReplicas: two hubs on one database with the outbox on: a change accepted by one reaches the
// other's current state and stream (once, and not written to history twice), and so does an alarm
// change one of them publishes.
func TestReplicas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, url := pgtest.NewWithURL(t)
	testDevices(t, pool)
	cfg := testConfig(t)
	cfg.Outbox = true
	replica := func() *live.Hub { // each with a pool of its own, as two servers have
		p, err := spatial.Open(ctx, spatial.DBConfig{URL: url, MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return newHub(t, p, cfg)
	}
	a, b := replica(), replica()
	subB := b.Stream().Subscribe()
	defer subB.Close()
	go a.Run(ctx)
	go b.Run(ctx)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	waitFor(t, 10*time.Second, "a position accepted by A in B's hub", func() bool {
		// Sent until B has it: B's LISTEN may not be in place for the first.
		_ = a.Accept(ctx, []live.Change{pos("013912345678", time.Now().UTC(), 119.91, 37.11)})
		o, ok := b.Object("013912345678")
		return ok && o.Position.Lon == 119.91 && !o.Time.Before(t0)
	})
	a.Publish([]live.Change{{Type: live.ChangeAlarm, Object: "013912345678", Layer: "live.hazmat",
		Alarm: &live.Alarm{ID: "a1", Key: "k", Kind: "enter", Object: "013912345678", Level: live.LevelRed, State: live.AlarmRaised}}})
	waitFor(t, 10*time.Second, "the alarm on B's stream", func() bool {
		sctx, stop := context.WithTimeout(ctx, 50*time.Millisecond)
		defer stop()
		cs, _ := subB.Next(sctx, 1000)
		return slices.ContainsFunc(cs, func(c live.Change) bool { return c.Type == live.ChangeAlarm && c.Alarm.ID == "a1" })
	})
	var inHistory, accepted int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.position`).Scan(&inHistory); err != nil {
		t.Fatal(err)
	}
	accepted = int(a.Stream().Last()) - 1 // every change on A's stream but the alarm was a position
	if inHistory > accepted {
		t.Errorf("%d positions in history for %d accepted: written twice", inHistory, accepted)
	}
}
