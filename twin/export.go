package twin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// ExportStats are the figures of an export.
type ExportStats struct {
	Tileset  string
	Tiles    int
	Features int
	Bytes    int64 // content bytes, tileset.json included
	Elapsed  time.Duration
}

// Export writes a tileset to dir exactly as the server serves it: tileset.json and every content
// file at the relative path tileset.json names. progress, when not nil, is called after each tile.
func (s *Service) Export(ctx context.Context, name, dir string, progress func(done, total int)) (ExportStats, error) {
	start := time.Now()
	st := ExportStats{Tileset: name}
	// Always from the database as it is now, not from a cached tree.
	ts, err := s.build(ctx, name)
	if err != nil {
		return st, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tileset.json"), ts.json, 0o644); err != nil {
		return st, err
	}
	st.Bytes = int64(len(ts.json))

	type job struct {
		path string
		run  func(ctx context.Context) ([]byte, error)
	}
	var jobs []job
	switch {
	case ts.model != nil:
		for _, n := range ts.model.nodes {
			if n.contentType == "" {
				continue
			}
			path := fmt.Sprintf("n/%d.%s", n.id, n.contentType)
			jobs = append(jobs, job{path, func(ctx context.Context) ([]byte, error) {
				c, err := ts.model.content(ctx, s.pool, path)
				return c.Data, err
			}})
			st.Features++
		}
	case ts.tree.root != nil:
		for _, nd := range ts.tree.nodes {
			if len(nd.items) == 0 {
				continue
			}
			st.Features += len(nd.items)
			jobs = append(jobs, job{nd.key() + ".glb", func(ctx context.Context) ([]byte, error) { return s.glbOf(ctx, ts, nd) }})
		}
	}
	st.Tiles = len(jobs)
	var done atomic.Int64
	var bytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0) + 1) // one more than the cores: the database works meanwhile
	for _, j := range jobs {
		g.Go(func() error {
			b, err := j.run(gctx)
			if err != nil {
				return err
			}
			f := filepath.Join(dir, filepath.FromSlash(j.path))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				return err
			}
			bytes.Add(int64(len(b)))
			if n := done.Add(1); progress != nil {
				progress(int(n), len(jobs))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, fmt.Errorf("exporting %s: %w", name, err)
	}
	st.Bytes += bytes.Load()
	st.Elapsed = time.Since(start)
	return st, nil
}
