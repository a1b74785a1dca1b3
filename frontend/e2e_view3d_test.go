package frontend_test

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
)

// TestThreeDInBrowser: over the test city (its DEM as terrain, its pipelines as 3D Tiles), in
// Chromium: the 3D view opens tilted toward what the flat 2D map showed (Cesium pitch between −60°
// and −30°, the far rows of the picture finer than the near ones), 2D → 3D → 2D keeps centre, zoom
// and bearing, and the underground mode shows a gas pipe buried under the road that the ground
// hides with the mode off (pipe-coloured pixels at its place, mode on against off); in the demo's
// oblique set, split by building, a click on a building picks that building.
func TestThreeDInBrowser(t *testing.T) {
	if !frontend.Built(frontend.Files()) {
		t.Fatal("the viewer is not built into frontend/dist; run `make frontend` (make test does)")
	}
	pool, dbURL := pgtest.NewWithURL(t)
	importCity(t, pool)
	var exp struct {
		Pipe struct {
			ID    int64   `json:"id"`
			Lon   float64 `json:"lon"`
			Lat   float64 `json:"lat"`
			Depth float64 `json:"depth"` // of its top below the ground, metres
		} `json:"pipe"`
		Split struct {
			Tileset   string  `json:"tileset"` // model-<name>, split by building
			Title     string  `json:"title"`
			Lon       float64 `json:"lon"` // in its largest building
			Lat       float64 `json:"lat"`
			Buildings []int64 `json:"buildings"` // the basemap.building rows it shows
		} `json:"split"`
	}
	// The longest gas pipe (magenta, #ff00ff, which nothing else in the scene is), at its middle.
	err := pool.QueryRow(context.Background(), `SELECT id, ST_X(p), ST_Y(p), coalesce((start_depth + end_depth) / 2, 0)
		FROM pipeline.segment, ST_LineInterpolatePoint(ST_Force2D(geom), 0.5) p
		WHERE pipe_type = 'RQ' ORDER BY ST_Length(geom::geography) DESC, id LIMIT 1`).
		Scan(&exp.Pipe.ID, &exp.Pipe.Lon, &exp.Pipe.Lat, &exp.Pipe.Depth)
	if err != nil {
		t.Fatalf("no gas pipe in the test city: %v", err)
	}
	// The demo's oblique set split by building (physical 单体化), and its largest building.
	var model string
	err = pool.QueryRow(context.Background(), `SELECT m.name, m.title_zh, ST_X(p), ST_Y(p),
			(SELECT array_agg(o.id) FROM basemap.building o WHERE ST_Contains(m.footprint, o.geom))
		FROM twin.model m JOIN catalog.dataset d ON d.id = m.dataset_id, basemap.building b, ST_PointOnSurface(b.geom) p
		WHERE d.name = $1 AND ST_Contains(m.footprint, b.geom) ORDER BY ST_Area(b.geom) DESC, b.id LIMIT 1`, demo.ObliqueDataset).
		Scan(&model, &exp.Split.Title, &exp.Split.Lon, &exp.Split.Lat, &exp.Split.Buildings)
	if err != nil {
		t.Fatalf("no oblique set with buildings: %v", err)
	}
	if _, err := twin.Split(context.Background(), pool, model, twin.DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	exp.Split.Tileset = "model-" + model
	base := serve(t, dbURL)
	runBrowserScript(t, "e2e/view3d.mjs", "view3d", base, exp)
}
