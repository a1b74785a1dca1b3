package cass

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/dxf"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// HomeLon is the longitude the zone guess favours for eastings without a zone prefix (Laizhou).
const HomeLon = 119.94

// Options configure a DXF base-map import.
type Options struct {
	SRS      string  // source CRS (--srs); "" = the drawing's GEODATA, else the import is refused
	Encoding string  // text encoding override (--encoding); "" = the drawing's code page
	Table    *Table  // layer/code table; nil = the embedded one
	HomeLon  float64 // for zone guesses; 0 = HomeLon
}

// App is the XDATA application CASS stores its feature code under.
const App = "SOUTH"

// window is how many recent features a label (砼4, a road name) is matched against: CASS writes a
// building's label right after its outline.
const window = 64

// Import reads a CASS-style DXF base map and writes its features through b. It refuses (returns a
// *loader.RefusedError) a drawing whose coordinate system it cannot tell.
func Import(ctx context.Context, b *loader.Batch, path string, o Options) error {
	d, err := open(b, path, &o)
	if err != nil {
		return err
	}
	defer d.f.Close()
	f, ropts, name, geo := d.f, d.ropts, d.ropts.Name, d.geo
	proj, err := newProjector(ctx, b, d.code, geo)
	if err != nil {
		return refuse(b, err)
	}
	b.SetSourceCRS(proj.code)

	r, err := dxf.NewReader(b.Track(f, d.size), ropts)
	if err != nil {
		return refuse(b, err)
	}
	if u := r.Header().InsUnits; geo == nil && u != 0 && u != 6 {
		// Surveyors draw in metres whatever the template's $INSUNITS says (millimetres, often): the
		// coordinates are taken as they are, and the report says so.
		b.Warn(fmt.Sprintf("$INSUNITS is %d (%g m per unit), not metres; coordinates are taken as they are, in %s units", u, dxf.UnitsToMetres(u), proj.code))
	}
	im := &importer{b: b, t: o.Table, file: name, proj: proj, unknown: map[string]int{}, skipped: map[string]int{}, writers: map[string]*loader.TableWriter{}}
	if err := entities(ctx, b, r, im.entity); err != nil {
		return err
	}
	if err := im.flush(0); err != nil {
		return err
	}
	im.warnings(r)
	return nil
}

// entities calls fn with each entity of r until the end of the drawing; a drawing r cannot read is
// refused.
func entities(ctx context.Context, b *loader.Batch, r *dxf.Reader, fn func(*dxf.Entity) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return refuse(b, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// drawing is an opened drawing and its coordinate system.
type drawing struct {
	f     *os.File
	size  int64
	ropts dxf.Options
	code  string       // the CRS
	geo   *dxf.GeoData // GEODATA's local placement, when the CRS came from it
}

// open opens a drawing and finds its coordinate system (drawingCRS), filling in o's defaults; a
// drawing whose CRS it cannot tell is refused.
func open(b *loader.Batch, path string, o *Options) (*drawing, error) {
	if o.Table == nil {
		o.Table = Default()
	}
	if o.HomeLon == 0 {
		o.HomeLon = HomeLon
	}
	d := &drawing{ropts: dxf.Options{Name: filepath.Base(path), Encoding: o.Encoding, Inserts: dxf.SymbolInserts}}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		d.f, d.size = f, st.Size()
		if d.code, d.geo, err = drawingCRS(f, d.ropts, *o); err != nil {
			err = refuse(b, err)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// drawingCRS is the drawing's coordinate system: --srs, else its GEODATA (which follows the
// entities: a byte scan finds it), with GEODATA's local placement; f is left at its start.
func drawingCRS(f *os.File, ropts dxf.Options, o Options) (string, *dxf.GeoData, error) {
	if o.SRS != "" {
		return o.SRS, nil, nil
	}
	geo, err := dxf.ScanGeoData(f, ropts)
	if err != nil {
		return "", nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	if geo == nil {
		return "", nil, noCRS(f, ropts, o.HomeLon)
	}
	if geo.EPSG == 0 {
		return "", nil, fmt.Errorf("%s: the GEODATA object (line %d) names the coordinate system %q without an EPSG code; give --srs", ropts.Name, geo.Line, geo.CRSName)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("EPSG:%d", geo.EPSG), geo, nil
}

func refuse(b *loader.Batch, err error) error {
	return &loader.RefusedError{Dataset: b.Options().Dataset, Reason: err.Error()}
}

// noCRS explains why a drawing without GEODATA and --srs is refused: the range of its coordinates
// and the zone they suggest.
func noCRS(f *os.File, ro dxf.Options, homeLon float64) error {
	minX, minY, maxX, maxY, err := extent(f, ro)
	if err != nil {
		return err
	}
	if minX > maxX {
		return fmt.Errorf("%s has no entities with coordinates and no coordinate system", ro.Name)
	}
	g := crs.GuessZone(minX, minY, maxX, maxY, homeLon)
	msg := fmt.Sprintf("%s has no coordinate system (no GEODATA in the drawing, no --srs): %s", ro.Name, g.Reason)
	if len(g.Codes) > 0 {
		msg += fmt.Sprintf("; likely %s: import again with --srs %s", strings.Join(g.Codes, " or "), g.Codes[0])
	} else {
		msg += "; give its coordinate system with --srs (an EPSG code, gcj02, or local:grid.yaml)"
	}
	return fmt.Errorf("%s", msg)
}

// extent is the XY range of the drawing's model-space entities.
func extent(f *os.File, ro dxf.Options) (minX, minY, maxX, maxY float64, err error) {
	minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	if _, err = f.Seek(0, io.SeekStart); err != nil {
		return
	}
	r, err := dxf.NewReader(f, ro)
	if err != nil {
		return
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			return minX, minY, maxX, maxY, nil
		}
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if e.PaperSpace {
			continue
		}
		x0, y0, x1, y1 := e.Geom.Bounds()
		minX, minY, maxX, maxY = min(minX, x0), min(minY, y0), max(maxX, x1), max(maxY, y1)
	}
}

// feature is one entity on its way to a table.
type feature struct {
	cls    *Class
	e      *dxf.Entity
	m      Match
	code   string
	poly   bool // written as a (multi)polygon
	coords []float64
	ends   []int
	endss  [][]int
	// labels
	label                  *Label // a building's structure and floors, or a label text's parse
	roadName               string
	isLabel                bool // an annotation that labels a building
	isName                 bool // an annotation that may name a road
	used                   bool // a label that found its feature
	minX, minY, maxX, maxY float64
}

type importer struct {
	b       *loader.Batch
	t       *Table
	file    string
	proj    *projector
	pending []*feature // the label window, oldest first
	out     []*feature // ready to write
	writers map[string]*loader.TableWriter
	unknown map[string]int
	skipped map[string]int // degenerate entities by reason
	paper   int
	labels  struct{ total, matched int }
	arena   []byte
}

// entity classifies one entity and queues it.
func (im *importer) entity(e *dxf.Entity) error {
	if e.PaperSpace {
		im.paper++
		return nil
	}
	f := &feature{e: e, code: strings.TrimSpace(e.XString(App))}
	if e.Text != nil {
		f.cls = im.t.Classes["annotation"]
		f.m = Match{Class: f.cls, Known: true}
		if m := im.t.Resolve(e.Layer, f.code); m.Known && m.Class.ID == "annotation" {
			f.m.Kind = m.Kind
		}
		if strings.TrimSpace(e.Text.Value) == "" {
			im.skip(e.Type + " entities with empty text")
			return nil
		}
	} else {
		f.m = im.t.Resolve(e.Layer, f.code)
		f.cls = f.m.Class
		if !f.m.Known {
			im.unknown[e.Layer]++
		}
	}
	if reason := im.shape(f); reason != "" {
		im.skip(fmt.Sprintf("%s entities on layer %s: %s", e.Type, e.Layer, reason))
		return nil
	}
	f.minX, f.minY, f.maxX, f.maxY = e.Geom.Bounds()
	switch f.cls.ID {
	case "annotation":
		if l, ok := im.t.ParseLabel(e.Text.Value); ok {
			f.label, f.isLabel = &l, true
			im.labels.total++
		} else if im.t.RoadNameLayer(e.Layer) && isName(e.Text.Value) {
			f.isName = true
		}
	}
	im.match(f)
	im.pending = append(im.pending, f)
	if len(im.pending) > window {
		im.out = append(im.out, im.pending[0])
		im.pending[0] = nil
		im.pending = im.pending[1:]
		if len(im.out) >= 1024 {
			return im.flush(window)
		}
	}
	return nil
}

// isName: a text that may be a road name (not a number, a label or a single character).
func isName(s string) bool {
	s = strings.TrimSpace(s)
	if len([]rune(s)) < 2 {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	return true
}

// shape fits the entity's geometry to its class, falling back where the class cannot hold it; it
// returns why the entity has no map geometry (a degenerate line or outline: CAD leftovers that are
// skipped and counted, not rejected).
func (im *importer) shape(f *feature) string {
	g := &f.e.Geom
	for range 4 { // fallback chains are short
		want := f.cls.Geometry
		ok := true
		switch want {
		case "polygon":
			ok = g.Kind == dxf.KindPolygon || g.Kind == dxf.KindMultiPolygon || closedLine(g)
		case "point":
			ok = g.Kind == dxf.KindPoint
		case "line":
			ok = g.Kind == dxf.KindLineString
		case "text":
			ok = f.e.Text != nil
		}
		if ok {
			break
		}
		if f.cls.Fallback == "" {
			return fmt.Sprintf("a %s cannot hold a %s", f.cls.ID, strings.ToLower(g.Kind.String()))
		}
		f.cls = im.t.Classes[f.cls.Fallback]
	}
	n := g.NumPoints()
	switch g.Kind {
	case dxf.KindPoint:
		f.coords = []float64{g.Coords[0], g.Coords[1]}
	case dxf.KindLineString:
		if n < 2 {
			return "a line with one vertex"
		}
		polygonal := f.cls.Geometry == "polygon" || (f.cls.Geometry == "" && areaClass(f.cls.ID))
		if polygonal && closedLine(g) {
			f.poly = true
			f.coords = xy(g.Coords, nil)
			if f.coords[0] != f.coords[len(f.coords)-2] || f.coords[1] != f.coords[len(f.coords)-1] {
				f.coords = append(f.coords, f.coords[0], f.coords[1])
			}
			if len(f.coords) < 8 {
				return fmt.Sprintf("a closed outline with %d vertices", n)
			}
			f.ends = []int{len(f.coords)}
		} else {
			f.coords = xy(g.Coords, nil)
		}
	case dxf.KindPolygon:
		f.poly = true
		f.coords = xy(g.Coords, nil)
		f.ends = halve(g.Ends)
	case dxf.KindMultiPolygon:
		f.poly = true
		f.coords = xy(g.Coords, nil)
		for _, e := range g.Endss {
			f.endss = append(f.endss, halve(e))
		}
	}
	for _, v := range f.coords {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "a coordinate that is not a number"
		}
	}
	return ""
}

// areaClass: classes whose closed outlines are areas (ponds, fields, building outlines).
func areaClass(id string) bool {
	switch id {
	case "building", "water", "vegetation":
		return true
	}
	return false
}

func closedLine(g *dxf.Geometry) bool {
	if g.Kind != dxf.KindLineString || g.NumPoints() < 3 {
		return false
	}
	if g.Closed {
		return true
	}
	n := len(g.Coords)
	return g.NumPoints() >= 4 && g.Coords[0] == g.Coords[n-3] && g.Coords[1] == g.Coords[n-2]
}

func xy(c []float64, dst []float64) []float64 {
	dst = dst[:0]
	for i := 0; i+2 < len(c); i += 3 {
		dst = append(dst, c[i], c[i+1])
	}
	return dst
}

// halve turns ring ends over XYZ triples into ends over XY pairs.
func halve(ends []int) []int {
	out := make([]int, len(ends))
	for i, e := range ends {
		out[i] = e / 3 * 2
	}
	return out
}

// match pairs a new feature with the labels or features in the window.
func (im *importer) match(f *feature) {
	switch {
	case f.isLabel:
		x, y := f.coords[0], f.coords[1]
		for i := len(im.pending) - 1; i >= 0; i-- {
			p := im.pending[i]
			if p.cls.ID == "building" && p.label == nil && p.contains(x, y) {
				p.label, f.used = f.label, true
				im.labels.matched++
				return
			}
		}
	case f.isName:
		var best *feature
		bestD := math.Inf(1)
		for _, p := range im.pending {
			if p.cls.ID == "road" && p.roadName == "" && !p.poly {
				if d, ok := p.names(f); ok && d < bestD {
					best, bestD = p, d
				}
			}
		}
		if best != nil {
			best.roadName, f.used = strings.TrimSpace(f.e.Text.Value), true
		}
	case f.cls.ID == "building":
		for i := len(im.pending) - 1; i >= 0; i-- {
			p := im.pending[i]
			if p.isLabel && !p.used && f.contains(p.coords[0], p.coords[1]) {
				f.label, p.used = p.label, true
				im.labels.matched++
				return
			}
		}
	case f.cls.ID == "road" && !f.poly:
		var best *feature
		bestD := math.Inf(1)
		for _, p := range im.pending {
			if p.isName && !p.used {
				if d, ok := f.names(p); ok && d < bestD {
					best, bestD = p, d
				}
			}
		}
		if best != nil {
			f.roadName, best.used = strings.TrimSpace(best.e.Text.Value), true
		}
	}
}

// maxNameAngle is how far (degrees) a road name's direction may turn from the road's.
const maxNameAngle = 30

// names says whether the text t may name the road line f, and how far from it t lies: t's anchor
// lies within three text heights (at least 10 m) of a segment of f, and runs within maxNameAngle of
// that segment's direction (either way along it).
func (f *feature) names(t *feature) (float64, bool) {
	x, y := t.coords[0], t.coords[1]
	tol := max(3*t.e.Text.Height, 10)
	if x < f.minX-tol || x > f.maxX+tol || y < f.minY-tol || y > f.maxY+tol {
		return 0, false
	}
	best, ok := math.Inf(1), false
	c := f.coords
	for i := 0; i+3 < len(c); i += 2 {
		d := segDist(x, y, c[i], c[i+1], c[i+2], c[i+3])
		if d > tol || d >= best {
			continue
		}
		seg := math.Atan2(c[i+3]-c[i+1], c[i+2]-c[i]) * 180 / math.Pi
		diff := math.Mod(math.Abs(t.e.Text.Rotation-seg), 180)
		if min(diff, 180-diff) <= maxNameAngle {
			best, ok = d, true
		}
	}
	return best, ok
}

func (f *feature) contains(x, y float64) bool {
	if !f.poly || x < f.minX || x > f.maxX || y < f.minY || y > f.maxY {
		return false
	}
	return f.e.Geom.PointInPolygon(x, y) || closedLine(&f.e.Geom) && pointInXY(f.coords, x, y)
}

func pointInXY(c []float64, x, y float64) bool {
	in := false
	n := len(c) / 2
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi, xj, yj := c[2*i], c[2*i+1], c[2*j], c[2*j+1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func segDist(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	return math.Hypot(px-ax-t*dx, py-ay-t*dy)
}

func (im *importer) skip(reason string) { im.skipped[reason]++ }

func (im *importer) reject(e *dxf.Entity, class, reason string) {
	im.b.Reject(loader.Rejection{File: im.file, Line: e.Line, Feature: featureName(e), Class: class,
		Reason: fmt.Sprintf("%s on layer %s: %s", e.Type, e.Layer, reason)})
}

func featureName(e *dxf.Entity) string {
	if e.Handle != "" {
		return "handle " + e.Handle
	}
	return ""
}

// flush writes the queued features, keeping the last keep of the window.
func (im *importer) flush(keep int) error {
	if keep == 0 {
		im.out = append(im.out, im.pending...)
		im.pending = nil
	}
	if len(im.out) == 0 {
		return nil
	}
	if err := im.proj.project(im.out); err != nil {
		return err
	}
	for i, f := range im.out {
		if err := im.write(f); err != nil {
			return err
		}
		im.out[i] = nil
	}
	im.out = im.out[:0]
	return nil
}

func (im *importer) warnings(r *dxf.Reader) {
	if len(im.unknown) > 0 {
		var names []string
		for l := range im.unknown {
			names = append(names, l)
		}
		sort.Strings(names)
		for _, l := range names {
			im.b.Warn(fmt.Sprintf("layer %s unknown, kept as basemap.other (%d features)", l, im.unknown[l]))
		}
	}
	reasons := make([]string, 0, len(im.skipped))
	for r := range im.skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		im.b.Warn(fmt.Sprintf("%d skipped: %s", im.skipped[r], r))
	}
	if im.paper > 0 {
		im.b.Warn(fmt.Sprintf("%d paper-space entities (title block, frame) not imported", im.paper))
	}
	var types []string
	for t := range r.Skipped() {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		im.b.Warn(fmt.Sprintf("%d %s entities not imported (no map geometry)", r.Skipped()[t], t))
	}
	if n := im.labels.total - im.labels.matched; n > 0 {
		im.b.Warn(fmt.Sprintf("%d of %d building labels (砼4 …) lie in no building drawn next to them; kept as annotations only", n, im.labels.total))
	}
}

// columns of each class's table, in the order write gives them.
var columns = map[string][]string{
	"building":        {"source_layer", "code", "name", "floors", "structure", "height", "props", "geom"},
	"road":            {"source_layer", "code", "name", "props", "geom"},
	"contour":         {"source_layer", "code", "name", "elevation", "is_index", "props", "geom"},
	"elevation_point": {"source_layer", "code", "name", "elevation", "props", "geom"},
	"control_point":   {"source_layer", "code", "name", "point_name", "grade", "elevation", "props", "geom"},
	"annotation":      {"source_layer", "code", "name", "text", "font_height", "rotation", "props", "geom"},
}

var genericColumns = []string{"source_layer", "code", "name", "props", "geom"}

func (im *importer) writer(c *Class) *loader.TableWriter {
	w := im.writers[c.ID]
	if w == nil {
		cols, ok := columns[c.ID]
		if !ok {
			cols = genericColumns
		}
		w = im.b.Table(c.ID, c.Ident(), cols)
		im.writers[c.ID] = w
	}
	return w
}

// write encodes one projected feature and adds it to its table.
func (im *importer) write(f *feature) error {
	var g geom.T
	switch {
	case f.e.Geom.Kind == dxf.KindPoint:
		g = geom.NewPointFlat(geom.XY, f.coords)
	case f.poly && f.endss != nil:
		g = geom.NewMultiPolygonFlat(geom.XY, f.coords, f.endss)
	case f.poly:
		if f.cls.ID == "building" {
			g = geom.NewMultiPolygonFlat(geom.XY, f.coords, [][]int{f.ends})
		} else {
			g = geom.NewPolygonFlat(geom.XY, f.coords, f.ends)
		}
	default:
		g = geom.NewLineStringFlat(geom.XY, f.coords)
	}
	// The loader keeps the byte slices until its COPY has sent them: they are cut from an arena that
	// is never overwritten.
	if len(im.arena) > 1<<20 {
		im.arena = make([]byte, 0, 1<<20)
	}
	start := len(im.arena)
	var err error
	if im.arena, err = loader.AppendEWKB(im.arena, g); err != nil {
		return err
	}
	ewkb := im.arena[start:len(im.arena):len(im.arena)]
	start = len(im.arena)
	im.arena = im.propsJSON(im.arena, f)
	props := im.arena[start:len(im.arena):len(im.arena)]
	e := f.e
	// name is the feature's own name (a road's from the text along it); what kind of feature it is
	// (the code's or layer's name: 交通设施, 首曲线) is props.kind.
	var name any
	w := im.writer(f.cls)
	code := nullable(f.code)
	switch f.cls.ID {
	case "building":
		var floors, structure, height any
		if f.label != nil {
			floors, structure = f.label.Floors, f.label.Structure
			height = float32(float64(f.label.Floors) * im.t.StoreyHeight)
		}
		err = w.Add(e.Layer, code, name, floors, structure, height, props, ewkb)
	case "road":
		name = nullable(f.roadName)
		err = w.Add(e.Layer, code, name, props, ewkb)
	case "contour":
		err = w.Add(e.Layer, code, name, float32(e.Elevation), f.m.Index, props, ewkb)
	case "elevation_point":
		elev := e.Elevation
		if v, ok := attrNumber(e, "GC", "高程", "H", "ELEV"); ok {
			elev = v
		}
		err = w.Add(e.Layer, code, name, float32(elev), props, ewkb)
	case "control_point":
		elev := e.Elevation
		if v, ok := attrNumber(e, "GC", "高程", "H", "ELEV"); ok {
			elev = v
		}
		pname := attr(e, "点名", "DM", "NAME", "点号", "ID")
		grade := attr(e, "等级", "DJ", "GRADE")
		err = w.Add(e.Layer, code, name, nullable(pname), nullable(grade), float32(elev), props, ewkb)
	case "annotation":
		t := e.Text
		err = w.Add(e.Layer, code, name, strings.TrimSpace(t.Value), float32(t.Height), float32(t.Rotation), props, ewkb)
	default:
		err = w.Add(e.Layer, code, name, props, ewkb)
	}
	var ge *loader.GeometryError
	if err != nil && errors.As(err, &ge) {
		im.reject(e, f.cls.ID, fmt.Sprintf("coordinates %s do not convert to longitude/latitude in %s: %v", firstXY(f), im.proj.code, ge.Err))
		return nil
	}
	return err
}

func firstXY(f *feature) string {
	x, y, _, _ := f.e.Geom.Bounds()
	return fmt.Sprintf("(%.3f, %.3f)", x, y)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func attr(e *dxf.Entity, tags ...string) string {
	for _, t := range tags {
		if v, ok := e.Attr(t); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func attrNumber(e *dxf.Entity, tags ...string) (float64, bool) {
	v := attr(e, tags...)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil
}

// propsJSON is the feature's other source attributes: entity type, handle, block, attributes,
// extended data, label details.
func (im *importer) propsJSON(b []byte, f *feature) []byte {
	e := f.e
	b = append(b, `{"entity":`...)
	b = appendJSONString(b, e.Type)
	if e.Handle != "" {
		b = append(b, `,"handle":`...)
		b = appendJSONString(b, e.Handle)
	}
	if f.m.Kind != "" {
		b = append(b, `,"kind":`...)
		b = appendJSONString(b, f.m.Kind)
	}
	if e.Insert != nil {
		b = append(b, `,"block":`...)
		b = appendJSONString(b, e.Insert.Block)
	}
	if e.Block != "" {
		b = append(b, `,"from_block":`...)
		b = appendJSONString(b, e.Block)
	}
	if len(e.Attribs) > 0 {
		b = append(b, `,"attributes":{`...)
		for i, a := range e.Attribs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, a.Tag)
			b = append(b, ':')
			b = appendJSONString(b, a.Value)
		}
		b = append(b, '}')
	}
	var extra []string
	for _, x := range e.XData {
		for i, v := range x.Values {
			if v.Code == 1000 && !(strings.EqualFold(x.App, App) && i == 0) {
				extra = append(extra, v.Str)
			}
		}
	}
	if len(extra) > 0 {
		b = append(b, `,"xdata":[`...)
		for i, s := range extra {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	if f.label != nil && f.cls.ID == "building" {
		b = append(b, `,"structure_name":`...)
		b = appendJSONString(b, f.label.StructureName)
		if f.label.Basement > 0 {
			b = append(b, `,"basement_floors":`...)
			b = strconv.AppendInt(b, int64(f.label.Basement), 10)
		}
		b = append(b, `,"height_from":"floors"`...)
	}
	if f.cls.ID == "annotation" && e.Text.Style != "" {
		b = append(b, `,"style":`...)
		b = appendJSONString(b, e.Text.Style)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
