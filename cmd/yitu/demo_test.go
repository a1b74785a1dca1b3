package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func TestDemoGenerateOnly(t *testing.T) {
	dir := t.TempDir()
	code, out := yitu(t, nil, "demo", "--generate-only", "--dir", dir, "--seed", "3")
	if code != 0 || !strings.Contains(out, "buildings") {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, f := range []string{"laizhou_500.dxf", "laizhou_pipe_points.csv", "laizhou_pipe_segments.csv", "laizhou_district.geojson"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestImportBadDXF: a truncated DXF, a binary DXF and a drawing without a coordinate system are refused
// (exit 1) with the reason, and no table changes.
func TestImportBadDXF(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	good, err := os.ReadFile("../../importers/dxf/testdata/cass_r2000.dxf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"truncated.dxf": good[:len(good)/2],
		"binary.dxf":    append([]byte("AutoCAD Binary DXF\r\n\x1a\x00"), 0, 0, 'S', 'E', 'C', 'T', 'I', 'O', 'N', 0),
		"nocrs.dxf":     good,
	}
	cases := []struct{ file, srs, want string }{
		{"truncated.dxf", "EPSG:4528", "truncated file"},
		{"binary.dxf", "EPSG:4528", "binary DXF is not supported"},
		{"nocrs.dxf", "", "likely EPSG:4528: import again with --srs EPSG:4528"},
	}
	rows := func() int {
		var n int
		err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM catalog.dataset) + (SELECT count(*) FROM basemap.building)
			+ (SELECT count(*) FROM basemap.road) + (SELECT count(*) FROM basemap.annotation) + (SELECT count(*) FROM basemap.other)`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.file)
		os.WriteFile(p, files[c.file], 0o644)
		args := []string{"import", p, "--database-url", url}
		if c.srs != "" {
			args = append(args, "--srs", c.srs)
		}
		before := rows()
		code, out := yitu(t, nil, args...)
		if code != 1 || !strings.Contains(out, c.want) || !strings.Contains(out, c.file) {
			t.Errorf("%s: exit %d, output %q; want exit 1 naming the file and saying %q", c.file, code, out, c.want)
		}
		if after := rows(); after != before {
			t.Errorf("%s: rows %d → %d", c.file, before, after)
		}
	}
	code, out := yitu(t, nil, "import", filepath.Join(dir, "nocrs.dxf"), "--srs", "EPSG:4528", "--database-url", url)
	if code != 0 || !strings.Contains(out, "building") {
		t.Errorf("the good drawing with --srs: exit %d: %s", code, out)
	}
}
