package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// wktNode is one element of a WKT tree: KEYWORD["text", 1.5, CHILD[...]].
type wktNode struct {
	key      string
	strs     []string
	nums     []float64
	children []*wktNode
}

func (n *wktNode) child(keys ...string) *wktNode {
	for _, c := range n.children {
		for _, k := range keys {
			if c.key == k {
				return c
			}
		}
	}
	return nil
}

func (n *wktNode) name() string {
	if n == nil || len(n.strs) == 0 {
		return ""
	}
	return n.strs[0]
}

// parseWKT parses WKT 1 (OGC or ESRI) or WKT 2 into a tree.
func parseWKT(s string) (*wktNode, error) {
	p := &wktParser{s: s}
	p.space()
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the WKT at offset %d", p.s[p.i], p.i)
	}
	return n, nil
}

type wktParser struct {
	s string
	i int
}

func (p *wktParser) space() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\r\n\ufeff", rune(p.s[p.i])) {
		p.i++
	}
	if strings.HasPrefix(p.s[p.i:], "\ufeff") {
		p.i += len("\ufeff")
	}
}

func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth > 50 {
		return nil, errors.New("WKT nested too deeply")
	}
	start := p.i
	for p.i < len(p.s) && (isAlpha(p.s[p.i]) || p.s[p.i] == '_' || (p.i > start && p.s[p.i] >= '0' && p.s[p.i] <= '9')) {
		p.i++
	}
	if p.i == start {
		return nil, fmt.Errorf("expected a WKT keyword at offset %d", start)
	}
	n := &wktNode{key: strings.ToUpper(p.s[start:p.i])}
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
		return n, nil // a bare keyword (an axis direction such as EAST)
	}
	closer := byte(']')
	if p.s[p.i] == '(' {
		closer = ')'
	}
	p.i++
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("WKT %s[ is not closed", n.key)
		}
		switch c := p.s[p.i]; {
		case c == closer:
			p.i++
			return n, nil
		case c == ',':
			p.i++
		case c == '"':
			p.i++
			var b strings.Builder
			for {
				if p.i >= len(p.s) {
					return nil, errors.New("WKT string is not closed")
				}
				if p.s[p.i] == '"' {
					if p.i+1 < len(p.s) && p.s[p.i+1] == '"' { // "" inside a WKT 2 string
						b.WriteByte('"')
						p.i += 2
						continue
					}
					p.i++
					break
				}
				b.WriteByte(p.s[p.i])
				p.i++
			}
			n.strs = append(n.strs, b.String())
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			start := p.i
			for p.i < len(p.s) && strings.ContainsRune("+-.0123456789eE", rune(p.s[p.i])) {
				p.i++
			}
			v, err := strconv.ParseFloat(p.s[start:p.i], 64)
			if err != nil {
				return nil, fmt.Errorf("WKT number %q at offset %d", p.s[start:p.i], start)
			}
			n.nums = append(n.nums, v)
		case isAlpha(c):
			ch, err := p.node(depth + 1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, ch)
		default:
			return nil, fmt.Errorf("unexpected %q in WKT at offset %d", c, p.i)
		}
	}
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// FromWKT identifies the CRS of a .prj (WKT 1, OGC or ESRI flavour, or WKT 2): its EPSG authority
// code when it has one the registry knows, else by its content (CGCS2000 geographic, a CGCS2000
// Gauss-Krüger zone from its central meridian and false easting, WGS 84, Web Mercator). Any other
// CRS is a *Proj (its EPSG code, or the WKT itself) for PROJ to convert.
func FromWKT(wkt string) (CRS, error) {
	root, err := parseWKT(strings.TrimSpace(wkt))
	if err != nil {
		return nil, fmt.Errorf("the .prj is not valid WKT: %w", err)
	}
	if id := root.child("AUTHORITY", "ID"); id != nil && strings.EqualFold(id.name(), "EPSG") {
		code := 0
		if len(id.nums) > 0 {
			code = int(id.nums[0])
		} else if len(id.strs) > 1 {
			code, _ = strconv.Atoi(id.strs[1])
		}
		if c := EPSG(code); c != nil {
			return c, nil
		}
		if code > 0 {
			return &Proj{SRID: code}, nil
		}
	}
	var c CRS
	switch root.key {
	case "GEOGCS", "GEOGCRS", "GEODCRS", "GEOGRAPHICCRS", "BASEGEOGCRS":
		c, err = geographicFromWKT(root)
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		c, err = projectedFromWKT(root)
	default:
		return nil, fmt.Errorf("the .prj describes a %s (%q), which Yitu cannot convert; give --srs", root.key, root.name())
	}
	if err != nil {
		// Not one the registry converts in Go: PROJ does, under the datum rule (see Proj).
		return &Proj{WKT: strings.TrimSpace(wkt)}, nil
	}
	return c, nil
}

func datumOf(geog *wktNode) string {
	d := geog.child("DATUM", "TRF", "GEODETICDATUM")
	name := strings.ToLower(d.name() + " " + geog.name())
	switch {
	case strings.Contains(name, "2000") && (strings.Contains(name, "china") || strings.Contains(name, "cgcs")):
		return "cgcs2000"
	case strings.Contains(name, "wgs") && strings.Contains(name, "84"), strings.Contains(name, "world_geodetic_system_1984"),
		strings.Contains(name, "world geodetic system 1984"):
		return "wgs84"
	}
	return ""
}

func geographicFromWKT(n *wktNode) (CRS, error) {
	switch datumOf(n) {
	case "cgcs2000":
		return geographic{4490}, nil
	case "wgs84":
		return geographic{4326}, nil
	}
	return nil, fmt.Errorf("the .prj's geographic CRS %q (datum %q) is not CGCS2000 or WGS 84; give --srs", n.name(), n.child("DATUM").name())
}

func projectedFromWKT(n *wktNode) (CRS, error) {
	geog := n.child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS")
	if geog == nil {
		return nil, fmt.Errorf("the .prj's projected CRS %q has no geographic base; give --srs", n.name())
	}
	params := map[string]float64{}
	collect := func(p *wktNode) {
		for _, c := range p.children {
			if (c.key == "PARAMETER") && len(c.nums) > 0 {
				params[normParam(c.name())] = c.nums[0]
			}
		}
	}
	collect(n)
	method := ""
	if p := n.child("PROJECTION"); p != nil {
		method = p.name()
	}
	if conv := n.child("CONVERSION"); conv != nil {
		collect(conv)
		if m := conv.child("METHOD"); m != nil {
			method = m.name()
		}
	}
	m := strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(method))
	name := n.name()
	lname := strings.ToLower(name)
	datum := datumOf(geog)
	switch {
	case strings.Contains(m, "pseudo mercator") || strings.Contains(lname, "pseudo-mercator") || strings.Contains(lname, "web_mercator") ||
		strings.Contains(lname, "pseudo mercator") || strings.Contains(m, "mercator auxiliary sphere"):
		return webMercator{}, nil
	case datum == "cgcs2000" && (strings.Contains(m, "transverse mercator") || strings.Contains(m, "gauss kruger")):
		k, ok := params["scale_factor"]
		if !ok {
			k = 1
		}
		if math.Abs(k-1) > 1e-9 || math.Abs(params["false_northing"]) > 1e-6 || math.Abs(params["latitude_of_origin"]) > 1e-9 {
			break
		}
		cm, fe := params["central_meridian"], params["false_easting"]
		three := strings.Contains(lname, "3_degree") || strings.Contains(lname, "3-degree") || strings.Contains(lname, "3 degree")
		if c := gkCode(cm, fe, three); c != nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("the .prj's projected CRS %q (%s on %s) is not one Yitu converts (CGCS2000 Gauss-Krüger zones, Web Mercator); give --srs",
		name, method, geog.name())
}

func normParam(s string) string {
	s = strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(s))
	switch s {
	case "longitude_of_natural_origin", "longitude_of_origin", "central_meridian":
		return "central_meridian"
	case "latitude_of_natural_origin", "latitude_of_origin":
		return "latitude_of_origin"
	case "scale_factor_at_natural_origin", "scale_factor":
		return "scale_factor"
	}
	return s
}

// gkCode finds the CGCS2000 Gauss-Krüger EPSG code for a central meridian and false easting.
func gkCode(cm, fe float64, threeDegree bool) CRS {
	if cm != math.Trunc(cm) || int(cm)%3 != 0 || cm < 75 || cm > 135 {
		return nil
	}
	icm := int(cm)
	switch {
	case fe == 500000:
		// The same projection has a 3-degree and, on every other meridian, a 6-degree code; the name
		// tells them apart (ESRI: CGCS2000_3_Degree_GK_CM_120E against CGCS2000_GK_CM_117E).
		if !threeDegree && (icm-75)%6 == 0 {
			return EPSG(4502 + (icm-75)/6)
		}
		return EPSG(4534 + (icm-75)/3)
	case fe == float64(icm/3)*1e6+500000: // 3-degree zone prefix (zone = cm / 3)
		return EPSG(4513 + icm/3 - 25)
	case (icm+3)%6 == 0 && fe == float64((icm+3)/6)*1e6+500000: // 6-degree zone prefix (zone = (cm + 3) / 6)
		return EPSG(4491 + (icm+3)/6 - 13)
	}
	return nil
}
