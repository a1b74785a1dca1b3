package oblique

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
)

// Metadata is a ContextCapture metadata.xml: the spatial reference system of the model's
// coordinates and the origin they are relative to.
//
//	<ModelMetadata version="1">
//	  <SRS>EPSG:4528</SRS>            <!-- or ENU:37.18,119.94, or WKT -->
//	  <SRSOrigin>40500000,4100000,0</SRSOrigin>
//	</ModelMetadata>
type Metadata struct {
	File   string     // the metadata.xml path
	SRS    string     // as written
	Origin [3]float64 // SRSOrigin (0,0,0 when absent)
}

// ReadMetadata reads a metadata.xml.
func ReadMetadata(path string) (*Metadata, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		XMLName   xml.Name `xml:"ModelMetadata"`
		SRS       string   `xml:"SRS"`
		SRSOrigin string   `xml:"SRSOrigin"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, spatial.Invalid(path, "not a ContextCapture metadata.xml (<ModelMetadata> with <SRS> and <SRSOrigin>): %v", err)
	}
	m := &Metadata{File: path, SRS: strings.TrimSpace(doc.SRS)}
	if m.SRS == "" {
		return nil, spatial.Invalid(path+": <SRS>", "the spatial reference system is empty")
	}
	if o := strings.TrimSpace(doc.SRSOrigin); o != "" {
		origin, err := parseTriple(o)
		if err != nil {
			return nil, spatial.Invalid(path+": <SRSOrigin>", "%q: %v", o, err)
		}
		m.Origin = origin
	}
	return m, nil
}

// ParseOrigin reads an origin as "x,y" or "x,y,z" (yitu import --origin).
func ParseOrigin(s string) ([3]float64, error) { return parseTriple(s) }

func parseTriple(s string) ([3]float64, error) {
	var v [3]float64
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("expected x,y or x,y,z")
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return v, fmt.Errorf("%q is not a number", p)
		}
		v[i] = f
	}
	return v, nil
}

// srsKind classifies an SRS string.
type srsKind int

const (
	srsENU  srsKind = iota // ENU:lat,lon — a local east-north-up frame
	srsEPSG                // EPSG:n (optionally +vertical)
	srsWKT                 // WKT text
)

// parsedSRS is an SRS as the metadata states it.
type parsedSRS struct {
	kind    srsKind
	lat     float64 // ENU
	lon     float64
	srid    int    // EPSG code (an EPSG SRS, or a WKT whose top-level AUTHORITY names one)
	proj    string // WKT without an EPSG authority, for PostGIS ST_Transform(geom, from_proj, 4490)
	display string
}

// parseSRS recognises the forms ContextCapture writes: "ENU:lat,lon", "EPSG:n" (with an optional
// "+vertical" part, whose heights are taken as normal heights), and WKT. Whether an EPSG code or a WKT
// is known is decided when it is used (by PostGIS), so that the error names the file.
func parseSRS(s string) (parsedSRS, error) {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	switch {
	case strings.HasPrefix(u, "ENU:"):
		ll, err := parseTriple(t[4:])
		if err != nil || ll[2] != 0 || strings.Count(t[4:], ",") != 1 {
			return parsedSRS{}, fmt.Errorf("ENU SRS %q is not ENU:latitude,longitude", t)
		}
		if math.Abs(ll[0]) > 90 || math.Abs(ll[1]) > 180 {
			return parsedSRS{}, fmt.Errorf("ENU SRS %q: latitude %v or longitude %v out of range", t, ll[0], ll[1])
		}
		return parsedSRS{kind: srsENU, lat: ll[0], lon: ll[1], display: t}, nil
	case strings.HasPrefix(u, "EPSG:"):
		code, _, _ := strings.Cut(t[5:], "+") // horizontal part of a compound code
		n, err := strconv.Atoi(strings.TrimSpace(code))
		if err != nil || n <= 0 {
			return parsedSRS{}, fmt.Errorf("%q is not an EPSG code", t)
		}
		return parsedSRS{kind: srsEPSG, srid: n, display: t}, nil
	case strings.Contains(u, "PROJCS[") || strings.Contains(u, "PROJCRS[") || strings.Contains(u, "GEOGCS[") ||
		strings.Contains(u, "GEOGCRS[") || strings.Contains(u, "COMPD_CS[") || strings.Contains(u, "COMPOUNDCRS["):
		return parsedSRS{kind: srsWKT, srid: wktEPSG(t), proj: t, display: "WKT " + clip(t, 60)}, nil
	}
	return parsedSRS{}, fmt.Errorf("%q is not an SRS Yitu reads (ENU:lat,lon, EPSG:code or WKT)", clip(t, 80))
}

// wktEPSG returns the EPSG code of a WKT's outermost AUTHORITY (WKT 1) or ID (WKT 2), 0 if none.
// The outermost one comes last in WKT 1 and, at the CRS level, last in WKT 2 too.
func wktEPSG(wkt string) int {
	depth, code := 0, 0
	u := strings.ToUpper(wkt)
	for i := 0; i < len(u); i++ {
		switch u[i] {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		}
		if depth != 1 {
			continue
		}
		for _, kw := range []string{"AUTHORITY[", "ID["} {
			if strings.HasPrefix(u[i+1:], kw) && (i == 0 || u[i] == ',' || u[i] == ' ') {
				rest := u[i+1+len(kw):]
				end := strings.IndexAny(rest, "]")
				if end < 0 {
					continue
				}
				f := strings.Split(rest[:end], ",")
				if len(f) >= 2 && strings.Trim(strings.TrimSpace(f[0]), `"`) == "EPSG" {
					if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(f[1]), `"`)); err == nil {
						code = n
					}
				}
			}
		}
	}
	return code
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// findMetadata looks for metadata.xml in dir and up to two folders above (a tile file sits in
// Data/Tile_x/, the metadata beside Data).
func findMetadata(dir string) string {
	for range 3 {
		p := filepath.Join(dir, "metadata.xml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}
