package server

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runGDAL runs a GDAL command-line tool and returns its standard output and error.
func runGDAL(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (scripts/setup installs gdal-bin): %v", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "CPL_DEBUG=ON", "GDAL_HTTP_TIMEOUT=60", "CPL_CURL_VERBOSE=NO")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// TestGDALClient: GDAL's OAPIF driver, a real OGC API – Features client, lists every collection,
// reads every feature, and copies a collection with a CQL2 filter that it hands to the server.
func TestGDALClient(t *testing.T) {
	c := newCity(t)
	src := "OAPIF:" + c.base

	out, _ := runGDAL(t, "ogrinfo", "-ro", "-so", "-q", src)
	for _, id := range []string{"basemap.building", "basemap.road", "basemap.annotation", "basemap.event", "pipeline.point", "basemap.water"} {
		if !regexp.MustCompile(`(?m)^\d+: ` + regexp.QuoteMeta(id) + `\b`).MatchString(out) {
			t.Errorf("ogrinfo does not list %s:\n%s", id, out)
		}
	}

	out, _ = runGDAL(t, "ogrinfo", "-ro", "-al", "-q", src, "basemap.building")
	if n := strings.Count(out, "OGRFeature(basemap.building)"); n != c.buildings {
		t.Errorf("ogrinfo read %d buildings, the database has %d", n, c.buildings)
	}
	if !strings.Contains(out, "文化小区1号楼") || !strings.Contains(out, "MULTIPOLYGON") {
		t.Errorf("ogrinfo output lacks names or geometries:\n%.2000s", out)
	}

	dst := filepath.Join(t.TempDir(), "copy.geojson")
	_, debug := runGDAL(t, "ogr2ogr", "-f", "GeoJSON", dst, src, "basemap.building", "-where", "floors >= 5 AND structure = '砼'")
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	want := c.count(t, `SELECT count(*) FROM basemap.building WHERE floors >= 5 AND structure = '砼'`)
	if len(fc.Features) != want || want == 0 {
		t.Errorf("ogr2ogr copied %d features, the database selects %d", len(fc.Features), want)
	}
	if !strings.Contains(debug, "filter=") {
		t.Errorf("GDAL filtered on the client instead of sending a CQL2 filter:\n%.3000s", debug)
	}
}
