package importers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// square is a closed ring about 20 m across at the i-th place of a row in Laizhou.
func square(i int) string {
	x, y := 119.94+float64(i)*0.0005, 37.18
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f]]]}`,
		x, y, x+0.0002, y, x+0.0002, y+0.0002, x, y+0.0002, x, y)
}

func writeGeoJSON(t *testing.T, name string, features ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	gj := `{"type":"FeatureCollection","features":[` + strings.Join(features, ",\n") + `]}`
	if err := os.WriteFile(p, []byte(gj), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func feature(props, geometry string) string {
	return `{"type":"Feature","properties":` + props + `,"geometry":` + geometry + `}`
}

type stored struct {
	floors *int32
	height *float64
}

// basemapBuildings are basemap.building's rows by name.
func basemapBuildings(t *testing.T, pool *pgxpool.Pool) map[string]stored {
	t.Helper()
	r, err := pool.Query(context.Background(), `SELECT name, floors, height::float8 FROM basemap.building`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string]stored{}
	for r.Next() {
		var name string
		var s stored
		if err := r.Scan(&name, &s.floors, &s.height); err != nil {
			t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

// tilesetHeights builds the buildings tileset and returns each building's vertical extent in its
// glb, by name.
func tilesetHeights(t *testing.T, pool *pgxpool.Pool) map[string]float64 {
	t.Helper()
	ctx := context.Background()
	cfg := twin.DefaultConfig()
	cfg.HeightOffset, cfg.StoreyHeight, cfg.DefaultFloors = 9.5, 3, 1
	s, err := twin.New(pool, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.Tileset(ctx, "buildings")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Root json.RawMessage }
	if err := json.Unmarshal(ts.Data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var tl struct {
			Content  *struct{ URI string }
			Children []json.RawMessage
		}
		if err := json.Unmarshal(raw, &tl); err != nil {
			t.Fatal(err)
		}
		if tl.Content != nil {
			c, err := s.Tile(ctx, "buildings", tl.Content.URI)
			if err != nil {
				t.Fatal(err)
			}
			feats, err := twintest.Features(c.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range feats {
				out[f.Props["name"]] = f.MaxY - f.MinY
			}
		}
		for _, c := range tl.Children {
			walk(c)
		}
	}
	walk(doc.Root)
	return out
}

func checkHeights(t *testing.T, what string, got map[string]float64, want map[string]float64) {
	t.Helper()
	for name, h := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s is not in the buildings tileset", what, name)
		} else if math.Abs(g-h) > 0.05 {
			t.Errorf("%s: %s stands %.2f m in the glb, want %.2f", what, name, g, h)
		}
	}
}

func ptrF(f float64) *float64 { return &f }
func ptrI(n int32) *int32     { return &n }

func checkStored(t *testing.T, what string, got map[string]stored, want map[string]stored) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: %s is not in basemap.building", what, name)
		case (g.height == nil) != (w.height == nil) || g.height != nil && math.Abs(*g.height-*w.height) > 0.01:
			t.Errorf("%s: %s height %v, want %v", what, name, deref(g.height), deref(w.height))
		case (g.floors == nil) != (w.floors == nil) || g.floors != nil && *g.floors != *w.floors:
			t.Errorf("%s: %s floors %v, want %v", what, name, deref(g.floors), deref(w.floors))
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// OSM-style buildings (building tag, height "12 m", building:levels) imported without --as: the
// buildings land in basemap.building with height and floors and stand that high in the buildings
// tileset; the park and the point of the same file make its reference layer; the report names the
// attributes used and the value it could not read.
func TestOSMBuildingHeights(t *testing.T) {
	pool := pgtest.New(t)
	p := writeGeoJSON(t, "osm_export.geojson",
		feature(`{"name":"市政府","building":"yes","height":"12 m","building:levels":"3"}`, square(0)),
		feature(`{"name":"一号楼","building":"apartments","building:levels":"4"}`, square(1)),
		feature(`{"name":"电视塔","building":"yes","height":25.5,"building:levels":"8"}`, square(2)),
		feature(`{"name":"仓库","building":"warehouse","height":"tall"}`, square(3)),
		feature(`{"name":"老厂房","building":"yes","height":"40 ft"}`, square(4)),
		feature(`{"name":"人民公园","leisure":"park"}`, square(5)),
		feature(`{"name":"公交站","highway":"bus_stop"}`, `{"type":"Point","coordinates":[119.95,37.19]}`),
	)
	rep := runOne(t, pool, importers.Request{Path: p})
	if rep.Counts["building"] != 5 || rep.Features != 7 || rep.Kind != "reference" {
		t.Errorf("counts %v, %d features, kind %s", rep.Counts, rep.Features, rep.Kind)
	}
	notes := strings.Join(rep.Warnings, "\n")
	for _, w := range []string{`attribute "height"`, `attribute "building:levels"`, "5 polygons are buildings", `1 height or floors values`, `height="tall"`} {
		if !strings.Contains(notes, w) {
			t.Errorf("report notes do not say %q:\n%s", w, notes)
		}
	}
	checkStored(t, "OSM", basemapBuildings(t, pool), map[string]stored{
		"市政府": {ptrI(3), ptrF(12)},
		"一号楼": {ptrI(4), nil},
		"电视塔": {ptrI(8), ptrF(25.5)},
		"仓库":  {nil, nil},
		"老厂房": {nil, ptrF(12.192)},
	})
	if n := rows(t, pool, "reference.osm_export"); n != 2 {
		t.Errorf("reference.osm_export has %d rows, want the park and the bus stop", n)
	}
	var props string
	if err := pool.QueryRow(context.Background(), `SELECT props->>'height' FROM basemap.building WHERE name = '仓库'`).Scan(&props); err != nil || props != "tall" {
		t.Errorf("the unreadable height is not kept in props: %q, %v", props, err)
	}
	checkHeights(t, "OSM", tilesetHeights(t, pool), map[string]float64{"市政府": 12, "一号楼": 12, "电视塔": 25.5, "仓库": 3, "老厂房": 12.192})
}

// Chinese attribute names with units (建筑高度 "18米", 层数 "6层") in a layer imported --as basemap;
// a layer of another class whose polygons carry OSM's building tag sends those to basemap.building.
func TestChineseBuildingHeightsAsBasemap(t *testing.T) {
	pool := pgtest.New(t)
	p := writeGeoJSON(t, "建筑物.geojson",
		feature(`{"名称":"图书馆","建筑高度":"18米","层数":"6层"}`, square(0)),
		feature(`{"名称":"宿舍","层数":5}`, square(1)),
		feature(`{"名称":"门卫","建筑高度":"4.5"}`, square(2)),
	)
	rep := runOne(t, pool, importers.Request{Path: p, As: "basemap"})
	if rep.Counts["building"] != 3 || !strings.Contains(strings.Join(rep.Warnings, "\n"), `attribute "建筑高度"`) {
		t.Errorf("counts %v, notes %q", rep.Counts, rep.Warnings)
	}
	mixed := writeGeoJSON(t, "poi.geojson",
		feature(`{"name":"商场","building":"retail","building:levels":"3"}`, square(3)),
		feature(`{"name":"广场","place":"square"}`, square(4)),
	)
	rep = runOne(t, pool, importers.Request{Path: mixed, As: "basemap"})
	if rep.Counts["building"] != 1 || rep.Counts["other"] != 1 {
		t.Errorf("poi --as basemap: counts %v", rep.Counts)
	}
	checkStored(t, "建筑物", basemapBuildings(t, pool), map[string]stored{
		"图书馆": {ptrI(6), ptrF(18)},
		"宿舍":  {ptrI(5), nil},
		"门卫":  {nil, ptrF(4.5)},
		"商场":  {ptrI(3), nil},
	})
	checkHeights(t, "建筑物", tilesetHeights(t, pool), map[string]float64{"图书馆": 18, "宿舍": 15, "门卫": 4.5, "商场": 9})
}

// Attributes of other names are read when the user names them (--height-attr, --floors-attr);
// without the flags such a layer stays a reference layer. Naming an attribute the file lacks, giving
// the flags to a format without building polygons or with --as reference, is refused with every table
// unchanged.
func TestNamedHeightAttributes(t *testing.T) {
	pool := pgtest.New(t)
	p := writeGeoJSON(t, "jmd.geojson",
		feature(`{"MC":"粮站","H_M":"7.5","LC":"2"}`, square(0)),
		feature(`{"MC":"车站","LC":"3"}`, square(1)),
	)
	rep := runOne(t, pool, importers.Request{Path: p, Dataset: "plain"})
	if rep.Counts["building"] != 0 || rows(t, pool, "basemap.building") != 0 {
		t.Errorf("without the flags: counts %v", rep.Counts)
	}
	before := snapshot(t, pool)
	cjj := writeDir(t, map[string][]byte{"JS_points.csv": gbk(t, pointsCSV), "JS_segments.csv": gbk(t, segmentsCSV)})
	for _, c := range []struct {
		req  importers.Request
		want []string
	}{
		{importers.Request{Path: p, HeightAttr: "HOEHE"}, []string{"jmd.geojson", `--height-attr "HOEHE"`, "H_M, LC"}},
		{importers.Request{Path: p, FloorsAttr: "CS"}, []string{"jmd.geojson", `--floors-attr "CS"`}},
		{importers.Request{Path: p, HeightAttr: "H_M", As: "reference"}, []string{"jmd.geojson", "--as reference"}},
		{importers.Request{Path: filepath.Join(cjj, "JS_points.csv"), SRS: "EPSG:4528", HeightAttr: "H_M"}, []string{"JS_points.csv", "--height-attr"}},
	} {
		res, err := run(t, pool, c.req)
		if err == nil {
			err = res[0].Err
		}
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v; want it to say %q", c.req, err, w)
			}
		}
		sameCounts(t, "a refused --height-attr", before, snapshot(t, pool))
	}
	rep = runOne(t, pool, importers.Request{Path: p, Dataset: "named", HeightAttr: "H_M", FloorsAttr: "lc"})
	if rep.Counts["building"] != 2 || rep.Kind != "basemap" || !strings.Contains(strings.Join(rep.Warnings, "\n"), `"H_M" (named by the user)`) {
		t.Errorf("named: %+v", rep)
	}
	checkStored(t, "named", basemapBuildings(t, pool), map[string]stored{"粮站": {ptrI(2), ptrF(7.5)}, "车站": {ptrI(3), nil}})
	checkHeights(t, "named", tilesetHeights(t, pool), map[string]float64{"粮站": 7.5, "车站": 9})
}
