package jt808

import (
	"strconv"
	"time"
)

// packetOverhead is what a kept sub-packet costs besides its body, against the memory bound (so that
// empty packets cannot pile up for free).
const packetOverhead = 64

// Reassembler joins sub-packets (body property bit 13) into whole messages, per terminal phone and
// message id, within a memory bound and a timeout: a message whose packets do not all arrive within
// the timeout of its first one is given up. It is pure (the caller passes the time) and not safe
// for concurrent use; the gateway keeps one per connection.
type Reassembler struct {
	maxBytes int
	timeout  time.Duration
	parts    map[partKey]*partial
	bytes    int
	givenUp  int
}

type partKey struct {
	phone Phone
	msg   uint16
}

type partial struct {
	total uint16
	got   map[uint16][]byte
	bytes int
	first time.Time
}

// NewReassembler returns a Reassembler that keeps at most maxBytes of pending packets and gives up
// on a message timeout after its first packet.
func NewReassembler(maxBytes int, timeout time.Duration) *Reassembler {
	return &Reassembler{maxBytes: maxBytes, timeout: timeout, parts: map[partKey]*partial{}}
}

// Add keeps sub-packet f (f.Split must be set). When f is the last missing packet of its message,
// Add returns the whole message as one frame and true: the header of f without the sub-packet
// fields, and the bodies joined in packet order (offsets of errors decoding it count in that body).
// A packet that would take the pending packets beyond the memory bound is refused with a
// KindReassembly error, and its message given up.
func (r *Reassembler) Add(f Frame, now time.Time) (Frame, bool, error) {
	if !f.Split {
		return f, true, nil
	}
	r.Expire(now)
	k := partKey{f.Phone, f.MsgID}
	p := r.parts[k]
	if p != nil && p.total != f.Total {
		r.drop(k, p) // a new message with the same id; the old one will not complete
		p = nil
	}
	cost := len(f.Body) + packetOverhead
	if old, ok := p.get(f.Index); ok {
		cost -= len(old) + packetOverhead
	}
	if r.bytes+cost > r.maxBytes {
		if p != nil {
			r.drop(k, p)
		} else {
			r.givenUp++
		}
		return Frame{}, false, &DecodeError{Kind: KindReassembly, Offset: 0, Header: f.Header, HeaderOK: true,
			What: "sub-packet " + strconv.Itoa(int(f.Index)) + " of " + strconv.Itoa(int(f.Total)) +
				" takes pending sub-packets beyond " + strconv.Itoa(r.maxBytes) + " bytes; message given up"}
	}
	if p == nil {
		p = &partial{total: f.Total, got: map[uint16][]byte{}, first: now}
		r.parts[k] = p
	}
	p.got[f.Index] = append([]byte(nil), f.Body...)
	p.bytes += cost
	r.bytes += cost
	if len(p.got) < int(p.total) {
		return Frame{}, false, nil
	}
	n := 0
	for _, b := range p.got {
		n += len(b)
	}
	body := make([]byte, 0, n)
	for i := uint16(1); i <= p.total; i++ {
		body = append(body, p.got[i]...)
	}
	delete(r.parts, k)
	r.bytes -= p.bytes
	whole := Frame{Header: f.Header, Body: body}
	whole.Split, whole.Total, whole.Index, whole.BodyLen = false, 0, 0, len(body)
	return whole, true, nil
}

func (p *partial) get(i uint16) ([]byte, bool) {
	if p == nil {
		return nil, false
	}
	b, ok := p.got[i]
	return b, ok
}

func (r *Reassembler) drop(k partKey, p *partial) {
	delete(r.parts, k)
	r.bytes -= p.bytes
	r.givenUp++
}

// Expire gives up on messages whose first packet came more than the timeout before now.
func (r *Reassembler) Expire(now time.Time) {
	if len(r.parts) == 0 {
		return
	}
	for k, p := range r.parts {
		if now.Sub(p.first) > r.timeout {
			r.drop(k, p)
		}
	}
}

// Pending is the number of messages waiting for packets and the bytes they hold.
func (r *Reassembler) Pending() (messages, bytes int) { return len(r.parts), r.bytes }

// TakeGivenUp returns how many messages were given up (timed out, over the memory bound, or
// replaced by a new message with the same id and another packet total) since its last call.
func (r *Reassembler) TakeGivenUp() int {
	n := r.givenUp
	r.givenUp = 0
	return n
}
