package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// TestTerrainRoutes: the terrain answers layer.json, quantized-mesh tiles (gzip, extensions from
// Accept, ETag revalidation), Terrarium tiles with their TileJSON and the height at a point; an
// import purges the cached tiles.
func TestTerrainRoutes(t *testing.T) {
	pool := pgtest.New(t)
	p := terraintest.Laizhou()
	terraintest.MustImport(t, pool, p.Write(t, t.TempDir(), "hills"), "hills")
	off := 9.0
	ter, err := terrain.New(pool, terrain.DefaultConfig(), &off, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ter.Run(ctx)
	s := New(Config{}, Deps{Pool: pool, Terrain: ter})
	get := func(path string, hdr ...string) (int, map[string]string, []byte) {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		h := map[string]string{}
		for k := range resp.Header {
			h[k] = resp.Header.Get(k)
		}
		return resp.StatusCode, h, b
	}

	status, _, body := get("/terrain/layer.json")
	var lj terrain.LayerJSON
	if err := json.Unmarshal(body, &lj); status != 200 || err != nil || lj.Format != "quantized-mesh-1.0" || lj.Scheme != "tms" {
		t.Fatalf("layer.json: %d %s", status, body)
	}
	if !strings.HasPrefix(lj.Tiles[0], "{z}/{x}/{y}.terrain?v=") {
		t.Errorf("tiles %v", lj.Tiles)
	}
	r := lj.Available[14][0]
	tile := fmt.Sprintf("/terrain/14/%d/%d.terrain", r.StartX, r.StartY)
	accept := "application/vnd.quantized-mesh;extensions=octvertexnormals-watermask,application/octet-stream;q=0.9,*/*;q=0.01"
	status, h, body := get(tile, "Accept", accept, "Accept-Encoding", "gzip")
	if status != 200 || h["Content-Encoding"] != "gzip" || h["Content-Type"] != "application/vnd.quantized-mesh;extensions=octvertexnormals-watermask" || h["Etag"] == "" {
		t.Fatalf("%s: %d %v", tile, status, h)
	}
	if status, _, _ := get(tile, "Accept", accept, "If-None-Match", h["Etag"]); status != 304 {
		t.Errorf("revalidation: %d", status)
	}
	// Without gzip in Accept-Encoding: plain bytes, the same tile.
	status, h2, plain := get(strings.Replace(tile, "/terrain/", "/terrain/qm/", 1), "Accept", accept)
	if status != 200 || h2["Content-Encoding"] != "" || len(plain) <= len(body) || h2["Etag"] != h["Etag"] {
		t.Errorf("/terrain/qm tile without gzip: %d %v, %d bytes", status, h2, len(plain))
	}
	for path, want := range map[string]int{
		"/terrain/25/0/0.terrain":          400,
		"/terrain/1/4/0.terrain":           400,
		"/terrain/x/0/0.terrain":           400,
		"/terrain/terrarium/1/2/0.png":     400,
		"/terrain/height?lon=200&lat=37":   400,
		"/terrain/height?lon=100&lat=37.1": 404,
	} {
		if status, _, body := get(path); status != want {
			t.Errorf("GET %s = %d, want %d: %s", path, status, want, body)
		}
	}

	status, _, body = get("/terrain/terrarium.json")
	var tj struct {
		Tiles    []string
		Encoding string
		MaxZoom  int
		Bounds   [4]float64
	}
	if err := json.Unmarshal(body, &tj); status != 200 || err != nil || tj.Encoding != "terrarium" || tj.MaxZoom != 14 {
		t.Fatalf("terrarium.json: %d %s", status, body)
	}
	status, h, body = get("/terrain/terrarium/12/3413/1582.png")
	if status != 200 || h["Content-Type"] != "image/png" || string(body[1:4]) != "PNG" {
		t.Errorf("terrarium tile: %d %v", status, h)
	}

	lon, lat := (tj.Bounds[0]+tj.Bounds[2])/2, (tj.Bounds[1]+tj.Bounds[3])/2
	status, _, body = get(fmt.Sprintf("/terrain/height?lon=%f&lat=%f", lon, lat))
	var hr struct {
		Height            float64 `json:"height"`
		EllipsoidalHeight float64 `json:"ellipsoidal_height"`
	}
	if err := json.Unmarshal(body, &hr); status != 200 || err != nil || hr.Height < p.H0 || math.Abs(hr.EllipsoidalHeight-hr.Height-9) > 1e-6 {
		t.Errorf("height: %d %s", status, body)
	}

	// Re-importing the DEM higher purges the cached tile: its ETag changes.
	_, h, _ = get(tile, "Accept", accept)
	p.H0 += 50
	terraintest.MustImport(t, pool, p.Write(t, t.TempDir(), "hills"), "hills")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, h2, _ := get(tile, "Accept", accept)
		if h2["Etag"] != h["Etag"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tile was not purged after the DEM was re-imported")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hillsServer is a server over the terrain of one imported DEM (terraintest.Laizhou) under cfg, with
// a planner's token.
func hillsServer(t *testing.T, cfg terrain.Config) (*pgxpool.Pool, *terrain.Service, *Server, string, terrain.DEM) {
	t.Helper()
	pool := pgtest.New(t)
	terraintest.MustImport(t, pool, terraintest.Laizhou().Write(t, t.TempDir(), "hills"), "hills")
	off := 9.0
	ter, err := terrain.New(pool, cfg, &off, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, planner := plannerToken(t, pool)
	dems, err := ter.DEMs(context.Background())
	if err != nil || len(dems) != 1 {
		t.Fatalf("DEMs: %v %v", dems, err)
	}
	return pool, ter, New(Config{}, Deps{Pool: pool, Terrain: ter, Tokens: tokens}), planner, dems[0]
}

// TestTerrainReadRoles: with terrain.read_roles naming planners, an anonymous caller sees no DEM in
// /terrain and gets 404 for the layer, the tiles and heights, as if there were no terrain; a planner
// gets them, marked private and varying by Authorization.
func TestTerrainReadRoles(t *testing.T) {
	cfg := terrain.DefaultConfig()
	cfg.ReadRoles = []string{"planner"}
	_, _, s, planner, dem := hillsServer(t, cfg)
	b := dem.BBox
	height := fmt.Sprintf("/terrain/height?lon=%f&lat=%f", (b[0]+b[2])/2, (b[1]+b[3])/2)
	for _, path := range []string{"/terrain/layer.json", "/terrain/terrarium.json", "/terrain/0/0/0.terrain", "/terrain/terrarium/0/0/0.png", height} {
		if resp := getAs(t, s, path, ""); resp.StatusCode != 404 {
			t.Errorf("anonymous GET %s = %d, want 404", path, resp.StatusCode)
		}
		resp := getAs(t, s, path, planner)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "private, no-cache" || !strings.Contains(resp.Header.Get("Vary"), "Authorization") {
			t.Errorf("planner GET %s = %d, Cache-Control %q, Vary %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Vary"))
		}
	}
	count := func(token string) int {
		var idx struct{ DEMs []terrain.DEM }
		if err := json.NewDecoder(getAs(t, s, "/terrain", token).Body).Decode(&idx); err != nil {
			t.Fatal(err)
		}
		return len(idx.DEMs)
	}
	if n, m := count(""), count(planner); n != 0 || m != 1 {
		t.Errorf("/terrain lists %d DEMs to anonymous (want 0), %d to a planner (want 1)", n, m)
	}
}

// TestDEMReadRoles: a DEM kept to planners by terrain.dem_access (announced to the running
// terrain service by the table's trigger) is absent from an anonymous caller's terrain — no DEM
// listed, no height, tiles built without it — while a planner's terrain has it; both answers are
// private.
func TestDEMReadRoles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, ter, s, planner, dem := hillsServer(t, terrain.DefaultConfig())
	go ter.Run(ctx)
	b := dem.BBox
	lon, lat := (b[0]+b[2])/2, (b[1]+b[3])/2
	height := fmt.Sprintf("/terrain/height?lon=%f&lat=%f", lon, lat)
	size := 180.0 / (1 << 12) // the geographic tiling's tiles at zoom 12, TMS rows from the south
	mesh := fmt.Sprintf("/terrain/12/%d/%d.terrain", int((lon+180)/size), int((lat+90)/size))
	listed := func(token string) int {
		var idx struct{ DEMs []terrain.DEM }
		if err := json.NewDecoder(getAs(t, s, "/terrain", token).Body).Decode(&idx); err != nil {
			t.Fatal(err)
		}
		return len(idx.DEMs)
	}
	if r := getAs(t, s, height, ""); r.StatusCode != 200 || strings.Contains(r.Header.Get("Cache-Control"), "private") {
		t.Fatalf("anonymous height of a public DEM: %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	publicTag := getAs(t, s, mesh, "").Header.Get("ETag")

	if _, err := pool.Exec(ctx, `INSERT INTO terrain.dem_access (dataset_id, read_roles) VALUES ($1, '{planner}')`, dem.Dataset); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); listed("") != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("30 s after the restriction an anonymous caller still sees the DEM")
		}
	}
	if n := listed(planner); n != 1 {
		t.Errorf("a planner sees %d DEMs, want 1", n)
	}
	if r := getAs(t, s, height, ""); r.StatusCode != 404 {
		t.Errorf("anonymous height of a planners' DEM: %d, want 404", r.StatusCode)
	}
	anon, plan := getAs(t, s, mesh, ""), getAs(t, s, mesh, planner)
	for who, r := range map[string]*http.Response{"anonymous": anon, "planner": plan, "planner's height": getAs(t, s, height, planner)} {
		if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "private, no-cache" || !strings.Contains(r.Header.Get("Vary"), "Authorization") {
			t.Errorf("%s: %d, Cache-Control %q, Vary %q", who, r.StatusCode, r.Header.Get("Cache-Control"), r.Header.Get("Vary"))
		}
	}
	if anon.Header.Get("ETag") == plan.Header.Get("ETag") || plan.Header.Get("ETag") != publicTag {
		t.Errorf("tile %s: anonymous %s, planner %s, before the restriction %s: want the planner's as before and the anonymous one without the DEM",
			mesh, anon.Header.Get("ETag"), plan.Header.Get("ETag"), publicTag)
	}
}
