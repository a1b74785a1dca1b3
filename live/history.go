package live

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// history writes accepted changes to the day-partitioned history tables in batches with COPY. It
// holds them in a bounded queue while the database is away and writes them when it returns; what it
// cannot write by shutdown goes to the spool folder and is written at the next start.
type history struct {
	cfg     Config
	pool    *pgxpool.Pool
	log     *slog.Logger
	now     func() time.Time
	metrics *hubMetrics

	origin string // this replica, for live.outbox (Config.Outbox)

	mu      sync.Mutex
	queue   []Change // accepted, not yet written, in acceptance order
	wake    chan struct{}
	failing bool // the last write failed (one log line per outage)
}

// historyTables are the partitioned tables of live history.
var historyTables = []string{"position", "observation", "device_event"}

// partitionsAhead: days of partitions created beyond today.
const partitionsAhead = 3

func newHistory(cfg Config, pool *pgxpool.Pool, log *slog.Logger, m *hubMetrics) *history {
	return &history{cfg: cfg, pool: pool, log: log, now: time.Now, metrics: m, wake: make(chan struct{}, 1)}
}

// oldest is the earliest time history keeps: the start of the oldest partition.
func (h *history) oldest(now time.Time) time.Time {
	return day(now).AddDate(0, 0, -h.cfg.RetentionDays)
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// reserve makes room for n changes, or says the buffer is full; the hub's lock is held.
func (h *history) reserve(n int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue)+n > h.cfg.Buffer {
		if !h.failing {
			h.log.Error("live: history buffer full; refusing new changes until the database takes them", "buffer", h.cfg.Buffer)
		}
		return fmt.Errorf("%w (%d changes waiting for the database)", ErrBufferFull, len(h.queue))
	}
	return nil
}

// push queues accepted changes (after reserve, under the hub's lock, so in stream order).
func (h *history) push(cs []Change) {
	h.mu.Lock()
	for _, c := range cs {
		if c.Type != ChangeHotspot {
			h.queue = append(h.queue, c)
		}
	}
	h.mu.Unlock()
	select { // the writer starts a batch (gathering for FlushEvery unless it is full already)
	case h.wake <- struct{}{}:
	default:
	}
}

// buffered is how many changes wait to be written.
func (h *history) buffered() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.queue)
}

// run writes batches until ctx ends. A change wakes the writer, which gathers what arrives within
// FlushEvery (unless a whole batch is there already) and writes it; while a batch is being written
// the next one gathers, so batches grow with the load and a lone change waits FlushEvery at most.
// After a failure it retries with a growing pause.
func (h *history) run(ctx context.Context) {
	tick := time.NewTicker(time.Second) // retries after a failure, when nothing new wakes the writer
	defer tick.Stop()
	maint := time.NewTicker(time.Hour)
	defer maint.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-maint.C:
			if err := h.maintainPartitions(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("live: partition upkeep failed; retrying in an hour", "err", err)
			}
			continue
		case <-tick.C:
		case <-h.wake:
		}
		wait := backoff
		if wait == 0 && h.buffered() < h.cfg.BatchSize {
			wait = h.cfg.FlushEvery
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := h.writeAll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 250*time.Millisecond), 5*time.Second)
			continue
		}
		backoff = 0
	}
}

// writeAll writes batches until the queue is empty or a write fails.
func (h *history) writeAll(ctx context.Context) error {
	for {
		h.mu.Lock()
		n := min(len(h.queue), h.cfg.BatchSize)
		batch := h.queue[:n:n]
		h.mu.Unlock()
		if n == 0 {
			return nil
		}
		start := time.Now()
		err := h.write(ctx, batch)
		if err != nil {
			h.mu.Lock()
			first := !h.failing
			h.failing = true
			h.mu.Unlock()
			h.metrics.writeErrors.Inc()
			if first && ctx.Err() == nil {
				h.log.Error("live: writing history failed; holding changes until the database takes them", "waiting", h.buffered(), "err", err)
			}
			return err
		}
		h.mu.Lock()
		h.queue = h.queue[n:]
		if len(h.queue) == 0 {
			h.queue = nil // let the old array go
		}
		recovered := h.failing
		h.failing = false
		h.mu.Unlock()
		h.metrics.batchSeconds.Observe(time.Since(start).Seconds())
		if recovered {
			h.log.Info("live: writing history again", "waiting", h.buffered())
		}
	}
}

// write copies a batch into the history tables in one transaction.
func (h *history) write(ctx context.Context, batch []Change) error {
	var pos, obs, ev [][]any
	for i := range batch {
		c := &batch[i]
		switch c.Type {
		case ChangePosition:
			p := c.Position
			var extra any
			if len(p.Extra) > 0 {
				extra = p.Extra
			}
			pos = append(pos, []any{c.Time, c.Object, p.Lon, p.Lat, float32(p.Altitude), float32(p.Speed), float32(p.Heading),
				int64(p.Alarm), int64(p.Status), extra, c.Source, c.Received})
		case ChangeObservation:
			for name, v := range c.Observation.Values {
				var unit any
				if c.Observation.Unit != "" {
					unit = c.Observation.Unit
				}
				obs = append(obs, []any{c.Time, c.Object, name, v, unit, c.Source, c.Received})
			}
		case ChangeState:
			ev = append(ev, []any{c.Time, c.Object, "state", c.State, c.Source, c.Received})
		case ChangeEvent:
			var detail any
			if len(c.Event.Detail) > 0 {
				detail = c.Event.Detail
			}
			ev = append(ev, []any{c.Time, c.Object, c.Event.Name, detail, c.Source, c.Received})
		}
	}
	copyAll := func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
			for _, t := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{
				{"position", []string{"time", "object_id", "lon", "lat", "altitude", "speed", "heading", "alarm", "status", "extra", "source", "received_at"}, pos},
				{"observation", []string{"time", "sensor_id", "name", "value", "unit", "source", "received_at"}, obs},
				{"device_event", []string{"time", "device_id", "name", "detail", "source", "received_at"}, ev},
			} {
				if len(t.rows) == 0 {
					continue
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"live", t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
					return fmt.Errorf("copying %d rows into live.%s: %w", len(t.rows), t.table, err)
				}
			}
			if h.cfg.Outbox {
				return writeOutbox(ctx, tx, h.origin, batch)
			}
			return nil
		})
	}
	err := copyAll(ctx)
	if err != nil && strings.Contains(err.Error(), "no partition of relation") {
		// A day without its partition: older data (a blind-area resend, a spool) or a server that
		// ran across midnight while upkeep waited. Make the batch's days and try once more.
		days := map[time.Time]bool{}
		for i := range batch {
			days[day(batch[i].Time)] = true
		}
		if perr := h.maintainPartitions(ctx, slices.Collect(maps.Keys(days))...); perr != nil {
			return errors.Join(err, perr)
		}
		err = copyAll(ctx)
	}
	if err == nil {
		h.metrics.rows.WithLabelValues("position").Add(float64(len(pos)))
		h.metrics.rows.WithLabelValues("observation").Add(float64(len(obs)))
		h.metrics.rows.WithLabelValues("device_event").Add(float64(len(ev)))
	}
	return err
}

// maintainPartitions creates the day partitions from yesterday to a few days ahead, and those of
// the given days within the retention (older data arriving: they are made when it does, not 180
// empty tables ahead of it), and drops those past the retention. Replicas serialise on an advisory
// lock.
func (h *history) maintainPartitions(ctx context.Context, days ...time.Time) error {
	now := h.now()
	from, to := day(now).AddDate(0, 0, -1), day(now).AddDate(0, 0, partitionsAhead+1)
	oldest := h.oldest(now)
	want := map[time.Time]bool{}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		want[d] = true
	}
	for _, d := range days {
		if !d.Before(oldest) && d.Before(to) {
			want[day(d)] = true
		}
	}
	return pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('yitu live partitions'))`); err != nil {
			return err
		}
		for _, table := range historyTables {
			rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i
				JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
				JOIN pg_namespace n ON n.oid = p.relnamespace
				WHERE n.nspname = 'live' AND p.relname = $1`, table)
			if err != nil {
				return err
			}
			existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, d := range slices.SortedFunc(maps.Keys(want), time.Time.Compare) {
				name := table + "_" + d.Format("20060102")
				if slices.Contains(existing, name) {
					continue
				}
				if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE live.%s PARTITION OF live.%s FOR VALUES FROM ('%s') TO ('%s')`,
					pgx.Identifier{name}.Sanitize(), table, d.Format(time.RFC3339), d.AddDate(0, 0, 1).Format(time.RFC3339))); err != nil {
					return fmt.Errorf("creating partition live.%s: %w", name, err)
				}
			}
			cut := table + "_" + oldest.Format("20060102")
			for _, name := range existing {
				if len(name) == len(cut) && name < cut {
					if _, err := tx.Exec(ctx, `DROP TABLE live.`+pgx.Identifier{name}.Sanitize()); err != nil {
						return fmt.Errorf("dropping partition live.%s past the retention: %w", name, err)
					}
				}
			}
		}
		return nil
	})
}

// close writes what is queued (until ctx ends) and spools what could not be written.
func (h *history) close(ctx context.Context) error {
	for h.buffered() > 0 && ctx.Err() == nil {
		if err := h.writeAll(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	h.mu.Lock()
	rest := h.queue
	h.queue = nil
	h.mu.Unlock()
	if len(rest) == 0 {
		return nil
	}
	path, err := h.spool(rest)
	if err != nil {
		return fmt.Errorf("live: %d accepted changes could be neither written nor spooled: %w", len(rest), err)
	}
	h.log.Warn("live: the database did not take every change before shutdown; spooled for the next start", "changes", len(rest), "file", path)
	return nil
}

// spool writes changes as JSON lines to a new file in SpoolDir, synced before it is renamed into place.
func (h *history) spool(cs []Change) (string, error) {
	if err := os.MkdirAll(h.cfg.SpoolDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(h.cfg.SpoolDir, fmt.Sprintf("spool-%s-%d.ndjson", time.Now().UTC().Format("20060102T150405.000000000"), os.Getpid()))
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range cs {
		if err = enc.Encode(&cs[i]); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	return path, err
}

// recoverSpool writes spooled changes (from a shutdown while the database was away), oldest file
// first, deleting each file once written; apply puts them into the hub's current state.
func (h *history) recoverSpool(ctx context.Context, apply func([]Change)) error {
	files, _ := filepath.Glob(filepath.Join(h.cfg.SpoolDir, "spool-*.ndjson"))
	slices.Sort(files)
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("live: reading the spool %s: %w", path, err)
		}
		var cs []Change
		for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" {
				continue
			}
			var c Change
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				return fmt.Errorf("live: the spool %s line %d: %w", path, i+1, err)
			}
			cs = append(cs, c)
		}
		// One transaction for the file: a failure leaves nothing half-written to be written twice.
		if err := h.write(ctx, cs); err != nil {
			return fmt.Errorf("live: writing the spool %s: %w", path, err)
		}
		apply(cs)
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("live: the spool %s was written but cannot be removed (remove it by hand, or it is written again): %w", path, err)
		}
		h.log.Info("live: wrote the changes spooled at the last shutdown", "file", path, "changes", len(cs))
	}
	return nil
}
