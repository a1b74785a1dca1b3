package server

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/features"
)

// openAPIParameters describes every query parameter the routes name.
func openAPIParameters() map[string]map[string]any {
	str := map[string]any{"type": "string"}
	crs := map[string]any{"type": "string", "format": "uri", "enum": crsURIs(), "default": features.CRS84URI}
	q := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema, "style": "form", "explode": false}
	}
	return map[string]map[string]any{
		"limit": q("limit", "Features per page (每页要素数).", map[string]any{"type": "integer", "minimum": 1,
			"maximum": features.MaxLimit, "default": features.DefaultLimit}),
		"offset": q("offset", "Features to skip; next and prev links carry it.", map[string]any{"type": "integer", "minimum": 0, "default": 0}),
		"bbox": q("bbox", "Features intersecting the box minx,miny,maxx,maxy (in bbox-crs axis order).", map[string]any{
			"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}),
		"bbox-crs": q("bbox-crs", "CRS of bbox.", crs),
		"datetime": q("datetime", "An RFC 3339 instant or interval (a/b, ../b, a/..) on the collection's first datetime property; ignored by collections without one.", str),
		"filter":   q("filter", "A CQL2 filter (text or JSON) over the queryables.", str),
		"filter-lang": q("filter-lang", "Language of filter (cql-text, the draft's name, is read as cql2-text for GDAL before 3.7).",
			map[string]any{"type": "string", "enum": []string{"cql2-text", "cql2-json", "cql-text"}, "default": "cql2-text"}),
		"filter-crs": q("filter-crs", "CRS of the geometry literals in filter.", crs),
		"sortby":     q("sortby", "Comma-separated properties, each optionally prefixed + (ascending) or - (descending).", str),
		"properties": q("properties", "The properties to return (comma-separated); empty for none.", map[string]any{"type": "array", "items": str}),
		"crs":        q("crs", "CRS of the returned geometries (Content-Crs says which).", crs),
		"near":       q("near", "lon,lat (CRS84): features within radius metres, nearest first.", str),
		"radius":     q("radius", "Metres around near (at most 100000).", map[string]any{"type": "number", "minimum": 0, "maximum": 100000}),
		"f":          q("f", "Response format; by default the Accept header decides.", map[string]any{"type": "string", "enum": []string{"json", "html"}}),
		"q":          q("q", "Search text: a name, an address or part of one (名称或地址).", str),
		"lon":        q("lon", "Longitude (CRS84).", map[string]any{"type": "number"}),
		"lat":        q("lat", "Latitude (CRS84).", map[string]any{"type": "number"}),
		"line": q("line", "The section line lon,lat,lon,lat,… (CGCS2000 longitude/latitude, at least two points).", map[string]any{
			"type": "array", "minItems": 4, "items": map[string]any{"type": "number"}}),
		"buffer":          q("buffer", "Boreholes within this many metres of the line are drawn (default 50).", map[string]any{"type": "number", "minimum": 0}),
		"f-section":       q("f", "json (GeoJSON in distance, elevation) or svg (the profile drawing).", map[string]any{"type": "string", "enum": []string{"json", "geojson", "svg"}}),
		"z":               q("z", "Map zoom (512-pixel tiles): sets the pick tolerance and which layers are visible.", map[string]any{"type": "number", "minimum": 0, "maximum": 24}),
		"layers":          q("layers", "Comma-separated collection ids to look in (default: every readable one).", str),
		"kind":            q("kind", "Comma-separated live object kinds: vehicle, team, sensor, camera, hotspot.", str),
		"at":              q("at", "An RFC 3339 time: the state of every live object then, from history (回放).", map[string]any{"type": "string", "format": "date-time"}),
		"lookback":        q("lookback", "With at: how far before at an object's last report may be (Go duration, default 24h).", str),
		"from":            q("from", "Start of the period, RFC 3339 (default: 24 hours before to).", map[string]any{"type": "string", "format": "date-time"}),
		"to":              q("to", "End of the period, RFC 3339 (default: now).", map[string]any{"type": "string", "format": "date-time"}),
		"points":          q("points", "At most this many points: raw readings, or means over equal time buckets with min, max and count.", map[string]any{"type": "integer", "minimum": 2, "maximum": 10000, "default": 500}),
		"name":            q("name", "Which of a sensor's values (default: value, else the first).", str),
		"f-track":         q("f", "Track format: GeoJSON (json) or GPX 1.1 (gpx).", map[string]any{"type": "string", "enum": []string{"json", "gpx"}, "default": "json"}),
		"state":           q("state", "Comma-separated alarm states: raised, acknowledged, cleared, closed.", str),
		"alarm-kind":      q("kind", "Comma-separated alarm kinds (enter, exit, speed, threshold, jt808_emergency, …).", str),
		"incident-state":  q("state", "Comma-separated incident states: reported, accepted, rejected, merged, dispatched, handling, resolved, evaluated.", str),
		"attachment-name": q("name", "The file name of an attachment sent as the raw body (a multipart upload carries its own).", str),
		"incident-type":   q("type", "Comma-separated incident types (forest_fire, hazmat, mine, sensor, …).", str),
		"live-layer":      q("layer", "Comma-separated live layers whose alarms and devices count (live.vehicle, live.hazmat, live.team, live.sensor, live.camera; default: all the caller may read).", str),
		"overdue":         q("overdue", "Only dispatched or handling incidents past their deadline.", map[string]any{"type": "boolean"}),
		"level":           q("level", "Comma-separated levels: blue, yellow, orange, red.", str),
		"object":          q("object", "The device (or group) the alarms are about.", str),
		"alarm-limit":     q("limit", "At most this many alarms.", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000}),
		"kinds":           q("kinds", "Comma-separated live object kinds: vehicle, team, sensor, camera, hotspot (default: every kind).", str),
		"last_event_id":   q("last_event_id", "The last event id received (unix nanoseconds), for a client that cannot send the Last-Event-ID header: what was missed since is replayed.", str),
		"access_token":    q("access_token", "The bearer token, for browsers that cannot set Authorization on a WebSocket or EventSource (only /live/ws and /live/sse take it).", str),
		"fire-radius":     q("radius", "Metres around the fire (default 10000, at most 50000).", map[string]any{"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 50000, "default": 10000}),
	}
}

var pathParam = regexp.MustCompile(`:(\w+)`)

// openAPIDocument is the OpenAPI 3.0 description of the feature routes, generated from the table that
// registers them, with the items path of each readable collection spelled out with its properties as
// query parameters (queryables-query-parameters; GDAL reads them from there).
func (s *Server) openAPIDocument(base string, layers []*spatial.Layer) map[string]any {
	params := openAPIParameters()
	paths := map[string]map[string]any{}
	routes := s.apiRoutes // every route added with addRoutes: features, live, watch, command, fires
	if s.deps.FireSpread != nil {
		maps.Copy(params, fireParameters())
	}
	for _, r := range routes {
		p := pathParam.ReplaceAllString(r.path, "{$1}")
		var ps []any
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			ps = append(ps, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, n := range r.params {
			def, ok := params[n]
			if !ok {
				panic("openapi: parameter " + n + " of " + r.id + " is not described")
			}
			ps = append(ps, def)
		}
		responses := map[string]any{}
		for _, code := range slices.Sorted(maps.Keys(r.responses)) {
			resp := map[string]any{"description": statusText(code)}
			switch media := r.responses[code]; {
			case code >= 400:
				resp["content"] = map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/problem"}}}
			case media != "":
				content := map[string]any{media: map[string]any{"schema": map[string]any{"type": "object"}}}
				if media == mediaJSON || media == mediaGeoJSON || media == mediaSchema {
					content[mediaHTML] = map[string]any{"schema": map[string]any{"type": "string"}}
				}
				resp["content"] = content
			}
			responses[strconv.Itoa(code)] = resp
		}
		op := map[string]any{"operationId": r.id, "summary": r.summary, "responses": responses}
		if len(ps) > 0 {
			op["parameters"] = ps
		}
		if r.body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{r.body: map[string]any{"schema": map[string]any{"type": "object"}}}}
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if r.method == "DELETE" {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][lowerMethod(r.method)] = op
	}
	generic := paths["/collections/{collectionId}/items"]["get"].(map[string]any)
	for _, l := range layers {
		if !l.IsTable() {
			continue
		}
		ps := slices.Clone(generic["parameters"].([]any)[1:]) // no collectionId
		for _, p := range l.Properties {
			if p.Type == "object" {
				continue
			}
			schema := jsonSchemaType(p.Type)
			delete(schema, "format")
			ps = append(ps, map[string]any{"name": p.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": p.TitleZh + " " + p.TitleEn + ": features whose value equals this", "schema": schema})
		}
		op := maps.Clone(generic)
		op["operationId"] = "getFeatures." + l.ID
		op["summary"] = l.TitleZh + " " + l.TitleEn
		op["parameters"] = ps
		paths["/collections/"+l.ID+"/items"] = map[string]any{"get": op}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "一图 Yitu — OGC API – Features",
			"version":     s.deps.Version,
			"description": "莱州市“一张图”要素服务。Features of the Laizhou one map: OGC API – Features Parts 1–4 with CQL2, search and identify.",
			"license":     map[string]any{"name": "Open source"},
		},
		"servers": []any{map[string]any{"url": base}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "A token from `yitu token create`."}},
			"schemas": map[string]any{"problem": map[string]any{"type": "object", "properties": map[string]any{
				"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"}, "status": map[string]any{"type": "integer"},
				"detail": map[string]any{"type": "string"}, "parameter": map[string]any{"type": "string"}, "request_id": map[string]any{"type": "string"}}}},
		},
	}
}

func lowerMethod(m string) string {
	return map[string]string{"GET": "get", "POST": "post", "PUT": "put", "PATCH": "patch", "DELETE": "delete"}[m]
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return strconv.Itoa(code)
}

func (s *Server) openAPI(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	doc := s.openAPIDocument(baseURL(c), s.deps.Catalog.Current().Readable(principal(c)))
	if f == "html" {
		return renderHTML(c, "接口 API", doc)
	}
	return sendJSON(c, mediaOpenAPI, doc)
}
