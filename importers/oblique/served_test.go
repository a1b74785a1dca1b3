package oblique_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

type servedTile struct {
	BoundingVolume map[string][]float64 `json:"boundingVolume"`
	GeometricError float64              `json:"geometricError"`
	Transform      []float64            `json:"transform"`
	Content        *struct {
		URI string `json:"uri"`
	} `json:"content"`
	Children []servedTile `json:"children"`
}

// TestServedOblique imports the demo city's oblique set through `yitu import` and reads it back as a
// viewer does: tileset.json of model-<name>, then every tile's glb, each valid and naming its
// twin.model_node row as its feature (what a pick in CesiumJS returns).
func TestServedOblique(t *testing.T) {
	dir := t.TempDir()
	x0, y0 := 40493000.0, 4115000.0
	if err := demo.WriteObliqueSet(dir, "EPSG:4528", [3]float64{x0, y0, 0}, boxTiles(x0, y0, 2, 2, 4)); err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	offset := 9.0
	res, err := importers.Run(ctx, loader.New(pool, nil), importers.Formats(), importers.Request{Path: dir, Dataset: "served", HeightOffset: &offset}, nil)
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	svc, err := twin.New(pool, twin.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := svc.Tileset(ctx, "model-served")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Root servedTile `json:"root"`
	}
	if err := json.Unmarshal(ts.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Root.Transform) != 16 || len(doc.Root.Children) != 4 {
		t.Fatalf("root: %s", ts.Data)
	}
	glbs := map[string][]byte{}
	var walk func(tl servedTile, parentErr float64, depth int)
	walk = func(tl servedTile, parentErr float64, depth int) {
		if tl.GeometricError > parentErr {
			t.Errorf("geometric error %v grows below %v", tl.GeometricError, parentErr)
		}
		if tl.Content != nil {
			c, err := svc.Tile(ctx, "model-served", tl.Content.URI)
			if err != nil {
				t.Fatalf("%s: %v", tl.Content.URI, err)
			}
			glbs[tl.Content.URI] = c.Data
			feats, err := twintest.Features(c.Data)
			if err != nil || len(feats) != 1 {
				t.Fatalf("%s: features %v %v", tl.Content.URI, feats, err)
			}
			var nodeID int64
			fmt.Sscanf(tl.Content.URI, "n/%d.glb", &nodeID)
			if f := feats[0]; f.Props["id"] != strconv.FormatInt(nodeID, 10) || f.Props["layer"] != "twin.model_node" {
				t.Errorf("%s: picked feature %+v", tl.Content.URI, f.Props)
			}
		}
		for _, c := range tl.Children {
			walk(c, tl.GeometricError, depth+1)
		}
	}
	walk(doc.Root, doc.Root.GeometricError, 0)
	if len(glbs) != 8 { // four tiles, two levels each
		t.Errorf("%d glb contents", len(glbs))
	}
	glbtest.CheckBytes(t, glbs)
}
