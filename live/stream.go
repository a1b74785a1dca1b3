package live

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrGap says a subscriber fell further behind the stream than it keeps: the changes between its
// cursor and the oldest kept are gone for it. It resumes at the oldest kept change; a subscriber that
// needs every object's state reads the hub's current state then.
var ErrGap = errors.New("live stream: the subscriber fell behind; changes were skipped")

// Stream is the one ordered sequence of accepted changes: a ring of the newest ones, numbered by
// Seq. The hub appends under its lock and never waits for a reader; each subscriber reads at its own
// pace from its own cursor, so a slow one (a rule engine, a push to browsers) never slows ingest or
// another subscriber. Within the ring's capacity nothing is lost for anyone.
type Stream struct {
	mu   sync.Mutex
	ring []Change
	next uint64 // Seq of the next change; the first is 1
	subs map[*Subscription]struct{}
}

// NewStream keeps the newest capacity changes.
func NewStream(capacity int) *Stream {
	if capacity < 16 {
		capacity = 16
	}
	return &Stream{ring: make([]Change, capacity), next: 1, subs: map[*Subscription]struct{}{}}
}

// append numbers the changes and adds them; the caller holds the hub's lock, which keeps per-object
// order.
func (s *Stream) append(cs []Change) {
	s.mu.Lock()
	for i := range cs {
		cs[i].Seq = s.next
		s.ring[s.next%uint64(len(s.ring))] = cs[i]
		s.next++
	}
	for sub := range s.subs {
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}

// Last is the Seq of the newest change (0 before the first).
func (s *Stream) Last() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next - 1
}

// Since returns the kept changes the hub received at or after t (Change.Received), oldest first, for
// a client that reconnects and wants what it missed. At most max are returned: when more were
// received since t, the newest max are (so a caller that asks for one more than it takes can tell).
// covered reports whether the ring reaches back before t, so that nothing received since t is
// missing from cs; otherwise the ring has dropped some of them, or this hub started after t.
//
// Received follows Seq closely but not exactly (Accept takes its clock before the hub's lock), so a
// caller asking for "after my last id" asks from a little before it and takes the repeats.
func (s *Stream) Since(t time.Time, max int) (cs []Change, covered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(len(s.ring))
	oldest := uint64(1)
	if s.next > n {
		oldest = s.next - n
	}
	first := s.next // Seq of the oldest change to return
	for seq := s.next; seq > oldest; seq-- {
		if s.ring[(seq-1)%n].Received.Before(t) {
			covered = true
			break
		}
		if max > 0 && s.next-(seq-1) > uint64(max) {
			break
		}
		first = seq - 1
	}
	cs = make([]Change, 0, s.next-first)
	for seq := first; seq < s.next; seq++ {
		cs = append(cs, s.ring[seq%n])
	}
	return cs, covered
}

// Subscription is one reader's cursor on the stream.
type Subscription struct {
	s      *Stream
	cursor uint64 // Seq of the next change to read
	wake   chan struct{}
}

// Subscribe starts a reader after the newest change (it sees what comes next). Close it when done.
func (s *Stream) Subscribe() *Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := &Subscription{s: s, cursor: s.next, wake: make(chan struct{}, 1)}
	s.subs[sub] = struct{}{}
	return sub
}

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	delete(sub.s.subs, sub)
	sub.s.mu.Unlock()
}

// Next waits for changes after the cursor and returns up to max of them, oldest first. It returns
// ErrGap (with the changes from the oldest kept one) when the reader fell behind the ring, and
// ctx.Err() when ctx ends.
func (sub *Subscription) Next(ctx context.Context, max int) ([]Change, error) {
	for {
		out, err := sub.take(max)
		if len(out) > 0 || err != nil {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sub.wake:
		}
	}
}

func (sub *Subscription) take(max int) ([]Change, error) {
	s := sub.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	n := uint64(len(s.ring))
	if s.next > n && sub.cursor < s.next-n {
		sub.cursor = s.next - n
		err = ErrGap
	}
	count := s.next - sub.cursor
	if count == 0 {
		return nil, err
	}
	if max > 0 && count > uint64(max) {
		count = uint64(max)
	}
	out := make([]Change, count)
	for i := range out {
		out[i] = s.ring[(sub.cursor+uint64(i))%n]
	}
	sub.cursor += count
	return out, err
}
