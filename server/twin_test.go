package server

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
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
