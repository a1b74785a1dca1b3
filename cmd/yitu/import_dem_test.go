package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// yitu import dem.tif --as dem: the shared LiDAR tile goes into terrain.dem with a report that says
// its size, CRS, resolution, height range and how its heights were taken; --as dem on a file that
// is no DEM is refused.
func TestImportDEMCommand(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	env := []string{"DATABASE_URL=" + url}
	tif := shareddata.Path(t, "dem/TM1_564_146.tif")
	report := filepath.Join(t.TempDir(), "report.json")
	code, out := yitu(t, env, "import", tif, "--as", "dem", "--report", report)
	if code != 0 || !strings.Contains(out, "1000×1000 cells") || !strings.Contains(out, "EPSG:3794") || !strings.Contains(out, "254.97 to 325.05 m") ||
		!strings.Contains(out, "normal heights") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep loader.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.Format != "dem" || rep.Kind != "dem" || rep.SourceCRS != "EPSG:3794" || rep.Counts["dem blocks"] != 16 || rep.Details["dem"] == nil || rep.BBox == nil {
		t.Errorf("report %s: %v", b, err)
	}
	var blocks int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM terrain.dem WHERE overview = 1`).Scan(&blocks); err != nil || blocks != 16 {
		t.Errorf("%d blocks stored (%v)", blocks, err)
	}
	code, out = yitu(t, env, "import", shareddata.Path(t, "boundaries/yantai_districts.shp"), "--as", "dem")
	if code != 1 || !strings.Contains(out, "--as dem") {
		t.Errorf("a shapefile --as dem: exit %d\n%s", code, out)
	}
}

// yitu import map.dxf --as dem: a drawing's contours and spot heights become a DEM in terrain.dem
// (its own CRS, --cell metres), and the report says the method; the same drawing without --as is a
// base map as before; --cell on anything but a DXF --as dem is a usage error; a drawing without
// contours is refused and nothing is written.
func TestImportContourDEMCommand(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	env := []string{"DATABASE_URL=" + url}
	dir := t.TempDir()
	p := terraintest.Plane{SRID: 4528, X0: 40494000, Y0: 4114000, Cell: 1, Cols: 200, Rows: 100, H0: 20, GX: 0.03, GY: 0.04}
	var d terraintest.Drawing
	p.Contours(&d, 1, 4)
	path := d.Write(t, dir, "plane")
	code, out := yitu(t, env, "import", path, "--as", "dem", "--srs", "EPSG:4528", "--dry-run")
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM terrain.dem`).Scan(&n); code != 0 || !strings.Contains(out, "Delaunay") || err != nil || n != 0 {
		t.Errorf("--dry-run: exit %d, %d blocks written (%v)\n%s", code, n, err, out)
	}
	code, out = yitu(t, env, "import", path, "--as", "dem", "--srs", "EPSG:4528", "--cell", "2")
	if code != 0 || !strings.Contains(out, "100×50 cells of 2×2 metre") || !strings.Contains(out, "EPSG:4528") || !strings.Contains(out, "Delaunay") ||
		!strings.Contains(out, "normal heights") {
		t.Fatalf("import --as dem: exit %d\n%s", code, out)
	}
	t.Logf("%s", out)
	var kind, format string
	if err := pool.QueryRow(context.Background(), `SELECT kind, format FROM catalog.dataset WHERE name = 'plane'`).Scan(&kind, &format); err != nil || kind != "dem" || format != "dxf" {
		t.Errorf("dataset: %s %s (%v)", kind, format, err)
	}
	code, out = yitu(t, env, "import", path, "--srs", "EPSG:4528", "--dataset", "plane-map")
	var contours int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM basemap.contour`).Scan(&contours); code != 0 || err != nil || contours != 9 {
		t.Errorf("import as a base map: exit %d, %d contours (%v)\n%s", code, contours, err, out)
	}
	code, out = yitu(t, env, "import", path, "--srs", "EPSG:4528", "--cell", "2", "--dataset", "x")
	if code != 2 || !strings.Contains(out, "--cell") {
		t.Errorf("--cell without --as dem: exit %d\n%s", code, out)
	}
	var none terraintest.Drawing
	none.Polyline("JMD", "141101", 0, true, p.X0, p.Y0, p.X0+10, p.Y0, p.X0+10, p.Y0+10)
	code, out = yitu(t, env, "import", none.Write(t, dir, "houses"), "--as", "dem", "--srs", "EPSG:4528")
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM catalog.dataset WHERE name = 'houses'`).Scan(&n); code != 1 || !strings.Contains(out, "no contours") || err != nil || n != 0 {
		t.Errorf("a drawing without contours --as dem: exit %d, %d datasets (%v)\n%s", code, n, err, out)
	}
}
