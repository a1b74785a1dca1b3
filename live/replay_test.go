package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestStreamSince: the ring's changes received since a time, and whether it reaches back before it.
func TestStreamSince(t *testing.T) {
	cfg := live.DefaultConfig()
	cfg.StreamSize = 16
	h := live.NewHub(cfg, nil, nil, nil)
	t0 := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	now := t0
	h.SetClock(func() time.Time { return now })
	for i := range 10 {
		now = t0.Add(time.Duration(i) * time.Second)
		h.Publish([]live.Change{{Type: live.ChangeAlarm, Object: fmt.Sprint(i)}})
	}
	cs, covered := h.Stream().Since(t0.Add(5*time.Second), 100)
	if !covered || len(cs) != 5 || cs[0].Object != "5" || cs[4].Object != "9" {
		t.Errorf("since 5 s: covered %v, %d changes", covered, len(cs))
	}
	if cs, covered := h.Stream().Since(t0, 100); covered || len(cs) != 10 {
		t.Errorf("since the first: covered %v (nothing older is kept), %d changes", covered, len(cs))
	}
	if cs, covered := h.Stream().Since(t0.Add(5*time.Second), 3); covered || len(cs) != 3 || cs[0].Object != "7" {
		t.Errorf("at most 3: covered %v, %d changes", covered, len(cs))
	}
	for i := 10; i < 40; i++ { // the ring wraps
		now = t0.Add(time.Duration(i) * time.Second)
		h.Publish([]live.Change{{Type: live.ChangeAlarm, Object: fmt.Sprint(i)}})
	}
	if cs, covered := h.Stream().Since(t0.Add(10*time.Second), 100); covered || len(cs) != 16 || cs[0].Object != "24" {
		t.Errorf("since a dropped change: covered %v, %d changes", covered, len(cs))
	}
	if cs, covered := h.Stream().Since(t0.Add(time.Hour), 100); !covered || len(cs) != 0 {
		t.Errorf("since later: covered %v, %d changes", covered, len(cs))
	}
}

// TestHistorySince: what history holds of the changes received since a time, as changes again.
func TestHistorySince(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	testDevices(t, pool)
	h := newHub(t, pool, testConfig(t))
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()

	start := time.Now().Add(-time.Second)
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	cs := []live.Change{
		pos("013912345678", at, 119.94, 37.18),
		{Type: live.ChangeObservation, Object: "wl-001", Time: at, Source: "test", Observation: &live.Observation{Values: map[string]float64{"value": 2.5, "temp": 11}}},
		{Type: live.ChangeState, Object: "wl-001", Time: at, Source: "test", State: map[string]any{"battery": 87.0}},
		{Type: live.ChangeEvent, Object: "013900000002", Time: at, Source: "test", Event: &live.Event{Name: "online"}},
	}
	if err := h.Accept(ctx, cs); err != nil {
		t.Fatal(err)
	}
	var got []live.Change
	for deadline := time.Now().Add(10 * time.Second); len(got) < 4; time.Sleep(20 * time.Millisecond) {
		var err error
		if got, err = h.HistorySince(ctx, start, 100); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("history has %d of the 4 changes", len(got))
		}
	}
	byType := map[live.ChangeType]live.Change{}
	for _, c := range got {
		byType[c.Type] = c
		if !c.Received.Equal(cs[0].Received.Truncate(time.Microsecond)) || !c.Time.Equal(at) {
			t.Errorf("%s: received %v (want %v), time %v", c.Type, c.Received, cs[0].Received, c.Time)
		}
	}
	if p := byType[live.ChangePosition]; p.Layer != "live.hazmat" || p.Position.Lon != 119.94 || p.Position.Speed != 42.5 {
		t.Errorf("position %+v %+v", p, p.Position)
	}
	if o := byType[live.ChangeObservation]; o.Kind != live.KindSensor || o.Observation.Values["temp"] != 11 || o.Observation.Unit != "m" {
		t.Errorf("observation %+v %+v", o, o.Observation)
	}
	if s := byType[live.ChangeState]; s.State["battery"] != 87.0 {
		t.Errorf("state %+v", s)
	}
	if e := byType[live.ChangeEvent]; e.Event == nil || e.Event.Name != "online" || e.Layer != "live.vehicle" {
		t.Errorf("event %+v", e)
	}
	if got, err := h.HistorySince(ctx, time.Now().Add(time.Minute), 100); err != nil || len(got) != 0 {
		t.Errorf("since later: %d, %v", len(got), err)
	}
	if got, err := h.HistorySince(ctx, start, 0); err != nil || len(got) <= 0 {
		t.Errorf("limit 0 must give more than 0 to say there are more: %d, %v", len(got), err)
	}
}
