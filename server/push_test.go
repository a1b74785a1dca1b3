package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/push"
)

// The push tests run the real server over the real database with a running hub and broadcaster,
// with real WebSocket and EventSource-like clients on TCP.

const (
	carIn   = "013900000001" // a patrol car, in the town
	carOut  = "013900000002" // a patrol car, outside the town at first
	truck   = "013912345678" // a hazmat truck, in the town
	busyCar = "013900000003"
)

var town = [4]float64{119.93, 37.17, 119.96, 37.20}

// registerVehicles puts the test's vehicles in the registry and the hub.
func registerVehicles(t testing.TB, c *city, extra ...live.Device) {
	t.Helper()
	ctx := context.Background()
	reg := live.NewRegistry(c.pool)
	devs := append([]live.Device{
		{ID: carIn, Kind: live.KindVehicle, Plate: "鲁F00001", VehicleKind: "patrol"},
		{ID: carOut, Kind: live.KindVehicle, Plate: "鲁F00002", VehicleKind: "patrol"},
		{ID: busyCar, Kind: live.KindVehicle, Plate: "鲁F00003", VehicleKind: "patrol"},
		{ID: truck, Kind: live.KindVehicle, Plate: "鲁F12345", VehicleKind: "hazmat", UN: "1203", HazardClass: "3"},
	}, extra...)
	for _, d := range devs {
		if err := reg.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
}

// restrictHazmat lets only planners read live.hazmat, and waits for the catalog to say so.
func restrictHazmat(t *testing.T, c *city) {
	t.Helper()
	mustExec(t, c.pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'live.hazmat'`)
	waitLive(t, func() bool {
		l, ok := c.catalog.Current().Layer("live.hazmat")
		return ok && strings.Join(l.ReadRoles, ",") == "planner"
	})
}

// postPositions pushes positions over HTTP as a device system does: id, lon, lat each.
func (c *city) postPositions(t testing.TB, at time.Time, fixes ...any) {
	t.Helper()
	var items []string
	for i := 0; i+2 < len(fixes); i += 3 {
		items = append(items, fmt.Sprintf(`{"id":%q,"time":%q,"lon":%v,"lat":%v,"speed":30}`, fixes[i], at.UTC().Format(time.RFC3339Nano), fixes[i+1], fixes[i+2]))
	}
	if r := c.do(t, "POST", "/live/positions", c.device, "["+strings.Join(items, ",")+"]"); r.status != 202 {
		t.Fatalf("POST /live/positions: %d %s", r.status, r.body)
	}
}

type pushMsg map[string]any

func (m pushMsg) is(typ, id string) bool { return m["type"] == typ && (id == "" || m["id"] == id) }

func seen(ms []pushMsg, typ, id string) bool {
	for _, m := range ms {
		if m.is(typ, id) {
			return true
		}
	}
	return false
}

// snapshotIDs are the ids of the features of the last snapshot in ms.
func snapshotIDs(ms []pushMsg) []string {
	var out []string
	for _, m := range ms {
		if m["type"] == "snapshot" {
			out = []string{}
			for _, f := range m["features"].([]any) {
				out = append(out, f.(map[string]any)["id"].(string))
			}
		}
	}
	return out
}

func (c *city) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(c.base, "http") + "/live/ws" + query
}

// dialWS opens /live/ws; token goes in the Authorization header unless the query carries one.
func (c *city) dialWS(t testing.TB, token, query string) *fws.Conn {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := fws.DefaultDialer.Dial(c.wsURL(query), h)
	if err != nil {
		t.Fatalf("dialling /live/ws: %v (%v)", err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func subscribe(t testing.TB, conn *fws.Conn, f string) {
	t.Helper()
	if err := conn.WriteMessage(fws.TextMessage, []byte(`{"subscribe":`+f+`}`)); err != nil {
		t.Fatal(err)
	}
}

// readWS reads messages until done says the ones so far are enough. Each WebSocket message is one
// JSON object with a type. (The deadline only keeps a broken test from hanging.)
func readWS(t testing.TB, conn *fws.Conn, done func([]pushMsg) bool) []pushMsg {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var out []pushMsg
	for !done(out) {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("reading /live/ws: %v (so far %v)", err, out)
		}
		var m pushMsg
		if typ != fws.TextMessage || json.Unmarshal(data, &m) != nil || m["type"] == nil {
			t.Fatalf("not a JSON object with a type in a text message: %d %.200s", typ, data)
		}
		out = append(out, m)
	}
	return out
}

func until(typ, id string) func([]pushMsg) bool {
	return func(ms []pushMsg) bool { return seen(ms, typ, id) }
}

// TestLivePushWebSocket: a map subscribes with a box and gets the positions pushed in it, not those
// outside; a new box brings a snapshot; a caller who may not read live.hazmat gets none of a hazmat
// truck's positions or alarms, whatever token way; bad input closes with its reason.
func TestLivePushWebSocket(t *testing.T) {
	c := newCity(t)
	registerVehicles(t, c)
	restrictHazmat(t, c)
	planner := c.dialWS(t, c.planner, "")
	anon := c.dialWS(t, "", "")
	box := fmt.Sprintf(`{"bbox":[%v,%v,%v,%v]}`, town[0], town[1], town[2], town[3])
	subscribe(t, planner, box)
	subscribe(t, anon, box)
	for _, conn := range []*fws.Conn{planner, anon} {
		if ms := readWS(t, conn, until("snapshot", "")); len(snapshotIDs(ms)) != 0 {
			t.Errorf("the first snapshot: %v", ms)
		}
	}

	now := time.Now()
	c.postPositions(t, now, carIn, 119.945, 37.185, carOut, 120.5, 37.5, truck, 119.95, 37.18)
	ms := readWS(t, planner, until("position", truck))
	if !seen(ms, "position", carIn) || seen(ms, "position", carOut) {
		t.Errorf("the planner's map got %v", ms)
	}
	var p pushMsg
	for _, m := range ms {
		if m.is("position", carIn) {
			p = m
		}
	}
	if p["lon"] != 119.945 || p["lat"] != 37.185 || p["speed"] != 30.0 || p["kind"] != "vehicle" || p["layer"] != "live.vehicle" ||
		p["time"] != now.UTC().Format(time.RFC3339Nano) || p["seq"] == nil {
		t.Errorf("a position message: %v", p)
	}

	// Alarms: the hazmat one only to whoever may read live.hazmat.
	c.hub.Publish([]live.Change{
		{Type: live.ChangeAlarm, Object: truck, Kind: live.KindVehicle, Layer: "live.hazmat", Time: now,
			Alarm: &live.Alarm{ID: "al-1", Kind: "off_route", Object: truck, Layer: "live.hazmat", Level: live.LevelOrange, State: live.AlarmRaised, Title: "危化品车辆偏离路线"}},
		{Type: live.ChangeAlarm, Object: carIn, Kind: live.KindVehicle, Layer: "live.vehicle", Time: now,
			Alarm: &live.Alarm{ID: "al-2", Kind: "speed", Object: carIn, Layer: "live.vehicle", Level: live.LevelBlue, State: live.AlarmRaised, Title: "超速"}},
	})
	ms = readWS(t, anon, until("alarm", carIn))
	for _, m := range ms {
		if m["id"] == truck || m["layer"] == "live.hazmat" {
			t.Errorf("a map that may not read live.hazmat got %v", m)
		}
	}
	if !seen(ms, "position", carIn) {
		t.Errorf("the anonymous map got %v", ms)
	}
	ms = readWS(t, planner, until("alarm", carIn))
	if !seen(ms, "alarm", truck) {
		t.Errorf("the planner's map got no hazmat alarm: %v", ms)
	}
	for _, m := range ms {
		if m.is("alarm", truck) && m["alarm"].(map[string]any)["title"] != "危化品车辆偏离路线" {
			t.Errorf("the alarm: %v", m)
		}
	}

	// The map moves: a snapshot of the new box, then its changes.
	subscribe(t, planner, `{"bbox":[120.4,37.4,120.6,37.6],"kinds":["vehicle"]}`)
	if ids := snapshotIDs(readWS(t, planner, until("snapshot", ""))); fmt.Sprint(ids) != "["+carOut+"]" {
		t.Errorf("the new box's snapshot: %v", ids)
	}
	c.postPositions(t, now.Add(time.Second), carOut, 120.51, 37.5)
	if ms := readWS(t, planner, until("position", carOut)); seen(ms, "position", carIn) {
		t.Errorf("after the move: %v", ms)
	}

	// The token as a query parameter: the planner's rights; a bad token is refused.
	byQuery := c.dialWS(t, "", "?access_token="+c.planner)
	subscribe(t, byQuery, `{}`)
	if ids := snapshotIDs(readWS(t, byQuery, until("snapshot", ""))); !strings.Contains(fmt.Sprint(ids), truck) {
		t.Errorf("a planner's token in the query: the snapshot lacks the truck: %v", ids)
	}
	subscribe(t, anon, `{}`)
	if ids := snapshotIDs(readWS(t, anon, until("snapshot", ""))); strings.Contains(fmt.Sprint(ids), truck) || len(ids) != 2 {
		t.Errorf("an anonymous snapshot of everything: %v", ids)
	}
	if _, resp, err := fws.DefaultDialer.Dial(c.wsURL("?access_token=nonsense"), nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("a bad token: %v, %v", err, resp)
	}
	c.get(t, "/live/ws").problem(t, 426)

	// Bad input closes the connection with the reason.
	bad := c.dialWS(t, "", "")
	subscribe(t, bad, `{"bbox":[1,2,3]}`)
	_ = bad.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, _, err := bad.ReadMessage()
	var ce *fws.CloseError
	if !errors.As(err, &ce) || ce.Code != fws.ClosePolicyViolation || !strings.Contains(ce.Text, "bbox") {
		t.Errorf("a bad subscription: %v", err)
	}
	bad2 := c.dialWS(t, "", "")
	if err := bad2.WriteMessage(fws.TextMessage, []byte(`{"subscribe":{"kinds":["boat"]},"x":1}`)); err != nil {
		t.Fatal(err)
	}
	_, _, err = bad2.ReadMessage()
	if !errors.As(err, &ce) || ce.Code != fws.ClosePolicyViolation || !strings.Contains(ce.Text, `"x"`) {
		t.Errorf("an unknown field: %v", err)
	}
	waitLive(t, func() bool { return metricValue(t, c, "yitu_push_clients_dropped_total", "reason", "bad_input") == 2 })
	waitLive(t, func() bool { return metricValue(t, c, "yitu_push_clients", "transport", "ws") == 3 })
}

// metricValue reads a counter or gauge with one label from the city's registry.
func metricValue(t testing.TB, c *city, name, label, value string) float64 {
	t.Helper()
	fams, err := c.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					if m.Counter != nil {
						return m.Counter.GetValue()
					}
					return m.Gauge.GetValue()
				}
			}
		}
	}
	return 0
}

// sseStream is an EventSource-like reader of /live/sse.
type sseStream struct {
	resp   *http.Response
	sc     *bufio.Scanner
	cancel context.CancelFunc
}

type sseEvent struct {
	id, typ string
	data    pushMsg
}

func (c *city) openSSE(t testing.TB, path string, headers ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	s := &sseStream{resp: resp, sc: sc, cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next reads one event (comments and retry lines are skipped).
func (s *sseStream) next(t testing.TB) sseEvent {
	t.Helper()
	stop := time.AfterFunc(30*time.Second, s.cancel) // only keeps a broken test from hanging
	defer stop.Stop()
	var e sseEvent
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if e.typ != "" {
				return e
			}
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &e.data); err != nil {
				t.Fatalf("data %q: %v", line, err)
			}
		}
	}
	t.Fatalf("the event stream ended: %v", s.sc.Err())
	return e
}

// until reads events until one of the type and object arrives.
func (s *sseStream) until(t testing.TB, typ, id string) []sseEvent {
	t.Helper()
	var out []sseEvent
	for {
		e := s.next(t)
		out = append(out, e)
		if e.typ == typ && (id == "" || e.data["id"] == id) {
			return out
		}
	}
}

func sawEvent(es []sseEvent, typ, id string, lon float64) bool {
	for _, e := range es {
		if e.typ == typ && e.data["id"] == id && (lon == 0 || e.data["lon"] == lon) {
			return true
		}
	}
	return false
}

func bboxQuery(b [4]float64) string { return fmt.Sprintf("bbox=%v,%v,%v,%v", b[0], b[1], b[2], b[3]) }

// TestLivePushSSE: events arrive; a client that reconnects with its last event id is replayed what
// it missed from the ring; the token works as access_token.
func TestLivePushSSE(t *testing.T) {
	// A replay starts a margin before the last id (5 s by default); a small one here, so that the
	// ring, which holds the changes since the city started, reaches back before it.
	c := newCityWith(t, cityOptions{push: func(cfg *push.Config) { cfg.ReplayMargin, cfg.FlushEvery = time.Microsecond, time.Microsecond }})
	registerVehicles(t, c)
	restrictHazmat(t, c)
	c.postPositions(t, time.Now().Add(-time.Minute), busyCar, 119.1, 37.1) // an older change in the ring
	s := c.openSSE(t, "/live/sse?"+bboxQuery(town)+"&kinds=vehicle&access_token="+c.planner)
	if e := s.next(t); e.typ != "snapshot" || e.id == "" {
		t.Fatalf("first event %+v", e)
	}
	t0 := time.Now()
	c.postPositions(t, t0, carIn, 119.945, 37.185)
	es := s.until(t, "position", carIn)
	last := es[len(es)-1].id
	s.close()

	// Missed while away: the car moved, another came into the box, the truck (the planner may read it).
	c.postPositions(t, t0.Add(time.Second), carIn, 119.946, 37.185, carOut, 119.94, 37.18, truck, 119.95, 37.19)
	s = c.openSSE(t, "/live/sse?"+bboxQuery(town)+"&kinds=vehicle&access_token="+c.planner, "Last-Event-ID", last)
	var got []sseEvent
	for !sawEvent(got, "position", carIn, 119.946) || !sawEvent(got, "position", carOut, 0) || !sawEvent(got, "position", truck, 0) {
		got = append(got, s.next(t))
	}
	if got[0].typ == "snapshot" {
		t.Error("a replayed client was sent a snapshot")
	}
	if n := metricValue(t, c, "yitu_push_replays_total", "source", "ring"); n != 1 {
		t.Errorf("replays from the ring: %v", n)
	}

	// Anonymous callers: no hazmat.
	anon := c.openSSE(t, "/live/sse?kind=vehicle")
	if e := anon.next(t); e.typ != "snapshot" || strings.Contains(fmt.Sprint(e.data), truck) || !strings.Contains(fmt.Sprint(e.data), carOut) {
		t.Errorf("an anonymous snapshot: %v", e.data)
	}
	c.get(t, "/live/sse?bbox=1,2").problem(t, 400)
	c.get(t, "/live/sse?kinds=boat").problem(t, 400)
	c.get(t, "/live/sse", "Last-Event-ID", "yesterday").problem(t, 400)
}

// TestLivePushSSEReplayFromHistory: a client away while more changes came than the ring holds is
// replayed from the history tables.
func TestLivePushSSEReplayFromHistory(t *testing.T) {
	c := newCityWith(t, cityOptions{live: func(cfg *live.Config) { cfg.StreamSize = 16 }})
	registerVehicles(t, c)
	s := c.openSSE(t, "/live/sse?"+bboxQuery(town))
	s.next(t)
	t0 := time.Now().Add(-time.Minute)
	c.postPositions(t, t0, carIn, 119.945, 37.185)
	es := s.until(t, "position", carIn)
	last := es[len(es)-1].id
	s.close()

	c.postPositions(t, t0.Add(time.Second), carOut, 119.94, 37.18)
	for i := range 40 { // pushes carOut's change out of the ring of 16
		c.postPositions(t, t0.Add(time.Duration(2+i)*time.Second), busyCar, 119.94+float64(i)*0.0001, 37.19)
	}
	lastLon := 119.94 + float64(39)*0.0001
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM live.position WHERE object_id = $1`, carOut) == 1 &&
			c.count(t, `SELECT count(*) FROM live.position WHERE object_id = $1`, busyCar) == 40
	})
	if cs, covered := c.hub.Stream().Since(t0, 100); covered || len(cs) != 16 {
		t.Fatalf("the ring still holds what was missed: %d, %v", len(cs), covered)
	}
	s = c.openSSE(t, "/live/sse?"+bboxQuery(town)+"&last_event_id="+last)
	var got []sseEvent
	for !sawEvent(got, "position", carOut, 0) || !sawEvent(got, "position", busyCar, lastLon) {
		got = append(got, s.next(t))
	}
	if n := metricValue(t, c, "yitu_push_replays_total", "source", "history"); n != 1 {
		t.Errorf("replays from history: %v", n)
	}
	for _, e := range got {
		if e.typ == "position" && e.data["id"] == busyCar && e.data["lon"] != lastLon {
			t.Errorf("a replay sent an older position of a car: %v", e.data)
		}
	}
}

// TestLivePushSSEReplaysIncidents: an incident reported while a map was away, its change pushed out
// of the ring, is replayed from the incident store when the map reconnects.
func TestLivePushSSEReplaysIncidents(t *testing.T) {
	c := newCityWith(t, cityOptions{live: func(cfg *live.Config) { cfg.StreamSize = 16 }})
	registerVehicles(t, c)
	t0 := time.Now().Add(-time.Minute)
	s := c.openSSE(t, "/live/sse?access_token="+c.operator)
	s.next(t)
	c.postPositions(t, t0, carIn, 119.945, 37.185)
	es := s.until(t, "position", carIn)
	last := es[len(es)-1].id
	s.close()

	in, err := c.incidents.Report(context.Background(), command.Report{Type: "hazmat", Title: "重连期间上报的泄漏",
		Geometry: json.RawMessage(`{"type":"Point","coordinates":[119.941,37.181]}`)}, "值班员")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 { // pushes the incident's change out of the ring of 16
		c.postPositions(t, t0.Add(time.Duration(2+i)*time.Second), busyCar, 119.94+float64(i)*0.0001, 37.19)
	}
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM live.position WHERE object_id = $1`, busyCar) == 40
	})
	if cs, covered := c.hub.Stream().Since(in.UpdatedAt.Add(-5*time.Second), 100); covered {
		t.Fatalf("the ring still holds what was missed: %d", len(cs))
	}
	s = c.openSSE(t, "/live/sse?access_token="+c.operator+"&last_event_id="+last)
	want := fmt.Sprintf("incident-%d", in.ID)
	var got []sseEvent
	for !sawEvent(got, "incident", want, 0) {
		got = append(got, s.next(t))
	}
	if n := metricValue(t, c, "yitu_push_replays_total", "source", "history"); n != 1 {
		t.Errorf("replays from history: %v", n)
	}
}

// TestLivePushSlowClient: a map that never reads does not hold up the others and is dropped.
func TestLivePushSlowClient(t *testing.T) {
	c := newCityWith(t, cityOptions{push: func(cfg *push.Config) {
		cfg.WriteTimeout = 300 * time.Millisecond
		cfg.FlushEvery = time.Millisecond
	}})
	var many []live.Device
	for i := range 50 {
		many = append(many, live.Device{ID: fmt.Sprintf("0139100000%02d", i), Kind: live.KindVehicle, Plate: fmt.Sprintf("鲁F1%04d", i), VehicleKind: "patrol"})
	}
	registerVehicles(t, c, many...)

	// The slow client reads nothing, through a small receive buffer.
	dialer := *fws.DefaultDialer
	dialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return errors.Join(err, serr)
		}}
		return d.DialContext(ctx, network, addr)
	}
	slow, _, err := dialer.Dial(c.wsURL(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	subscribe(t, slow, `{}`)

	fast := c.dialWS(t, "", "")
	subscribe(t, fast, `{}`)
	go func() { // the fast client reads all the time
		for {
			if _, _, err := fast.ReadMessage(); err != nil {
				return
			}
		}
	}()

	t0 := time.Now().Add(-time.Hour)
	deadline := time.Now().Add(2 * time.Minute) // keeps a broken test from hanging
	for round := 0; metricValue(t, c, "yitu_push_clients_dropped_total", "reason", "write_timeout") == 0; round++ {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was never dropped")
		}
		var fixes []any
		for _, d := range many {
			fixes = append(fixes, d.ID, 119.94+float64(round%100)*0.0001, 37.18)
		}
		c.postPositions(t, t0.Add(time.Duration(round)*time.Second), fixes...)
		// A new box each time: a snapshot of the 50 cars each time, while nothing is read.
		_ = slow.WriteMessage(fws.TextMessage, []byte(fmt.Sprintf(`{"subscribe":{"bbox":[119,37,%d,38]}}`, 120+round%2)))
	}
	waitLive(t, func() bool { return metricValue(t, c, "yitu_push_clients", "transport", "ws") == 1 })

	// The fast client is still served.
	sentinel := make(chan struct{})
	fast2 := c.dialWS(t, "", "")
	subscribe(t, fast2, `{}`)
	readWS(t, fast2, until("snapshot", ""))
	go func() {
		readWS(t, fast2, until("position", carIn))
		close(sentinel)
	}()
	c.postPositions(t, time.Now(), carIn, 119.945, 37.185)
	<-sentinel

	// The slow client's connection ends (after what the buffers held).
	_ = slow.SetReadDeadline(time.Now().Add(time.Minute))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("the slow client's connection is still open")
			}
			break
		}
	}
}

// TestAccessTokenOnlyOnPushRoutes: access_token authenticates /live/ws and /live/sse and is refused
// everywhere else.
func TestAccessTokenOnlyOnPushRoutes(t *testing.T) {
	c := newCity(t)
	for _, path := range []string{"/live/objects?access_token=" + c.planner, "/collections?access_token=" + c.planner, "/live/devices?access_token=x"} {
		p := c.get(t, path).problem(t, 400)
		if p.Parameter != "access_token" || strings.Contains(p.Instance, "access_token") {
			t.Errorf("%s: %+v", path, p)
		}
	}
	c.get(t, "/live/sse?access_token=nonsense").problem(t, 401)
	c.do(t, "GET", "/live/sse?access_token="+c.planner, c.planner, "").problem(t, 400)
	s := c.openSSE(t, "/live/sse?access_token="+c.planner)
	if e := s.next(t); e.typ != "snapshot" {
		t.Errorf("first event %+v", e)
	}
}

// TestShutdownEndsPushStreams: SIGTERM with maps connected over WebSocket and SSE ends both at once,
// each told to reconnect (a close frame "going away", an SSE close event), and the server stops
// without waiting on them.
func TestShutdownEndsPushStreams(t *testing.T) {
	c := newCity(t)
	ws := c.dialWS(t, "", "")
	subscribe(t, ws, `{"kinds":["vehicle"]}`)
	readWS(t, ws, until("snapshot", ""))
	resp, err := http.Get(c.base + "/live/sse?kinds=vehicle")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sse := bufio.NewReader(resp.Body)
	if line, err := sse.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("the SSE stream's first line: %q %v", line, err)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- c.stop() }()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	var ce *fws.CloseError
	for {
		if _, _, err = ws.ReadMessage(); err != nil {
			break
		}
	}
	if !errors.As(err, &ce) || ce.Code != fws.CloseGoingAway || !strings.Contains(ce.Text, "shutting down") {
		t.Errorf("the WebSocket at shutdown: %v", err)
	}
	rest, _ := io.ReadAll(sse) // ends when the server closes the stream
	if !strings.Contains(string(rest), "event: close\ndata: \"the server is shutting down: reconnect\"") {
		t.Errorf("the SSE stream at shutdown ended with %q", rest)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serve: %v", err)
	}
}
