package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin"
)

const twinUsage = "usage: yitu twin split [--clearance M] [--margin M] [--tolerance M] MODEL, or yitu twin building MODEL ID OUT.glb (MODEL: the name of tileset model-<name>)"

// cmdTwin works on stored 3D models: `yitu twin split MODEL` divides an oblique model into the
// base-map buildings under it (twin.Split); `yitu twin building MODEL ID OUT.glb` writes one
// building of a split model as a glb (twin.SplitBuilding).
func cmdTwin(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "split" && args[0] != "building" {
		return usageError{twinUsage}
	}
	f := newFlags(e, "twin "+args[0])
	o := twin.DefaultSplitOptions()
	if args[0] == "split" {
		f.Float64Var(&o.Clearance, "clearance", o.Clearance, "metres above the ground under a footprint below which a triangle stays ground")
		f.Float64Var(&o.Margin, "margin", o.Margin, "metres around a footprint in which its ground is looked for")
		f.Float64Var(&o.Tolerance, "tolerance", o.Tolerance, "metres outside a footprint within which a triangle still belongs to it (walls)")
	}
	cfg, err := f.load(e, args[1:], nil)
	if err != nil {
		return err
	}
	want := 1
	if args[0] == "building" {
		want = 3
	}
	if f.NArg() != want {
		return usageError{twinUsage}
	}
	model := strings.TrimPrefix(f.Arg(0), "model-")
	var id int64
	if args[0] == "building" {
		if id, err = strconv.ParseInt(f.Arg(1), 10, 64); err != nil || id <= 0 {
			return usageError{fmt.Sprintf("%q is not a building id (basemap.building)", f.Arg(1))}
		}
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if args[0] == "building" {
		b, err := twin.SplitBuilding(ctx, pool, model, id)
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.Arg(2), b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "model-%s building %d: %d bytes → %s\n", model, id, len(b), f.Arg(2))
		return nil
	}
	rep, err := twin.Split(ctx, pool, model, o)
	if err != nil {
		return err
	}
	printSplit(e.stdout, rep)
	return nil
}

// printSplit prints what a split did, for people.
func printSplit(w io.Writer, rep *twin.SplitReport) {
	fmt.Fprintf(w, "model-%s: %d contents split, %d of %d triangles in %d of %d buildings under it, %d vertices → %d, in %s\n",
		rep.Model, rep.Contents, rep.Assigned, rep.Triangles, rep.Buildings, rep.Footprints, rep.Vertices, rep.VertsAfter, rep.Took.Round(1e6))
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  left as it was: %s\n", s)
	}
}
