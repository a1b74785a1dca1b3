package oblique_test

import (
	"context"
	"math"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/oblique"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestImportPagedLODSet imports a two-level ContextCapture-style set that osgconv wrote (the demo
// generator's) in EPSG:4528 and checks the LOD tree: a grouping root, a tile per Tile_x folder with
// its coarse content, the paged file below it with the detailed content, geometric errors from the
// pixel-size ranges, bounding volumes that hold their children, valid glb everywhere.
func TestImportPagedLODSet(t *testing.T) {
	dir := t.TempDir()
	x0, y0 := 40493000.0, 4115000.0
	if err := demo.WriteObliqueSet(dir, "EPSG:4528", [3]float64{x0, y0, 0}, boxTiles(x0, y0, 2, 1, 3)); err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	rep, err := oblique.ImportWith(t, pool, "laizhou-oblique", "osgb", dir, func(ctx context.Context, b *loader.Batch) error {
		return oblique.ImportOSGB(ctx, b, dir, oblique.Options{HeightOffset: 9.2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 || rep.Counts["model_node"] != 5 {
		t.Fatalf("report %+v", rep)
	}
	_, _, nodes := oblique.StoredModel(t, pool, "laizhou-oblique")
	byName := map[string]oblique.StoredNode{}
	for _, n := range nodes {
		byName[n.Name] = n
	}
	root, tile, fine := byName["Data"], byName["Tile_+000_+000/Tile_+000_+000"], byName["Tile_+000_+000/Tile_+000_+000_L18_0"]
	if tile.Parent != root.ID || fine.Parent != tile.ID || tile.ContentType != "glb" || fine.ContentType != "glb" {
		t.Fatalf("tree: %+v", byName)
	}
	// the tile gives way to its child when its sphere covers r pixels: error 16·2r/r = 32
	if math.Abs(tile.GeometricError-32) > 1e-6 || fine.GeometricError != 0 || root.GeometricError < 64 {
		t.Errorf("geometric errors: root %v tile %v fine %v", root.GeometricError, tile.GeometricError, fine.GeometricError)
	}
	// The boxes of tile and child: the child's (in the child's frame, offset by its transform)
	// lies inside the tile's.
	tb, fb := tile.Volume["box"], fine.Volume["box"]
	off := [3]float64{0, 0, 0}
	if len(fine.Transform) == 16 {
		off = [3]float64{fine.Transform[12], fine.Transform[13], fine.Transform[14]}
	}
	for k := range 3 {
		lo, hi := fb[k]+off[k]-fb[3+k*4], fb[k]+off[k]+fb[3+k*4]
		if lo < tb[k]-tb[3+k*4]-1e-6 || hi > tb[k]+tb[3+k*4]+1e-6 {
			t.Errorf("axis %d: child %v..%v outside the tile's box %v", k, lo, hi, tb)
		}
	}
	// 7 km west of the zone's central meridian (120°E)
	if b := rep.BBox; b == nil || b[0] < 119.91 || b[2] > 119.93 || b[0] >= b[2] {
		t.Errorf("bbox %v", rep.BBox)
	}
	oblique.CheckGLBs(t, nodes)
}

// BenchmarkImportOSGBSet imports a 4×4-tile, two-level set of 400 textured buildings (EPSG:4528,
// converted through PostGIS) and reports tiles and triangles per second.
func BenchmarkImportOSGBSet(b *testing.B) {
	dir := b.TempDir()
	x0, y0 := 40493000.0, 4115000.0
	tiles := boxTiles(x0, y0, 4, 4, 25)
	if err := demo.WriteObliqueSet(dir, "EPSG:4528", [3]float64{x0, y0, 0}, tiles); err != nil {
		b.Fatal(err)
	}
	pool := pgtest.New(b)
	var rep *loader.Report
	for b.Loop() {
		var err error
		rep, err = oblique.ImportWith(b, pool, "bench", "osgb", dir, func(ctx context.Context, bt *loader.Batch) error {
			return oblique.ImportOSGB(ctx, bt, dir, oblique.Options{HeightOffset: 9})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(rep.Counts["model_node"])/sec, "tiles/s")
	b.ReportMetric(float64(2*len(tiles)*25*10)/sec, "triangles/s") // two levels, 10 triangles a building
}

// boxTiles lays out nx × ny tiles of 100 m, each with perTile buildings of 15 m × 12 m in rows of
// five, 19 m apart, 10 to 34 m high.
func boxTiles(x0, y0 float64, nx, ny, perTile int) []demo.ObliqueTile {
	var tiles []demo.ObliqueTile
	for i := range nx {
		for j := range ny {
			tl := demo.ObliqueTile{I: i, J: j}
			for k := range perTile {
				tl.Blocks = append(tl.Blocks, demo.Box(x0+float64(i)*100+float64(k%5)*19, y0+float64(j)*100+float64(k/5)*19, 15, 12, 8, 10+float64(k%7)*4))
			}
			tiles = append(tiles, tl)
		}
	}
	return tiles
}
