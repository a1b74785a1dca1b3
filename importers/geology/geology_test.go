package geology_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/geology"
	"github.com/yitu-gis/yitu/importers/geology/geotest"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func run(t *testing.T, pool *pgxpool.Pool, req importers.Request) (*loader.Report, error) {
	t.Helper()
	req.HomeLon = 119.94
	if req.As == "" {
		req.As = "boreholes"
	}
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), req, nil)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0].Report, res[0].Err
}

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPlanarModel: 25 holes over planar stratum boundaries; every surface of the model, at every
// grid node in the model, lies within 1 cm of its plane (detrended IDW reproduces planes).
func TestPlanarModel(t *testing.T) {
	pool := pgtest.New(t)
	site := geotest.Laizhou(5, 50)
	p := write(t, "holes.csv", site.CSV())
	rep, err := run(t, pool, importers.Request{Path: p, SRS: "EPSG:4549"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["borehole"] != 25 || rep.Counts["stratum"] != 4 || rep.Counts["surface"] != 4 {
		t.Errorf("counts %v", rep.Counts)
	}
	if !strings.Contains(strings.Join(rep.Layers, ","), "geology.borehole") {
		t.Errorf("catalog layers written: %v", rep.Layers)
	}
	planes := []geotest.Plane{site.Ground, site.Strata[0].Bottom, site.Strata[1].Bottom, site.Strata[2].Bottom,
		{A: site.Ground.A - site.Depth, B: site.Ground.B, C: site.Ground.C}} // the holes end 30 m down in ④
	checkSurfaces(t, pool, site, planes, "planar model")
	// Re-import replaces.
	if _, err := run(t, pool, importers.Request{Path: p, SRS: "EPSG:4549"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM geology.borehole`); n != 25 {
		t.Errorf("%d boreholes after a re-import, want 25", n)
	}
}

// checkSurfaces checks that the model's ground and first len(planes)-1 stratum bottoms lie within
// 1 cm of the planes at every grid node inside the model (detrended IDW reproduces planes), and the
// strata's order.
func checkSurfaces(t *testing.T, pool *pgxpool.Pool, site *geotest.Site, planes []geotest.Plane, what string) {
	t.Helper()
	ctx := context.Background()
	var lon, lat, e0, n0, cell float64
	var nx, ny int
	var inside []bool
	var ground []float32
	if err := pool.QueryRow(ctx, `SELECT origin_lon, origin_lat, e0, n0, cell, nx, ny, inside, ground FROM geology.model`).Scan(&lon, &lat, &e0, &n0, &cell, &nx, &ny, &inside, &ground); err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	rows, _ := pool.Query(ctx, `SELECT code FROM geology.stratum ORDER BY seq`)
	for rows.Next() {
		var c string
		rows.Scan(&c)
		codes = append(codes, c)
	}
	if strings.Join(codes, " ") != "① ② ③ ④" {
		t.Errorf("strata order %v", codes)
	}
	surfaces := [][]float32{ground}
	rows, _ = pool.Query(ctx, `SELECT bottom FROM geology.surface ORDER BY seq`)
	for rows.Next() {
		var b []float32
		rows.Scan(&b)
		surfaces = append(surfaces, b)
	}
	mf, sf := geodesy.NewFrame(lon, lat, 0), site.Frame()
	worst := 0.0
	checked := 0
	for j := 0; j < ny-1; j++ {
		for i := 0; i < nx-1; i++ {
			if !inside[j*(nx-1)+i] {
				continue
			}
			k := j*nx + i
			lo, la, _ := mf.Geodetic([3]float64{e0 + float64(i)*cell, n0 + float64(j)*cell, 0})
			e, n, _ := sf.ENU(lo, la, 0)
			for s, pl := range planes {
				worst = max(worst, math.Abs(float64(surfaces[s][k])-pl.At(e, n)))
			}
			checked++
		}
	}
	t.Logf("%s: %d nodes × %d surfaces, worst deviation %.4f m (grid %d × %d, cell %.1f m)", what, checked, len(planes), worst, nx, ny, cell)
	if checked < 100 || worst > 0.01 {
		t.Errorf("%s: worst deviation %.4f m over %d nodes, want ≤ 0.01 m", what, worst, checked)
	}
}

// refusedWith checks that an import was refused with a rejection containing want.
func refusedWith(t *testing.T, rep *loader.Report, err error, want string) {
	t.Helper()
	var refused *loader.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("not refused: %v", err)
	}
	var all []string
	for _, r := range rep.Rejected {
		all = append(all, r.String())
	}
	if !strings.Contains(strings.Join(all, "\n"), want) {
		t.Errorf("rejections %q, want one with %q", all, want)
	}
}

// TestBadTables: each bad table is refused naming the line, and nothing is written.
func TestBadTables(t *testing.T) {
	pool := pgtest.New(t)
	head := "钻孔编号,X,Y,孔口高程,孔深,层顶深度,层底深度,地层编号,地层名称\n"
	hole := func(no string) string { return no + ",4115000,495000,10,20," }
	hole2 := func(no string) string { return no + ",4115050,495030,11,20," }
	legend := write(t, "legend.yaml", "strata:\n  - {code: \"①\", name: 素填土}\n  - {code: \"②\", name: 粉质黏土}\n")
	for _, tc := range []struct {
		name, csv, mapping, want string
	}{
		{"gap", head + hole("ZK1") + "0,2,①,素填土\n" + hole("ZK1") + "2.5,20,②,粉质黏土\n", "", "line 3 (ZK1): hole ZK1: gap of 0.50 m"},
		{"overlap", head + hole("ZK1") + "0,3,①,素填土\n" + hole("ZK1") + "2,20,②,粉质黏土\n", "", "line 3 (ZK1): hole ZK1: this layer ② (top 2.00 m) overlaps"},
		{"not increasing", head + hole("ZK1") + "0,2,①,素填土\n" + hole("ZK1") + "2,1.5,②,粉质黏土\n", "", "line 3 (ZK1): hole ZK1: depths not increasing"},
		{"below the hole", head + hole("ZK1") + "0,2,①,素填土\n" + hole("ZK1") + "2,25,②,粉质黏土\n", "", "line 3 (ZK1): hole ZK1: 层底深度 25.00 m is below the hole's depth"},
		{"unknown code", head + hole("ZK1") + "0,2,①,素填土\n" + hole("ZK1") + "2,20,⑦,粉砂\n", legend, `line 3 (ZK1): hole ZK1: 地层编号 "⑦" is not in the legend (①, ②)`},
		{"bad coordinate", head + hole("ZK1") + "0,20,①,素填土\nZK2,41l5000,495000,10,20,0,20,①,素填土\n", "", `line 3 (ZK2): hole ZK2: coordinate "41l5000" is not a number`},
		{"inconsistent hole", head + hole("ZK1") + "0,2,①,素填土\nZK1,4115000,495000,12,20,2,20,②,粉质黏土\n", "", "line 3 (ZK1): hole ZK1: 孔口高程 12.000 (given as 10.000) differs from"},
		{"no code", head + hole("ZK1") + "0,2,①,素填土\n" + hole2("ZK2") + "0,20,,\n", "", "line 3 (ZK2): hole ZK2: 地层编号 (stratum code) is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, "bad.csv", tc.csv)
			rep, err := run(t, pool, importers.Request{Path: p, SRS: "EPSG:4549", Map: tc.mapping})
			refusedWith(t, rep, err, tc.want)
			if n := count(t, pool, `SELECT count(*) FROM geology.borehole`) + count(t, pool, `SELECT count(*) FROM catalog.dataset WHERE kind = 'boreholes'`); n != 0 {
				t.Errorf("%d rows written by a refused import", n)
			}
		})
	}
}

// TestTwoFilesGBK: a folder of a hole table and a layer table (GBK, 层底深度 only) is one dataset;
// a stratum missing from a hole pinches out there.
func TestTwoFilesGBK(t *testing.T) {
	pool := pgtest.New(t)
	dir := t.TempDir()
	gbk := func(name, s string) {
		b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	gbk("钻孔表.csv", "孔号,X坐标,Y坐标,孔口标高,孔深\nZK1,4115000,495000,10,15\nZK2,4115000,495060,10.5,15\nZK3,4115060,495030,9.8,15\n")
	gbk("分层表.csv", "孔号,层底深度,地层编号,地层名称,岩性描述\nZK1,1.5,①,素填土,杂色\nZK1,6,②,粉质黏土,可塑\nZK1,15,③,细砂,中密\n"+
		"ZK2,2,①,素填土,\nZK2,15,③,细砂,\nZK3,1,①,素填土,\nZK3,5,②,粉质黏土,\nZK3,15,③,细砂,\n")
	rep, err := run(t, pool, importers.Request{Path: dir, SRS: "EPSG:4549"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["borehole"] != 3 || rep.Counts["layer"] != 8 || rep.Format != "boreholes" {
		t.Errorf("report %+v", rep)
	}
	var top, bottom float64
	if err := pool.QueryRow(context.Background(), `SELECT top_depth, bottom_depth FROM geology.layer WHERE hole_no = 'ZK2' AND code = '③'`).Scan(&top, &bottom); err != nil || top != 2 || bottom != 15 {
		t.Errorf("ZK2 ③ from %v to %v (%v), want 2 to 15", top, bottom, err)
	}
}

// TestXLSXTwoSheets: a workbook with a 钻孔 sheet and a 分层 sheet.
func TestXLSXTwoSheets(t *testing.T) {
	pool := pgtest.New(t)
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "钻孔")
	f.NewSheet("分层")
	for i, r := range [][]any{{"钻孔编号", "X", "Y", "孔口高程", "孔深"}, {"ZK1", 4115000.0, 495000.0, 10.0, 12.0}, {"ZK2", 4115040.0, 495020.0, 10.4, 12.0}} {
		f.SetSheetRow("钻孔", "A"+itoa(i+1), &r)
	}
	for i, r := range [][]any{{"钻孔编号", "层顶深度", "层底深度", "地层编号", "地层名称"}, {"ZK1", 0.0, 3.0, "①", "素填土"}, {"ZK1", 3.0, 12.0, "②", "粉土"}, {"ZK2", 0.0, 2.5, "①", "素填土"}, {"ZK2", 2.5, 12.0, "②", "粉土"}} {
		f.SetSheetRow("分层", "A"+itoa(i+1), &r)
	}
	p := filepath.Join(t.TempDir(), "holes.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, pool, importers.Request{Path: p, SRS: "EPSG:4549"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["borehole"] != 2 || rep.Counts["layer"] != 4 {
		t.Errorf("counts %v", rep.Counts)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSharedFiles: the real borehole files of ../shared/data/geology import with a mapping, or are
// refused naming why.
func TestSharedFiles(t *testing.T) {
	pool := pgtest.New(t)
	dir := shareddata.Path(t, "geology")
	// Formation tops in a zone-prefixed UTM grid (X is the easting there).
	rep, err := run(t, pool, importers.Request{Path: filepath.Join(dir, "no_tops.csv"), SRS: "EPSG:4647", Map: "east=X,north=Y"})
	if err != nil {
		t.Fatalf("no_tops.csv: %v", err)
	}
	if rep.Counts["borehole"] != 2 || rep.Counts["layer"] != 6 {
		t.Errorf("no_tops.csv: counts %v", rep.Counts)
	}
	var lon, lat float64
	pool.QueryRow(context.Background(), `SELECT ST_X(geom), ST_Y(geom) FROM geology.borehole WHERE hole_no = 'Lengerich24'`).Scan(&lon, &lat)
	if math.Abs(lon-7.93) > 0.05 || math.Abs(lat-52.18) > 0.05 { // Lengerich, Westphalia
		t.Errorf("Lengerich24 at %.4f, %.4f", lon, lat)
	}
	// Without the mapping, X (the easting) cannot be a northing: refused, saying what to give.
	_, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "no_tops.csv"), Dataset: "nt2"})
	if err == nil || !strings.Contains(err.Error(), "--map east=X,north=Y") {
		t.Errorf("no_tops.csv without --map: %v", err)
	}
	// The workbook's location is not given: refused, naming the range.
	_, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "wells-database-small.xlsx")})
	if err == nil || !strings.Contains(err.Error(), "cannot be placed; give --srs") {
		t.Errorf("wells-database-small.xlsx: %v", err)
	}
	// With a CRS, its geology sheet logs separate intervals, not contiguous layers: refused, naming them.
	rep, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "wells-database-small.xlsx"), SRS: "EPSG:32633"})
	if err == nil || len(rep.Rejected) == 0 || !strings.Contains(rep.Rejected[0].String(), "[geology] record 4 (NC-02): hole NC-02: gap of 29.20 m") {
		t.Errorf("wells-database-small.xlsx with --srs: %v %v", err, rep)
	}
	// With gaps=unlogged the intervals between its logged ones are a stratum of their own: it imports,
	// each hole a contiguous column from its first logged top to its last bottom.
	rep, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "wells-database-small.xlsx"), SRS: "EPSG:32633", Dataset: "wells", Map: "gaps=unlogged"})
	if err != nil || rep.Counts["borehole"] == 0 || !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "taken as unlogged (--map gaps)") }) {
		t.Fatalf("wells-database-small.xlsx with gaps=unlogged: %v %+v", err, rep)
	}
	t.Logf("wells-database-small.xlsx with gaps=unlogged: %v", rep.Counts)
	// Its survey sheet drills every hole 40° off the vertical (INCL, from the vertical) toward 140°
	// (AZIM); NC-05 at 30°. NC-01's logged interval ends 51.08 m along the hole, 51.08·cos 40° below
	// its collar at 372 m, 51.08·sin 40° toward 140° of it.
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "10 inclined holes") }) {
		t.Errorf("the survey sheet is not used: %q", rep.Warnings)
	}
	var elev, de, dn float64
	if err := pool.QueryRow(context.Background(), `SELECT l.bottom_elev, ST_X(ST_Transform(ST_EndPoint(l.geom), 32633)) - b.y, ST_Y(ST_Transform(ST_EndPoint(l.geom), 32633)) - b.x
		FROM geology.layer l JOIN geology.borehole b USING (dataset_id, hole_no) WHERE hole_no = 'NC-01' AND abs(l.bottom_depth - 51.08) < 0.001`).Scan(&elev, &de, &dn); err != nil {
		t.Fatal(err)
	}
	s, c := math.Sincos(140 * math.Pi / 180)
	h := 51.08 * math.Sin(40*math.Pi/180)
	if math.Abs(elev-(372-51.08*math.Cos(40*math.Pi/180))) > 0.01 || math.Hypot(de-h*s, dn-h*c) > 0.05 {
		t.Errorf("NC-01 at 51.08 m: elevation %.3f, %.2f m east and %.2f m north of the collar; want %.3f, %.2f, %.2f",
			elev, de, dn, 372-51.08*math.Cos(40*math.Pi/180), h*s, h*c)
	}
	// Read as dips below the horizontal instead, the same interval lies 51.08·sin 40° below.
	if _, err := run(t, pool, importers.Request{Path: filepath.Join(dir, "wells-database-small.xlsx"), SRS: "EPSG:32633", Dataset: "wells", Map: "gaps=unlogged,dip=INCL"}); err != nil {
		t.Fatal(err)
	}
	pool.QueryRow(context.Background(), `SELECT bottom_elev FROM geology.layer WHERE hole_no = 'NC-01' AND abs(bottom_depth - 51.08) < 0.001`).Scan(&elev)
	if want := 372 - 51.08*math.Sin(40*math.Pi/180); math.Abs(elev-want) > 0.01 {
		t.Errorf("NC-01 with --map dip=INCL: %.3f m, want %.3f", elev, want)
	}
	if n := count(t, pool, `SELECT count(*) FROM geology.layer WHERE code = 'unlogged'`); n == 0 {
		t.Error("no unlogged layers stored")
	}
	if n := count(t, pool, `SELECT count(*) FROM (SELECT top_depth, lag(bottom_depth) OVER (PARTITION BY dataset_id, hole_no ORDER BY seq) AS above FROM geology.layer) l WHERE abs(top_depth - above) > 0.05`); n != 0 {
		t.Errorf("%d layers do not start at the bottom of the layer above", n)
	}
	// The Kern County picks: the interval below the last pick has no formation, and picks overlap.
	rep, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "kim_ready.csv"), SRS: "EPSG:32611", Map: "east=x,north=y"})
	if err == nil || len(rep.Rejected) == 0 || !strings.Contains(rep.Rejected[0].String(), "kim_ready.csv line 10 (KCL12): hole KCL12: 地层编号 (stratum code) is empty") {
		t.Errorf("kim_ready.csv: %v %v", err, rep)
	}
	// Read as formation tops (each pick ends at the next; the unnamed interval below the last pick
	// named), its 69 wells import.
	rep, err = run(t, pool, importers.Request{Path: filepath.Join(dir, "kim_ready.csv"), SRS: "EPSG:32611", Map: "east=x,north=y,tops=true,unnamed=undivided"})
	if err != nil || rep.Counts["borehole"] != 69 || rep.Counts["stratum"] != 15 {
		t.Errorf("kim_ready.csv as tops: %v %v", err, rep)
	}
	if n := count(t, pool, `SELECT count(*) FROM catalog.dataset WHERE kind = 'boreholes'`); n != 3 {
		t.Errorf("%d borehole datasets, want 3 (no_tops, wells, kim_ready)", n)
	}
}

func TestParseMapping(t *testing.T) {
	m, err := geology.ParseMapping("hole=Name, east=X,north=Y,base=, gaps=unlogged")
	if err != nil || m.Columns["hole"] != "Name" || m.Columns["base"] != "" || m.Gaps != "unlogged" || m.Columns["gaps"] != "" {
		t.Errorf("%+v %v", m, err)
	}
	if _, err := geology.ParseMapping("depht=Depth"); err == nil || !strings.Contains(err.Error(), `"depht" is not a borehole column`) {
		t.Errorf("unknown key: %v", err)
	}
}

// BenchmarkStratumModel100 is the stratum model's build for 100 boreholes (10 × 10 holes 40 m
// apart, four strata, a 100 × 100 grid).
func BenchmarkStratumModel100(b *testing.B) {
	site := geotest.Laizhou(10, 40)
	idx := map[string]int{}
	for i, s := range site.Strata {
		idx[s.Code] = i
	}
	var holes []geology.Hole
	for i := range site.Holes {
		h := geology.Hole{E: site.Holes[i][0], N: site.Holes[i][1]}
		for _, r := range site.Layers(i) {
			h.Collar = r.Collar
			h.Layers = append(h.Layers, geology.Layer{Stratum: idx[r.Code], Bottom: r.Collar - r.Base})
		}
		holes = append(holes, h)
	}
	b.ResetTimer()
	var m *geology.Model
	for range b.N {
		m = geology.Build(holes, 4, geology.Params{})
	}
	b.ReportMetric(float64(m.NX*m.NY), "nodes")
	b.ReportMetric(float64(len(holes)), "holes")
}

// TestInclinedHoles: holes drilled at 30° from the vertical, with a survey table, over the planar
// boundaries: each layer's bottom is stored where the hole crosses its plane (elevation and
// position), and the model's surfaces, interpolated from those crossings, reproduce the planes.
// Bad survey rows are refused, naming the row.
func TestInclinedHoles(t *testing.T) {
	pool := pgtest.New(t)
	site := geotest.Laizhou(5, 50)
	holes, survey := site.Inclined(30, 140)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "holes.csv"), []byte(holes), 0o644)
	os.WriteFile(filepath.Join(dir, "survey.csv"), []byte(survey), 0o644)
	rep, err := run(t, pool, importers.Request{Path: dir, SRS: "EPSG:4549"})
	if err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "25 inclined holes placed along their surveys") }) {
		t.Errorf("warnings %q", rep.Warnings)
	}
	checkSurfaces(t, pool, site, site.Planes()[:4], "inclined holes")

	// Every layer bottom: 30° off the vertical, so cos 30° of its depth below the collar and sin 30°
	// of it away toward 140°, on its stratum's plane there.
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT b.hole_no, l.code, l.bottom_depth, b.collar_elev - l.bottom_elev, ST_X(b.geom), ST_Y(b.geom),
		ST_X(ST_EndPoint(l.geom)), ST_Y(ST_EndPoint(l.geom)), ST_Z(ST_EndPoint(l.geom)) - l.bottom_elev, b.inclined, ST_NPoints(b.trace)
		FROM geology.layer l JOIN geology.borehole b USING (dataset_id, hole_no)`)
	if err != nil {
		t.Fatal(err)
	}
	fr := site.Frame()
	n, worstV, worstH, worstPlane := 0, 0.0, 0.0, 0.0
	for rows.Next() {
		var no, code string
		var md, vert, clon, clat, blon, blat, dz float64
		var inclined bool
		var npts int
		if err := rows.Scan(&no, &code, &md, &vert, &clon, &clat, &blon, &blat, &dz, &inclined, &npts); err != nil {
			t.Fatal(err)
		}
		ce, cn, _ := fr.ENU(clon, clat, 0)
		be, bn, _ := fr.ENU(blon, blat, 0)
		s, c := math.Sincos(140 * math.Pi / 180)
		worstV = max(worstV, math.Abs(vert-md*math.Cos(math.Pi/6)), math.Abs(dz))
		worstH = max(worstH, math.Hypot(be-ce-md/2*s, bn-cn-md/2*c))
		if i := slices.IndexFunc(site.Strata, func(st geotest.Stratum) bool { return st.Code == code }); i < 3 {
			worstPlane = max(worstPlane, math.Abs(site.Ground.At(ce, cn)-vert-site.Strata[i].Bottom.At(be, bn)))
		}
		if !inclined || npts < 7 {
			t.Errorf("hole %s: inclined %v, %d points on its path", no, inclined, npts)
		}
		n++
	}
	t.Logf("%d layers: bottoms within %.4f m of their vertical depth, %.4f m of their position, %.4f m of their plane", n, worstV, worstH, worstPlane)
	if n < 75 || worstV > 0.001 || worstH > 0.05 || worstPlane > 0.01 {
		t.Errorf("%d layers: vertical %.4f m, horizontal %.4f m, plane %.4f m off", n, worstV, worstH, worstPlane)
	}

	// One sheet of holes and layers with each straight hole's direction (倾角 a dip: 60° below the
	// horizontal is 30° off the vertical): the 10 m layer ends 10·sin 60° below the collar.
	p := write(t, "one.csv", "钻孔编号,X,Y,孔口高程,孔深,方位角,倾角,层顶深度,层底深度,地层编号\n"+
		"ZK1,4115000,495000,10,20,90,-60,0,10,①\nZK1,4115000,495000,10,20,90,-60,10,20,②\n")
	if rep, err := run(t, pool, importers.Request{Path: p, SRS: "EPSG:4549", Dataset: "one"}); err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	var elev float64
	pool.QueryRow(ctx, `SELECT l.bottom_elev FROM geology.layer l JOIN catalog.dataset d ON d.id = l.dataset_id WHERE d.name = 'one' AND l.seq = 1`).Scan(&elev)
	if want := 10 - 10*math.Sin(math.Pi/3); math.Abs(elev-want) > 0.001 {
		t.Errorf("one sheet with 方位角 and 倾角: the first layer ends at %.3f m, want %.3f", elev, want)
	}

	// Bad survey rows: the row named, nothing written.
	head := "钻孔编号,X,Y,孔口高程,孔深,层顶深度,层底深度,地层编号\nZK1,4115000,495000,10,20,0,20,①\n"
	for _, tc := range []struct{ name, survey, want string }{
		{"azimuth", "孔号,测点深度,方位角,顶角\nZK1,0,400,10\n", `survey.csv line 2 (ZK1): hole ZK1: survey station: 方位角 (azimuth) 400 is outside 0–360°`},
		{"rising", "孔号,测点深度,方位角,顶角\nZK1,0,40,10\nZK1,10,40,95\n", `survey.csv line 3 (ZK1): hole ZK1: survey station: 顶角 (inclination from the vertical) 95 is outside 0–90°`},
		{"dip", "孔号,测深,方位角,倾角\nZK1,0,40,-60\nZK1,10,40,x\n", `survey.csv line 3 (ZK1): hole ZK1: survey station: 倾角 (dip below the horizontal) "x" is not a number`},
		{"unknown hole", "孔号,测点深度,方位角,顶角\nZK9,0,40,10\n", `survey.csv line 2 (ZK9): survey station of hole ZK9, which the hole table lacks`},
		{"disagree", "孔号,测点深度,方位角,顶角\nZK1,5,40,10\nZK1,5,40,12\n", `survey.csv line 3 (ZK1): hole ZK1: two survey stations at 5.00 m disagree`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "holes.csv"), []byte(head), 0o644)
			os.WriteFile(filepath.Join(dir, "survey.csv"), []byte(tc.survey), 0o644)
			rep, err := run(t, pool, importers.Request{Path: dir, SRS: "EPSG:4549", Dataset: "bad"})
			refusedWith(t, rep, err, tc.want)
			if n := count(t, pool, `SELECT count(*) FROM catalog.dataset WHERE name = 'bad'`); n != 0 {
				t.Errorf("a refused import wrote its dataset")
			}
		})
	}
}
