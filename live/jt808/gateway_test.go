package jt808

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// fakeIngester is an in-memory registry of devices that records what it accepts.
type fakeIngester struct {
	mu      sync.Mutex
	devices map[string]live.Device
	calls   [][]live.Change
	err     error // when set, Accept refuses everything with it
}

func newFake(devs ...live.Device) *fakeIngester {
	in := &fakeIngester{devices: map[string]live.Device{}}
	for _, d := range devs {
		in.devices[d.ID] = d
	}
	return in
}

func (in *fakeIngester) Accept(_ context.Context, changes []live.Change) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err != nil {
		return in.err
	}
	for _, c := range changes {
		if _, ok := in.devices[c.Object]; !ok {
			return fmt.Errorf("change of %s: %w", c.Object, live.ErrUnknownDevice)
		}
	}
	in.calls = append(in.calls, append([]live.Change(nil), changes...))
	return nil
}

func (in *fakeIngester) Device(id string) (live.Device, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	d, ok := in.devices[id]
	return d, ok
}

func (in *fakeIngester) setErr(err error) {
	in.mu.Lock()
	in.err = err
	in.mu.Unlock()
}

// accepted returns the changes of a type accepted so far, and the number of Accept calls.
func (in *fakeIngester) accepted(typ live.ChangeType) ([]live.Change, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []live.Change
	for _, call := range in.calls {
		for _, c := range call {
			if c.Type == typ {
				out = append(out, c)
			}
		}
	}
	return out, len(in.calls)
}

const (
	truckPhone = "013912345678"
	teamPhone  = "00000000013800000001" // a 2019 terminal
)

func devices() []live.Device {
	return []live.Device{
		{ID: truckPhone, Kind: live.KindVehicle, VehicleKind: "hazmat", Plate: "鲁F·A1234", PlateColor: 2, AuthCode: "truck-code"},
		{ID: teamPhone, Kind: live.KindTeam, AuthCode: "team-code"},
		{ID: "013900000000", Kind: live.KindSensor, AuthCode: "sensor"},
		{ID: "013900000001", Kind: live.KindVehicle}, // no auth code
	}
}

// syncBuffer is a log destination safe for the gateway's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testGateway struct {
	*Gateway
	addr string
	reg  *prometheus.Registry
	logs *syncBuffer
	stop func() error
}

// startGateway serves a gateway on a loopback port until the test ends.
func startGateway(t testing.TB, in live.Ingester, cfg Config) *testGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &testGateway{reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(tg.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tg.Gateway = NewGateway(cfg, in, log, tg.reg)
	tg.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tg.Serve(ctx, ln) }()
	var once sync.Once
	var serr error
	tg.stop = func() error {
		once.Do(func() {
			cancel()
			serr = <-done
		})
		return serr
	}
	t.Cleanup(func() {
		if err := tg.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return tg
}

// metric returns the value of a counter or gauge, labels as name=value pairs.
func (tg *testGateway) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := tg.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s %v", name, labels)
	return 0
}

// term is a terminal on the other end of a TCP connection.
type term struct {
	t      testing.TB
	nc     net.Conn
	fr     *FrameReader
	dec    Decoder
	h      Header
	serial uint16
	// platform serial the next reply should carry
	want uint16
}

func dial(t testing.TB, addr, phone string) *term {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	p := MustPhone(phone)
	h := Header{Phone: p}
	if p.Digits() == 20 {
		h.Version2019, h.ProtocolVersion = true, 1
	}
	return &term{t: t, nc: nc, fr: NewFrameReader(nc, 4096), h: h}
}

func (c *term) frame(m Message) ([]byte, uint16) {
	c.t.Helper()
	h := c.h
	h.Serial = c.serial
	c.serial++
	b, err := AppendFrame(nil, h, m)
	if err != nil {
		c.t.Fatal(err)
	}
	return b, h.Serial
}

func (c *term) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// send sends m and returns its serial.
func (c *term) send(m Message) uint16 {
	c.t.Helper()
	b, s := c.frame(m)
	c.write(b)
	return s
}

// read reads the next frame from the gateway. The deadline only keeps a broken test from hanging.
func (c *term) read() Frame {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	content, err := c.fr.Next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	f, err := c.dec.DecodeContent(content)
	if err != nil {
		c.t.Fatalf("reply: %v", err)
	}
	f.Body = bytes.Clone(f.Body)
	return f
}

// expectFrame reads a frame and wants it to be exactly m under the terminal's header (its version and
// phone) with the platform's next serial.
func (c *term) expectFrame(m Message) Frame {
	c.t.Helper()
	f := c.read()
	h := c.h.Reply(m.MsgID(), c.want)
	c.want++
	want, err := AppendFrame(nil, h, m)
	if err != nil {
		c.t.Fatal(err)
	}
	got, _ := AppendRaw(nil, f.Header, f.Body)
	if !bytes.Equal(got, want) {
		c.t.Fatalf("got %04x %X (%+v)\nwant %04x %X (%+v)", f.MsgID, got, f.Header, m.MsgID(), want, m)
	}
	return f
}

func (c *term) expectReply(serial, msgID uint16, r Result) {
	c.t.Helper()
	c.expectFrame(PlatformReply{ReplySerial: serial, ReplyID: msgID, Result: r})
}

// login registers and authenticates.
func (c *term) login(code string) {
	c.t.Helper()
	s := c.send(Register{Province: 37, City: 683, Maker: "YT001", Model: "YT-808", TerminalID: "T1", PlateColor: 2, Plate: "鲁FA1234"})
	c.expectFrame(RegisterReply{ReplySerial: s, Result: RegisterOK, AuthCode: code})
	s = c.send(Auth{Code: code})
	c.expectReply(s, MsgAuth, ResultOK)
}

var t0 = time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)

func fix(i int) Location {
	return Location{Status: StatusACC | StatusFixed, Lat: 37182000 + int32(i)*10, Lon: 119942000 + int32(i)*10,
		Altitude: 20, Speed: 523, Heading: 90, Time: t0.Add(time.Duration(i) * time.Second),
		Has: HasMileage | HasFuel | HasRecorderSpeed, Mileage: 12345, Fuel: 456, RecorderSpeed: 520}
}

func TestGatewaySession(t *testing.T) {
	in := newFake(devices()...)
	now := func() time.Time { return t0 }
	g := startGateway(t, in, Config{Now: now})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")

	for i := range 2 {
		s := c.send(fix(i))
		c.expectReply(s, MsgLocation, ResultOK)
	}
	s := c.send(Heartbeat{})
	c.expectReply(s, MsgHeartbeat, ResultOK)
	lb := LocationBatch{Type: BatchBlind, Locations: []Location{fix(2), fix(3), fix(4)}}
	s = c.send(lb)
	c.expectReply(s, MsgLocationBatch, ResultOK)

	pos, calls := in.accepted(live.ChangePosition)
	if len(pos) != 5 {
		t.Fatalf("%d positions accepted, want 5", len(pos))
	}
	// register event, auth event, two single positions, one batch
	if calls != 5 {
		t.Errorf("%d Accept calls, want 5 (the batch in one)", calls)
	}
	want := live.Change{Type: live.ChangePosition, Object: truckPhone, Kind: live.KindVehicle, Layer: "live.hazmat",
		Time: t0, Source: "jt808", Position: &live.Position{Lon: 119.942, Lat: 37.182, Altitude: 20, Speed: 52.3, Heading: 90,
			Status: StatusACC | StatusFixed, Extra: map[string]float64{"mileage_km": 1234.5, "fuel_l": 45.6, "recorder_speed_kmh": 52}}}
	got := pos[0]
	if got.Type != want.Type || got.Object != want.Object || got.Kind != want.Kind || got.Layer != want.Layer ||
		!got.Time.Equal(want.Time) || got.Source != want.Source || got.Position == nil {
		t.Fatalf("change %+v\nwant %+v", got, want)
	}
	if p, w := *got.Position, *want.Position; fmt.Sprint(p) != fmt.Sprint(w) {
		t.Errorf("position %+v\nwant %+v", p, w)
	}
	if !pos[4].Time.Equal(t0.Add(4*time.Second)) || pos[4].Position.Lat != 37.18204 {
		t.Errorf("last batch position %+v %+v", pos[4], pos[4].Position)
	}

	s = c.send(Deregister{})
	c.expectReply(s, MsgDeregister, ResultOK)
	s = c.send(fix(9))
	c.expectReply(s, MsgLocation, ResultFailure)

	events, _ := in.accepted(live.ChangeEvent)
	var names []string
	for _, e := range events {
		names = append(names, e.Event.Name)
		if e.Object != truckPhone || e.Kind != live.KindVehicle || e.Layer != "live.hazmat" || !e.Time.Equal(t0) || e.Source != "jt808" {
			t.Errorf("event %+v", e)
		}
	}
	if strings.Join(names, ",") != "register,auth,deregister" {
		t.Errorf("events %v", names)
	}
	if d := events[0].Event.Detail; d["plate"] != "鲁FA1234" || d["result"] != 0 || d["model"] != "YT-808" {
		t.Errorf("register detail %v", d)
	}
	if pos, _ := in.accepted(live.ChangePosition); len(pos) != 5 {
		t.Errorf("%d positions after deregistering, want 5", len(pos))
	}

	for _, m := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"yitu_jt808_frames_total", []string{"msg", "0x0200"}, 3},
		{"yitu_jt808_frames_total", []string{"msg", "0x0704"}, 1},
		{"yitu_jt808_frames_total", []string{"msg", "0x0100"}, 1},
		{"yitu_jt808_frames_total", []string{"msg", "0x0102"}, 1},
		{"yitu_jt808_frames_total", []string{"msg", "0x0002"}, 1},
		{"yitu_jt808_positions_total", nil, 5},
		{"yitu_jt808_positions_refused_total", []string{"reason", "unauthenticated"}, 1},
		{"yitu_jt808_connections", nil, 1},
	} {
		if got := g.metric(t, m.name, m.labels...); got != m.want {
			t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
	if logs := g.logs.String(); !strings.Contains(logs, "jt808") || !strings.Contains(logs, g.addr) {
		t.Errorf("no log line with jt808 and %s:\n%s", g.addr, logs)
	}
}

func TestGateway2019(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, teamPhone)
	s := c.send(Register{Maker: "37068300001", Model: "TEAM-2019", TerminalID: "TEAM0000000000001", PlateColor: 0, Plate: "LSVAU2180N2183294"})
	f := c.expectFrame(RegisterReply{ReplySerial: s, Result: RegisterOK, AuthCode: "team-code"})
	if !f.Version2019 || f.ProtocolVersion != 1 || f.Phone.String() != teamPhone {
		t.Errorf("reply header %+v, want 2019 with %s", f.Header, teamPhone)
	}
	s = c.send(Auth{Code: "team-code", IMEI: "861234567890123", Software: "V2.1"})
	c.expectReply(s, MsgAuth, ResultOK)
	s = c.send(fix(0))
	c.expectReply(s, MsgLocation, ResultOK)
	pos, _ := in.accepted(live.ChangePosition)
	if len(pos) != 1 || pos[0].Object != teamPhone || pos[0].Kind != live.KindTeam || pos[0].Layer != "live.team" {
		t.Fatalf("positions %+v", pos)
	}
	events, _ := in.accepted(live.ChangeEvent)
	if len(events) != 2 || events[1].Event.Detail["imei"] != "861234567890123" {
		t.Errorf("events %+v", events)
	}
	// Send answers under the terminal's header: 2019, 20 digits
	if err := g.Send(teamPhone, AlarmAck{Serial: s, AlarmType: 1}); err != nil {
		t.Fatal(err)
	}
	c.expectFrame(AlarmAck{Serial: s, AlarmType: 1})
}

func TestGatewayUnauthenticated(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	s := c.send(fix(0))
	c.expectReply(s, MsgLocation, ResultFailure)
	s = c.send(LocationBatch{Locations: []Location{fix(1)}})
	c.expectReply(s, MsgLocationBatch, ResultFailure)
	s = c.send(Auth{Code: "wrong"})
	c.expectReply(s, MsgAuth, ResultFailure)
	s = c.send(fix(2))
	c.expectReply(s, MsgLocation, ResultFailure)
	// authenticated as the truck, a frame with another phone is refused
	s = c.send(Auth{Code: "truck-code"})
	c.expectReply(s, MsgAuth, ResultOK)
	other := c.h
	c.h.Phone = MustPhone("013900000001")
	s = c.send(fix(3))
	c.expectReply(s, MsgLocation, ResultFailure)
	// a device without an auth code cannot authenticate with an empty one
	s = c.send(Auth{})
	c.expectReply(s, MsgAuth, ResultFailure)
	c.h = other
	if pos, _ := in.accepted(live.ChangePosition); len(pos) != 0 {
		t.Errorf("%d positions accepted from unauthenticated terminals", len(pos))
	}
	if got := g.metric(t, "yitu_jt808_positions_refused_total", "reason", "unauthenticated"); got != 4 {
		t.Errorf("%v refused, want 4", got)
	}
	if err := g.Send("013900000001", AlarmAck{}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send to an unauthenticated terminal: %v", err)
	}
}

func TestGatewayRegisterResults(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	for _, c := range []struct {
		phone string
		reg   Register
		want  RegisterResult
	}{
		{"013999999999", Register{PlateColor: 1, Plate: "鲁F00000"}, RegisterNoTerminal},
		{"013900000000", Register{}, RegisterNoTerminal}, // a sensor
		{"013900000001", Register{}, RegisterNoTerminal}, // no auth code
		{truckPhone, Register{PlateColor: 2, Plate: "鲁F00000"}, RegisterNoVehicle},
		{truckPhone, Register{PlateColor: 2, Plate: "鲁f a1234"}, RegisterOK},          // the same plate, written otherwise
		{truckPhone, Register{PlateColor: 0, Plate: "LSVAU2180N2183294"}, RegisterOK}, // a VIN
		{truckPhone, Register{PlateColor: 2}, RegisterOK},
	} {
		tm := dial(t, g.addr, c.phone)
		s := tm.send(c.reg)
		want := RegisterReply{ReplySerial: s, Result: c.want}
		if c.want == RegisterOK {
			want.AuthCode = "truck-code"
		}
		tm.expectFrame(want)
	}
}

func TestGatewayIngestErrors(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	for _, e := range []struct {
		err  error
		want Result
	}{
		{fmt.Errorf("hub: %w", live.ErrBufferFull), ResultFailure},
		{spatial.Invalid("position", "latitude beyond the map"), ResultBadMessage},
		{live.ErrUnknownDevice, ResultFailure},
		{nil, ResultOK},
	} {
		in.setErr(e.err)
		s := c.send(LocationBatch{Locations: []Location{fix(0), fix(1)}})
		c.expectReply(s, MsgLocationBatch, e.want)
	}
	if got := g.metric(t, "yitu_jt808_positions_refused_total", "reason", "buffer_full"); got != 2 {
		t.Errorf("buffer_full %v, want 2", got)
	}
	if got := g.metric(t, "yitu_jt808_positions_total"); got != 2 {
		t.Errorf("positions %v, want 2", got)
	}
}

// TestGatewayBadFrames: bad frames are answered or skipped, counted, and the connection goes on.
func TestGatewayBadFrames(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")

	b, s := c.frame(fix(0))
	for b[len(b)-3] == Escape { // an escaped check code: take the next serial
		b, s = c.frame(fix(0))
	}
	if b[len(b)-2]++; b[len(b)-2] == Escape { // a wrong check code, itself no byte to escape
		b[len(b)-2] += 2
	}
	c.write(b)
	c.expectReply(s, MsgLocation, ResultBadMessage)

	// a frame with a bad escape has no readable header: no answer; garbage between frames neither
	c.write([]byte{Delimiter, 0x02, 0x00, Escape, 0x55, Delimiter, 'g', 'a', 'r', 'b', 'a', 'g', 'e'})
	// a body that does not decode: answered "bad message"
	body, _ := fix(1).AppendBody(nil, false)
	h := c.h
	h.MsgID, h.Serial = MsgLocation, 500
	bad, err := AppendRaw(nil, h, body[:20])
	if err != nil {
		t.Fatal(err)
	}
	c.write(bad)
	c.expectReply(500, MsgLocation, ResultBadMessage)
	// an unsupported message
	h.MsgID, h.Serial = 0x0900, 501
	unsup, _ := AppendRaw(nil, h, []byte{0x41, 'h', 'i'})
	c.write(unsup)
	c.expectReply(501, 0x0900, ResultUnsupported)
	// an encrypted one
	h.MsgID, h.Serial, h.Encryption = MsgLocation, 502, 1
	enc, _ := AppendRaw(nil, h, body)
	c.write(enc)
	c.expectReply(502, MsgLocation, ResultUnsupported)

	s = c.send(fix(2))
	c.expectReply(s, MsgLocation, ResultOK)
	if pos, _ := in.accepted(live.ChangePosition); len(pos) != 1 {
		t.Errorf("%d positions, want 1", len(pos))
	}
	for _, m := range []struct {
		kind string
		want float64
	}{
		{"checksum", 1},
		{"escape", 1},
		// "garbage" up to the next frame's 0x7e is 7 bytes, too short for a header; the location
		// body of 20 bytes is too short for a location
		{"truncated", 2},
	} {
		if got := g.metric(t, "yitu_jt808_frames_bad_total", "kind", m.kind); got != m.want {
			t.Errorf("bad %s = %v, want %v", m.kind, got, m.want)
		}
	}
}

// TestGatewayTraccarStream sends every traccar frame down one connection: the good are answered, the
// bad counted, and the connection still works afterwards.
func TestGatewayTraccarStream(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	var all []byte
	for _, r := range readTraccar(t) {
		all = append(all, r.raw...)
	}
	c.write(all)
	s := c.send(Heartbeat{})
	replies := 0
	for {
		f := c.read()
		replies++
		if r, err := f.PlatformReply(); err == nil && r.ReplySerial == s && r.ReplyID == MsgHeartbeat {
			if r.Result != ResultOK {
				t.Errorf("heartbeat result %d", r.Result)
			}
			break
		}
	}
	if pos, _ := in.accepted(live.ChangePosition); len(pos) != 0 {
		t.Errorf("%d positions of other terminals accepted", len(pos))
	}
	bad := 0.0
	for _, k := range Kinds() {
		bad += g.metric(t, "yitu_jt808_frames_bad_total", "kind", k.String())
	}
	if bad < 10 || replies < 40 {
		t.Errorf("%v bad frames, %d replies", bad, replies)
	}
}

// TestGatewaySplitWrites: a frame arriving a byte at a time, and several frames in one write.
func TestGatewaySplitWrites(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	b, s := c.frame(fix(0))
	for i := range b {
		c.write(b[i : i+1])
	}
	c.expectReply(s, MsgLocation, ResultOK)
	b1, s1 := c.frame(fix(1))
	b2, s2 := c.frame(Heartbeat{})
	b3, s3 := c.frame(fix(2))
	// the closing delimiter of one frame opening the next
	joined := append(append(b1, b2[1:]...), b3...)
	c.write(joined[:7])
	c.write(joined[7:])
	c.expectReply(s1, MsgLocation, ResultOK)
	c.expectReply(s2, MsgHeartbeat, ResultOK)
	c.expectReply(s3, MsgLocation, ResultOK)
	// a whole frame and the start of the next: the first is answered before the rest arrives
	b4, s4 := c.frame(fix(4))
	b5, s5 := c.frame(fix(5))
	for _, cut := range []int{1, 10} { // the next frame's delimiter alone, and some of its bytes
		c.write(append(bytes.Clone(b4), b5[:cut]...))
		c.expectReply(s4, MsgLocation, ResultOK)
		c.write(b5[cut:])
		c.expectReply(s5, MsgLocation, ResultOK)
		b4, s4 = c.frame(fix(6))
		b5, s5 = c.frame(fix(7))
	}
}

func TestGatewaySubPackets(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	lb := LocationBatch{Type: BatchBlind}
	for i := range 40 {
		lb.Locations = append(lb.Locations, fix(i))
	}
	h := c.h
	h.Serial = 1000
	raw, n, err := AppendPackets(nil, h, lb, 512)
	if err != nil || n != 4 { // 40 locations of 44 bytes
		t.Fatalf("%d packets, %v", n, err)
	}
	c.write(raw)
	for i := range n {
		c.expectReply(1000+uint16(i), MsgLocationBatch, ResultOK)
	}
	pos, calls := in.accepted(live.ChangePosition)
	if len(pos) != 40 || calls != 3 {
		t.Errorf("%d positions in %d calls, want 40 in one (after register and auth)", len(pos), calls-2)
	}
	if got := g.metric(t, "yitu_jt808_positions_total"); got != 40 {
		t.Errorf("positions %v", got)
	}
}

// TestGatewayFlood: a terminal that floods the gateway without reading its replies is held up (the
// gateway's write to it blocks, and with it the reading of its connection) while another terminal's
// exchange goes on.
func TestGatewayFlood(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{WriteTimeout: time.Minute})
	flood := dial(t, g.addr, "013999999999")
	flood.nc.(*net.TCPConn).SetReadBuffer(4 << 10)
	hb, _ := flood.frame(Heartbeat{})
	chunk := bytes.Repeat(hb, 1000)
	junk := bytes.Repeat([]byte{'x'}, 8<<10) // no delimiter: skipped as too large
	blocked := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := chunk
			if i%10 == 9 {
				b = junk
			}
			flood.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := flood.nc.Write(b); err != nil {
				// the gateway has stopped reading this connection
				select {
				case <-blocked:
				default:
					close(blocked)
				}
			}
		}
	}()
	<-blocked
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	for i := range 200 {
		s := c.send(fix(i))
		c.expectReply(s, MsgLocation, ResultOK)
	}
	close(stop)
	wg.Wait()
	if got := g.metric(t, "yitu_jt808_frames_bad_total", "kind", "too_large"); got < 1 {
		t.Errorf("%v frames too large", got)
	}
}

func TestGatewayAuthTimeout(t *testing.T) {
	g := startGateway(t, newFake(devices()...), Config{AuthTimeout: 100 * time.Millisecond})
	idle := dial(t, g.addr, truckPhone)
	idle.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := idle.nc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read from a connection that never authenticated: %v, want EOF", err)
	}
	if !strings.Contains(g.logs.String(), "did not authenticate") {
		t.Errorf("no log of the authentication timeout:\n%s", g.logs)
	}
}

func TestGatewayShutdown(t *testing.T) {
	g := startGateway(t, newFake(devices()...), Config{})
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.nc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after shutdown: %v, want EOF", err)
	}
	if got := g.metric(t, "yitu_jt808_connections"); got != 0 {
		t.Errorf("%v connections after shutdown", got)
	}
}

func TestGatewayAuthFailuresClose(t *testing.T) {
	g := startGateway(t, newFake(devices()...), Config{})
	c := dial(t, g.addr, truckPhone)
	for range maxAuthFailures {
		s := c.send(Auth{Code: "guess"})
		c.expectReply(s, MsgAuth, ResultFailure)
	}
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.nc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after %d refused authentications: %v, want EOF", maxAuthFailures, err)
	}
}

func TestListenAndServeError(t *testing.T) {
	g := NewGateway(Config{Addr: "127.0.0.1:99999"}, newFake(), nil, nil)
	err := g.ListenAndServe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:99999") {
		t.Errorf("ListenAndServe on a bad address: %v", err)
	}
}

// TestGatewayDroppedMidFrame: a terminal whose connection ends in the middle of a frame loses that
// frame only (counted as truncated), its earlier position stays, another terminal's exchange goes on,
// and the terminal logs in again on a new connection.
func TestGatewayDroppedMidFrame(t *testing.T) {
	in := newFake(devices()...)
	g := startGateway(t, in, Config{})
	other := dial(t, g.addr, teamPhone)
	other.login("team-code")
	c := dial(t, g.addr, truckPhone)
	c.login("truck-code")
	b0, s0 := c.frame(fix(0))
	c.write(b0)
	c.expectReply(s0, MsgLocation, ResultOK)
	b1, _ := c.frame(fix(1))
	c.write(b1[:len(b1)/2])
	c.nc.Close()

	deadline := time.Now().Add(20 * time.Second)
	for g.metric(t, "yitu_jt808_connections") != 1 || g.metric(t, "yitu_jt808_frames_bad_total", "kind", "truncated") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("after the drop: %v connections, %v truncated frames", g.metric(t, "yitu_jt808_connections"),
				g.metric(t, "yitu_jt808_frames_bad_total", "kind", "truncated"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := other.send(fix(3))
	other.expectReply(s, MsgLocation, ResultOK)
	again := dial(t, g.addr, truckPhone)
	again.login("truck-code")
	s = again.send(fix(2))
	again.expectReply(s, MsgLocation, ResultOK)
	pos, _ := in.accepted(live.ChangePosition)
	var truck int
	for _, p := range pos {
		if p.Object == truckPhone {
			truck++
		}
	}
	if truck != 2 || len(pos) != 3 {
		t.Errorf("%d positions of the truck (want 2: the half frame lost), %d in all", truck, len(pos))
	}
}
