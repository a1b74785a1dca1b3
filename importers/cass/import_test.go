package cass

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func TestTable(t *testing.T) {
	tb := Default()
	cases := []struct{ layer, code, class, kind string }{
		{"JMD", "141101", "building", "居民地"},
		{"jmd", "", "building", "居民地"},
		{"DGX", "201102", "contour", "计曲线"},
		{"0", "202101", "elevation_point", "高程点"},
		{"XYZ", "3103013", "building", "房屋"},
		{"XYZ", "7101011", "contour", "等高线"},
		{"GXYZ", "", "pipe_facility", "管线设施"},
		{"KZD", "131400", "control_point", "导线点"},
		{"XYZ", "", "other", ""},
		{"XYZ", "999999", "other", ""},
	}
	for _, c := range cases {
		m := tb.Resolve(c.layer, c.code)
		if m.Class.ID != c.class || m.Kind != c.kind {
			t.Errorf("Resolve(%q, %q) = %s %q, want %s %q", c.layer, c.code, m.Class.ID, m.Kind, c.class, c.kind)
		}
	}
	if !tb.Resolve("DGX", "201102").Index || tb.Resolve("DGX", "201101").Index {
		t.Error("index contours: 201102 is one, 201101 is not")
	}
	labels := map[string]Label{
		"砼4":   {Structure: "砼", StructureName: "钢筋混凝土", Floors: 4},
		"混3":   {Structure: "混", StructureName: "混合结构", Floors: 3},
		"钢砼12": {Structure: "钢砼", StructureName: "钢筋混凝土", Floors: 12},
		"砖2-1": {Structure: "砖", StructureName: "砖木结构", Floors: 2, Basement: 1},
		"简":    {Structure: "简", StructureName: "简易结构", Floors: 1},
	}
	for in, want := range labels {
		if got, ok := tb.ParseLabel(in); !ok || got != want {
			t.Errorf("ParseLabel(%q) = %+v %v, want %+v", in, got, ok, want)
		}
	}
	for _, in := range []string{"文化东街", "12.5", "砼0", "砼4楼", ""} {
		if _, ok := tb.ParseLabel(in); ok {
			t.Errorf("ParseLabel(%q) took it for a building label", in)
		}
	}
}

func TestLoadTable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "county.yaml")
	os.WriteFile(p, []byte("layers:\n  FW: {class: building, name: 房屋}\n"), 0o644)
	tb, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if m := tb.Resolve("FW", ""); m.Class.ID != "building" {
		t.Errorf("county layer FW: %s", m.Class.ID)
	}
	if m := tb.Resolve("DGX", ""); m.Class.ID != "contour" {
		t.Errorf("the embedded layers stay: DGX is %s", m.Class.ID)
	}
	os.WriteFile(p, []byte("layers:\n  FW: {class: house}\n"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), `class "house" is not a class`) {
		t.Errorf("bad class: %v", err)
	}
}

// rowCounts counts the rows of every base-map table and of catalog.dataset.
func rowCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range Default().ClassIDs() {
		c := Default().Class(id)
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+c.Ident().Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[c.Table] = n
	}
	var n int
	pool.QueryRow(context.Background(), "SELECT count(*) FROM catalog.dataset").Scan(&n)
	out["catalog.dataset"] = n
	return out
}

func importFile(t *testing.T, pool *pgxpool.Pool, path string, o Options) (*loader.Report, error) {
	t.Helper()
	ctx := context.Background()
	b, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: filepath.Base(path), Kind: "basemap", Format: "dxf", Source: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	if err := Import(ctx, b, path, o); err != nil {
		return nil, err
	}
	return b.Commit(ctx)
}

func TestImportCASS(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	path := "../dxf/testdata/cass_r2000.dxf"

	before := rowCounts(t, pool)
	_, err := importFile(t, pool, path, Options{})
	var refused *loader.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "--srs EPSG:4528") || !strings.Contains(err.Error(), "40494300") {
		t.Fatalf("a GK drawing without a CRS: %v; want a refusal naming the range and EPSG:4528", err)
	}
	if after := rowCounts(t, pool); !equalCounts(before, after) {
		t.Errorf("refused import changed row counts: %v → %v", before, after)
	}

	rep, err := importFile(t, pool, path, Options{SRS: "EPSG:4528"})
	if err != nil {
		t.Fatal(err)
	}
	// JMD: the outline and a SOLID; the label 砼4 and the road name are annotations (the spot height's
	// ATTRIB stays on its symbol); ZBTZ: a tree block (a line and a nested circle) inserted once and
	// as a 2×2 MINSERT, and a hatch.
	want := map[string]int{"building": 2, "road": 2, "annotation": 2, "contour": 2, "elevation_point": 1,
		"vegetation": 11, "water": 5, "control_point": 1}
	if !equalCounts(rep.Counts, want) {
		t.Errorf("counts %v, want %v", rep.Counts, want)
	}
	if rep.SourceCRS != "EPSG:4528" || len(rep.Rejected) != 0 {
		t.Errorf("source CRS %q, rejected %v", rep.SourceCRS, rep.Rejected)
	}
	var floors int
	var structure string
	var lon, lat float64
	err = pool.QueryRow(ctx, `SELECT floors, structure, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM basemap.building WHERE code = '141101'`).Scan(&floors, &structure, &lon, &lat)
	if err != nil || floors != 4 || structure != "砼" {
		t.Errorf("building: %d floors, structure %q, %v; want 4, 砼 (from its label)", floors, structure, err)
	}
	// 40 494 510 E, 4 115 006 N in zone 40 lies at about 119.94°E, 37.17°N.
	if lon < 119.93 || lon > 119.95 || lat < 37.16 || lat > 37.18 {
		t.Errorf("building at %f %f, want near 119.94 37.17", lon, lat)
	}
	var roadName string
	pool.QueryRow(ctx, `SELECT name FROM basemap.road WHERE code = '164300'`).Scan(&roadName)
	if roadName != "文化东街" {
		t.Errorf("road name %q, want 文化东街 (its label)", roadName)
	}
	var elev float64
	var index bool
	pool.QueryRow(ctx, `SELECT elevation, is_index FROM basemap.contour WHERE code = '201101'`).Scan(&elev, &index)
	if elev != 12.5 || index {
		t.Errorf("contour elevation %v index %v, want 12.5 false", elev, index)
	}
	pool.QueryRow(ctx, `SELECT elevation FROM basemap.elevation_point`).Scan(&elev)
	if float32(elev) != float32(13.27) {
		t.Errorf("spot height %v, want 13.27", elev)
	}
	var text string
	var height, rot float64
	pool.QueryRow(ctx, `SELECT text, font_height, rotation FROM basemap.annotation WHERE source_layer = 'DLSS'`).Scan(&text, &height, &rot)
	if text != "文化东街" || height != 3 || rot != 30 {
		t.Errorf("annotation %q %v %v, want 文化东街 3 30", text, height, rot)
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestBadFilesChangeNothing: a truncated and a binary DXF are refused with the reason, and every
// table keeps its rows.
func TestBadFilesChangeNothing(t *testing.T) {
	pool := pgtest.New(t)
	good, err := os.ReadFile("../dxf/testdata/cass_r2000.dxf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importFile(t, pool, "../dxf/testdata/cass_r2000.dxf", Options{SRS: "EPSG:4528"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := map[string][]byte{
		"truncated.dxf": good[:len(good)*2/3],
		"binary.dxf":    append([]byte("AutoCAD Binary DXF\r\n\x1a\x00"), 0, 0, 'S', 'E', 'C', 'T', 'I', 'O', 'N', 0),
	}
	wants := map[string]string{"truncated.dxf": "truncated file", "binary.dxf": "binary DXF is not supported"}
	for name, b := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		before := rowCounts(t, pool)
		_, err := importFile(t, pool, p, Options{SRS: "EPSG:4528"})
		var refused *loader.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), wants[name]) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v; want a refusal that names the file and says %q", name, err, wants[name])
		}
		if after := rowCounts(t, pool); !equalCounts(before, after) {
			t.Errorf("%s changed row counts: %v → %v", name, before, after)
		}
	}
}

// TestImportGeoData: a drawing georeferenced by GEODATA (EPSG:27700, British National Grid, in inches)
// lands at Westminster through PostGIS.
func TestImportGeoData(t *testing.T) {
	pool := pgtest.New(t)
	path := shareddata.Path(t, "dxf/houses_of_parliament_georeferenced.dxf")
	rep, err := importFile(t, pool, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceCRS != "EPSG:27700" || rep.Features != 1 {
		t.Fatalf("report %+v", rep)
	}
	if w := strings.Join(rep.Warnings, "; "); !strings.Contains(w, "layer 0 unknown") {
		t.Errorf("warnings %q: want the unknown layer named", w)
	}
	var lon, lat float64
	pool.QueryRow(context.Background(), `SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM basemap.other`).Scan(&lon, &lat)
	// The Palace of Westminster: 51.4995°N, 0.1248°W.
	if lon < -0.135 || lon > -0.115 || lat < 51.494 || lat > 51.505 {
		t.Errorf("outline centre %f %f, want the Palace of Westminster (-0.1248, 51.4995)", lon, lat)
	}
}
