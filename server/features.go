package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
	"github.com/yitu-gis/yitu/spatial/features"
)

// Media types of OGC API – Features.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaSchema  = "application/schema+json"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaHTML    = "text/html"
	mediaPatch   = "application/merge-patch+json"
)

// Conformance classes declared at /conformance: each is exercised by the tests of this package
// (features_test.go, conformance_test.go, gdal_test.go).
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
}

// link is a web link of OGC API documents.
type link struct {
	Href     string `json:"href"`
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	HrefLang string `json:"hreflang,omitempty"`
}

// apiRoute is one operation: registered on the app and described in the OpenAPI document from the
// same table, so the two cannot drift.
type apiRoute struct {
	method, path string // fiber path (:param)
	id, summary  string
	params       []string // query parameters, named in openAPIParameters
	responses    map[int]string
	body         string // request media type, "" for none
	handler      fiber.Handler
}

func (s *Server) featureRoutes() []apiRoute {
	return []apiRoute{
		{method: "GET", path: "/", id: "getLandingPage", summary: "Landing page 服务首页", params: []string{"f"}, responses: map[int]string{200: mediaJSON}, handler: s.landing},
		{method: "GET", path: "/conformance", id: "getConformance", summary: "Conformance classes 符合性类", params: []string{"f"}, responses: map[int]string{200: mediaJSON}, handler: s.conformancePage},
		{method: "GET", path: "/api", id: "getAPI", summary: "This OpenAPI 3.0 document", params: []string{"f"}, responses: map[int]string{200: mediaOpenAPI}, handler: s.openAPI},
		{method: "GET", path: "/collections", id: "getCollections", summary: "Feature collections the caller may read 图层列表", params: []string{"f"}, responses: map[int]string{200: mediaJSON}, handler: s.collections},
		{method: "GET", path: "/collections/:collectionId", id: "describeCollection", summary: "A feature collection 图层", params: []string{"f"}, responses: map[int]string{200: mediaJSON, 404: ""}, handler: s.collection},
		{method: "GET", path: "/collections/:collectionId/queryables", id: "getQueryables", summary: "Properties a filter may use 可查询属性", params: []string{"f"}, responses: map[int]string{200: mediaSchema, 404: ""}, handler: s.queryables},
		{method: "GET", path: "/collections/:collectionId/items", id: "getFeatures", summary: "Features of a collection, paged and filtered 要素", params: itemsParams, responses: map[int]string{200: mediaGeoJSON, 400: "", 404: ""}, handler: s.items},
		{method: "POST", path: "/collections/:collectionId/items", id: "createFeature", summary: "Create a feature 新增要素", body: mediaGeoJSON, responses: map[int]string{201: "", 400: "", 401: "", 403: ""}, handler: s.createFeature},
		{method: "GET", path: "/collections/:collectionId/items/:featureId", id: "getFeature", summary: "One feature 单个要素", params: []string{"crs", "properties", "f"}, responses: map[int]string{200: mediaGeoJSON, 304: "", 404: ""}, handler: s.item},
		{method: "PUT", path: "/collections/:collectionId/items/:featureId", id: "replaceFeature", summary: "Replace a feature 替换要素", body: mediaGeoJSON, responses: map[int]string{204: "", 400: "", 401: "", 403: "", 404: "", 412: ""}, handler: s.replaceFeature},
		{method: "PATCH", path: "/collections/:collectionId/items/:featureId", id: "updateFeature", summary: "Update a feature with a JSON merge patch 修改要素", body: mediaPatch, responses: map[int]string{204: "", 400: "", 401: "", 403: "", 404: "", 412: ""}, handler: s.updateFeature},
		{method: "DELETE", path: "/collections/:collectionId/items/:featureId", id: "deleteFeature", summary: "Delete a feature 删除要素", responses: map[int]string{204: "", 401: "", 403: "", 404: "", 412: ""}, handler: s.deleteFeature},
		{method: "GET", path: "/search", id: "search", summary: "Find named features: roads, places, buildings, annotations 地名地址搜索", params: []string{"q", "limit", "layers"}, responses: map[int]string{200: mediaGeoJSON, 400: ""}, handler: s.search},
		{method: "GET", path: "/identify", id: "identify", summary: "What is at a point at a zoom, across visible layers 点选查询", params: []string{"lon", "lat", "z", "layers"}, responses: map[int]string{200: mediaGeoJSON, 400: ""}, handler: s.identify},
	}
}

// registerFeatures adds OGC API – Features, search and identify.
func (s *Server) registerFeatures() {
	if s.deps.Features == nil || s.deps.Catalog == nil {
		return
	}
	s.addRoutes(s.featureRoutes())
}

// addRoutes registers API routes; a 401 they answer carries the WWW-Authenticate challenge.
func (s *Server) addRoutes(routes []apiRoute) {
	s.apiRoutes = append(s.apiRoutes, routes...)
	for _, r := range routes {
		h := r.handler
		handle := func(c *fiber.Ctx) error {
			err := h(c)
			if err != nil {
				challenge(c, err)
			}
			return err
		}
		s.app.Add(r.method, r.path, handle)
		if r.method == fiber.MethodGet { // HEAD answers as GET without the body
			s.app.Add(fiber.MethodHead, r.path, handle)
		}
	}
}

// lang is the language of titles: Chinese unless the client prefers English.
func lang(c *fiber.Ctx) string {
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderAcceptLanguage)), "en") {
		return "en"
	}
	return "zh"
}

// format decides between JSON (the default, as OGC clients expect) and HTML (a browser that asks for
// text/html before JSON, or f=html). f=json|geojson forces JSON.
func format(c *fiber.Ctx) (string, error) {
	switch f := c.Query("f"); f {
	case "json", "geojson", "jsonfg":
		return "json", nil
	case "html":
		return "html", nil
	case "":
	default:
		return "", spatial.Invalid("f", "format %q is not offered; use json or html", f)
	}
	if c.Accepts(mediaJSON, mediaGeoJSON, mediaSchema, mediaOpenAPI, mediaHTML) == mediaHTML {
		return "html", nil
	}
	return "json", nil
}

func baseURL(c *fiber.Ctx) string { return c.BaseURL() }

// sendJSON writes v with the given content type.
func sendJSON(c *fiber.Ctx, media string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, media)
	return c.Send(b)
}

func (s *Server) landing(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	if f == "html" && c.Query("f") == "" {
		// A browser at / gets the viewer when one is registered after this route.
		if err := c.Next(); err == nil || !isNotFound(err) {
			return err
		}
	}
	base := baseURL(c)
	doc := map[string]any{
		"title":       "一图 Yitu",
		"description": "莱州市“一张图”空间数据服务：基础地形图、地下管线、三维与实时图层。Laizhou one-map spatial data server: OGC API – Features.",
		"links": []link{
			{Href: base + "/?f=json", Rel: "self", Type: mediaJSON, Title: "本页 This document"},
			{Href: base + "/?f=html", Rel: "alternate", Type: mediaHTML, Title: "网页 As HTML"},
			{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "OpenAPI 3.0 接口定义"},
			{Href: base + "/api?f=html", Rel: "service-doc", Type: mediaHTML, Title: "接口文档 API documentation"},
			{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "符合性类 Conformance classes"},
			{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "图层 Collections"},
			{Href: base + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: mediaJSON, Title: "图层 Collections"},
		},
	}
	if f == "html" {
		return renderHTML(c, "一图 Yitu", doc)
	}
	return sendJSON(c, mediaJSON, doc)
}

func isNotFound(err error) bool {
	var fe *fiber.Error
	return errors.As(err, &fe) && fe.Code == fiber.StatusNotFound
}

func (s *Server) conformancePage(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	doc := map[string]any{"conformsTo": conformance}
	if f == "html" {
		return renderHTML(c, "符合性类 Conformance", doc)
	}
	return sendJSON(c, mediaJSON, doc)
}

// readable returns the collection a request names, if the caller may read it: 404 both for an unknown
// id and for a collection the caller may not read, with the same detail, so that neither its
// existence nor the roles that read it are revealed (it is listed to those who may).
func (s *Server) readable(c *fiber.Ctx) (*spatial.Layer, error) {
	id := c.Params("collectionId")
	l, ok := s.deps.Catalog.Current().Layer(id)
	if !ok || !l.IsTable() || !l.CanRead(principal(c)) {
		return nil, spatial.NotFound("collection %q", id)
	}
	return l, nil
}

// readableIn is the response format and the readable collection of a request.
func (s *Server) readableIn(c *fiber.Ctx) (string, *spatial.Layer, error) {
	f, err := format(c)
	if err != nil {
		return "", nil, err
	}
	l, err := s.readable(c)
	return f, l, err
}

// denied is 401 for an anonymous principal (credentials would help) and 403 otherwise.
func denied(p spatial.Principal, why string) error {
	if p.Subject == spatial.Anonymous.Subject {
		return fmt.Errorf("%s; send Authorization: Bearer <token>: %w", why, spatial.ErrUnauthorized)
	}
	return fmt.Errorf("%s, and %s holds %v: %w", why, p.Subject, p.Roles, spatial.ErrForbidden)
}

func (s *Server) collections(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	base, lg := baseURL(c), lang(c)
	var list []map[string]any
	for _, l := range s.deps.Catalog.Current().Readable(principal(c)) {
		if !l.IsTable() {
			continue
		}
		list = append(list, s.collectionDoc(c.UserContext(), base, lg, l))
	}
	doc := map[string]any{
		"links": []link{
			{Href: base + "/collections?f=json", Rel: "self", Type: mediaJSON},
			{Href: base + "/collections?f=html", Rel: "alternate", Type: mediaHTML},
		},
		"collections": list,
		"crs":         crsURIs(),
	}
	if f == "html" {
		return renderHTML(c, "图层 Collections", doc)
	}
	return sendJSON(c, mediaJSON, doc)
}

func crsURIs() []string {
	var out []string
	for _, c := range features.SupportedCRS() {
		out = append(out, c.URI)
	}
	return out
}

func (s *Server) collectionDoc(ctx context.Context, base, lg string, l *spatial.Layer) map[string]any {
	href := base + "/collections/" + url.PathEscape(l.ID)
	doc := map[string]any{
		"id":          l.ID,
		"title":       l.Title(lg),
		"description": strings.TrimSpace(l.TitleZh + " " + l.TitleEn + " " + l.Description),
		"itemType":    "feature",
		"crs":         crsURIs(),
		"storageCrs":  "http://www.opengis.net/def/crs/EPSG/0/4490",
		"links": []link{
			{Href: href + "?f=json", Rel: "self", Type: mediaJSON, Title: l.Title(lg)},
			{Href: href + "?f=html", Rel: "alternate", Type: mediaHTML},
			{Href: href + "/items?f=json", Rel: "items", Type: mediaGeoJSON, Title: "要素 Features"},
			{Href: href + "/items?f=html", Rel: "items", Type: mediaHTML, Title: "要素 Features"},
			{Href: href + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchema, Title: "可查询属性 Queryables"},
		},
	}
	if box, err := s.deps.Features.Extent(ctx, l); err == nil && box != nil {
		doc["extent"] = map[string]any{"spatial": map[string]any{"bbox": [][]float64{box[:]}, "crs": features.CRS84URI}}
	}
	return doc
}

func (s *Server) collection(c *fiber.Ctx) error {
	f, l, err := s.readableIn(c)
	if err != nil {
		return err
	}
	doc := s.collectionDoc(c.UserContext(), baseURL(c), lang(c), l)
	if f == "html" {
		return renderHTML(c, l.Title(lang(c)), doc)
	}
	return sendJSON(c, mediaJSON, doc)
}

// jsonSchemaType maps catalog property types to JSON Schema.
func jsonSchemaType(t string) map[string]any {
	switch t {
	case cql2.TypeInteger:
		return map[string]any{"type": "integer"}
	case cql2.TypeNumber:
		return map[string]any{"type": "number"}
	case cql2.TypeBoolean:
		return map[string]any{"type": "boolean"}
	case cql2.TypeDatetime:
		return map[string]any{"type": "string", "format": "date-time"}
	case cql2.TypeDate:
		return map[string]any{"type": "string", "format": "date"}
	case cql2.TypeGeometry:
		return map[string]any{"format": "geometry-any"}
	}
	return map[string]any{"type": "string"}
}

func (s *Server) queryables(c *fiber.Ctx) error {
	f, l, err := s.readableIn(c)
	if err != nil {
		return err
	}
	lg := lang(c)
	props := map[string]any{}
	for _, q := range features.Queryables(l) {
		p := jsonSchemaType(q.Type)
		p["title"] = q.Name
		if i := slices.IndexFunc(l.Properties, func(p spatial.Property) bool { return p.Name == q.Name }); i >= 0 {
			if lg == "en" {
				p["title"] = l.Properties[i].TitleEn
			} else {
				p["title"] = l.Properties[i].TitleZh
			}
		}
		if q.Type == cql2.TypeGeometry {
			p["x-ogc-role"] = "primary-geometry"
		}
		if q.Name == l.IDColumn {
			p["x-ogc-role"] = "id"
		}
		props[q.Name] = p
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2019-09/schema",
		"$id":                  baseURL(c) + "/collections/" + url.PathEscape(l.ID) + "/queryables",
		"type":                 "object",
		"title":                l.Title(lg),
		"properties":           props,
		"additionalProperties": false,
	}
	if f == "html" {
		return renderHTML(c, l.Title(lg)+" — 可查询属性", doc)
	}
	return sendJSON(c, mediaSchema, doc)
}

// itemsParams are the query parameters /items knows; any other must be a property of the collection.
var itemsParams = []string{"limit", "offset", "bbox", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs", "sortby", "properties", "crs", "near", "radius", "f"}

// parseItemsQuery turns the query string into a features.Query, naming the parameter at fault.
func parseItemsQuery(c *fiber.Ctx, l *spatial.Layer) (features.Query, error) {
	q := features.Query{Layer: l, Limit: features.DefaultLimit, CRS: features.DefaultCRS()}
	var err error
	get := func(k string) string { return c.Query(k) }
	if v := get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > features.MaxLimit {
			return q, spatial.Invalid("limit", "must be an integer between 1 and %d, got %q", features.MaxLimit, v)
		}
	}
	if v := get("offset"); v != "" {
		if q.Offset, err = strconv.Atoi(v); err != nil || q.Offset < 0 {
			return q, spatial.Invalid("offset", "must be a non-negative integer, got %q", v)
		}
	}
	if v := get("crs"); v != "" {
		if q.CRS, err = features.ParseCRS("crs", v); err != nil {
			return q, err
		}
	}
	if v := get("bbox"); v != "" {
		if q.BBox, err = parseNumbers("bbox", v, 4, 6); err != nil {
			return q, err
		}
		q.BBoxCRS = features.DefaultCRS()
		if v := get("bbox-crs"); v != "" {
			if q.BBoxCRS, err = features.ParseCRS("bbox-crs", v); err != nil {
				return q, err
			}
		}
	} else if get("bbox-crs") != "" {
		return q, spatial.Invalid("bbox-crs", "given without bbox")
	}
	if v := get("datetime"); v != "" {
		if q.Datetime, err = features.ParseDatetime(v); err != nil {
			return q, err
		}
	}
	if v := get("filter"); v != "" {
		flang := get("filter-lang")
		if q.Filter, err = cql2.Parse(v, flang); err != nil {
			return q, spatial.Invalid("filter", "%v", err)
		}
		if v := get("filter-crs"); v != "" {
			if q.FilterCRS, err = features.ParseCRS("filter-crs", v); err != nil {
				return q, err
			}
		}
	} else if get("filter-lang") != "" || get("filter-crs") != "" {
		return q, spatial.Invalid("filter-lang", "filter-lang and filter-crs need a filter")
	}
	if v := get("sortby"); v != "" {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimLeft(k, "+-")
			if k == "" {
				return q, spatial.Invalid("sortby", "empty sort key in %q", v)
			}
			q.SortBy = append(q.SortBy, features.Sort{Property: k, Desc: desc})
		}
	}
	q.Properties = propertiesParam(c)
	if v := get("near"); v != "" {
		pt, err := parseNumbers("near", v, 2, 2)
		if err != nil {
			return q, err
		}
		r, err := strconv.ParseFloat(get("radius"), 64)
		if err != nil {
			return q, spatial.Invalid("radius", "near needs a radius in metres, got %q", get("radius"))
		}
		q.Near = &features.Near{Lon: pt[0], Lat: pt[1], Radius: r}
	} else if get("radius") != "" {
		return q, spatial.Invalid("radius", "given without near=lon,lat")
	}
	var unknown error
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if unknown != nil || slices.Contains(itemsParams, key) {
			return
		}
		if slices.IndexFunc(l.Properties, func(p spatial.Property) bool { return p.Name == key }) < 0 {
			unknown = spatial.Invalid(key, "unknown parameter %q; the parameters are %s and the properties of %s", key, strings.Join(itemsParams, ", "), l.ID)
			return
		}
		q.Equals = append(q.Equals, features.Equal{Property: key, Value: string(v)})
	})
	return q, unknown
}

// propertiesParam is the properties parameter: nil when absent (every property), else the names
// (none for properties=).
func propertiesParam(c *fiber.Ctx) []string {
	if !c.Context().QueryArgs().Has("properties") {
		return nil
	}
	out := []string{}
	for _, p := range strings.Split(c.Query("properties"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseNumbers reads comma-separated numbers, between lo and hi of them.
func parseNumbers(param, s string, lo, hi int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) < lo || len(parts) > hi {
		if lo == hi {
			return nil, spatial.Invalid(param, "takes %d comma-separated numbers, got %q", lo, s)
		}
		return nil, spatial.Invalid(param, "takes %d or %d comma-separated numbers, got %q", lo, hi, s)
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, spatial.Invalid(param, "%q is not a finite number", p)
		}
		out[i] = v
	}
	return out, nil
}

func (s *Server) items(c *fiber.Ctx) error {
	f, l, err := s.readableIn(c)
	if err != nil {
		return err
	}
	q, err := parseItemsQuery(c, l)
	if err != nil {
		return err
	}
	q.Fresh = l.CanWrite(principal(c)) // an editor reads the primary: its own edits, at once
	cur, err := s.deps.Features.Items(c.UserContext(), q)
	if err != nil {
		return err
	}
	self := baseURL(c) + c.Path()
	args := c.Context().QueryArgs()
	pageLink := func(rel string, offset int, media, fv string) link {
		v := url.Values{}
		args.VisitAll(func(k, val []byte) {
			if key := string(k); key != "offset" && key != "f" {
				v.Add(key, string(val))
			}
		})
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		}
		v.Set("f", fv)
		return link{Href: self + "?" + v.Encode(), Rel: rel, Type: media}
	}
	links := []link{pageLink("self", q.Offset, mediaGeoJSON, "json"), pageLink("alternate", q.Offset, mediaHTML, "html")}
	if q.Offset > 0 {
		links = append(links, pageLink("prev", max(0, q.Offset-q.Limit), mediaGeoJSON, "json"))
	}
	collection := link{Href: baseURL(c) + "/collections/" + url.PathEscape(l.ID), Rel: "collection", Type: mediaJSON, Title: l.Title(lang(c))}
	next := pageLink("next", q.Offset+q.Limit, mediaGeoJSON, "json")
	if f == "html" {
		defer cur.Close()
		return renderItemsHTML(c, l, cur, links, next)
	}
	// The page is made in full (spooled) before it is sent: the query's connection goes back to the
	// pool whatever the client does with the answer.
	defer cur.Close()
	w := newSpool(s.cfg.ResponseMemory)
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	if err := cur.WriteFeatures(w); err != nil {
		w.Close()
		return err
	}
	page := cur.Page()
	cur.Close()
	if page.HasNext {
		links = append(links, next)
	}
	links = append(links, collection)
	lb, _ := json.Marshal(links)
	fmt.Fprintf(w, `],"numberReturned":%d`, page.Returned)
	if page.Matched >= 0 {
		fmt.Fprintf(w, `,"numberMatched":%d`, page.Matched)
	}
	fmt.Fprintf(w, `,"timeStamp":%q,"links":%s}`, time.Now().UTC().Format(time.RFC3339), lb)
	c.Set(fiber.HeaderContentType, mediaGeoJSON)
	c.Set("Content-Crs", "<"+q.CRS.URI+">")
	if b, ok := w.InMemory(); ok {
		c.Response().SetBodyRaw(b) // no copy: the buffer is this response's
		return nil
	}
	body, size, err := w.Reader()
	if err != nil {
		return err
	}
	c.Context().SetBodyStream(body, int(size)) // closed by fasthttp once sent
	return nil
}

func (s *Server) item(c *fiber.Ctx) error {
	f, l, err := s.readableIn(c)
	if err != nil {
		return err
	}
	crs := features.DefaultCRS()
	if v := c.Query("crs"); v != "" {
		if crs, err = features.ParseCRS("crs", v); err != nil {
			return err
		}
	}
	id := c.Params("featureId")
	feat, err := s.deps.Features.Item(c.UserContext(), l, id, crs, propertiesParam(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, feat.ETag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && (inm == "*" || strings.Contains(inm, feat.ETag)) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	href := baseURL(c) + "/collections/" + url.PathEscape(l.ID)
	links := []link{
		{Href: href + "/items/" + url.PathEscape(id) + "?f=json", Rel: "self", Type: mediaGeoJSON},
		{Href: href + "/items/" + url.PathEscape(id) + "?f=html", Rel: "alternate", Type: mediaHTML},
		{Href: href, Rel: "collection", Type: mediaJSON, Title: l.Title(lang(c))},
	}
	lb, _ := json.Marshal(links)
	// feat.JSON ends with '}': add the links to the feature object.
	body := append(feat.JSON[:len(feat.JSON)-1:len(feat.JSON)-1], `,"links":`...)
	body = append(append(body, lb...), '}')
	if f == "html" {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		return renderHTML(c, l.Title(lang(c))+" "+id, v)
	}
	c.Set(fiber.HeaderContentType, mediaGeoJSON)
	c.Set("Content-Crs", "<"+crs.URI+">")
	return c.Send(body)
}

// editRequest checks that the caller may edit the collection a request names and reads the edit:
// the body (of one of the media types, when media are given), Content-Crs, If-Match and the principal.
func (s *Server) editRequest(c *fiber.Ctx, media ...string) (features.Edit, error) {
	id := c.Params("collectionId")
	l, ok := s.deps.Catalog.Current().Layer(id)
	if !ok || !l.IsTable() {
		return features.Edit{}, spatial.NotFound("collection %q", id)
	}
	p := principal(c)
	if !l.CanWrite(p) {
		roles := append(slices.Clone(l.WriteRoles), spatial.RoleAdmin)
		return features.Edit{}, denied(p, fmt.Sprintf("editing collection %s needs one of the roles %s", id, strings.Join(roles, ", ")))
	}
	e := features.Edit{Layer: l, ID: c.Params("featureId"), IfMatch: c.Get(fiber.HeaderIfMatch), Actor: p, CRS: features.DefaultCRS()}
	if len(media) > 0 {
		ct := strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0])
		if !slices.Contains(media, ct) {
			return e, problemf(fiber.StatusUnsupportedMediaType, "Content-Type", fmt.Sprintf("send the feature as %s, not %q", strings.Join(media, " or "), ct))
		}
		e.Body = c.Body()
	}
	if v := c.Get("Content-Crs"); v != "" {
		crs, err := features.ParseCRS("Content-Crs", v)
		if err != nil {
			return e, err
		}
		e.CRS = crs
	}
	return e, nil
}

func (s *Server) createFeature(c *fiber.Ctx) error {
	e, err := s.editRequest(c, mediaGeoJSON, mediaJSON)
	if err != nil {
		return err
	}
	id, etag, err := s.deps.Features.Create(c.UserContext(), e)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, baseURL(c)+"/collections/"+url.PathEscape(e.Layer.ID)+"/items/"+url.PathEscape(id))
	c.Set(fiber.HeaderETag, etag)
	return c.SendStatus(fiber.StatusCreated)
}

func (s *Server) replaceFeature(c *fiber.Ctx) error {
	return s.rewrite(c, s.deps.Features.Replace, mediaGeoJSON, mediaJSON)
}

func (s *Server) updateFeature(c *fiber.Ctx) error {
	return s.rewrite(c, s.deps.Features.Update, mediaPatch, mediaGeoJSON, mediaJSON)
}

// rewrite applies a replace or an update and answers 204 with the feature's new entity tag.
func (s *Server) rewrite(c *fiber.Ctx, apply func(context.Context, features.Edit) (string, error), media ...string) error {
	e, err := s.editRequest(c, media...)
	if err != nil {
		return err
	}
	etag, err := apply(c.UserContext(), e)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, etag)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) deleteFeature(c *fiber.Ctx) error {
	e, err := s.editRequest(c)
	if err != nil {
		return err
	}
	if err := s.deps.Features.Delete(c.UserContext(), e); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// visibleLayers are the readable layers, narrowed to the layers parameter when given.
func (s *Server) visibleLayers(c *fiber.Ctx) ([]*spatial.Layer, error) {
	readable := s.deps.Catalog.Current().Readable(principal(c))
	v := c.Query("layers")
	if v == "" {
		return readable, nil
	}
	var out []*spatial.Layer
	for _, id := range strings.Split(v, ",") {
		i := slices.IndexFunc(readable, func(l *spatial.Layer) bool { return l.ID == id })
		if i < 0 {
			return nil, spatial.Invalid("layers", "no readable layer %q", id)
		}
		out = append(out, readable[i])
	}
	return out, nil
}

func (s *Server) search(c *fiber.Ctx) error {
	layers, err := s.visibleLayers(c)
	if err != nil {
		return err
	}
	limit := 20
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return spatial.Invalid("limit", "%q is not an integer", v)
		}
	}
	hits, err := s.deps.Features.Search(c.UserContext(), layers, c.Query("q"), limit)
	if err != nil {
		return err
	}
	cat := s.deps.Catalog.Current()
	feats := make([]map[string]any, len(hits))
	for i, h := range hits {
		title := h.Layer
		if l, ok := cat.Layer(h.Layer); ok {
			title = l.Title(lang(c))
		}
		feats[i] = map[string]any{
			"type": "Feature", "id": h.Layer + "/" + h.ID, "geometry": h.Point, "bbox": h.BBox,
			"properties": map[string]any{"collection": h.Layer, "collection_title": title, "feature_id": h.ID,
				"label": h.Label, "field": h.Field, "rank": h.Rank, "score": h.Score},
		}
	}
	return sendJSON(c, mediaGeoJSON, map[string]any{"type": "FeatureCollection", "features": feats, "numberReturned": len(feats)})
}

func (s *Server) identify(c *fiber.Ctx) error {
	layers, err := s.visibleLayers(c)
	if err != nil {
		return err
	}
	num := func(k string) (float64, error) {
		v, err := strconv.ParseFloat(c.Query(k), 64)
		if err != nil {
			return 0, spatial.Invalid(k, "identify needs lon, lat and z as numbers; %s is %q", k, c.Query(k))
		}
		return v, nil
	}
	lon, err := num("lon")
	if err != nil {
		return err
	}
	lat, err := num("lat")
	if err != nil {
		return err
	}
	z, err := num("z")
	if err != nil {
		return err
	}
	found, err := s.deps.Features.Identify(c.UserContext(), layers, lon, lat, z, 5)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, mediaGeoJSON)
	b := []byte(`{"type":"FeatureCollection","features":[`)
	for i, f := range found {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f...)
	}
	b = append(b, fmt.Sprintf(`],"numberReturned":%d}`, len(found))...)
	return c.Send(b)
}
