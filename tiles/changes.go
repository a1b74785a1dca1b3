package tiles

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// ReasonGeneralized marks the change notification sent after generalized views were refreshed.
const ReasonGeneralized = "generalized"

// Run listens for data changes (yitu_change) until ctx ends: every replica purges the tiles a change
// touches and tells its viewers; the changed layers' generalized views are refreshed (by one replica)
// and the low-zoom tiles purged again once they are.
func (s *Service) Run(ctx context.Context) {
	var refresh chan struct{} // wakes the refresher of the current connection
	spatial.Listener{
		Channel: spatial.ChangeChannel,
		Connected: func(ctx context.Context) error {
			// Changes may have been missed while not listening: drop what the memory holds, and the
			// disk cache if data was imported since it was last checked (once a read replica has
			// replayed them).
			if s.read != s.pool {
				s.awaitReplica(ctx)
			}
			s.epoch.Add(1)
			if s.mem != nil {
				s.mem.purge(func(key) bool { return true })
			}
			if err := s.checkDisk(ctx); err != nil {
				s.log.Warn("tiles: checking the disk cache against the imports", "err", err)
			}
			refresh = make(chan struct{}, 1)
			go s.refresher(ctx, refresh)
			if _, err := s.pool.Exec(ctx, markImportedSQL); err != nil {
				return err
			}
			refresh <- struct{}{}
			return nil
		},
		Notify: func(ctx context.Context, payloads []string) {
			if s.read != s.pool {
				s.awaitReplica(ctx)
			}
			for _, p := range payloads {
				ch, err := spatial.ParseChange(p)
				if err != nil {
					s.log.Warn("tiles: unreadable change notification", "payload", p, "err", err)
					continue
				}
				s.apply(ch)
				if ch.Reason != ReasonGeneralized {
					s.pendingMu.Lock()
					s.pending = append(s.pending, ch)
					s.pendingMu.Unlock()
					select {
					case refresh <- struct{}{}:
					default:
					}
				}
			}
		},
	}.Run(ctx, s.pool, s.log)
}

// awaitReplica waits until the read replica has replayed everything the primary has written now:
// the changes just notified were committed before, so their tiles render fresh from then on. The
// primary's insert position is the mark, not its write position: with synchronous_commit off a
// commit returns before its record is written, and the write position can still be short of it.
func (s *Service) awaitReplica(ctx context.Context) {
	var lsn string
	if err := s.pool.QueryRow(ctx, insertLSNSQL).Scan(&lsn); err != nil {
		s.log.Warn("tiles: reading the primary's WAL position", "err", err)
		return
	}
	deadline := time.Now().Add(s.cfg.ReplicaWait)
	for {
		var caught bool
		err := s.read.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", lsn).Scan(&caught)
		switch {
		case err != nil:
			s.log.Warn("tiles: reading the replica's replay position", "err", err)
			return
		case caught:
			return
		case time.Now().After(deadline):
			s.log.Warn("tiles: the read replica has not replayed a change in time; purging anyway", "waited", s.cfg.ReplicaWait, "lsn", lsn)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// insertLSNSQL is the end of the last WAL record inserted on the primary. The insert position of a
// record starting a page lies past the page's header (24 bytes, 40 on a segment's first page), while
// a replica that replayed up to there reports the page boundary: the header is taken off, else a
// change notified at that moment would wait out tiles.replica_wait.
const insertLSNSQL = `SELECT (lsn - CASE
		WHEN pg_wal_lsn_diff(lsn, '0/0') % pg_size_bytes(current_setting('wal_segment_size')) = 40 THEN 40
		WHEN pg_wal_lsn_diff(lsn, '0/0') % current_setting('wal_block_size')::int = 24 THEN 24
		ELSE 0 END)::text
	FROM pg_current_wal_insert_lsn() lsn`

// checkDisk empties the disk cache when a dataset was imported after the cache last saw the data
// (imports made while no server listened); the time it saw is kept in DIR/.imported_at.
func (s *Service) checkDisk(ctx context.Context) error {
	if s.disk == nil {
		return nil
	}
	var last *time.Time
	if err := s.pool.QueryRow(ctx, "SELECT max(imported_at) FROM catalog.dataset").Scan(&last); err != nil || last == nil {
		return err
	}
	mark := filepath.Join(s.disk.dir, ".imported_at")
	seen, err := os.ReadFile(mark)
	if err == nil && string(seen) == last.UTC().Format(time.RFC3339Nano) {
		return nil
	}
	if err == nil { // the cache predates an import
		if err := s.disk.purge(nil, func(g *Grid, z int) (int, int, int, int, bool) {
			cols, rows := g.MatrixSize(z)
			return 0, 0, cols - 1, rows - 1, true
		}); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(s.disk.dir, 0o755); err != nil {
		return err
	}
	return writeAtomic(mark, []byte(last.UTC().Format(time.RFC3339Nano)))
}

// apply purges the tiles a change touches and passes it on to viewers.
func (s *Service) apply(ch spatial.Change) {
	n := s.Purge(ch.Layers, ch.BBox)
	s.log.Debug("tiles: purged", "layers", ch.Layers, "bbox", ch.BBox, "reason", ch.Reason, "tiles", n)
	if ch.Reason != "reconnect" {
		s.events.Publish(ch)
	}
}

// Purge removes the cached tiles containing any of layers (every tile when layers is empty) that bbox
// (lon/lat; nil: everywhere) touches, the neighbours whose buffer reaches into it included. It returns
// the number of tiles removed from memory.
func (s *Service) Purge(layers []string, bbox *[4]float64) int {
	s.epoch.Add(1)
	margin := s.maxBufferFraction()
	rangeAt := func(g *Grid, z int) (int, int, int, int, bool) {
		if bbox == nil {
			cols, rows := g.MatrixSize(z)
			return 0, 0, cols - 1, rows - 1, true
		}
		return g.Range(z, *bbox, margin)
	}
	match := func(k key) bool {
		if len(layers) > 0 {
			found := false
			for _, l := range layers {
				if k.hasLayer(l) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		g, ok := GridByID(k.grid)
		if !ok {
			return true
		}
		minX, minY, maxX, maxY, ok := rangeAt(g, k.tile.Z)
		return ok && k.tile.X >= minX && k.tile.X <= maxX && k.tile.Y >= minY && k.tile.Y <= maxY
	}
	n := 0
	if s.mem != nil {
		n = s.mem.purge(match)
	}
	if s.disk != nil {
		if err := s.disk.purge(layers, rangeAt); err != nil {
			s.log.Warn("tiles: purging the disk cache", "err", err)
		}
	}
	s.stats.purged.Add(int64(n))
	return n
}

// maxBufferFraction is the largest layer buffer as a fraction of a tile.
func (s *Service) maxBufferFraction() float64 {
	m := 0.0
	for _, src := range s.cur.Load().order {
		if src.layer.Extent > 0 {
			m = max(m, float64(src.layer.Buffer)/float64(src.layer.Extent))
		}
	}
	return m
}

// markStale records that the generalized views derived from a change's layers need a refresh, and
// where. Every replica records it (the update is idempotent); one refreshes.
func (s *Service) markStale(ctx context.Context, ch spatial.Change) error {
	var bbox []float64
	if ch.BBox != nil {
		bbox = ch.BBox[:]
	}
	_, err := s.pool.Exec(ctx, markStaleSQL, ch.Layers, bbox)
	return err
}

const markStaleSQL = `
	UPDATE tiles.derived
	SET stale = true,
	    stale_bbox = CASE
	        WHEN $2::float8[] IS NULL OR (stale AND stale_bbox IS NULL) THEN NULL
	        WHEN stale THEN ST_Envelope(ST_Collect(stale_bbox, ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4490)))
	        ELSE ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4490) END
	WHERE $1::text[] IS NULL OR cardinality($1::text[]) = 0 OR sources && $1::text[]`

// refresher refreshes stale generalized views whenever woken, until ctx ends.
func (s *Service) refresher(ctx context.Context, wake <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		s.pendingMu.Lock()
		pending := s.pending
		s.pending = nil
		s.pendingMu.Unlock()
		for _, ch := range pending {
			if err := s.markStale(ctx, ch); err != nil && ctx.Err() == nil {
				s.log.Error("tiles: marking generalized views stale", "err", err)
			}
		}
		if err := s.RefreshGeneralized(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("tiles: refreshing generalized views", "err", err)
		}
	}
}

// markImportedSQL marks stale the views older than the latest import: imports made while no server
// listened (yitu import on its own) leave them so.
const markImportedSQL = `UPDATE tiles.derived SET stale = true, stale_bbox = NULL
	WHERE NOT stale AND refreshed_at < (SELECT max(imported_at) FROM catalog.dataset)`

// RefreshStale refreshes the generalized views that changes or imports left stale (yitu seed and
// export call it before reading low zooms).
func (s *Service) RefreshStale(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, markImportedSQL); err != nil {
		return err
	}
	return s.RefreshGeneralized(ctx)
}

// RefreshGeneralized refreshes every stale generalized view, each in its own transaction that also
// announces the refresh (reason "generalized") so every replica purges the low-zoom tiles again. A view
// another replica is refreshing is skipped (it clears the mark itself). A view whose refresh fails
// keeps its content and stays stale, its error in tiles.derived.last_error; the others are refreshed
// all the same, and the error is returned after them.
func (s *Service) RefreshGeneralized(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	failed := []string{} // views that failed this round (not nil: ANY(NULL) is no answer)
	var errs []error
	for {
		view, done, err := s.refreshOne(ctx, failed)
		switch {
		case done:
			return errors.Join(errs...)
		case err != nil && view == "":
			return errors.Join(append(errs, err)...)
		case err != nil:
			failed = append(failed, view)
			errs = append(errs, fmt.Errorf("refreshing %s: %w", view, err))
			s.log.Warn("tiles: a generalized view did not refresh; it keeps its last content", "view", view, "err", err)
			if _, err := s.pool.Exec(ctx, `UPDATE tiles.derived SET last_error = $2, failed_at = now()
				WHERE view_schema || '.' || view_name = $1`, view, err.Error()); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
	}
}

// refreshOne refreshes one stale view not in skip; view names it ("" when none was taken).
func (s *Service) refreshOne(ctx context.Context, skip []string) (view string, done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var (
		schema, name string
		layers       []string
		bbox         []float64
	)
	err = tx.QueryRow(ctx, `
		SELECT view_schema, view_name, layers,
		       CASE WHEN stale_bbox IS NULL THEN NULL
		            ELSE ARRAY[ST_XMin(stale_bbox), ST_YMin(stale_bbox), ST_XMax(stale_bbox), ST_YMax(stale_bbox)] END
		FROM tiles.derived WHERE stale AND NOT (view_schema || '.' || view_name = ANY($1))
		ORDER BY view_schema, view_name
		LIMIT 1 FOR UPDATE SKIP LOCKED`, skip).Scan(&schema, &name, &layers, &bbox)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", true, nil
	}
	if err != nil {
		return "", false, err
	}
	view = schema + "." + name
	start := time.Now()
	if _, err := tx.Exec(ctx, "REFRESH MATERIALIZED VIEW CONCURRENTLY "+pgx.Identifier{schema, name}.Sanitize()); err != nil {
		return view, false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tiles.derived SET stale = false, stale_bbox = NULL, refreshed_at = now(),
		last_error = NULL, failed_at = NULL WHERE view_schema = $1 AND view_name = $2`, schema, name); err != nil {
		return view, false, err
	}
	ch := spatial.Change{Layers: layers, Reason: ReasonGeneralized}
	if len(bbox) == 4 {
		ch.BBox = &[4]float64{bbox[0], bbox[1], bbox[2], bbox[3]}
	}
	if err := spatial.NotifyChange(ctx, tx, ch); err != nil {
		return view, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return view, false, err
	}
	s.log.Info("tiles: refreshed a generalized view", "view", view, "layers", layers, "took", time.Since(start))
	return view, false, nil
}
