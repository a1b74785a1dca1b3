package jt808

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Config configures the gateway. Zero fields take the defaults named.
type Config struct {
	// Addr is where ListenAndServe listens, e.g. ":7808".
	Addr string
	// IdleTimeout closes a connection that sends nothing for this long (default 3 minutes: three
	// missed heartbeats at the standard 60 s interval).
	IdleTimeout time.Duration
	// AuthTimeout closes a connection that has not authenticated (0x0102) this long after it opened,
	// or after its terminal deregistered (default 60 s).
	AuthTimeout time.Duration
	// WriteTimeout bounds each write to a terminal; a terminal that does not read its replies is
	// disconnected (default 10 s).
	WriteTimeout time.Duration
	// MaxFrame is the largest frame in bytes, delimiters and escapes included (default 4096; the
	// largest valid frame, a 1,023-byte body with every byte escaped, is 2,092 bytes).
	MaxFrame int
	// ReassemblyBytes bounds the sub-packets a connection keeps waiting for the rest of their message
	// (default 256 KiB); ReassemblyTimeout gives up on a message whose packets have not all come
	// this long after its first (default 60 s).
	ReassemblyBytes   int
	ReassemblyTimeout time.Duration
	// Now is the clock for event times and reassembly timeouts (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 3 * time.Minute
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 4096
	}
	if c.ReassemblyBytes <= 0 {
		c.ReassemblyBytes = 256 << 10
	}
	if c.ReassemblyTimeout <= 0 {
		c.ReassemblyTimeout = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// ErrNotConnected: Send names a terminal that has no authenticated connection.
var ErrNotConnected = errors.New("terminal not connected")

// Gateway is the JT/T 808 TCP gateway: it answers terminals per protocol (register, authenticate,
// heartbeat, deregister), hands the positions of authenticated terminals to the ingester, and
// sends platform messages to connected terminals. Each connection is served by its own goroutine;
// a slow or misbehaving terminal holds up nobody else.
type Gateway struct {
	cfg Config
	in  live.Ingester
	log *slog.Logger
	m   *metrics

	mu      sync.Mutex
	addr    net.Addr
	closing bool
	conns   map[*conn]struct{}
	byPhone map[string]*conn // authenticated connections
}

// NewGateway returns a gateway that ingests into in and registers its metrics with reg (none when
// reg is nil).
func NewGateway(cfg Config, in live.Ingester, log *slog.Logger, reg prometheus.Registerer) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{
		cfg:     cfg.withDefaults(),
		in:      in,
		log:     log,
		m:       newMetrics(reg),
		conns:   map[*conn]struct{}{},
		byPhone: map[string]*conn{},
	}
}

// Addr is the address the gateway listens on; nil before Serve.
func (g *Gateway) Addr() net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addr
}

// ListenAndServe listens on the configured address and serves until ctx ends.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", g.cfg.Addr)
	if err != nil {
		return fmt.Errorf("jt808 gateway: listen on %q: %w", g.cfg.Addr, err)
	}
	return g.Serve(ctx, ln)
}

// Serve accepts terminal connections on ln until ctx ends, then closes ln and every connection and
// returns when their goroutines have finished. It returns nil when ctx ended it, and the listener's
// error when the listener failed.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	g.mu.Lock()
	g.addr = ln.Addr()
	g.closing = false
	g.mu.Unlock()
	g.log.Info("jt808 gateway listening", "addr", ln.Addr().String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		ln.Close()
		g.closeAll()
		close(stopped)
	}()

	var err error
	backoff := 5 * time.Millisecond
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(aerr, net.ErrClosed) {
				err = fmt.Errorf("jt808 gateway on %s: %w", ln.Addr(), aerr)
				break
			}
			// out of file descriptors and the like: wait and go on
			g.log.Warn("jt808 gateway accept", "addr", ln.Addr().String(), "err", aerr, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		c := g.newConn(nc)
		if !g.track(c) {
			nc.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.serve(ctx)
		}()
	}
	cancel()
	<-stopped
	wg.Wait()
	g.log.Info("jt808 gateway stopped", "addr", ln.Addr().String())
	return err
}

func (g *Gateway) track(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.conns[c] = struct{}{}
	g.m.connections.Inc()
	return true
}

func (g *Gateway) untrack(c *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.conns[c]; ok {
		delete(g.conns, c)
		g.m.connections.Dec()
	}
	if c.phone != "" && g.byPhone[c.phone] == c {
		delete(g.byPhone, c.phone)
	}
}

func (g *Gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closing = true
	for c := range g.conns {
		c.nc.Close()
	}
}

// bind makes c the connection of phone for Send, with h as the template of its headers.
func (g *Gateway) bind(c *conn, phone string, h Header) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.phone != "" && c.phone != phone && g.byPhone[c.phone] == c {
		delete(g.byPhone, c.phone)
	}
	c.tmpl = h
	g.byPhone[phone] = c
}

func (g *Gateway) unbind(c *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.phone != "" && g.byPhone[c.phone] == c {
		delete(g.byPhone, c.phone)
	}
}

// Send sends a platform message (0x8203 alarm acknowledgement, …) to the connected, authenticated
// terminal phone, under the header version that terminal uses and with the connection's next
// platform serial. It returns when the frame is written, or the write deadline passed.
func (g *Gateway) Send(phone string, m Message) error {
	g.mu.Lock()
	c := g.byPhone[phone]
	var tmpl Header
	if c != nil {
		tmpl = c.tmpl
	}
	g.mu.Unlock()
	if c == nil {
		return fmt.Errorf("jt808: send 0x%04x to %s: %w", m.MsgID(), phone, ErrNotConnected)
	}
	b, err := AppendFrame(nil, tmpl.Reply(m.MsgID(), c.nextSerial()), m)
	if err != nil {
		return fmt.Errorf("jt808: send 0x%04x to %s: %w", m.MsgID(), phone, err)
	}
	if err := c.write(b); err != nil {
		return fmt.Errorf("jt808: send 0x%04x to %s: %w", m.MsgID(), phone, err)
	}
	return nil
}

// conn is one terminal connection. Everything but wmu, serial and tmpl belongs to its goroutine.
type conn struct {
	g   *Gateway
	nc  net.Conn
	log *slog.Logger
	fr  *FrameReader
	dec Decoder
	re  *Reassembler

	unauthed time.Time // when the connection opened, or its terminal deregistered
	deadline time.Time // when the read deadline was last set
	out      []byte    // replies not yet written

	wmu    sync.Mutex // one write at a time: the goroutine's replies and Send
	serial atomic.Uint32
	tmpl   Header // of the authenticated terminal; guarded by g.mu

	authed   bool
	failures int    // authentications refused
	phone    string // the authenticated terminal
	dev      live.Device
	layer    string
	locs     []Location
}

func (g *Gateway) newConn(nc net.Conn) *conn {
	return &conn{
		g:        g,
		nc:       nc,
		log:      g.log.With("remote", nc.RemoteAddr().String()),
		fr:       NewFrameReader(nc, g.cfg.MaxFrame),
		re:       NewReassembler(g.cfg.ReassemblyBytes, g.cfg.ReassemblyTimeout),
		unauthed: time.Now(),
	}
}

func (c *conn) nextSerial() uint16 { return uint16(c.serial.Add(1) - 1) }

// write writes b with the write deadline; on failure it closes the connection.
func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.g.cfg.WriteTimeout))
	_, err := c.nc.Write(b)
	if err != nil {
		c.nc.Close()
	}
	return err
}

// maxAuthFailures is how many refused authentications close a connection.
const maxAuthFailures = 5

// flushAt is how many bytes of replies wait at most before they are written.
const flushAt = 16 << 10

func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	err := c.write(c.out)
	c.out = c.out[:0]
	return err
}

func (c *conn) serve(ctx context.Context) {
	defer func() {
		c.flush()
		c.nc.Close()
		c.g.untrack(c)
		c.log.Debug("jt808 connection closed", "phone", c.phone)
	}()
	c.log.Debug("jt808 connection opened")
	for {
		if !c.fr.Ready() {
			// about to wait for the terminal: answer what it sent so far first
			if err := c.flush(); err != nil {
				c.log.Debug("jt808 write", "err", err)
				return
			}
		}
		c.setReadDeadline()
		content, err := c.fr.Next()
		if err != nil {
			var de *DecodeError
			if errors.As(err, &de) {
				c.g.m.badFrame(de.Kind)
				c.log.Debug("jt808 bad frame", "err", err)
				continue
			}
			var ne net.Error
			switch {
			case ctx.Err() != nil:
			case errors.As(err, &ne) && ne.Timeout() && !c.authed:
				c.log.Info("jt808 terminal did not authenticate in time", "after", time.Since(c.unauthed).Round(time.Millisecond))
			case errors.As(err, &ne) && ne.Timeout():
				c.log.Info("jt808 terminal idle", "phone", c.phone, "idle_timeout", c.g.cfg.IdleTimeout)
			default:
				c.log.Debug("jt808 read", "err", err)
			}
			return
		}
		c.frame(ctx, content)
		if len(c.out) >= flushAt {
			if err := c.flush(); err != nil {
				return
			}
		}
	}
}

// setReadDeadline sets the read deadline when the goroutine is about to wait, and at least every
// second while the terminal keeps the buffer full: IdleTimeout from now, or sooner, the end of the
// authentication time.
func (c *conn) setReadDeadline() {
	now := time.Now()
	if c.fr.Buffered() > 0 && now.Sub(c.deadline) < time.Second {
		return
	}
	c.deadline = now
	d := now.Add(c.g.cfg.IdleTimeout)
	if !c.authed {
		if a := c.unauthed.Add(c.g.cfg.AuthTimeout); a.Before(d) {
			d = a
		}
	}
	c.nc.SetReadDeadline(d)
}

// frame handles one frame's content.
func (c *conn) frame(ctx context.Context, content []byte) {
	f, err := c.dec.DecodeContent(content)
	if err != nil {
		c.bad(err)
		return
	}
	if f.Encryption != 0 {
		c.g.m.frame(f.MsgID)
		c.reply(&f.Header, ResultUnsupported)
		return
	}
	if f.Split {
		switch f.MsgID {
		case MsgLocationBatch, MsgLocation, MsgRegister, MsgAuth:
		default:
			c.g.m.frame(f.MsgID)
			c.reply(&f.Header, ResultUnsupported)
			return
		}
		whole, done, err := c.re.Add(f, c.g.cfg.Now())
		for range c.re.TakeGivenUp() {
			c.g.m.badFrame(KindReassembly)
		}
		if err != nil {
			c.log.Info("jt808 sub-packets given up", "err", err)
			c.reply(&f.Header, ResultFailure)
			return
		}
		if !done {
			c.g.m.frame(f.MsgID)
			c.reply(&f.Header, ResultOK) // this packet arrived
			return
		}
		f = whole
	} else if m, _ := c.re.Pending(); m > 0 {
		c.re.Expire(c.g.cfg.Now())
		for range c.re.TakeGivenUp() {
			c.g.m.badFrame(KindReassembly)
		}
	}
	if err := c.handle(ctx, &f); err != nil {
		c.bad(err)
		return
	}
	c.g.m.frame(f.MsgID)
}

// bad counts a frame that could not be decoded and answers it with "bad message" when its header
// could be read.
func (c *conn) bad(err error) {
	var de *DecodeError
	if !errors.As(err, &de) {
		c.log.Warn("jt808 frame", "err", err)
		return
	}
	c.g.m.badFrame(de.Kind)
	c.log.Debug("jt808 bad frame", "err", err)
	if de.HeaderOK {
		c.reply(&de.Header, ResultBadMessage)
	}
}

// reply appends the platform general reply to the message h.
func (c *conn) reply(h *Header, r Result) {
	c.send(h, PlatformReply{ReplySerial: h.Serial, ReplyID: h.MsgID, Result: r})
}

func (c *conn) send(h *Header, m Message) {
	out, err := AppendFrame(c.out, h.Reply(m.MsgID(), c.nextSerial()), m)
	if err != nil {
		// only a header no frame can carry (a 20-digit phone answered in a 2013 header cannot occur)
		c.log.Warn("jt808 reply", "msg", m.MsgID(), "err", err)
		return
	}
	c.out = out
}

// handle answers a whole, decoded frame. It returns the *DecodeError of a body that does not decode.
func (c *conn) handle(ctx context.Context, f *Frame) error {
	switch f.MsgID {
	case MsgLocation, MsgLocationBatch:
		return c.positions(ctx, f)
	case MsgHeartbeat:
		c.reply(&f.Header, ResultOK)
	case MsgRegister:
		return c.register(ctx, f)
	case MsgAuth:
		return c.auth(ctx, f)
	case MsgDeregister:
		if c.authed && f.Phone.Is(c.phone) {
			c.event(ctx, "deregister", nil)
			c.g.unbind(c)
			c.authed, c.unauthed = false, time.Now()
		}
		c.reply(&f.Header, ResultOK)
	case MsgTerminalReply:
		r, err := f.TerminalReply()
		if err != nil {
			return err
		}
		c.log.Debug("jt808 terminal reply", "phone", c.phone, "serial", r.ReplySerial, "msg", r.ReplyID, "result", r.Result)
	default:
		c.reply(&f.Header, ResultUnsupported)
	}
	return nil
}

// terminal reports whether a registered device may use the gateway: a vehicle or team with an
// authentication code.
func terminal(d live.Device, ok bool) bool {
	return ok && (d.Kind == live.KindVehicle || d.Kind == live.KindTeam) && d.AuthCode != ""
}

func normPlate(p string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '·', '-', '•', '.':
			return -1
		}
		return r
	}, p))
}

func (c *conn) register(ctx context.Context, f *Frame) error {
	r, err := f.Register()
	if err != nil {
		return err
	}
	phone := f.Phone.String()
	dev, ok := c.g.in.Device(phone)
	reply := RegisterReply{ReplySerial: f.Serial, Result: RegisterOK}
	switch {
	case !terminal(dev, ok):
		reply.Result = RegisterNoTerminal
		if ok {
			c.log.Warn("jt808 register: the device is no JT/T 808 terminal (not a vehicle or team, or no auth code)", "phone", phone, "kind", dev.Kind)
		}
	case dev.Plate != "" && r.PlateColor != 0 && r.Plate != "" && normPlate(r.Plate) != normPlate(dev.Plate):
		// (plate colour 0: the field is the VIN, not a plate)
		reply.Result = RegisterNoVehicle
	default:
		reply.AuthCode = dev.AuthCode
	}
	if reply.Result != RegisterOK {
		c.log.Info("jt808 register refused", "phone", phone, "result", reply.Result, "plate", r.Plate)
	}
	if ok && (dev.Kind == live.KindVehicle || dev.Kind == live.KindTeam) {
		c.eventFor(ctx, phone, dev, "register", map[string]any{
			"result": int(reply.Result), "plate": r.Plate, "plate_color": int(r.PlateColor),
			"maker": r.Maker, "model": r.Model, "terminal_id": r.TerminalID,
			"province": int(r.Province), "city": int(r.City), "edition": r.Edition,
		})
	}
	c.send(&f.Header, reply)
	return nil
}

func (c *conn) auth(ctx context.Context, f *Frame) error {
	a, err := f.Auth()
	if err != nil {
		return err
	}
	phone := f.Phone.String()
	dev, ok := c.g.in.Device(phone)
	if !terminal(dev, ok) || a.Code != dev.AuthCode {
		c.failures++
		c.log.Info("jt808 authentication refused", "phone", phone, "known", ok, "failures", c.failures)
		c.reply(&f.Header, ResultFailure)
		if c.failures >= maxAuthFailures {
			// no guessing of codes: the terminal has to connect again
			c.flush()
			c.nc.Close()
		}
		return nil
	}
	c.g.bind(c, phone, f.Header)
	c.authed, c.phone, c.dev, c.layer = true, phone, dev, dev.Layer()
	var detail map[string]any
	if f.Version2019 {
		detail = map[string]any{"imei": a.IMEI, "software": a.Software}
	}
	c.event(ctx, "auth", detail)
	c.log.Debug("jt808 terminal authenticated", "phone", phone)
	c.reply(&f.Header, ResultOK)
	return nil
}

func (c *conn) event(ctx context.Context, name string, detail map[string]any) {
	c.eventFor(ctx, c.phone, c.dev, name, detail)
}

// eventFor hands an event of the terminal to the ingester; a failure is logged, the terminal's
// answer does not depend on it.
func (c *conn) eventFor(ctx context.Context, phone string, dev live.Device, name string, detail map[string]any) {
	ch := []live.Change{{
		Type: live.ChangeEvent, Object: phone, Kind: dev.Kind, Layer: dev.Layer(),
		Time: c.g.cfg.Now().UTC(), Source: "jt808",
		Event: &live.Event{Name: name, Detail: detail},
	}}
	if err := c.g.in.Accept(ctx, ch); err != nil {
		c.log.Warn("jt808 event not accepted", "phone", phone, "event", name, "err", err)
	}
}

// positions hands a 0x0200 or 0x0704 of the authenticated terminal to the ingester, all its
// positions in one Accept, and answers when Accept has returned.
func (c *conn) positions(ctx context.Context, f *Frame) error {
	if !c.authed || !f.Phone.Is(c.phone) {
		c.g.m.refusal[refusedUnauthenticated].Inc()
		c.reply(&f.Header, ResultFailure)
		return nil
	}
	if f.MsgID == MsgLocation {
		l, err := f.Location()
		if err != nil {
			return err
		}
		c.locs = append(c.locs[:0], l)
	} else {
		lb, err := f.LocationBatch(c.locs[:0])
		c.locs = lb.Locations
		if err != nil {
			return err
		}
	}
	n := len(c.locs)
	if n == 0 {
		c.reply(&f.Header, ResultOK)
		return nil
	}
	changes := make([]live.Change, n)
	ps := make([]live.Position, n)
	for i := range c.locs {
		l := &c.locs[i]
		ps[i] = live.Position{
			Lon: l.LonDeg(), Lat: l.LatDeg(), Altitude: float64(l.Altitude),
			Speed: float64(l.Speed) / 10, Heading: float64(l.Heading),
			Alarm: l.Alarm, Status: l.Status, Extra: extra(l),
		}
		changes[i] = live.Change{
			Type: live.ChangePosition, Object: c.phone, Kind: c.dev.Kind, Layer: c.layer,
			Time: l.Time, Source: "jt808", Position: &ps[i],
		}
	}
	err := c.g.in.Accept(ctx, changes)
	if err == nil {
		c.g.m.positions.Add(float64(n))
		c.reply(&f.Header, ResultOK)
		return nil
	}
	var inv *spatial.InvalidError
	switch {
	case errors.Is(err, live.ErrBufferFull):
		// the terminal keeps the positions and resends them as blind-area data
		c.g.m.refusal[refusedBufferFull].Add(float64(n))
		c.reply(&f.Header, ResultFailure)
	case errors.As(err, &inv):
		c.g.m.refusal[refusedInvalid].Add(float64(n))
		c.log.Info("jt808 positions invalid", "phone", c.phone, "msg", f.MsgID, "err", err)
		c.reply(&f.Header, ResultBadMessage)
	default:
		c.g.m.refusal[refusedError].Add(float64(n))
		c.log.Warn("jt808 positions not accepted", "phone", c.phone, "msg", f.MsgID, "err", err)
		c.reply(&f.Header, ResultFailure)
	}
	return nil
}

// extra is a position's additional items by name, nil when it has none the standard names.
func extra(l *Location) map[string]float64 {
	if l.Has == 0 {
		return nil
	}
	m := make(map[string]float64, bits.OnesCount8(l.Has))
	if l.Has&HasMileage != 0 {
		m["mileage_km"] = float64(l.Mileage) / 10
	}
	if l.Has&HasFuel != 0 {
		m["fuel_l"] = float64(l.Fuel) / 10
	}
	if l.Has&HasRecorderSpeed != 0 {
		m["recorder_speed_kmh"] = float64(l.RecorderSpeed) / 10
	}
	if l.Has&HasSatellites != 0 {
		m["satellites"] = float64(l.Satellites)
	}
	if l.Has&HasSignal != 0 {
		m["signal"] = float64(l.Signal)
	}
	return m
}

// AckAlarm sends a connected terminal the platform's manual acknowledgement of its alarms (0x8203)
// for the given alarm bits (bit 0: the emergency alarm), all serials.
func (g *Gateway) AckAlarm(phone string, alarmBits uint32) error {
	return g.Send(phone, AlarmAck{AlarmType: alarmBits})
}
