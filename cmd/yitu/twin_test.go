package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// TestTwinSplit: yitu twin split divides the synthetic scene's model and says what it did; yitu twin
// building writes one building as a valid glb; usage errors exit 2 and unknown models 1.
func TestTwinSplit(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	_, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "cli", 8)
	code, out := yitu(t, nil, "twin", "split", "model-cli", "--database-url", url)
	if code != 0 || !strings.Contains(out, "model-cli: 1 contents split, 20 of 149 triangles in 2 of 2 buildings") {
		t.Fatalf("split: exit %d\n%s", code, out)
	}
	glbPath := filepath.Join(t.TempDir(), "b.glb")
	if code, out := yitu(t, nil, "twin", "building", "cli", fmt.Sprint(idB), glbPath, "--database-url", url); code != 0 {
		t.Fatalf("building: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(glbPath); err != nil {
		t.Fatal(err)
	}
	glbtest.Check(t, glbPath)
	// The same scene imported with --split is split at once.
	obj := twintest.WriteScene(t, t.TempDir(), 8)
	if code, out := yitu(t, nil, "import", obj, "--dataset", "at-import", "--split", "--database-url", url); code != 0 ||
		!strings.Contains(out, "单体化 model-at-import: 1 contents split, 20 of 149 triangles in 2 of 2 buildings") {
		t.Fatalf("import --split: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"twin"}, 2},
		{[]string{"twin", "split"}, 2},
		{[]string{"twin", "building", "cli", "x", glbPath}, 2},
		{[]string{"twin", "split", "--clearance", "-1", "cli"}, 1},
		{[]string{"twin", "split", "nothing"}, 1},
	} {
		if code, out := yitu(t, nil, append(tc.args, "--database-url", url)...); code != tc.code {
			t.Errorf("yitu %v: exit %d, want %d\n%s", tc.args, code, tc.code, out)
		}
	}
}

// TestSplitFollowsBaseMap: a split model is split again, with the options of its last split, after
// `yitu import` writes buildings over it (and says so), and after an edit of a building under it
// through a running server's features API.
func TestSplitFollowsBaseMap(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	idA, idB, _ := twintest.SceneFootprints(t, pool)
	twintest.ImportScene(t, pool, "follow", 4)
	if code, out := yitu(t, nil, "twin", "split", "follow", "--clearance", "1.5", "--database-url", url); code != 0 {
		t.Fatalf("split: exit %d\n%s", code, out)
	}
	splitAt := func() string {
		var at string
		if err := pool.QueryRow(ctx, `SELECT asset->'split'->>'at' || (asset->'split'->>'clearance') FROM twin.model WHERE name = 'follow'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	nameOf := func(id int64) string {
		b, err := twin.SplitBuilding(ctx, pool, "follow", id)
		if err != nil {
			return err.Error()
		}
		m, err := glb.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		return m.Nodes[0].Mesh.Primitives[0].Table.Value("name", 0)
	}

	// A building surveyed again over B, imported: the model is split at once.
	var footprint string
	if err := pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(geom) FROM basemap.building WHERE id = $1`, idB).Scan(&footprint); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "buildings.geojson")
	os.WriteFile(p, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"乙楼（复测）","floors":7},"geometry":`+footprint+`}]}`), 0o644)
	time.Sleep(1100 * time.Millisecond) // the split's time stamp is in seconds
	before := splitAt()
	code, out := yitu(t, nil, "import", p, "--database-url", url)
	if code != 0 || !strings.Contains(out, "单体化 model-follow split again over the new buildings") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if after := splitAt(); after == before || !strings.HasSuffix(after, "1.5") {
		t.Errorf("after the import the split record is %q (before %q), want a new one with clearance 1.5", after, before)
	}

	// An edit of A's name through the server: split again within a few seconds.
	_, out = yitu(t, nil, "token", "create", "--subject", "测绘", "--roles", "admin", "--database-url", url)
	var token string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "yitu_") {
			token = line
		}
	}
	base := serve(t, url)
	req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/collections/basemap.building/items/%d", base, idA), strings.NewReader(`{"properties":{"name":"甲楼（改名）"}}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for nameOf(idA) != "甲楼（改名）" {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the edit building A in the split model is %q", nameOf(idA))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
