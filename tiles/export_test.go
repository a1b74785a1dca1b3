package tiles_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	gopm "github.com/protomaps/go-pmtiles/pmtiles"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/pmtiles/pmtilestest"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// TestExportPMTiles exports the imported fixture from PostGIS and reads the archive back with
// go-pmtiles: every tile of the extent is the served tile byte for byte (an empty one is absent), and
// the header and metadata describe the extent.
func TestExportPMTiles(t *testing.T) {
	svc, _, _ := setup(t, tiles.Config{})
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "laizhou.pmtiles")
	ext := tiles.Extent{Grid: tiles.WebMercatorQuad, Layers: []string{"basemap.building", "pipeline.segment"},
		BBox: tilestest.BBox(), MinZoom: 10, MaxZoom: 18}
	st, err := svc.ExportPMTiles(ctx, ext, spatial.Anonymous, out, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiles != ext.Count() || st.Unique == 0 || st.Tiles-st.Empty == 0 {
		t.Fatalf("stats %+v for %d tiles", st, ext.Count())
	}
	a := pmtilestest.Read(t, out)
	h := a.Header
	b := ext.BBox
	e7 := func(deg float64) int32 { return int32(deg * 1e7) }
	if h.TileType != gopm.Mvt || h.TileCompression != gopm.Gzip || h.InternalCompression != gopm.Gzip || !h.Clustered ||
		h.MinZoom != 10 || h.MaxZoom != 18 || h.CenterZoom != 14 ||
		h.MinLonE7 != e7(b[0]) || h.MinLatE7 != e7(b[1]) || h.MaxLonE7 != e7(b[2]) || h.MaxLatE7 != e7(b[3]) ||
		h.CenterLonE7 != e7((b[0]+b[2])/2) || h.CenterLatE7 != e7((b[1]+b[3])/2) {
		t.Errorf("header %+v for bbox %v", h, b)
	}
	if h.AddressedTilesCount != uint64(st.Tiles-st.Empty) || h.TileContentsCount != uint64(st.Unique) || h.TileDataLength != uint64(st.Bytes) {
		t.Errorf("header %+v, stats %+v", h, st)
	}
	if a.Metadata["format"] != "pbf" || a.Metadata["generator"] != "yitu export pmtiles" {
		t.Errorf("metadata %v", a.Metadata)
	}
	var layers []string
	vl, _ := a.Metadata["vector_layers"].([]any)
	for _, l := range vl {
		if m, ok := l.(map[string]any); ok {
			layers = append(layers, fmt.Sprint(m["id"]))
		}
	}
	if !slices.Equal(layers, ext.Layers) {
		t.Errorf("metadata vector_layers %v, want %v", layers, ext.Layers)
	}
	n := 0
	for tl := range ext.Tiles() {
		want, err := svc.Tile(ctx, tiles.Request{Layers: ext.Layers, Tile: tl, Principal: spatial.Anonymous})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := a.Tiles[gopm.ZxyToID(uint8(tl.Z), uint32(tl.X), uint32(tl.Y))]
		switch {
		case want.Empty() && ok:
			t.Errorf("empty tile %v is in the archive", tl)
		case !want.Empty() && !bytes.Equal(got, want.Gzip):
			t.Errorf("tile %v: the archived tile (%d bytes) differs from the served one (%d bytes)", tl, len(got), len(want.Gzip))
		case ok:
			n++
		}
	}
	if n == 0 || n != len(a.Tiles) {
		t.Errorf("%d archived tiles in the extent, %d in the archive", n, len(a.Tiles))
	}
	tl := tileAt(tiles.WebMercatorQuad, 16)
	gz := a.Tile(t, uint8(tl.Z), uint32(tl.X), uint32(tl.Y))
	if l := tilestest.Decode(t, gz)["basemap.building"]; l == nil || len(l.Features) != 15 {
		t.Errorf("archived tile %v holds %v", tl, l)
	}
	if gz := a.Tile(t, 16, 0, 0); gz != nil {
		t.Error("a tile outside the extent is in the archive")
	}
}

func TestSeedFillsDiskCache(t *testing.T) {
	dir := t.TempDir()
	svc, _, _ := setup(t, tiles.Config{CacheDir: dir})
	ctx := context.Background()
	ext := tiles.Extent{Grid: tiles.CGCS2000Quad, Layers: []string{"basemap.road"}, BBox: tilestest.BBox(), MinZoom: 12, MaxZoom: 16}
	n := 0
	if err := svc.Seed(ctx, ext, spatial.Anonymous, 2, func() { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != ext.Count() {
		t.Errorf("progress called %d times for %d tiles", n, ext.Count())
	}
	tl := tileAt(tiles.CGCS2000Quad, 16)
	files, _ := filepath.Glob(filepath.Join(dir, "CGCS2000Quad", "basemap.road", "-", "16", "*", "*.mvt.gz"))
	if len(files) == 0 {
		t.Fatalf("no z16 tiles on disk for %v", tl)
	}
	// A second service over the same directory serves the seeded tile without a query.
	svc2, _, _ := setup(t, tiles.Config{CacheDir: dir})
	if _, err := svc2.Tile(ctx, tiles.Request{Grid: tiles.CGCS2000Quad, Layers: ext.Layers, Tile: tl, Principal: spatial.Anonymous}); err != nil {
		t.Fatal(err)
	}
	if st := svc2.Stats(); st.Hits != 1 || st.Misses != 0 {
		t.Errorf("stats %+v: the seeded tile was not read from disk", st)
	}
	// Purging the bbox removes the seeded files.
	svc2.Purge([]string{"basemap.road"}, &[4]float64{ext.BBox[0], ext.BBox[1], ext.BBox[2], ext.BBox[3]})
	if files, _ := filepath.Glob(filepath.Join(dir, "CGCS2000Quad", "basemap.road", "-", "*", "*", "*.etag")); len(files) != 0 {
		t.Errorf("%d seeded tiles left after the purge", len(files))
	}
}
