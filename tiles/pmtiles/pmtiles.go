// Package pmtiles writes PMTiles v3 archives (github.com/protomaps/PMTiles, spec/v3/spec.md): a
// 127-byte header, a gzipped root directory within the first 16 KiB, gzipped JSON metadata, leaf
// directories when the root cannot hold every entry, and the tile data clustered in tile id order with
// identical tiles stored once.
//
// It is the archive writer alone, small on purpose: go-pmtiles, the reference implementation, brings
// some 850 packages of cloud storage SDKs with it, so it is used only by the tests that read these
// archives back.
package pmtiles

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// HeaderLen is the length of a v3 header in bytes.
const HeaderLen = 127

// rootLimit is the most bytes the header and the root directory may take together.
const rootLimit = 16384

// Compression is the spec's compression enum.
type Compression uint8

// Compressions of tiles and of the archive's directories and metadata.
const (
	UnknownCompression Compression = 0
	NoCompression      Compression = 1
	Gzip               Compression = 2
	Brotli             Compression = 3
	Zstd               Compression = 4
)

// TileType is the spec's tile type enum.
type TileType uint8

// Tile types.
const (
	UnknownTileType TileType = 0
	Mvt             TileType = 1
	Png             TileType = 2
	Jpeg            TileType = 3
	Webp            TileType = 4
	Avif            TileType = 5
)

// TileID is the tile's position on the Hilbert curve of its zoom, after every tile of the zooms below:
// the key of a PMTiles directory.
func TileID(z uint8, x, y uint32) uint64 {
	id := (uint64(1)<<(2*uint(z)) - 1) / 3
	for s := uint32(1) << z >> 1; s > 0; s >>= 1 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		id += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 { // rotate the quadrant
			if rx == 1 {
				x, y = s-1-x%s, s-1-y%s
			}
			x, y = y, x
		}
	}
	return id
}

// Entry is one directory entry: RunLength tiles from TileID sharing the bytes at Offset, or, with
// RunLength 0, a leaf directory at Offset in the leaf section.
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// Header is what a caller says about an archive; the writer fills in the layout and counts.
type Header struct {
	TileType         TileType
	TileCompression  Compression
	MinZoom, MaxZoom uint8
	// Bounds is min lon, min lat, max lon, max lat in degrees; Center is lon, lat, and CenterZoom its zoom.
	Bounds     [4]float64
	Center     [2]float64
	CenterZoom uint8
}

// Stats says what an archive holds.
type Stats struct {
	Addressed, Entries, Contents int    // tiles, directory entries, distinct tile contents
	Leaves                       int    // leaf directories
	TileBytes                    uint64 // length of the tile data section
}

// Writer collects tiles in any order into a temporary file beside the archive, then lays the archive
// out in Finish. Close removes the temporary files; it is safe after Finish.
type Writer struct {
	dir   string
	tmp   *os.File
	w     *bufio.Writer
	off   int64
	tiles []pending
	seen  map[uint64]struct{}
}

type pending struct {
	id     uint64
	off    int64
	length uint32
}

// NewWriter starts an archive whose temporary files go in dir (the output's directory, so the final
// rename stays on one file system).
func NewWriter(dir string) (*Writer, error) {
	tmp, err := os.CreateTemp(dir, ".pmtiles-tiles-*")
	if err != nil {
		return nil, err
	}
	return &Writer{dir: dir, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<20), seen: map[uint64]struct{}{}}, nil
}

// Add stores one tile's bytes (already compressed as the header's TileCompression says). A tile
// added twice is an error.
func (w *Writer) Add(z uint8, x, y uint32, data []byte) error {
	if z > 31 || uint64(x) >= 1<<z || uint64(y) >= 1<<z {
		return fmt.Errorf("tile %d/%d/%d is outside its zoom", z, x, y)
	}
	if len(data) == 0 || uint64(len(data)) > 1<<32-1 {
		return fmt.Errorf("tile %d/%d/%d has %d bytes", z, x, y, len(data))
	}
	id := TileID(z, x, y)
	if _, dup := w.seen[id]; dup {
		return fmt.Errorf("tile %d/%d/%d added twice", z, x, y)
	}
	w.seen[id] = struct{}{}
	if _, err := w.w.Write(data); err != nil {
		return err
	}
	w.tiles = append(w.tiles, pending{id: id, off: w.off, length: uint32(len(data))})
	w.off += int64(len(data))
	return nil
}

// Finish writes the archive to path (through a temporary file renamed at the end, so a reader never
// sees half an archive). metadata is marshalled as the archive's JSON metadata.
func (w *Writer) Finish(path string, h Header, metadata any) (Stats, error) {
	var st Stats
	if err := w.w.Flush(); err != nil {
		return st, err
	}
	slices.SortFunc(w.tiles, func(a, b pending) int { return cmp.Compare(a.id, b.id) })

	// The tile data section: each distinct content once, in tile id order of first use.
	data, err := os.CreateTemp(w.dir, ".pmtiles-data-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(data.Name())
	defer data.Close()
	dw := bufio.NewWriterSize(data, 1<<20)
	offsets := map[[sha256.Size]byte]uint64{}
	var entries []Entry
	var dataLen uint64
	var buf []byte
	for _, t := range w.tiles {
		buf = slices.Grow(buf[:0], int(t.length))[:t.length]
		if _, err := w.tmp.ReadAt(buf, t.off); err != nil {
			return st, err
		}
		sum := sha256.Sum256(buf)
		offset, dup := offsets[sum]
		if !dup {
			if _, err := dw.Write(buf); err != nil {
				return st, err
			}
			offset = dataLen
			offsets[sum] = offset
			dataLen += uint64(t.length)
		}
		if n := len(entries); n > 0 {
			last := &entries[n-1]
			if last.Offset == offset && last.TileID+uint64(last.RunLength) == t.id && last.RunLength < 1<<32-1 {
				last.RunLength++
				continue
			}
		}
		entries = append(entries, Entry{TileID: t.id, Offset: offset, Length: t.length, RunLength: 1})
	}
	if err := dw.Flush(); err != nil {
		return st, err
	}
	st = Stats{Addressed: len(w.tiles), Entries: len(entries), Contents: len(offsets), TileBytes: dataLen}

	root, leaves, nLeaves, err := buildDirectories(entries, rootLimit-HeaderLen)
	if err != nil {
		return st, err
	}
	st.Leaves = nLeaves
	js, err := json.Marshal(metadata)
	if err != nil {
		return st, fmt.Errorf("metadata: %w", err)
	}
	meta, err := gzipBytes(js)
	if err != nil {
		return st, err
	}

	var hb [HeaderLen]byte
	copy(hb[:7], "PMTiles")
	hb[7] = 3
	le := binary.LittleEndian
	rootOff := uint64(HeaderLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(meta))
	dataOff := leafOff + uint64(len(leaves))
	for i, v := range []uint64{rootOff, uint64(len(root)), metaOff, uint64(len(meta)), leafOff, uint64(len(leaves)),
		dataOff, dataLen, uint64(st.Addressed), uint64(st.Entries), uint64(st.Contents)} {
		le.PutUint64(hb[8+8*i:], v)
	}
	hb[96] = 1 // clustered
	hb[97] = byte(Gzip)
	hb[98] = byte(h.TileCompression)
	hb[99] = byte(h.TileType)
	hb[100], hb[101] = h.MinZoom, h.MaxZoom
	for i, deg := range h.Bounds {
		le.PutUint32(hb[102+4*i:], uint32(e7(deg)))
	}
	hb[118] = h.CenterZoom
	le.PutUint32(hb[119:], uint32(e7(h.Center[0])))
	le.PutUint32(hb[123:], uint32(e7(h.Center[1])))

	out, err := os.CreateTemp(w.dir, ".pmtiles-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	for _, part := range [][]byte{hb[:], root, meta, leaves} {
		if _, err := out.Write(part); err != nil {
			return st, err
		}
	}
	if _, err := data.Seek(0, io.SeekStart); err != nil {
		return st, err
	}
	if _, err := io.Copy(out, data); err != nil {
		return st, err
	}
	if err := out.Close(); err != nil {
		return st, err
	}
	return st, os.Rename(out.Name(), path)
}

// Close removes the writer's temporary file.
func (w *Writer) Close() error {
	err := w.tmp.Close()
	if rerr := os.Remove(w.tmp.Name()); err == nil {
		err = rerr
	}
	return err
}

func e7(deg float64) int32 { return int32(deg * 1e7) }

// buildDirectories puts every entry in the root when it fits; otherwise the entries go in leaf
// directories of leafSize entries each (grown by a fifth until the root of leaf pointers fits), as
// the reference writer does.
func buildDirectories(entries []Entry, limit int) (root, leaves []byte, n int, err error) {
	root, err = serializeEntries(entries)
	if err != nil || len(root) <= limit {
		return root, nil, 0, err
	}
	leafSize := max(len(entries)/3500, 4096)
	for {
		var ptrs []Entry
		leaves = leaves[:0]
		for i := 0; i < len(entries); i += leafSize {
			leaf, err := serializeEntries(entries[i:min(i+leafSize, len(entries))])
			if err != nil {
				return nil, nil, 0, err
			}
			ptrs = append(ptrs, Entry{TileID: entries[i].TileID, Offset: uint64(len(leaves)), Length: uint32(len(leaf))})
			leaves = append(leaves, leaf...)
		}
		if root, err = serializeEntries(ptrs); err != nil || len(root) <= limit {
			return root, leaves, len(ptrs), err
		}
		leafSize += leafSize / 5
	}
}

// serializeEntries encodes a directory: the count, then tile id deltas, run lengths, lengths and
// offsets (0 for "right after the previous entry", else offset+1), each a varint column, gzipped.
func serializeEntries(entries []Entry) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range entries {
		if i > 0 && e.Offset == entries[i-1].Offset+uint64(entries[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return gzipBytes(b)
}

func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
