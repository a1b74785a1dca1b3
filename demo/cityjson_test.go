package demo

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// The CityJSON core block imports as a CIM dataset whose LoD2 buildings stand exactly on base-map
// footprints (so the buildings tileset shows them in place of the extruded footprints).
func TestCityJSONCoreBlock(t *testing.T) {
	f, err := Generate(t.TempDir(), Options{Seed: 3, Blocks: 12})
	if err != nil {
		t.Fatal(err)
	}
	if f.Stats.CIMBuildings < 50 {
		t.Fatalf("%d LoD2 buildings in the core block", f.Stats.CIMBuildings)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	l := loader.New(pool, nil)
	for _, r := range []importers.Request{
		{Path: f.BaseMap, As: "basemap", SRS: SourceCRS, Dataset: BaseMapDataset},
		{Path: f.CityJSON, Dataset: CIMDataset},
	} {
		res, err := importers.Run(ctx, l, importers.Formats(), r, nil)
		if err != nil || res[0].Err != nil {
			t.Fatalf("%s: %v %v", r.Path, err, res)
		}
		if r.Dataset == CIMDataset && (res[0].Report.Format != "cityjson" || res[0].Report.SourceCRS != "EPSG:4528" || len(res[0].Report.Warnings) != 0) {
			t.Errorf("CityJSON report: %+v", res[0].Report)
		}
	}
	var buildings, roofs, walls, grounds, onFootprint int
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cim.building),
		(SELECT count(*) FROM cim.surface WHERE kind = 'RoofSurface'),
		(SELECT count(*) FROM cim.surface WHERE kind = 'WallSurface'),
		(SELECT count(*) FROM cim.surface WHERE kind = 'GroundSurface'),
		(SELECT count(*) FROM cim.building c WHERE EXISTS (SELECT 1 FROM basemap.building b
		     WHERE b.geom && c.footprint AND ST_Area(ST_Intersection(b.geom, c.footprint)) > 0.99 * ST_Area(b.geom)))`).
		Scan(&buildings, &roofs, &walls, &grounds, &onFootprint)
	if err != nil {
		t.Fatal(err)
	}
	n := f.Stats.CIMBuildings
	// One ground, wall and roof surface per building (the file's semantic objects).
	if buildings != n || grounds != n || roofs != n || walls != n || onFootprint != n {
		t.Errorf("%d buildings (%d written), %d roofs, %d walls, %d grounds, %d on a base-map footprint", buildings, n, roofs, walls, grounds, onFootprint)
	}
}
