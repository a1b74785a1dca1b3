package server

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/geology/geotest"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
)

// TestSectionRoute: GET /twin/section answers GeoJSON and SVG, and refuses a malformed line with 400.
func TestSectionRoute(t *testing.T) {
	pool := pgtest.New(t)
	site := geotest.Laizhou(3, 40)
	p := filepath.Join(t.TempDir(), "holes.csv")
	os.WriteFile(p, []byte(site.CSV()), 0o644)
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(),
		importers.Request{Path: p, As: "boreholes", SRS: "EPSG:4549", HomeLon: 119.94}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	tw, err := twin.New(pool, twin.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Pool: pool, Twin: tw})
	fr := site.Frame()
	a, b, _ := fr.Geodetic([3]float64{-50, 0, 0})
	c, d, _ := fr.Geodetic([3]float64{50, 10, 0})
	line := fmt.Sprintf("%.7f,%.7f,%.7f,%.7f", a, b, c, d)
	for _, tc := range []struct {
		query, ctype, want string
		status             int
	}{
		{"line=" + line, "application/geo+json", `"kind":"stratum"`, 200},
		{"line=" + line + "&f=svg", "image/svg+xml", "地质剖面图", 200},
		{"line=119.9,37.1", "application/problem+json", "line", 400},
		{"line=" + line + "&buffer=-1", "application/problem+json", "buffer", 400},
	} {
		resp, err := s.App().Test(httptest.NewRequest("GET", "/twin/section?"+tc.query, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s %.300s", tc.query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
