package tiles_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// setup returns a service over a fresh database holding the fixture, its generalized views refreshed.
func setup(t testing.TB, cfg tiles.Config) (*tiles.Service, *pgxpool.Pool, *spatial.CatalogStore) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	tilestest.Import(t, pool, "fixture", 0)
	store, err := spatial.NewCatalogStore(ctx, pool, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tiles.New(ctx, pool, store, cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshStale(ctx); err != nil {
		t.Fatal(err)
	}
	return svc, pool, store
}

var basemap = []string{"basemap.building", "basemap.road", "basemap.water", "basemap.boundary",
	"basemap.annotation", "basemap.control_point", "basemap.label", "pipeline.segment", "pipeline.point"}

func tileAt(g *tiles.Grid, z int) tiles.Tile {
	b := tilestest.BBox()
	return g.At(z, (b[0]+b[2])/2, (b[1]+b[3])/2)
}

func raw(t testing.TB, r *tiles.Result) []byte {
	t.Helper()
	b, err := r.Raw()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenTiles(t *testing.T) {
	svc, _, _ := setup(t, tiles.Config{})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		grid *tiles.Grid
		z    int
	}{
		{"webmercator_z17", tiles.WebMercatorQuad, 17},
		{"webmercator_z16", tiles.WebMercatorQuad, 16},
		{"webmercator_z15", tiles.WebMercatorQuad, 15},
		{"webmercator_z12", tiles.WebMercatorQuad, 12},
		{"webmercator_z10", tiles.WebMercatorQuad, 10},
		{"cgcs2000_z16", tiles.CGCS2000Quad, 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := svc.Tile(ctx, tiles.Request{Grid: c.grid, Layers: basemap, Tile: tileAt(c.grid, c.z), Principal: spatial.Anonymous})
			if err != nil {
				t.Fatal(err)
			}
			tilestest.Golden(t, c.name, raw(t, r))
		})
	}
}

// TestTileContent checks what a tile holds independently of the golden files: layer names are catalog
// ids, feature ids are row ids, exposed properties only, zoom bands honoured.
func TestTileContent(t *testing.T) {
	svc, pool, _ := setup(t, tiles.Config{})
	ctx := context.Background()
	r, err := svc.Tile(ctx, tiles.Request{Layers: basemap, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	got := tilestest.Decode(t, raw(t, r))
	var ids []int64
	rows, _ := pool.Query(ctx, "SELECT id FROM basemap.building ORDER BY id")
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	b := got["basemap.building"]
	if b == nil || len(b.Features) != len(ids) {
		t.Fatalf("building layer has %v features, want the %d rows", b, len(ids))
	}
	for _, id := range ids {
		f := b.Features[uint64(id)]
		if f == nil {
			t.Fatalf("building %d missing", id)
		}
		if _, ok := f.Properties["dataset_id"]; ok {
			t.Error("an unexposed column is in the tile")
		}
		// Below z17 a building carries its class only (tile_min_zoom of the others).
		if _, ok := f.Properties["structure"]; ok || f.Properties["code"] == nil || f.Geometry.GeoJSONType() != "Polygon" {
			t.Errorf("building %d: %v %v", id, f.Geometry.GeoJSONType(), f.Properties)
		}
	}
	r, err = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 17), Principal: spatial.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	for id, f := range tilestest.Decode(t, raw(t, r))["basemap.building"].Features {
		if f.Properties["structure"] != "砼" || f.Properties["floors"] == nil {
			t.Errorf("z17 building %d: %v", id, f.Properties)
		}
	}
	if _, ok := got["pipeline.point"]; !ok {
		t.Error("pipeline.point missing at z16")
	}
	// z15: below the minimum zoom of points and annotations, above the generalized bands.
	r, _ = svc.Tile(ctx, tiles.Request{Layers: basemap, Tile: tileAt(tiles.WebMercatorQuad, 15), Principal: spatial.Anonymous})
	got = tilestest.Decode(t, raw(t, r))
	for _, l := range []string{"pipeline.point", "basemap.annotation"} {
		if _, ok := got[l]; ok {
			t.Errorf("%s served below its minimum zoom", l)
		}
	}
	// z10: blocks instead of buildings.
	r, _ = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 10), Principal: spatial.Anonymous})
	got = tilestest.Decode(t, raw(t, r))
	if l := got["basemap.building"]; l == nil || len(l.Features) == 0 || len(l.Features) >= len(ids) {
		t.Errorf("z10 buildings are not merged into blocks: %v", l)
	}
	// z14–15: pipes merged per type and diameter; z16: the segments themselves, both carrying only what
	// the style draws with; z17: every attribute, for the labels.
	var segments int
	pool.QueryRow(ctx, "SELECT count(*) FROM pipeline.segment").Scan(&segments)
	for z := 14; z <= 17; z++ {
		r, _ = svc.Tile(ctx, tiles.Request{Layers: []string{"pipeline.segment"}, Tile: tileAt(tiles.WebMercatorQuad, z), Principal: spatial.Anonymous})
		l := tilestest.Decode(t, raw(t, r))["pipeline.segment"]
		if l == nil || len(l.Features) == 0 {
			t.Fatalf("z%d: no pipes", z)
		}
		if merged := len(l.Features) < segments; merged != (z < 16) {
			t.Errorf("z%d: %d pipe features of %d segments", z, len(l.Features), segments)
		}
		for id, f := range l.Features {
			if slim := len(f.Properties) <= 2; f.Properties["pipe_type"] == nil || slim != (z < 17) {
				t.Errorf("z%d pipe %d: properties %v", z, id, f.Properties)
			}
		}
	}
}

// TestCGCS2000MatchesWebMercator: the same area in the two grids holds the same features with the
// same properties, and their geometries agree on the ground to within a pixel or two.
func TestCGCS2000MatchesWebMercator(t *testing.T) {
	svc, _, _ := setup(t, tiles.Config{})
	ctx := context.Background()
	const z = 16
	wm, cg := tileAt(tiles.WebMercatorQuad, z), tileAt(tiles.CGCS2000Quad, z)
	decode := func(g *tiles.Grid, tile tiles.Tile) map[string]*tilestest.Layer {
		r, err := svc.Tile(ctx, tiles.Request{Grid: g, Layers: basemap, Tile: tile, Principal: spatial.Anonymous})
		if err != nil {
			t.Fatal(err)
		}
		return tilestest.Decode(t, raw(t, r))
	}
	a, b := decode(tiles.WebMercatorQuad, wm), decode(tiles.CGCS2000Quad, cg)
	// The fixture lies inside both tiles (checked here, or the comparison would mean nothing).
	fb := tilestest.BBox()
	for _, g := range []struct {
		grid *tiles.Grid
		tile tiles.Tile
	}{{tiles.WebMercatorQuad, wm}, {tiles.CGCS2000Quad, cg}} {
		tb := g.grid.LonLatBounds(g.tile)
		if fb[0] < tb[0] || fb[1] < tb[1] || fb[2] > tb[2] || fb[3] > tb[3] {
			t.Fatalf("the fixture %v is not inside %s tile %v %v", fb, g.grid.ID, g.tile, tb)
		}
	}
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("layers differ: %d WebMercator, %d CGCS2000", len(a), len(b))
	}
	toLonLat := func(g *tiles.Grid, tile tiles.Tile, extent uint32, p orb.Point) orb.Point {
		minx, miny, maxx, maxy := g.Bounds(tile)
		x := minx + p[0]/float64(extent)*(maxx-minx)
		y := maxy - p[1]/float64(extent)*(maxy-miny)
		if g.Mercator() {
			return orb.Point{x / 20037508.342789244 * 180, math.Atan(math.Sinh(y/20037508.342789244*math.Pi)) * 180 / math.Pi}
		}
		return orb.Point{x, y}
	}
	pixel := 360.0 / math.Pow(2, z) / 4096 // degrees of longitude per tile unit
	for name, la := range a {
		lb := b[name]
		if lb == nil || len(la.Features) != len(lb.Features) {
			t.Errorf("%s: %d features in WebMercator, %v in CGCS2000", name, len(la.Features), lb)
			continue
		}
		for id, fa := range la.Features {
			fbb := lb.Features[id]
			if fbb == nil {
				t.Errorf("%s feature %d missing in CGCS2000", name, id)
				continue
			}
			if !equalProps(fa.Properties, fbb.Properties) {
				t.Errorf("%s feature %d: properties %v vs %v", name, id, fa.Properties, fbb.Properties)
			}
			ca := orb.Bound.Center(boundLonLat(fa, func(p orb.Point) orb.Point { return toLonLat(tiles.WebMercatorQuad, wm, la.Extent, p) }))
			cb := orb.Bound.Center(boundLonLat(fbb, func(p orb.Point) orb.Point { return toLonLat(tiles.CGCS2000Quad, cg, lb.Extent, p) }))
			if math.Abs(ca[0]-cb[0]) > 3*pixel || math.Abs(ca[1]-cb[1]) > 3*pixel {
				t.Errorf("%s feature %d: centre %v in WebMercator, %v in CGCS2000", name, id, ca, cb)
			}
		}
	}
}

func equalProps(a, b geojson.Properties) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func boundLonLat(f *geojson.Feature, proj func(orb.Point) orb.Point) orb.Bound {
	b := f.Geometry.Bound()
	return orb.MultiPoint{proj(b.Min), proj(b.Max)}.Bound()
}

// TestPurgeOnReimport: a cached tile stays as it was until the re-import's notification arrives, then
// exactly the touched tiles go and the new content is served; viewers hear of it.
func TestPurgeOnReimport(t *testing.T) {
	svc, pool, _ := setup(t, tiles.Config{CacheMB: 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, _ := svc.Events().Subscribe(0)
	defer sub.Close()
	go svc.Run(ctx)
	// Wait until the listener runs: it announces nothing, so probe with a change of our own.
	waitEvent(t, sub, func(ch spatial.Change) bool { return ch.Reason == "probe" }, func() {
		spatial.NotifyChange(ctx, pool, spatial.Change{Layers: []string{"basemap.other"}, Reason: "probe"})
	})
	req := tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 17), Principal: spatial.Anonymous}
	far := req
	far.Tile = tiles.Tile{Z: 17, X: req.Tile.X + 100, Y: req.Tile.Y}
	before, err := svc.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Tile(ctx, far); err != nil {
		t.Fatal(err)
	}
	// The data changes without a notification: the cache still serves the old tile.
	if _, err := pool.Exec(ctx, "UPDATE basemap.building SET name = name || '改'"); err != nil {
		t.Fatal(err)
	}
	stale, _ := svc.Tile(ctx, req)
	if stale.ETag != before.ETag {
		t.Fatal("the tile changed before any change notification: it was not served from the cache")
	}
	misses := svc.Stats().Misses
	// The re-import notifies: the tile is purged and re-rendered with the new data.
	waitEvent(t, sub, func(ch spatial.Change) bool { return ch.Reason == "import" }, func() {
		tilestest.Import(t, pool, "fixture", 3)
	})
	after, err := svc.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if after.ETag == before.ETag {
		t.Fatal("the tile did not change after the re-import")
	}
	got := tilestest.Decode(t, raw(t, after))
	found := false
	for _, f := range got["basemap.building"].Features {
		found = found || f.Properties["name"] == "1号楼-3"
	}
	if !found {
		t.Error("the re-imported building name is not in the tile")
	}
	if _, err := svc.Tile(ctx, far); err != nil {
		t.Fatal(err)
	}
	if m := svc.Stats().Misses - misses; m != 1 {
		t.Errorf("%d misses after the re-import, want 1: the far tile must stay cached", m)
	}
}

func waitEvent(t *testing.T, sub *tiles.Subscription, match func(spatial.Change) bool, do func()) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	do()
	for {
		select {
		case e := <-sub.C:
			if match(e.Change) {
				return
			}
		case <-tick.C:
			if t.Name() != "" && e2eProbe(do) {
				continue
			}
		case <-deadline:
			t.Fatal("no matching change event within 20 s")
		}
	}
}

// e2eProbe repeats an idempotent probe while the listener is starting.
func e2eProbe(do func()) bool { do(); return true }

// TestGeneralizedRefresh: a re-import refreshes the low-zoom views and purges their tiles again.
func TestGeneralizedRefresh(t *testing.T) {
	svc, pool, _ := setup(t, tiles.Config{CacheMB: 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, _ := svc.Events().Subscribe(0)
	defer sub.Close()
	go svc.Run(ctx)
	req := tiles.Request{Layers: []string{"basemap.label"}, Tile: tileAt(tiles.WebMercatorQuad, 14), Principal: spatial.Anonymous}
	before, err := svc.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, func(ch spatial.Change) bool {
		return ch.Reason == tiles.ReasonGeneralized && len(ch.Layers) == 1 && ch.Layers[0] == "basemap.label"
	}, func() { tilestest.Import(t, pool, "fixture", 5) })
	// z14 reads label_z14, which is refreshed after the label view it thins (the second event).
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, err := svc.Tile(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		names := map[any]bool{}
		for _, f := range tilestest.Decode(t, raw(t, after))["basemap.label"].Features {
			names[f.Properties["name"]] = true
		}
		if after.ETag != before.ETag && names["1号楼-5"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("label points not refreshed within 20 s of the re-import: %v", names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSingleFlight: concurrent misses for one tile run one query.
func TestSingleFlight(t *testing.T) {
	svc, _, _ := setup(t, tiles.Config{CacheMB: 16})
	req := tiles.Request{Layers: basemap, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous}
	var wg sync.WaitGroup
	etags := make([]string, 20)
	for i := range etags {
		wg.Go(func() {
			r, err := svc.Tile(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			etags[i] = r.ETag
		})
	}
	wg.Wait()
	st := svc.Stats()
	// Every request either hit the cache, or joined the one query, or ran it.
	if st.Hits+st.Shared != 19 || st.Misses-st.Shared != 1 {
		t.Errorf("stats %+v: want one query for 20 concurrent requests", st)
	}
	for _, e := range etags {
		if e != etags[0] {
			t.Fatal("requests got different tiles")
		}
	}
}

// TestLayerTimeout: a layer over its budget fails the tile with a TimeoutError naming the layer.
func TestLayerTimeout(t *testing.T) {
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
	store, err := spatial.NewCatalogStore(ctx, pool, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tiles.New(ctx, pool, store, tiles.Config{LayerTimeout: 3 * time.Second}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.road", "reference.slow"}, Tile: tiles.Tile{Z: 14, X: 13651, Y: 6283}, Principal: spatial.Anonymous})
	var te *spatial.TimeoutError
	if !errors.As(err, &te) || te.Subject != "reference.slow" {
		t.Fatalf("err = %v, want a TimeoutError naming reference.slow", err)
	}
}

// TestNewLayerWithoutRestart: a layer added to the catalog serves tiles after the NOTIFY reload.
func TestNewLayerWithoutRestart(t *testing.T) {
	svc, pool, store := setup(t, tiles.Config{CacheMB: 16})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go store.Run(ctx)
	_, err := pool.Exec(ctx, `
		CREATE TABLE public.poi (id serial PRIMARY KEY, title text, geom geometry(Point, 4490),
			geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED);
		INSERT INTO public.poi (title, geom) VALUES ('莱州站', ST_SetSRID(ST_MakePoint(119.943, 37.182), 4490))`)
	if err != nil {
		t.Fatal(err)
	}
	req := tiles.Request{Layers: []string{"reference.poi"}, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous}
	if _, err := svc.Tile(ctx, req); !errors.Is(err, spatial.ErrNotFound) {
		t.Fatalf("before: %v, want not found", err)
	}
	sub, _ := svc.Events().Subscribe(0)
	defer sub.Close()
	waitEvent(t, sub, func(ch spatial.Change) bool { return ch.Reason == "catalog" }, func() {
		pool.Exec(ctx, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type, properties)
			VALUES ('reference.poi', '兴趣点', 'Points of interest', 'reference', 'public', 'poi', 'Point',
			        '[{"name":"title","title_zh":"名称","title_en":"Title","type":"string"}]') ON CONFLICT DO NOTHING`)
	})
	r, err := svc.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	l := tilestest.Decode(t, raw(t, r))["reference.poi"]
	if l == nil || len(l.Features) != 1 || l.Features[1].Properties["title"] != "莱州站" {
		t.Fatalf("new layer tile = %v", l)
	}
}

// TestDiscovery: tables in configured schemas serve tiles without a catalog row.
func TestDiscovery(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	_, err := pool.Exec(ctx, `CREATE SCHEMA survey;
		CREATE TABLE survey.parcel (gid serial PRIMARY KEY, owner text, area real, geom geometry(Polygon, 4490));
		INSERT INTO survey.parcel (owner, area, geom) VALUES ('莱州市自然资源局', 812.5,
			ST_GeomFromText('POLYGON((119.941 37.181, 119.942 37.181, 119.942 37.182, 119.941 37.182, 119.941 37.181))', 4490));
		CREATE TABLE survey.zone (id int, batch int, geom geometry(Polygon, 4490)) PARTITION BY LIST (batch);
		CREATE TABLE survey.zone_1 PARTITION OF survey.zone FOR VALUES IN (1)`)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := spatial.NewCatalogStore(ctx, pool, testLog(t))
	svc, err := tiles.New(ctx, pool, store, tiles.Config{DiscoverSchemas: []string{"survey"}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Tile(ctx, tiles.Request{Layers: []string{"survey.parcel"}, Tile: tileAt(tiles.WebMercatorQuad, 15), Principal: spatial.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	l := tilestest.Decode(t, raw(t, r))["survey.parcel"]
	if l == nil || len(l.Features) != 1 || l.Features[1].Properties["owner"] != "莱州市自然资源局" {
		t.Fatalf("discovered layer tile = %v", l)
	}
	// A partitioned table is one layer; its partitions are not layers of their own.
	if _, err := svc.Tile(ctx, tiles.Request{Layers: []string{"survey.zone"}, Tile: tileAt(tiles.WebMercatorQuad, 15), Principal: spatial.Anonymous}); err != nil {
		t.Errorf("partitioned table: %v", err)
	}
	if _, err := svc.Tile(ctx, tiles.Request{Layers: []string{"survey.zone_1"}, Tile: tileAt(tiles.WebMercatorQuad, 15), Principal: spatial.Anonymous}); !errors.Is(err, spatial.ErrNotFound) {
		t.Errorf("a partition served as a layer of its own: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	svc, pool, store := setup(t, tiles.Config{})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'pipeline.segment'"); err != nil {
		t.Fatal(err)
	}
	if err := store.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	req := tiles.Request{Layers: []string{"basemap.road", "pipeline.segment"}, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous}
	if _, err := svc.Tile(ctx, req); !errors.Is(err, spatial.ErrUnauthorized) {
		t.Errorf("anonymous: %v, want unauthorized", err)
	}
	req.Principal = spatial.Principal{Subject: "zhang", Roles: []string{"surveyor"}}
	if _, err := svc.Tile(ctx, req); !errors.Is(err, spatial.ErrForbidden) {
		t.Errorf("surveyor: %v, want forbidden", err)
	}
	req.Principal = spatial.Principal{Subject: "li", Roles: []string{"planner"}}
	if _, err := svc.Tile(ctx, req); err != nil {
		t.Errorf("planner: %v", err)
	}
}

// TestTileFilter: a CQL2 filter narrows a single-layer tile to the matching rows, in both grids; a
// property the zoom's generalized table lacks, or a composite tile, is refused naming the filter.
func TestTileFilter(t *testing.T) {
	svc, pool, _ := setup(t, tiles.Config{CacheMB: 16})
	ctx := context.Background()
	// The filter may test attributes the zoom's tiles do not carry (floors enters the tiles at z17).
	var want []int64
	if err := pool.QueryRow(ctx, "SELECT array_agg(id ORDER BY id) FROM basemap.building WHERE floors >= 4 AND structure = '砼'").Scan(&want); err != nil {
		t.Fatal(err)
	}
	f, err := cql2.Parse("floors >= 4 AND structure = '砼'", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*tiles.Grid{tiles.WebMercatorQuad, tiles.CGCS2000Quad} {
		r, err := svc.Tile(ctx, tiles.Request{Grid: g, Layers: []string{"basemap.building"}, Tile: tileAt(g, 16),
			Filter: f, FilterKey: "floors>=4", Principal: spatial.Anonymous})
		if err != nil {
			t.Fatal(err)
		}
		l := tilestest.Decode(t, raw(t, r))["basemap.building"]
		if len(want) == 0 || l == nil {
			t.Fatalf("%s: filtered tile has %v, want buildings %v", g.ID, l, want)
		}
		var got []int64
		for id := range l.Features {
			got = append(got, int64(id))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: filtered tile has buildings %v, want %v", g.ID, got, want)
		}
	}
	// The unfiltered tile is another cache entry.
	r, _ := svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous})
	if n := len(tilestest.Decode(t, raw(t, r))["basemap.building"].Features); n != 15 {
		t.Errorf("unfiltered tile after a filtered one: %d features", n)
	}
	// A spatial filter in lon/lat.
	b := tilestest.BBox()
	sf, _ := cql2.Parse(fmt.Sprintf("S_INTERSECTS(geometry, BBOX(%f, %f, %f, %f))", b[0], b[1], (b[0]+b[2])/2, b[3]), "")
	r, err = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 16), Filter: sf, FilterKey: "west", Principal: spatial.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tilestest.Decode(t, raw(t, r))["basemap.building"].Features); n == 0 || n >= 15 {
		t.Errorf("spatial filter kept %d of 15 buildings", n)
	}
	var inv *spatial.InvalidError
	// floors is not in the z10 blocks.
	_, err = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building"}, Tile: tileAt(tiles.WebMercatorQuad, 10), Filter: f, FilterKey: "x", Principal: spatial.Anonymous})
	if !errors.As(err, &inv) || inv.Param != "filter" {
		t.Errorf("filter on a property the z10 blocks lack: %v", err)
	}
	_, err = svc.Tile(ctx, tiles.Request{Layers: []string{"basemap.building", "basemap.road"}, Tile: tileAt(tiles.WebMercatorQuad, 16), Filter: f, FilterKey: "x", Principal: spatial.Anonymous})
	if !errors.As(err, &inv) || inv.Param != "filter" {
		t.Errorf("filter on a composite tile: %v", err)
	}
}

// TestGzipLevel: every level gives the same tile; a level gzip does not have is refused at start.
func TestGzipLevel(t *testing.T) {
	svc, pool, store := setup(t, tiles.Config{GzipLevel: 9})
	ctx := context.Background()
	req := tiles.Request{Layers: basemap, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous}
	small, err := svc.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := tiles.New(ctx, pool, store, tiles.Config{GzipLevel: 1}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	quick, err := fast.Tile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw(t, small), raw(t, quick)) || small.ETag != quick.ETag {
		t.Error("levels 1 and 9 give different tiles")
	}
	if len(small.Gzip) > len(quick.Gzip) {
		t.Errorf("level 9 gives %d bytes, more than level 1's %d", len(small.Gzip), len(quick.Gzip))
	}
	if _, err := tiles.New(ctx, pool, store, tiles.Config{GzipLevel: 12}, testLog(t)); err == nil || !strings.Contains(err.Error(), "tiles.gzip_level") {
		t.Errorf("gzip level 12: %v", err)
	}
}

// TestRendersInLine: with one render at a time, concurrent misses for different tiles all complete,
// each whole; a caller gone before its tile is rendered gets its context's error; a negative count is
// refused.
func TestRendersInLine(t *testing.T) {
	svc, pool, store := setup(t, tiles.Config{Renders: 1})
	ctx := context.Background()
	base := tileAt(tiles.WebMercatorQuad, 17)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	got := make([][]byte, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := svc.Tile(ctx, tiles.Request{Layers: basemap, Tile: tiles.Tile{Z: 17, X: base.X + i%4, Y: base.Y + i/4}, Principal: spatial.Anonymous})
			if err == nil {
				got[i] = raw(t, r)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("tile %d: %v", i, err)
		}
	}
	if len(tilestest.Decode(t, got[0])["basemap.building"].Features) == 0 {
		t.Error("the fixture's tile has no buildings")
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := svc.Tile(gone, tiles.Request{Layers: basemap, Tile: base, Principal: spatial.Anonymous}); !errors.Is(err, context.Canceled) {
		t.Errorf("a caller gone before its turn: %v", err)
	}
	if _, err := tiles.New(ctx, pool, store, tiles.Config{Renders: -1}, testLog(t)); err == nil || !strings.Contains(err.Error(), "tiles.renders") {
		t.Errorf("renders -1: %v", err)
	}
}

// TestOneBadViewDoesNotStopTheOthers: a generalized view whose query fails on one row (a division
// by zero here, as a bad geometry would) keeps its last content and records why, while every other
// stale view is refreshed; once the row is fixed it refreshes too.
func TestOneBadViewDoesNotStopTheOthers(t *testing.T) {
	ctx := context.Background()
	svc, pool, _ := setup(t, tiles.Config{})
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// Sorted before the real views, so it is taken first.
	exec(`CREATE MATERIALIZED VIEW tiles.a_fragile AS SELECT id, 100 / (coalesce(floors, 1) - 99) AS x FROM basemap.building`)
	exec(`CREATE UNIQUE INDEX ON tiles.a_fragile (id)`)
	exec(`INSERT INTO tiles.derived (view_schema, view_name, sources, layers) VALUES ('tiles', 'a_fragile', '{basemap.building}', '{basemap.building}')`)
	exec(`UPDATE basemap.building SET floors = 99 WHERE id = (SELECT min(id) FROM basemap.building)`)
	exec(`UPDATE tiles.derived SET stale = true`)

	err := svc.RefreshGeneralized(ctx)
	if err == nil || !strings.Contains(err.Error(), "tiles.a_fragile") {
		t.Errorf("the failed refresh is not reported: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT view_name, stale, coalesce(last_error, '') FROM tiles.derived ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, lastErr string
		var stale bool
		if err := rows.Scan(&name, &stale, &lastErr); err != nil {
			t.Fatal(err)
		}
		if fragile := name == "a_fragile"; stale != fragile || (lastErr != "") != fragile || fragile && !strings.Contains(lastErr, "division by zero") {
			t.Errorf("%s: stale %v, last error %q", name, stale, lastErr)
		}
	}
	rows.Close()

	exec(`UPDATE basemap.building SET floors = 3 WHERE floors = 99`)
	if err := svc.RefreshGeneralized(ctx); err != nil {
		t.Fatal(err)
	}
	var stale int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tiles.derived WHERE stale OR last_error IS NOT NULL`).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%d views still stale or failed (%v)", stale, err)
	}
}
