package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/spatial"
)

// Config configures the hub and its history.
type Config struct {
	// Buffer is how many accepted changes the hub holds for history while the database is away
	// (about 300 bytes each); past it, new changes are refused (the sender keeps them: JT/T 808
	// terminals resend as blind-area data, MQTT redelivers unacknowledged readings, HTTP gets 503).
	Buffer int `yaml:"buffer"`
	// BatchSize and FlushEvery: history is written with COPY in batches of up to BatchSize; a change
	// waits at most about FlushEvery for its batch to start (while one batch is written the next
	// gathers, so batches grow with the load).
	BatchSize  int           `yaml:"batch_size"`
	FlushEvery time.Duration `yaml:"flush_every"`
	// RetentionDays is how many days of history the day partitions keep; older ones are dropped.
	RetentionDays int `yaml:"retention_days"`
	// StaleAfter: an object that has not reported for this long is shown stale.
	StaleAfter time.Duration `yaml:"stale_after"`
	// MaxFuture: a change timed further ahead of the server's clock than this is refused (a terminal
	// with a wrong clock would otherwise pin its object in the future).
	MaxFuture time.Duration `yaml:"max_future"`
	// StreamSize is how many of the newest changes the stream keeps for its subscribers.
	StreamSize int `yaml:"stream_size"`
	// SpoolDir receives the changes that could not be written at shutdown (the database away); the
	// next start writes them first.
	SpoolDir string `yaml:"spool_dir"`
	// HotspotWindow: hotspots acquired within this long are live objects (older ones stay history).
	HotspotWindow time.Duration `yaml:"hotspot_window"`
	// Outbox: several replicas serve one database; each writes what it accepted to live.outbox and
	// applies what the others wrote, so every replica's hub is complete.
	Outbox bool `yaml:"outbox"`
}

// DefaultConfig is the hub's configuration unless told otherwise.
func DefaultConfig() Config {
	return Config{
		Buffer:        500_000,
		BatchSize:     10_000,
		FlushEvery:    100 * time.Millisecond,
		RetentionDays: 180,
		StaleAfter:    5 * time.Minute,
		MaxFuture:     10 * time.Minute,
		StreamSize:    1 << 16,
		SpoolDir:      ".data/live-spool",
		HotspotWindow: 72 * time.Hour,
	}
}

// Validate checks the values no type check catches.
func (c Config) Validate() error {
	switch {
	case c.Buffer < 1:
		return fmt.Errorf("live.buffer %d: must be at least 1", c.Buffer)
	case c.BatchSize < 1:
		return fmt.Errorf("live.batch_size %d: must be at least 1", c.BatchSize)
	case c.FlushEvery <= 0:
		return fmt.Errorf("live.flush_every %v: must be positive", c.FlushEvery)
	case c.RetentionDays < 1:
		return fmt.Errorf("live.retention_days %d: must be at least 1", c.RetentionDays)
	case c.StaleAfter <= 0 || c.MaxFuture < 0 || c.HotspotWindow <= 0:
		return errors.New("live.stale_after and live.hotspot_window must be positive, live.max_future not negative")
	}
	return nil
}

// Hub is the one authority for what is where now: the current state of every live object in memory
// with a spatial index, fed by every accepted change, once, in order per object. It numbers the
// changes onto its Stream (which fences, push and incidents follow) and hands them to history.
type Hub struct {
	cfg  Config
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time

	devices  atomic.Pointer[map[string]*Device]
	reloadMu sync.Mutex // serialises ReloadDevices

	mu      sync.RWMutex
	objects map[string]*object
	grid    *grid
	dirty   map[string]struct{} // objects whose state is to be written to live.object_state
	gone    map[string]struct{} // objects whose state row is to be deleted
	closed  bool                // Close was called: Accept refuses

	stream  *Stream
	hist    *history
	metrics *hubMetrics

	hotspotMax atomic.Int64 // the newest live.hotspot id loaded
	origin     string       // this replica, in live.outbox
	outbox     outboxCursor
}

// object is one live object's current state.
type object struct {
	id       string
	kind     Kind
	layer    string
	dev      *Device      // nil for hotspots
	time     time.Time    // of the latest change of any type
	times    [4]time.Time // of the latest position, observation, state, event (see last)
	received time.Time
	hasPos   bool
	pos      Position
	vals     map[string]float64
	unit     string
	state    map[string]any
	hotspot  *Hotspot
	event    string // the last device event (register, auth, …)
}

// NewHub builds a hub over the pool. Start loads the registry and the current state; Run keeps
// history, state and registry in step.
func NewHub(cfg Config, pool *pgxpool.Pool, log *slog.Logger, reg prometheus.Registerer) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		cfg: cfg, pool: pool, log: log, now: time.Now,
		objects: map[string]*object{}, grid: newGrid(0.01),
		dirty: map[string]struct{}{}, gone: map[string]struct{}{},
		stream: NewStream(cfg.StreamSize),
	}
	empty := map[string]*Device{}
	h.devices.Store(&empty)
	h.metrics = newHubMetrics(reg, h)
	h.hist = newHistory(cfg, pool, log, h.metrics)
	h.origin = replicaID()
	h.hist.origin = h.origin
	return h
}

// SetClock replaces the hub's clock (tests).
func (h *Hub) SetClock(now func() time.Time) { h.now = now; h.hist.now = now }

// Stream is the ordered stream of accepted changes.
func (h *Hub) Stream() *Stream { return h.stream }

// Start prepares the hub: the history's partitions, changes spooled at the last shutdown, the device
// registry, the current state and recent hotspots.
func (h *Hub) Start(ctx context.Context) error {
	if err := h.hist.maintainPartitions(ctx); err != nil {
		return err
	}
	if err := h.ReloadDevices(ctx); err != nil {
		return err
	}
	if err := h.loadState(ctx); err != nil {
		return err
	}
	if err := h.hist.recoverSpool(ctx, h.applySpooled); err != nil {
		return err
	}
	return h.loadHotspots(ctx)
}

// Run keeps the hub going until ctx ends: history writing, state persistence, partition upkeep and
// the registry and hotspot notifications. Then call Close to flush.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { h.hist.run(ctx) })
	wg.Go(func() { h.persistLoop(ctx) })
	if h.cfg.Outbox {
		wg.Go(func() { h.followOutbox(ctx) })
	}
	wg.Go(func() {
		spatial.Listener{
			Channel:  "yitu_live",
			Coalesce: 50 * time.Millisecond,
			Connected: func(ctx context.Context) error {
				if err := h.ReloadDevices(ctx); err != nil {
					return err
				}
				return h.loadHotspots(ctx)
			},
			Notify: func(ctx context.Context, payloads []string) {
				var err error
				if slices.Contains(payloads, "devices") {
					err = h.ReloadDevices(ctx)
				}
				if slices.Contains(payloads, "hotspots") {
					err = errors.Join(err, h.loadHotspots(ctx))
				}
				if err != nil {
					h.log.Warn("live: reloading after a notification", "err", err)
				}
			},
		}.Run(ctx, h.pool, h.log)
	})
	wg.Wait()
}

// Close writes what history still holds (within ctx), and spools the rest to SpoolDir when the
// database cannot take it; the current state is written too. Call it after Run returned and the
// gateways stopped; later Accepts are refused with ErrClosed.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true // from now on Accept refuses: nothing accepted can miss the final write
	h.mu.Unlock()
	if err := h.persistState(ctx); err != nil {
		// Not lost: the history has every change (or the spool, which the next start applies).
		h.log.Warn("live: the current state could not be written at shutdown; the next start rebuilds it from the last written state and the spool", "err", err)
	}
	return h.hist.close(ctx)
}

// Device returns a registered device.
func (h *Hub) Device(id string) (Device, bool) {
	d, ok := (*h.devices.Load())[id]
	if !ok {
		return Device{}, false
	}
	return *d, true
}

// Accept takes changes in (see Ingester). It numbers them, applies them to the current state, hands
// them to history and appends them to the stream; it never waits on the database. Zero times become
// now. The slice's elements are completed in place (Seq, Kind, Layer, Received, Late).
func (h *Hub) Accept(ctx context.Context, cs []Change) error {
	if len(cs) == 0 {
		return nil
	}
	now := h.now().UTC()
	devs := *h.devices.Load()
	for i := range cs {
		if err := h.check(&cs[i], i, len(cs), now, devs); err != nil {
			h.metrics.refused.WithLabelValues(refusal(err), cs[i].Source).Inc()
			return err
		}
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if err := h.hist.reserve(len(cs)); err != nil {
		h.mu.Unlock()
		h.metrics.refused.WithLabelValues("buffer_full", cs[0].Source).Add(float64(len(cs)))
		return err
	}
	fresh, dropped := cs, false
	for i := range cs {
		switch keep := h.apply(&cs[i]); {
		case keep && dropped:
			fresh = append(fresh, cs[i])
		case !keep && !dropped:
			fresh, dropped = slices.Clone(cs[:i]), true
		}
	}
	h.stream.append(fresh)
	h.hist.push(fresh)
	h.mu.Unlock()
	if dropped { // number the caller's changes too; a repeat keeps Seq 0
		for i, j := 0, 0; i < len(cs) && j < len(fresh); i++ {
			if cs[i].Object == fresh[j].Object && cs[i].Time.Equal(fresh[j].Time) && cs[i].Type == fresh[j].Type {
				cs[i].Seq = fresh[j].Seq
				j++
			}
		}
		h.metrics.refused.WithLabelValues("repeat", cs[0].Source).Add(float64(len(cs) - len(fresh)))
	}
	for i := range fresh {
		h.metrics.accepted.WithLabelValues(string(fresh[i].Type), fresh[i].Source).Inc()
	}
	return nil
}

func refusal(err error) string {
	switch {
	case errors.Is(err, ErrUnknownDevice):
		return "unknown_device"
	default:
		return "invalid"
	}
}

// check validates one change and completes it from the registry.
func (h *Hub) check(c *Change, i, n int, now time.Time, devs map[string]*Device) error {
	at := func(format string, args ...any) error {
		param := "change"
		if n > 1 {
			param = fmt.Sprintf("change %d", i)
		}
		return spatial.Invalid(param, format, args...)
	}
	if c.Source == "" {
		c.Source = "api"
	}
	if c.Time.IsZero() {
		c.Time = now
	}
	c.Time = c.Time.UTC()
	c.Received = now
	if c.Time.After(now.Add(h.cfg.MaxFuture)) {
		return at("time %s is %v ahead of the server's clock (at most %v is taken)", c.Time.Format(time.RFC3339), c.Time.Sub(now).Round(time.Second), h.cfg.MaxFuture)
	}
	if oldest := h.hist.oldest(now); c.Time.Before(oldest) {
		return at("time %s is older than the history keeps (%d days)", c.Time.Format(time.RFC3339), h.cfg.RetentionDays)
	}
	d := devs[c.Object]
	if d == nil {
		if n > 1 {
			return fmt.Errorf("change %d: device %q is not registered: %w", i, c.Object, ErrUnknownDevice)
		}
		return fmt.Errorf("device %q is not registered: %w", c.Object, ErrUnknownDevice)
	}
	c.Kind, c.Layer = d.Kind, d.Layer()
	switch c.Type {
	case ChangePosition:
		p := c.Position
		if p == nil {
			return at("a position change without a position")
		}
		if !finite(p.Lon, p.Lat, p.Altitude, p.Speed, p.Heading) || p.Lon < -180 || p.Lon > 180 || p.Lat < -90 || p.Lat > 90 {
			return at("position %g, %g is not a longitude and latitude", p.Lon, p.Lat)
		}
		if d.Kind == KindSensor || d.Kind == KindCamera {
			return at("device %s is a %s: it has a fixed place, not positions", d.ID, d.Kind)
		}
	case ChangeObservation:
		o := c.Observation
		if o == nil || len(o.Values) == 0 {
			return at("an observation without a value")
		}
		for k, v := range o.Values {
			if !finite(v) {
				return at("value %s is not a finite number", k)
			}
		}
		if o.Unit == "" {
			o.Unit = d.Unit
		}
	case ChangeState:
		if len(c.State) == 0 {
			return at("a state change without a state")
		}
	case ChangeEvent:
		if c.Event == nil || c.Event.Name == "" {
			return at("an event without a name")
		}
	default:
		return at("unknown change type %q", c.Type)
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// apply puts a checked change into the current state; h.mu is held.
//
// It reports false for a repeat of the object's current state (the same reading or fix at the same
// time: an MQTT reading the broker sent again because its acknowledgement was lost, a terminal's
// resend), which is dropped: history and the stream have it already.
func (h *Hub) apply(c *Change) bool {
	o := h.objects[c.Object]
	if o == nil {
		o = &object{id: c.Object, kind: c.Kind, layer: c.Layer}
		if c.Type != ChangeHotspot {
			o.dev = (*h.devices.Load())[c.Object]
		}
		h.objects[c.Object] = o
	}
	last := o.last(c.Type)
	if c.Time.Before(*last) {
		c.Late = true
		return true
	}
	if c.Time.Equal(*last) && o.repeats(c) {
		return false
	}
	*last = c.Time
	if c.Time.After(o.time) {
		o.time = c.Time
	}
	o.received = c.Received
	switch c.Type {
	case ChangePosition:
		p := *c.Position
		h.grid.move(o.id, o.hasPos, o.pos.Lon, o.pos.Lat, p.Lon, p.Lat)
		o.pos, o.hasPos = p, true
	case ChangeObservation:
		if o.vals == nil {
			o.vals = map[string]float64{}
		}
		maps.Copy(o.vals, c.Observation.Values)
		o.unit = c.Observation.Unit
	case ChangeState:
		if o.state == nil {
			o.state = map[string]any{}
		}
		maps.Copy(o.state, c.State)
	case ChangeEvent:
		o.event = c.Event.Name
	case ChangeHotspot:
		hs := *c.Hotspot
		o.hotspot = &hs
		h.grid.move(o.id, o.hasPos, o.pos.Lon, o.pos.Lat, hs.Lon, hs.Lat)
		o.pos, o.hasPos = Position{Lon: hs.Lon, Lat: hs.Lat}, true
		return true // hotspots are kept in live.hotspot, not live.object_state
	}
	h.dirty[o.id] = struct{}{}
	return true
}

// last is the time of the object's latest change of a type: a change older than it is late (an
// event now does not make a fix sent a minute ago late).
func (o *object) last(t ChangeType) *time.Time {
	switch t {
	case ChangePosition, ChangeHotspot:
		return &o.times[0]
	case ChangeObservation:
		return &o.times[1]
	case ChangeState:
		return &o.times[2]
	}
	return &o.times[3]
}

// repeats reports whether c carries what the object already has from a change at the same time.
func (o *object) repeats(c *Change) bool {
	switch c.Type {
	case ChangePosition:
		p := c.Position
		return o.hasPos && o.pos.Lon == p.Lon && o.pos.Lat == p.Lat && o.pos.Speed == p.Speed && o.pos.Heading == p.Heading
	case ChangeObservation:
		for k, v := range c.Observation.Values {
			if w, ok := o.vals[k]; !ok || w != v {
				return false
			}
		}
		return true
	case ChangeEvent:
		return o.event == c.Event.Name
	}
	return false
}

// applySpooled puts changes written from the spool at start into the current state.
func (h *Hub) applySpooled(cs []Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	devs := *h.devices.Load()
	for i := range cs {
		if d := devs[cs[i].Object]; d != nil {
			cs[i].Kind, cs[i].Layer = d.Kind, d.Layer()
			h.apply(&cs[i])
		}
	}
}

// remove drops an object from the current state; h.mu is held.
func (h *Hub) remove(o *object) {
	if o.hasPos {
		h.grid.remove(o.id, o.pos.Lon, o.pos.Lat)
	}
	delete(h.objects, o.id)
	delete(h.dirty, o.id)
	if o.kind != KindHotspot {
		h.gone[o.id] = struct{}{}
	}
}

// Publish puts changes the server itself makes (alarms) onto the stream, numbered in order with
// the accepted ones. They are not checked against the registry and not written to history: their
// owner stores them.
func (h *Hub) Publish(cs []Change) {
	if len(cs) == 0 {
		return
	}
	now := h.now().UTC()
	h.mu.Lock()
	for i := range cs {
		cs[i].Received = now
	}
	h.stream.append(cs)
	if h.cfg.Outbox { // the other replicas learn them from the outbox
		h.hist.push(cs)
	}
	h.mu.Unlock()
}

// Pool is the hub's database pool (for the components that follow it).
func (h *Hub) Pool() *pgxpool.Pool { return h.pool }
