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
	"twin":      {"三维模型", "3D models"},
	"reference": {"参考", "Reference"},
}

func (s *Server) registerCatalog() {
	if s.deps.Catalog == nil {
		return
	}
	s.app.Get("/catalog/layers", s.catalogLayers)
}

func (s *Server) catalogLayers(c *fiber.Ctx) error {
	tree := layerTree(s.deps.Catalog.Current(), principal(c))
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

// layerTree groups the layers p may read by theme, in catalog order.
func layerTree(cat *spatial.Catalog, p spatial.Principal) LayerTree {
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
			Properties: props, Legend: legendOf(l), Editable: l.CanWrite(p),
		})
	}
	return tree
}

// styleLayer is the part of a MapLibre style layer that a legend needs.
type styleLayer struct {
	Type     string                     `json:"type"`
	Paint    map[string]json.RawMessage `json:"paint"`
	Metadata struct {
		TitleZh string `json:"yitu:title_zh"`
		TitleEn string `json:"yitu:title_en"`
		// Legend labels the values of a match expression: {"JS": {"zh": "给水", "en": "Water supply"}}.
		Legend map[string]struct{ Zh, En string } `json:"yitu:legend"`
	} `json:"metadata"`
}

// legendOf reads a layer's style fragments (one MapLibre layer, an array of them, or {"layers": [...]})
// and returns a swatch per drawn colour: one per value of a match expression, else one per style layer.
func legendOf(l *spatial.Layer) []LegendItem {
	items := []LegendItem{}
	for _, sl := range styleLayers(l.Style) {
		var colorProp, outlineProp string
		switch sl.Type {
		case "fill":
			colorProp, outlineProp = "fill-color", "fill-outline-color"
		case "line":
			colorProp = "line-color"
		case "circle":
			colorProp, outlineProp = "circle-color", "circle-stroke-color"
		case "symbol":
			colorProp = "text-color"
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
		cases := colorCases(sl.Paint[colorProp])
		if len(cases) == 0 {
			cases = []colorCase{{color: defaultColor}}
		}
		for _, cc := range cases {
			it := base
			it.Color = cc.color
			if cc.value != "" {
				lab, ok := sl.Metadata.Legend[cc.value]
				it.LabelZh, it.LabelEn = cc.value, cc.value
				if ok {
					it.LabelZh, it.LabelEn = lab.Zh, lab.En
				} else if cc.value == otherValue {
					it.LabelZh, it.LabelEn = "其他", "Other"
				}
			}
			if !slices.Contains(items, it) {
				items = append(items, it)
			}
		}
	}
	return items
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
// one per value (and the fallback); a zoom interpolate or step its highest-zoom colour.
func colorCases(raw json.RawMessage) []colorCase {
	if c := singleColor(raw); c != "" {
		return []colorCase{{color: c}}
	}
	var expr []json.RawMessage
	if json.Unmarshal(raw, &expr) != nil || len(expr) == 0 {
		return nil
	}
	var op string
	json.Unmarshal(expr[0], &op)
	if op != "match" || len(expr) < 5 {
		return nil
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
	return out
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
