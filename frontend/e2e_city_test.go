package frontend_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/oblique"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// cityBlocks sizes the demo city for the browser test: 6 × 6 street blocks (some 200 buildings, 80
// road segments with their Chinese names, 850 pipe segments) instead of the full 36 × 36.
const cityBlocks = 6

// obliqueDataset is the oblique photography set's dataset name, which is also its title.
const obliqueDataset = "莱州倾斜摄影样区"

// importCity writes a small demo city and imports it through the importers, as `yitu demo` does,
// and an oblique photography set (ContextCapture-style OSGB written by osgconv) east of the town
// through the OSGB importer. It returns the stored model's tileset name.
func importCity(t testing.TB, pool *pgxpool.Pool) (model string) {
	t.Helper()
	ctx := context.Background()
	f, err := demo.Generate(t.TempDir(), demo.Options{Seed: 1, Blocks: cityBlocks})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, loader.New(pool, nil), f, nil, nil); err != nil {
		t.Fatal(err)
	}

	// One tile holding one 60 m × 60 m block, 20 m high, 450 m east of the town centre.
	x, y := crs.EPSG(4528).FromLonLat(demo.CentreLon, demo.CentreLat)
	x += 450
	dir := t.TempDir()
	tiles := []demo.ObliqueTile{{Blocks: []demo.ObliqueBlock{{X: x - 30, Y: y - 30, W: 60, D: 60, Ground: 8, Height: 20}}}}
	if err := demo.WriteObliqueSet(dir, "EPSG:4528", [3]float64{x, y, 0}, tiles); err != nil {
		t.Fatal(err)
	}
	b, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: obliqueDataset, Kind: "oblique", Format: "osgb", Source: dir, Actor: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	if err := oblique.ImportOSGB(ctx, b, dir, oblique.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT 'model-' || name FROM twin.model WHERE title_zh = $1`, obliqueDataset).Scan(&model); err != nil {
		t.Fatalf("the oblique set is not stored: %v", err)
	}
	return model
}
