package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

func TestTwinRoutes(t *testing.T) {
	pool := pgtest.New(t)
	twintest.SeedBuildings(t, pool, 30)
	cfg := twin.DefaultConfig()
	cfg.HeightOffset = 9
	tw, err := twin.New(pool, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Pool: pool, Twin: tw})

	resp, err := s.App().Test(httptest.NewRequest("GET", "/3dtiles/", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Tilesets []twin.Info }
	json.NewDecoder(resp.Body).Decode(&list)
	if resp.StatusCode != 200 || len(list.Tilesets) < 2 || list.Tilesets[0].URL != "buildings/tileset.json" {
		t.Fatalf("GET /3dtiles/ = %d %+v", resp.StatusCode, list)
	}

	resp, _ = s.App().Test(httptest.NewRequest("GET", "/3dtiles/buildings/tileset.json", nil), -1)
	var doc struct {
		Root struct{ Content struct{ URI string } }
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || doc.Root.Content.URI == "" {
		t.Fatalf("tileset.json: %d %s %+v", resp.StatusCode, resp.Header.Get("Content-Type"), doc)
	}

	resp, _ = s.App().Test(httptest.NewRequest("GET", "/3dtiles/buildings/"+doc.Root.Content.URI, nil), -1)
	body, _ := io.ReadAll(resp.Body)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "model/gltf-binary" || string(body[:4]) != "glTF" || etag == "" {
		t.Fatalf("tile: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:4])
	}
	req := httptest.NewRequest("GET", "/3dtiles/buildings/"+doc.Root.Content.URI, nil)
	req.Header.Set("If-None-Match", etag)
	resp, _ = s.App().Test(req, -1)
	if resp.StatusCode != 304 {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}

	for path, status := range map[string]int{
		"/3dtiles/nowhere/tileset.json": 404,
		"/3dtiles/buildings/7/7/7.glb":  404,
		"/3dtiles/buildings/../x.glb":   400,
		"/3dtiles/model-none/n/1.glb":   404,
	} {
		resp, _ := s.App().Test(httptest.NewRequest("GET", path, nil), -1)
		if resp.StatusCode != status {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, status)
			continue
		}
		decodeProblem(t, resp)
	}
}

// TestTilesetListReadable: GET /3dtiles/ lists only the tilesets the caller may open (the viewer's
// layer tree offers what it lists).
func TestTilesetListReadable(t *testing.T) {
	pool := pgtest.New(t)
	mustExec(t, pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'pipeline.segment'`)
	s, planner := newTwinServer(t, pool)
	names := func(token string) []string {
		req := httptest.NewRequest("GET", "/3dtiles/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Tilesets []twin.Info }
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /3dtiles/: %d %v", resp.StatusCode, err)
		}
		var out []string
		for _, ts := range list.Tilesets {
			out = append(out, ts.Name)
		}
		return out
	}
	// A model that only planners may read.
	mustExec(t, pool, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('secret', 'oblique', 'osgb', 'x', 'x', 'ENU:37.18,119.94', 'test')`)
	mustExec(t, pool, `INSERT INTO twin.model (dataset_id, name, title_zh, title_en, kind, source_srs, root_transform, read_roles)
		SELECT id, 'secret', '机密', 'Secret', 'oblique', 'ENU:37.18,119.94', array_fill(0::float8, ARRAY[16]), '{planner}'
		FROM catalog.dataset WHERE name = 'secret'`)
	mustExec(t, pool, `INSERT INTO twin.model_node (model_id, name, bounding_volume, geometric_error)
		SELECT id, 'root', '{"sphere": [0, 0, 0, 10]}', 1 FROM twin.model WHERE name = 'secret'`)
	if got := names(""); !slices.Equal(got, []string{"buildings", "geology"}) {
		t.Errorf("anonymous: %v, want [buildings geology]", got)
	}
	if got := names(planner); !slices.Equal(got, []string{"buildings", "pipelines", "geology", "model-secret"}) {
		t.Errorf("planner: %v, want [buildings pipelines geology model-secret]", got)
	}
	for _, tc := range []struct {
		token, path string
		status      int
	}{{"", "/3dtiles/model-secret/tileset.json", 404}, {planner, "/3dtiles/model-secret/tileset.json", 200}, {"", "/3dtiles/model-nothing/tileset.json", 404}} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := s.App().Test(req, -1)
		if err != nil || resp.StatusCode != tc.status {
			t.Errorf("GET %s (signed in: %v): %v, want %d (%v)", tc.path, tc.token != "", resp.StatusCode, tc.status, err)
		}
	}
}

// TestModelBuildingRoute: GET /twin/models/{model}/buildings/{id}.glb answers one building of a split
// model as glb for whoever may read the model (404 as if absent otherwise), 404 before the split
// and for a building the model does not show, and /api lists the route.
func TestModelBuildingRoute(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	_, idB, far := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "route", 8)
	s, planner := newTwinServer(t, pool)
	get := func(path, token string) (int, []byte, string) {
		resp := getAs(t, s, path, token)
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("Content-Type")
	}
	path := fmt.Sprintf("/twin/models/route/buildings/%d.glb", idB)
	if code, _, _ := get(path, ""); code != 404 {
		t.Errorf("before the split: %d, want 404", code)
	}
	if _, err := twin.Split(ctx, pool, "route", twin.DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	code, body, ct := get(path, "")
	if code != 200 || ct != "model/gltf-binary" || len(body) < 4 || string(body[:4]) != "glTF" {
		t.Fatalf("GET %s = %d %s", path, code, ct)
	}
	glbtest.CheckBytes(t, map[string][]byte{"b.glb": body})
	feats, err := twintest.Features(body)
	if err != nil || len(feats) != 1 || feats[0].Props["id"] != strconv.FormatInt(idB, 10) || feats[0].Props["name"] != "乙楼" {
		t.Errorf("features of the building: %+v %v", feats, err)
	}
	for p, want := range map[string]int{
		fmt.Sprintf("/twin/models/route/buildings/%d.glb", far): 404,
		"/twin/models/route/buildings/x.glb":                    400,
		"/twin/models/nothing/buildings/1.glb":                  404,
	} {
		if code, _, _ := get(p, ""); code != want {
			t.Errorf("GET %s = %d, want %d", p, code, want)
		}
	}
	// Read rights are the model's: planners only.
	mustExec(t, pool, `UPDATE twin.model SET read_roles = '{planner}' WHERE name = 'route'`)
	if code, _, _ := get(path, ""); code != 404 {
		t.Errorf("anonymous on a planners' model: %d, want 404", code)
	}
	if code, _, _ := get(path, planner); code != 200 {
		t.Errorf("planner: %d, want 200", code)
	}
	_, api, _ := get("/api", "")
	doc, err := openapi3.NewLoader().LoadFromData(api)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("/api with the building route is not valid OpenAPI: %v", err)
	}
	if op := doc.Paths.Find("/twin/models/{model}/buildings/{id}.glb"); op == nil || op.Get == nil || op.Get.Parameters.GetByInAndName("path", "id") == nil {
		t.Error("/api does not list the building route with its id")
	}
}

// newTwinServer is a server with the catalog, features and 3D routes, and a planner's token.
func newTwinServer(t *testing.T, pool *pgxpool.Pool) (*Server, string) {
	t.Helper()
	ctx := context.Background()
	store, err := spatial.NewCatalogStore(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	tw, err := twin.New(pool, twin.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, planner := plannerToken(t, pool)
	return New(Config{}, Deps{Version: "test", Pool: pool, Catalog: store, Features: features.New(pool, nil), Tokens: tokens, Twin: tw}), planner
}

// plannerToken is a token store with one token, for a planner, which it returns.
func plannerToken(t *testing.T, pool *pgxpool.Pool) (*auth.Tokens, string) {
	t.Helper()
	tokens := auth.New(pool)
	planner, err := tokens.Create(context.Background(), "li", []string{"planner"}, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tokens, planner
}

// TestSplitModelCarriesBuildingRights: a split model's glb holds each building's base-map row, so a
// caller who may read the model but not basemap.building gets neither the model's tiles nor a
// building of it (404 as if absent); one who may read both gets them.
func TestSplitModelCarriesBuildingRights(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	_, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "rights", 8)
	if _, err := twin.Split(ctx, pool, "rights", twin.DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'basemap.building'`)
	s, planner := newTwinServer(t, pool)
	get := func(path, token string) int { return getAs(t, s, path, token).StatusCode }
	for _, path := range []string{
		"/3dtiles/model-rights/tileset.json",
		fmt.Sprintf("/twin/models/rights/buildings/%d.glb", idB),
	} {
		if code := get(path, ""); code != 404 {
			t.Errorf("anonymous GET %s = %d, want 404 (the buildings' rows are planners' only)", path, code)
		}
		if code := get(path, planner); code != 200 {
			t.Errorf("planner GET %s = %d, want 200", path, code)
		}
	}
}

// getAs answers a GET, signed in with token when it is not empty.
func getAs(t *testing.T, s *Server, path, token string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
