package push

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yitu-gis/yitu/live"
)

// These tests drive a real hub (without a database: Publish puts changes on its stream as the alarm
// engine does) and a running broadcaster; clients are taken with Next as a transport takes them.

func newBroadcaster(t *testing.T, streamSize int, mod func(*Config)) (*live.Hub, *Broadcaster) {
	t.Helper()
	lcfg := live.DefaultConfig()
	lcfg.SpoolDir = t.TempDir()
	if streamSize > 0 {
		lcfg.StreamSize = streamSize
	}
	hub := live.NewHub(lcfg, nil, nil, nil)
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	b := New(cfg, Deps{Hub: hub, Metrics: prometheus.NewRegistry()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return hub, b
}

func position(id, layer string, lon, lat float64) live.Change {
	return live.Change{Type: live.ChangePosition, Object: id, Kind: live.KindVehicle, Layer: layer, Time: time.Now(),
		Position: &live.Position{Lon: lon, Lat: lat, Speed: 36.54, Heading: 90}}
}

func alarm(id, object, layer, state string) live.Change {
	return live.Change{Type: live.ChangeAlarm, Object: object, Kind: live.KindVehicle, Layer: layer, Time: time.Now(),
		Alarm: &live.Alarm{ID: id, Kind: "off_route", Object: object, Layer: layer, Level: live.LevelOrange, State: state, Title: "偏离路线"}}
}

func all(string) bool { return true }

// msg is a decoded message.
type msg struct {
	Type  string      `json:"type"`
	Seq   uint64      `json:"seq"`
	ID    string      `json:"id"`
	Layer string      `json:"layer"`
	Lon   float64     `json:"lon"`
	Speed float64     `json:"speed"`
	Alarm *live.Alarm `json:"alarm"`
	BBox  *[4]float64 `json:"bbox"`
}

// receive takes a client's messages until a batch brings one with the id (the changes before it
// were all handled: the broadcaster keeps the stream's order for distinct keys).
func receive(t *testing.T, c *Client, until string) []msg {
	t.Helper()
	return receiveUntil(t, c, func(ms []msg) bool {
		for _, m := range ms {
			if m.ID == until {
				return true
			}
		}
		return false
	})
}

// receiveUntil takes a client's messages, a batch at a time, until done says the ones so far are enough.
func receiveUntil(t *testing.T, c *Client, done func([]msg) bool) []msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []msg
	for {
		batch, err := c.Next(ctx, 0)
		if err != nil {
			t.Fatalf("receiving: %v (got %v)", err, ids(out))
		}
		for _, m := range batch {
			var d msg
			if err := json.Unmarshal(m.Data, &d); err != nil {
				t.Fatalf("%s: %v", m.Data, err)
			}
			if d.Type != m.Type {
				t.Errorf("message type %q, data %s", m.Type, m.Data)
			}
			out = append(out, d)
		}
		if done(out) {
			return out
		}
	}
}

// settle waits until the broadcaster has handled every change published so far.
func settle(t *testing.T, hub *live.Hub, b *Broadcaster) {
	t.Helper()
	probe := b.Connect("test", func(l string) bool { return l == "live.probe" }, nil)
	defer probe.Close()
	probe.SetFilter(&Filter{})
	receive(t, probe, "") // the snapshot
	hub.Publish([]live.Change{position("probe", "live.probe", 0, 0)})
	receive(t, probe, "probe")
}

func ids(ms []msg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Type+":"+m.ID)
	}
	return out
}

// TestFanOut: each client gets the changes in its box, kinds and layers that it may read; a mover
// leaving the box is sent once more; alarms reach whoever may read their layer, whatever the box;
// a change of a layer the client may not read never reaches it.
func TestFanOut(t *testing.T) {
	hub, b := newBroadcaster(t, 0, nil)
	town := &[4]float64{119.90, 37.15, 120.00, 37.20}
	public := func(l string) bool { return l != "live.hazmat" }
	everyone := b.Connect("test", all, &Filter{BBox: town})
	anon := b.Connect("test", public, &Filter{BBox: town})
	teams := b.Connect("test", all, &Filter{Kinds: []live.Kind{live.KindTeam}})
	hazmat := b.Connect("test", all, &Filter{Layers: []string{"live.hazmat"}})
	for _, c := range []*Client{everyone, anon, teams, hazmat} {
		if m := receive(t, c, ""); len(m) != 1 || m[0].Type != "snapshot" {
			t.Fatalf("first messages: %v", m)
		}
	}

	team := position("team-1", "live.team", 119.95, 37.17)
	team.Kind = live.KindTeam
	hub.Publish([]live.Change{
		position("car-1", "live.vehicle", 119.95, 37.17),
		position("far-1", "live.vehicle", 121.00, 37.17),                                       // outside the town
		position("truck-1", "live.hazmat", 119.96, 37.18),                                      // only for those who may read hazmat
		alarm("a-1", "truck-1", "live.hazmat", "raised"),                                       // likewise
		alarm("a-2", "far-1", "live.vehicle", "raised"),                                        // outside the box: alarms reach everyone anyway
		position("car-1", "live.vehicle", 121.00, 37.17),                                       // leaves the box: held for the interval (coalescing), then sent
		position("car-2", "live.vehicle", 121.00, 37.17),                                       // never in the box
		{Type: live.ChangeAlarm, Object: "x", Time: time.Now(), Alarm: &live.Alarm{ID: "a-3"}}, // no layer: nobody may read it
		team,
	})
	got := ids(receive(t, everyone, "team-1"))
	want := []string{"position:car-1", "position:truck-1", "alarm:truck-1", "alarm:far-1", "position:team-1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("everyone got %v, want %v", got, want)
	}
	if got := ids(receive(t, anon, "team-1")); fmt.Sprint(got) != "[position:car-1 alarm:far-1 position:team-1]" {
		t.Errorf("an anonymous map got %v", got)
	}
	if got := ids(receive(t, teams, "team-1")); fmt.Sprint(got) != "[position:team-1]" {
		t.Errorf("a map of teams got %v", got)
	}
	hub.Publish([]live.Change{position("truck-end", "live.hazmat", 119.96, 37.18)})
	if got := ids(receive(t, hazmat, "truck-end")); fmt.Sprint(got) != "[position:truck-1 alarm:truck-1 position:truck-end]" {
		t.Errorf("a map of hazmat got %v", got)
	}
}

// TestLeavingTheBox: a mover that was in the box is sent the position that takes it out.
func TestLeavingTheBox(t *testing.T) {
	hub, b := newBroadcaster(t, 0, func(c *Config) { c.FlushEvery = time.Nanosecond })
	c := b.Connect("test", all, &Filter{BBox: &[4]float64{119.90, 37.15, 120.00, 37.20}})
	receive(t, c, "")
	hub.Publish([]live.Change{position("car-1", "live.vehicle", 119.95, 37.17)})
	receive(t, c, "car-1")
	hub.Publish([]live.Change{position("car-1", "live.vehicle", 121.00, 37.17)})
	if m := receive(t, c, "car-1"); m[0].Lon != 121 {
		t.Errorf("the position out of the box: %+v", m)
	}
	hub.Publish([]live.Change{position("car-1", "live.vehicle", 121.10, 37.17), position("car-2", "live.vehicle", 119.95, 37.17)})
	if m := receive(t, c, "car-2"); len(m) != 1 {
		t.Errorf("a mover outside the box was sent: %+v", m)
	}
}

// TestCoalescing: within one interval an object is sent once and then its latest change; every
// alarm's latest state arrives.
func TestCoalescing(t *testing.T) {
	hub, b := newBroadcaster(t, 0, func(c *Config) { c.FlushEvery = 20 * time.Millisecond })
	c := b.Connect("test", all, &Filter{})
	receive(t, c, "")
	var cs []live.Change
	for i := range 100 {
		p := position("car-1", "live.vehicle", 119.95, 37.17)
		p.Position.Speed = float64(i)
		cs = append(cs, p)
	}
	states := []string{live.AlarmRaised, "updated", live.AlarmAcknowledged, live.AlarmCleared, live.AlarmClosed}
	for _, st := range states {
		for _, id := range []string{"a-1", "a-2", "a-3"} {
			cs = append(cs, alarm(id, "car-"+id, "live.vehicle", st))
		}
	}
	hub.Publish(cs)
	ms := receiveUntil(t, c, func(ms []msg) bool {
		closed, fast := 0, false
		for _, m := range ms {
			if m.Alarm != nil && m.Alarm.State == live.AlarmClosed {
				closed++
			}
			fast = fast || m.Speed == 99
		}
		return closed == 3 && fast
	})
	var speeds []float64
	alarms := 0
	for _, m := range ms {
		if m.Type == "position" {
			speeds = append(speeds, m.Speed)
		} else {
			alarms++
		}
	}
	if fmt.Sprint(speeds) != "[0 99]" || alarms != 6 {
		t.Errorf("speeds sent %v, alarm messages %d (want the first and the last of each)", speeds, alarms)
	}
	if n := testutil.ToFloat64(b.metrics.coalesced); n != 98+3*3 {
		t.Errorf("coalesced %v, want %d", n, 98+3*3)
	}
}

// TestLaggingClientCoalesced: a client that has not taken its messages for longer than the interval
// is sent the latest of an object, once.
func TestLaggingClientCoalesced(t *testing.T) {
	hub, b := newBroadcaster(t, 0, func(c *Config) { c.FlushEvery = 5 * time.Millisecond })
	lagging := b.Connect("test", all, &Filter{})
	watcher := b.Connect("test", all, &Filter{})
	receive(t, watcher, "")
	for i := range 5 {
		p := position("car-1", "live.vehicle", 119.95, 37.17)
		p.Position.Speed = float64(i)
		hub.Publish([]live.Change{p})
		receiveUntil(t, watcher, func(ms []msg) bool { return len(ms) > 0 && ms[len(ms)-1].Speed == float64(i) })
	}
	ms := receive(t, lagging, "car-1") // the queued change, then the snapshot (taken later, so newer)
	if len(ms) != 2 || ms[0].Speed != 4 || ms[1].Type != "snapshot" {
		t.Errorf("the lagging client got %+v", ms)
	}
	if n := testutil.ToFloat64(b.metrics.coalesced); n != 4 {
		t.Errorf("coalesced %v, want 4", n)
	}
}

// TestSlowClientDropped: a client that takes nothing is dropped once too much waits for it; the
// others get everything.
func TestSlowClientDropped(t *testing.T) {
	hub, b := newBroadcaster(t, 0, func(c *Config) { c.MaxPending = 10 })
	slow := b.Connect("test", all, &Filter{})
	fast := b.Connect("test", all, &Filter{})
	receive(t, fast, "")
	for i := range 4 {
		var cs []live.Change
		for j := range 5 {
			cs = append(cs, position(fmt.Sprintf("car-%d-%d", i, j), "live.vehicle", 119.95, 37.17))
		}
		hub.Publish(cs)
		if m := receive(t, fast, fmt.Sprintf("car-%d-4", i)); len(m) != 5 {
			t.Errorf("the fast client got %d of 5", len(m))
		}
	}
	<-slow.Done()
	if slow.Reason() != ReasonSlow {
		t.Errorf("reason %q", slow.Reason())
	}
	if _, err := slow.Next(context.Background(), 0); err != ErrClosed {
		t.Errorf("Next after the drop: %v", err)
	}
	if n := testutil.ToFloat64(b.metrics.dropped.WithLabelValues(ReasonSlow)); n != 1 {
		t.Errorf("dropped{slow} = %v", n)
	}
	if b.Clients() != 1 {
		t.Errorf("%d clients", b.Clients())
	}
}

// TestGapResync: when the broadcaster falls behind the stream's ring, every client is told to
// resync and sent a snapshot.
func TestGapResync(t *testing.T) {
	hub, b := newBroadcaster(t, 16, nil)
	c := b.Connect("test", all, &Filter{})
	receive(t, c, "")
	var cs []live.Change
	for i := range 100 {
		cs = append(cs, position(fmt.Sprintf("car-%02d", i), "live.vehicle", 119.95, 37.17))
	}
	hub.Publish(cs) // one append of 100 onto a ring of 16: the reader is behind
	ms := receiveUntil(t, c, func(ms []msg) bool {
		snapshot, last := false, false
		for _, m := range ms {
			snapshot, last = snapshot || m.Type == "snapshot", last || m.ID == "car-99"
		}
		return snapshot && last
	})
	if ms[0].Type != "resync" {
		t.Fatalf("first message %+v", ms[0])
	}
	if n := testutil.ToFloat64(b.metrics.gaps); n != 1 {
		t.Errorf("gaps %v", n)
	}
}

// TestSetFilter: a new box brings one snapshot of it, after what was queued.
func TestSetFilter(t *testing.T) {
	hub, b := newBroadcaster(t, 0, nil)
	c := b.Connect("test", all, nil)
	hub.Publish([]live.Change{position("car-1", "live.vehicle", 119.95, 37.17)})
	settle(t, hub, b)
	box := &[4]float64{119.9, 37.1, 120, 37.2}
	c.SetFilter(&Filter{BBox: box})
	hub.Publish([]live.Change{position("car-2", "live.vehicle", 119.95, 37.17)})
	// The snapshot comes after whatever was queued when the client next reads, so car-2 may come
	// before it or after it, depending on whether the reader ran first.
	ms := receiveUntil(t, c, func(ms []msg) bool {
		snapshot, car2 := false, false
		for _, m := range ms {
			snapshot, car2 = snapshot || m.Type == "snapshot", car2 || m.ID == "car-2"
		}
		return snapshot && car2
	})
	snapshots := 0
	for _, m := range ms {
		if m.Type == "snapshot" {
			snapshots++
			if m.BBox == nil || *m.BBox != *box {
				t.Errorf("snapshot for box %v, want %v", m.BBox, *box)
			}
		}
	}
	if snapshots != 1 {
		t.Errorf("after SetFilter, %d snapshots: %+v", snapshots, ms)
	}
	for _, m := range ms {
		if m.ID == "car-1" {
			t.Error("a change before the subscription was sent")
		}
	}
}

// TestReplayFromRing: a reconnecting client is replayed what it missed from the ring, coalesced per
// object; one away too long, or missing more than the ring holds without history, resyncs.
func TestReplayFromRing(t *testing.T) {
	hub, b := newBroadcaster(t, 0, nil)
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	hub.SetClock(func() time.Time { return now })
	hub.Publish([]live.Change{position("car-0", "live.vehicle", 119.95, 37.17)})
	now = now.Add(time.Minute)
	last := now
	hub.Publish([]live.Change{position("car-1", "live.vehicle", 119.95, 37.17)})
	now = now.Add(time.Minute)
	p := position("car-2", "live.vehicle", 119.95, 37.17)
	hub.Publish([]live.Change{p, p, alarm("a-1", "truck-1", "live.hazmat", "raised"), position("car-3", "live.vehicle", 121, 37.17)})
	p.Position.Speed, p.Time = 50, p.Time.Add(time.Second)
	hub.Publish([]live.Change{p})
	settle(t, hub, b)

	c := b.Connect("test", func(l string) bool { return l == "live.vehicle" }, &Filter{BBox: &[4]float64{119.9, 37.1, 120, 37.2}})
	if got := c.Replay(context.Background(), last); got != "ring" {
		t.Fatalf("replayed from %s", got)
	}
	hub.Publish([]live.Change{position("car-end", "live.vehicle", 119.95, 37.17)})
	ms := receive(t, c, "car-end")
	if got := ids(ms); fmt.Sprint(got) != "[position:car-1 position:car-2 position:car-end]" || ms[1].Speed != 50 {
		t.Errorf("replayed %v (%+v)", got, ms)
	}

	old := b.Connect("test", all, &Filter{})
	if got := old.Replay(context.Background(), now.Add(-time.Hour)); got != "resync" {
		t.Errorf("an hour away: %s", got)
	}
	if ms := receive(t, old, ""); ms[0].Type != "resync" || ms[len(ms)-1].Type != "snapshot" {
		t.Errorf("an hour away: %v", ids(ms))
	}
	// Before the first change the ring holds, with no history to ask: resync.
	early := b.Connect("test", all, &Filter{})
	if got := early.Replay(context.Background(), now.Add(-10*time.Minute)); got != "resync" {
		t.Errorf("before the ring: %s", got)
	}
}

func TestFilterValidate(t *testing.T) {
	for _, tc := range []struct {
		f     Filter
		param string
	}{
		{Filter{}, ""},
		{Filter{BBox: &[4]float64{119, 37, 120, 38}, Kinds: []live.Kind{live.KindVehicle, live.KindHotspot}, Layers: []string{"live.hazmat"}}, ""},
		{Filter{BBox: &[4]float64{120, 37, 119, 38}}, "bbox"},
		{Filter{BBox: &[4]float64{119, 37, 200, 38}}, "bbox"},
		{Filter{Kinds: []live.Kind{"boat"}}, "kinds"},
		{Filter{Layers: []string{"basemap.road"}}, "layers"},
	} {
		err := tc.f.Validate()
		if (err == nil) != (tc.param == "") || (err != nil && !strings.Contains(err.Error(), tc.param)) {
			t.Errorf("%+v: %v, want a fault in %q", tc.f, err, tc.param)
		}
	}
}
