package loader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// SRID is the storage SRID of every feature table: CGCS2000 longitude/latitude.
const SRID = 4490

// bounds is a 2D bounding box; empty when minX > maxX.
type bounds struct{ minX, minY, maxX, maxY float64 }

func emptyBounds() bounds { return bounds{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)} }

func (b bounds) empty() bool { return b.minX > b.maxX }

func (b *bounds) extend(o bounds) {
	if o.empty() {
		return
	}
	b.minX, b.minY = min(b.minX, o.minX), min(b.minY, o.minY)
	b.maxX, b.maxY = max(b.maxX, o.maxX), max(b.maxY, o.maxY)
}

// EWKB flags and the geometry types the loader walks.
const (
	ewkbZ    = 0x80000000
	ewkbM    = 0x40000000
	ewkbSRID = 0x20000000
)

// ewkbBounds checks an EWKB geometry (SRID 4490 on the outer geometry, finite lon/lat coordinates)
// and returns its 2D bounds. It reads the bytes in place, without building a geometry.
func ewkbBounds(g []byte) (bounds, error) {
	r := ewkbReader{buf: g, box: emptyBounds()}
	srid, err := r.geometry(0)
	if err != nil {
		return bounds{}, err
	}
	if srid != SRID {
		return bounds{}, fmt.Errorf("EWKB has SRID %d, the loader stores %d (transform first)", srid, SRID)
	}
	if r.off != len(g) {
		return bounds{}, fmt.Errorf("EWKB has %d bytes after the geometry", len(g)-r.off)
	}
	return r.box, nil
}

type ewkbReader struct {
	buf []byte
	off int
	box bounds
}

var errShort = errors.New("EWKB ends early")

func (r *ewkbReader) geometry(depth int) (srid uint32, err error) {
	if depth > 32 {
		return 0, errors.New("EWKB nested too deeply")
	}
	if len(r.buf)-r.off < 5 {
		return 0, errShort
	}
	var bo binary.ByteOrder
	switch r.buf[r.off] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return 0, fmt.Errorf("EWKB byte order %d at byte %d", r.buf[r.off], r.off)
	}
	t := bo.Uint32(r.buf[r.off+1:])
	r.off += 5
	if t&ewkbSRID != 0 {
		if len(r.buf)-r.off < 4 {
			return 0, errShort
		}
		srid = bo.Uint32(r.buf[r.off:])
		r.off += 4
	}
	dims := 2
	if t&ewkbZ != 0 {
		dims++
	}
	if t&ewkbM != 0 {
		dims++
	}
	kind := t &^ (ewkbZ | ewkbM | ewkbSRID)
	// ISO WKB codes (1001 = Point Z, 2001 = Point M, 3001 = Point ZM).
	if kind > 1000 && kind < 4000 {
		if kind/1000 == 3 {
			dims += 2
		} else {
			dims++
		}
		kind %= 1000
	}
	switch kind {
	case 1: // Point
		return srid, r.points(bo, 1, dims)
	case 2: // LineString
		n, err := r.count(bo)
		if err != nil {
			return 0, err
		}
		return srid, r.points(bo, n, dims)
	case 3: // Polygon
		rings, err := r.count(bo)
		if err != nil {
			return 0, err
		}
		for range rings {
			n, err := r.count(bo)
			if err != nil {
				return 0, err
			}
			if n > 0 && n < 4 {
				return 0, fmt.Errorf("polygon ring with %d points (at least 4)", n)
			}
			if err := r.points(bo, n, dims); err != nil {
				return 0, err
			}
		}
		return srid, nil
	case 4, 5, 6, 7: // Multi*, GeometryCollection
		n, err := r.count(bo)
		if err != nil {
			return 0, err
		}
		for range n {
			if _, err := r.geometry(depth + 1); err != nil {
				return 0, err
			}
		}
		return srid, nil
	default:
		return 0, fmt.Errorf("EWKB geometry type %d is not supported", kind)
	}
}

func (r *ewkbReader) count(bo binary.ByteOrder) (int, error) {
	if len(r.buf)-r.off < 4 {
		return 0, errShort
	}
	n := bo.Uint32(r.buf[r.off:])
	r.off += 4
	if uint64(n) > uint64(len(r.buf)) { // each element takes at least one byte
		return 0, fmt.Errorf("EWKB count %d exceeds the data", n)
	}
	return int(n), nil
}

func (r *ewkbReader) points(bo binary.ByteOrder, n, dims int) error {
	size := n * dims * 8
	if len(r.buf)-r.off < size {
		return errShort
	}
	p := r.buf[r.off : r.off+size]
	r.off += size
	for i := 0; i < len(p); i += dims * 8 {
		x := math.Float64frombits(bo.Uint64(p[i:]))
		y := math.Float64frombits(bo.Uint64(p[i+8:]))
		if math.IsNaN(x) && math.IsNaN(y) && n == 1 { // POINT EMPTY
			continue
		}
		if !(x >= -180 && x <= 180 && y >= -90 && y <= 90) {
			return fmt.Errorf("coordinate (%g, %g) is not longitude/latitude: was the source CRS transformed to EPSG:4490?", x, y)
		}
		for d := 2; d < dims; d++ {
			if z := math.Float64frombits(bo.Uint64(p[i+d*8:])); math.IsNaN(z) || math.IsInf(z, 0) {
				return fmt.Errorf("coordinate (%g, %g) has a non-finite Z or M", x, y)
			}
		}
		r.box.minX, r.box.minY = min(r.box.minX, x), min(r.box.minY, y)
		r.box.maxX, r.box.maxY = max(r.box.maxX, x), max(r.box.maxY, y)
	}
	return nil
}
