// Package push fans the hub's changes out to open maps: a Broadcaster reads the hub's stream once and
// hands each change to the clients whose subscription it matches (a box, kinds, layers, and the
// caller's read rights), coalescing at a bounded rate so that a busy object or a slow client costs a
// bounded amount. It knows no transport: package server carries the messages over WebSocket and
// Server-Sent Events.
//
// Messages are JSON objects, each encoded once and shared by every client that gets it:
//
//	{"type":"position","seq":1234,"id":"013912345678","kind":"vehicle","layer":"live.hazmat",
//	 "time":"2026-12-04T08:00:00Z","lon":119.94,"lat":37.18,"speed":36.5,"heading":90,"altitude":12}
//
// type is the change's (position, observation, state, event, hotspot, alarm), seq its number on this
// replica's stream (absent when replayed from the database), id the object, time the device's time.
// What follows is the change's own payload under the property names of /live/objects features
// (speed, heading, altitude, alarm, status, extra for positions; values, value, unit for
// observations; state; event and detail; a hotspot's lon, lat, instrument, satellite, confidence,
// frp, brightness, source; an alarm's whole Alarm under "alarm"), not the object's whole feature:
// a map takes the registry's fields (plate, cargo, …) from the snapshot. Two more types come from the
// server itself: "snapshot" ({"type":"snapshot","time":…,"bbox":[…]|null,"features":[GeoJSON
// features of /live/objects]}: everything the subscription selects now; the map replaces what it
// shows with it) and "resync" (the server lost track of what the map has; a snapshot follows).
package push

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Config configures the fan-out.
type Config struct {
	// FlushEvery: a client gets at most one message per object and change type (and per alarm) in
	// this interval; changes in between are coalesced, the latest wins. An object that changes less
	// often is sent at once.
	FlushEvery time.Duration `yaml:"flush_every"`
	// MaxPending: a client with more messages waiting than this (after coalescing: about one per
	// object it sees) cannot keep up and is dropped.
	MaxPending int `yaml:"max_pending"`
	// WriteTimeout: a transport whose write blocks this long drops the client.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// Ping: how often the WebSocket transport pings (and the SSE one sends a comment) to keep the
	// connection and the proxies on the way open; a WebSocket client that answers no ping for two
	// of these is closed.
	Ping time.Duration `yaml:"ping"`
	// ReplayWindow and ReplayMax bound what a reconnecting SSE client is replayed (Last-Event-ID): a
	// client away longer than ReplayWindow, or one that missed more than ReplayMax changes, is told
	// to resync and sent a snapshot instead.
	ReplayWindow time.Duration `yaml:"replay_window"`
	ReplayMax    int           `yaml:"replay_max"`
	// ReplayMargin: a replay starts this long before the client's last event id (see Client.Replay).
	ReplayMargin time.Duration `yaml:"replay_margin"`
}

// DefaultConfig is the fan-out's configuration unless told otherwise.
func DefaultConfig() Config {
	return Config{
		FlushEvery:   250 * time.Millisecond,
		MaxPending:   20_000,
		WriteTimeout: 10 * time.Second,
		Ping:         30 * time.Second,
		ReplayWindow: 15 * time.Minute,
		ReplayMax:    10_000,
		ReplayMargin: 5 * time.Second,
	}
}

// Validate checks the values no type check catches.
func (c Config) Validate() error {
	switch {
	case c.FlushEvery <= 0 || c.WriteTimeout <= 0 || c.Ping <= 0 || c.ReplayWindow <= 0:
		return errors.New("push.flush_every, push.write_timeout, push.ping and push.replay_window must be positive")
	case c.MaxPending < 1 || c.ReplayMax < 1:
		return errors.New("push.max_pending and push.replay_max must be at least 1")
	case c.ReplayMargin < c.FlushEvery:
		return errors.New("push.replay_margin must be at least push.flush_every (a change may be sent that much after it was accepted)")
	}
	return nil
}

// Source is what the broadcaster reads: the hub (*live.Hub).
type Source interface {
	Stream() *live.Stream
	Objects(live.Filter) []live.Object
	Object(id string) (live.Object, bool)
	Now() time.Time
	StaleAfter() time.Duration
}

// History replays what the stream's ring no longer holds (*live.Hub).
type History interface {
	HistorySince(ctx context.Context, t time.Time, limit int) ([]live.Change, error)
}

// AlarmHistory is the hook the alarm store (live.alarm, live.alarm_event) implements so that a
// reconnecting client is replayed the alarm changes the ring no longer holds. Without it (nil),
// alarms are replayed from the ring only.
type AlarmHistory interface {
	// AlarmEventsSince returns the alarm changes recorded at or after t, oldest first, each as the
	// alarm's state after the change (Updated: when it changed), at most limit+1 (more than limit
	// means too many to replay).
	AlarmEventsSince(ctx context.Context, t time.Time, limit int) ([]live.Alarm, error)
}

// UseIncidents replays incident changes past the ring from h (the incident store is made after the
// broadcaster).
func (b *Broadcaster) UseIncidents(h IncidentHistory) { b.inc.Store(&h) }

// IncidentHistory is the hook the incident store (command.Store) implements so that a reconnecting
// client is replayed the incident changes the ring no longer holds. Without it (nil), incidents
// are replayed from the ring only (a map reloads its list when it reconnects).
type IncidentHistory interface {
	// IncidentChangesSince returns the incidents changed at or after t as changes, oldest first, at
	// most limit+1 (more than limit means too many to replay).
	IncidentChangesSince(ctx context.Context, t time.Time, limit int) ([]live.Change, error)
}

// Deps are what a broadcaster is built from.
type Deps struct {
	Hub     Source
	History History      // nil: no replay past the ring
	Alarms  AlarmHistory // nil: alarms replay from the ring only
	Log     *slog.Logger
	Metrics prometheus.Registerer // nil: not registered
}

// Filter is a client's subscription. The zero Filter selects everything the client may read.
type Filter struct {
	BBox   *[4]float64 // west, south, east, north (CGCS2000 lon/lat); nil: anywhere
	Kinds  []live.Kind // none: every kind
	Layers []string    // none: every live layer the client may read
}

// Validate checks a filter that came from a client; param names the field at fault.
func (f *Filter) Validate() error {
	if b := f.BBox; b != nil {
		for _, v := range b {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return spatial.Invalid("bbox", "not finite numbers: %v", *b)
			}
		}
		if b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
			return spatial.Invalid("bbox", "west,south,east,north in degrees with west <= east and south <= north, got %v", *b)
		}
	}
	for _, k := range f.Kinds {
		if !k.Valid() && k != live.KindHotspot {
			return spatial.Invalid("kinds", "%q is not a kind: vehicle, team, sensor, camera or hotspot", k)
		}
	}
	for _, l := range f.Layers {
		if len(l) < 6 || l[:5] != "live." {
			return spatial.Invalid("layers", "%q is not a live layer (live.vehicle, live.hazmat, live.team, live.sensor, live.camera, live.hotspot)", l)
		}
	}
	return nil
}

// Broadcaster is the fan-out: one subscription to the hub's stream, any number of clients.
type Broadcaster struct {
	cfg     Config
	src     Source
	hist    History
	alarms  AlarmHistory
	inc     atomic.Pointer[IncidentHistory]
	log     *slog.Logger
	metrics *metrics

	sub *live.Subscription // from New: every change after New reaches the clients

	mu      sync.Mutex
	clients atomic.Pointer[[]*Client] // copy on write: the loop reads it without a lock
	stopped bool

	// The loop's own state (Run's goroutine only).
	recent map[key]*slot    // keys sent within the last FlushEvery
	due    []due            // those keys in the order they were sent
	places map[string]place // the last place of each object seen, for the box test
}

// key is what coalesces: an object's changes of one type, or one alarm's changes.
type key struct {
	id  string // object id, or the alarm's id
	typ live.ChangeType
}

func keyOf(c *live.Change) key {
	if c.Type == live.ChangeAlarm && c.Alarm != nil && c.Alarm.ID != "" {
		return key{c.Alarm.ID, live.ChangeAlarm}
	}
	return key{c.Object, c.Type}
}

// slot is a key sent within the interval: the latest change since is held until it ends.
type slot struct {
	sent time.Time
	held live.Change
	has  bool
}

type due struct {
	k    key
	sent time.Time
}

// place is where an object was when last seen (fixed places are looked up in the hub).
type place struct {
	lon, lat float64
	ok       bool      // the object has a place
	moved    bool      // learnt from a position change (else looked up, and looked up again after a while)
	seen     time.Time // when learnt or used
}

// New builds a broadcaster, following the hub's stream from now on; Run sends what it reads.
func New(cfg Config, deps Deps) *Broadcaster {
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Broadcaster{cfg: cfg, src: deps.Hub, hist: deps.History, alarms: deps.Alarms, log: log,
		recent: map[key]*slot{}, places: map[string]place{}}
	b.clients.Store(&[]*Client{})
	b.metrics = newMetrics(deps.Metrics)
	b.sub = deps.Hub.Stream().Subscribe()
	return b
}

// Config is the broadcaster's configuration (the transports read their timeouts from it).
func (b *Broadcaster) Config() Config { return b.cfg }

// Connect adds a client for a transport (ws, sse: a metric label) with its read rights (fixed for
// the connection) and, when f is not nil, its subscription (it is sent a snapshot first). A client
// without a subscription gets nothing until SetFilter. Close it when done.
func (b *Broadcaster) Connect(transport string, may func(layer string) bool, f *Filter) *Client {
	c := newClient(b, transport, may)
	if f != nil {
		c.filter.Store(f)
		c.snapshot = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		c.end("the server is shutting down", false)
		return c
	}
	list := append(slices.Clone(*b.clients.Load()), c)
	b.clients.Store(&list)
	b.metrics.clients.WithLabelValues(transport).Inc()
	return c
}

func (b *Broadcaster) remove(c *Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := *b.clients.Load()
	i := slices.Index(list, c)
	if i < 0 {
		return
	}
	list = slices.Delete(slices.Clone(list), i, i+1)
	b.clients.Store(&list)
	b.metrics.clients.WithLabelValues(c.transport).Dec()
}

// Clients is the number of connected clients.
func (b *Broadcaster) Clients() int { return len(*b.clients.Load()) }

// batch is what the stream reader hands the loop.
type batch struct {
	changes []live.Change
	gap     bool
}

// Run follows the hub's stream until ctx ends, then closes every client.
func (b *Broadcaster) Run(ctx context.Context) {
	sub := b.sub
	defer sub.Close()
	in := make(chan batch, 1)
	go func() {
		for {
			cs, err := sub.Next(ctx, 4096)
			if ctx.Err() != nil {
				return
			}
			select {
			case in <- batch{cs, errors.Is(err, live.ErrGap)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	prune := time.NewTicker(10 * time.Minute)
	defer prune.Stop()
	for {
		select {
		case bt := <-in:
			if bt.gap {
				b.metrics.gaps.Inc()
				b.log.Warn("push: fell behind the hub's stream; clients are told to resync")
				for _, c := range *b.clients.Load() {
					c.resyncNow()
				}
			}
			now := time.Now()
			for i := range bt.changes {
				b.offer(&bt.changes[i], now)
			}
		case <-timer.C:
		case now := <-prune.C:
			for id, p := range b.places {
				if now.Sub(p.seen) > time.Hour {
					delete(b.places, id)
				}
			}
		case <-ctx.Done():
			b.mu.Lock()
			b.stopped = true
			list := *b.clients.Load()
			b.mu.Unlock()
			for _, c := range list {
				c.end("the server is shutting down", false)
			}
			return
		}
		b.flushDue(time.Now())
		if len(b.due) > 0 {
			timer.Reset(time.Until(b.due[0].sent.Add(b.cfg.FlushEvery)))
		}
	}
}

// offer takes one change from the stream: sent at once unless its key was sent within the
// interval, else held (the latest wins) until the interval ends.
func (b *Broadcaster) offer(c *live.Change, now time.Time) {
	if c.Late { // history only: it does not move the object
		return
	}
	k := keyOf(c)
	if s := b.recent[k]; s != nil {
		if s.has {
			b.metrics.coalesced.Inc()
		}
		s.held, s.has = *c, true
		return
	}
	b.dispatch(c, now)
	b.recent[k] = &slot{sent: now}
	b.due = append(b.due, due{k, now})
}

// flushDue sends the held changes whose interval ended, and forgets the keys that were quiet.
func (b *Broadcaster) flushDue(now time.Time) {
	n := 0
	for n < len(b.due) && now.Sub(b.due[n].sent) >= b.cfg.FlushEvery {
		d := b.due[n]
		n++
		s := b.recent[d.k]
		if s == nil || !s.sent.Equal(d.sent) {
			continue
		}
		if !s.has {
			delete(b.recent, d.k)
			continue
		}
		c := s.held
		s.held, s.has, s.sent = live.Change{}, false, now
		b.dispatch(&c, now)
		b.due = append(b.due, due{d.k, now})
	}
	if n > 0 {
		b.due = append(b.due[:0], b.due[n:]...)
	}
}

// dispatch hands a change to every client whose subscription it matches; the message is encoded
// once, for the first.
func (b *Broadcaster) dispatch(c *live.Change, now time.Time) {
	var (
		here, before place
		hasBefore    bool
	)
	switch c.Type {
	case live.ChangePosition, live.ChangeHotspot:
		lon, lat := positionOf(c)
		before, hasBefore = b.places[c.Object]
		here = place{lon: lon, lat: lat, ok: true, moved: true, seen: now}
		b.places[c.Object] = here
	case live.ChangeAlarm, live.ChangeIncident: // sent whatever the box: a map lists them beyond its view
	default:
		here = b.placeOf(c.Object, now)
	}
	layer := layerOf(c)
	if layer == "" { // whose rights decide is unknown: nobody gets it
		return
	}
	var msg *Message
	k := keyOf(c)
	for _, cl := range *b.clients.Load() {
		f := cl.filter.Load()
		if f == nil || !f.matches(c, layer, here, before, hasBefore) || !cl.mayRead(layer) {
			continue
		}
		if msg == nil {
			msg = encodeChange(c)
		}
		cl.push(k, msg, now)
	}
}

// placeOf is an object's place for the box test of a change that does not carry one.
func (b *Broadcaster) placeOf(id string, now time.Time) place {
	p, ok := b.places[id]
	if !ok || (!p.moved && now.Sub(p.seen) > time.Minute) {
		p = place{seen: now}
		if o, found := b.src.Object(id); found && o.HasPos {
			p.lon, p.lat, p.ok = o.Position.Lon, o.Position.Lat, true
		}
		b.places[id] = p
	}
	return p
}

func positionOf(c *live.Change) (lon, lat float64) {
	if c.Hotspot != nil {
		return c.Hotspot.Lon, c.Hotspot.Lat
	}
	if c.Position != nil {
		return c.Position.Lon, c.Position.Lat
	}
	return math.NaN(), math.NaN()
}

// layerOf is the layer whose read rights decide who gets a change: an alarm's own layer.
func layerOf(c *live.Change) string {
	if c.Type == live.ChangeAlarm && c.Alarm != nil && c.Alarm.Layer != "" {
		return c.Alarm.Layer
	}
	return c.Layer
}

// matches reports whether a change is in the subscription. A position matches when the object is in
// the box now or was before it moved (so a map sees it leave), alarms and incidents whatever the box.
func (f *Filter) matches(c *live.Change, layer string, here, before place, hasBefore bool) bool {
	if len(f.Kinds) > 0 && c.Kind != "" && !slices.Contains(f.Kinds, c.Kind) {
		return false
	}
	if len(f.Layers) > 0 && !slices.Contains(f.Layers, layer) {
		return false
	}
	if f.BBox == nil || c.Type == live.ChangeAlarm || c.Type == live.ChangeIncident {
		return true
	}
	return f.inBox(here) || (hasBefore && f.inBox(before))
}

func (f *Filter) inBox(p place) bool {
	b := f.BBox
	return p.ok && p.lon >= b[0] && p.lon <= b[2] && p.lat >= b[1] && p.lat <= b[3]
}

// liveFilter is the subscription as a filter of the hub's objects, for snapshots.
func (f *Filter) liveFilter(may func(string) bool) live.Filter {
	return live.Filter{BBox: f.BBox, Kinds: f.Kinds, Layer: func(l string) bool {
		return (len(f.Layers) == 0 || slices.Contains(f.Layers, l)) && may(l)
	}}
}
