package cim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// node is an element of one city object, kept only while that object is interpreted.
type node struct {
	name xml.Name
	attr []xml.Attr
	kids []*node
	text strings.Builder
	line int
}

func (n *node) get(local string) string {
	for _, a := range n.attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *node) child(local string) *node {
	for _, k := range n.kids {
		if k.name.Local == local {
			return k
		}
	}
	return nil
}

func (n *node) textOf() string { return strings.TrimSpace(n.text.String()) }

// gmlReader streams a CityGML document: it reads one cityObjectMember at a time into a small tree
// and hands it to the interpreter, so memory follows the largest object, not the file.
type gmlReader struct {
	file    string
	dec     *xml.Decoder
	srsName string // the document's (Envelope) srsName
	opts    Options
	emit    func(*cityObject) error
	reject  func(line int, feature, reason string)
	// degenerate counts polygons without area, skipped.
	degenerate int
}

// readCityGML parses r, calling emit for every city object (parts after their building).
func readCityGML(file string, r io.Reader, opts Options, emit func(*cityObject) error, reject func(line int, feature, reason string)) (degenerate int, err error) {
	g := &gmlReader{file: file, dec: xml.NewDecoder(r), opts: opts, emit: emit, reject: reject}
	g.dec.Strict = true
	depth := 0
	sawRoot := false
	for {
		tok, err := g.dec.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return 0, fmt.Errorf("%s: not a CityGML document (no CityModel element)", file)
			}
			return g.degenerate, nil
		}
		if err != nil {
			line, _ := g.dec.InputPos()
			return g.degenerate, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if t.Name.Local != "CityModel" {
					return 0, fmt.Errorf("%s: the root element is %s, not a CityGML CityModel", file, t.Name.Local)
				}
				sawRoot = true
				continue
			}
			switch t.Name.Local {
			case "cityObjectMember", "featureMember", "member":
				member, err := g.subtree(t)
				if err != nil {
					return g.degenerate, err
				}
				depth--
				for _, obj := range member.kids {
					if err := g.object(obj, ""); err != nil {
						return g.degenerate, err
					}
				}
			case "Envelope":
				if s := attrValue(t.Attr, "srsName"); s != "" && g.srsName == "" {
					g.srsName = s
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

func attrValue(as []xml.Attr, local string) string {
	for _, a := range as {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// subtree reads the element that start opened, whole.
func (g *gmlReader) subtree(start xml.StartElement) (*node, error) {
	line, _ := g.dec.InputPos()
	root := &node{name: start.Name, attr: start.Attr, line: line}
	stack := []*node{root}
	for len(stack) > 0 {
		tok, err := g.dec.Token()
		if err != nil {
			line, _ := g.dec.InputPos()
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%s line %d: %w", g.file, line, err)
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := g.dec.InputPos()
			n := &node{name: t.Name, attr: t.Attr, line: line}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.CharData:
			top.text.Write(t)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return root, nil
}

var lodProp = regexp.MustCompile(`^lod([0-4])(Solid|MultiSurface|Geometry|FootPrint|RoofEdge|ImplicitRepresentation)$`)

// object interprets one city object element (and, for buildings, its parts).
func (g *gmlReader) object(n *node, parent string) error {
	o := &cityObject{id: n.get("id"), class: n.name.Local, parent: parent, attrs: map[string]any{}, lod: -1, line: n.line}
	if o.id == "" {
		o.id = fmt.Sprintf("%s-line%d", o.class, n.line)
	}
	if o.srs = findSrsName(n); o.srs == "" {
		o.srs = g.srsName
	}
	isBuilding := o.class == "Building" || o.class == "BuildingPart"
	direct := map[int][]polygon{}
	var surfaces []surface
	var parts []*node
	for _, k := range n.kids {
		name := k.name.Local
		if m := lodProp.FindStringSubmatch(name); m != nil {
			lod, _ := strconv.Atoi(m[1])
			polys, err := g.polygons(k, o)
			if err != nil {
				return err
			}
			direct[lod] = append(direct[lod], polys...)
			continue
		}
		switch name {
		case "boundedBy", "boundary":
			for _, s := range k.kids {
				if s.name.Local == "Envelope" {
					continue
				}
				surf := surface{id: s.get("id"), kind: s.name.Local, lod: -1}
				for _, sk := range s.kids {
					if m := lodProp.FindStringSubmatch(sk.name.Local); m != nil {
						lod, _ := strconv.Atoi(m[1])
						polys, err := g.polygons(sk, o)
						if err != nil {
							return err
						}
						if len(polys) > 0 && lod <= g.opts.maxLoD() && lod > surf.lod {
							surf.lod, surf.polys = lod, polys
						}
					}
				}
				if surf.lod >= 0 {
					surfaces = append(surfaces, surf)
				}
			}
		case "consistsOfBuildingPart", "buildingPart":
			parts = append(parts, k.kids...)
		case "name":
			if o.name == "" {
				o.name = k.textOf()
			}
		case "function":
			o.function = k.textOf()
		case "usage":
			o.usage = k.textOf()
		case "roofType":
			o.roofType = k.textOf()
		case "measuredHeight":
			o.height = parseFloat(k.textOf())
		case "height": // CityGML 3.0: con:height/con:Height/con:value
			if h := k.child("Height"); h != nil {
				if v := h.child("value"); v != nil && o.height == nil {
					o.height = parseFloat(v.textOf())
				}
			}
		case "storeysAboveGround":
			o.storeysAbove = parseInt(k.textOf())
		case "storeysBelowGround":
			o.storeysBelow = parseInt(k.textOf())
		case "yearOfConstruction":
			o.year = parseInt(k.textOf())
		case "dateOfConstruction":
			if t := k.textOf(); len(t) >= 4 {
				o.year = parseInt(t[:4])
			}
		case "address":
			o.address = joinText(k)
		case "stringAttribute", "intAttribute", "doubleAttribute", "dateAttribute", "uriAttribute", "measureAttribute":
			if v := k.child("value"); v != nil {
				o.attrs[k.get("name")] = typed(name, v.textOf())
			}
		case "genericAttribute": // CityGML 3.0
			for _, a := range k.kids {
				nm, v := a.child("name"), a.child("value")
				if nm != nil && v != nil {
					o.attrs[nm.textOf()] = typed(a.name.Local, v.textOf())
				}
			}
		case "boundedByEnvelope", "externalReference", "appearance", "opening", "interiorRoom", "outerBuildingInstallation",
			"lod0TerrainIntersection", "lod1TerrainIntersection", "lod2TerrainIntersection", "lod3TerrainIntersection":
		default:
			if len(k.kids) == 0 {
				if t := k.textOf(); t != "" {
					o.attrs[name] = t
				}
			} else if !isBuilding {
				// Other objects keep their geometry wherever it is (relief components, TINs, ...).
				polys, err := g.polygons(k, o)
				if err != nil {
					return err
				}
				lod := 1
				if l := findLoD(k); l >= 0 {
					lod = l
				}
				direct[lod] = append(direct[lod], polys...)
			}
		}
	}
	// Keep the highest LoD up to the maximum, from the surfaces or the direct geometry.
	best := -1
	for lod := range direct {
		if lod <= g.opts.maxLoD() && lod > best && len(direct[lod]) > 0 {
			best = lod
		}
	}
	for _, s := range surfaces {
		best = max(best, s.lod)
	}
	o.lod = best
	if best >= 0 {
		o.polys = direct[best]
		for _, s := range surfaces {
			if s.lod == best {
				o.surfaces = append(o.surfaces, s)
			}
		}
	}
	if !isBuilding {
		for _, s := range o.surfaces {
			o.polys = append(o.polys, s.polys...)
		}
		o.surfaces = nil
	}
	if err := g.emit(o); err != nil {
		return err
	}
	for _, p := range parts {
		if err := g.object(p, o.id); err != nil {
			return err
		}
	}
	return nil
}

// findSrsName returns the first srsName in an object (its Envelope or a geometry).
func findSrsName(n *node) string {
	if s := n.get("srsName"); s != "" {
		return s
	}
	for _, k := range n.kids {
		if s := findSrsName(k); s != "" {
			return s
		}
	}
	return ""
}

func findLoD(n *node) int {
	if n.name.Local == "lod" {
		if v := parseInt(n.textOf()); v != nil {
			return *v
		}
	}
	for _, k := range n.kids {
		if l := findLoD(k); l >= 0 {
			return l
		}
	}
	return -1
}

// polygons collects the polygons under a geometry property (Polygon, Triangle, PolygonPatch,
// OrientableSurface with orientation "-" reversed). References (xlink:href) are skipped: they point
// at polygons kept elsewhere in the object (a solid's shell made of its boundary surfaces).
func (g *gmlReader) polygons(n *node, o *cityObject) ([]polygon, error) {
	var out []polygon
	var walk func(n *node, reverse bool, srsDim int) error
	walk = func(n *node, reverse bool, srsDim int) error {
		if d := parseInt(n.get("srsDimension")); d != nil {
			srsDim = *d
		}
		switch n.name.Local {
		case "Polygon", "Triangle", "PolygonPatch", "Rectangle":
			p := polygon{id: n.get("id")}
			for _, k := range n.kids {
				if k.name.Local != "exterior" && k.name.Local != "interior" {
					continue
				}
				ring := k.child("LinearRing")
				if ring == nil {
					continue
				}
				pts, err := ringPoints(ring, srsDim)
				if err != nil {
					g.reject(ring.line, featureName(o, p.id), err.Error())
					return nil
				}
				if reverse {
					for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
						pts[i], pts[j] = pts[j], pts[i]
					}
				}
				if k.name.Local == "exterior" {
					p.rings = append([][][3]float64{pts}, p.rings...)
				} else {
					p.rings = append(p.rings, pts)
				}
			}
			if len(p.rings) == 0 {
				g.reject(n.line, featureName(o, p.id), "polygon without an exterior ring")
				return nil
			}
			if err := p.check(g.opts.tolerance()); errors.Is(err, errDegenerate) {
				g.degenerate++
				return nil
			} else if err != nil {
				g.reject(n.line, featureName(o, p.id), err.Error())
				return nil
			}
			out = append(out, p)
			return nil
		case "OrientableSurface":
			reverse = reverse != (n.get("orientation") == "-")
		}
		for _, k := range n.kids {
			if err := walk(k, reverse, srsDim); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(n, false, 3)
}

func featureName(o *cityObject, polyID string) string {
	if polyID != "" {
		return o.class + " " + o.id + " polygon " + polyID
	}
	return o.class + " " + o.id
}

// ringPoints reads a LinearRing's posList, pos elements or coordinates.
func ringPoints(ring *node, srsDim int) ([][3]float64, error) {
	var vals []float64
	dim := srsDim
	if pl := ring.child("posList"); pl != nil {
		if d := parseInt(pl.get("srsDimension")); d != nil {
			dim = *d
		}
		for f := range strings.FieldsSeq(pl.text.String()) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("posList has %q, not a number", f)
			}
			vals = append(vals, v)
		}
	} else if c := ring.child("coordinates"); c != nil {
		dim = 0
		for tuple := range strings.FieldsSeq(c.text.String()) {
			parts := strings.Split(tuple, ",")
			if dim == 0 {
				dim = len(parts)
			}
			for _, f := range parts {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, fmt.Errorf("coordinates have %q, not a number", f)
				}
				vals = append(vals, v)
			}
		}
	} else {
		dim = 0
		for _, k := range ring.kids {
			if k.name.Local != "pos" {
				continue
			}
			fs := strings.Fields(k.text.String())
			if dim == 0 {
				dim = len(fs)
			}
			for _, f := range fs {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return nil, fmt.Errorf("pos has %q, not a number", f)
				}
				vals = append(vals, v)
			}
		}
	}
	if dim != 2 && dim != 3 {
		return nil, fmt.Errorf("coordinates of dimension %d (2 or 3 expected)", dim)
	}
	if len(vals)%dim != 0 {
		return nil, fmt.Errorf("%d coordinate values do not make %d-dimensional points", len(vals), dim)
	}
	pts := make([][3]float64, 0, len(vals)/dim)
	for i := 0; i+dim <= len(vals); i += dim {
		p := [3]float64{vals[i], vals[i+1], 0}
		if dim == 3 {
			p[2] = vals[i+2]
		}
		pts = append(pts, p)
	}
	return pts, nil
}

func joinText(n *node) string {
	var parts []string
	var walk func(n *node)
	walk = func(n *node) {
		if t := n.textOf(); t != "" && len(n.kids) == 0 {
			parts = append(parts, t)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return strings.Join(parts, " ")
}

func typed(kind, v string) any {
	switch {
	case strings.HasPrefix(strings.ToLower(kind), "int"):
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i
		}
	case strings.HasPrefix(strings.ToLower(kind), "double"), strings.HasPrefix(strings.ToLower(kind), "measure"):
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

func parseFloat(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return nil
	}
	return &f
}

func parseInt(s string) *int {
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &i
}
