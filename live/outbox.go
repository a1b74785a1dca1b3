package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// The outbox keeps replicas' hubs complete (Config.Outbox): each hub writes the changes it
// accepted, a batch a row, with their history, and NOTIFYs; the others read the rows they did not
// write and apply them (current state and stream, not history: that is written once, by the hub
// that accepted the change).

const outboxChannel = "yitu_outbox"

// outboxKeep is how long outbox rows stay: a replica away for longer starts from the current state
// in live.object_state like a restarted one.
const outboxKeep = 10 * time.Minute

// outboxSlack: each read looks back this many ids below the newest applied, skipping those it has,
// since a row committed after one with a higher id (two replicas writing at once) must not be missed.
const outboxSlack = 1000

func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// outboxCursor is what a hub has applied of the outbox.
type outboxCursor struct {
	last    int64
	applied map[int64]bool // ids above last-outboxSlack applied (or skipped as its own)
}

func writeOutbox(ctx context.Context, tx pgx.Tx, origin string, batch []Change) error {
	b, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO live.outbox (origin, changes) VALUES ($1, $2) RETURNING id`, origin, b).Scan(&id); err != nil {
		return fmt.Errorf("writing the outbox: %w", err)
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, outboxChannel, fmt.Sprint(id))
	return err
}

// followOutbox applies the other replicas' changes until ctx ends.
func (h *Hub) followOutbox(ctx context.Context) {
	h.outbox.applied = map[int64]bool{}
	started := false
	clean := time.NewTicker(time.Minute)
	defer clean.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-clean.C:
				if _, err := h.pool.Exec(ctx, `DELETE FROM live.outbox WHERE created_at < now() - $1::interval`, outboxKeep.String()); err != nil && ctx.Err() == nil {
					h.log.Debug("live: trimming the outbox", "err", err)
				}
			}
		}
	}()
	spatial.Listener{
		Channel:  outboxChannel,
		Coalesce: 5 * time.Millisecond,
		Connected: func(ctx context.Context) error {
			if !started { // what happened before this hub started is in live.object_state already
				started = true
				return h.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM live.outbox`).Scan(&h.outbox.last)
			}
			return h.readOutbox(ctx)
		},
		Notify: func(ctx context.Context, _ []string) {
			if err := h.readOutbox(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("live: reading the other replicas' changes", "err", err)
			}
		},
	}.Run(ctx, h.pool, h.log)
}

// readOutbox applies the rows of other replicas not applied yet.
func (h *Hub) readOutbox(ctx context.Context) error {
	for {
		rows, err := h.pool.Query(ctx, `SELECT id, origin, changes FROM live.outbox WHERE id > $1 ORDER BY id LIMIT 500`,
			max(h.outbox.last-outboxSlack, 0))
		if err != nil {
			return err
		}
		type row struct {
			id      int64
			origin  string
			changes []byte
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.origin, &x.changes)
			return x, err
		})
		if err != nil {
			return err
		}
		fresh := 0
		for _, r := range list {
			if h.outbox.applied[r.id] {
				continue
			}
			fresh++
			h.outbox.applied[r.id] = true
			h.outbox.last = max(h.outbox.last, r.id)
			if r.origin == h.origin {
				continue
			}
			var cs []Change
			if err := json.Unmarshal(r.changes, &cs); err != nil {
				h.log.Error("live: an outbox row that does not decode", "id", r.id, "err", err)
				continue
			}
			h.replay(cs)
		}
		for id := range h.outbox.applied {
			if id <= h.outbox.last-outboxSlack {
				delete(h.outbox.applied, id)
			}
		}
		if fresh == 0 || len(list) < 500 {
			return nil
		}
	}
}

// replay applies another replica's changes: the current state and the stream (renumbered here),
// not history (their replica wrote it).
func (h *Hub) replay(cs []Change) {
	devs := *h.devices.Load()
	now := h.now().UTC()
	h.mu.Lock()
	defer h.mu.Unlock()
	fresh := cs[:0]
	for i := range cs {
		c := cs[i]
		c.Received = now
		if c.Type != ChangeAlarm && c.Type != ChangeIncident { // published, not device changes
			d := devs[c.Object]
			if d == nil {
				continue // a device this replica does not know yet; its registry follows by NOTIFY
			}
			c.Kind, c.Layer = d.Kind, d.Layer()
			if !h.apply(&c) {
				continue
			}
		}
		fresh = append(fresh, c)
	}
	h.stream.append(fresh)
	h.metrics.replayed.Add(float64(len(fresh)))
}
