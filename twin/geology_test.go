package twin_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/geology/geotest"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// importSite imports a geotest site through the real importer.
func importSite(t testing.TB, pool *pgxpool.Pool, site *geotest.Site) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "holes.csv")
	if err := os.WriteFile(p, []byte(site.CSV()), 0o644); err != nil {
		t.Fatal(err)
	}
	importPath(t, pool, p)
}

// importInclined imports a geotest site's holes drilled at inc from the vertical toward azi
// (degrees), with their survey table.
func importInclined(t testing.TB, pool *pgxpool.Pool, site *geotest.Site, inc, azi float64) {
	t.Helper()
	dir := t.TempDir()
	holes, survey := site.Inclined(inc, azi)
	os.WriteFile(filepath.Join(dir, "holes.csv"), []byte(holes), 0o644)
	os.WriteFile(filepath.Join(dir, "survey.csv"), []byte(survey), 0o644)
	importPath(t, pool, dir)
}

func importPath(t testing.TB, pool *pgxpool.Pool, p string) {
	t.Helper()
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(),
		importers.Request{Path: p, As: "boreholes", SRS: "EPSG:4549", HomeLon: 119.94}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
}

// TestGeologyTileset: the stratum solids and the borehole columns of an imported site, every glb
// valid, each stratum one feature with its code and name, each layer of each hole one feature.
func TestGeologyTileset(t *testing.T) {
	pool := pgtest.New(t)
	site := geotest.Laizhou(4, 40)
	importSite(t, pool, site)
	s := newService(t, pool, nil)
	_, feats := fetchAll(t, s, "geology")
	strata := map[string]string{}
	layers := 0
	for _, f := range feats {
		switch f.Props["layer"] {
		case "geology.stratum":
			strata[f.Props["code"]] = f.Props["name"]
		case "geology.borehole":
			layers++
			if f.Props["hole_no"] == "" || f.Props["code"] == "" {
				t.Errorf("borehole layer feature without hole or code: %v", f.Props)
			}
		}
	}
	for _, st := range site.Strata {
		if strata[st.Code] != st.Name {
			t.Errorf("stratum %s: feature name %q, want %q (features %v)", st.Code, strata[st.Code], st.Name, strata)
		}
	}
	var want int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM geology.layer`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if layers != want {
		t.Errorf("%d borehole layer features, want %d", layers, want)
	}
}

// TestSection: a section across a planar site gives the strata boundaries of the planes (bilinear
// on the grid reproduces a plane), the holes within the buffer at their projected distance, and a
// pipe the line cuts at its elevation and depth.
func TestSection(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	site := geotest.Laizhou(5, 50)
	importSite(t, pool, site)
	fr := site.Frame()
	// A pipe running north-south across the site's centre at 10.5 m, 1.5 m deep.
	lon0, lat0, _ := fr.Geodetic([3]float64{0, -20, 0})
	lon1, lat1, _ := fr.Geodetic([3]float64{0, 20, 0})
	ds := twintest.Dataset(t, pool, "pipes", "pipeline")
	if _, err := pool.Exec(ctx, `INSERT INTO pipeline.segment (dataset_id, pipe_type, start_no, end_no, start_depth, end_depth, diameter_mm, geom)
		VALUES ($1, 'JS', 'J1', 'J2', 1.5, 1.5, 300, ST_SetSRID(ST_MakeLine(ST_MakePoint($2, $3, 10.5), ST_MakePoint($4, $5, 10.5)), 4490))`,
		ds, lon0, lat0, lon1, lat1); err != nil {
		t.Fatal(err)
	}
	// West to east through the middle row of holes (north = 0 ± 3 m jitter), 160 m long.
	a0, b0, _ := fr.Geodetic([3]float64{-80, 0, 0})
	a1, b1, _ := fr.Geodetic([3]float64{80, 0, 0})
	sec, err := twin.BuildSection(ctx, pool, [][2]float64{{a0, b0}, {a1, b1}}, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sec.Length-160) > 0.01 {
		t.Errorf("length %.3f, want 160", sec.Length)
	}
	if len(sec.Strata) != 4 {
		t.Fatalf("%d strata in the section, want 4", len(sec.Strata))
	}
	worst := 0.0
	for i, st := range sec.Strata {
		if st.Code != site.Strata[i].Code {
			t.Errorf("stratum %d is %s, want %s", i, st.Code, site.Strata[i].Code)
		}
		if i == 3 {
			continue // its bottom is where the holes end, not a plane of the site
		}
		for _, ring := range st.Polygons {
			for _, p := range ring[len(ring)/2:] { // the bottom, back
				e := p[0] - 80
				worst = max(worst, math.Abs(p[1]-site.Strata[i].Bottom.At(e, 0)))
			}
		}
	}
	t.Logf("section: strata boundaries within %.3f m of the planes", worst)
	if worst > 0.05 {
		t.Errorf("strata boundaries up to %.3f m off their planes, want ≤ 0.05 m", worst)
	}
	if len(sec.Boreholes) != 3 {
		t.Errorf("%d boreholes within 10 m of the line, want the 3 of the middle row the line passes (the outer two lie 20 m beyond its ends)", len(sec.Boreholes))
	}
	for _, b := range sec.Boreholes {
		if b.Offset > 4 || len(b.Layers) == 0 {
			t.Errorf("borehole %s offset %.1f with %d layers", b.HoleNo, b.Offset, len(b.Layers))
		}
	}
	if len(sec.Pipes) != 1 || math.Abs(sec.Pipes[0].Distance-80) > 0.05 || math.Abs(sec.Pipes[0].Elevation-10.5) > 0.01 ||
		sec.Pipes[0].Depth == nil || *sec.Pipes[0].Depth != 1.5 {
		t.Errorf("pipes %+v, want one at 80 m, 10.5 m, 1.5 m deep", sec.Pipes)
	}
	svg := string(sec.SVG())
	for _, want := range []string{"<svg", "地质剖面图", "素填土", "ZK", "给水 埋深1.50米", "距离（米）"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	gj := sec.GeoJSON()
	if n := len(gj["features"].([]any)); n < 4+5+1 {
		t.Errorf("%d GeoJSON features", n)
	}
}

// TestInclinedBoreholes: holes drilled 30° off the vertical toward the east. In the tileset each
// layer is a column along the hole's path (more than one cylinder where it is longer than a path
// step) and the boreholes' tiles contain the paths; in a section along the holes' azimuth a layer's
// bottom lies sin 30° of its length along the hole further on than its top.
func TestInclinedBoreholes(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	site := geotest.Laizhou(3, 60)
	importInclined(t, pool, site, 30, 90)
	s := newService(t, pool, nil)
	doc, feats := fetchAll(t, s, "geology")
	var w, south, e, n float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(trace) x FROM geology.borehole) q`).Scan(&w, &south, &e, &n); err != nil {
		t.Fatal(err)
	}
	if r := doc.Root.BoundingVolume.Region; r[0] > w*math.Pi/180 || r[2] < e*math.Pi/180 || r[1] > south*math.Pi/180 || r[3] < n*math.Pi/180 {
		t.Errorf("the root region %v does not contain the holes' paths (%.6f %.6f %.6f %.6f)", r, w, south, e, n)
	}
	long := 0
	for _, f := range feats {
		if f.Props["layer"] != "geology.borehole" {
			continue
		}
		top, _ := strconv.ParseFloat(f.Props["top_depth"], 64)
		bot, _ := strconv.ParseFloat(f.Props["bottom_depth"], 64)
		if bot-top > 5.5 {
			long++
			if f.Vertices <= 48 { // one cylinder: 12 sides, two ends
				t.Errorf("hole %s layer %s (%.1f m along the hole): %d vertices, one straight cylinder", f.Props["hole_no"], f.Props["code"], bot-top, f.Vertices)
			}
		}
	}
	if long == 0 {
		t.Fatal("no layer longer than a path step")
	}
	// West to east through the middle row of collars.
	fr := site.Frame()
	a0, b0, _ := fr.Geodetic([3]float64{-100, 0, 0})
	a1, b1, _ := fr.Geodetic([3]float64{100, 0, 0})
	sec, err := twin.BuildSection(ctx, pool, [][2]float64{{a0, b0}, {a1, b1}}, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(sec.Boreholes) != 3 {
		t.Fatalf("%d boreholes in the section, want the middle row's 3", len(sec.Boreholes))
	}
	worst := 0.0
	for _, b := range sec.Boreholes {
		for _, l := range b.Layers {
			worst = max(worst, math.Abs(l.BottomDistance-l.TopDistance-(l.BottomDepth-l.TopDepth)/2))
		}
		if math.Abs(b.Layers[0].TopDistance-b.Distance) > 0.01 {
			t.Errorf("hole %s: its first layer starts at %.2f m, the collar at %.2f m", b.HoleNo, b.Layers[0].TopDistance, b.Distance)
		}
	}
	t.Logf("inclined holes in the section: layer ends within %.3f m of sin 30° of their depths apart", worst)
	if worst > 0.05 {
		t.Errorf("layer ends up to %.3f m off", worst)
	}
	if svg := string(sec.SVG()); !strings.Contains(svg, "<polygon") {
		t.Error("the SVG draws no borehole column")
	}
}
