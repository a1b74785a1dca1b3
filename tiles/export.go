package tiles

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/protomaps/go-pmtiles/pmtiles"
	"golang.org/x/sync/errgroup"

	"github.com/yitu-gis/yitu/spatial"
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
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tiles-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	type tileAt struct {
		id     uint64
		off    int64
		length uint32
		hash   uint64
	}
	var all []tileAt
	var off int64
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = s.each(ctx, e, p, workers, func(t Tile, r *Result) error {
		if progress != nil {
			progress()
		}
		st.Tiles++
		if r.Empty() {
			st.Empty++
			return nil
		}
		if _, err := w.Write(r.Gzip); err != nil {
			return err
		}
		all = append(all, tileAt{id: pmtiles.ZxyToID(uint8(t.Z), uint32(t.X), uint32(t.Y)), off: off, length: uint32(len(r.Gzip)), hash: xxhash.Sum64(r.Gzip)})
		off += int64(len(r.Gzip))
		return nil
	})
	if err != nil {
		return st, err
	}
	if err := w.Flush(); err != nil {
		return st, err
	}
	slices.SortFunc(all, func(a, b tileAt) int { return cmp.Compare(a.id, b.id) })
	// The tile data section: each distinct tile once, in tile id order of first use.
	data, err := os.CreateTemp(filepath.Dir(path), ".data-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(data.Name())
	defer data.Close()
	dw := bufio.NewWriterSize(data, 1<<20)
	seen := map[uint64]uint64{} // content hash → offset in the data section
	var entries []pmtiles.EntryV3
	var dataLen uint64
	buf := make([]byte, 0, 1<<16)
	for _, t := range all {
		offset, dup := seen[t.hash]
		if !dup {
			buf = slices.Grow(buf[:0], int(t.length))[:t.length]
			if _, err := tmp.ReadAt(buf, t.off); err != nil {
				return st, err
			}
			if _, err := dw.Write(buf); err != nil {
				return st, err
			}
			offset = dataLen
			seen[t.hash] = offset
			dataLen += uint64(t.length)
		}
		if n := len(entries); n > 0 && entries[n-1].Offset == offset && entries[n-1].TileID+uint64(entries[n-1].RunLength) == t.id {
			entries[n-1].RunLength++
			continue
		}
		entries = append(entries, pmtiles.EntryV3{TileID: t.id, Offset: offset, Length: t.length, RunLength: 1})
	}
	if err := dw.Flush(); err != nil {
		return st, err
	}
	st.Unique, st.Bytes = len(seen), int64(dataLen)

	root, leaves, _ := pmtiles.BuildDirectories(entries, 16384-pmtiles.HeaderV3LenBytes, pmtiles.Gzip)
	meta, err := s.pmtilesMetadata(ctx, e, p)
	if err != nil {
		return st, err
	}
	metaBytes, err := pmtiles.SerializeMetadata(meta, pmtiles.Gzip)
	if err != nil {
		return st, err
	}
	h := pmtiles.HeaderV3{
		SpecVersion: 3, RootOffset: pmtiles.HeaderV3LenBytes, RootLength: uint64(len(root)),
		Clustered: true, InternalCompression: pmtiles.Gzip, TileCompression: pmtiles.Gzip, TileType: pmtiles.Mvt,
		MinZoom: uint8(e.MinZoom), MaxZoom: uint8(e.MaxZoom),
		MinLonE7: e7(e.BBox[0]), MinLatE7: e7(e.BBox[1]), MaxLonE7: e7(e.BBox[2]), MaxLatE7: e7(e.BBox[3]),
		CenterZoom: uint8((e.MinZoom + e.MaxZoom) / 2), CenterLonE7: e7((e.BBox[0] + e.BBox[2]) / 2), CenterLatE7: e7((e.BBox[1] + e.BBox[3]) / 2),
		AddressedTilesCount: uint64(len(all)), TileEntriesCount: uint64(len(entries)), TileContentsCount: uint64(len(seen)),
	}
	h.MetadataOffset = h.RootOffset + h.RootLength
	h.MetadataLength = uint64(len(metaBytes))
	h.LeafDirectoryOffset = h.MetadataOffset + h.MetadataLength
	h.LeafDirectoryLength = uint64(len(leaves))
	h.TileDataOffset = h.LeafDirectoryOffset + h.LeafDirectoryLength
	h.TileDataLength = dataLen

	out, err := os.CreateTemp(filepath.Dir(path), ".pmtiles-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	for _, part := range [][]byte{pmtiles.SerializeHeader(h), root, metaBytes, leaves} {
		if _, err := out.Write(part); err != nil {
			return st, err
		}
	}
	if _, err := data.Seek(0, io.SeekStart); err != nil {
		return st, err
	}
	if _, err := io.Copy(out, data); err != nil {
		return st, err
	}
	if err := out.Close(); err != nil {
		return st, err
	}
	return st, os.Rename(out.Name(), path)
}

func e7(deg float64) int32 { return int32(deg * 1e7) }

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
