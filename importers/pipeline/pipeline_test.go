package pipeline

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func TestMapHeader(t *testing.T) {
	cols, kind := mapHeader([]string{"\ufeff物探点号", "X坐标(m)", "Y 坐标", "地面高程（m）", "埋深(m)", "备注"})
	if kind != "point" || cols["point_no"] != 0 || cols["x"] != 1 || cols["y"] != 2 || cols["ground_elev"] != 3 || cols["depth"] != 4 {
		t.Errorf("point header: %v %s", cols, kind)
	}
	cols, kind = mapHeader([]string{"起点", "连接点号", "管径", "断面尺寸", "起点管内底高程", "终点管内底高程", "流向"})
	if kind != "segment" || cols["end_no"] != 1 || cols["start_elev"] != 4 || cols["flow_dir"] != 6 {
		t.Errorf("segment header: %v %s", cols, kind)
	}
	if _, kind := mapHeader([]string{"名称", "面积"}); kind != "" {
		t.Errorf("unrelated header taken as %s", kind)
	}
}

func TestParsers(t *testing.T) {
	for s, want := range map[string]float64{"300": 300, "DN300": 300, "Φ600": 600, "dn 150mm": 150} {
		if d, ok := parseDiameter(s); !ok || d != want {
			t.Errorf("parseDiameter(%q) = %g, %v", s, d, ok)
		}
	}
	if w, h, ok := parseSection("800×600"); !ok || w != 800 || h != 600 {
		t.Errorf("parseSection = %g %g %v", w, h, ok)
	}
	if _, ok := parseDiameter("大"); ok {
		t.Error("parseDiameter accepted text")
	}
	if typeFromName("/data/给水管线点.csv") != "JS" || typeFromName("ys_segments.xlsx") != "YS" || typeFromName("points.csv") != "" || typeFromName("雨水及给水点") != "" {
		t.Error("typeFromName")
	}
	if parseYear("2015年6月") != 2015 || parseYear("") != nil {
		t.Error("parseYear")
	}
}

// grid is a local 4-parameter grid whose origin sits in Laizhou (EPSG:4528), so test tables can use
// small coordinates.
func grid(t *testing.T) crs.CRS {
	g, err := crs.ParseLocalGrid([]byte("name: test\nmethod: 4-parameter\ntarget: EPSG:4528\ndx: 40500000\ndy: 4115000\n"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A workbook with a point sheet and a segment sheet exercising every validation rule; the valid rows
// land with the documented 3D convention.
func TestXLSXValidationAnd3D(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	f := excelize.NewFile()
	pts := [][]any{
		{"莱州市地下管线探测成果表"}, // a title row above the header
		{"物探点号", "管线类型", "特征", "附属物", "X", "Y", "地面高程", "埋深", "井深"},
		{"JS1", "给水", "三通", "", 0, 0, 5.0, 1.0, nil},
		{"JS2", "JS", "", "阀门", 40, 0, 5.0, 1.2, 1.5},
		{"JS3", "JS", "", "", 40, 0, 5.0, 1.0, nil},   // same position as JS2
		{"JS2", "JS", "", "", 80, 0, 5.0, 1.0, nil},   // duplicate
		{"JS4", "JS", "", "", 80, 10, 5.0, -0.5, nil}, // negative depth
		{"JS5", "XX", "", "", 90, 10, 5.0, 1.0, nil},  // unknown type
		{"YS1", "", "", "检修井", 0, 20, 6.0, 2.0, 2.5},
		{"YS2", "", "", "检修井", 50, 20, 5.5, 2.2, 2.6},
		{"YS3", "", "", "检修井", 100, 20, 5.4, 1.0, 1.2},
		{"JS6", "JS", "", "", 0, 50, 5.0, 30, nil}, // implausible depth
	}
	segs := [][]any{
		{"起点点号", "终点点号", "起点埋深", "终点埋深", "管径", "断面尺寸", "材质", "流向"},
		{"JS1", "JS2", 1.0, 1.2, "DN200", "", "PE", ""},      // good
		{"JS2", "JS3", 1.2, 1.0, "200", "", "PE", ""},        // zero length
		{"JS1", "JS9", 1.0, 1.0, "200", "", "PE", ""},        // dangling
		{"JS1", "JS4", 1.0, 1.0, "200", "", "PE", ""},        // endpoint rejected
		{"JS1", "JS2", 1.0, 1.2, "", "", "PE", ""},           // duplicate (and no diameter)
		{"YS1", "YS2", "", "", "", "", "混凝土", "+"},           // no size
		{"YS1", "YS2", 2.0, 2.2, "", "1000X800", "混凝土", "+"}, // good box culvert: 4.0 → 3.3 bottom
		{"YS2", "YS3", 2.2, 1.0, "600", "", "混凝土", "+"},      // uphill: 3.3 → 4.4
		{"YS3", "YS2", 1.0, 2.2, "600", "", "混凝土", "+"},      // duplicate of nothing, downhill: fine
		{"JS1", "JS2", "", "", "", "", "PE", ""},             // duplicate
	}
	if _, err := f.NewSheet("雨水及给水点"); err != nil {
		t.Fatal(err)
	}
	_ = f.DeleteSheet("Sheet1")
	if _, err := f.NewSheet("管线段"); err != nil {
		t.Fatal(err)
	}
	for i, r := range pts {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("雨水及给水点", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range segs {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("管线段", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "survey.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	head, _ := os.ReadFile(path)
	if !(XLSX{}).Sniff(path, head[:min(len(head), 4096)]) {
		t.Fatal("XLSX not sniffed")
	}
	l := loader.New(pool, nil)
	b, err := l.Begin(ctx, loader.Options{Dataset: "xlsx", Kind: "pipeline", Format: "xlsx", Source: path, MaxRejects: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := (XLSX{}).Import(ctx, b, loader.Source{Path: path, CRS: grid(t), HomeLon: 119.94}); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range rep.Rejected {
		reasons = append(reasons, r.Feature+": "+r.Reason)
		if r.Record == 0 || !strings.Contains(r.File, "survey.xlsx [") {
			t.Errorf("rejection without its row: %+v", r)
		}
	}
	for _, want := range []string{
		"JS2: duplicate 物探点号 JS2 (first at",
		"JS4: 埋深 -0.50 m is negative",
		"JS5: 管线类型 \"XX\" is not a known type",
		"JS6: 埋深 30.00 m is implausible",
		"JS2→JS3: zero-length segment",
		"JS1→JS9: dangling 终点点号 JS9",
		"JS1→JS4: 终点点号 JS4 refers to a point that was rejected",
		"JS1→JS2: duplicate segment",
		"YS1→YS2: missing 管径 (diameter) and 断面尺寸",
		"YS2→YS3: gravity pipe (雨水) flows uphill",
	} {
		if !slices.ContainsFunc(reasons, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("no rejection %q in\n%s", want, strings.Join(reasons, "\n"))
		}
	}
	if rep.Counts["point"] != 6 || rep.Counts["segment"] != 3 {
		t.Errorf("counts %v", rep.Counts)
	}
	// Water (top convention): JS1 top = 5.0 − 1.0 = 4.0, centre 4.0 − 0.1.
	// Storm box culvert (inner bottom): YS1 bottom = 6.0 − 2.0 = 4.0, centre 4.0 + 0.4.
	for _, c := range []struct {
		start, end string
		z0, z1     float64
	}{{"JS1", "JS2", 3.9, 3.7}, {"YS1", "YS2", 4.4, 3.7}, {"YS3", "YS2", 4.7, 3.6}} {
		var z0, z1, e0 float64
		err := pool.QueryRow(ctx, `SELECT ST_Z(ST_StartPoint(geom)), ST_Z(ST_EndPoint(geom)), start_elev FROM pipeline.segment
			WHERE start_no = $1 AND end_no = $2`, c.start, c.end).Scan(&z0, &z1, &e0)
		if err != nil {
			t.Fatalf("%s→%s: %v", c.start, c.end, err)
		}
		if math.Abs(z0-c.z0) > 1e-6 || math.Abs(z1-c.z1) > 1e-6 {
			t.Errorf("%s→%s centreline z %.3f → %.3f, want %.3f → %.3f", c.start, c.end, z0, z1, c.z0, c.z1)
		}
	}
	var wd, pz float64
	var app string
	if err := pool.QueryRow(ctx, `SELECT well_depth, ST_Z(geom), appendage FROM pipeline.point WHERE point_no = 'YS1'`).Scan(&wd, &pz, &app); err != nil || wd != 2.5 || pz != 4.0 || app != "检修井" {
		t.Errorf("YS1: well depth %g, z %g, %q, %v", wd, pz, app, err)
	}
	// Laizhou: the grid's origin is EPSG:4528 (40 500 000, 4 115 000).
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM pipeline.point WHERE point_no = 'JS1'`).Scan(&lon, &lat); err != nil || math.Abs(lon-120) > 1e-9 || math.Abs(lat-37.1665) > 0.001 {
		t.Errorf("JS1 at %g %g", lon, lat)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("物探点号,X,Y,地面高程,埋深\nJS1,1,2,3,4\n")
	f.Add("起点点号;终点点号;管径\nA;B;300\n")
	f.Add("\"起点\",\"终点\"\n\"a\"\"\",b\n")
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := parseCSV("fuzz.csv", s)
		if err != nil {
			return
		}
		if tb.kind != "point" && tb.kind != "segment" {
			t.Fatalf("kind %q", tb.kind)
		}
		for _, r := range tb.rows {
			for k := range aliases {
				_ = tb.get(r, k)
			}
			_ = tb.props(r)
		}
	})
}

func FuzzMapHeader(f *testing.F) {
	f.Add("物探点号\tX坐标(m)\tY\t地面高程（m）")
	f.Add("起点\t连接点号\t断面尺寸")
	f.Fuzz(func(t *testing.T, s string) {
		cols, kind := mapHeader(strings.Split(s, "\t"))
		for _, i := range cols {
			if i < 0 {
				t.Fatal("negative column")
			}
		}
		if kind == "segment" {
			if _, ok := cols["start_no"]; !ok {
				t.Fatal("segment without start_no")
			}
		}
		_ = typeFromName(s)
		_, _ = parseDiameter(s)
		_, _, _ = parseSection(s)
	})
}

func FuzzParseINP(f *testing.F) {
	b, err := os.ReadFile(shareddata.Path(f, "pipelines/Net3.inp"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("[JUNCTIONS]\n1 10\n[PIPES]\np 1 2 100 12\n[COORDINATES]\n1 0 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseINP([]byte(s))
		if err != nil {
			return
		}
		if len(n.Nodes) == 0 && len(n.Links) == 0 {
			t.Fatal("empty network accepted")
		}
	})
}

// FuzzXLSXHeader writes a sheet with a fuzzed title row and header row and reads it back: the header
// is found below a title, mapped, and rows come back with their spreadsheet row numbers.
func FuzzXLSXHeader(f *testing.F) {
	f.Add("莱州市管线点成果表", "物探点号\tX\tY\t地面高程", "JS1\t1\t2\t3")
	f.Add("", "起点点号\t终点点号\t管径", "A\tB\tDN300")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, title, header, data string) {
		x := excelize.NewFile()
		defer x.Close()
		for i, line := range []string{title, header, data} {
			var cells []any
			for _, c := range strings.Split(line, "\t") {
				cells = append(cells, c)
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow("Sheet1", cell, &cells); err != nil {
				return // text excelize refuses to write
			}
		}
		p := filepath.Join(dir, "f.xlsx")
		if err := x.SaveAs(p); err != nil {
			return
		}
		ts, err := readXLSX(context.Background(), p, false)
		if err != nil {
			return
		}
		for _, tb := range ts {
			for _, r := range tb.rows {
				if r.record < 2 {
					t.Fatalf("data row %d above the header", r.record)
				}
				_ = tb.props(r)
			}
		}
	})
}

// Points in 经度/纬度 without --srs are taken as CGCS2000 with a note; a dry run needs no database.
func TestLonLatPointsDryRun(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "给水点.csv")
	if err := os.WriteFile(p, []byte("物探点号,经度,纬度,地面高程,埋深\nJ1,119.94,37.18,5,1\nJ2,119.941,37.18,5,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := loader.New(nil, nil).Begin(ctx, loader.Options{Dataset: "d", Source: p, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := (CSV{}).Import(ctx, b, loader.Source{Path: p, HomeLon: 119.94}); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Commit(ctx)
	if err != nil || rep.Counts["point"] != 2 || rep.SourceCRS != "EPSG:4490" || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "gcj02") {
		t.Errorf("%+v, %v", rep, err)
	}
}

// TestTruncatedRowRefused: a segments table cut in the middle of its last row is refused, naming the
// line, rather than imported without it.
func TestTruncatedRowRefused(t *testing.T) {
	full := "起点点号,终点点号,管线类型,管径\nJS1,JS2,JS,300\nJS2,JS3,JS,300\n"
	if tb, err := parseCSV("segments.csv", full); err != nil || len(tb.rows) != 2 {
		t.Fatalf("the whole table: %v", err)
	}
	cut := full[:len(full)-8] // "JS2,JS3," is what is left of the last row
	_, err := parseCSV("segments.csv", cut)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("a table cut in its last row: %v", err)
	}
}

// TestXLSXBombRefused: a small workbook that expands beyond the limits (a part declaring 1 GiB; a
// sheet of more cells than a survey table has) is recognised as a workbook and refused by name,
// before its contents take memory, with nothing written; a cancelled import stops reading.
func TestXLSXBombRefused(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xlsx")
	f := excelize.NewFile()
	rows := [][]any{{"物探点号", "管线类型", "X", "Y", "地面高程", "埋深"}}
	for i := range 3000 {
		rows = append(rows, []any{fmt.Sprintf("JS%d", i), "JS", 4_000_000 + i, 500_000, 5.0, 1.0})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(good); err != nil {
		t.Fatal(err)
	}

	// The bomb: the good workbook's parts and one more whose directory entry says it inflates to
	// 1 GiB (the zip reader holds a part to its declared size, so the declaration is what counts).
	bomb := filepath.Join(dir, "bomb.xlsx")
	zr, err := zip.OpenReader(good)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, zf := range zr.File {
		if err := zw.Copy(zf); err != nil {
			t.Fatal(err)
		}
	}
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Close()
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet9.xml", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()
	out.Close()
	zr.Close()

	head, _ := os.ReadFile(bomb)
	if !(XLSX{}).Sniff(bomb, head[:4096]) {
		t.Fatal("the bomb is not recognised as a workbook: it would be refused as an unknown format, not for what it is")
	}
	l := loader.New(pool, nil)
	b, err := l.Begin(ctx, loader.Options{Dataset: "bomb", Kind: "pipeline", Format: "xlsx", Source: bomb})
	if err != nil {
		t.Fatal(err)
	}
	err = (XLSX{}).Import(ctx, b, loader.Source{Path: bomb, CRS: grid(t), HomeLon: 119.94})
	b.Rollback(ctx)
	if err == nil || !strings.Contains(err.Error(), "bomb.xlsx") || !strings.Contains(err.Error(), "expands to more than 512 MB") ||
		!strings.Contains(err.Error(), "sheet9.xml") {
		t.Errorf("the bomb: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM pipeline.point) + (SELECT count(*) FROM catalog.dataset)").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows written (%v)", n, err)
	}

	// The cell limit, shown on the good workbook with the limit lowered below its 18,006 cells.
	defer func(v int) { xlsxMaxCells = v }(xlsxMaxCells)
	xlsxMaxCells = 10_000
	if _, err := readXLSX(ctx, good, false); err == nil || !strings.Contains(err.Error(), "more than 10000 cells") || !strings.Contains(err.Error(), "[Sheet1] row") {
		t.Errorf("too many cells: %v", err)
	}
	xlsxMaxCells = 1 << 30
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := readXLSX(cancelled, good, false); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read: %v", err)
	}
	if ts, err := readXLSX(ctx, good, false); err != nil || len(ts) != 1 || len(ts[0].rows) != 3000 {
		t.Errorf("the good workbook: %v", err)
	}
}
