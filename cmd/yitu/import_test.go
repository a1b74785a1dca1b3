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
