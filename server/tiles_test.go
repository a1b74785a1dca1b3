package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// tileServer is a server with the tiles service over a fresh database holding the tile fixture.
func tileServer(t *testing.T, cfg tiles.Config) (*Server, *tiles.Service, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	tilestest.Import(t, pool, "fixture", 0)
	store, err := spatial.NewCatalogStore(ctx, pool, nil2log())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CacheControl == "" {
		cfg.CacheControl = tiles.DefaultConfig().CacheControl
	}
	if cfg.FontDir == "" {
		cfg.FontDir = tiles.DefaultConfig().FontDir
	}
	svc, err := tiles.New(ctx, pool, store, cfg, nil2log())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshStale(ctx); err != nil {
		t.Fatal(err)
	}
	return New(Config{ShutdownGrace: time.Second}, Deps{Pool: pool, Catalog: store, Tiles: svc}), svc, pool
}

// fixtureTile is the z16 Web Mercator tile holding the whole fixture.
func fixtureTile(g *tiles.Grid, z int) tiles.Tile {
	b := tilestest.BBox()
	return g.At(z, (b[0]+b[2])/2, (b[1]+b[3])/2)
}

func get(t *testing.T, s *Server, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.App().Test(req, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTileETagAndGzip(t *testing.T) {
	s, _, _ := tileServer(t, tiles.Config{CacheMB: 16})
	tl := fixtureTile(tiles.WebMercatorQuad, 16)
	path := fmt.Sprintf("/tiles/basemap.building,basemap.road/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)

	// Without Accept-Encoding: the plain tile.
	plainResp := get(t, s, path)
	plain := body(t, plainResp)
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" ||
		plainResp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("plain: %d %v", plainResp.StatusCode, plainResp.Header)
	}
	layers := tilestest.Decode(t, plain)
	if len(layers["basemap.building"].Features) != 15 || len(layers["basemap.road"].Features) != 2 {
		t.Fatalf("plain tile layers: %v", layers)
	}
	etag := plainResp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || plainResp.Header.Get("Vary") != "Accept-Encoding" || plainResp.Header.Get("Cache-Control") != "public, no-cache" {
		t.Errorf("headers: %v", plainResp.Header)
	}

	// With gzip: compressed bytes of the same tile, same strong ETag.
	gzResp := get(t, s, path, "Accept-Encoding", "gzip, deflate, br")
	gz := body(t, gzResp)
	if gzResp.Header.Get("Content-Encoding") != "gzip" || len(gz) >= len(plain) || gz[0] != 0x1f || gz[1] != 0x8b {
		t.Fatalf("gzip: %v, %d bytes vs %d plain", gzResp.Header, len(gz), len(plain))
	}
	if gzResp.Header.Get("ETag") != etag {
		t.Error("gzip and plain responses carry different ETags")
	}
	if len(tilestest.Decode(t, gz)["basemap.building"].Features) != 15 {
		t.Error("the gzipped tile decodes differently")
	}
	if r := get(t, s, path, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}

	// Conditional GET.
	if r := get(t, s, path, "If-None-Match", etag); r.StatusCode != http.StatusNotModified || len(body(t, r)) != 0 || r.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match with the current ETag: %d", r.StatusCode)
	}
	if r := get(t, s, path, "If-None-Match", `"other", `+etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d", r.StatusCode)
	}
	if r := get(t, s, path, "If-None-Match", `"stale"`); r.StatusCode != 200 {
		t.Errorf("If-None-Match with an old ETag: %d", r.StatusCode)
	}

	// An empty tile is 204 with an ETag.
	if r := get(t, s, "/tiles/basemap.building/16/0/0.mvt"); r.StatusCode != http.StatusNoContent || r.Header.Get("ETag") == "" {
		t.Errorf("empty tile: %d %v", r.StatusCode, r.Header)
	}
}

func TestTileBadInput(t *testing.T) {
	s, _, pool := tileServer(t, tiles.Config{})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'pipeline.point'"); err != nil {
		t.Fatal(err)
	}
	if err := s.deps.Catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path   string
		status int
		param  string
		detail string
	}{
		{"/tiles/basemap.road/25/0/0.mvt", 400, "z", "zoom 25 is outside 0–24"},
		{"/tiles/basemap.road/3/8/0.mvt", 400, "x", "column 8 is outside 0–7"},
		{"/tiles/basemap.road/3/0/9.mvt", 400, "y", "row 9 is outside 0–7"},
		{"/tiles/basemap.road/3/0/a.mvt", 400, "y", `"a" is not a non-negative integer`},
		{"/tiles/basemap.road/-1/0/0.mvt", 400, "z", "not a non-negative integer"},
		{"/tiles/basemap.nope/3/0/0.mvt", 404, "layers", `layer "basemap.nope" does not exist`},
		{"/tiles/basemap.road,basemap.road/3/0/0.mvt", 400, "layers", "given twice"},
		{"/tiles/basemap.road,/3/0/0.mvt", 400, "layers", "empty layer name"},
		{"/tiles/pipeline.point/3/0/0.mvt", 401, "layers", "needs an authenticated caller"},
		{"/tiles/basemap.road/3/0/0.mvt?params=%7Bnope", 400, "params", "must be a JSON object"},
		{"/tiles/basemap.road/3/0/0.mvt?params=%5B1%5D", 400, "params", "must be a JSON object"},
		{"/tiles/basemap.road,basemap.water/3/0/0.mvt?filter=name%3D%27x%27", 400, "filter", "one layer"},
		{"/tiles/basemap.road/14/13651/6283.mvt?filter=name%3D", 400, "filter", "CQL2 text at character"},
		{"/tiles/basemap.road/14/13651/6283.mvt?filter=nope%3D1", 400, "filter", "nope"},
		{"/tiles/basemap.road/14/13651/6283.mvt?filter-lang=cql2-text", 400, "filter-lang", "without a filter"},
		{"/tiles/basemap.nope.json", 404, "layers", "does not exist"},
		{"/collections/basemap.road/tiles/WorldCRS84Quad/3/0/0", 404, "tileMatrixSetId", "WorldCRS84Quad"},
		{"/collections/basemap.road/tiles/CGCS2000Quad/0/0/0", 400, "z", "zoom 0 is outside 1–21"},
		{"/collections/basemap.road/tiles/CGCS2000Quad/3/4/0", 400, "y", "row 4 is outside 0–3"},
		{"/collections/basemap.nope/tiles/CGCS2000Quad/3/0/0", 404, "collectionId", "basemap.nope"},
		{"/tileMatrixSets/Nope", 404, "tileMatrixSetId", "Nope"},
		{"/fonts/Noto%20Sans%20CJK%20SC%20Regular/7-300.pbf", 400, "range", "glyph range"},
		{"/fonts/Comic%20Sans/0-255.pbf", 404, "fontstack", "Comic Sans"},
		{"/sprites/other.png", 404, "sprite", "other.png"},
	}
	for _, c := range cases {
		resp := get(t, s, c.path)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.path, resp.StatusCode, c.status, body(t, resp))
			continue
		}
		p := decodeProblem(t, resp)
		if p.Parameter != c.param || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: problem %+v, want parameter %q and detail containing %q", c.path, p, c.param, c.detail)
		}
	}
}

// TestTileTimeoutNamesTheLayer: 503 naming the layer, never a tile without it.
func TestTileTimeoutNamesTheLayer(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	_, err := pool.Exec(ctx, `
		CREATE FUNCTION public.slow_tile(z integer, x integer, y integer, params jsonb) RETURNS bytea
		LANGUAGE sql AS $$ SELECT pg_sleep(60)::text::bytea $$;
		INSERT INTO catalog.layer (id, title_zh, title_en, kind, schema_name, function_name)
		VALUES ('reference.slow', '慢', 'Slow', 'function', 'public', 'slow_tile')`)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := spatial.NewCatalogStore(ctx, pool, nil2log())
	svc, err := tiles.New(ctx, pool, store, tiles.Config{LayerTimeout: 3 * time.Second}, nil2log())
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Tiles: svc})
	resp := get(t, s, "/tiles/basemap.road,reference.slow/14/13651/6283.mvt")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	if p := decodeProblem(t, resp); p.Parameter != "reference.slow" || !strings.Contains(p.Detail, "reference.slow exceeded its time budget") {
		t.Errorf("problem %+v does not name the layer", p)
	}
}

// listen serves s on 127.0.0.1 until the test ends and returns its base URL.
func listen(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// TestGDALReadsServedTile: GDAL's MVT driver reads a tile straight from the server.
func TestGDALReadsServedTile(t *testing.T) {
	s, _, pool := tileServer(t, tiles.Config{CacheMB: 16})
	base := listen(t, s)
	tl := fixtureTile(tiles.WebMercatorQuad, 17) // z17: every attribute (below, the style's only)
	var buildings int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM basemap.building
		WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096))`, tl.Z, tl.X, tl.Y).Scan(&buildings); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/tiles/basemap.building,pipeline.segment/%d/%d/%d.mvt", base, tl.Z, tl.X, tl.Y)
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-oo", "CLIP=NO", "MVT:/vsicurl/"+url).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Layer name: basemap.building", "Layer name: pipeline.segment",
		fmt.Sprintf("Feature Count: %d", buildings), "name (String) = 1号楼-0", "structure (String) = 砼",
		"pipe_type (String) = JS", "material (String) = 球墨铸铁", "POLYGON ((13351", "LINESTRING (13351", // EPSG:3857, georeferenced from z/x/y in the URL
	} {
		if !strings.Contains(text, want) {
			t.Errorf("ogrinfo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text[:min(len(text), 3000)])
	}
}

func TestTileJSONAndOGCTiles(t *testing.T) {
	s, _, _ := tileServer(t, tiles.Config{})
	var tj tiles.TileJSON
	resp := get(t, s, "/tiles/basemap.building,pipeline.segment.json")
	if err := json.Unmarshal(body(t, resp), &tj); err != nil {
		t.Fatal(err)
	}
	fb := tilestest.BBox()
	if tj.TileJSON != "3.0.0" || len(tj.VectorLayers) != 2 || tj.VectorLayers[0].ID != "basemap.building" ||
		tj.VectorLayers[0].MinZoom != 10 || tj.VectorLayers[1].MinZoom != 12 || tj.MinZoom != 10 || tj.MaxZoom != 22 ||
		tj.Bounds != fb || !strings.HasSuffix(tj.Tiles[0], "/tiles/basemap.building,pipeline.segment/{z}/{x}/{y}.mvt") ||
		tj.VectorLayers[0].Fields["floors"] == "" || tj.VectorLayers[0].TitleZh != "房屋" {
		t.Errorf("tilejson = %+v", tj)
	}
	// A field that enters the tiles at a higher zoom than the layer's says from which.
	if f := tj.VectorLayers[1].Fields["material"]; !strings.HasSuffix(f, ", z17+)") || strings.Contains(tj.VectorLayers[1].Fields["pipe_type"], "z17") {
		t.Errorf("pipeline fields: %v", tj.VectorLayers[1].Fields)
	}

	var sets struct {
		TileMatrixSets []struct{ ID string } `json:"tileMatrixSets"`
	}
	json.Unmarshal(body(t, get(t, s, "/tileMatrixSets")), &sets)
	if len(sets.TileMatrixSets) != 2 || sets.TileMatrixSets[1].ID != "CGCS2000Quad" {
		t.Errorf("tileMatrixSets = %+v", sets)
	}
	var def tiles.MatrixSetDef
	json.Unmarshal(body(t, get(t, s, "/tileMatrixSets/CGCS2000Quad")), &def)
	if def.CRS != "http://www.opengis.net/def/crs/EPSG/0/4490" || def.TileMatrices[0].ID != "1" ||
		def.TileMatrices[0].MatrixWidth != 2 || def.TileMatrices[0].MatrixHeight != 1 || def.TileMatrices[0].PointOfOrigin != [2]float64{90, -180} {
		t.Errorf("CGCS2000Quad = %+v", def.TileMatrices[0])
	}
	// Level 1: 180° over 256 pixels; the scale of that cell on the equator with 0.28 mm pixels
	// (the national grid's level 1 is about 1:2.8e8). Each level halves both.
	for i, m := range def.TileMatrices {
		cell := 180.0 / 256 / float64(int(1)<<i)
		scale := cell * (2 * math.Pi * 6378137 / 360) / 0.00028
		if math.Abs(m.CellSize-cell) > 1e-12*cell || math.Abs(m.ScaleDenominator-scale) > 1e-6*scale {
			t.Errorf("CGCS2000Quad level %s: cellSize %g scaleDenominator %g, want %g and %g", m.ID, m.CellSize, m.ScaleDenominator, cell, scale)
		}
	}
	if s := def.TileMatrices[0].ScaleDenominator; s < 2.79e8 || s > 2.80e8 {
		t.Errorf("CGCS2000Quad level 1 scale 1:%g, want about 1:2.795e8", s)
	}
	var ts map[string]any
	json.Unmarshal(body(t, get(t, s, "/collections/basemap.building/tiles/CGCS2000Quad")), &ts)
	if ts["crs"] != "http://www.opengis.net/def/crs/EPSG/0/4490" || len(ts["tileMatrixSetLimits"].([]any)) == 0 {
		t.Errorf("tileset = %v", ts)
	}
	// The OGC path takes row then column.
	tl := fixtureTile(tiles.CGCS2000Quad, 16)
	resp = get(t, s, fmt.Sprintf("/collections/basemap.building/tiles/CGCS2000Quad/%d/%d/%d", tl.Z, tl.Y, tl.X))
	if l := tilestest.Decode(t, body(t, resp))["basemap.building"]; resp.StatusCode != 200 || l == nil || len(l.Features) != 15 {
		t.Errorf("OGC CGCS2000 tile: %d %v", resp.StatusCode, l)
	}
}

// TestEventsStream: a viewer connected to /events hears of an import with its layers and bbox.
func TestEventsStream(t *testing.T) {
	s, svc, pool := tileServer(t, tiles.Config{CacheMB: 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Run(ctx)
	base := listen(t, s)
	resp, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
		close(events)
	}()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	imported := false
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if !strings.Contains(ev, "event: tiles\n") || !strings.Contains(ev, `"reason":"import"`) {
				continue
			}
			var ch spatial.Change
			data := ev[strings.Index(ev, "data: ")+6:]
			if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ch); err != nil {
				t.Fatal(err)
			}
			if ch.BBox == nil || *ch.BBox != tilestest.BBox() || len(ch.Layers) == 0 || !strings.Contains(ev, "id: ") {
				t.Errorf("event %q", ev)
			}
			return
		case <-tick.C:
			// The listener may not be up yet: import until the event comes (re-imports replace).
			if !imported || svc.Events().Subscribers() > 0 {
				tilestest.Import(t, pool, "fixture", 1)
				imported = true
			}
		case <-deadline:
			t.Fatal("no tiles event within 20 s")
		}
	}
}

func nil2log() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestRestrictedTilesArePrivate: a tile of a layer not everyone may read goes out private and varies
// by Authorization, so no shared cache hands it to another caller; a public one stays cacheable.
func TestRestrictedTilesArePrivate(t *testing.T) {
	ctx := context.Background()
	s, _, pool := tileServer(t, tiles.Config{})
	if _, err := pool.Exec(ctx, "UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'pipeline.point'"); err != nil {
		t.Fatal(err)
	}
	if err := s.deps.Catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	s.deps.Tokens = auth.New(pool)
	tok, err := s.deps.Tokens.Create(ctx, "li", []string{"planner"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, s, "/tiles/pipeline.point/3/0/0.mvt", "Authorization", "Bearer "+tok)
	if r.StatusCode != 200 && r.StatusCode != 204 {
		t.Fatalf("a planner's pipeline tile: %d", r.StatusCode)
	}
	if cc, v := r.Header.Get("Cache-Control"), r.Header.Get("Vary"); !strings.Contains(cc, "private") || !strings.Contains(v, "Authorization") {
		t.Errorf("a restricted tile: Cache-Control %q, Vary %q", cc, v)
	}
	r = get(t, s, "/tiles/basemap.road/3/0/0.mvt")
	if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "private") {
		t.Errorf("a public tile: Cache-Control %q", cc)
	}
}

// TestFenceEditPurgesTiles: a fence stored through the watch store (what /live/fences does) purges the
// cached live.fence tiles over it and is announced on /events, on insert, update and delete alike: the
// map shows the fence as drawn, not the tile cached before it.
func TestFenceEditPurgesTiles(t *testing.T) {
	s, svc, pool := tileServer(t, tiles.Config{CacheMB: 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Run(ctx)
	events, _ := svc.Events().Subscribe(0)
	defer events.Close()
	b := tilestest.BBox()
	tl := fixtureTile(tiles.WebMercatorQuad, 16)
	path := fmt.Sprintf("/tiles/live.fence/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	fences := func() int {
		if l := tilestest.Decode(t, body(t, get(t, s, path)))["live.fence"]; l != nil {
			return len(l.Features)
		}
		return 0
	}
	if n := fences(); n != 0 { // cached empty
		t.Fatalf("%d fences before any was drawn", n)
	}
	cx, cy, d := (b[0]+b[2])/2, (b[1]+b[3])/2, 0.0002
	ring := func(d float64) string {
		return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}`, cx-d, cy-d, cx+d, cy+d)
	}
	st := watch.NewStore(pool)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	heard := func(reason string, d float64) {
		t.Helper()
		waitFor("a live.fence "+reason+" event", func() bool {
			select {
			case e := <-events.C:
				ch := e.Change
				return slices.Contains(ch.Layers, "live.fence") && ch.Reason == reason && ch.BBox != nil &&
					ch.BBox[0] <= cx-d+1e-6 && ch.BBox[2] >= cx+d-1e-6
			default:
				return false
			}
		})
	}
	fence := func(name string, d float64) *watch.FenceFeature {
		ff, err := watch.ParseFenceFeature([]byte(`{"type":"Feature","geometry":` + ring(d) + `,"properties":{"name":"` + name + `"}}`))
		if err != nil {
			t.Fatal(err)
		}
		return ff
	}
	// The service listens once its connection is up: probe until it hears.
	waitFor("the tile service listening", func() bool {
		if _, err := pool.Exec(ctx, `SELECT pg_notify('yitu_change', '{"layers":["probe"],"reason":"probe"}')`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		for {
			select {
			case e := <-events.C:
				if e.Change.Reason == "probe" {
					return true
				}
			default:
				return false
			}
		}
	})
	f, err := st.PutFence(ctx, 0, fence("学校", d), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	heard("edit", d)
	waitFor("the new fence in its tile", func() bool { return fences() == 1 })
	if _, err := st.PutFence(ctx, f.ID, fence("学校（缩）", d/2), "test", nil); err != nil {
		t.Fatal(err)
	}
	heard("edit", d) // the old extent, larger than the new, is in the box
	if err := st.DeleteFence(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	heard("delete", d/2)
	waitFor("the deleted fence gone from its tile", func() bool { return fences() == 0 })
}

// TestTileCacheKeysOutliveTheRequest: a cached tile is found again after other requests. The cache
// key is made of the request's path; were it a view of the server's request buffer, which the server
// reuses, a shorter path would rewrite the cached key and a longer one would move the buffer away,
// leaving the key garbled for good: the tile would be missed, rendered again and cached twice.
func TestTileCacheKeysOutliveTheRequest(t *testing.T) {
	s, svc, _ := tileServer(t, tiles.Config{CacheMB: 16})
	tl := fixtureTile(tiles.WebMercatorQuad, 16)
	tilePath := fmt.Sprintf("/tiles/basemap.building/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	first := body(t, get(t, s, tilePath))
	for round := 1; round <= 3; round++ {
		body(t, get(t, s, "/collections"))
		body(t, get(t, s, "/collections/"+strings.Repeat("x", 100*round)))
		if b := body(t, get(t, s, tilePath)); !bytes.Equal(b, first) {
			t.Errorf("round %d: the tile differs from the first", round)
		}
	}
	if st := svc.Stats(); st.Misses != 1 || st.Hits != 3 || st.Tiles != 1 {
		t.Errorf("cache: %d misses, %d hits, %d tiles; want 1, 3 and 1 (the tile rendered once)", st.Misses, st.Hits, st.Tiles)
	}
}
