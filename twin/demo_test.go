package twin_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// The demo city end to end: base map, CJJ 61 pipelines and the CityJSON core block imported as
// yitu demo does, then every tile of the buildings, pipelines and CIM tilesets built and validated.
func TestDemoCityTilesets(t *testing.T) {
	f, err := demo.Generate(t.TempDir(), demo.Options{Seed: 5, Blocks: 12})
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, loader.New(pool, nil), f, nil, nil); err != nil {
		t.Fatal(err)
	}
	s := newService(t, pool, func(c *twin.Config) { c.FeatureCap = 1000 })

	_, feats := fetchAll(t, s, "buildings")
	var base, cimN int
	pool.QueryRow(ctx, `SELECT count(*) FROM basemap.building`).Scan(&base)
	byLayer := map[string]int{}
	for _, f := range feats {
		byLayer[f.Props["layer"]]++
	}
	cimN = byLayer["cim.building"]
	if cimN != f.Stats.CIMBuildings || byLayer["basemap.building"] != base-cimN {
		t.Errorf("buildings tileset: %v; want %d CIM buildings and the other %d of %d base-map footprints", byLayer, f.Stats.CIMBuildings, base-cimN, base)
	}

	_, feats = fetchAll(t, s, "pipelines")
	var segs, wells int
	pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pipeline.segment), (SELECT count(*) FROM pipeline.point WHERE well_depth > 0)`).Scan(&segs, &wells)
	byLayer = map[string]int{}
	for _, f := range feats {
		byLayer[f.Props["layer"]]++
	}
	if byLayer["pipeline.segment"] != segs || byLayer["pipeline.point"] != wells || segs == 0 || wells == 0 {
		t.Errorf("pipelines tileset: %v; want %d segments and %d wells", byLayer, segs, wells)
	}

	_, feats = fetchAll(t, s, "cim-"+demo.CIMDataset)
	if len(feats) != f.Stats.CIMBuildings {
		t.Errorf("cim-%s: %d features, want %d", demo.CIMDataset, len(feats), f.Stats.CIMBuildings)
	}
}

// TestDemoObliqueSplit: the demo city's oblique set models base-map buildings (EPSG:4528, normal
// heights raised by the height offset, through the real OSGB importer); split over the base map,
// every one of them is found and every split tile validates.
func TestDemoObliqueSplit(t *testing.T) {
	f, err := demo.Generate(t.TempDir(), demo.Options{Seed: 5, Blocks: 8})
	if err != nil {
		t.Fatal(err)
	}
	if f.Stats.ObliqueBuilding == 0 {
		t.Fatal("the demo city has no oblique set")
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, loader.New(pool, nil), f, nil, nil); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := pool.QueryRow(ctx, `SELECT name FROM twin.model WHERE kind = 'oblique'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	rep, err := twin.Split(ctx, pool, name, twin.DefaultSplitOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *rep)
	if rep.Buildings != f.Stats.ObliqueBuilding || len(rep.Skipped) > 0 || rep.Assigned != rep.Triangles {
		t.Errorf("split of the demo oblique set: %+v; want its %d buildings, every triangle of them (it has no ground)", *rep, f.Stats.ObliqueBuilding)
	}
	rows, err := pool.Query(ctx, `SELECT n.id, n.content FROM twin.model_node n JOIN twin.model m ON m.id = n.model_id
		WHERE m.name = $1 AND n.content_type = 'glb'`, name)
	if err != nil {
		t.Fatal(err)
	}
	glbs := map[string][]byte{}
	ids := map[string]bool{}
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		glbs[fmt.Sprintf("n%d.glb", id)] = b
		feats, err := twintest.Features(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, ft := range feats {
			if ft.Props["layer"] != "basemap.building" {
				t.Fatalf("n/%d: a feature %+v", id, ft.Props)
			}
			ids[ft.Props["id"]] = true
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for id := range ids { // one of them alone: from the finer of the set's two levels only
		bid, _ := strconv.ParseInt(id, 10, 64)
		b, err := twin.SplitBuilding(ctx, pool, name, bid)
		if err != nil {
			t.Fatal(err)
		}
		glbs["building.glb"] = b
		inAll := 0
		for k, c := range glbs {
			if k != "building.glb" {
				inAll += triangles(t, c, id)
			}
		}
		if alone := triangles(t, b, id); alone == 0 || 2*alone != inAll {
			t.Errorf("building %s: %d triangles exported, %d in both levels of the model", id, alone, inAll)
		}
		break
	}
	glbtest.CheckBytes(t, glbs)
	if len(ids) != f.Stats.ObliqueBuilding {
		t.Errorf("%d buildings picked in the served tiles, want %d", len(ids), f.Stats.ObliqueBuilding)
	}
}

// triangles counts the triangles of a glb whose feature is the building id.
func triangles(t *testing.T, b []byte, id string) int {
	t.Helper()
	m, err := glb.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(nd *glb.Node)
	walk = func(nd *glb.Node) {
		if nd.Mesh != nil {
			for _, p := range nd.Mesh.Primitives {
				for k := 0; p.Table != nil && k+2 < len(p.Indices); k += 3 {
					if f := p.FeatureIDs[p.Indices[k]]; f != glb.NoFeature && p.Table.Value("id", int(f)) == id {
						n++
					}
				}
			}
		}
		for _, c := range nd.Children {
			walk(c)
		}
	}
	for _, nd := range m.Nodes {
		walk(nd)
	}
	return n
}
