// Package crs is Yitu's coordinate reference system registry, in Go: CGCS2000 (EPSG:4490) and its
// Gauss-Krüger zones (3-degree EPSG:4513–4554, 6-degree EPSG:4491–4512), WGS 84 (4326), Web Mercator
// (3857), GCJ-02 (the offset coordinates of Chinese web maps) and local survey grids defined in a YAML
// file with a 4-parameter (plane similarity) or 7-parameter (Bursa-Wolf) transformation. It parses
// .prj WKT to these codes and guesses the Gauss-Krüger zone of unlabelled survey coordinates. Any
// other CRS (an EPSG code PostGIS knows, a WKT) is a *Proj that PROJ converts through PostGIS under
// one datum rule, once bound to the data's extent (see Proj, Bind): the one CRS path of every
// importer.
//
// Every CRS converts to and from CGCS2000 longitude/latitude, the storage CRS. WGS 84 and CGCS2000
// coordinates are taken as equal: they differ by centimetres, below the accuracy of any source that
// arrives in WGS 84 (PROJ does the same, with a "ballpark" null transformation).
//
// Projected coordinates are easting, northing. Chinese survey tables call the northing X and the
// easting Y; importers swap them before calling ToLonLat.
package crs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
)

// CRS is a coordinate reference system the importers convert from.
type CRS interface {
	// Code is what catalog.dataset.source_crs records: EPSG:4528, gcj02, local:/path/grid.yaml.
	Code() string
	// Name is the CRS's name for people.
	Name() string
	// Projected reports whether coordinates are metres (easting, northing) rather than degrees.
	Projected() bool
	// ToLonLat converts a coordinate to CGCS2000 longitude/latitude (EPSG:4490).
	ToLonLat(x, y float64) (lon, lat float64)
	// FromLonLat converts CGCS2000 longitude/latitude to this CRS.
	FromLonLat(lon, lat float64) (x, y float64)
}

// StorageCode is the CRS every feature is stored in.
const StorageCode = "EPSG:4490"

// Lookup returns the CRS for a code as users write it: EPSG:4528, epsg:4528, 4528, gcj02 (GCJ-02,
// 火星坐标), cgcs2000, wgs84, local:grid.yaml (or a path ending in .yaml/.yml). EPSG codes outside
// the registry, and WKT the registry does not recognise, come back as a *Proj: converted by PROJ
// through PostGIS once bound to the data's extent (Bind), under one datum rule (see Proj). Every
// importer resolves its CRS here, and binds it before converting.
func Lookup(code string) (CRS, error) {
	c := strings.TrimSpace(code)
	lc := strings.ToLower(c)
	switch lc {
	case "gcj02", "gcj-02", "gcj", "火星坐标", "gcj02ll":
		return GCJ02{}, nil
	case "cgcs2000", "cgcs 2000":
		return geographic{4490}, nil
	case "wgs84", "wgs 84":
		return geographic{4326}, nil
	case "webmercator", "web mercator":
		return webMercator{}, nil
	}
	if rest, ok := strings.CutPrefix(lc, "local:"); ok {
		return LoadLocalGrid(strings.TrimSpace(c[len(c)-len(rest):]))
	}
	if strings.HasSuffix(lc, ".yaml") || strings.HasSuffix(lc, ".yml") {
		return LoadLocalGrid(c)
	}
	if n, ok := epsgNumber(lc); ok {
		if crs := EPSG(n); crs != nil {
			return crs, nil
		}
		return &Proj{SRID: n}, nil // PROJ through PostGIS, under the datum rule (see Proj)
	}
	if isWKT(c) {
		return FromWKT(c)
	}
	return nil, fmt.Errorf("unknown CRS %q: give an EPSG code (EPSG:4528, EPSG:4549, 4490, 4326, 3857, or any code PostGIS knows), a WKT, gcj02 or local:<grid.yaml>", code)
}

// IsEPSG reports whether code is an EPSG code, and its number.
func IsEPSG(code string) (int, bool) { return epsgNumber(strings.ToLower(strings.TrimSpace(code))) }

func epsgNumber(lc string) (int, bool) {
	lc = strings.TrimPrefix(lc, "epsg:")
	n, err := strconv.Atoi(lc)
	return n, err == nil && n > 0
}

// EPSG returns the registry's CRS for an EPSG code, nil if it has none.
func EPSG(n int) CRS {
	switch {
	case n == 4490 || n == 4326:
		return geographic{n}
	case n == 3857 || n == 900913:
		return webMercator{}
	case n >= 4491 && n <= 4501: // 6-degree zones 13–23, easting prefixed with the zone
		zone := n - 4491 + 13
		return newGK(n, zone*6-3, true, zone, 6)
	case n >= 4502 && n <= 4512: // 6-degree, CM 75°E–135°E, no prefix
		return newGK(n, 75+(n-4502)*6, false, 0, 6)
	case n >= 4513 && n <= 4533: // 3-degree zones 25–45, prefixed
		zone := n - 4513 + 25
		return newGK(n, zone*3, true, zone, 3)
	case n >= 4534 && n <= 4554: // 3-degree, CM 75°E–135°E, no prefix
		return newGK(n, 75+(n-4534)*3, false, 0, 3)
	}
	return nil
}

type geographic struct{ epsg int }

func isWKT(s string) bool {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, k := range []string{"PROJCS[", "GEOGCS[", "PROJCRS[", "GEOGCRS[", "GEODCRS[", "BOUNDCRS[", "COMPD_CS[", "COMPOUNDCRS["} {
		if strings.HasPrefix(u, k) {
			return true
		}
	}
	return false
}

func (g geographic) Code() string { return fmt.Sprintf("EPSG:%d", g.epsg) }
func (g geographic) Name() string {
	if g.epsg == 4326 {
		return "WGS 84"
	}
	return "CGCS2000 (2000国家大地坐标系)"
}
func (geographic) Projected() bool                          { return false }
func (geographic) ToLonLat(x, y float64) (float64, float64) { return x, y }
func (geographic) FromLonLat(lon, lat float64) (float64, float64) {
	return lon, lat
}

// GK is a CGCS2000 Gauss-Krüger zone.
type GK struct {
	*TransverseMercator
	epsg  int
	Zone  int // zone number when the easting carries it as a prefix, else 0
	Width int // 3 or 6 degrees
}

func newGK(epsg, cm int, prefixed bool, zone, width int) *GK {
	fe := 500000.0
	if prefixed {
		fe += float64(zone) * 1e6
	} else {
		zone = 0
	}
	return &GK{TransverseMercator: NewTransverseMercator(CGCS2000, float64(cm), 1, fe, 0), epsg: epsg, Zone: zone, Width: width}
}

func (g *GK) Code() string { return fmt.Sprintf("EPSG:%d", g.epsg) }
func (g *GK) Name() string {
	if g.Zone > 0 {
		return fmt.Sprintf("CGCS2000 / %d-degree Gauss-Kruger zone %d (%d度带 第%d带)", g.Width, g.Zone, g.Width, g.Zone)
	}
	return fmt.Sprintf("CGCS2000 / %d-degree Gauss-Kruger CM %gE (%d度带 中央子午线%g°)", g.Width, g.CentralMeridian, g.Width, g.CentralMeridian)
}
func (g *GK) Projected() bool                                { return true }
func (g *GK) ToLonLat(x, y float64) (float64, float64)       { return g.Inverse(x, y) }
func (g *GK) FromLonLat(lon, lat float64) (float64, float64) { return g.Forward(lon, lat) }

type webMercator struct{}

const mercR = 6378137.0

func (webMercator) Code() string    { return "EPSG:3857" }
func (webMercator) Name() string    { return "WGS 84 / Pseudo-Mercator" }
func (webMercator) Projected() bool { return true }
func (webMercator) ToLonLat(x, y float64) (float64, float64) {
	return x / mercR * 180 / math.Pi, (2*math.Atan(math.Exp(y/mercR)) - math.Pi/2) * 180 / math.Pi
}
func (webMercator) FromLonLat(lon, lat float64) (float64, float64) {
	return mercR * lon * math.Pi / 180, mercR * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

// Transform converts g's coordinates in place from c to CGCS2000 longitude/latitude; Z (and M) stay.
func Transform(g geom.T, c CRS) {
	if _, ok := c.(geographic); ok {
		return
	}
	flat := g.FlatCoords()
	stride := g.Stride()
	for i := 0; i+1 < len(flat); i += stride {
		flat[i], flat[i+1] = c.ToLonLat(flat[i], flat[i+1])
	}
}
