package crs_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// datumPoints are positions computed by PROJ's own command line, independent of PostGIS and of the
// sampled grid, e.g.
//
//	echo 2600000 1200000 | cs2cs -f %.10f EPSG:2056 EPSG:4326      # 46.9510827719 7.4386324209
//
// (cs2cs takes and gives coordinates in the EPSG axis order: EPSG:31467 is northing, easting; 4326
// is latitude, longitude.) x, y here are easting, northing.
var datumPoints = []struct {
	code     string
	x, y     float64
	lat, lon float64
	op       string
}{
	{"EPSG:2056", 2600000, 1200000, 46.9510827719, 7.4386324209, "CH1903+ to WGS 84 (1)"},
	{"EPSG:2056", 2612345.678, 1187654.321, 46.8399169839, 7.6004737090, "CH1903+ to WGS 84 (1)"},
	{"EPSG:28992", 155000, 463000, 52.1551723012, 5.3872035084, "Amersfoort to WGS 84"},
	{"EPSG:28992", 120700.723, 487525.501, 52.3745304254, 4.8835229153, "Amersfoort to WGS 84"},
	{"EPSG:31467", 3480000, 5530000, 49.9060977678, 8.7205401684, "DHDN to WGS 84"},
	{"EPSG:31467", 3456789.25, 5512345.5, 49.7461518261, 8.3994095907, "DHDN to WGS 84"},
	{"EPSG:3547", 5000000, 3700000, 37.4842072673, -85.4785877251, "NAD83(NSRS2007) to WGS 84 (1)"}, // US survey feet
	{"EPSG:32650", 600000, 4100000, 37.0408935425, 118.1244802299, "Inverse of UTM zone 50N"},
}

// TestBindThroughWGS84 binds CRSs on other datums (Swiss, Dutch, German, US) and checks the stored
// lon/lat against cs2cs through EPSG:4326 to within 1 cm; through PostGIS's ST_Transform(…, 4490)
// they were 110–165 m off (a ballpark null datum shift).
func TestBindThroughWGS84(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, p := range datumPoints {
		c, err := crs.Lookup(p.code)
		if err != nil {
			t.Fatal(err)
		}
		ext := [4]float64{p.x - 2500, p.y - 1500, p.x + 3700, p.y + 900}
		b, err := crs.Bind(ctx, pool, c, ext)
		if err != nil {
			t.Fatalf("%s: %v", p.code, err)
		}
		lon, lat := b.ToLonLat(p.x, p.y)
		dE := (lon - p.lon) * math.Cos(p.lat*math.Pi/180) * 111320
		dN := (lat - p.lat) * 110574
		if math.Hypot(dE, dN) > 0.002 {
			t.Errorf("%s (%g, %g) → %.9f, %.9f; cs2cs says %.9f, %.9f (%.3f m off)", p.code, p.x, p.y, lon, lat, p.lon, p.lat, math.Hypot(dE, dN))
		}
		tr := b.(*crs.Bound).Transformation
		if !strings.Contains(tr, p.op) || !strings.Contains(tr, "accuracy") {
			t.Errorf("%s: transformation %q does not name %q and its accuracy", p.code, tr, p.op)
		}
		if lon, _ := b.ToLonLat(p.x+10000, p.y); !math.IsNaN(lon) {
			t.Errorf("%s: a point outside the bound extent converted", p.code)
		}
	}
}

// TestBindRefusesUnknownDatumShift: Beijing 1954 and Xi'an 1980 (geographic and Gauss-Krüger) have
// no transformation PROJ knows for Laizhou (Beijing 1954's Yellow Sea one is offshore-only); the
// refusal names the CRS and the way out.
func TestBindRefusesUnknownDatumShift(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, tc := range []struct {
		code string
		ext  [4]float64
		want []string
	}{
		{"EPSG:2416", [4]float64{40490000, 4110000, 40510000, 4120000}, []string{"EPSG:2416 (Beijing 1954 / 3-degree Gauss-Kruger zone 40)", "ellipsoid: beijing54", "central_meridian: 120, false_easting: 40500000", "offshore-only", "Huang Hai"}},
		{"EPSG:2364", [4]float64{40490000, 4110000, 40510000, 4120000}, []string{"EPSG:2364 (Xian 1980 / 3-degree Gauss-Kruger zone 40)", "ellipsoid: xian80", "central_meridian: 120"}},
		{"EPSG:4214", [4]float64{119.8, 37.0, 120.1, 37.3}, []string{"EPSG:4214 (Beijing 1954)", "ellipsoid: beijing54}"}},
		{"EPSG:4610", [4]float64{119.8, 37.0, 120.1, 37.3}, []string{"EPSG:4610 (Xian 1980)", "ellipsoid: xian80}"}},
	} {
		c, _ := crs.Lookup(tc.code)
		_, err := crs.Bind(ctx, pool, c, tc.ext)
		if err == nil {
			t.Errorf("%s bound with no datum shift", tc.code)
			continue
		}
		for _, w := range append(tc.want, "PROJ knows no transformation from its datum to CGCS2000 or WGS 84", "--srs local:<grid.yaml> with method: 7-parameter") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.code, err, w)
			}
		}
	}
}
