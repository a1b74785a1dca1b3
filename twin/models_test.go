package twin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/oblique"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
)

func importModel(t *testing.T, pool *pgxpool.Pool, dataset, format, path string, run func(context.Context, *loader.Batch) error) {
	t.Helper()
	ctx := context.Background()
	b, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: dataset, Kind: "oblique", Format: format, Source: path, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	if err := run(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

type anyTile struct {
	BoundingVolume map[string][]float64  `json:"boundingVolume"`
	GeometricError float64               `json:"geometricError"`
	Transform      []float64             `json:"transform"`
	Content        *struct{ URI string } `json:"content"`
	Children       []*anyTile            `json:"children"`
}

// serveModel reads model-<name>: tileset.json, every content (glb validated), and returns the
// content types served and the root.
func serveModel(t *testing.T, name string, get func(string) (string, []byte)) (map[string]int, *anyTile) {
	t.Helper()
	typ, body := get("tileset.json")
	var doc struct {
		Asset struct{ Version string }
		Root  *anyTile
	}
	if err := json.Unmarshal(body, &doc); err != nil || typ != "application/json" {
		t.Fatalf("tileset.json: %v %s", err, typ)
	}
	types := map[string]int{}
	glbs := map[string][]byte{}
	var walk func(tl *anyTile, parentError float64)
	walk = func(tl *anyTile, parentError float64) {
		if len(tl.BoundingVolume) != 1 {
			t.Errorf("bounding volume %v", tl.BoundingVolume)
		}
		if tl.GeometricError > parentError {
			t.Errorf("geometric error %v above its parent's %v", tl.GeometricError, parentError)
		}
		if tl.Content != nil {
			typ, b := get(tl.Content.URI)
			ext := tl.Content.URI[strings.LastIndexByte(tl.Content.URI, '.')+1:]
			types[ext]++
			if ext == "glb" {
				if typ != "model/gltf-binary" {
					t.Errorf("%s served as %s", tl.Content.URI, typ)
				}
				glbs[tl.Content.URI] = b
			}
			if len(b) == 0 {
				t.Errorf("%s is empty", tl.Content.URI)
			}
		}
		for _, c := range tl.Children {
			walk(c, tl.GeometricError)
		}
	}
	walk(doc.Root, doc.Root.GeometricError)
	glbtest.CheckBytes(t, glbs)
	return types, doc.Root
}

// Stored models (an OBJ converted by the oblique importer, imported 3D Tiles 1.0 and 1.1) are served
// as model-<name> with their LOD tree, georeference on the root and content as stored; a re-import
// replaces what is served.
func TestModelTilesets(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	obj := shareddata.Path(t, "obj/box-textured.obj")
	importModel(t, pool, "box", "obj", obj, func(ctx context.Context, b *loader.Batch) error {
		return oblique.ImportOBJ(ctx, b, obj, oblique.Options{SRS: "EPSG:4528", Origin: [3]float64{40500000, 4115000, 20}, HeightOffset: 9})
	})
	t10 := shareddata.Path(t, "3dtiles/1.0/TilesetWithRequestVolume")
	importModel(t, pool, "request-volume", "3dtiles", t10, func(ctx context.Context, b *loader.Batch) error { return oblique.ImportTileset(ctx, b, t10) })
	t11 := shareddata.Path(t, "3dtiles/1.1/MetadataGranularities")
	importModel(t, pool, "granularities", "3dtiles", t11, func(ctx context.Context, b *loader.Batch) error { return oblique.ImportTileset(ctx, b, t11) })

	s := newService(t, pool, nil)
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range list {
		names = append(names, in.Name)
	}
	for _, want := range []string{"model-box", "model-request-volume", "model-granularities"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("tilesets %v lack %s", names, want)
		}
	}
	get := func(set string) func(string) (string, []byte) {
		return func(p string) (string, []byte) {
			if p == "tileset.json" {
				c, err := s.Tileset(ctx, set)
				if err != nil {
					t.Fatal(err)
				}
				return c.Type, c.Data
			}
			c, err := s.Tile(ctx, set, p)
			if err != nil {
				t.Fatalf("%s %s: %v", set, p, err)
			}
			return c.Type, c.Data
		}
	}
	types, root := serveModel(t, "box", get("model-box"))
	if types["glb"] != 1 || len(root.Transform) != 16 || root.Transform[15] != 1 {
		t.Errorf("model-box: contents %v, root transform %v", types, root.Transform)
	}
	if types, _ := serveModel(t, "request-volume", get("model-request-volume")); types["b3dm"] != 5 || types["pnts"] != 1 {
		t.Errorf("model-request-volume contents %v", types)
	}
	if types, _ := serveModel(t, "granularities", get("model-granularities")); types["glb"] != 20 {
		t.Errorf("model-granularities contents %v", types)
	}

	// A re-import under the same name: the tileset served changes with it.
	before, _ := s.Tileset(ctx, "model-box")
	importModel(t, pool, "box", "obj", obj, func(ctx context.Context, b *loader.Batch) error {
		return oblique.ImportOBJ(ctx, b, obj, oblique.Options{SRS: "EPSG:4528", Origin: [3]float64{40500100, 4115000, 20}, HeightOffset: 9})
	})
	after, err := s.Tileset(ctx, "model-box")
	if err != nil {
		t.Fatal(err)
	}
	if string(after.Data) == string(before.Data) {
		t.Error("model-box still serves the replaced model")
	}
	serveModel(t, "box", get("model-box"))
}
