package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// yitu import end to end: exit 0 imported (with a JSON report), 1 refused with the reason and
// nothing written, 2 usage; --dry-run writes nothing.
func TestImportCommand(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	env := []string{"DATABASE_URL=" + url}
	shp := shareddata.Path(t, "boundaries/yantai_districts.shp")
	count := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM catalog.dataset").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, out := yitu(t, env, "import", shp, "--srs", "gcj02", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run") || count() != 0 {
		t.Fatalf("dry run: exit %d, %d datasets\n%s", code, count(), out)
	}

	report := filepath.Join(t.TempDir(), "report.json")
	code, out = yitu(t, env, "import", shp, "--srs", "gcj02", "--dataset", "烟台区县", "--report", report)
	if code != 0 || !strings.Contains(out, "烟台区县") || !strings.Contains(out, "12") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep loader.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.Features != 12 || rep.SourceCRS != "gcj02" || rep.SHA256 == "" {
		t.Errorf("report %s: %+v, %v", b, rep, err)
	}

	code, out = yitu(t, env, "import", shp, "--srs", "gcj02", "--dataset", "烟台区县", "--encoding", "gbk")
	if code != 1 || !strings.Contains(lastLine(out), "UTF-8") || count() != 1 {
		t.Errorf("wrong encoding: exit %d, %d datasets\n%s", code, count(), out)
	}
	code, out = yitu(t, env, "import", shareddata.Path(t, "pipelines/Net3.inp"))
	if code != 1 || !strings.Contains(lastLine(out), "--srs") {
		t.Errorf("Net3 without --srs: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"import"},
		{"import", "/no/such/file"},
		{"import", shp, "--srs", "EPSG:99999"},
		{"import", shp, "--as", "castle"},
		{"import", shp, "--bogus"},
	} {
		if code, out := yitu(t, env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, out)
		}
	}
	if count() != 1 {
		t.Errorf("%d datasets after the refusals", count())
	}
}

// yitu import of a folder: a broken DXF beside two good GeoJSON files exits 1 naming the DXF, and no
// table changes; without it the folder imports, listing the file of no known format as skipped, and
// the GeoJSON buildings' heights (--height-attr) land in basemap.building.
func TestImportFolderCommand(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	env := []string{"DATABASE_URL=" + url}
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("schools.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"莱州一中"},"geometry":{"type":"Point","coordinates":[119.95,37.19]}}]}`)
	write("houses.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"粮站","GD":"7.5 m"},
		"geometry":{"type":"Polygon","coordinates":[[[119.94,37.18],[119.9402,37.18],[119.9402,37.1802],[119.94,37.1802],[119.94,37.18]]]}}]}`)
	write("survey.dxf", "0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n0\n10\n")
	write("readme.txt", "说明\n")
	counts := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM catalog.dataset) || '/' || (SELECT count(*) FROM catalog.layer) || '/' ||
			(SELECT count(*) FROM basemap.building) || '/' || (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'reference')`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := counts()
	code, out := yitu(t, env, "import", dir, "--height-attr", "GD")
	if code != 1 || !strings.Contains(lastLine(out), "survey.dxf") || !strings.Contains(out, "REFUSED, nothing written") || counts() != before {
		t.Errorf("folder with a broken DXF: exit %d, counts %s (were %s)\n%s", code, counts(), before, out)
	}
	if err := os.Remove(filepath.Join(dir, "survey.dxf")); err != nil {
		t.Fatal(err)
	}
	code, out = yitu(t, env, "import", dir, "--height-attr", "GD")
	if code != 0 || !strings.Contains(out, "skipped "+filepath.Join(dir, "readme.txt")) {
		t.Errorf("folder: exit %d\n%s", code, out)
	}
	var h float64
	if err := pool.QueryRow(ctx, `SELECT height FROM basemap.building WHERE name = '粮站'`).Scan(&h); err != nil || h != 7.5 {
		t.Errorf("height %v, %v\n%s", h, err, out)
	}
	code, out = yitu(t, env, "import", filepath.Join(dir, "schools.geojson"), "--as", "pipeline")
	if code != 1 || !strings.Contains(lastLine(out), "schools.geojson") || !strings.Contains(lastLine(out), "not a pipeline table") {
		t.Errorf("GeoJSON --as pipeline: exit %d\n%s", code, out)
	}
}
