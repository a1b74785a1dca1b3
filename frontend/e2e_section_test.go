package frontend_test

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestSectionInBrowser: over the test city (its boreholes, stratum model and pipelines), in
// Chromium: the section tool draws a line from one borehole to another on the 2D map, and the
// section panel shows the server's drawing of it with both boreholes named, the strata cut and a
// download of the SVG.
func TestSectionInBrowser(t *testing.T) {
	if !frontend.Built(frontend.Files()) {
		t.Fatal("the viewer is not built into frontend/dist; run `make frontend` (make test does)")
	}
	pool, dbURL := pgtest.NewWithURL(t)
	importCity(t, pool)
	type hole struct {
		No  string  `json:"no"`
		Lon float64 `json:"lon"`
		Lat float64 `json:"lat"`
	}
	var exp struct {
		From hole `json:"from"`
		To   hole `json:"to"`
	}
	// From the hole nearest the boreholes' middle to its nearest neighbour at least 60 m away: both
	// on one screen at zoom 17, far enough apart for two clicks.
	err := pool.QueryRow(context.Background(), `
		WITH h AS (SELECT hole_no, ST_Force2D(geom) AS p FROM geology.borehole),
		     a AS (SELECT h.* FROM h, (SELECT ST_Centroid(ST_Collect(p)) c FROM h) m ORDER BY h.p <-> m.c, hole_no LIMIT 1)
		SELECT a.hole_no, ST_X(a.p), ST_Y(a.p), b.hole_no, ST_X(b.p), ST_Y(b.p)
		FROM a, h b WHERE b.hole_no <> a.hole_no AND ST_Distance(a.p::geography, b.p::geography) >= 60
		ORDER BY ST_Distance(a.p::geography, b.p::geography), b.hole_no LIMIT 1`).
		Scan(&exp.From.No, &exp.From.Lon, &exp.From.Lat, &exp.To.No, &exp.To.Lon, &exp.To.Lat)
	if err != nil {
		t.Fatalf("no two boreholes in the test city: %v", err)
	}
	base := serve(t, dbURL)
	runBrowserScript(t, "e2e/section.mjs", "section", base, exp)
}
