// Package pmtilestest reads PMTiles archives back with go-pmtiles, the reference implementation, for
// tests. Only tests import it, so go-pmtiles and its cloud storage SDKs stay out of the binary.
package pmtilestest

import (
	"bytes"
	"log"
	"os"
	"strings"
	"testing"

	gopm "github.com/protomaps/go-pmtiles/pmtiles"
)

// Archive is an archive as go-pmtiles reads it.
type Archive struct {
	Header   gopm.HeaderV3
	Metadata map[string]any
	// Tiles is every addressed tile's bytes by tile id, found by walking every directory.
	Tiles map[uint64][]byte
	file  []byte
}

// Read reads the archive at path, runs go-pmtiles' own verification on it (header counts, offsets,
// clustering, zooms, bounds) and fails the test on any complaint.
func Read(t testing.TB, path string) *Archive {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < gopm.HeaderV3LenBytes {
		t.Fatalf("%s: %d bytes, shorter than a header", path, len(b))
	}
	var logged strings.Builder
	if err := gopm.Verify(log.New(&logged, "", 0), path); err != nil {
		t.Fatalf("go-pmtiles verify %s: %v", path, err)
	}
	if strings.Contains(logged.String(), "Invalid") {
		t.Fatalf("go-pmtiles verify %s:\n%s", path, logged.String())
	}
	h, err := gopm.DeserializeHeader(b[:gopm.HeaderV3LenBytes])
	if err != nil {
		t.Fatal(err)
	}
	if h.RootOffset+h.RootLength > 16384 {
		t.Errorf("header and root directory take %d bytes, more than 16 KiB", h.RootOffset+h.RootLength)
	}
	a := &Archive{Header: h, Tiles: map[uint64][]byte{}, file: b}
	a.Metadata, err = gopm.DeserializeMetadata(bytes.NewReader(b[h.MetadataOffset:h.MetadataOffset+h.MetadataLength]), h.InternalCompression)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	err = gopm.IterateEntries(h, func(off, n uint64) ([]byte, error) { return b[off : off+n], nil }, func(e gopm.EntryV3) {
		for i := range uint64(e.RunLength) {
			if _, dup := a.Tiles[e.TileID+i]; dup {
				t.Errorf("tile id %d addressed twice", e.TileID+i)
			}
			a.Tiles[e.TileID+i] = a.data(e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *Archive) data(e gopm.EntryV3) []byte {
	h := a.Header
	return a.file[h.TileDataOffset+e.Offset : h.TileDataOffset+e.Offset+uint64(e.Length)]
}

// Tile looks one tile up as a reader does, from the root directory down through leaf directories
// (nil when the archive does not hold it).
func (a *Archive) Tile(t testing.TB, z uint8, x, y uint32) []byte {
	t.Helper()
	h := a.Header
	id := gopm.ZxyToID(z, x, y)
	dir := a.file[h.RootOffset : h.RootOffset+h.RootLength]
	for range 4 {
		e, ok := gopm.FindTile(gopm.DeserializeEntries(bytes.NewBuffer(dir), h.InternalCompression), id)
		if !ok {
			return nil
		}
		if e.RunLength > 0 {
			return a.data(e)
		}
		dir = a.file[h.LeafDirectoryOffset+e.Offset : h.LeafDirectoryOffset+e.Offset+uint64(e.Length)]
	}
	t.Fatal("directories nested more than 4 deep")
	return nil
}
