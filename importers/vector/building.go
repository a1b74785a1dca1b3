package vector

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
)

// Buildings in vector data. A polygon layer whose features are buildings — it has OpenStreetMap's
// building tag, a height or a floors attribute, or the user named one with --height-attr or
// --floors-attr — writes them into basemap.building with height (metres) and floors, where the
// buildings 3D tileset reads them: with --as basemap, and without --as (the layer's other features
// then make its reference layer as before). --as reference keeps every feature in the reference
// layer.

// heightNames and floorsNames are the attribute names, in order of preference and compared without
// regard to case, that hold a building's height in metres and its number of storeys.
var (
	heightNames = []string{"height", "building:height", "building_height", "bldg_height", "height_m",
		"高度", "建筑高度", "房屋高度", "建筑物高度", "楼高", "总高度", "高度(米)", "高度（米）", "高度_米"}
	floorsNames = []string{"building:levels", "levels", "floors", "num_floors", "storeys", "stories",
		"层数", "楼层数", "建筑层数", "房屋层数", "地上层数", "总层数", "楼层"}
)

// osmBuilding is OpenStreetMap's building tag (building=yes, house, apartments…).
const osmBuilding = "building"

// buildingAttrs are a layer's attributes that make its polygons buildings.
type buildingAttrs struct {
	height, floors string // the fields read ("" none)
	osm            bool   // the layer has OSM's building tag
	heightHow      string // how the height field was chosen, for the report
	floorsHow      string
}

// findField is the field of l named name (exactly, else regardless of case), "" if none.
func findField(l Layer, name string) string {
	for _, f := range l.Fields {
		if f.Name == name {
			return f.Name
		}
	}
	for _, f := range l.Fields {
		if strings.EqualFold(strings.TrimSpace(f.Name), strings.TrimSpace(name)) {
			return f.Name
		}
	}
	return ""
}

// layerBuildingAttrs finds a layer's height and floors fields: those --height-attr and
// --floors-attr name, else the first of the usual names.
func layerBuildingAttrs(l Layer, src loader.Source) buildingAttrs {
	var a buildingAttrs
	pick := func(named string, names []string) (string, string) {
		if named != "" {
			if f := findField(l, named); f != "" {
				return f, "named by the user"
			}
			return "", ""
		}
		for _, n := range names {
			if f := findField(l, n); f != "" {
				return f, "recognised by its name"
			}
		}
		return "", ""
	}
	a.height, a.heightHow = pick(src.HeightAttr, heightNames)
	a.floors, a.floorsHow = pick(src.FloorsAttr, floorsNames)
	a.osm = findField(l, osmBuilding) == osmBuilding
	return a
}

// any reports whether the layer's polygons may be buildings.
func (a buildingAttrs) any() bool { return a.height != "" || a.floors != "" || a.osm }

// isBuilding reports whether a feature of the layer is a building: a polygon with OSM's building tag
// (other than building=no), or a height or floors value; in a layer without the tag, every polygon.
func (a buildingAttrs) isBuilding(f Feature) bool {
	if _, ok := f.Geometry.(*geom.MultiPolygon); !ok {
		return false
	}
	if !a.osm {
		return true
	}
	if v, ok := f.Properties[osmBuilding].(string); ok {
		v = strings.ToLower(strings.TrimSpace(v))
		return v != "" && v != "no" && v != "false" && v != "0"
	}
	return a.height != "" && f.Properties[a.height] != nil || a.floors != "" && f.Properties[a.floors] != nil
}

var (
	heightValue = regexp.MustCompile(`^(?i)\s*(?:约|高)?\s*([0-9]+(?:[.,][0-9]+)?)\s*(m|米|公尺|meters?|metres?|ft|feet|'|)\s*$`)
	floorsValue = regexp.MustCompile(`^(?i)\s*(?:地上)?\s*([0-9]+(?:\.[0-9]+)?)\s*(层|f|floors?|storeys?|stories|levels?|)\s*$`)
)

// parseHeight reads a height in metres: 12, 12.5, "12 m", "12米", "40 ft". ok is false for a value
// that is there but is not a height (0 and 1000 m or more included); set is false for no value.
func parseHeight(v any) (h float64, set, ok bool) {
	h, unit, set, ok := parseValue(v, heightValue)
	switch unit {
	case "ft", "feet", "'":
		h *= 0.3048
	}
	return h, set, !set || ok && h > 0 && h < 1000
}

// parseFloors reads a number of storeys: 5, "5", "5层", "5F", "3.5" (rounded).
func parseFloors(v any) (n int32, set, ok bool) {
	f, _, set, ok := parseValue(v, floorsValue)
	if !ok || f < 0.5 || f > 300 {
		return 0, set, !set
	}
	return int32(math.Round(f)), set, true
}

// parseValue matches a value's text against re (a number, then a unit): the number and the
// lower-cased unit; set is false for no value (ok then true), ok false for a value re does not match.
func parseValue(v any, re *regexp.Regexp) (f float64, unit string, set, ok bool) {
	s, set := valueText(v)
	if !set {
		return 0, "", false, true
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return 0, "", true, false
	}
	f, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
	return f, strings.ToLower(m[2]), true, err == nil
}

func valueText(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", false
	case json.Number:
		return t.String(), true
	case string:
		return t, strings.TrimSpace(t) != ""
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return fmt.Sprint(v), true
}

// buildingWriter writes a layer's buildings into basemap.building with their height and floors.
type buildingWriter struct {
	b      *loader.Batch
	layer  string
	attrs  buildingAttrs
	w      *loader.TableWriter
	n      int // buildings written
	height int // with a height
	floors int // with floors (and no height)
	bad    []string
	nbad   int
}

func newBuildingWriter(b *loader.Batch, layer string, attrs buildingAttrs) *buildingWriter {
	return &buildingWriter{b: b, layer: layer, attrs: attrs,
		w: b.Table("building", ident("basemap", "building"), []string{"source_layer", "name", "floors", "height", "props", "geom"})}
}

func (w *buildingWriter) add(rec int, f Feature, ewkb []byte) (string, error) {
	var height *float64
	var floors *int32
	if w.attrs.height != "" {
		v := f.Properties[w.attrs.height]
		if h, set, ok := parseHeight(v); ok && set {
			height = &h
		} else if !ok {
			w.note(rec, w.attrs.height, v)
		}
	}
	if w.attrs.floors != "" {
		v := f.Properties[w.attrs.floors]
		if n, set, ok := parseFloors(v); ok && set {
			floors = &n
		} else if !ok {
			w.note(rec, w.attrs.floors, v)
		}
	}
	name := popName(f)
	props, _ := json.Marshal(f.Properties)
	if err := w.w.Add(w.layer, name, floors, height, props, ewkb); err != nil {
		if ge, ok := err.(*loader.GeometryError); ok {
			return ge.Err.Error(), nil
		}
		return "", err
	}
	w.n++
	switch {
	case height != nil:
		w.height++
	case floors != nil:
		w.floors++
	}
	return "", nil
}

func (w *buildingWriter) note(rec int, field string, v any) {
	w.nbad++
	if len(w.bad) < 5 {
		w.bad = append(w.bad, fmt.Sprintf("feature %d %s=%q", rec, field, fmt.Sprint(v)))
	}
}

// finish says in the report which attributes gave the heights.
func (w *buildingWriter) finish() {
	if w.n == 0 {
		return
	}
	var why []string
	if w.attrs.osm {
		why = append(why, "OSM building tag")
	}
	if w.attrs.height != "" {
		why = append(why, "attribute "+w.attrs.height)
	}
	if w.attrs.floors != "" {
		why = append(why, "attribute "+w.attrs.floors)
	}
	msg := fmt.Sprintf("layer %s: %d polygons are buildings (%s) and went to basemap.building for the 3D buildings; ",
		w.layer, w.n, strings.Join(why, ", "))
	var from []string
	if w.attrs.height != "" {
		from = append(from, fmt.Sprintf("height in metres from attribute %q (%s) for %d", w.attrs.height, w.attrs.heightHow, w.height))
	}
	if w.attrs.floors != "" {
		from = append(from, fmt.Sprintf("floors from attribute %q (%s) for %d more (height = floors × the storey height, twin.storey_height)",
			w.attrs.floors, w.attrs.floorsHow, w.floors))
	}
	if len(from) == 0 {
		from = append(from, "no height or floors attribute (name one with --height-attr or --floors-attr)")
	}
	msg += strings.Join(from, "; ")
	if rest := w.n - w.height - w.floors; rest > 0 {
		msg += fmt.Sprintf("; %d without either stand twin.default_floors storeys high", rest)
	}
	w.b.Warn(msg)
	if w.nbad > 0 {
		w.b.Warn(fmt.Sprintf("layer %s: %d height or floors values are not numbers of metres or storeys and were left out (kept in props): %s",
			w.layer, w.nbad, strings.Join(w.bad, ", ")))
	}
}

// nameFields hold a feature's name, in order of preference.
var nameFields = []string{"name", "名称", "NAME", "Name", "MC", "mc", "name_zh"}

// popName takes a feature's name out of its properties (nil if none).
func popName(f Feature) any {
	for _, k := range nameFields {
		if v, ok := f.Properties[k]; ok && v != nil {
			if n := strings.TrimSpace(fmt.Sprint(v)); n != "" { // a blank name is no name: NULL
				delete(f.Properties, k)
				return n
			}
		}
	}
	return nil
}

// routeWriter is a layer imported without --as whose polygons are buildings: those go to
// basemap.building, every other feature to the layer's reference table (made at its first feature).
type routeWriter struct {
	ctx   context.Context
	b     *loader.Batch
	l     Layer
	multi bool
	bw    *buildingWriter
	ref   *referenceWriter
}

func (w *routeWriter) add(rec int, f Feature, ewkb []byte) (string, error) {
	if ewkb != nil && w.bw.attrs.isBuilding(f) {
		return w.bw.add(rec, f, ewkb)
	}
	if w.ref == nil {
		r, err := newReferenceWriter(w.ctx, w.b, w.l, w.multi)
		if err != nil {
			return "", err
		}
		w.ref = r
	}
	return w.ref.add(rec, f, ewkb)
}

func (w *routeWriter) finish(ctx context.Context) error {
	w.bw.finish()
	if w.ref != nil {
		return w.ref.finish(ctx)
	}
	return nil
}
