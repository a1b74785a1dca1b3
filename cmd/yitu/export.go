package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin"
)

// cmdExport writes served data to files: `yitu export 3dtiles <tileset> <folder>`, or vector tiles
// to a PMTiles archive (`yitu export pmtiles`, cmd/yitu/tiles.go).
func cmdExport(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "pmtiles" {
		return cmdExportPMTiles(ctx, e, args)
	}
	f := newFlags(e, "export")
	quiet := f.Bool("quiet", false, "no progress bar (there is none when stderr is not a terminal)")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() != 3 || f.Arg(0) != "3dtiles" {
		return usageError{"usage: yitu export 3dtiles TILESET DIR (TILESET: buildings, pipelines, cim-<dataset>, model-<name>), or yitu export pmtiles [--layers L] [--bbox …] [--zooms a-b] OUT.pmtiles"}
	}
	name, dir := f.Arg(1), f.Arg(2)
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	tw, err := twin.New(pool, cfg.Twin, e.log)
	if err != nil {
		return err
	}
	var progress func(done, total int)
	if out, ok := e.stderr.(*os.File); ok && !*quiet && term.IsTerminal(int(out.Fd())) {
		var once sync.Once
		var bar *progressbar.ProgressBar
		var mu sync.Mutex
		progress = func(done, total int) {
			once.Do(func() {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription(name))
			})
			mu.Lock()
			bar.Set(done)
			mu.Unlock()
		}
	}
	st, err := tw.Export(ctx, name, dir, progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d tiles, %d features, %.1f MB in %s → %s/tileset.json\n",
		st.Tileset, st.Tiles, st.Features, float64(st.Bytes)/1e6, st.Elapsed.Round(1e6), dir)
	return nil
}
