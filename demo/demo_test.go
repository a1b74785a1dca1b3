package demo

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The small demo drawing is a golden file, and one of the drawings the DXF reader's tests compare
// with GDAL.
const goldenDXF = "../importers/dxf/testdata/demo_3x3.dxf"

func TestGolden(t *testing.T) {
	f, err := Generate(t.TempDir(), Options{Seed: 1, Blocks: 3})
	if err != nil {
		t.Fatal(err)
	}
	golden := map[string]string{
		f.BaseMap:      goldenDXF,
		f.PipePoints:   "testdata/pipe_points_3x3.csv",
		f.PipeSegments: "testdata/pipe_segments_3x3.csv",
		f.Boundary:     "testdata/district_3x3.geojson",
	}
	for got, want := range golden {
		b, err := os.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			os.MkdirAll(filepath.Dir(want), 0o755)
			if err := os.WriteFile(want, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := os.ReadFile(want)
		if err != nil {
			t.Fatalf("%v (run go test ./demo -run TestGolden -update)", err)
		}
		if !bytes.Equal(b, w) {
			t.Errorf("%s differs from the golden %s (run with -update if the change is meant)", filepath.Base(got), want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, err := Generate(t.TempDir(), Options{Seed: 7, Blocks: 8})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(t.TempDir(), Options{Seed: 7, Blocks: 8})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Generate(t.TempDir(), Options{Seed: 8, Blocks: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{BaseMapFile, PipePointsFile, PipeSegmentsFile, BoundaryFile} {
		x, _ := os.ReadFile(filepath.Join(a.Dir, name))
		y, _ := os.ReadFile(filepath.Join(b.Dir, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: two runs with seed 7 wrote different bytes", name)
		}
	}
	x, _ := os.ReadFile(a.BaseMap)
	z, _ := os.ReadFile(c.BaseMap)
	if bytes.Equal(x, z) {
		t.Error("seeds 7 and 8 wrote the same base map")
	}
}

// TestFormats checks the files are what survey contractors deliver: a CASS R2000 DXF with code page
// 936 and GBK annotations, GBK CSV tables with the CJJ 61 headers.
func TestFormats(t *testing.T) {
	f, err := Generate(t.TempDir(), Options{Seed: 1, Blocks: 4})
	if err != nil {
		t.Fatal(err)
	}
	dxf, _ := os.ReadFile(f.BaseMap)
	gbk := func(s string) []byte { b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s)); return b }
	for _, want := range [][]byte{[]byte("$DWGCODEPAGE\n  3\nANSI_936\n"), []byte("$ACADVER\n  1\nAC1015\n"),
		[]byte("1001\nSOUTH\n1000\n141101\n"), gbk("文化西街"), gbk("南阳河")} {
		if !bytes.Contains(dxf, want) {
			t.Errorf("the DXF lacks %q", want)
		}
	}
	pts, _ := os.ReadFile(f.PipePoints)
	seg, _ := os.ReadFile(f.PipeSegments)
	for file, header := range map[string][]byte{
		"points":   gbk("物探点号,管线类型,特征,附属物,X,Y,地面高程,埋深,井深,井盖规格,道路名称,权属单位\r\n"),
		"segments": gbk("起点点号,终点点号,起点埋深,终点埋深,管径,断面尺寸,材质,埋设方式,压力,电缆条数,总孔数,已用孔数,流向,建设年代,权属单位,道路名称\r\n"),
	} {
		b := pts
		if file == "segments" {
			b = seg
		}
		if !bytes.HasPrefix(b, header) {
			t.Errorf("the %s table does not start with the CJJ 61 header in GBK", file)
		}
	}
	// X is the northing (7 digits), Y the easting with the zone prefix 40.
	line := strings.Split(string(pts), "\r\n")[1]
	cols := strings.Split(line, ",")
	if !strings.HasPrefix(cols[4], "41") || !strings.HasPrefix(cols[5], "404") {
		t.Errorf("point row %q: X must be the northing, Y the easting with zone 40", line)
	}
}

// TestDemoCity generates the full demo city and imports it: the sizes the issue asks for, every
// feature of the drawing in its table.
func TestDemoCity(t *testing.T) {
	f, err := Generate(t.TempDir(), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Stats
	if s.Buildings < 20000 || s.Roads < 2000 || s.PipeSegments < 5000 {
		t.Fatalf("demo city too small: %+v", s)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	reports, err := Load(ctx, loader.New(pool, nil), f, nil, nil)
	byName := map[string]*loader.Report{}
	for _, r := range reports {
		byName[r.Dataset] = r
	}
	base := byName[BaseMapDataset]
	if base == nil {
		t.Fatalf("the base map was not imported: %v", err)
	}
	want := map[string]int{"building": s.Buildings, "road": s.Roads, "annotation": s.Annotations, "contour": s.Contours,
		"elevation_point": s.ElevationPoints, "control_point": s.ControlPoints, "water": s.Water, "vegetation": s.Vegetation,
		"facility": s.Facilities, "landform": s.Landforms, "pipe_facility": s.PipeFacilities, "boundary": s.Boundaries}
	for class, n := range want {
		if base.Counts[class] != n {
			t.Errorf("%s: %d imported, the generator wrote %d", class, base.Counts[class], n)
		}
	}
	if len(base.Rejected) != 0 || len(base.Warnings) != 0 {
		t.Errorf("rejected %v, warnings %v", base.Rejected, base.Warnings)
	}
	var withFloors, named int
	pool.QueryRow(ctx, "SELECT count(*) FROM basemap.building WHERE floors > 0 AND structure IS NOT NULL").Scan(&withFloors)
	pool.QueryRow(ctx, "SELECT count(*) FROM basemap.road WHERE name ~ '(街|路)$'").Scan(&named)
	if withFloors != s.Buildings || named != s.Roads {
		t.Errorf("%d of %d buildings with floors and structure, %d of %d roads named", withFloors, s.Buildings, named, s.Roads)
	}
	var lon, lat float64
	pool.QueryRow(ctx, "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) c FROM basemap.building) s").Scan(&lon, &lat)
	if lon < 119.93 || lon > 119.95 || lat < 37.17 || lat > 37.19 {
		t.Errorf("the town centre is at %f %f, want 119.94 37.18", lon, lat)
	}
	if r := byName[DistrictDataset]; r == nil || r.Features != 1 {
		t.Errorf("district boundary: %+v", r)
	}
	if r := byName[PipelineDataset]; r == nil || r.Counts["segment"]+r.Counts["pipeline.segment"] < 5000 {
		t.Errorf("pipelines: %+v (%v)", r, err)
	}
	if r := byName[BoreholeDataset]; r == nil || r.Counts["borehole"] != BoreholeCount || r.Counts["surface"] != 5 {
		t.Errorf("boreholes: %+v (%v)", r, err)
	}
	// the oblique set: a grouping root and two levels of each block's tile
	if r := byName[ObliqueDataset]; r == nil || r.Format != "osgb" || r.Counts["model_node"] != 1+2*s.ObliqueTiles || s.ObliqueTiles == 0 {
		t.Errorf("oblique set: %+v (%v)", r, err)
	}
	// the DEM: the ground the base map's contours come from, the top of the hill park where it is
	r := byName[DEMDataset]
	if r == nil || r.Format != "dem" || r.Counts["dem blocks"] == 0 || s.DEMCells == 0 {
		t.Fatalf("DEM: %+v (%v)", r, err)
	}
	c := newCity(Options{Seed: 1})
	hl := c.hills[0]
	lon, lat = crs.EPSG(4528).ToLonLat(hl.x, hl.y)
	ter, terr := terrain.New(pool, terrain.DefaultConfig(), nil, nil)
	if terr != nil {
		t.Fatal(terr)
	}
	h, ok, herr := ter.HeightAt(ctx, lon, lat)
	if want := c.ground(hl.x, hl.y); herr != nil || !ok || math.Abs(h-want) > 0.05 {
		t.Errorf("the DEM at the hill top: %.3f m (%v %v), the ground is %.3f m", h, ok, herr, want)
	}
}
