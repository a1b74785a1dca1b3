package crs_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// metres between two lon/lat points (equirectangular; fine at these distances).
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	dy := (lat2 - lat1) * 111320
	dx := (lon2 - lon1) * 111320 * math.Cos(lat1*math.Pi/180)
	return math.Hypot(dx, dy)
}

// Every CGCS2000 Gauss-Krüger zone, forward and inverse, against PostGIS ST_Transform (PROJ):
// sub-millimetre across the zone, including its edges.
func TestGaussKrugerAgainstPostGIS(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	for code := 4491; code <= 4554; code++ {
		c := crs.EPSG(code)
		gk := c.(*crs.GK)
		half := float64(gk.Width) / 2
		var lons, lats []float64
		for _, dl := range []float64{-half, -half / 2, -0.1, 0, 0.37, half / 2, half} {
			for _, lat := range []float64{18.2, 30.5, 37.18, 53.4} {
				lons, lats = append(lons, gk.CentralMeridian+dl), append(lats, lat)
			}
		}
		rows, err := pool.Query(ctx, `
			SELECT ST_X(p), ST_Y(p) FROM (
				SELECT ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), $3::int) AS p
				FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i) ORDER BY i) s`, lons, lats, code)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for rows.Next() {
			var e, n float64
			if err := rows.Scan(&e, &n); err != nil {
				t.Fatal(err)
			}
			ge, gn := c.FromLonLat(lons[i], lats[i])
			if d := math.Hypot(ge-e, gn-n); d > 0.0005 {
				t.Errorf("%s forward (%g, %g): (%.4f, %.4f), PostGIS (%.4f, %.4f): %.2f mm apart", c.Code(), lons[i], lats[i], ge, gn, e, n, d*1000)
			}
			lon, lat := c.ToLonLat(e, n)
			if d := metres(lon, lat, lons[i], lats[i]); d > 0.0005 {
				t.Errorf("%s inverse (%.4f, %.4f): (%.9f, %.9f), want (%g, %g): %.2f mm", c.Code(), e, n, lon, lat, lons[i], lats[i], d*1000)
			}
			i++
		}
		if rows.Err() != nil || i != len(lons) {
			t.Fatalf("%s: %d rows, %v", c.Code(), i, rows.Err())
		}
	}
	if c := crs.EPSG(4528).(*crs.GK); c.Zone != 40 || c.CentralMeridian != 120 || c.FalseEasting != 40500000 {
		t.Errorf("EPSG:4528 = %+v", c)
	}
	if c := crs.EPSG(4549).(*crs.GK); c.Zone != 0 || c.CentralMeridian != 120 || c.FalseEasting != 500000 {
		t.Errorf("EPSG:4549 = %+v", c)
	}
}

// GCJ-02 against points published with independent implementations of the offset (the eviltransform
// test suites: Shanghai, Shenzhen, Beijing; and a Python wgs84_to_gcj02 test at 40°N 116°E, whose
// constants differ in the last digits: 9 mm apart). Within 2 cm of each.
func TestGCJ02(t *testing.T) {
	for _, p := range []struct{ wLat, wLon, gLat, gLon float64 }{
		{31.1774276, 121.5272106, 31.17530398364597, 121.531541859215},
		{22.543847, 113.912316, 22.540796131694766, 113.9171764808363},
		{39.911954, 116.377817, 39.91334545536069, 116.38404722455657},
		{40.0, 116.0, 40.001213650174, 116.006141221789},
	} {
		lon, lat := crs.WGS84ToGCJ02(p.wLon, p.wLat)
		if d := metres(lon, lat, p.gLon, p.gLat); d > 0.02 {
			t.Errorf("WGS84ToGCJ02(%g, %g) = (%.9f, %.9f), want (%.9f, %.9f): %.3f m off", p.wLon, p.wLat, lon, lat, p.gLon, p.gLat, d)
		}
		lon, lat = crs.GCJ02{}.ToLonLat(p.gLon, p.gLat)
		if d := metres(lon, lat, p.wLon, p.wLat); d > 0.02 {
			t.Errorf("GCJ02 inverse (%g, %g) = (%.9f, %.9f), want (%g, %g): %.3f m off", p.gLon, p.gLat, lon, lat, p.wLon, p.wLat, d)
		}
	}
	// The inverse is exact to far below a millimetre everywhere in China, where the offset is
	// hundreds of metres.
	for lon := 73.0; lon <= 135; lon += 3.1 {
		for lat := 18.0; lat <= 53; lat += 2.3 {
			g1, g2 := crs.WGS84ToGCJ02(lon, lat)
			if off := metres(lon, lat, g1, g2); off < 50 || off > 1000 {
				t.Errorf("offset at (%g, %g) is %.1f m", lon, lat, off)
			}
			w1, w2 := crs.GCJ02ToWGS84(g1, g2)
			if d := metres(w1, w2, lon, lat); d > 1e-6 {
				t.Errorf("round trip at (%g, %g) off by %g m", lon, lat, d)
			}
		}
	}
	if lon, lat := crs.WGS84ToGCJ02(2.35, 48.85); lon != 2.35 || lat != 48.85 {
		t.Error("outside China the offset is not zero")
	}
}

func writeGrid(t *testing.T, yaml string) string {
	p := filepath.Join(t.TempDir(), "grid.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocalGrid4(t *testing.T) {
	p := writeGrid(t, `
name: 莱州城建坐标系
method: 4-parameter
target: EPSG:4528
dx: 40500012.5
dy: 4112345.25
rotation_arcsec: 36
scale_ppm: 25
`)
	g, err := crs.Lookup("local:" + p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Code(), "local:/") || g.Name() != "莱州城建坐标系" || !g.Projected() {
		t.Errorf("grid = %s %s", g.Code(), g.Name())
	}
	x, y := 1234.5, -2345.25
	th := 36.0 / 3600 * math.Pi / 180
	k := 1 + 25e-6
	e := 40500012.5 + k*(x*math.Cos(th)-y*math.Sin(th))
	n := 4112345.25 + k*(x*math.Sin(th)+y*math.Cos(th))
	wantLon, wantLat := crs.EPSG(4528).ToLonLat(e, n)
	lon, lat := g.ToLonLat(x, y)
	if d := metres(lon, lat, wantLon, wantLat); d > 1e-6 {
		t.Errorf("4-parameter: %.9f %.9f, want %.9f %.9f", lon, lat, wantLon, wantLat)
	}
	bx, by := g.FromLonLat(lon, lat)
	if math.Hypot(bx-x, by-y) > 1e-6 {
		t.Errorf("round trip: (%g, %g)", bx, by)
	}
}

// A 7-parameter grid (Xian 80 Gauss-Krüger with Bursa-Wolf parameters) against PROJ in PostGIS, with
// the same parameters as +towgs84 (position vector).
func TestLocalGrid7AgainstPostGIS(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	params := []float64{-15.2, 120.3, 45.1, 0.32, -1.2, 2.1, -3.4}
	grid := func(conv string, sign float64) crs.CRS {
		p := writeGrid(t, fmt.Sprintf(`
name: 西安80 3度带 120°E
method: 7-parameter
target: EPSG:4490
source:
  ellipsoid: xian80
  projection:
    central_meridian: 120
tx: %g
ty: %g
tz: %g
rx: %g
ry: %g
rz: %g
ds_ppm: %g
convention: %s
`, params[0], params[1], params[2], sign*params[3], sign*params[4], sign*params[5], params[6], conv))
		g, err := crs.Lookup(p)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	pv, cf := grid("position-vector", 1), grid("coordinate-frame", -1)
	src := fmt.Sprintf("+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +a=6378140 +rf=298.257 +towgs84=%g,%g,%g,%g,%g,%g,%g +units=m +no_defs",
		params[0], params[1], params[2], params[3], params[4], params[5], params[6])
	for _, pt := range [][2]float64{{500000, 4116000}, {438123.4, 4120456.7}, {612345.6, 3900000}} {
		var lon, lat float64
		// PROJ applies +towgs84 on the way to WGS 84 (to EPSG:4490 it finds no operation and drops it);
		// WGS 84 and CGCS2000 coordinates agree to well below a millimetre here.
		err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_MakePoint($1, $2), $3, 4326) p`, pt[0], pt[1], src).Scan(&lon, &lat)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []crs.CRS{pv, cf} {
			glon, glat := g.ToLonLat(pt[0], pt[1])
			if d := metres(glon, glat, lon, lat); d > 0.001 {
				t.Errorf("%s (%g, %g): (%.9f, %.9f), PROJ (%.9f, %.9f): %.4f m", g.Name(), pt[0], pt[1], glon, glat, lon, lat, d)
			}
			x, y := g.FromLonLat(glon, glat)
			if d := math.Hypot(x-pt[0], y-pt[1]); d > 0.001 {
				t.Errorf("round trip off by %g m", d)
			}
		}
	}
}

func TestLocalGridErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"name: a\nmethod: 5-parameter\n", "use 4-parameter or 7-parameter"},
		{"method: 4-parameter\n", "name is missing"},
		{"name: a\nmethod: 4-parameter\ntarget: EPSG:4490\n", "projected CRS"},
		{"name: a\nmethod: 4-parameter\ntarget: EPSG:4528\nscale: -2\n", "positive"},
		{"name: a\nmethod: 4-parameter\ntarget: EPSG:4528\nrotaton_deg: 2\n", "rotaton_deg"},
		{"name: a\nmethod: 7-parameter\ntarget: EPSG:4490\nsource: {ellipsoid: mars}\n", "ellipsoid"},
		{"name: a\nmethod: 7-parameter\ntarget: EPSG:4490\nsource: {ellipsoid: xian80}\ntx: 100000\n", "check units"},
		{"name: a\nmethod: 7-parameter\ntarget: EPSG:4528\nsource: {ellipsoid: xian80}\n", "EPSG:4490"},
	} {
		_, err := crs.ParseLocalGrid([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestLookup(t *testing.T) {
	for code, want := range map[string]string{"EPSG:4528": "EPSG:4528", "epsg:4549": "EPSG:4549", "4490": "EPSG:4490",
		"gcj02": "gcj02", "GCJ-02": "gcj02", "wgs84": "EPSG:4326", "3857": "EPSG:3857", "EPSG:4491": "EPSG:4491"} {
		c, err := crs.Lookup(code)
		if err != nil || c.Code() != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", code, c, err, want)
		}
	}
	if c, err := crs.Lookup("EPSG:25833"); err != nil || c.Code() != "EPSG:25833" {
		t.Errorf("Lookup(EPSG:25833) = %v, %v; want a PROJ CRS", c, err)
	} else if _, ok := c.(*crs.Proj); !ok {
		t.Errorf("Lookup(EPSG:25833) is a %T, not a *crs.Proj", c)
	}
	for _, bad := range []string{"utm50", ""} {
		if _, err := crs.Lookup(bad); err == nil {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	if n, ok := crs.IsEPSG("EPSG:25833"); !ok || n != 25833 {
		t.Error("IsEPSG")
	}
}

const (
	esriGK120    = `PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriGKZone40 = `PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriGK117    = `PROJCS["CGCS2000_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriCGCS     = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	esriWGS      = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	ogc4528      = `PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4528"]]`
	wkt2_4549    = `PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]]],CONVERSION["3-degree Gauss-Kruger CM 120E",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Longitude of natural origin",120,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1]],PARAMETER["False easting",500000,LENGTHUNIT["metre",1]],PARAMETER["False northing",0,LENGTHUNIT["metre",1]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1]],AXIS["easting (Y)",east,ORDER[2]],LENGTHUNIT["metre",1]]`
	webMerc      = `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`
	utm50        = `PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
)

func TestFromWKT(t *testing.T) {
	for wkt, want := range map[string]string{esriGK120: "EPSG:4549", esriGKZone40: "EPSG:4528", esriGK117: "EPSG:4509",
		esriCGCS: "EPSG:4490", esriWGS: "EPSG:4326", ogc4528: "EPSG:4528", wkt2_4549: "EPSG:4549", webMerc: "EPSG:3857"} {
		c, err := crs.FromWKT(wkt)
		if err != nil || c.Code() != want {
			t.Errorf("FromWKT(%.50s…) = %v, %v; want %s", wkt, c, err, want)
		}
	}
	if c, err := crs.FromWKT(utm50); err != nil || c.Code() != "WKT:WGS_1984_UTM_Zone_50N" {
		t.Errorf("UTM: %v, %v; want a PROJ CRS by its WKT", c, err)
	}
	if _, err := crs.FromWKT(`PROJCS["x",GEOGCS[`); err == nil {
		t.Error("truncated WKT accepted")
	}
}

func TestGuessZone(t *testing.T) {
	g := crs.GuessZone(40498000, 4110000, 40512000, 4125000, 119.94)
	if len(g.Codes) != 1 || g.Codes[0] != "EPSG:4528" {
		t.Errorf("prefixed: %+v", g)
	}
	g = crs.GuessZone(498000, 4110000, 512000, 4125000, 119.94)
	if len(g.Codes) == 0 || g.Codes[0] != "EPSG:4549" || !strings.Contains(g.Reason, "120°E") {
		t.Errorf("unprefixed: %+v", g)
	}
	if g := crs.GuessZone(4110000, 498000, 4125000, 512000, 119.94); len(g.Codes) != 0 || !strings.Contains(g.Reason, "northing in X") {
		t.Errorf("swapped: %+v", g)
	}
	if g := crs.GuessZone(119.9, 37.1, 120, 37.2, 119.94); len(g.Codes) == 0 || g.Codes[0] != "EPSG:4490" {
		t.Errorf("degrees: %+v", g)
	}
}

func FuzzFromWKT(f *testing.F) {
	for _, s := range []string{esriGK120, ogc4528, wkt2_4549, webMerc, utm50, `GEOGCS["a"]`, `X(1,2)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := crs.FromWKT(s)
		if err == nil && c == nil {
			t.Fatal("nil CRS without an error")
		}
	})
}

func FuzzParseLocalGrid(f *testing.F) {
	f.Add("name: a\nmethod: 4-parameter\ntarget: EPSG:4528\ndx: 1\ndy: 2\nrotation_arcsec: 3\nscale_ppm: 4\n")
	f.Add("name: b\nmethod: 7-parameter\ntarget: EPSG:4490\nsource:\n  ellipsoid: xian80\n  projection: {central_meridian: 120}\ntx: 1\nrx: 0.1\nds_ppm: 2\n")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := crs.ParseLocalGrid([]byte(s))
		if err != nil {
			return
		}
		lon, lat := g.ToLonLat(1000, 4000000)
		_, _ = g.FromLonLat(lon, lat)
	})
}
