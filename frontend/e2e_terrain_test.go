package frontend_test

import (
	"path/filepath"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// TestTerrainInBrowser: over the demo city's DEM, the 2D map shades the relief and the 3D view's
// globe takes the quantized-mesh terrain (other pixels than a flat globe), in Chromium.
func TestTerrainInBrowser(t *testing.T) {
	if !frontend.Built(frontend.Files()) {
		t.Fatal("the viewer is not built into frontend/dist; run `make frontend` (make test does)")
	}
	pool, dbURL := pgtest.NewWithURL(t)
	path := filepath.Join(t.TempDir(), demo.DEMFile)
	if _, err := demo.WriteDEM(path, demo.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	terraintest.MustImport(t, pool, path, demo.DEMDataset)
	x, y := demo.HillTop(demo.Options{Seed: 1})
	lon, lat := crs.EPSG(4528).ToLonLat(x, y)
	base := serve(t, dbURL)
	var exp struct {
		Hill struct {
			Lon float64 `json:"lon"`
			Lat float64 `json:"lat"`
		} `json:"hill"`
	}
	exp.Hill.Lon, exp.Hill.Lat = lon, lat
	runBrowserScript(t, "e2e/terrain.mjs", "terrain", base, exp)
}
