package twin_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/yitu-gis/yitu/importers/cim"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// A CityGML import is served as cim-<dataset> (buildings with roof and wall surfaces, the relief as a
// city object) and replaces base-map footprints in the city-wide buildings tileset.
func TestCIMTilesets(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	for name, file := range map[string]string{"berlin": "citygml/Block020023.gml", "garage": "citygml/v2_Building_and_garage_LOD2-EPSG25832.gml"} {
		b, err := loader.New(pool, slog.New(slog.DiscardHandler)).Begin(ctx, loader.Options{Dataset: name, Kind: "cim", Format: "citygml", Source: shareddata.Path(t, file), Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := cim.ImportCityGML(ctx, b, shareddata.Path(t, file), cim.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := newService(t, pool, nil)
	_, feats := fetchAll(t, s, "cim-garage")
	classes := map[string]int{}
	for _, f := range feats {
		classes[f.Props["class"]]++
		if f.Props["layer"] == "cim.building" && (f.Props["gml_id"] == "" || f.Props["id"] == "" || f.Vertices == 0) {
			t.Errorf("building feature %v", f.Props)
		}
	}
	if classes["Building"] != 1 || classes["BuildingPart"] != 1 || classes["ReliefFeature"] != 1 {
		t.Errorf("cim-garage features by class: %v", classes)
	}
	_, feats = fetchAll(t, s, "buildings")
	if len(feats) != 4+2 {
		t.Errorf("buildings tileset has %d features, want the 6 CIM buildings and parts", len(feats))
	}
}

// Rotterdam (CityJSON LoD2 with one of its 74 textures present): the textured roof keeps its image
// in the glb, the rest is drawn in colour; every glb validates.
func TestCIMTexturedTileset(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	path := shareddata.Path(t, "cityjson/rotterdam/rotterdam_subset.json")
	b, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: "rotterdam", Kind: "cim", Format: "cityjson", Source: path, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cim.ImportCityJSON(ctx, b, path, cim.Options{SRS: "EPSG:7415"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s := newService(t, pool, nil)
	doc, feats := fetchAll(t, s, "cim-rotterdam")
	if len(feats) != 16 {
		t.Errorf("%d features, want 16 buildings", len(feats))
	}
	images := 0
	for _, u := range checkStructure(t, doc) {
		c, err := s.Tile(ctx, "cim-rotterdam", u)
		if err != nil {
			t.Fatal(err)
		}
		images += bytes.Count(c.Data, []byte(`"mimeType":"image/jpeg"`))
	}
	if images != 1 {
		t.Errorf("%d JPEG images in the tiles, want the one texture present", images)
	}
}
