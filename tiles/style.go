package tiles

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
)

// StyleFont is the font stack of every label: Chinese first, from Debian's fonts-noto-cjk.
var StyleFont = []string{"Noto Sans CJK SC Regular"}

// StyleFontBold is the font stack of emphasised labels.
var StyleFontBold = []string{"Noto Sans CJK SC Bold"}

// Style is the one-map MapLibre style for p: one vector source with every layer p may read, drawn as
// the 1:500 topographic map draws its feature classes, pipelines in the CJJ 61 colours of
// pipeline.type, labels in Chinese. A catalog layer's own `style` (MapLibre layer fragments) replaces
// the built-in symbolisation of that layer.
func (s *Service) Style(ctx context.Context, p spatial.Principal, base string) (map[string]any, error) {
	// A layer whose style is an empty list is not drawn by the one-map style (the viewer draws the
	// live objects itself): it is left out of the style and of its composite tiles.
	layers := slices.DeleteFunc(slices.Clone(s.Layers(p)), func(l *spatial.Layer) bool { return string(bytes.TrimSpace(l.Style)) == "[]" })
	ids := make([]string, 0, len(layers))
	for _, l := range layers {
		ids = append(ids, l.ID)
	}
	colors, err := s.pipeColors(ctx)
	if err != nil {
		return nil, err
	}
	bounds, err := s.DataBounds(ctx)
	if err != nil {
		return nil, err
	}
	st := map[string]any{
		"version": 8,
		"name":    "一图 One map",
		"metadata": map[string]any{
			"yitu:title_zh": "一图底图", "yitu:title_en": "One-map base map",
			"yitu:pipe_types": colors,
		},
		"center":  []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2},
		"zoom":    14,
		"sprite":  base + "/sprites/onemap",
		"glyphs":  base + "/fonts/{fontstack}/{range}.pbf",
		"sources": map[string]any{},
	}
	out := []map[string]any{{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f7f5ef"}}}
	if len(ids) > 0 {
		st["sources"] = map[string]any{"onemap": map[string]any{
			"type": "vector", "url": base + "/tiles/" + strings.Join(ids, ",") + ".json",
			"attribution": "一图 Yitu",
		}}
	}
	// Areas first, then lines, then points and labels, whatever the catalog order.
	var areas, lines, points []map[string]any
	for _, l := range layers {
		minZoom, _ := s.ZoomRange(l.ID)
		var frags []map[string]any
		if custom, ok := customStyle(l); ok {
			frags = custom
		} else {
			frags = defaultStyle(l, colors)
		}
		for i, f := range frags {
			if _, ok := f["id"]; !ok {
				f["id"] = fmt.Sprintf("%s-%d", l.ID, i)
			}
			f["source"] = "onemap"
			f["source-layer"] = l.ID
			if _, ok := f["minzoom"]; !ok {
				f["minzoom"] = minZoom
			}
			// A fragment may title itself (a legend entry of its own); the catalog layer's titles otherwise.
			md := map[string]any{"yitu:title_zh": l.TitleZh, "yitu:title_en": l.TitleEn}
			if own, ok := f["metadata"].(map[string]any); ok {
				maps.Copy(md, own)
			}
			md["yitu:layer"] = l.ID
			f["metadata"] = md
			switch f["type"] {
			case "fill", "fill-extrusion":
				areas = append(areas, f)
			case "line":
				lines = append(lines, f)
			default:
				points = append(points, f)
			}
		}
	}
	out = append(append(append(out, areas...), lines...), points...)
	st["layers"] = out
	return st, nil
}

// PipeType is a row of pipeline.type.
type PipeType struct {
	Code    string `json:"code"`
	NameZh  string `json:"name_zh"`
	NameEn  string `json:"name_en"`
	Color   string `json:"color"`
	Gravity bool   `json:"gravity"`
}

func (s *Service) pipeColors(ctx context.Context) ([]PipeType, error) {
	rows, err := s.pool.Query(ctx, "SELECT code, name_zh, name_en, color, gravity FROM pipeline.type ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("reading pipeline.type: %w", err)
	}
	defer rows.Close()
	var out []PipeType
	for rows.Next() {
		var t PipeType
		if err := rows.Scan(&t.Code, &t.NameZh, &t.NameEn, &t.Color, &t.Gravity); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// customStyle reads a catalog layer's style: a list of MapLibre layers, or an object with "layers".
func customStyle(l *spatial.Layer) ([]map[string]any, bool) {
	if len(l.Style) == 0 || string(l.Style) == "null" {
		return nil, false
	}
	var list []map[string]any
	if err := json.Unmarshal(l.Style, &list); err == nil && len(list) > 0 {
		return list, true
	}
	var obj struct {
		Layers []map[string]any `json:"layers"`
	}
	if err := json.Unmarshal(l.Style, &obj); err == nil && len(obj.Layers) > 0 {
		return obj.Layers, true
	}
	return nil, false
}

func geomIs(types ...string) []any {
	out := []any{"match", []any{"geometry-type"}}
	out = append(out, toAny(types), true, false)
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

var (
	polygons = geomIs("Polygon", "MultiPolygon")
	linesF   = geomIs("LineString", "MultiLineString")
	pointsF  = geomIs("Point", "MultiPoint")
	// majorRoad and indexContour split a layer's lines into two style layers with constant paint: each
	// data-driven combination of a layer type's paint properties is a WebGL program the viewer compiles
	// (and, under a software renderer, a pipeline it JIT-compiles) before the first view is drawn.
	majorRoad    = []any{"match", []any{"get", "grade"}, toAny([]string{"主干路", "快速路"}), true, false}
	indexContour = []any{"==", []any{"get", "is_index"}, true}
)

// zoomed interpolates a value exponentially between zoom stops.
func zoomed(stops ...float64) []any {
	out := []any{"interpolate", []any{"exponential", 1.6}, []any{"zoom"}}
	for _, s := range stops {
		out = append(out, s)
	}
	return out
}

func label(field any, size float64) map[string]any {
	return map[string]any{
		"text-field": field, "text-font": StyleFont, "text-size": size,
		"text-max-width": 8, "text-padding": 2,
	}
}

func halo(color string) map[string]any {
	return map[string]any{"text-color": color, "text-halo-color": "#ffffff", "text-halo-width": 1.5}
}

// pipeColorExpr is a match expression from pipe type to its CJJ 61 colour.
func pipeColorExpr(colors []PipeType) []any {
	e := []any{"match", []any{"get", "pipe_type"}}
	for _, t := range colors {
		e = append(e, t.Code, t.Color)
	}
	return append(e, "#888888")
}

// defaultStyle symbolises a layer after the 1:500 topographic map (GB/T 20257.1) and CJJ 61.
func defaultStyle(l *spatial.Layer, colors []PipeType) []map[string]any {
	id := l.ID
	switch id {
	case "basemap.building":
		return []map[string]any{
			{"id": id + "-fill", "type": "fill", "paint": map[string]any{"fill-color": "#e4d8c8", "fill-outline-color": "#a8927a"}},
			{"id": id + "-line", "type": "line", "minzoom": 15, "paint": map[string]any{"line-color": "#8f7a62", "line-width": zoomed(15, 0.5, 19, 1.5)}},
			{"id": id + "-floors", "type": "symbol", "minzoom": 17, "filter": []any{"has", "floors"},
				"layout": merge(label([]any{"concat", []any{"coalesce", []any{"get", "structure"}, ""}, []any{"to-string", []any{"get", "floors"}}}, 11), map[string]any{"symbol-placement": "point"}),
				"paint":  halo("#6b5a48")},
		}
	case "basemap.road":
		return []map[string]any{
			{"id": id + "-area", "type": "fill", "filter": polygons, "paint": map[string]any{"fill-color": "#ffffff", "fill-outline-color": "#b8b8b8"}},
			{"id": id + "-casing", "type": "line", "filter": linesF, "layout": map[string]any{"line-cap": "round", "line-join": "round"},
				"paint": map[string]any{"line-color": "#b0a898", "line-width": zoomed(10, 1, 14, 4, 18, 26)}},
			// Arterials and expressways in yellow on a layer of their own rather than by a match on
			// grade: a paint value that varies by feature is a shader program of its own (see majorRoad).
			{"id": id + "-line", "type": "line", "filter": []any{"all", linesF, []any{"!", majorRoad}}, "layout": map[string]any{"line-cap": "round", "line-join": "round"},
				"metadata": map[string]any{"yitu:title_zh": "其他道路", "yitu:title_en": "Other roads"},
				"paint":    map[string]any{"line-color": "#ffffff", "line-width": zoomed(10, 0.5, 14, 3, 18, 22)}},
			{"id": id + "-major", "type": "line", "filter": []any{"all", linesF, majorRoad}, "layout": map[string]any{"line-cap": "round", "line-join": "round"},
				"metadata": map[string]any{"yitu:title_zh": "主干路、快速路", "yitu:title_en": "Arterial road, expressway"},
				"paint":    map[string]any{"line-color": "#ffe8a8", "line-width": zoomed(10, 0.5, 14, 3, 18, 22)}},
			{"id": id + "-name", "type": "symbol", "minzoom": 14, "filter": linesF,
				"layout": merge(label([]any{"get", "name"}, 13), map[string]any{"symbol-placement": "line", "text-font": StyleFontBold}),
				"paint":  halo("#5a5045")},
		}
	case "basemap.water":
		return []map[string]any{
			{"id": id + "-fill", "type": "fill", "filter": polygons, "paint": map[string]any{"fill-color": "#aad3ee", "fill-outline-color": "#5b9bd5"}},
			{"id": id + "-line", "type": "line", "filter": linesF, "paint": map[string]any{"line-color": "#5b9bd5", "line-width": zoomed(12, 0.8, 18, 3)}},
			{"id": id + "-name", "type": "symbol", "filter": linesF, "layout": merge(label([]any{"get", "name"}, 12), map[string]any{"symbol-placement": "line"}),
				"paint": halo("#2f6ea6")},
		}
	case "basemap.vegetation":
		return []map[string]any{
			{"id": id + "-fill", "type": "fill", "filter": polygons, "paint": map[string]any{"fill-color": "#d6eac4", "fill-opacity": 0.8}},
			{"id": id + "-line", "type": "line", "filter": linesF, "paint": map[string]any{"line-color": "#8cbf6c", "line-dasharray": []float64{1, 2}}},
		}
	case "basemap.landform":
		return []map[string]any{{"id": id + "-line", "type": "line", "paint": map[string]any{"line-color": "#b4916a", "line-width": 0.8}}}
	case "basemap.contour":
		return []map[string]any{
			{"id": id + "-line", "type": "line", "filter": []any{"!", indexContour}, "paint": map[string]any{"line-color": "#c49a6c", "line-width": 0.6}},
			{"id": id + "-index", "type": "line", "filter": indexContour, "paint": map[string]any{"line-color": "#c49a6c", "line-width": 1.4}},
			{"id": id + "-value", "type": "symbol", "minzoom": 16, "filter": indexContour,
				"layout": merge(label([]any{"to-string", []any{"get", "elevation"}}, 10), map[string]any{"symbol-placement": "line"}), "paint": halo("#9a7048")},
		}
	case "basemap.facility", "basemap.other":
		return []map[string]any{
			{"id": id + "-fill", "type": "fill", "filter": polygons, "paint": map[string]any{"fill-color": "#dcdcdc", "fill-outline-color": "#909090"}},
			{"id": id + "-line", "type": "line", "filter": linesF, "paint": map[string]any{"line-color": "#8c8c8c", "line-width": 0.8}},
			{"id": id + "-point", "type": "circle", "filter": pointsF, "paint": map[string]any{"circle-radius": 2.5, "circle-color": "#707070"}},
		}
	case "basemap.boundary":
		return []map[string]any{{"id": id + "-line", "type": "line", "paint": map[string]any{"line-color": "#9b59b6",
			"line-width": zoomed(10, 1, 16, 2.5), "line-dasharray": []float64{4, 2, 1, 2}}}}
	case "basemap.pipe_facility":
		return []map[string]any{
			{"id": id + "-line", "type": "line", "filter": linesF, "paint": map[string]any{"line-color": "#707070"}},
			{"id": id + "-point", "type": "symbol", "filter": pointsF, "layout": map[string]any{"icon-image": "manhole", "icon-size": 0.7, "icon-allow-overlap": true},
				"paint": map[string]any{"icon-color": "#606060"}},
		}
	case "basemap.control_point":
		return []map[string]any{{"id": id + "-symbol", "type": "symbol",
			"layout": merge(label([]any{"coalesce", []any{"get", "point_name"}, []any{"get", "name"}}, 11),
				map[string]any{"icon-image": "control_point", "icon-allow-overlap": true, "text-offset": []float64{0, 1.2}, "text-anchor": "top"}),
			"paint": merge(halo("#c0392b"), map[string]any{"icon-color": "#c0392b"})}}
	case "basemap.elevation_point":
		return []map[string]any{{"id": id + "-symbol", "type": "symbol",
			"layout": merge(label([]any{"number-format", []any{"get", "elevation"}, map[string]any{"min-fraction-digits": 2, "max-fraction-digits": 2}}, 10),
				map[string]any{"icon-image": "elevation_point", "text-offset": []float64{0.6, 0}, "text-anchor": "left"}),
			"paint": merge(halo("#6e4b2a"), map[string]any{"icon-color": "#6e4b2a"})}}
	case "basemap.annotation":
		return []map[string]any{{"id": id + "-text", "type": "symbol",
			"layout": merge(label([]any{"get", "text"}, 13), map[string]any{
				// CASS rotates annotations counter-clockwise in degrees; MapLibre turns text clockwise.
				"text-rotate":             []any{"*", -1, []any{"coalesce", []any{"get", "rotation"}, 0}},
				"text-size":               []any{"interpolate", []any{"linear"}, []any{"zoom"}, 16, 11, 19, 18},
				"text-rotation-alignment": "map", "text-allow-overlap": true}),
			"paint": halo("#333333")}}
	case "basemap.label":
		return []map[string]any{{"id": id + "-text", "type": "symbol",
			"layout": merge(label([]any{"get", "name"}, 12), map[string]any{"symbol-sort-key": []any{"*", -1, []any{"get", "rank"}}}),
			"paint":  halo("#4a4036")}}
	case "pipeline.segment":
		return []map[string]any{
			{"id": id + "-line", "type": "line", "layout": map[string]any{"line-cap": "round"},
				"paint": map[string]any{"line-color": pipeColorExpr(colors),
					"line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 12, 1, 16, []any{"max", 1.5, []any{"/", []any{"coalesce", []any{"get", "diameter_mm"}, 200}, 150}}, 20, 6}}},
			{"id": id + "-label", "type": "symbol", "minzoom": 17,
				"layout": merge(label([]any{"concat", []any{"get", "pipe_type"}, " ", []any{"coalesce", []any{"get", "material"}, ""},
					[]any{"case", []any{"has", "diameter_mm"}, []any{"concat", " DN", []any{"to-string", []any{"get", "diameter_mm"}}}, ""}}, 10),
					map[string]any{"symbol-placement": "line"}),
				"paint": merge(halo("#333333"), map[string]any{"text-color": pipeColorExpr(colors)})},
		}
	case "pipeline.point":
		return []map[string]any{{"id": id + "-symbol", "type": "symbol",
			"layout": map[string]any{"icon-allow-overlap": true,
				"icon-image": []any{"match", []any{"get", "appendage"}, "检修井", "manhole", toAny([]string{"阀门", "阀门井"}), "valve", "消防栓", "hydrant", "pipe_point"}},
			"paint": map[string]any{"icon-color": pipeColorExpr(colors), "icon-halo-color": "#ffffff", "icon-halo-width": 1}}}
	}
	// Any other layer, by geometry.
	return []map[string]any{
		{"id": id + "-fill", "type": "fill", "filter": polygons, "paint": map[string]any{"fill-color": "#c8d7e6", "fill-opacity": 0.6, "fill-outline-color": "#5a7896"}},
		{"id": id + "-line", "type": "line", "filter": linesF, "paint": map[string]any{"line-color": "#5a7896", "line-width": 1.2}},
		{"id": id + "-point", "type": "circle", "filter": pointsF, "paint": map[string]any{"circle-radius": 4, "circle-color": "#5a7896", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}},
	}
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}
