package push

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/yitu-gis/yitu/live"
)

// Replay queues for the client what it missed since t, its last event id: the changes accepted
// since then, coalesced like the live ones (the latest state per object and type by device time,
// the latest per alarm), in its subscription and rights, before anything newer. They come from the
// stream's ring while it still holds them all, else from history (alarms from AlarmHistory and
// incidents from IncidentHistory; while there is none, only those the ring holds). A client away longer than ReplayWindow, or one
// that missed more than ReplayMax changes, or whose replay fails, is sent resync and a snapshot
// instead. It returns where the replay came from: ring, history or resync. Call it before the
// first Next.
//
// Event ids are acceptance times (Change.Received, unix nanoseconds), not stream numbers: Seq is
// this replica's own count and means nothing to another one, while a load balancer may send the
// reconnect anywhere, and every replica's history has received_at. An id says "I have what was
// accepted up to about here", not exactly: a change is sent up to FlushEvery after it was accepted
// (coalescing), Accept reads its clock just before taking the hub's lock, and replicas' clocks
// differ by milliseconds. So the replay starts ReplayMargin (5 s) earlier and repeats a few
// messages; they are states (the latest wins), so a repeat changes nothing on the map.
func (c *Client) Replay(ctx context.Context, t time.Time) string {
	b := c.b
	out := c.replay(ctx, t)
	b.metrics.replays.WithLabelValues(out).Inc()
	return out
}

func (c *Client) replay(ctx context.Context, t time.Time) string {
	b := c.b
	resync := func() string {
		c.resyncNow()
		return "resync"
	}
	if b.src.Now().Sub(t) > b.cfg.ReplayWindow {
		return resync()
	}
	from, limit := t.Add(-b.cfg.ReplayMargin), b.cfg.ReplayMax
	changes, covered := b.src.Stream().Since(from, limit+1)
	if len(changes) > limit {
		return resync()
	}
	source := "ring"
	if !covered {
		if b.hist == nil {
			return resync()
		}
		old, err := b.hist.HistorySince(ctx, from, limit)
		if err != nil {
			b.log.Warn("push: replaying from history", "since", from, "err", err)
			return resync()
		}
		if len(old) > limit {
			return resync()
		}
		if b.alarms != nil {
			alarms, err := b.alarms.AlarmEventsSince(ctx, from, limit)
			if err != nil {
				b.log.Warn("push: replaying alarms", "since", from, "err", err)
				return resync()
			}
			if len(alarms) > limit {
				return resync()
			}
			for i := range alarms {
				a := &alarms[i]
				old = append(old, live.Change{Type: live.ChangeAlarm, Object: a.Object, Layer: a.Layer, Time: a.Updated, Received: a.Updated, Alarm: a})
			}
		}
		if h := b.inc.Load(); h != nil {
			incs, err := (*h).IncidentChangesSince(ctx, from, limit)
			if err != nil {
				b.log.Warn("push: replaying incidents", "since", from, "err", err)
				return resync()
			}
			if len(incs) > limit {
				return resync()
			}
			old = append(old, incs...)
		}
		changes = append(old, changes...) // the ring's are the newest; overlaps coalesce away
		source = "history"
	}

	latest := map[key]*live.Change{}
	for i := range changes {
		ch := &changes[i]
		if ch.Late {
			continue
		}
		k := keyOf(ch)
		cur := latest[k]
		switch {
		case cur == nil:
		case ch.Type == live.ChangeAlarm:
			if ch.Received.Before(cur.Received) {
				continue
			}
		case ch.Time.Before(cur.Time) || (ch.Time.Equal(cur.Time) && ch.Received.Before(cur.Received)):
			continue // older than what the object has (a blind-area resend)
		}
		latest[k] = ch
	}
	picked := make([]*live.Change, 0, len(latest))
	for _, ch := range latest {
		picked = append(picked, ch)
	}
	slices.SortFunc(picked, func(a, b *live.Change) int {
		if n := a.Received.Compare(b.Received); n != 0 {
			return n
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	places := map[string]place{}
	var (
		keys []key
		msgs []*Message
	)
	for _, ch := range picked {
		var here place
		switch ch.Type {
		case live.ChangePosition, live.ChangeHotspot:
			lon, lat := positionOf(ch)
			here = place{lon: lon, lat: lat, ok: true}
		case live.ChangeAlarm:
		default:
			p, ok := places[ch.Object]
			if !ok {
				if o, found := b.src.Object(ch.Object); found && o.HasPos {
					p = place{lon: o.Position.Lon, lat: o.Position.Lat, ok: true}
				}
				places[ch.Object] = p
			}
			here = p
		}
		if c.match(ch, here) {
			keys, msgs = append(keys, keyOf(ch)), append(msgs, encodeChange(ch))
		}
	}
	c.prepend(keys, msgs)
	c.mu.Lock()
	c.snapshot = false // the map has what it showed, and now what it missed
	c.mu.Unlock()
	return source
}
