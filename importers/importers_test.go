package importers_test

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func run(t *testing.T, pool *pgxpool.Pool, req importers.Request) ([]importers.Result, error) {
	t.Helper()
	req.HomeLon = 119.94
	return importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), req, nil)
}

// runOne imports one file and returns its report, failing the test on any error.
func runOne(t *testing.T, pool *pgxpool.Pool, req importers.Request) *loader.Report {
	t.Helper()
	res, err := run(t, pool, req)
	if err != nil {
		t.Fatalf("import %s: %v", req.Path, err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import %s: %+v", req.Path, res)
	}
	return res[0].Report
}

// refused imports and expects a refusal whose message contains want.
func refused(t *testing.T, pool *pgxpool.Pool, req importers.Request, want string) {
	t.Helper()
	res, err := run(t, pool, req)
	if err == nil {
		if len(res) != 1 {
			t.Fatalf("%s: %d results", req.Path, len(res))
		}
		err = res[0].Err
	}
	if err == nil {
		t.Fatalf("%s was imported; want a refusal saying %q", req.Path, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s refused with %q; want it to say %q", req.Path, err, want)
	}
}

// ogrCount is the feature count GDAL's ogrinfo reports for a file's single layer.
func ogrCount(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("ogrinfo", "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
	}
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindAllStringSubmatch(string(out), -1)
	if len(m) != 1 {
		t.Fatalf("ogrinfo %s: %d layers", path, len(m))
	}
	n, _ := strconv.Atoi(m[0][1])
	return n
}

func rows(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	schema, name, _ := strings.Cut(table, ".")
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{schema, name}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot counts the rows of every user table (every schema but PostgreSQL's own).
func snapshot(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	r, err := pool.Query(context.Background(), `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tb := range tables {
		out[tb] = rows(t, pool, tb)
	}
	return out
}

func sameCounts(t *testing.T, what string, before, after map[string]int) {
	t.Helper()
	for k, v := range after {
		if before[k] != v {
			t.Errorf("%s changed %s: %d rows, was %d", what, k, v, before[k])
		}
	}
	if len(before) != len(after) {
		t.Errorf("%s changed the set of tables: %d, was %d", what, len(after), len(before))
	}
}

// Every file under shared/data/{boundaries,osm} imports as a reference layer with the feature count
// ogrinfo reports; Net3.inp (which GDAL cannot read) is refused without --srs with the reason and
// imports with a local grid placing it, with the counts of its sections.
func TestSharedDataImports(t *testing.T) {
	pool := pgtest.New(t)
	var files []string
	for _, dir := range []string{"boundaries", "osm"} {
		entries, err := os.ReadDir(shareddata.Path(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); ext == ".shp" || ext == ".geojson" {
				files = append(files, filepath.Join(shareddata.Path(t, dir), e.Name()))
			}
		}
	}
	if len(files) < 5 {
		t.Fatalf("only %d files found", len(files))
	}
	for _, f := range files {
		req := importers.Request{Path: f}
		if strings.Contains(f, "yantai") {
			req.SRS = "gcj02"
		}
		rep := runOne(t, pool, req)
		want := ogrCount(t, f)
		var ref []string
		for _, l := range rep.Layers {
			if strings.HasPrefix(l, "reference.") {
				ref = append(ref, l)
			}
		}
		if len(ref) != 1 {
			t.Fatalf("%s: layers %v", f, rep.Layers)
		}
		rep.Layers = ref
		// OSM buildings (a height attribute) go to basemap.building, their labels (points) to the
		// reference layer.
		if buildings := rep.Counts["building"]; strings.Contains(f, "buildings") {
			var withHeight int
			if err := pool.QueryRow(context.Background(), `SELECT count(height) FROM basemap.building WHERE dataset_id = $1`, rep.DatasetID).Scan(&withHeight); err != nil {
				t.Fatal(err)
			}
			if buildings == 0 || withHeight == 0 || rows(t, pool, "basemap.building") != buildings {
				t.Errorf("%s: %d buildings, %d with a height, %d in basemap.building", f, buildings, withHeight, rows(t, pool, "basemap.building"))
			}
			want -= buildings
			rep.Features -= buildings
		} else if buildings != 0 {
			t.Errorf("%s: %d buildings", f, buildings)
		}
		if got := rows(t, pool, rep.Layers[0]); got != want || rep.Features != want || len(rep.Rejected) != 0 {
			t.Errorf("%s: %d rows (report %d, %d rejected), ogrinfo counts %d", f, got, rep.Features, len(rep.Rejected), want)
		}
		var layerDataset int64
		if err := pool.QueryRow(context.Background(), "SELECT dataset_id FROM catalog.layer WHERE id = $1 AND theme = 'reference'",
			rep.Layers[0]).Scan(&layerDataset); err != nil || layerDataset != rep.DatasetID {
			t.Errorf("%s: catalog layer %s: dataset %d, %v", f, rep.Layers[0], layerDataset, err)
		}
	}
	// Chinese attribute names and values arrive intact.
	var name string
	if err := pool.QueryRow(context.Background(), `SELECT name FROM reference.yantai_districts WHERE adcode = '370683'`).Scan(&name); err != nil || name != "莱州市" {
		t.Errorf("Laizhou's name = %q, %v", name, err)
	}

	net3 := shareddata.Path(t, "pipelines/Net3.inp")
	refused(t, pool, importers.Request{Path: net3}, "EPANET coordinates are those of the drawing")
	grid := filepath.Join(t.TempDir(), "net3.yaml")
	if err := os.WriteFile(grid, []byte("name: Net3 placed near Laizhou\nmethod: 4-parameter\ntarget: EPSG:4528\ndx: 40495000\ndy: 4110000\nscale: 300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := runOne(t, pool, importers.Request{Path: net3, SRS: "local:" + grid})
	// Net3: 92 junctions, 2 reservoirs, 3 tanks; 117 pipes and 2 pumps.
	if rep.Counts["point"] != 97 || rep.Counts["segment"] != 119 {
		t.Errorf("Net3 counts %v", rep.Counts)
	}
	var pipes int
	var minLon, maxLon float64
	err := pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE props->>'epanet_type' = 'pipe'), min(ST_X(ST_StartPoint(geom))), max(ST_X(ST_StartPoint(geom)))
		FROM pipeline.segment WHERE dataset_id = $1`, rep.DatasetID).Scan(&pipes, &minLon, &maxLon)
	if err != nil || pipes != 117 || minLon < 119.8 || maxLon > 120.2 {
		t.Errorf("Net3 pipes %d, lon %g…%g, %v", pipes, minLon, maxLon, err)
	}
}

// The Yantai districts are in GCJ-02. Imported with --srs gcj02 they must land where the offset,
// computed independently (the published GCJ-02 formula written in SQL and run by PostgreSQL), puts
// them: applying it to every imported vertex gives back the file's vertex within a few metres.
func TestYantaiGCJ02(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	shp := shareddata.Path(t, "boundaries/yantai_districts.shp")
	runOne(t, pool, importers.Request{Path: shp, SRS: "EPSG:4490", Dataset: "yantai_as_is"})
	rep := runOne(t, pool, importers.Request{Path: shp, SRS: "gcj02", Dataset: "yantai_gcj"})
	if rep.SourceCRS != "gcj02" {
		t.Errorf("source CRS %q", rep.SourceCRS)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	_, err = conn.Exec(ctx, `
CREATE FUNCTION pg_temp.wgs_to_gcj(lon float8, lat float8) RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
  WITH c AS (SELECT lon - 105.0 AS x, lat - 35.0 AS y),
  d AS (SELECT -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*sqrt(abs(x))
               + (20*sin(6*x*pi()) + 20*sin(2*x*pi()))*2/3 + (20*sin(y*pi()) + 40*sin(y/3*pi()))*2/3
               + (160*sin(y/12*pi()) + 320*sin(y*pi()/30))*2/3 AS dlat,
               300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*sqrt(abs(x))
               + (20*sin(6*x*pi()) + 20*sin(2*x*pi()))*2/3 + (20*sin(x*pi()) + 40*sin(x/3*pi()))*2/3
               + (150*sin(x/12*pi()) + 300*sin(x/30*pi()))*2/3 AS dlon FROM c),
  m AS (SELECT 1 - 0.00669342162296594323 * sin(radians(lat))^2 AS magic)
  SELECT ARRAY[lon + dlon*180 / (6378245.0/sqrt(magic)*cos(radians(lat))*pi()),
               lat + dlat*180 / ((6378245.0*(1 - 0.00669342162296594323))/(magic*sqrt(magic))*pi())]
  FROM d, m
$$`)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var worst, minShift, maxShift float64
	err = conn.QueryRow(ctx, `
		WITH a AS (SELECT adcode, (ST_DumpPoints(geom)).path AS path, (ST_DumpPoints(geom)).geom AS p FROM reference.yantai_as_is),
		     g AS (SELECT adcode, (ST_DumpPoints(geom)).path AS path, (ST_DumpPoints(geom)).geom AS p FROM reference.yantai_gcj),
		     pairs AS (SELECT a.p AS raw, g.p AS wgs, pg_temp.wgs_to_gcj(ST_X(g.p), ST_Y(g.p)) AS back
		               FROM a JOIN g USING (adcode, path))
		SELECT count(*),
		       max(ST_DistanceSphere(raw, ST_SetSRID(ST_MakePoint(back[1], back[2]), 4490))),
		       min(ST_DistanceSphere(raw, wgs)), max(ST_DistanceSphere(raw, wgs))
		FROM pairs`).Scan(&n, &worst, &minShift, &maxShift)
	if err != nil {
		t.Fatal(err)
	}
	if n < 10000 {
		t.Errorf("only %d vertices compared", n)
	}
	if worst > 2 {
		t.Errorf("the imported boundary is up to %.2f m from where GCJ-02 puts it", worst)
	}
	// The offset itself is hundreds of metres in Shandong: the import did move the data.
	if minShift < 200 || maxShift > 1000 {
		t.Errorf("GCJ-02 offset removed: %.0f…%.0f m", minShift, maxShift)
	}
	t.Logf("%d vertices: within %.3f m of the independent GCJ-02 computation; offset removed %.0f…%.0f m", n, worst, minShift, maxShift)
}

func copyFile(t *testing.T, src, dst string, limit int64) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var r io.Reader = in
	if limit >= 0 {
		r = io.LimitReader(in, limit)
	}
	if _, err := io.Copy(out, r); err != nil {
		t.Fatal(err)
	}
}

const (
	pointsCSV = "物探点号,特征,附属物,X,Y,地面高程,埋深,井深\n" +
		"JS1,三通,,4115000.000,40500000.000,5.20,1.20,\n" +
		"JS2,,阀门,4115030.000,40500000.000,5.25,1.25,1.8\n"
	segmentsCSV = "起点点号,终点点号,起点埋深,终点埋深,管径,材质\n" +
		"JS1,JS2,1.20,1.25,300,球墨铸铁\n"
)

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A truncated file, a CSV with dangling point numbers and a wrong --encoding each leave every table's
// row count unchanged, even when they would replace an existing dataset, and say why.
func TestRefusalsWriteNothing(t *testing.T) {
	pool := pgtest.New(t)
	shp := shareddata.Path(t, "boundaries/yantai_districts.shp")
	runOne(t, pool, importers.Request{Path: shp, SRS: "gcj02", Dataset: "烟台"})
	good := writeDir(t, map[string][]byte{"JS_points.csv": gbk(t, pointsCSV), "JS_segments.csv": gbk(t, segmentsCSV)})
	runOne(t, pool, importers.Request{Path: good, SRS: "EPSG:4528", Dataset: "管线"})
	before := snapshot(t, pool)

	// A truncated shapefile.
	dir := t.TempDir()
	for _, ext := range []string{".dbf", ".shx"} {
		copyFile(t, strings.TrimSuffix(shp, ".shp")+ext, filepath.Join(dir, "yantai"+ext), -1)
	}
	st, _ := os.Stat(shp)
	copyFile(t, shp, filepath.Join(dir, "yantai.shp"), st.Size()/2)
	refused(t, pool, importers.Request{Path: filepath.Join(dir, "yantai.shp"), SRS: "gcj02", Dataset: "烟台"}, "truncated")
	sameCounts(t, "a truncated shapefile", before, snapshot(t, pool))

	// A truncated GeoJSON.
	roads := shareddata.Path(t, "osm/wuhan_roads.geojson")
	st, _ = os.Stat(roads)
	cut := filepath.Join(t.TempDir(), "roads.geojson")
	copyFile(t, roads, cut, st.Size()/2)
	refused(t, pool, importers.Request{Path: cut}, "roads.geojson")
	sameCounts(t, "a truncated GeoJSON", before, snapshot(t, pool))

	// A truncated DBF.
	dir = t.TempDir()
	for _, ext := range []string{".shp", ".shx"} {
		copyFile(t, strings.TrimSuffix(shp, ".shp")+ext, filepath.Join(dir, "yantai"+ext), -1)
	}
	dbf := strings.TrimSuffix(shp, ".shp") + ".dbf"
	st, _ = os.Stat(dbf)
	copyFile(t, dbf, filepath.Join(dir, "yantai.dbf"), st.Size()-100)
	refused(t, pool, importers.Request{Path: filepath.Join(dir, "yantai.shp"), SRS: "gcj02", Dataset: "烟台"}, "truncated")
	sameCounts(t, "a truncated DBF", before, snapshot(t, pool))

	// Dangling point numbers, re-importing the same dataset name.
	dangling := writeDir(t, map[string][]byte{"JS_points.csv": gbk(t, pointsCSV),
		"JS_segments.csv": gbk(t, segmentsCSV+"JS2,JS9,1.25,1.30,300,球墨铸铁\n")})
	refused(t, pool, importers.Request{Path: dangling, SRS: "EPSG:4528", Dataset: "管线"}, "dangling 终点点号 JS9")
	sameCounts(t, "a CSV with dangling point numbers", before, snapshot(t, pool))

	// Wrong encodings: GBK read as UTF-8, UTF-8 read as GBK (a CSV and a DBF).
	refused(t, pool, importers.Request{Path: good, SRS: "EPSG:4528", Dataset: "管线", Encoding: "utf-8"}, "not UTF-8")
	utf8Dir := writeDir(t, map[string][]byte{"JS_points.csv": []byte(pointsCSV), "JS_segments.csv": []byte(segmentsCSV)})
	refused(t, pool, importers.Request{Path: utf8Dir, SRS: "EPSG:4528", Dataset: "管线", Encoding: "gbk"}, "not GBK")
	refused(t, pool, importers.Request{Path: shp, SRS: "gcj02", Dataset: "烟台", Encoding: "gbk"}, "UTF-8")
	sameCounts(t, "a wrong --encoding", before, snapshot(t, pool))

	// The dangling segment is accepted with --max-rejects 1 and reported.
	rep := runOne(t, pool, importers.Request{Path: dangling, SRS: "EPSG:4528", Dataset: "管线", MaxRejects: 1})
	if len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 || !strings.HasSuffix(rep.Rejected[0].File, "JS_segments.csv") {
		t.Errorf("rejections %+v", rep.Rejected)
	}
}

// A GBK shapefile (its .cpg says so) imports with its Chinese text; --encoding utf-8 is refused.
func TestGBKShapefile(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "districts_gbk.shp")
	cmd := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", out, shareddata.Path(t, "boundaries/yantai_districts.shp"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	rep := runOne(t, pool, importers.Request{Path: out, SRS: "gcj02"})
	var name string
	if err := pool.QueryRow(context.Background(), "SELECT name FROM "+rep.Layers[0]+" WHERE adcode = '370683'").Scan(&name); err != nil || name != "莱州市" {
		t.Errorf("name = %q, %v", name, err)
	}
	refused(t, pool, importers.Request{Path: out, SRS: "gcj02", Encoding: "utf-8", Dataset: "x"}, "not UTF-8")
}

// Without a .prj and with projected coordinates, an import is refused with the range and the zone.
func TestNoCRSProjected(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "gk.shp")
	cmd := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:4490", "-t_srs", "EPSG:4528", out,
		shareddata.Path(t, "boundaries/yantai_districts.shp"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	rep := runOne(t, pool, importers.Request{Path: out}) // with the .prj GDAL wrote
	if rep.SourceCRS != "EPSG:4528" {
		t.Errorf("CRS from the .prj: %q", rep.SourceCRS)
	}
	var lon float64
	if err := pool.QueryRow(context.Background(), "SELECT ST_X(ST_Centroid(geom)) FROM "+rep.Layers[0]+" WHERE adcode = '370683'").Scan(&lon); err != nil || math.Abs(lon-119.95) > 0.2 {
		t.Errorf("Laizhou centroid longitude %g, %v", lon, err)
	}
	if err := os.Remove(filepath.Join(dir, "gk.prj")); err != nil {
		t.Fatal(err)
	}
	refused(t, pool, importers.Request{Path: out, Dataset: "gk2"}, "EPSG:4528")
}

func TestUnknownFormat(t *testing.T) {
	pool := pgtest.New(t)
	p := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, pool, importers.Request{Path: p})
	if err == nil || !strings.Contains(err.Error(), "not a format Yitu imports") {
		t.Errorf("err = %v", err)
	}
	_, err = run(t, pool, importers.Request{Path: p, SRS: "EPSG:99999"})
	if err == nil || !strings.Contains(err.Error(), "EPSG:99999 is unknown: neither in Yitu's CRS registry nor in PostGIS's spatial_ref_sys") {
		t.Errorf("err = %v", err)
	}
}

// A GeoPackage with two layers gives two reference layers in one dataset; --as basemap maps OSM
// buildings onto basemap.building (polygons) and basemap.other (the rest).
func TestGeoPackageAndBasemap(t *testing.T) {
	pool := pgtest.New(t)
	gpkg := filepath.Join(t.TempDir(), "wuhan.gpkg")
	for _, f := range []string{"osm/wuhan_roads.geojson", "osm/wuhan_water.geojson"} {
		cmd := exec.Command("ogr2ogr", "-f", "GPKG", "-update", "-append", gpkg, shareddata.Path(t, f))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr: %v\n%s", err, b)
		}
	}
	rep := runOne(t, pool, importers.Request{Path: gpkg, Dataset: "武汉 OSM"})
	if rep.Format != "gpkg" || len(rep.Layers) != 2 || rep.Counts["wuhan_roads"] != 374 || rep.Counts["wuhan_water"] != 3 {
		t.Errorf("gpkg: %+v", rep)
	}
	for _, l := range rep.Layers {
		if !strings.HasPrefix(l, "reference.") {
			t.Errorf("layer %s", l)
		}
	}

	b := shareddata.Path(t, "osm/wuhan_buildings.geojson")
	rep = runOne(t, pool, importers.Request{Path: b, As: "basemap"})
	if rep.Kind != "basemap" || rep.Counts["building"]+rep.Counts["other"] != ogrCount(t, b) || rep.Counts["building"] == 0 {
		t.Errorf("--as basemap: %+v", rep)
	}
	if got := rows(t, pool, "basemap.building"); got != rep.Counts["building"] {
		t.Errorf("basemap.building has %d rows", got)
	}
}

// Chinese attribute names become the reference table's columns and the layer's property titles.
func TestChineseAttributeNames(t *testing.T) {
	pool := pgtest.New(t)
	p := filepath.Join(t.TempDir(), "乡镇.geojson")
	gj := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"名称":"城港路街道","人口":81234,"面积(平方公里)":36.5},"geometry":{"type":"Point","coordinates":[119.94,37.18]}},
		{"type":"Feature","properties":{"名称":"沙河镇","人口":70321,"面积(平方公里)":120.25},"geometry":{"type":"Point","coordinates":[119.87,37.05]}}]}`
	if err := os.WriteFile(p, []byte(gj), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := runOne(t, pool, importers.Request{Path: p, As: "boundary"})
	if rep.Kind != "boundary" || rep.Features != 2 {
		t.Fatalf("%+v", rep)
	}
	var pop int64
	if err := pool.QueryRow(context.Background(), `SELECT "人口" FROM `+rep.Layers[0]+` WHERE "名称" = '沙河镇'`).Scan(&pop); err != nil || pop != 70321 {
		t.Errorf("人口 = %d, %v", pop, err)
	}
	var titles string
	if err := pool.QueryRow(context.Background(), `SELECT string_agg(p->>'title_zh', ',') FROM catalog.layer, jsonb_array_elements(properties) p WHERE id = $1`,
		rep.Layers[0]).Scan(&titles); err != nil || titles != "名称,人口,面积(平方公里)" {
		t.Errorf("titles %q, %v", titles, err)
	}
}

// A pipe point shapefile (GBK field names, as surveyors' software writes them) with a segment CSV in
// one folder is one pipeline dataset; the points' coordinates come from the shapefile's geometry and
// CRS from its .prj.
func TestPipelineShapefileFolder(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "points.geojson")
	gj := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"物探点号":"RQ1","特征":"三通","地面高程":4.8,"埋深":0.9},"geometry":{"type":"Point","coordinates":[40500100,4115100]}},
		{"type":"Feature","properties":{"物探点号":"RQ2","特征":"","地面高程":4.9,"埋深":1.0},"geometry":{"type":"Point","coordinates":[40500160,4115100]}}]}`
	if err := os.WriteFile(src, []byte(gj), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", "-a_srs", "EPSG:4528", filepath.Join(dir, "RQ_points.shp"), src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	if err := os.WriteFile(filepath.Join(dir, "RQ_segments.csv"), gbk(t, "起点点号,终点点号,管径,材质,压力\nRQ1,RQ2,DN160,PE,中压\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := runOne(t, pool, importers.Request{Path: dir})
	if rep.Format != "cjj61" || rep.SourceCRS != "EPSG:4528" || rep.Counts["point"] != 2 || rep.Counts["segment"] != 1 {
		t.Fatalf("%+v", rep)
	}
	var typ, feature string
	var z float64
	if err := pool.QueryRow(context.Background(), `SELECT pipe_type, feature, ST_Z(geom) FROM pipeline.point WHERE point_no = 'RQ1'`).Scan(&typ, &feature, &z); err != nil ||
		typ != "RQ" || feature != "三通" || math.Abs(z-3.9) > 1e-6 {
		t.Errorf("RQ1: %s %s %g, %v", typ, feature, z, err)
	}
}
