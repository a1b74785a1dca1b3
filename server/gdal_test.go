package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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

	// Every collection the catalog lets an anonymous caller read is listed and summarised (GDAL reads
	// a first page of each to learn its fields).
	out, _ := runGDAL(t, "ogrinfo", "-ro", "-so", "-al", src)
	var want []string
	rows, err := c.pool.Query(context.Background(), `SELECT id FROM catalog.layer WHERE kind = 'table' AND 'public' = ANY(read_roles) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	for _, id := range want {
		if !regexp.MustCompile(`(?m)^Layer name: ` + regexp.QuoteMeta(id) + `$`).MatchString(out) {
			t.Errorf("ogrinfo does not summarise %s", id)
		}
	}
	if got := strings.Count(out, "Layer name: "); got != len(want) || !strings.Contains(out, "Layer name: basemap.event") {
		t.Errorf("ogrinfo summarised %d collections, the catalog has %d readable ones:\n%.3000s", got, len(want), out)
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
	wantN := c.count(t, `SELECT count(*) FROM basemap.building WHERE floors >= 5 AND structure = '砼'`)
	if len(fc.Features) != wantN || wantN == 0 {
		t.Errorf("ogr2ogr copied %d features, the database selects %d", len(fc.Features), wantN)
	}
	if !strings.Contains(debug, "filter=") {
		t.Errorf("GDAL filtered on the client instead of sending a CQL2 filter:\n%.3000s", debug)
	}
}
