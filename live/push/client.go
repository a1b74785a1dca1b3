package push

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yitu-gis/yitu/live"
)

// Message is one message to a client: a JSON object, shared by every client that gets it (never
// modify Data).
type Message struct {
	Type string // position, observation, state, event, hotspot, alarm; snapshot, resync
	// Received is when the hub accepted the change (unix nanoseconds; a snapshot: when it was
	// taken; 0 for resync). SSE sends it as the event id: see Client.Replay.
	Received int64
	Data     []byte
}

// Reasons a client is closed (Client.Reason); the first three are drops, counted by reason.
const (
	ReasonSlow         = "slow"          // more than MaxPending messages waiting
	ReasonWriteTimeout = "write_timeout" // a write blocked longer than WriteTimeout
	ReasonBadInput     = "bad_input"     // the client sent what the protocol does not allow
)

// ErrClosed is what Next returns once the client is closed; Reason says why.
var ErrClosed = errors.New("push: the client is closed")

// Client is one open map. The broadcaster queues its messages (coalesced per object and type, and
// per alarm); its transport takes them with Next, from one goroutine, and writes them.
type Client struct {
	b         *Broadcaster
	transport string
	may       func(layer string) bool
	filter    atomic.Pointer[Filter]
	rights    map[string]bool // may, remembered per layer (the broadcaster's loop only)
	lastLayer string          // the layer asked last, and the answer (most changes are of a few layers)
	lastMay   bool

	mu    sync.Mutex
	queue []*Message
	keys  []key       // of queue's messages
	index map[key]int // key → its place in queue, while indexed
	// indexed: the queue may hold a key twice unless it is looked up. A key is dispatched at most
	// once per FlushEvery, so while the oldest queued message is younger than that (a client that
	// keeps up) no key can repeat and push appends without the lookup; past it the index is built.
	indexed  bool
	oldest   time.Time // when the oldest queued message was queued
	snapshot bool      // send a snapshot of the subscription (subscribed, box changed, resync)
	resync   bool      // send resync first
	closed   bool
	reason   string
	wake     chan struct{}
	done     chan struct{}

	// The transport's goroutine only.
	spare     []*Message
	spareKeys []key
	timer     *time.Timer
}

func newClient(b *Broadcaster, transport string, may func(string) bool) *Client {
	if may == nil {
		may = func(string) bool { return false }
	}
	return &Client{b: b, transport: transport, may: may, rights: map[string]bool{}, index: map[key]int{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// SetFilter changes the subscription (a map moved); the client is sent a snapshot of what the new
// one selects, before what changes after. nil: nothing until the next SetFilter.
func (c *Client) SetFilter(f *Filter) {
	c.filter.Store(f)
	c.mu.Lock()
	c.snapshot = f != nil
	c.mu.Unlock()
	c.signal()
}

// Filter is the current subscription (nil: none).
func (c *Client) Filter() *Filter { return c.filter.Load() }

// Done is closed when the client is: by Close, by a drop, or by the server shutting down.
func (c *Client) Done() <-chan struct{} { return c.done }

// Reason says why the client was closed ("" while open, or after Close).
func (c *Client) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Close ends the client (its connection went away); it is no drop.
func (c *Client) Close() { c.end("", false) }

// Drop ends the client for a reason (ReasonWriteTimeout, ReasonBadInput, …), counted.
func (c *Client) Drop(reason string) { c.end(reason, true) }

func (c *Client) end(reason string, drop bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.reason = true, reason
	clear(c.queue)
	c.queue, c.keys = nil, nil
	c.index = nil
	close(c.done)
	c.mu.Unlock()
	if drop {
		c.b.metrics.dropped.WithLabelValues(reason).Inc()
	}
	c.b.remove(c)
}

func (c *Client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// mayRead is the client's right to read a layer, asked once per layer (the broadcaster's loop).
func (c *Client) mayRead(layer string) bool {
	if layer == c.lastLayer && layer != "" {
		return c.lastMay
	}
	ok, known := c.rights[layer]
	if !known {
		ok = c.may(layer)
		c.rights[layer] = ok
	}
	c.lastLayer, c.lastMay = layer, ok
	return ok
}

// push queues a message, replacing the waiting one of the same key (the latest wins); a client with
// more than MaxPending waiting is dropped. It never blocks on the transport. now is when the
// broadcaster dispatched it.
func (c *Client) push(k key, m *Message, now time.Time) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	switch {
	case len(c.queue) == 0:
		c.oldest = now
		c.unindex()
	case !c.indexed && now.Sub(c.oldest) >= c.b.cfg.FlushEvery:
		c.indexed = true
		for i, k := range c.keys {
			c.index[k] = i
		}
	}
	if c.indexed {
		if i, ok := c.index[k]; ok {
			c.queue[i] = m
			c.mu.Unlock()
			c.b.metrics.coalesced.Inc()
			return
		}
	}
	if len(c.queue) >= c.b.cfg.MaxPending {
		c.mu.Unlock()
		c.Drop(ReasonSlow)
		return
	}
	if c.indexed {
		c.index[k] = len(c.queue)
	}
	c.queue = append(c.queue, m)
	c.keys = append(c.keys, k)
	c.mu.Unlock()
	c.signal()
}

// unindex empties the index; c.mu is held.
func (c *Client) unindex() {
	if c.indexed {
		if len(c.index) > 1024 {
			c.index = map[key]int{} // let a large table go
		} else {
			clear(c.index)
		}
		c.indexed = false
	}
}

// resyncNow tells the client that the broadcaster lost changes: it is sent resync and a snapshot.
func (c *Client) resyncNow() {
	c.mu.Lock()
	c.resync = true
	c.snapshot = c.filter.Load() != nil
	c.mu.Unlock()
	c.signal()
}

// Next waits for the client's messages and returns those waiting, oldest first: resync when the
// server lost track, then the queued changes, then a snapshot when one is due (a subscription or a
// box changed; it is newer than what is queued before it). With idle > 0 it returns nil, nil after
// idle without any (time to ping). It returns ErrClosed once the client is closed, and ctx.Err()
// when ctx ends. Call it from one goroutine; the returned slice is valid until the next call.
func (c *Client) Next(ctx context.Context, idle time.Duration) ([]*Message, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if len(c.queue) > 0 || c.snapshot || c.resync {
			out := c.queue
			clear(c.spare[:cap(c.spare)])
			c.queue, c.spare = c.spare[:0], out
			c.keys, c.spareKeys = c.spareKeys[:0], c.keys
			c.unindex()
			snap, resync := c.snapshot, c.resync
			c.snapshot, c.resync = false, false
			c.mu.Unlock()
			if resync {
				out = append([]*Message{resyncMessage}, out...)
			}
			if snap {
				if m, err := c.snapshotMessage(); err == nil && m != nil {
					out = append(out, m)
				}
			}
			c.b.metrics.sent.WithLabelValues(c.transport).Add(float64(len(out)))
			return out, nil
		}
		c.mu.Unlock()
		var fire <-chan time.Time
		if idle > 0 {
			if c.timer == nil {
				c.timer = time.NewTimer(idle)
			} else {
				c.timer.Reset(idle)
			}
			fire = c.timer.C
		}
		select {
		case <-c.wake:
		case <-c.done:
		case <-fire:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

var resyncMessage = &Message{Type: "resync", Data: []byte(`{"type":"resync"}`)}

// snapshotMessage is everything the subscription selects now, as /live/objects features.
func (c *Client) snapshotMessage() (*Message, error) {
	f := c.filter.Load()
	if f == nil {
		return nil, nil
	}
	src := c.b.src
	objs := src.Objects(f.liveFilter(c.may))
	now := src.Now().UTC()
	stale := src.StaleAfter()
	snap := struct {
		Type     string         `json:"type"`
		Time     time.Time      `json:"time"`
		BBox     *[4]float64    `json:"bbox"`
		Features []live.Feature `json:"features"`
	}{Type: "snapshot", Time: now, BBox: f.BBox, Features: make([]live.Feature, len(objs))}
	for i, o := range objs {
		snap.Features[i] = o.Feature(now, stale)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		c.b.log.Error("push: encoding a snapshot", "err", err)
		return nil, err
	}
	c.b.metrics.snapshots.Inc()
	return &Message{Type: "snapshot", Received: now.UnixNano(), Data: b}, nil
}

// prepend puts replayed messages before those queued, leaving out a key that is queued already (the
// queued message is newer).
func (c *Client) prepend(keys []key, msgs []*Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	queued := make(map[key]bool, len(c.keys))
	for _, k := range c.keys {
		queued[k] = true
	}
	q := make([]*Message, 0, len(msgs)+len(c.queue))
	ks := make([]key, 0, len(msgs)+len(c.queue))
	for i, m := range msgs {
		if !queued[keys[i]] {
			q, ks = append(q, m), append(ks, keys[i])
		}
	}
	q, ks = append(q, c.queue...), append(ks, c.keys...)
	c.queue, c.keys = q, ks
	// Replayed keys may come again at any time: look every key up until the queue is taken.
	c.unindex()
	c.indexed = true
	for i, k := range ks {
		c.index[k] = i
	}
	c.signal()
}

// match reports whether a replayed change is in the client's subscription and rights (any
// goroutine: it asks may, not the loop's memory of it).
func (c *Client) match(ch *live.Change, here place) bool {
	f := c.filter.Load()
	if f == nil {
		return false
	}
	layer := layerOf(ch)
	return f.matches(ch, layer, here, place{}, false) && c.may(layer)
}
