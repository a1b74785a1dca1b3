package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles"
)

// tileFlags are the flags seed and export share: which tiles.
type tileFlags struct {
	layers, bbox, zooms, grid string
	workers                   int
}

func (tf *tileFlags) register(f *flags) {
	f.StringVar(&tf.layers, "layers", "", "comma-separated layer ids (default: every layer everyone may read)")
	f.StringVar(&tf.bbox, "bbox", "", "min lon,min lat,max lon,max lat (default: the extent of the imported data)")
	f.StringVar(&tf.zooms, "zooms", "10-16", "zoom range, such as 10-16 or 14")
	f.IntVar(&tf.workers, "workers", 4, "tiles rendered at once")
}

// extent turns the flags into an Extent, filling the defaults from the service.
func (tf *tileFlags) extent(ctx context.Context, svc *tiles.Service, grid *tiles.Grid) (tiles.Extent, error) {
	e := tiles.Extent{Grid: grid}
	if tf.layers == "" {
		for _, l := range svc.Layers(spatial.Anonymous) {
			e.Layers = append(e.Layers, l.ID)
		}
	} else {
		e.Layers = strings.Split(tf.layers, ",")
	}
	if tf.bbox == "" {
		b, err := svc.DataBounds(ctx)
		if err != nil {
			return e, err
		}
		e.BBox = b
	} else {
		parts := strings.Split(tf.bbox, ",")
		if len(parts) != 4 {
			return e, usageError{fmt.Sprintf("--bbox %q: give min lon,min lat,max lon,max lat", tf.bbox)}
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return e, usageError{fmt.Sprintf("--bbox %q: %q is not a number", tf.bbox, p)}
			}
			e.BBox[i] = v
		}
	}
	lo, hi, found := strings.Cut(tf.zooms, "-")
	if !found {
		hi = lo
	}
	var err1, err2 error
	e.MinZoom, err1 = strconv.Atoi(lo)
	e.MaxZoom, err2 = strconv.Atoi(hi)
	if err1 != nil || err2 != nil {
		return e, usageError{fmt.Sprintf("--zooms %q: give a range such as 10-16", tf.zooms)}
	}
	if err := e.Check(); err != nil {
		return e, usageError{"--" + err.Error()}
	}
	return e, nil
}

// openTiles connects and builds the tiles service for a command.
func openTiles(ctx context.Context, e *env, cfg Config) (*tiles.Service, func(), error) {
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	catalog, err := spatial.NewCatalogStore(ctx, pool, e.log)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	svc, err := tiles.New(ctx, pool, catalog, cfg.Tiles, e.log)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool.Close, nil
}

func progress(w io.Writer, n int, what string) *progressbar.ProgressBar {
	if f, ok := w.(*os.File); !ok || !isTerminal(f) {
		w = io.Discard
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("tiles"),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func cmdSeed(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "seed")
	var tf tileFlags
	tf.register(f)
	f.StringVar(&tf.grid, "grid", "WebMercatorQuad", "tile matrix set: WebMercatorQuad or CGCS2000Quad")
	cacheDir := f.String("cache-dir", "", "disk cache to fill (default: tiles.cache_dir)")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() > 0 {
		return usageError{"seed takes no positional arguments"}
	}
	if *cacheDir != "" {
		cfg.Tiles.CacheDir = *cacheDir
	}
	cfg.Tiles.CacheMB = 0 // the disk is what lasts
	grid, ok := tiles.GridByID(tf.grid)
	if !ok {
		return usageError{fmt.Sprintf("--grid %q: use WebMercatorQuad or CGCS2000Quad", tf.grid)}
	}
	svc, closeDB, err := openTiles(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	ext, err := tf.extent(ctx, svc, grid)
	if err != nil {
		return err
	}
	n := ext.Count()
	bar := progress(e.stderr, n, "seeding")
	start := time.Now()
	if err := svc.Seed(ctx, ext, spatial.Anonymous, tf.workers, func() { bar.Add(1) }); err != nil {
		return err
	}
	bar.Finish()
	fmt.Fprintf(e.stdout, "seeded %d tiles of %s (zooms %d-%d, %s) into %s in %.1fs\n",
		n, strings.Join(ext.Layers, ","), ext.MinZoom, ext.MaxZoom, grid.ID, cfg.Tiles.CacheDir, time.Since(start).Seconds())
	return nil
}

// cmdExportPMTiles is `yitu export pmtiles [--layers L] [--bbox …] [--zooms a-b] OUT.pmtiles`.
func cmdExportPMTiles(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "export pmtiles")
	var tf tileFlags
	tf.register(f)
	cfg, err := f.load(e, args[1:], nil)
	if err != nil {
		return err
	}
	if f.NArg() != 1 || !strings.HasSuffix(f.Arg(0), ".pmtiles") {
		return usageError{"give one output file ending in .pmtiles"}
	}
	cfg.Tiles.CacheMB = 0
	cfg.Tiles.CacheDir = ""
	svc, closeDB, err := openTiles(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	ext, err := tf.extent(ctx, svc, tiles.WebMercatorQuad)
	if err != nil {
		return err
	}
	bar := progress(e.stderr, ext.Count(), "exporting")
	start := time.Now()
	st, err := svc.ExportPMTiles(ctx, ext, spatial.Anonymous, f.Arg(0), tf.workers, func() { bar.Add(1) })
	if err != nil {
		return err
	}
	bar.Finish()
	fmt.Fprintf(e.stdout, "wrote %s: %d tiles (%d empty, %d distinct, %d bytes of tiles) of %s, zooms %d-%d, in %.1fs\n",
		f.Arg(0), st.Tiles, st.Empty, st.Unique, st.Bytes, strings.Join(ext.Layers, ","), ext.MinZoom, ext.MaxZoom, time.Since(start).Seconds())
	return nil
}
