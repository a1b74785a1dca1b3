package twin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

func newService(t testing.TB, pool *pgxpool.Pool, mod func(*twin.Config)) *twin.Service {
	cfg := twin.DefaultConfig()
	cfg.HeightOffset = 9.5
	cfg.FeatureCap = 50
	if mod != nil {
		mod(&cfg)
	}
	s, err := twin.New(pool, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tile is a tile of tileset.json as the structure checks read it.
type tile struct {
	BoundingVolume struct {
		Region []float64 `json:"region"`
		Box    []float64 `json:"box"`
	} `json:"boundingVolume"`
	GeometricError float64               `json:"geometricError"`
	Refine         string                `json:"refine"`
	Transform      []float64             `json:"transform"`
	Content        *struct{ URI string } `json:"content"`
	Children       []*tile               `json:"children"`
}

type tilesetDoc struct {
	Asset          struct{ Version string } `json:"asset"`
	GeometricError float64                  `json:"geometricError"`
	Root           *tile                    `json:"root"`
}

// checkStructure: regions contain their children's, geometric error decreases strictly down to 0 at
// the leaves, every content tile has a rigid transform whose composition lands on the globe's
// surface (ECEF radius of the earth) inside the tile's region. It returns the content URIs.
func checkStructure(t *testing.T, doc *tilesetDoc) []string {
	t.Helper()
	if doc.Asset.Version != "1.1" {
		t.Errorf("asset.version = %q", doc.Asset.Version)
	}
	if doc.Root.Refine == "" {
		t.Error("root has no refine")
	}
	if doc.GeometricError < doc.Root.GeometricError {
		t.Errorf("tileset geometric error %v below the root's %v", doc.GeometricError, doc.Root.GeometricError)
	}
	// Not drawing the tileset at all leaves out at least a building: with a smaller error, CesiumJS
	// skips a one-tile tileset unless the camera is within a few dozen metres.
	if doc.GeometricError < 20 {
		t.Errorf("tileset geometric error %v: below a building's size", doc.GeometricError)
	}
	var uris []string
	var walk func(tl *tile, world [16]float64, depth int)
	walk = func(tl *tile, world [16]float64, depth int) {
		r := tl.BoundingVolume.Region
		if len(r) != 6 || r[0] > r[2] || r[1] > r[3] || r[4] > r[5] {
			t.Fatalf("bad region %v", r)
		}
		if tl.Transform != nil {
			world = mul(world, [16]float64(tl.Transform))
		}
		if tl.Content != nil {
			uris = append(uris, tl.Content.URI)
			if tl.Transform == nil {
				t.Errorf("content tile %s has no transform", tl.Content.URI)
			}
			// The content origin (0,0,0) in ECEF, back to geodetic: within the region.
			x, y, z := world[12], world[13], world[14]
			lon, lat := math.Atan2(y, x), math.Atan2(z, math.Hypot(x, y)*(1-0.00669438))
			if lon < r[0]-1e-7 || lon > r[2]+1e-7 || lat < r[1]-1e-6 || lat > r[3]+1e-6 {
				t.Errorf("tile %s: content origin %.6f,%.6f outside its region %v", tl.Content.URI, lon*180/math.Pi, lat*180/math.Pi, r)
			}
			// Rigid: the rotation's columns are unit vectors.
			for c := range 3 {
				l := math.Sqrt(world[c*4]*world[c*4] + world[c*4+1]*world[c*4+1] + world[c*4+2]*world[c*4+2])
				if math.Abs(l-1) > 1e-9 {
					t.Errorf("tile %s: transform column %d has length %v", tl.Content.URI, c, l)
				}
			}
		}
		if len(tl.Children) == 0 && tl.GeometricError != 0 {
			t.Errorf("leaf at depth %d has geometric error %v", depth, tl.GeometricError)
		}
		for _, c := range tl.Children {
			cr := c.BoundingVolume.Region
			if len(cr) == 6 && (cr[0] < r[0]-1e-12 || cr[1] < r[1]-1e-12 || cr[2] > r[2]+1e-12 || cr[3] > r[3]+1e-12 || cr[4] < r[4]-1e-6 || cr[5] > r[5]+1e-6) {
				t.Errorf("child region %v not inside parent %v", cr, r)
			}
			if c.GeometricError >= tl.GeometricError {
				t.Errorf("child geometric error %v not below its parent's %v", c.GeometricError, tl.GeometricError)
			}
			walk(c, world, depth+1)
		}
	}
	walk(doc.Root, [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, 0)
	return uris
}

func mul(a, b [16]float64) [16]float64 {
	var c [16]float64
	for col := range 4 {
		for row := range 4 {
			for k := range 4 {
				c[col*4+row] += a[k*4+row] * b[col*4+k]
			}
		}
	}
	return c
}

// fetchAll reads tileset.json and every tile through the service, validates every glb with the
// Khronos validator and returns the features' metadata.
func fetchAll(t *testing.T, s *twin.Service, name string) (*tilesetDoc, []twintest.Feature) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Tileset(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	var doc tilesetDoc
	if err := json.Unmarshal(c.Data, &doc); err != nil {
		t.Fatal(err)
	}
	uris := checkStructure(t, &doc)
	glbs := map[string][]byte{}
	var feats []twintest.Feature
	for _, u := range uris {
		tc, err := s.Tile(ctx, name, u)
		if err != nil {
			t.Fatalf("tile %s: %v", u, err)
		}
		if tc.Type != "model/gltf-binary" || tc.ETag == "" {
			t.Errorf("tile %s: type %q etag %q", u, tc.Type, tc.ETag)
		}
		glbs[name+"_"+strings.ReplaceAll(u, "/", "_")] = tc.Data
		f, err := twintest.Features(tc.Data)
		if err != nil {
			t.Fatalf("tile %s: %v", u, err)
		}
		feats = append(feats, f...)
	}
	glbtest.CheckBytes(t, glbs)
	return &doc, feats
}

func TestBuildingsTileset(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	ids := twintest.SeedBuildings(t, pool, 240)
	s := newService(t, pool, nil)
	doc, feats := fetchAll(t, s, "buildings")
	if len(doc.Root.Children) == 0 {
		t.Error("240 buildings with a cap of 50 made no child tiles")
	}
	if len(feats) != len(ids) {
		t.Fatalf("%d features in the tiles, want %d (each building exactly once)", len(feats), len(ids))
	}
	seen := map[string]twintest.Feature{}
	for _, f := range feats {
		if _, dup := seen[f.Props["id"]]; dup {
			t.Errorf("building %s in two tiles", f.Props["id"])
		}
		seen[f.Props["id"]] = f
	}
	// A pick identifies the row: id, layer and attributes match the database.
	var id int64
	var name, addr string
	var floors int32
	if err := pool.QueryRow(ctx, `SELECT id, name, address, floors FROM basemap.building ORDER BY id LIMIT 1 OFFSET 7`).Scan(&id, &name, &addr, &floors); err != nil {
		t.Fatal(err)
	}
	f, ok := seen[fmt.Sprint(id)]
	if !ok {
		t.Fatalf("building %d not in any tile", id)
	}
	if f.Props["layer"] != "basemap.building" || f.Props["name"] != name || f.Props["address"] != addr || f.Props["floors"] != fmt.Sprint(floors) {
		t.Errorf("building %d metadata = %v, want name %q address %q floors %d", id, f.Props, name, addr, floors)
	}
	if f.Class != "building" || f.Vertices == 0 {
		t.Errorf("building %d: class %q, %d vertices", id, f.Class, f.Vertices)
	}

	// Cached: the same bytes again; an unknown tile is not found.
	c1, _ := s.Tile(ctx, "buildings", "0/0/0.glb")
	c2, _ := s.Tile(ctx, "buildings", "0/0/0.glb")
	if &c1.Data[0] != &c2.Data[0] {
		t.Error("the second request built the tile again")
	}
	if _, err := s.Tile(ctx, "buildings", "9/9/9.glb"); err == nil {
		t.Error("an unknown tile was served")
	}
	if _, err := s.Tileset(ctx, "nonsense"); err == nil || !strings.Contains(err.Error(), "known tilesets") {
		t.Errorf("unknown tileset: %v", err)
	}
}

func TestBuildingHeights(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	twintest.SeedBuildings(t, pool, 3)
	// Building heights: explicit height; floors × storey height; default floors.
	if _, err := pool.Exec(ctx, `UPDATE basemap.building SET height = 20, floors = 5 WHERE name = '楼0';
		UPDATE basemap.building SET height = NULL, floors = 4 WHERE name = '楼1';
		UPDATE basemap.building SET height = NULL, floors = NULL WHERE name = '楼2';
		DELETE FROM basemap.elevation_point;`); err != nil {
		t.Fatal(err)
	}
	s := newService(t, pool, func(c *twin.Config) { c.StoreyHeight = 3.5; c.GroundHeight = 4; c.HeightOffset = 10 })
	c, err := s.Tile(ctx, "buildings", "0/0/0.glb")
	if err != nil {
		// The tileset must be built first.
		if _, err := s.Tileset(ctx, "buildings"); err != nil {
			t.Fatal(err)
		}
		if c, err = s.Tile(ctx, "buildings", "0/0/0.glb"); err != nil {
			t.Fatal(err)
		}
	}
	feats, err := twintest.Features(c.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"楼0": 20, "楼1": 14, "楼2": 3.5}
	for _, f := range feats {
		// The content frame sits at the lowest ground of the tile (4 + 10 m ellipsoidal); vertical
		// extent of the building = its height.
		if got := f.MaxY - f.MinY; math.Abs(got-want[f.Props["name"]]) > 0.05 {
			t.Errorf("%s: height in the glb %.2f, want %v", f.Props["name"], got, want[f.Props["name"]])
		}
	}
	if len(feats) != 3 {
		t.Errorf("%d features", len(feats))
	}
}

func TestPipelinesTileset(t *testing.T) {
	pool := pgtest.New(t)
	twintest.SeedPipelines(t, pool, 30)
	s := newService(t, pool, func(c *twin.Config) { c.FeatureCap = 20 })
	_, feats := fetchAll(t, s, "pipelines")
	var segs, wells int
	for _, f := range feats {
		switch f.Props["layer"] {
		case "pipeline.segment":
			segs++
			if f.Props["pipe_type"] == "" || f.Props["material"] == "" || f.Props["owner"] == "" {
				t.Errorf("segment %s lacks attributes: %v", f.Props["id"], f.Props)
			}
			if f.Props["section"] == "" && f.Props["diameter_mm"] == "" {
				t.Errorf("segment %s has neither diameter nor section", f.Props["id"])
			}
		case "pipeline.point":
			wells++
			if f.Props["well_depth"] == "" {
				t.Errorf("well %s without depth", f.Props["id"])
			}
		}
	}
	var wantSegs, wantWells int
	pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM pipeline.segment), (SELECT count(*) FROM pipeline.point WHERE well_depth > 0)`).Scan(&wantSegs, &wantWells)
	if segs != wantSegs || wells != wantWells {
		t.Errorf("tiles hold %d segments and %d wells, want %d and %d", segs, wells, wantSegs, wantWells)
	}
}

func TestPurgeOnChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	twintest.SeedBuildings(t, pool, 10)
	s := newService(t, pool, nil)
	go s.Run(ctx)
	first, err := s.Tileset(ctx, "buildings")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the listener start
	// Another import adds a building and announces it, as the loader does.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO basemap.building (dataset_id, name, floors, geom)
		SELECT dataset_id, '新楼', 12, ST_Multi(ST_MakeEnvelope(119.99, 37.2, 119.9902, 37.2002, 4490)) FROM basemap.building LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := spatial.NotifyChange(ctx, tx, spatial.Change{Layers: []string{"basemap.building"}, Reason: "import"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := s.Tileset(ctx, "buildings")
		if err != nil {
			t.Fatal(err)
		}
		if c.ETag != first.ETag {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tileset was not rebuilt within 10 s of the change")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A change to an unrelated layer keeps it.
	before, _ := s.Tileset(ctx, "buildings")
	s.Purge(spatial.Change{Layers: []string{"basemap.road"}})
	after, _ := s.Tileset(ctx, "buildings")
	if &before.Data[0] != &after.Data[0] {
		t.Error("a road change rebuilt the buildings tileset")
	}
}

// TestStaleWhileRebuilt: the city's tilesets are built when the service starts; after a change,
// tileset.json is answered at once with the tree as it was while the new one is built in the
// background (here held back by a lock on the table), OnRebuilt is told when it is ready, and the
// new tree's tiles are never confused with the old tree's cached ones.
func TestStaleWhileRebuilt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	twintest.SeedBuildings(t, pool, 50)
	s := newService(t, pool, nil)
	rebuilt := make(chan string, 10)
	s.OnRebuilt(func(name string) { rebuilt <- name })
	go s.Run(ctx)
	// Warmed at start: the pipelines tileset (never asked for) is built without a request.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s.Built("buildings") && s.Built("pipelines") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the buildings and pipelines tilesets were not built at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	first, err := s.Tileset(ctx, "buildings")
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.Tile(ctx, "buildings", "0/0/0.glb")
	if err != nil {
		t.Fatal(err)
	}
	// A new building far to the east; the table is locked so that the rebuild waits.
	if _, err := pool.Exec(ctx, `INSERT INTO basemap.building (dataset_id, name, floors, geom)
		SELECT dataset_id, '新楼', 12, ST_Multi(ST_MakeEnvelope(119.99, 37.2, 119.9902, 37.2002, 4490)) FROM basemap.building LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, `LOCK TABLE basemap.building IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	s.Purge(spatial.Change{Layers: []string{"basemap.building"}, Reason: "edit"})
	if c, err := s.Tileset(ctx, "buildings"); err != nil || c.ETag != first.ETag {
		t.Errorf("while rebuilt: %v, ETag %s, want the previous tileset.json (%s) at once", err, c.ETag, first.ETag)
	}
	select {
	case n := <-rebuilt:
		t.Fatalf("%s rebuilt while the buildings table was locked", n)
	case <-time.After(200 * time.Millisecond):
	}
	lock.Rollback(ctx)
	select {
	case n := <-rebuilt:
		if n != "buildings" {
			t.Errorf("rebuilt %q, want buildings", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OnRebuilt was not told within 30 s")
	}
	now, err := s.Tileset(ctx, "buildings")
	if err != nil || now.ETag == first.ETag {
		t.Fatalf("after the rebuild: %v, the same tileset.json", err)
	}
	newRoot, err := s.Tile(ctx, "buildings", "0/0/0.glb")
	if err != nil {
		t.Fatal(err)
	}
	if newRoot.ETag == root.ETag {
		t.Error("the new tree's root tile is the old tree's cached one")
	}
}

func TestExport(t *testing.T) {
	pool := pgtest.New(t)
	twintest.SeedBuildings(t, pool, 120)
	s := newService(t, pool, nil)
	dir := t.TempDir()
	st, err := s.Export(context.Background(), "buildings", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Features != 120 || st.Tiles < 3 {
		t.Errorf("export stats %+v", st)
	}
	// Same tileset.json as served, every content file present.
	served, _ := s.Tileset(context.Background(), "buildings")
	disk, err := os.ReadFile(filepath.Join(dir, "tileset.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(disk) != string(served.Data) {
		t.Error("exported tileset.json differs from the served one")
	}
	var doc tilesetDoc
	json.Unmarshal(disk, &doc)
	var files []string
	for _, u := range checkStructure(t, &doc) {
		files = append(files, filepath.Join(dir, u))
	}
	glbtest.Check(t, files...)
}
