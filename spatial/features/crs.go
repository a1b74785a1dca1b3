package features

import (
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
)

// CRS is a coordinate reference system the API offers (OGC API – Features Part 2).
type CRS struct {
	URI    string
	SRID   int  // PostGIS SRID
	Flip   bool // the CRS's first axis is latitude or northing: coordinates are written (y, x)
	Digits int  // decimal digits in GeoJSON output
}

// CRS84 is the default: longitude, latitude on CGCS2000 (within centimetres of WGS 84).
const CRS84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// SupportedCRS lists the offered systems, the default first: CRS84, CGCS2000 geographic (latitude
// first, per EPSG), the CGCS2000 3-degree Gauss-Krüger zone of Laizhou without and with the zone
// prefix (northing first, per EPSG) and Web Mercator.
func SupportedCRS() []CRS {
	return []CRS{
		{URI: CRS84URI, SRID: 4490, Digits: 8},
		{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", SRID: 4490, Flip: true, Digits: 8},
		{URI: "http://www.opengis.net/def/crs/EPSG/0/4549", SRID: 4549, Flip: true, Digits: 3},
		{URI: "http://www.opengis.net/def/crs/EPSG/0/4528", SRID: 4528, Flip: true, Digits: 3},
		{URI: "http://www.opengis.net/def/crs/EPSG/0/3857", SRID: 3857, Digits: 3},
	}
}

// DefaultCRS is CRS84.
func DefaultCRS() CRS { return SupportedCRS()[0] }

// ParseCRS reads a CRS parameter (crs, bbox-crs, filter-crs, Content-Crs): a URI, a safe CURIE
// [EPSG:4490] or EPSG:4490, or CRS84. param names the parameter in the error.
func ParseCRS(param, s string) (CRS, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	if strings.EqualFold(v, "CRS84") || strings.EqualFold(v, "OGC:CRS84") {
		v = CRS84URI
	}
	if code, ok := strings.CutPrefix(strings.ToUpper(v), "EPSG:"); ok {
		if _, err := strconv.Atoi(code); err == nil {
			v = "http://www.opengis.net/def/crs/EPSG/0/" + code
		}
	}
	v = strings.Replace(v, "https://", "http://", 1)
	for _, c := range SupportedCRS() {
		if c.URI == v {
			return c, nil
		}
	}
	uris := make([]string, 0, 5)
	for _, c := range SupportedCRS() {
		uris = append(uris, c.URI)
	}
	return CRS{}, spatial.Invalid(param, "CRS %q is not offered; the offered ones are %s", s, strings.Join(uris, ", "))
}

// geometryOut is the SQL that writes geometry column col (SRID 4490) in c.
func (c CRS) geometryOut(col string) string {
	g := col
	if c.SRID != 4490 {
		g = "ST_Transform(" + g + ", " + strconv.Itoa(c.SRID) + ")"
	}
	if c.Flip {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	return g
}

// geometryIn is the SQL that reads a geometry expression given in c into SRID 4490.
func (c CRS) geometryIn(g string) string {
	g = "ST_SetSRID(" + g + ", " + strconv.Itoa(c.SRID) + ")"
	if c.Flip {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	if c.SRID != 4490 {
		g = "ST_Transform(" + g + ", 4490)"
	}
	return g
}
