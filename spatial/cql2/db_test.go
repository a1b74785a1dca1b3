package cql2_test

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestTileFilter compiles filters the way the tiles branch uses them for ?filter= on a single-layer
// tile: against the layer's EPSG:3857 tile column, with placeholders after the tile's own z, x, y.
func TestTileFilter(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `
		INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('t', 'basemap', 'dxf', 't.dxf', 'x', 'EPSG:4528', 'test');
		INSERT INTO basemap.building (dataset_id, name, floors, geom)
		SELECT 1, '楼' || i, i, ST_Multi(ST_MakeEnvelope(119.94 + i * 0.001, 37.18, 119.9404 + i * 0.001, 37.1804, 4490))
		FROM generate_series(1, 10) i`); err != nil {
		t.Fatal(err)
	}
	cat, err := spatial.LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	layer, _ := cat.Layer("basemap.building")
	schema := cql2.ForLayer(layer, layer.TileColumn, 3857)
	schema.Alias = "t"
	cases := map[string]int{
		"floors > 7": 3,
		"name IN ('楼1', '楼2') OR floors = 10":                            3,
		"S_INTERSECTS(geometry, BBOX(119.9405, 37.17, 119.9435, 37.19))": 3, // buildings 1 (its east edge), 2, 3
		"S_DWITHIN(geometry, POINT(119.941 37.18), 100)":                 2, // buildings 1 and 2 (~90 m away)
		`{"op":"<","args":[{"property":"floors"},3]}`:                    2,
	}
	for filter, want := range cases {
		f, err := cql2.Parse(filter, "")
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		where, args, err := f.Compile(schema, 4)
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var n int
		sql := `SELECT count(*) FROM basemap.building t WHERE t.geom_3857 && ST_TileEnvelope($1, $2, $3) AND ` + where
		if err := pool.QueryRow(ctx, sql, append([]any{12, 3412, 1591}, args...)...).Scan(&n); err != nil {
			t.Fatalf("%s: %s: %v", filter, sql, err)
		}
		if n != want {
			t.Errorf("%s: %d buildings in the tile, want %d (%s)", filter, n, want, where)
		}
	}
}
