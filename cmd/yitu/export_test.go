package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

func TestExport3DTiles(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	twintest.SeedBuildings(t, pool, 50)
	dir := filepath.Join(t.TempDir(), "out")
	code, out := yitu(t, []string{"YITU_TWIN_HEIGHT_OFFSET=9.2"}, "export", "3dtiles", "buildings", dir, "--database-url", url)
	if code != 0 || !strings.Contains(out, "buildings: ") || !strings.Contains(out, "50 features") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "height_offset is not configured") {
		t.Error("warned about the height offset although it is configured")
	}
	if _, err := os.Stat(filepath.Join(dir, "tileset.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "0", "0", "0.glb")); err != nil {
		t.Fatal(err)
	}

	// Without the offset: a warning, never a silent zero.
	code, out = yitu(t, nil, "export", "3dtiles", "pipelines", filepath.Join(t.TempDir(), "p"), "--database-url", url)
	if code != 0 || !strings.Contains(out, "twin.height_offset is not configured") {
		t.Errorf("export without height offset: exit %d\n%s", code, out)
	}
	// Usage and unknown tilesets.
	if code, out := yitu(t, nil, "export", "3dtiles", "buildings", "--database-url", url); code != 2 {
		t.Errorf("missing folder: exit %d\n%s", code, out)
	}
	if code, out := yitu(t, nil, "export", "3dtiles", "cim-nope", dir, "--database-url", url); code != 1 || !strings.Contains(lastLine(out), `no CIM dataset "nope"`) {
		t.Errorf("unknown tileset: exit %d\n%s", code, out)
	}
}

// yitu import recognises CityGML and CityJSON by content; --srs takes EPSG codes that only PostGIS
// knows; the CIM dataset is then served and exported as cim-<dataset>.
func TestImportCIM(t *testing.T) {
	_, url := pgtest.NewWithURL(t)
	gml := shareddata.Path(t, "citygml/Block020023.gml")
	if code, out := yitu(t, nil, "import", gml, "--database-url", url); code != 0 || !strings.Contains(out, "citygml") {
		t.Fatalf("import CityGML: exit %d\n%s", code, out)
	}
	rot := shareddata.Path(t, "cityjson/rotterdam/rotterdam_subset.json")
	if code, out := yitu(t, nil, "import", rot, "--database-url", url); code != 1 || !strings.Contains(out, "--srs") {
		t.Errorf("CityJSON without a CRS: exit %d\n%s", code, out)
	}
	if code, out := yitu(t, nil, "import", rot, "--srs", "EPSG:7415", "--database-url", url); code != 0 || !strings.Contains(out, "73 of 74 textures are missing") {
		t.Errorf("CityJSON with --srs: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	if code, out := yitu(t, []string{"YITU_TWIN_HEIGHT_OFFSET=0"}, "export", "3dtiles", "cim-Block020023", dir, "--database-url", url); code != 0 || !strings.Contains(out, "4 features") {
		t.Errorf("export cim-Block020023: exit %d\n%s", code, out)
	}
}
