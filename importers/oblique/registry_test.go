package oblique_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestYituImport imports every 3D source of the shared data through the registry, as
// `yitu import <path>` does: the format is recognised from the content.
func TestYituImport(t *testing.T) {
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	// the shared tile alone, with no metadata.xml: --srs ENU and the default origin
	lone := filepath.Join(t.TempDir(), "test.osgb")
	b, err := os.ReadFile(shareddata.Path(t, "osgb/test.osgb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, b, 0o644); err != nil {
		t.Fatal(err)
	}
	offset := 9.0
	cases := []struct {
		req    importers.Request
		format string
		kind   string
		nodes  int
	}{
		{importers.Request{Path: lone, SRS: "ENU:37.18,119.94"}, "osgb", "oblique", 1},
		{importers.Request{Path: shareddata.Path(t, "obj/box-textured.obj"), SRS: "EPSG:4528", Origin: &[3]float64{40493000, 4115000, 12}, HeightOffset: &offset}, "obj", "oblique", 1},
		{importers.Request{Path: shareddata.Path(t, "3dtiles/1.0/TilesetWithRequestVolume")}, "3dtiles", "tileset", 9},
		{importers.Request{Path: shareddata.Path(t, "3dtiles/1.1/MetadataGranularities/tileset.json")}, "3dtiles", "tileset", 21},
		// implicit tiling, expanded: the 31 content tiles and their ancestors
		{importers.Request{Path: shareddata.Path(t, "3dtiles/1.1/SparseImplicitOctree")}, "3dtiles", "tileset", 58},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.req.Path), func(t *testing.T) {
			results, err := importers.Run(context.Background(), l, importers.Formats(), c.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 || results[0].Err != nil {
				t.Fatalf("%+v", results)
			}
			r := results[0].Report
			if r.Format != c.format || r.Kind != c.kind || r.Counts["model_node"] != c.nodes {
				t.Fatalf("report %+v", r)
			}
		})
	}
	// an unknown --srs is refused before anything is read
	_, err = importers.Run(context.Background(), l, importers.Formats(), importers.Request{Path: lone, SRS: "Lambert"}, nil)
	if err == nil || !strings.Contains(err.Error(), "srs") {
		t.Errorf("unknown --srs: %v", err)
	}
}
