package tiles

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles/pmtiles"
)

// Extent is a set of tiles: layers in a lon/lat box over a zoom range of a grid.
type Extent struct {
	Grid             *Grid
	Layers           []string
	BBox             [4]float64
	MinZoom, MaxZoom int
}

// Check validates an extent, naming the parameter at fault.
func (e Extent) Check() error {
	if e.Grid == nil {
		return spatial.Invalid("grid", "no tile matrix set")
	}
	if len(e.Layers) == 0 {
		return spatial.Invalid("layers", "no layer given")
	}
	b := e.BBox
	if !(b[0] < b[2] && b[1] < b[3] && b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90) {
		return spatial.Invalid("bbox", "%v is not min lon, min lat, max lon, max lat within ±180, ±90", b)
	}
	if e.MinZoom < e.Grid.MinZoom || e.MaxZoom > e.Grid.MaxZoom || e.MinZoom > e.MaxZoom {
		return spatial.Invalid("zooms", "%d-%d is not a zoom range within %d-%d of %s", e.MinZoom, e.MaxZoom, e.Grid.MinZoom, e.Grid.MaxZoom, e.Grid.ID)
	}
	return nil
}

// Tiles lists the extent's tiles, zoom by zoom.
func (e Extent) Tiles() iter.Seq[Tile] {
	return func(yield func(Tile) bool) {
		for z := e.MinZoom; z <= e.MaxZoom; z++ {
			x0, y0, x1, y1, ok := e.Grid.Range(z, e.BBox, 0)
			if !ok {
				continue
			}
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					if !yield(Tile{Z: z, X: x, Y: y}) {
						return
					}
				}
			}
		}
	}
}

// Count is the number of tiles in the extent.
func (e Extent) Count() int {
	n := 0
	for z := e.MinZoom; z <= e.MaxZoom; z++ {
		if x0, y0, x1, y1, ok := e.Grid.Range(z, e.BBox, 0); ok {
			n += (x1 - x0 + 1) * (y1 - y0 + 1)
		}
	}
	return n
}

// each renders every tile of the extent with workers in parallel and hands each result to fn (called
// from one goroutine at a time). Generalized views are refreshed first, so low zooms are current.
func (s *Service) each(ctx context.Context, e Extent, p spatial.Principal, workers int, fn func(Tile, *Result) error) error {
	if err := e.Check(); err != nil {
		return err
	}
	if err := s.RefreshStale(ctx); err != nil {
		return fmt.Errorf("refreshing generalized views: %w", err)
	}
	workers = max(workers, 1)
	tilesCh := make(chan Tile)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(tilesCh)
		for t := range e.Tiles() {
			select {
			case tilesCh <- t:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	var mu sync.Mutex
	for range workers {
		eg.Go(func() error {
			for t := range tilesCh {
				r, err := s.Tile(ctx, Request{Grid: e.Grid, Layers: e.Layers, Tile: t, Principal: p})
				if err != nil {
					return fmt.Errorf("tile %s: %w", t, err)
				}
				mu.Lock()
				err = fn(t, r)
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	return eg.Wait()
}

// Seed renders every tile of the extent into the cache (the disk cache, for it to outlive the
// process). progress is called once per tile.
func (s *Service) Seed(ctx context.Context, e Extent, p spatial.Principal, workers int, progress func()) error {
	if s.disk == nil {
		return errors.New("seeding needs the disk cache: set tiles.cache_dir (YITU_TILES_CACHE_DIR) to the directory the server reads")
	}
	if err := s.checkDisk(ctx); err != nil {
		return err
	}
	return s.each(ctx, e, p, workers, func(Tile, *Result) error {
		if progress != nil {
			progress()
		}
		return nil
	})
}

// ExportStats says what an export wrote.
type ExportStats struct {
	Tiles, Empty, Unique int
	Bytes                int64
}

// ExportPMTiles writes the extent's Web Mercator tiles to a PMTiles v3 archive (gzipped MVT,
// identical tiles stored once, tile data clustered in tile id order).
func (s *Service) ExportPMTiles(ctx context.Context, e Extent, p spatial.Principal, path string, workers int, progress func()) (ExportStats, error) {
	var st ExportStats
	if e.Grid == nil {
		e.Grid = WebMercatorQuad
	}
	if !e.Grid.Mercator() {
		return st, spatial.Invalid("grid", "PMTiles holds Web Mercator tiles only")
	}
	w, err := pmtiles.NewWriter(filepath.Dir(path))
	if err != nil {
		return st, err
	}
	defer w.Close()
	err = s.each(ctx, e, p, workers, func(t Tile, r *Result) error {
		if progress != nil {
			progress()
		}
		st.Tiles++
		if r.Empty() {
			st.Empty++
			return nil
		}
		return w.Add(uint8(t.Z), uint32(t.X), uint32(t.Y), r.Gzip)
	})
	if err != nil {
		return st, err
	}
	meta, err := s.pmtilesMetadata(ctx, e, p)
	if err != nil {
		return st, err
	}
	b := e.BBox
	ps, err := w.Finish(path, pmtiles.Header{
		TileType: pmtiles.Mvt, TileCompression: pmtiles.Gzip,
		MinZoom: uint8(e.MinZoom), MaxZoom: uint8(e.MaxZoom), Bounds: b,
		Center: [2]float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}, CenterZoom: uint8((e.MinZoom + e.MaxZoom) / 2),
	}, meta)
	st.Unique, st.Bytes = ps.Contents, int64(ps.TileBytes)
	return st, err
}

func (s *Service) pmtilesMetadata(ctx context.Context, e Extent, p spatial.Principal) (map[string]any, error) {
	tj, err := s.TileJSON(ctx, e.Layers, p, "")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"name": tj.Name, "description": tj.Description, "attribution": tj.Attribution, "format": "pbf",
		"type": "overlay", "vector_layers": tj.VectorLayers, "generator": "yitu export pmtiles",
	}, nil
}
