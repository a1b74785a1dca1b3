package tiles

import (
	"sync"
	"sync/atomic"

	"github.com/yitu-gis/yitu/spatial"
)

// Event is a change passed on to viewers, numbered so a reconnecting viewer can say what it saw last.
type Event struct {
	ID     uint64
	Change spatial.Change
}

// Broker fans tile changes out to subscribers (the viewers' GET /events streams). A subscriber that
// does not keep up is closed rather than allowed to hold the others back; it reconnects with the last
// event id and is replayed what it missed while the broker still has it.
type Broker struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	recent []Event // the last replayLen events, oldest first
	seq    atomic.Uint64
}

const (
	replayLen = 256
	subBuffer = 64
)

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[*Subscription]struct{}{}} }

// Subscription receives events on C until it is closed (by Close, or by the broker when it lags).
type Subscription struct {
	C      chan Event
	b      *Broker
	closed bool
}

// Subscribe starts a subscription. Events after lastID that the broker still holds are queued first;
// replayed is false when some were already forgotten (the viewer should reload everything).
func (b *Broker) Subscribe(lastID uint64) (s *Subscription, replayed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s = &Subscription{C: make(chan Event, subBuffer+replayLen), b: b}
	replayed = true
	if lastID > 0 {
		if len(b.recent) > 0 && b.recent[0].ID > lastID+1 || lastID > b.seq.Load() {
			replayed = false
		}
		for _, e := range b.recent {
			if e.ID > lastID {
				s.C <- e
			}
		}
	}
	b.subs[s] = struct{}{}
	return s, replayed
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.drop(s)
}

func (b *Broker) drop(s *Subscription) {
	if !s.closed {
		s.closed = true
		delete(b.subs, s)
		close(s.C)
	}
}

// Publish sends a change to every subscriber.
func (b *Broker) Publish(ch spatial.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := Event{ID: b.seq.Add(1), Change: ch}
	b.recent = append(b.recent, e)
	if len(b.recent) > replayLen {
		b.recent = b.recent[len(b.recent)-replayLen:]
	}
	for s := range b.subs {
		select {
		case s.C <- e:
		default:
			b.drop(s) // lagging: it reconnects and is replayed from its last id
		}
	}
}

// Subscribers is the number of open subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
