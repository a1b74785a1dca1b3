package twin_test

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
)

// The demo city end to end: base map, CJJ 61 pipelines and the CityJSON core block imported as
// yitu demo does, then every tile of the buildings, pipelines and CIM tilesets built and validated.
func TestDemoCityTilesets(t *testing.T) {
	f, err := demo.Generate(t.TempDir(), demo.Options{Seed: 5, Blocks: 12})
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, loader.New(pool, nil), f, nil, nil); err != nil {
		t.Fatal(err)
	}
	s := newService(t, pool, func(c *twin.Config) { c.FeatureCap = 1000 })

	_, feats := fetchAll(t, s, "buildings")
	var base, cimN int
	pool.QueryRow(ctx, `SELECT count(*) FROM basemap.building`).Scan(&base)
	byLayer := map[string]int{}
	for _, f := range feats {
		byLayer[f.Props["layer"]]++
	}
	cimN = byLayer["cim.building"]
	if cimN != f.Stats.CIMBuildings || byLayer["basemap.building"] != base-cimN {
		t.Errorf("buildings tileset: %v; want %d CIM buildings and the other %d of %d base-map footprints", byLayer, f.Stats.CIMBuildings, base-cimN, base)
	}

	_, feats = fetchAll(t, s, "pipelines")
	var segs, wells int
	pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pipeline.segment), (SELECT count(*) FROM pipeline.point WHERE well_depth > 0)`).Scan(&segs, &wells)
	byLayer = map[string]int{}
	for _, f := range feats {
		byLayer[f.Props["layer"]]++
	}
	if byLayer["pipeline.segment"] != segs || byLayer["pipeline.point"] != wells || segs == 0 || wells == 0 {
		t.Errorf("pipelines tileset: %v; want %d segments and %d wells", byLayer, segs, wells)
	}

	_, feats = fetchAll(t, s, "cim-"+demo.CIMDataset)
	if len(feats) != f.Stats.CIMBuildings {
		t.Errorf("cim-%s: %d features, want %d", demo.CIMDataset, len(feats), f.Stats.CIMBuildings)
	}
}
