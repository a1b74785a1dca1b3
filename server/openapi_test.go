package server

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIMatchesRoutes: /api is a valid OpenAPI 3.0 document, every API route the app serves
// (features, live, watch, command, fires) is in it, and every path in it is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	c := newCity(t)
	r := c.get(t, "/api")
	if r.status != 200 {
		t.Fatalf("/api: %d %s", r.status, r.body)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("/api does not load as OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/api is not valid OpenAPI 3.0: %v", err)
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range c.server.app.GetRoutes() {
		served[rt.Method+" "+pathParam.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	for _, want := range []string{"GET /collections/{collectionId}/items", "GET /live/alarms", "POST /command/incidents/{id}/transitions",
		"GET /command/stats", "GET /command/fires/{id}/spread", "GET /command/fires/{id}/resources"} {
		if !documented[want] {
			t.Errorf("%s is served but not in /api", want)
		}
	}
	for _, rt := range c.server.apiRoutes {
		if key := rt.method + " " + pathParam.ReplaceAllString(rt.path, "{$1}"); !documented[key] {
			t.Errorf("%s is served but not in /api", key)
		}
	}
	for key := range documented {
		generic := key
		if strings.Contains(key, "/collections/") && strings.HasSuffix(key, "/items") && !strings.Contains(key, "{collectionId}") {
			generic = "GET /collections/{collectionId}/items" // a collection's own items path
		}
		if !served[generic] {
			t.Errorf("%s is in /api but not served", key)
		}
	}
	// Each readable collection's items path lists its properties as query parameters.
	op := doc.Paths.Find("/collections/basemap.building/items").Get
	if op == nil || op.Parameters.GetByInAndName("query", "floors") == nil || op.Parameters.GetByInAndName("query", "limit") == nil {
		t.Error("basemap.building's items path lacks its floors or limit parameter")
	}
	if doc.Paths.Find("/collections/pipeline.segment/items") != nil {
		t.Error("/api shows an anonymous caller the collection only planners may read")
	}
}
