package pmtiles_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	gopm "github.com/protomaps/go-pmtiles/pmtiles"

	"github.com/yitu-gis/yitu/tiles/pmtiles"
	"github.com/yitu-gis/yitu/tiles/pmtiles/pmtilestest"
)

func TestTileIDMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for z := range uint8(29) {
		n := uint32(1) << z
		for _, xy := range [][2]uint32{{0, 0}, {n - 1, 0}, {0, n - 1}, {n - 1, n - 1}, {r.Uint32N(n), r.Uint32N(n)}, {r.Uint32N(n), r.Uint32N(n)}} {
			if got, want := pmtiles.TileID(z, xy[0], xy[1]), gopm.ZxyToID(z, xy[0], xy[1]); got != want {
				t.Errorf("TileID(%d, %d, %d) = %d, go-pmtiles says %d", z, xy[0], xy[1], got, want)
			}
		}
	}
	// Every tile of zoom 4, in order, covers the ids from 85 on without a gap.
	seen := map[uint64]bool{}
	for x := range uint32(16) {
		for y := range uint32(16) {
			seen[pmtiles.TileID(4, x, y)] = true
		}
	}
	for id := uint64(85); id < 85+256; id++ {
		if !seen[id] {
			t.Fatalf("no zoom 4 tile has id %d", id)
		}
	}
}

type tileKey struct {
	z    uint8
	x, y uint32
}

// write adds tiles to an archive in the order given and reads it back with go-pmtiles.
func write(t *testing.T, h pmtiles.Header, order []tileKey, tiles map[tileKey][]byte) (pmtiles.Stats, *pmtilestest.Archive) {
	t.Helper()
	dir := t.TempDir()
	w, err := pmtiles.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, k := range order {
		if err := w.Add(k.z, k.x, k.y, tiles[k]); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "a.pmtiles")
	st, err := w.Finish(path, h, map[string]any{"name": "test", "vector_layers": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	return st, pmtilestest.Read(t, path)
}

func checkTiles(t *testing.T, a *pmtilestest.Archive, tiles map[tileKey][]byte) {
	t.Helper()
	if len(a.Tiles) != len(tiles) {
		t.Errorf("archive addresses %d tiles, %d were added", len(a.Tiles), len(tiles))
	}
	bad := 0
	for k, want := range tiles {
		if got := a.Tiles[gopm.ZxyToID(k.z, k.x, k.y)]; !bytes.Equal(got, want) {
			if bad++; bad < 5 {
				t.Errorf("tile %v: %d bytes read back, %d written", k, len(got), len(want))
			}
		}
	}
}

func TestSmallArchive(t *testing.T) {
	h := pmtiles.Header{TileType: pmtiles.Mvt, TileCompression: pmtiles.Gzip, MinZoom: 0, MaxZoom: 2,
		Bounds: [4]float64{119.8, 37.0, 120.2, 37.3}, Center: [2]float64{120.0, 37.15}, CenterZoom: 1}
	tiles := map[tileKey][]byte{
		{0, 0, 0}: []byte("world"), {1, 1, 0}: []byte("ne"), {1, 0, 1}: []byte("sw"),
		{2, 3, 1}: []byte("same"), {2, 3, 2}: []byte("same"), {2, 0, 0}: []byte("same"),
	}
	order := []tileKey{{2, 3, 2}, {0, 0, 0}, {2, 0, 0}, {1, 0, 1}, {2, 3, 1}, {1, 1, 0}}
	st, a := write(t, h, order, tiles)
	checkTiles(t, a, tiles)
	g := a.Header
	if g.SpecVersion != 3 || g.TileType != gopm.Mvt || g.TileCompression != gopm.Gzip || g.InternalCompression != gopm.Gzip || !g.Clustered ||
		g.MinZoom != 0 || g.MaxZoom != 2 || g.CenterZoom != 1 ||
		g.MinLonE7 != 1198000000 || g.MinLatE7 != 370000000 || g.MaxLonE7 != 1202000000 || g.MaxLatE7 != 373000000 ||
		g.CenterLonE7 != 1200000000 || g.CenterLatE7 != 371500000 {
		t.Errorf("header %+v", g)
	}
	if st.Addressed != 6 || st.Contents != 4 || g.TileContentsCount != 4 || g.AddressedTilesCount != 6 || st.Leaves != 0 || g.LeafDirectoryLength != 0 {
		t.Errorf("stats %+v, header %+v", st, g)
	}
	if g.TileDataLength != uint64(len("world")+len("ne")+len("sw")+len("same")) {
		t.Errorf("tile data %d bytes: duplicates stored twice", g.TileDataLength)
	}
	if a.Metadata["name"] != "test" {
		t.Errorf("metadata %v", a.Metadata)
	}
	if got := a.Tile(t, 2, 1, 1); got != nil {
		t.Errorf("a tile never added reads back as %q", got)
	}
	if got := a.Tile(t, 2, 0, 0); string(got) != "same" {
		t.Errorf("tile 2/0/0 reads back as %q", got)
	}
}

// TestLeafDirectoriesAndDuplicates writes more entries than a root directory holds, so the archive
// needs leaf directories, with runs of one repeated tile (sea), a tile repeated far apart (one
// pattern) and distinct tiles of random lengths between them.
func TestLeafDirectoriesAndDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tiles := map[tileKey][]byte{}
	var order []tileKey
	sea, pattern := bytes.Repeat([]byte{0x1f, 0x8b, 'S'}, 40), []byte("pattern")
	distinct := 0
	for z := uint8(6); z <= 8; z++ {
		n := uint32(1) << z
		for x := range n {
			for y := range n {
				k := tileKey{z, x, y}
				switch {
				case y < n/4: // a band of sea: long runs along the curve
					tiles[k] = sea
				case (x*7+y*13)%17 == 0:
					tiles[k] = pattern
				default:
					tiles[k] = fmt.Appendf(bytes.Repeat([]byte{byte(r.Uint32())}, int(r.Uint32N(600))), "%d/%d/%d", z, x, y)
					distinct++
				}
				order = append(order, k)
			}
		}
	}
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	h := pmtiles.Header{TileType: pmtiles.Mvt, TileCompression: pmtiles.Gzip, MinZoom: 6, MaxZoom: 8,
		Bounds: [4]float64{-180, -85, 180, 85}, CenterZoom: 7}
	st, a := write(t, h, order, tiles)
	checkTiles(t, a, tiles)
	g := a.Header
	if st.Leaves < 2 || g.LeafDirectoryLength == 0 {
		t.Errorf("%d entries went in %d leaf directories (%d bytes)", st.Entries, st.Leaves, g.LeafDirectoryLength)
	}
	if st.Contents != distinct+2 || g.TileContentsCount != uint64(distinct+2) || g.AddressedTilesCount != uint64(len(tiles)) {
		t.Errorf("stats %+v, header %+v; %d distinct tiles + sea + pattern", st, g, distinct)
	}
	if st.Entries >= len(tiles)-len(tiles)/5 {
		t.Errorf("%d entries for %d tiles: runs of sea not merged", st.Entries, len(tiles))
	}
	// Looked up one by one through the leaves, as a map client does.
	for _, k := range order[:500] {
		if got := a.Tile(t, k.z, k.x, k.y); !bytes.Equal(got, tiles[k]) {
			t.Fatalf("tile %v looked up: %d bytes, %d written", k, len(got), len(tiles[k]))
		}
	}
	if got := a.Tile(t, 9, 0, 0); got != nil {
		t.Errorf("a zoom 9 tile reads back as %d bytes", len(got))
	}
}

func TestAddRejects(t *testing.T) {
	w, err := pmtiles.NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(3, 1, 1, []byte("a")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		z    uint8
		x, y uint32
		data []byte
	}{{3, 1, 1, []byte("b")}, {3, 8, 0, []byte("c")}, {3, 0, 8, []byte("c")}, {32, 0, 0, []byte("c")}, {3, 2, 2, nil}} {
		if err := w.Add(c.z, c.x, c.y, c.data); err == nil {
			t.Errorf("Add(%d, %d, %d, %q) accepted", c.z, c.x, c.y, c.data)
		}
	}
}
