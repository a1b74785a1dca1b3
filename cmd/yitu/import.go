package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/oblique"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin"
)

// homeLon is the longitude of the county Yitu is set up for (Laizhou), for Gauss-Krüger zone guesses.
const homeLon = 119.94

// cmdImport is `yitu import <file-or-folder>`: exit 0 imported, 1 refused (nothing written), 2 usage.
func cmdImport(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "import")
	as := f.String("as", "", "what the data is when its content cannot say: "+strings.Join(importers.Kinds, ", "))
	srs := f.String("srs", "", "source CRS: EPSG:4528, EPSG:4549, 4490, 4326, 3857, any EPSG code PostGIS knows (converted by PROJ: through WGS 84 where the datum differs; refused where PROJ knows no datum shift), gcj02, local:<grid.yaml>; for 3D models also ENU:lat,lon (default: from the file, metadata.xml)")
	crsFlag := f.String("crs", "", "the same as --srs")
	origin := f.String("origin", "", "3D models (OBJ, OSGB) without metadata.xml: the point their coordinates are relative to, x,y[,z] in --srs")
	encoding := f.String("encoding", "", "text encoding of the source: gbk or utf-8 (default: from the file, else detected)")
	dataset := f.String("dataset", "", "dataset name; importing the same name again replaces it (default: the file name)")
	report := f.String("report", "", "write the import report (counts, rejections with reasons) to this JSON file")
	dryRun := f.Bool("dry-run", false, "parse and validate, write nothing")
	heightAttr := f.String("height-attr", "", "vector building polygons: the attribute holding the height in metres (default: height, building:height, 高度, 建筑高度…)")
	floorsAttr := f.String("floors-attr", "", "vector building polygons: the attribute holding the number of storeys (default: building:levels, levels, floors, 层数, 楼层数…)")
	mapping := f.String("map", "", "borehole tables (--as boreholes): column mapping as key=Header pairs (hole=Name,east=X,north=Y,collar=Altitude,top=md,base=) or a YAML file with columns, the strata legend and model parameters (see README, Geology)")
	cell := f.Float64("cell", 0, fmt.Sprintf("--as dem of a DXF: the cell size in metres of the DEM interpolated from its contours and spot heights (default %g, for a 1:500 base map)", dem.DefaultCell))
	split := f.Bool("split", false, "3D models (oblique photography, OBJ, 3D Tiles): once imported, split into the base-map buildings under them (physical 单体化, as yitu twin split with its default options)")
	maxRejects := f.Int("max-rejects", 0, "rejected features tolerated before the import is refused (0: all or nothing)")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if *crsFlag != "" {
		if *srs != "" && *srs != *crsFlag {
			return usageError{fmt.Sprintf("--crs %s and --srs %s disagree; give one", *crsFlag, *srs)}
		}
		*srs = *crsFlag
	}
	if f.NArg() != 1 {
		return usageError{"import takes one file or folder: yitu import <file-or-folder> [flags]"}
	}
	if _, err := os.Stat(f.Arg(0)); err != nil {
		return usageError{fmt.Sprintf("%s: no such file or folder", f.Arg(0))}
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return err
	}
	if isFIRMS(f.Arg(0)) {
		if *as != "" || *heightAttr != "" || *floorsAttr != "" {
			return exitError{1, fmt.Errorf("%s: a NASA FIRMS hotspot file goes to the live fire hotspots (live.hotspot); --as, --height-attr and --floors-attr do not apply to it", f.Arg(0))}
		}
		return importHotspots(ctx, e, pool, f.Arg(0), *dryRun)
	}
	req := importers.Request{Path: f.Arg(0), As: *as, SRS: *srs, Encoding: *encoding, Dataset: *dataset,
		DryRun: *dryRun, MaxRejects: *maxRejects, Progress: e.stderr, HomeLon: homeLon, HeightAttr: *heightAttr, FloorsAttr: *floorsAttr, Map: *mapping, Cell: *cell}
	if off, ok := cfg.Twin.Offset(); ok {
		req.HeightOffset = &off
	}
	if *origin != "" {
		o, err := oblique.ParseOrigin(*origin)
		if err != nil {
			return usageError{fmt.Sprintf("--origin %q: %v", *origin, err)}
		}
		req.Origin = &o
	}
	results, err := importers.Run(ctx, loader.New(pool, e.log), importers.Formats(), req, e.log)
	if err != nil {
		var inv *spatial.InvalidError
		if errors.As(err, &inv) {
			return usageError{err.Error()}
		}
		return exitError{1, err}
	}
	var reports []*loader.Report
	var failed []error
	for _, r := range results {
		if r.Skipped != "" {
			fmt.Fprintf(e.stdout, "跳过 skipped %s: %s\n", r.Path, r.Skipped)
			continue
		}
		if r.Report != nil {
			printReport(e.stdout, r.Report)
			reports = append(reports, r.Report)
		}
		var inv *spatial.InvalidError
		if errors.As(r.Err, &inv) { // a flag this format cannot take (--srs outside the registry)
			return usageError{r.Err.Error()}
		}
		if r.Err != nil {
			failed = append(failed, r.Err) // names the dataset and the file
		}
	}
	if err := resplitAfter(ctx, e, pool, reports); err != nil {
		failed = append(failed, err)
	}
	if *split {
		failed = append(failed, splitImported(ctx, e, pool, reports)...)
	}
	if *report != "" {
		var v any = reports
		if len(reports) == 1 {
			v = reports[0]
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(*report, append(b, '\n'), 0o644); err != nil {
			return exitError{1, fmt.Errorf("writing the report: %w", err)}
		}
	}
	if len(failed) > 0 {
		return exitError{1, errors.Join(failed...)}
	}
	return nil
}

// resplitAfter splits again the split models over the buildings the imports wrote or replaced
// (twin.Resplit): their glbs carry the buildings' rows.
func resplitAfter(ctx context.Context, e *env, pool *pgxpool.Pool, reports []*loader.Report) error {
	var bbox *[4]float64
	touched := false
	for _, r := range reports {
		if r.Refused || r.DryRun || !slices.Contains(r.Layers, twin.BuildingLayer) {
			continue
		}
		switch {
		case r.Replaced != 0 || r.BBox == nil: // the replaced buildings may lie anywhere
			bbox, touched = nil, true
		case !touched:
			b := *r.BBox
			bbox, touched = &b, true
		case bbox != nil:
			*bbox = [4]float64{min(bbox[0], r.BBox[0]), min(bbox[1], r.BBox[1]), max(bbox[2], r.BBox[2]), max(bbox[3], r.BBox[3])}
		}
	}
	if !touched {
		return nil
	}
	reps, err := twin.Resplit(ctx, pool, bbox)
	for _, rep := range reps {
		fmt.Fprintf(e.stdout, "单体化 model-%s split again over the new buildings: %d of %d triangles in %d of %d buildings, in %s\n",
			rep.Model, rep.Assigned, rep.Triangles, rep.Buildings, rep.Footprints, rep.Took.Round(time.Millisecond))
	}
	return err
}

// splitImported splits the 3D models the imports wrote into the base-map buildings under them
// (--split; twin.Split with its default options). A model that cannot be split stays imported.
func splitImported(ctx context.Context, e *env, pool *pgxpool.Pool, reports []*loader.Report) []error {
	var errs []error
	for _, r := range reports {
		if r.Refused || r.DryRun || r.DatasetID == 0 {
			continue
		}
		var name string
		if err := pool.QueryRow(ctx, `SELECT name FROM twin.model WHERE dataset_id = $1`, r.DatasetID).Scan(&name); err != nil {
			continue // not a 3D model
		}
		rep, err := twin.Split(ctx, pool, name, twin.DefaultSplitOptions())
		if err != nil {
			errs = append(errs, fmt.Errorf("model-%s was imported but not split (--split): %w", name, err))
			continue
		}
		fmt.Fprint(e.stdout, "单体化 ")
		printSplit(e.stdout, rep)
	}
	return errs
}

// printReport prints what an import did, for people.
func printReport(w io.Writer, r *loader.Report) {
	verb := "imported"
	switch {
	case r.Refused:
		verb = "REFUSED, nothing written:"
	case r.DryRun:
		verb = "checked (dry run, nothing written):"
	}
	fmt.Fprintf(w, "%s %s %q (%s, %s, from %s): %d features in %.1f s\n", "导入", verb, r.Dataset, r.Format, r.Kind, r.SourceCRS, r.Features, r.Seconds)
	classes := make([]string, 0, len(r.Counts))
	for c := range r.Counts {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Fprintf(w, "  %-24s %d\n", c, r.Counts[c])
	}
	for _, t := range r.Transformations {
		fmt.Fprintf(w, "  transformation: %s\n", t)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  note: %s\n", warn)
	}
	if n := len(r.Rejected); n > 0 {
		fmt.Fprintf(w, "  %d rejected:\n", n)
		for i, rej := range r.Rejected {
			if i == 20 {
				fmt.Fprintf(w, "    … %d more (--report FILE lists every one)\n", n-20)
				break
			}
			fmt.Fprintf(w, "    %s\n", rej)
		}
	}
}
