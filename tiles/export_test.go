package tiles_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/protomaps/go-pmtiles/pmtiles"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// ReadPMTiles returns one tile of an archive, read back with go-pmtiles' own decoders.
func readPMTile(t *testing.T, path string, tl tiles.Tile) (pmtiles.HeaderV3, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := pmtiles.DeserializeHeader(b[:pmtiles.HeaderV3LenBytes])
	if err != nil {
		t.Fatal(err)
	}
	id := pmtiles.ZxyToID(uint8(tl.Z), uint32(tl.X), uint32(tl.Y))
	dir := b[h.RootOffset : h.RootOffset+h.RootLength]
	for depth := 0; depth < 4; depth++ {
		entries := pmtiles.DeserializeEntries(bytes.NewBuffer(dir), h.InternalCompression)
		e, ok := pmtiles.FindTile(entries, id)
		if !ok {
			return h, nil
		}
		if e.RunLength > 0 {
			return h, b[h.TileDataOffset+e.Offset : h.TileDataOffset+e.Offset+uint64(e.Length)]
		}
		dir = b[h.LeafDirectoryOffset+e.Offset : h.LeafDirectoryOffset+e.Offset+uint64(e.Length)]
	}
	t.Fatal("directory too deep")
	return h, nil
}

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
	tl := tileAt(tiles.WebMercatorQuad, 16)
	h, gz := readPMTile(t, out, tl)
	if h.TileType != pmtiles.Mvt || h.TileCompression != pmtiles.Gzip || h.MinZoom != 10 || h.MaxZoom != 18 || !h.Clustered {
		t.Errorf("header %+v", h)
	}
	if gz == nil {
		t.Fatalf("tile %v not in the archive", tl)
	}
	want, _ := svc.Tile(ctx, tiles.Request{Layers: ext.Layers, Tile: tl, Principal: spatial.Anonymous})
	if !bytes.Equal(gz, want.Gzip) {
		t.Error("the archived tile differs from the served one")
	}
	if l := tilestest.Decode(t, gz)["basemap.building"]; l == nil || len(l.Features) != 15 {
		t.Errorf("archived tile holds %v", l)
	}
	if _, gz := readPMTile(t, out, tiles.Tile{Z: 16, X: 0, Y: 0}); gz != nil {
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
