package tiles

import (
	"context"
	"errors"
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
			// disk cache if data was imported since it was last checked.
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
		Notify: func(_ context.Context, payloads []string) {
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
// another replica is refreshing is skipped (it clears the mark itself).
func (s *Service) RefreshGeneralized(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	for {
		done, err := s.refreshOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

func (s *Service) refreshOne(ctx context.Context) (done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var (
		schema, view string
		layers       []string
		bbox         []float64
	)
	err = tx.QueryRow(ctx, `
		SELECT view_schema, view_name, layers,
		       CASE WHEN stale_bbox IS NULL THEN NULL
		            ELSE ARRAY[ST_XMin(stale_bbox), ST_YMin(stale_bbox), ST_XMax(stale_bbox), ST_YMax(stale_bbox)] END
		FROM tiles.derived WHERE stale
		ORDER BY view_schema, view_name
		LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&schema, &view, &layers, &bbox)
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	start := time.Now()
	if _, err := tx.Exec(ctx, "REFRESH MATERIALIZED VIEW CONCURRENTLY "+pgx.Identifier{schema, view}.Sanitize()); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tiles.derived SET stale = false, stale_bbox = NULL, refreshed_at = now()
		WHERE view_schema = $1 AND view_name = $2`, schema, view); err != nil {
		return false, err
	}
	ch := spatial.Change{Layers: layers, Reason: ReasonGeneralized}
	if len(bbox) == 4 {
		ch.BBox = &[4]float64{bbox[0], bbox[1], bbox[2], bbox[3]}
	}
	if err := spatial.NotifyChange(ctx, tx, ch); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	s.log.Info("tiles: refreshed a generalized view", "view", schema+"."+view, "layers", layers, "took", time.Since(start))
	return false, nil
}
