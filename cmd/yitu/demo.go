package main

import (
	"context"
	"fmt"
	"time"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial"
)

// cmdDemo is `yitu demo`: generate the demo city's survey files and import them through the importers.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "simulate" {
		return cmdSimulate(ctx, e, args[1:])
	}
	f := newFlags(e, "demo")
	dir := f.String("dir", ".data/demo", "folder the survey files are written into")
	seed := f.Int64("seed", 1, "random seed: the same seed writes the same bytes")
	blocks := f.Int("blocks", 0, "street blocks along each side of the town (0: 36, about 20,000 buildings); smaller for quick trials")
	ifEmpty := f.Bool("if-empty", false, "do nothing when the database already holds imported data (make run uses this)")
	generateOnly := f.Bool("generate-only", false, "write the files, import nothing")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() != 0 {
		return usageError{"demo takes no arguments: yitu demo [--dir DIR] [--seed N] [--blocks N] [--if-empty] [--generate-only]"}
	}
	if *blocks < 0 {
		return usageError{fmt.Sprintf("--blocks must be 0 (the full town) or more, got %d", *blocks)}
	}
	opts := demo.Options{Seed: *seed, Blocks: *blocks}
	if *generateOnly {
		return generateDemo(e, *dir, opts)
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return err
	}
	if *ifEmpty {
		var any bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM catalog.dataset)").Scan(&any); err != nil {
			return err
		}
		if any {
			fmt.Fprintln(e.stdout, "yitu demo: the database already holds imported data; the demo city is not loaded (run `yitu demo` to load it anyway)")
			return nil
		}
	}
	start := time.Now()
	files, err := demo.Generate(*dir, opts)
	if err != nil {
		return err
	}
	printStats(e, files, time.Since(start))
	if off, ok := cfg.Twin.Offset(); ok {
		files.HeightOffset = &off
	}
	reports, err := demo.Load(ctx, loader.New(pool, e.log), files, e.stderr, e.log)
	for _, r := range reports {
		printReport(e.stdout, r)
	}
	if err != nil {
		return exitError{1, err}
	}
	fmt.Fprintf(e.stdout, "演示城区已导入 — demo city loaded in %.1f s\n", time.Since(start).Seconds())
	return nil
}

func generateDemo(e *env, dir string, o demo.Options) error {
	start := time.Now()
	files, err := demo.Generate(dir, o)
	if err != nil {
		return err
	}
	printStats(e, files, time.Since(start))
	return nil
}

func printStats(e *env, f *demo.Files, d time.Duration) {
	s := f.Stats
	fmt.Fprintf(e.stdout, "生成演示城区 — wrote the demo city into %s in %.1f s:\n", f.Dir, d.Seconds())
	fmt.Fprintf(e.stdout, "  %s: %d buildings, %d road segments, %d annotations, %d contours, %d spot heights, %d control points (%d features)\n",
		demo.BaseMapFile, s.Buildings, s.Roads, s.Annotations, s.Contours, s.ElevationPoints, s.ControlPoints, s.Features())
	fmt.Fprintf(e.stdout, "  %s, %s: %d pipe points, %d pipe segments\n", demo.PipePointsFile, demo.PipeSegmentsFile, s.PipePoints, s.PipeSegments)
	fmt.Fprintf(e.stdout, "  %s: the district boundary\n", demo.BoundaryFile)
	fmt.Fprintf(e.stdout, "  %s/: oblique photography, %d tiles of %d buildings (OSGB PagedLOD, EPSG:4528)\n", demo.ObliqueFolder, s.ObliqueTiles, s.ObliqueBuilding)
}
