package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/spatial/pgtest"
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
