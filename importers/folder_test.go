package importers_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

const (
	pointsGeoJSON = `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"名称":"文峰路小学"},"geometry":{"type":"Point","coordinates":[119.94,37.18]}},
		{"type":"Feature","properties":{"名称":"莱州一中"},"geometry":{"type":"Point","coordinates":[119.95,37.19]}}]}`
	linesGeoJSON = `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"管径":300,"材质":"球墨铸铁"},"geometry":{"type":"LineString","coordinates":[[119.94,37.18],[119.941,37.181]]}},
		{"type":"Feature","properties":{"管径":200,"材质":"PE"},"geometry":{"type":"LineString","coordinates":[[119.941,37.181],[119.942,37.182]]}},
		{"type":"Feature","properties":{"管径":200,"材质":"PE"},"geometry":{"type":"LineString","coordinates":[[119.942,37.182],[119.943,37.183]]}}]}`
	// a DXF that starts as one and breaks off inside its first section
	brokenDXF = "0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n0\n10\n"
)

// A folder is one transaction: two good GeoJSON files and a broken DXF leave every table as it was,
// and the refusal names the DXF; files of no format Yitu imports are listed as skipped, the sidecars
// of a shapefile are not.
func TestFolderAllOrNothing(t *testing.T) {
	pool := pgtest.New(t)
	shp := shareddata.Path(t, "boundaries/yantai_districts.shp")
	dir := writeDir(t, map[string][]byte{
		"schools.geojson": []byte(pointsGeoJSON),
		"mains.geojson":   []byte(linesGeoJSON),
		"survey.dxf":      []byte(brokenDXF),
		"notes.txt":       []byte("测量说明：2024 年复测\n"),
	})
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		if src := strings.TrimSuffix(shp, ".shp") + ext; fileExists(src) {
			copyFile(t, src, filepath.Join(dir, "yantai"+ext), -1)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "yantai.shp.xml"), []byte("<metadata/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, pool)
	res, err := run(t, pool, importers.Request{Path: dir, SRS: "gcj02", Dataset: "folder"})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range res {
		if r.Err != nil {
			failed = append(failed, r.Err.Error())
		} else if r.Report != nil && !r.Report.Refused {
			t.Errorf("%s: reported as imported although the folder was refused: %+v", r.Path, r.Report)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "survey.dxf") || !strings.Contains(failed[0], "nothing written") {
		t.Errorf("refusals %q; want one naming survey.dxf", failed)
	}
	sameCounts(t, "a folder with a broken DXF", before, snapshot(t, pool))

	// Without the DXF the folder imports: three datasets, and notes.txt and the subfolder skipped.
	if err := os.Remove(filepath.Join(dir, "survey.dxf")); err != nil {
		t.Fatal(err)
	}
	res, err = run(t, pool, importers.Request{Path: dir, SRS: "gcj02", Dataset: "folder"})
	if err != nil {
		t.Fatal(err)
	}
	var skipped, imported []string
	for _, r := range res {
		switch {
		case r.Err != nil:
			t.Errorf("%s: %v", r.Path, r.Err)
		case r.Skipped != "":
			skipped = append(skipped, filepath.Base(r.Path)+": "+r.Skipped)
		default:
			imported = append(imported, r.Report.Dataset)
			if len(r.Report.Skipped) != 2 {
				t.Errorf("%s: report lists skipped files %q", r.Path, r.Report.Skipped)
			}
		}
	}
	slices.Sort(imported)
	slices.Sort(skipped)
	if strings.Join(imported, ",") != "folder/mains,folder/schools,folder/yantai" {
		t.Errorf("imported %q", imported)
	}
	if len(skipped) != 2 || !strings.HasPrefix(skipped[0], "notes.txt: not a format Yitu imports") || !strings.HasPrefix(skipped[1], "old: a folder") {
		t.Errorf("skipped %q", skipped)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM catalog.dataset WHERE name LIKE 'folder/%'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d datasets, %v", n, err)
	}
	if rows(t, pool, "reference.folder_mains") != 3 || rows(t, pool, "reference.folder_schools") != 2 {
		t.Errorf("reference tables: %d mains, %d schools", rows(t, pool, "reference.folder_mains"), rows(t, pool, "reference.folder_schools"))
	}

	// Two files that would be one dataset (schools.geojson, schools.json) are refused, not one
	// silently replacing the other.
	if err := os.WriteFile(filepath.Join(dir, "schools.json"), []byte(pointsGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, pool)
	if _, err := run(t, pool, importers.Request{Path: dir, SRS: "gcj02", Dataset: "folder"}); err == nil ||
		!strings.Contains(err.Error(), "schools.geojson and schools.json would both be dataset") {
		t.Errorf("two files of one dataset name: %v", err)
	}
	sameCounts(t, "two files of one dataset name", before, snapshot(t, pool))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Every --as with every kind of input either does what it says or is refused, naming the file and
// why, with every table unchanged: GeoJSON lines are no pipelines, a DXF base map is no reference
// layer, CJJ 61 tables are no base map; a shapefile of CJJ 61 attributes imported --as reference is a
// reference layer (the vector format takes it).
func TestAsIsHonouredOrRefused(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	lines := filepath.Join(dir, "mains.geojson")
	if err := os.WriteFile(lines, []byte(linesGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	cjj := writeDir(t, map[string][]byte{"JS_points.csv": gbk(t, pointsCSV), "JS_segments.csv": gbk(t, segmentsCSV)})
	citygml := shareddata.Path(t, "citygml/v2_Building_LOD2-EPSG25832.gml")
	before := snapshot(t, pool)
	for _, c := range []struct {
		path, as, srs string
		want          []string
	}{
		{lines, "pipeline", "", []string{"mains.geojson", "not a pipeline table", "CJJ 61"}},
		{cjj, "basemap", "EPSG:4528", []string{"--as basemap cannot be honoured", "pipeline.point"}},
		{cjj, "reference", "EPSG:4528", []string{"--as reference cannot be honoured"}},
		{filepath.Join(cjj, "JS_points.csv"), "boundary", "EPSG:4528", []string{"JS_points.csv", "--as boundary cannot be honoured"}},
		{citygml, "basemap", "", []string{"v2_Building_LOD2-EPSG25832.gml", "imported as cim"}},
	} {
		refused(t, pool, importers.Request{Path: c.path, As: c.as, SRS: c.srs}, c.want[0])
		res, err := run(t, pool, importers.Request{Path: c.path, As: c.as, SRS: c.srs})
		if err == nil {
			err = res[0].Err
		}
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s --as %s: %v; want it to say %q", filepath.Base(c.path), c.as, err, w)
			}
		}
		sameCounts(t, filepath.Base(c.path)+" --as "+c.as, before, snapshot(t, pool))
	}
	// In a folder, one file that cannot be what --as says refuses the folder.
	mixed := writeDir(t, map[string][]byte{"schools.geojson": []byte(pointsGeoJSON), "mains.geojson": []byte(linesGeoJSON)})
	res, err := run(t, pool, importers.Request{Path: mixed, As: "pipeline"})
	if err != nil || len(res) != 2 || res[0].Err == nil || res[1].Err == nil {
		t.Errorf("a folder of GeoJSON --as pipeline: %+v, %v", res, err)
	}
	sameCounts(t, "a folder of GeoJSON --as pipeline", before, snapshot(t, pool))
	// The siblings that can: GeoJSON lines as a reference layer, as a boundary, as base map classes.
	for _, as := range []string{"reference", "boundary", "basemap"} {
		rep := runOne(t, pool, importers.Request{Path: lines, As: as, Dataset: "mains " + as})
		if rep.Kind != as || rep.Features != 3 {
			t.Errorf("--as %s: %+v", as, rep)
		}
	}
	if rows(t, pool, "pipeline.segment") != 0 {
		t.Errorf("pipeline.segment has rows")
	}
}
