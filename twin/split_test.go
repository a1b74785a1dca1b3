package twin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// contents returns the model's glb contents by node id.
func contents(t testing.TB, pool *pgxpool.Pool, model string) map[int64][]byte {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT n.id, n.content FROM twin.model_node n JOIN twin.model m ON m.id = n.model_id
		WHERE m.name = $1 AND n.content_type = 'glb'`, model)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	if len(out) == 0 {
		t.Fatalf("model %s has no glb content", model)
	}
	return out
}

// splitTriangle is a triangle of split content: its corners east, north, up of the model's origin
// and the building id its feature names ("" for null).
type splitTriangle struct {
	c        [3][3]float64
	building string
	mixed    bool // its corners carry different feature ids
}

func splitTriangles(t testing.TB, pool *pgxpool.Pool, model string, id int64, data []byte) []splitTriangle {
	t.Helper()
	sm, err := openSplitModel(context.Background(), pool, model, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := glb.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	fr := geodesy.NewFrame(twintest.SceneOrigin[0], twintest.SceneOrigin[1], 0)
	var out []splitTriangle
	err = eachPrimitive(m, sm.world[id], func(p *glb.Primitive, w [16]float64) error {
		s := &splitter{}
		s.geodetic(p, w)
		for k := 0; k+2 < len(p.Indices); k += 3 {
			var tr splitTriangle
			for j := range 3 {
				v := s.ll[p.Indices[k+j]]
				e, n, u := fr.ENU(v[0], v[1], v[2])
				tr.c[j] = [3]float64{e, n, u}
			}
			if p.FeatureIDs != nil {
				f0 := p.FeatureIDs[p.Indices[k]]
				tr.mixed = f0 != p.FeatureIDs[p.Indices[k+1]] || f0 != p.FeatureIDs[p.Indices[k+2]]
				if f0 != glb.NoFeature {
					tr.building = p.Table.Value("id", int(f0))
				}
			}
			out = append(out, tr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pick casts a vertical ray down at (east, north) of the origin through the model's split content
// and returns the building id of the highest triangle it hits ("" for ground, ok false for none).
func pick(t testing.TB, pool *pgxpool.Pool, model string, east, north float64) (building string, ok bool) {
	t.Helper()
	best := math.Inf(-1)
	for id, data := range contents(t, pool, model) {
		for _, tr := range splitTriangles(t, pool, model, id, data) {
			a, b, c := tr.c[0], tr.c[1], tr.c[2]
			// barycentric coordinates of the point in the triangle's plan view
			d := (b[1]-c[1])*(a[0]-c[0]) + (c[0]-b[0])*(a[1]-c[1])
			if math.Abs(d) < 1e-9 {
				continue // vertical: a ray straight down grazes it
			}
			l1 := ((b[1]-c[1])*(east-c[0]) + (c[0]-b[0])*(north-c[1])) / d
			l2 := ((c[1]-a[1])*(east-c[0]) + (a[0]-c[0])*(north-c[1])) / d
			l3 := 1 - l1 - l2
			if l1 < 0 || l2 < 0 || l3 < 0 {
				continue
			}
			if z := l1*a[2] + l2*b[2] + l3*c[2]; z > best {
				best, building, ok = z, tr.building, true
			}
		}
	}
	return building, ok
}

// TestSplitOblique imports the synthetic scene through the real OBJ importer, splits it over the
// base map and checks every triangle: over footprint A and above the ground → A's row, over B → B's,
// the ground (also under the buildings) and the tree → the null feature id. Every split content
// passes the Khronos validator; splitting again changes nothing; a pick on B's roof names B; the
// exported building holds only its own triangles, and validates.
func TestSplitOblique(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	idA, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "splitcase", 8)
	before := contents(t, pool, "splitcase")

	rep, err := Split(ctx, pool, "splitcase", DefaultSplitOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *rep)
	if rep.Footprints != 2 || rep.Buildings != 2 || rep.Contents != len(before) || rep.Triangles != 128+20+1 || rep.Assigned != 20 {
		t.Errorf("report %+v: want the 2 footprints over the model, 149 triangles, 20 of them the boxes'", *rep)
	}
	if rep.VertsAfter <= rep.Vertices {
		t.Errorf("%d vertices after the split, %d before: the walls' feet are shared with the ground and must be duplicated", rep.VertsAfter, rep.Vertices)
	}
	after := contents(t, pool, "splitcase")
	glbtest.CheckBytes(t, func() map[string][]byte {
		m := map[string][]byte{}
		for id, b := range after {
			m[fmt.Sprintf("n%d.glb", id)] = b
		}
		return m
	}())
	counts := map[string]int{}
	for id, data := range after {
		for _, tr := range splitTriangles(t, pool, "splitcase", id, data) {
			if tr.mixed {
				t.Fatalf("a triangle's corners carry different feature ids: %v", tr.c)
			}
			ce, cn := (tr.c[0][0]+tr.c[1][0]+tr.c[2][0])/3, (tr.c[0][1]+tr.c[1][1]+tr.c[2][1])/3
			top := max(tr.c[0][2], tr.c[1][2], tr.c[2][2])
			want := ""
			switch {
			case top < 1:
			case twintest.BoxA.Contains(ce, cn) || onOutline(twintest.BoxA, ce, cn):
				want = strconv.FormatInt(idA, 10)
			case twintest.BoxB.Contains(ce, cn) || onOutline(twintest.BoxB, ce, cn):
				want = strconv.FormatInt(idB, 10)
			}
			if tr.building != want {
				t.Errorf("triangle %v (centroid %.1f, %.1f, top %.1f): building %q, want %q", tr.c, ce, cn, top, tr.building, want)
			}
			counts[tr.building]++
		}
	}
	if counts[strconv.FormatInt(idA, 10)] != 10 || counts[strconv.FormatInt(idB, 10)] != 10 || counts[""] != 129 {
		t.Errorf("triangles per building: %v", counts)
	}
	// The attributes of B's row, as a pick in CesiumJS shows them.
	m, err := glb.Decode(after[firstKey(after)])
	if err != nil {
		t.Fatal(err)
	}
	tb := m.Nodes[0].Mesh.Primitives[0].Table
	for r := range tb.Count {
		if tb.Value("id", r) == strconv.FormatInt(idB, 10) {
			if tb.Value("name", r) != "乙楼" || tb.Value("floors", r) != "7" || tb.Value("height", r) != "20" || tb.Value("structure", r) != "砼" ||
				tb.Value("code", r) != "F7" || tb.Value("layer", r) != "basemap.building" {
				t.Errorf("B's row: %+v", tb.Properties)
			}
		}
	}

	// Pick: B's roof, A's roof, the street between them.
	if b, ok := pick(t, pool, "splitcase", 20, 0); !ok || b != strconv.FormatInt(idB, 10) {
		t.Errorf("pick on B's roof: %q %v, want %d", b, ok, idB)
	}
	if b, ok := pick(t, pool, "splitcase", -20, 3); !ok || b != strconv.FormatInt(idA, 10) {
		t.Errorf("pick on A's roof: %q %v, want %d", b, ok, idA)
	}
	if b, ok := pick(t, pool, "splitcase", 0, -30); !ok || b != "" {
		t.Errorf("pick on the street: %q %v, want the ground", b, ok)
	}

	// Again: the same bytes.
	if _, err := Split(ctx, pool, "splitcase", DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	for id, b := range contents(t, pool, "splitcase") {
		if !bytes.Equal(b, after[id]) {
			t.Errorf("n/%d changed when split a second time", id)
		}
	}

	// The tiles' extents (which tiles an export reads): the scene's, tightly.
	sm, err := openSplitModel(ctx, pool, "splitcase", false)
	if err != nil {
		t.Fatal(err)
	}
	fr := geodesy.NewFrame(twintest.SceneOrigin[0], twintest.SceneOrigin[1], 0)
	lo, la, _ := fr.Geodetic([3]float64{-40, -40, 0})
	hi, ha, _ := fr.Geodetic([3]float64{40, 40, 0})
	for id := range after {
		ext := sm.extent[id]
		if math.Abs(ext.Min[0]-lo) > 2e-5 || math.Abs(ext.Min[1]-la) > 2e-5 || math.Abs(ext.Max[0]-hi) > 2e-5 || math.Abs(ext.Max[1]-ha) > 2e-5 {
			t.Errorf("n/%d: extent %v, want about [%f %f] – [%f %f]", id, ext, lo, la, hi, ha)
		}
	}

	// One building alone.
	one, err := SplitBuilding(ctx, pool, "splitcase", idB)
	if err != nil {
		t.Fatal(err)
	}
	glbtest.CheckBytes(t, map[string][]byte{"building.glb": one})
	bm, err := glb.Decode(one)
	if err != nil {
		t.Fatal(err)
	}
	tris := 0
	for _, p := range bm.Nodes[0].Mesh.Primitives {
		tris += len(p.Indices) / 3
		if p.Table.Count != 1 || p.Table.Value("id", 0) != strconv.FormatInt(idB, 10) || p.Table.Value("name", 0) != "乙楼" {
			t.Errorf("exported table: %+v", p.Table)
		}
		for _, v := range p.Positions { // local ENU at B's foot, y up: within B's 20 × 20 × 20 m
			if math.Abs(float64(v[0])) > 10.01 || math.Abs(float64(v[2])) > 10.01 || v[1] < -0.01 || v[1] > 20.01 {
				t.Fatalf("exported vertex %v lies outside building B", v)
			}
		}
	}
	if tris != 10 {
		t.Errorf("exported building has %d triangles, want B's 10", tris)
	}
	if _, err := SplitBuilding(ctx, pool, "splitcase", 999999); !errors.Is(err, spatial.ErrNotFound) {
		t.Errorf("an unknown building: %v", err)
	}
}

func onOutline(b twintest.SceneBox, e, n float64) bool {
	in := func(v, lo, hi float64) bool { return v >= lo-0.01 && v <= hi+0.01 }
	return in(e, b.E0, b.E1) && in(n, b.N0, b.N1)
}

func firstKey(m map[int64][]byte) int64 {
	for k := range m {
		return k
	}
	return 0
}

// TestSplitAllOrNothing: a content that cannot be read refuses the split and leaves every other
// content as it was; a model that does not exist is ErrNotFound.
func TestSplitAllOrNothing(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "atomic", 4)
	// a second content: a copy of the first under the root, then made unreadable
	if _, err := pool.Exec(ctx, `INSERT INTO twin.model_node (model_id, parent_id, name, sort_order, bounding_volume, geometric_error, refine, content_type, content)
		SELECT model_id, id, 'broken', 1, bounding_volume, 0, 'REPLACE', 'glb', 'glTF but not really' FROM twin.model_node
		WHERE model_id = (SELECT id FROM twin.model WHERE name = 'atomic') AND parent_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	before := contents(t, pool, "atomic")
	if _, err := Split(ctx, pool, "atomic", DefaultSplitOptions()); err == nil {
		t.Fatal("a split over an unreadable content succeeded")
	}
	for id, b := range contents(t, pool, "atomic") {
		if !bytes.Equal(b, before[id]) {
			t.Errorf("n/%d changed by a refused split", id)
		}
	}
	// A content that cannot be split one way (a mesh instanced twice) is left as it was, and said so.
	mesh := &glb.Mesh{Name: "tree", Primitives: []*glb.Primitive{{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 5, 0}}}}}
	shift := [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 3, 0, 0, 1}
	inst, err := glb.Marshal(&glb.Model{Nodes: []*glb.Node{{Name: "a", Mesh: mesh}, {Name: "b", Mesh: mesh, Matrix: &shift}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE twin.model_node SET content = $1 WHERE name = 'broken'`, inst); err != nil {
		t.Fatal(err)
	}
	rep, err := Split(ctx, pool, "atomic", DefaultSplitOptions())
	if err != nil || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0], "instanced by two nodes") || rep.Contents != 1 {
		t.Fatalf("a split with an instanced mesh: %v %+v", err, rep)
	}
	var kept []byte
	if err := pool.QueryRow(ctx, `SELECT content FROM twin.model_node WHERE name = 'broken'`).Scan(&kept); err != nil || !bytes.Equal(kept, inst) {
		t.Errorf("the instanced content was changed (%v)", err)
	}
	if _, err := Split(ctx, pool, "nosuch", DefaultSplitOptions()); !errors.Is(err, spatial.ErrNotFound) {
		t.Errorf("no such model: %v", err)
	}
	if _, err := Split(ctx, pool, "atomic", SplitOptions{Clearance: -1}); err == nil {
		t.Error("a negative clearance was taken")
	}
	// No base map under the model: refused, rather than every tile losing its feature.
	if _, err := pool.Exec(ctx, `UPDATE basemap.building SET geom = ST_Translate(geom, 1, 0)`); err != nil {
		t.Fatal(err)
	}
	var inv *spatial.InvalidError
	if _, err := Split(ctx, pool, "atomic", DefaultSplitOptions()); !errors.As(err, &inv) {
		t.Errorf("a split with no footprint under the model: %v", err)
	}
}

// TestSplitAnnounced: a serving replica hears the split, rebuilds model-<name> (OnRebuilt, which
// the server announces as 3dtiles:model-<name>) and serves the split content, not its cached tile.
// A building's glb is cached with the model's tiles, and a new split replaces it too.
func TestSplitAnnounced(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	_, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "announced", 4)
	s, err := New(pool, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := make(chan string, 10)
	s.OnRebuilt(func(name string) { rebuilt <- name })
	go s.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for !s.Built("pipelines") { // warmed once the listener is connected
		if time.Now().After(deadline) {
			t.Fatal("the service did not start listening")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var node int64
	if err := pool.QueryRow(ctx, `SELECT n.id FROM twin.model_node n JOIN twin.model m ON m.id = n.model_id WHERE m.name = 'announced' AND n.content_type = 'glb'`).Scan(&node); err != nil {
		t.Fatal(err)
	}
	uri := fmt.Sprintf("n/%d.glb", node)
	if _, err := s.Tileset(ctx, "model-announced"); err != nil {
		t.Fatal(err)
	}
	old, err := s.Tile(ctx, "model-announced", uri)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Split(ctx, pool, "announced", DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-rebuilt:
		if n != "model-announced" {
			t.Errorf("rebuilt %q", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OnRebuilt was not told of the split within 30 s")
	}
	now, err := s.Tile(ctx, "model-announced", uri)
	if err != nil {
		t.Fatal(err)
	}
	if now.ETag == old.ETag {
		t.Fatal("the split content is served as the cached unsplit tile")
	}
	m, err := glb.Decode(now.Data)
	if err != nil || m.Nodes[0].Mesh.Primitives[0].Table == nil || m.Nodes[0].Mesh.Primitives[0].Table.Class != "building" {
		t.Errorf("served content after the split: %v", err)
	}

	nameOf := func() string {
		t.Helper()
		c, err := s.Building(ctx, "announced", idB)
		if err != nil {
			t.Fatal(err)
		}
		m, err := glb.Decode(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		return m.Nodes[0].Mesh.Primitives[0].Table.Value("name", 0)
	}
	if n := nameOf(); n != "乙楼" {
		t.Fatalf("building B is %q", n)
	}
	if _, err := pool.Exec(ctx, `UPDATE basemap.building SET name = '丙楼' WHERE id = $1`, idB); err != nil {
		t.Fatal(err)
	}
	if n := nameOf(); n != "乙楼" {
		t.Errorf("before the model is split again its building is %q, want the cached 乙楼 (as in its tiles)", n)
	}
	if _, err := Split(ctx, pool, "announced", DefaultSplitOptions()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rebuilt:
	case <-time.After(30 * time.Second):
		t.Fatal("OnRebuilt was not told of the second split within 30 s")
	}
	if n := nameOf(); n != "丙楼" {
		t.Errorf("after the second split building B is %q, want 丙楼", n)
	}
}
