package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers/geology/geotest"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestImportBoreholes: yitu import holes.csv --as boreholes imports (exit 0); a table with a gap is
// refused naming the line (exit 1); a mapping naming no borehole column is a usage error.
func TestImportBoreholes(t *testing.T) {
	_, url := pgtest.NewWithURL(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "holes.csv")
	os.WriteFile(good, []byte(geotest.Laizhou(3, 40).CSV()), 0o644)
	code, out := yitu(t, nil, "import", good, "--as", "boreholes", "--srs", "EPSG:4549", "--database-url", url)
	if code != 0 || !strings.Contains(out, "borehole                 9") || !strings.Contains(out, "stratum model: 4 strata") {
		t.Errorf("exit %d: %s", code, out)
	}
	bad := filepath.Join(dir, "gap.csv")
	os.WriteFile(bad, []byte("钻孔编号,X,Y,孔口高程,孔深,层顶深度,层底深度,地层编号\nZK1,4115000,495000,10,20,0,2,①\nZK1,4115000,495000,10,20,3,20,②\n"), 0o644)
	code, out = yitu(t, nil, "import", bad, "--as", "boreholes", "--srs", "EPSG:4549", "--database-url", url)
	if code != 1 || !strings.Contains(out, "gap.csv line 3 (ZK1): hole ZK1: gap of 1.00 m") {
		t.Errorf("gap: exit %d: %s", code, out)
	}
	code, out = yitu(t, nil, "import", good, "--as", "boreholes", "--srs", "EPSG:4549", "--map", "depht=Depth", "--database-url", url)
	if code == 0 || !strings.Contains(out, `"depht" is not a borehole column`) {
		t.Errorf("bad --map: exit %d: %s", code, out)
	}
}
