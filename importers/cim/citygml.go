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
	// refs are the gml:ids some xlink:href of the document points at (found by scanRefs before the
	// document is read); targets the elements seen so far with such an id, kept for the references.
	refs    map[string]bool
	targets map[string]target
	// deferred are members with a reference to an element further on in the document, interpreted
	// at its end.
	deferred []*node
	// local are the gml:ids defined inside the object being interpreted: its own references to them
	// (a solid made of its boundary surfaces) repeat geometry it already has.
	local map[string]bool
	// inMember are the elements with a gml:id of the member being interpreted (a building part may
	// reference its building's wall).
	inMember map[string]target
}

// target is a referenced element with the coordinate system and dimension it is written in.
type target struct {
	n   *node
	srs string
	dim int
}

// maxRefDepth bounds chains of references (and catches cycles); maxResolved the references one
// geometry property resolves (references to elements full of references multiply).
const (
	maxRefDepth = 8
	maxResolved = 10_000
)

// scanRE finds, in document order, the start of a member, a gml:id and a local reference.
var scanRE = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?(?:cityObjectMember|featureMember|member)[\s>/]|\bid\s*=\s*["']([^"']+)["']|href\s*=\s*["']#([^"']+)["']`)

// scanRefs finds the gml:ids that an xlink:href of another member of the document points at ("#id"):
// the elements that must be kept when the document streams past them. References within one member
// (a solid made of its object's boundary surfaces, the usual case) need nothing kept.
func scanRefs(r io.Reader) (map[string]bool, error) {
	const chunk, tail = 256 << 10, 1024
	defined := map[string]int{}
	from := map[string][]int{}
	member := 0
	buf := make([]byte, 0, chunk+tail)
	tmp := make([]byte, chunk)
	for {
		n, err := io.ReadFull(r, tmp)
		buf = append(buf, tmp[:n]...)
		end := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !end {
			return nil, err
		}
		limit := len(buf) // matches starting before limit are taken; the rest waits for more
		if !end {
			limit = max(0, len(buf)-tail)
		}
		for _, m := range scanRE.FindAllSubmatchIndex(buf, -1) {
			if m[0] >= limit {
				break
			}
			switch {
			case m[2] >= 0:
				if _, dup := defined[string(buf[m[2]:m[3]])]; !dup {
					defined[string(buf[m[2]:m[3]])] = member
				}
			case m[4] >= 0:
				id := string(buf[m[4]:m[5]])
				from[id] = append(from[id], member)
			default:
				member++
			}
		}
		if end {
			break
		}
		copy(buf, buf[limit:])
		buf = buf[:len(buf)-limit]
	}
	refs := map[string]bool{}
	for id, members := range from {
		at, ok := defined[id]
		if !ok {
			continue
		}
		for _, m := range members {
			if m != at {
				refs[id] = true
			}
		}
	}
	return refs, nil
}

// readCityGML parses r, calling emit for every city object (parts after their building). A reader
// that can seek is scanned for references first.
func readCityGML(file string, r io.Reader, opts Options, emit func(*cityObject) error, reject func(line int, feature, reason string)) (degenerate int, err error) {
	var refs map[string]bool
	if rs, ok := r.(io.ReadSeeker); ok {
		if refs, err = scanRefs(rs); err != nil {
			return 0, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
	}
	return readGML(file, r, refs, opts, emit, reject)
}

// readGML parses r, whose referenced ids are refs.
func readGML(file string, r io.Reader, refs map[string]bool, opts Options, emit func(*cityObject) error, reject func(line int, feature, reason string)) (degenerate int, err error) {
	g := &gmlReader{file: file, dec: xml.NewDecoder(r), opts: opts, emit: emit, reject: reject, refs: refs, targets: map[string]target{}}
	g.dec.Strict = true
	depth := 0
	sawRoot := false
	for {
		tok, err := g.dec.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot {
				return 0, fmt.Errorf("%s: not a CityGML document (no CityModel element)", file)
			}
			for _, obj := range g.deferred {
				if err := g.member(obj); err != nil {
					return g.degenerate, err
				}
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
					g.register(obj)
					if g.forward(obj, ids(obj, nil)) {
						g.deferred = append(g.deferred, obj)
						continue
					}
					if err := g.member(obj); err != nil {
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
	o.srs = g.objectSRS(n)
	g.local = ids(n, nil)
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
			text, parts := readAddress(k)
			if text != "" {
				o.address = joinNonEmpty("; ", o.address, text)
			}
			if len(parts) > 0 {
				list, _ := o.attrs["addresses"].([]map[string]string)
				o.attrs["addresses"] = append(list, parts)
			}
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
		inSurfaces := map[string]bool{}
		for _, s := range surfaces {
			if s.lod == best {
				o.surfaces = append(o.surfaces, s)
				for _, p := range s.polys {
					if p.id != "" {
						inSurfaces[p.id] = true
					}
				}
			}
		}
		// A solid that references a polygon of another object which a boundary surface of this one
		// references too (a shared wall) has it once, in the surface.
		for _, p := range direct[best] {
			if p.id == "" || !inSurfaces[p.id] {
				o.polys = append(o.polys, p)
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

// objectSRS is the coordinate system an object's geometry without an srsName of its own is in: the
// object's Envelope's, else the document's, else that of the object's first geometry. An address's
// position is no geometry of the object (it is often in EPSG:4326 while the object is projected).
func (g *gmlReader) objectSRS(n *node) string {
	for _, k := range n.kids {
		if k.name.Local == "boundedBy" {
			if e := k.child("Envelope"); e != nil && e.get("srsName") != "" {
				return e.get("srsName")
			}
		}
	}
	if g.srsName != "" {
		return g.srsName
	}
	return findSrsName(n)
}

// findSrsName returns the first srsName in an object's geometry (addresses left out).
func findSrsName(n *node) string {
	if n.name.Local == "address" {
		return ""
	}
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

// ids adds the gml:ids defined in n to set.
func ids(n *node, set map[string]bool) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	if id := n.get("id"); id != "" {
		set[id] = true
	}
	for _, k := range n.kids {
		ids(k, set)
	}
	return set
}

// href is the id a local reference (xlink:href="#id") of n points at.
func href(n *node) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Local == "href" {
			id, ok := strings.CutPrefix(strings.TrimSpace(a.Value), "#")
			return id, ok && id != ""
		}
	}
	return "", false
}

// register keeps the elements of a member that other members reference.
func (g *gmlReader) register(obj *node) {
	if len(g.refs) > 0 {
		g.collect(obj, g.targets, g.refs)
	}
}

// collect adds the elements of obj with a gml:id (in keep, when keep is not nil) to into, with the
// coordinate system and dimension they are written in.
func (g *gmlReader) collect(obj *node, into map[string]target, keep map[string]bool) {
	var walk func(n *node, srs string, dim int)
	walk = func(n *node, srs string, dim int) {
		if s := n.get("srsName"); s != "" {
			srs = s
		}
		if d := parseInt(n.get("srsDimension")); d != nil {
			dim = *d
		}
		if id := n.get("id"); id != "" && (keep == nil || keep[id]) {
			if _, dup := into[id]; !dup {
				into[id] = target{n: n, srs: srs, dim: dim}
			}
		}
		for _, k := range n.kids {
			walk(k, srs, dim)
		}
	}
	walk(obj, g.objectSRS(obj), 3)
}

// member interprets one member's object, with the elements of the member at hand for references
// between its parts.
func (g *gmlReader) member(obj *node) error {
	g.inMember = map[string]target{}
	g.collect(obj, g.inMember, nil)
	return g.object(obj, "")
}

// forward says whether obj references an element that is neither in it nor seen yet.
func (g *gmlReader) forward(obj *node, own map[string]bool) bool {
	if id, ok := href(obj); ok && !own[id] && g.refs[id] {
		if _, seen := g.targets[id]; !seen {
			return true
		}
	}
	for _, k := range obj.kids {
		if g.forward(k, own) {
			return true
		}
	}
	return false
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
// OrientableSurface with orientation "-" reversed), each with the srsName it is written in (its own
// or an enclosing geometry's, else the object's). A reference (xlink:href="#id") to an element of
// the document outside the object — a wall shared with the neighbouring building, a polygon written
// elsewhere — is resolved, before or after it in the file; references inside the object point at
// polygons it already has (a solid made of its boundary surfaces) and are skipped.
func (g *gmlReader) polygons(n *node, o *cityObject) ([]polygon, error) {
	var out []polygon
	resolved := 0
	var walk func(n *node, reverse bool, srsDim int, srs string, depth int) error
	walk = func(n *node, reverse bool, srsDim int, srs string, depth int) error {
		if d := parseInt(n.get("srsDimension")); d != nil {
			srsDim = *d
		}
		if s := n.get("srsName"); s != "" {
			srs = s
		}
		if id, ok := href(n); ok && len(n.kids) == 0 {
			if g.local[id] {
				return nil
			}
			t, found := g.inMember[id]
			if !found {
				t, found = g.targets[id]
			}
			switch {
			case !found:
				g.reject(n.line, featureName(o, ""), fmt.Sprintf("xlink:href %q points at no element of the file", "#"+id))
			case depth >= maxRefDepth:
				g.reject(n.line, featureName(o, ""), fmt.Sprintf("xlink:href %q: references nested deeper than %d (a cycle?)", "#"+id, maxRefDepth))
			case resolved >= maxResolved:
				if resolved == maxResolved {
					g.reject(n.line, featureName(o, ""), fmt.Sprintf("more than %d references in one geometry", maxResolved))
				}
				resolved++
			default:
				resolved++
				return walk(t.n, reverse, t.dim, t.srs, depth+1)
			}
			return nil
		}
		switch n.name.Local {
		case "Polygon", "Triangle", "PolygonPatch", "Rectangle":
			p := polygon{id: n.get("id"), srs: srs}
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
			if err := walk(k, reverse, srsDim, srs, depth); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(n, false, 3, o.srs, 0)
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

// readAddress reads a CityGML address: xAL 2 (CityGML 2.0 xalAddress/AddressDetails) or xAL 3
// (CityGML 3.0) — street and number, postal code and locality, administrative area, country — as
// one line ("Olbersstr. 39, 10589 Berlin, Germany") and as its parts. The address's position
// (multiPoint) is no part of its text. Without any xAL element it reads the free text (AddressLine
// and the like).
func readAddress(n *node) (string, map[string]string) {
	parts := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" && parts[k] == "" {
			parts[k] = v
		}
	}
	nameOf := func(n *node) string { // xAL 3: NameElement children; xAL 2: the element's own text
		if ne := n.child("NameElement"); ne != nil {
			return ne.textOf()
		}
		return ""
	}
	var walk func(n *node)
	walk = func(n *node) {
		switch n.name.Local {
		case "multiPoint", "MultiPoint", "Point", "pos", "posList":
			return
		case "ThoroughfareName", "ThoroughfareNumber", "LocalityName", "PostalCodeNumber", "CountryName", "AdministrativeAreaName":
			set(xal2Parts[n.name.Local], n.textOf())
		case "Thoroughfare":
			set("street", nameOf(n))
			if num := n.child("Number"); num != nil {
				set("number", num.textOf())
			}
		case "Locality":
			set("locality", nameOf(n))
		case "Country":
			set("country", nameOf(n))
		case "AdministrativeArea":
			set("area", nameOf(n))
		case "PostCode":
			if id := n.child("Identifier"); id != nil {
				set("postal_code", id.textOf())
			}
		case "AddressLine", "FreeTextAddress":
			set("line", joinText(n))
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	if len(parts) == 0 {
		var free func(n *node) []string
		free = func(n *node) []string {
			switch n.name.Local {
			case "multiPoint", "MultiPoint", "Point", "pos", "posList":
				return nil
			}
			if len(n.kids) == 0 {
				if t := n.textOf(); t != "" {
					return []string{t}
				}
			}
			var out []string
			for _, k := range n.kids {
				out = append(out, free(k)...)
			}
			return out
		}
		return strings.Join(free(n), " "), nil
	}
	text := joinNonEmpty(", ",
		joinNonEmpty(" ", parts["street"], parts["number"]),
		joinNonEmpty(" ", parts["postal_code"], parts["locality"]),
		parts["area"], parts["country"])
	if text == "" {
		text = parts["line"]
	}
	return text, parts
}

// xal2Parts names the address parts of xAL 2 elements.
var xal2Parts = map[string]string{"ThoroughfareName": "street", "ThoroughfareNumber": "number", "LocalityName": "locality",
	"PostalCodeNumber": "postal_code", "CountryName": "country", "AdministrativeAreaName": "area"}

func joinNonEmpty(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
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
