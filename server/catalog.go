package server

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/yitu-gis/yitu/spatial"
)

// LayerTree is the answer of GET /catalog/layers: the layers the caller may read, grouped by theme in
// catalog order (基础底图, 地下管线, 三维模型, 参考, then the scenario groups as their layers appear).
type LayerTree struct {
	Groups []LayerGroup `json:"groups"`
}

// LayerGroup is one theme of the layer tree.
type LayerGroup struct {
	ID      string      `json:"id"`
	TitleZh string      `json:"title_zh"`
	TitleEn string      `json:"title_en"`
	Layers  []LayerNode `json:"layers"`
}

// LayerNode is one layer as the viewer shows it.
type LayerNode struct {
	ID           string             `json:"id"`
	TitleZh      string             `json:"title_zh"`
	TitleEn      string             `json:"title_en"`
	Description  string             `json:"description,omitempty"`
	GeometryType string             `json:"geometry_type"`
	MinZoom      int                `json:"min_zoom"`
	MaxZoom      int                `json:"max_zoom"`
	Properties   []spatial.Property `json:"properties"`
	Legend       []LegendItem       `json:"legend"`
	Editable     bool               `json:"editable"` // the caller may create, change and delete its features
}

// LegendItem is one swatch of a layer's legend, read from the layer's MapLibre style fragments.
type LegendItem struct {
	Kind    string  `json:"kind"` // fill, line, circle, symbol, fill-extrusion
	Color   string  `json:"color,omitempty"`
	Outline string  `json:"outline,omitempty"` // fill outline or circle stroke
	Width   float64 `json:"width,omitempty"`   // line width in pixels
	Dashed  bool    `json:"dashed,omitempty"`
	LabelZh string  `json:"label_zh,omitempty"`
	LabelEn string  `json:"label_en,omitempty"`
}

// themeTitles names the layer-tree groups. A theme missing here is shown under its own id; a scenario
// that adds layers of a new theme adds its titles here.
var themeTitles = map[string][2]string{
	"basemap":   {"基础底图", "Base map"},
	"pipeline":  {"地下管线", "Underground pipelines"},
	"geology":   {"地质", "Geology"},
	"twin":      {"三维模型", "3D models"},
	"reference": {"参考", "Reference"},
	"live":      {"实时监测", "Live"},
}

func (s *Server) registerCatalog() {
	if s.deps.Catalog == nil {
		return
	}
	// Gzipped: the tree (with legends and properties) is some 15 KB of JSON on the first view's path.
	s.app.Get("/catalog/layers", compress.New(), s.catalogLayers)
}

func (s *Server) catalogLayers(c *fiber.Ctx) error {
	p := principal(c)
	var style *servedStyle
	if s.deps.Tiles != nil {
		st, err := s.deps.Tiles.Style(c.UserContext(), p, c.BaseURL())
		if err != nil {
			return err
		}
		if style, err = parseStyle(st); err != nil {
			return err
		}
	}
	tree := layerTree(s.deps.Catalog.Current(), p, style)
	b, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Set(fiber.HeaderETag, etag)
	// The tree depends on who asks and changes when the catalog reloads: revalidate every time.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderVary, fiber.HeaderAuthorization)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

// layerTree groups the layers p may read by theme, in catalog order. Legends come from the style the
// viewer draws (nil: from each layer's catalog style fragments).
func layerTree(cat *spatial.Catalog, p spatial.Principal, style *servedStyle) LayerTree {
	tree := LayerTree{Groups: []LayerGroup{}}
	for _, l := range cat.Readable(p) {
		if n := len(tree.Groups); n == 0 || tree.Groups[n-1].ID != l.Theme {
			titles, ok := themeTitles[l.Theme]
			if !ok {
				titles = [2]string{l.Theme, l.Theme}
			}
			tree.Groups = append(tree.Groups, LayerGroup{ID: l.Theme, TitleZh: titles[0], TitleEn: titles[1]})
		}
		g := &tree.Groups[len(tree.Groups)-1]
		props := l.Properties
		if props == nil {
			props = []spatial.Property{}
		}
		g.Layers = append(g.Layers, LayerNode{
			ID: l.ID, TitleZh: l.TitleZh, TitleEn: l.TitleEn, Description: l.Description,
			GeometryType: l.GeometryType, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom,
			Properties: props, Legend: style.legend(l), Editable: l.CanWrite(p),
		})
	}
	return tree
}

// styleLayer is the part of a MapLibre style layer that a legend needs.
type styleLayer struct {
	Type     string                     `json:"type"`
	Paint    map[string]json.RawMessage `json:"paint"`
	Layout   map[string]json.RawMessage `json:"layout"`
	Metadata struct {
		Layer   string `json:"yitu:layer"` // the catalog layer it draws, in the served style
		TitleZh string `json:"yitu:title_zh"`
		TitleEn string `json:"yitu:title_en"`
		// Legend labels the values of a match expression: {"JS": {"zh": "给水", "en": "Water supply"}}.
		Legend map[string]struct{ Zh, En string } `json:"yitu:legend"`
	} `json:"metadata"`
}

// servedStyle is the one-map style as the tiles service serves it: its layers by catalog layer, and
// the pipe types whose codes its pipeline colours match on.
type servedStyle struct {
	layers    map[string][]styleLayer
	pipeTypes map[string]struct{ Zh, En string }
}

func parseStyle(st map[string]any) (*servedStyle, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Metadata struct {
			PipeTypes []struct {
				Code   string `json:"code"`
				NameZh string `json:"name_zh"`
				NameEn string `json:"name_en"`
			} `json:"yitu:pipe_types"`
		} `json:"metadata"`
		Layers []styleLayer `json:"layers"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading the one-map style for legends: %w", err)
	}
	out := &servedStyle{layers: map[string][]styleLayer{}, pipeTypes: map[string]struct{ Zh, En string }{}}
	for _, sl := range doc.Layers {
		if sl.Metadata.Layer != "" {
			out.layers[sl.Metadata.Layer] = append(out.layers[sl.Metadata.Layer], sl)
		}
	}
	for _, t := range doc.Metadata.PipeTypes {
		out.pipeTypes[t.Code] = struct{ Zh, En string }{t.NameZh, t.NameEn}
	}
	return out, nil
}

// legend is a layer's legend drawn from the served style, or from the layer's own style fragments
// (one MapLibre layer, an array of them, or {"layers": [...]}) where no style is served.
func (st *servedStyle) legend(l *spatial.Layer) []LegendItem {
	if st == nil {
		return legendOf(l, styleLayers(l.Style), nil)
	}
	return legendOf(l, st.layers[l.ID], st.pipeTypes)
}

// legendOf returns a swatch per colour the style layers draw: one per value of a match expression
// (labelled by the layer's yitu:legend metadata, else by pipe type names when it matches on pipe_type),
// else one per style layer. Symbol layers that only label what other layers of it draw are left out.
func legendOf(l *spatial.Layer, sls []styleLayer, pipeTypes map[string]struct{ Zh, En string }) []LegendItem {
	items := []LegendItem{}
	var plain []bool // items[i] is the style layer's one swatch (not a value of a match expression)
	labelsOnly := func(sl styleLayer) bool { return sl.Type == "symbol" && sl.Layout["icon-image"] == nil }
	drawn := slices.ContainsFunc(sls, func(sl styleLayer) bool { return !labelsOnly(sl) && sl.Type != "background" })
	for _, sl := range sls {
		var colorProp, outlineProp string
		switch sl.Type {
		case "fill":
			colorProp, outlineProp = "fill-color", "fill-outline-color"
		case "line":
			colorProp = "line-color"
		case "circle":
			colorProp, outlineProp = "circle-color", "circle-stroke-color"
		case "symbol":
			if labelsOnly(sl) && drawn {
				continue
			}
			colorProp = "text-color"
			if !labelsOnly(sl) {
				colorProp = "icon-color"
			}
		case "fill-extrusion":
			colorProp = "fill-extrusion-color"
		default:
			continue
		}
		base := LegendItem{Kind: sl.Type, LabelZh: cmp.Or(sl.Metadata.TitleZh, l.TitleZh), LabelEn: cmp.Or(sl.Metadata.TitleEn, l.TitleEn)}
		if outlineProp != "" {
			base.Outline = singleColor(sl.Paint[outlineProp])
		}
		if sl.Type == "line" {
			base.Width = singleNumber(sl.Paint["line-width"])
			base.Dashed = len(sl.Paint["line-dasharray"]) > 0
		}
		cases, input := colorCases(sl.Paint[colorProp])
		if len(cases) == 0 {
			cases = []colorCase{{color: defaultColor}}
		}
		for _, cc := range cases {
			it := base
			it.Color = cc.color
			if cc.value != "" {
				lab, ok := sl.Metadata.Legend[cc.value]
				if !ok && input == "pipe_type" {
					lab, ok = pipeTypes[cc.value]
				}
				it.LabelZh, it.LabelEn = cc.value, cc.value
				if ok {
					it.LabelZh, it.LabelEn = lab.Zh, lab.En
				} else if cc.value == otherValue {
					it.LabelZh, it.LabelEn = "其他", "Other"
				}
			}
			if !slices.Contains(items, it) {
				items = append(items, it)
				plain = append(plain, cc.value == "")
			}
		}
	}
	return compact(items, plain, l.GeometryType)
}

// compact keeps one plain swatch per label (a fill's outline layer or a generic style's branches for
// other geometries add nothing to read), preferring the kind that draws the layer's geometry type.
func compact(items []LegendItem, plain []bool, geometryType string) []LegendItem {
	fits := func(kind string) bool {
		switch {
		case strings.Contains(geometryType, "Polygon"):
			return kind == "fill" || kind == "fill-extrusion"
		case strings.Contains(geometryType, "LineString"):
			return kind == "line"
		case strings.Contains(geometryType, "Point"):
			return kind == "circle" || kind == "symbol"
		}
		return true
	}
	best := map[string]int{} // label → index of the plain swatch kept
	for i, it := range items {
		if !plain[i] {
			continue
		}
		if j, ok := best[it.LabelZh]; !ok || !fits(items[j].Kind) && fits(it.Kind) {
			best[it.LabelZh] = i
		}
	}
	out := []LegendItem{}
	for i, it := range items {
		if !plain[i] || best[it.LabelZh] == i {
			out = append(out, it)
		}
	}
	return out
}

func styleLayers(raw json.RawMessage) []styleLayer {
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []styleLayer
	if raw[0] == '[' {
		if json.Unmarshal(raw, &list) == nil {
			return list
		}
		return nil
	}
	var wrapped struct {
		Layers []styleLayer `json:"layers"`
		Type   string       `json:"type"`
	}
	if json.Unmarshal(raw, &wrapped) != nil {
		return nil
	}
	if len(wrapped.Layers) > 0 {
		return wrapped.Layers
	}
	var one styleLayer
	if wrapped.Type != "" && json.Unmarshal(raw, &one) == nil {
		return []styleLayer{one}
	}
	return nil
}

// defaultColor is MapLibre's colour for a paint property the style leaves out.
const defaultColor = "#000000"

type colorCase struct{ value, color string }

// otherValue labels a match expression's fallback colour.
const otherValue = "\x00other"

// colorCases reads a colour paint value: a literal gives one case; ["match", input, v, c, ..., fallback]
// one per value (and the fallback), with the property the input gets; a zoom interpolate or step its
// highest-zoom colour.
func colorCases(raw json.RawMessage) (cases []colorCase, input string) {
	if c := singleColor(raw); c != "" {
		return []colorCase{{color: c}}, ""
	}
	var expr []json.RawMessage
	if json.Unmarshal(raw, &expr) != nil || len(expr) == 0 {
		return nil, ""
	}
	var op string
	json.Unmarshal(expr[0], &op)
	if op != "match" || len(expr) < 5 {
		return nil, ""
	}
	var get []any
	if json.Unmarshal(expr[1], &get) == nil && len(get) == 2 && get[0] == "get" {
		input, _ = get[1].(string)
	}
	var out []colorCase
	for i := 2; i+1 < len(expr); i += 2 {
		if c := singleColor(expr[i+1]); c != "" {
			out = append(out, colorCase{value: matchLabel(expr[i]), color: c})
		}
	}
	if len(expr)%2 == 1 { // the fallback
		if c := singleColor(expr[len(expr)-1]); c != "" {
			out = append(out, colorCase{value: otherValue, color: c})
		}
	}
	return out, input
}

// matchLabel is a match expression's label: "JS", or "YS、WS" for a list of values.
func matchLabel(raw json.RawMessage) string {
	var vals []any
	if json.Unmarshal(raw, &vals) != nil {
		var v any
		json.Unmarshal(raw, &v)
		vals = []any{v}
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "、")
}

// singleColor is a literal colour, or the colour at the highest zoom of a zoom interpolate or step.
func singleColor(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if last := zoomLastOutput(raw); last != nil {
		return singleColor(last)
	}
	return ""
}

func singleNumber(raw json.RawMessage) float64 {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	if last := zoomLastOutput(raw); last != nil {
		return singleNumber(last)
	}
	return 0
}

// zoomLastOutput is the last output of ["interpolate", type, ["zoom"], z, v, ...] or
// ["step", ["zoom"], v0, z, v, ...]; nil for anything else.
func zoomLastOutput(raw json.RawMessage) json.RawMessage {
	var expr []json.RawMessage
	if json.Unmarshal(raw, &expr) != nil || len(expr) < 3 {
		return nil
	}
	var op string
	json.Unmarshal(expr[0], &op)
	input := 1
	if op == "interpolate" || op == "interpolate-hcl" || op == "interpolate-lab" {
		input = 2
	} else if op != "step" {
		return nil
	}
	if len(expr) <= input+1 || strings.ReplaceAll(string(expr[input]), " ", "") != `["zoom"]` {
		return nil
	}
	return expr[len(expr)-1]
}
