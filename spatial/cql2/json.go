package cql2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ParseJSON parses a CQL2 JSON filter.
func ParseJSON(b []byte) (*Filter, error) {
	if len(b) > maxLength {
		return nil, &SyntaxError{Msg: fmt.Sprintf("the filter is longer than %d bytes", maxLength)}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &SyntaxError{Path: "$", Msg: "not JSON: " + err.Error()}
	}
	if d.More() {
		return nil, &SyntaxError{Path: "$", Msg: "text after the JSON value"}
	}
	n, err := jsonNode(v, "$", 0)
	if err != nil {
		return nil, err
	}
	return &Filter{Root: n, Lang: LangJSON}, nil
}

func jerr(path, format string, args ...any) error {
	return &SyntaxError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func jsonNode(v any, path string, depth int) (Node, error) {
	if depth > maxDepth {
		return nil, jerr(path, "the filter nests deeper than %d levels", maxDepth)
	}
	switch v := v.(type) {
	case nil:
		return nil, jerr(path, "null is not a CQL2 expression")
	case bool:
		return &Bool{V: v}, nil
	case string:
		return &Str{V: v}, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, jerr(path, "%s is not a number", v)
		}
		return &Num{V: f}, nil
	case []any:
		items := make([]Node, 0, len(v))
		for i, e := range v {
			n, err := jsonNode(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, n)
		}
		return &List{Items: items}, nil
	case map[string]any:
		return jsonObject(v, path, depth)
	}
	return nil, jerr(path, "unexpected JSON value")
}

func jsonObject(m map[string]any, path string, depth int) (Node, error) {
	single := func(key string) (any, bool) {
		x, ok := m[key]
		return x, ok && len(m) == 1
	}
	if x, ok := m["op"]; ok {
		name, isStr := x.(string)
		if !isStr || name == "" {
			return nil, jerr(path+".op", "op must be a non-empty string")
		}
		raw, ok := m["args"]
		if !ok {
			return nil, jerr(path, "op %q has no args", name)
		}
		list, isList := raw.([]any)
		if !isList {
			return nil, jerr(path+".args", "args must be an array")
		}
		args := make([]Node, 0, len(list))
		for i, a := range list {
			n, err := jsonNode(a, fmt.Sprintf("%s.args[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			args = append(args, n)
		}
		if name != "isNull" {
			name = strings.ToLower(name)
		}
		if name == "isnull" {
			name = "isNull"
		}
		return &Op{Name: name, Args: args}, nil
	}
	if x, ok := single("property"); ok {
		name, isStr := x.(string)
		if !isStr || name == "" {
			return nil, jerr(path+".property", "property must be a non-empty string")
		}
		return &Prop{Name: name}, nil
	}
	if x, ok := single("timestamp"); ok {
		s, _ := x.(string)
		return instant(s, false, 0, path+".timestamp")
	}
	if x, ok := single("date"); ok {
		s, _ := x.(string)
		return instant(s, true, 0, path+".date")
	}
	if x, ok := single("interval"); ok {
		list, isList := x.([]any)
		if !isList || len(list) != 2 {
			return nil, jerr(path+".interval", "interval must be an array of a start and an end")
		}
		var ends [2]Node
		for i, e := range list {
			p := fmt.Sprintf("%s.interval[%d]", path, i)
			n, err := jsonNode(e, p, depth+1)
			if err != nil {
				return nil, err
			}
			if ends[i], err = intervalEnd(n, p); err != nil {
				return nil, err
			}
		}
		return &Interval{Start: ends[0], End: ends[1]}, nil
	}
	if x, ok := single("bbox"); ok {
		list, isList := x.([]any)
		if !isList {
			return nil, jerr(path+".bbox", "bbox must be an array of numbers")
		}
		v := make([]float64, 0, len(list))
		for i, e := range list {
			n, isNum := e.(json.Number)
			f, err := n.Float64()
			if !isNum || err != nil {
				return nil, jerr(fmt.Sprintf("%s.bbox[%d]", path, i), "not a number")
			}
			v = append(v, f)
		}
		return bbox(v, 0, path+".bbox")
	}
	if x, ok := m["function"]; ok && len(m) == 1 { // the draft encoding {"function":{"name","args"}}
		f, isObj := x.(map[string]any)
		if !isObj {
			return nil, jerr(path+".function", "function must be an object with name and args")
		}
		return jsonObject(map[string]any{"op": f["name"], "args": f["args"]}, path+".function", depth+1)
	}
	if _, ok := m["type"]; ok {
		g, err := geoJSONGeometry(m, path, depth)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(g)
		if err != nil {
			return nil, err
		}
		return &Geom{GeoJSON: b}, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return nil, jerr(path, "unknown object with keys %v; expected op, property, timestamp, date, interval, bbox or a GeoJSON geometry", keys)
}

// geoJSONGeometry checks a GeoJSON geometry object: its type and the nesting of its coordinates.
func geoJSONGeometry(m map[string]any, path string, depth int) (geoJSON, error) {
	typ, _ := m["type"].(string)
	if typ == "GeometryCollection" {
		list, ok := m["geometries"].([]any)
		if !ok || len(list) == 0 {
			return geoJSON{}, jerr(path+".geometries", "a GeometryCollection needs geometries")
		}
		g := geoJSON{Type: typ}
		for i, e := range list {
			o, ok := e.(map[string]any)
			if !ok || depth > maxDepth {
				return g, jerr(fmt.Sprintf("%s.geometries[%d]", path, i), "not a geometry")
			}
			c, err := geoJSONGeometry(o, fmt.Sprintf("%s.geometries[%d]", path, i), depth+1)
			if err != nil {
				return g, err
			}
			g.Geometries = append(g.Geometries, c)
		}
		return g, nil
	}
	nesting := map[string]int{"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
	want, ok := nesting[typ]
	if !ok {
		return geoJSON{}, jerr(path+".type", "%q is not a GeoJSON geometry type", typ)
	}
	c, err := coordinates(m["coordinates"], want, path+".coordinates")
	if err != nil {
		return geoJSON{}, err
	}
	return geoJSON{Type: typ, Coordinates: c}, nil
}

// coordinates checks nested coordinate arrays: depth 0 is a position of 2 or 3 numbers.
func coordinates(v any, depth int, path string) (any, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, jerr(path, "expected a non-empty array of coordinates")
	}
	if depth == 0 {
		if len(list) < 2 || len(list) > 3 {
			return nil, jerr(path, "a position has 2 or 3 numbers, got %d", len(list))
		}
		pos := make([]float64, len(list))
		for i, e := range list {
			n, isNum := e.(json.Number)
			f, err := n.Float64()
			if !isNum || err != nil {
				return nil, jerr(fmt.Sprintf("%s[%d]", path, i), "not a number")
			}
			pos[i] = f
		}
		return pos, nil
	}
	out := make([]any, len(list))
	for i, e := range list {
		c, err := coordinates(e, depth-1, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}
