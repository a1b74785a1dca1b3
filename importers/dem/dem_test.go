package dem_test

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// geoTIFF writes a small lon/lat DEM whose heights are 100, 101, … as a GeoTIFF with the CRS srs.
func geoTIFF(t *testing.T, srs string) string {
	t.Helper()
	dir := t.TempDir()
	p := terraintest.Plane{SRID: 4326, X0: 119.9, Y0: 37.1, Cell: 0.001, Cols: 20, Rows: 10, H0: 100, GX: 1000, WithoutPRJ: true}
	asc := p.Write(t, dir, "g")
	tif := filepath.Join(dir, "g.tif")
	if out, err := exec.Command("gdal_translate", "-q", "-a_srs", srs, asc, tif).CombinedOutput(); err != nil {
		t.Fatalf("gdal_translate: %v %s", err, out)
	}
	return tif
}

// TestVerticalDatum: geoid heights (EGM2008) are stored as they are, with the rule in the report;
// ellipsoidal heights (EPSG:4979) are refused without twin.height_offset and lowered by it with one.
func TestVerticalDatum(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	rep, err := terraintest.Import(t, pool, geoTIFF(t, "EPSG:4326+3855"), "egm", importers.Request{})
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Details["dem"].(*dem.Summary)
	if sum.SRID != 4326 || sum.VerticalDatum != "EGM2008 height" || !strings.Contains(sum.VerticalRule, "geoid heights above EGM2008") || sum.HeightShift != 0 {
		t.Errorf("EGM2008: %+v", sum)
	}
	if math.Abs(sum.MinHeight-100.5) > 1e-3 {
		t.Errorf("EGM2008 heights from %v, want 100.5", sum.MinHeight)
	}

	ell := geoTIFF(t, "EPSG:4979")
	if _, err := terraintest.Import(t, pool, ell, "ellipsoidal", importers.Request{}); err == nil || !strings.Contains(err.Error(), "twin.height_offset") {
		t.Errorf("ellipsoidal heights without twin.height_offset: %v", err)
	}
	off := 9.5
	rep, err = terraintest.Import(t, pool, ell, "ellipsoidal", importers.Request{HeightOffset: &off})
	if err != nil {
		t.Fatal(err)
	}
	sum = rep.Details["dem"].(*dem.Summary)
	if sum.SRID != 4326 || sum.HeightShift != -9.5 || math.Abs(sum.MinHeight-91) > 1e-3 {
		t.Errorf("ellipsoidal: %+v", sum)
	}
	var lo float64
	if err := pool.QueryRow(ctx, `SELECT min((ST_SummaryStats(rast)).min) FROM terrain.dem d JOIN catalog.dataset c ON c.id = d.dataset_id WHERE c.name = 'ellipsoidal'`).Scan(&lo); err != nil || math.Abs(lo-91) > 1e-3 {
		t.Errorf("stored ellipsoidal DEM: lowest %v (%v), want 91", lo, err)
	}
}
