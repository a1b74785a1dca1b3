package loader

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
)

// EWKB encodes g as little-endian EWKB with SRID 4490 (whatever SRID g carries), the form Add takes.
// Z is kept (M is dropped). It writes flat coordinates directly, without reflection.
func EWKB(g geom.T) ([]byte, error) { return AppendEWKB(nil, g) }

// AppendEWKB appends the EWKB of g to dst (see EWKB); importers reuse one buffer per row.
func AppendEWKB(dst []byte, g geom.T) ([]byte, error) {
	return appendGeom(dst, g, true)
}

func appendHeader(dst []byte, kind uint32, z, srid bool) []byte {
	if z {
		kind |= ewkbZ
	}
	if srid {
		kind |= ewkbSRID
	}
	dst = append(dst, 1)
	dst = binary.LittleEndian.AppendUint32(dst, kind)
	if srid {
		dst = binary.LittleEndian.AppendUint32(dst, SRID)
	}
	return dst
}

func appendCoords(dst []byte, flat []float64, stride int, z bool) []byte {
	for i := 0; i+stride <= len(flat); i += stride {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(flat[i]))
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(flat[i+1]))
		if z {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(flat[i+2]))
		}
	}
	return dst
}

func appendCount(dst []byte, n int) []byte { return binary.LittleEndian.AppendUint32(dst, uint32(n)) }

func appendGeom(dst []byte, g geom.T, outer bool) ([]byte, error) {
	lay := g.Layout()
	z := lay == geom.XYZ || lay == geom.XYZM
	stride := lay.Stride()
	flat := g.FlatCoords()
	switch g := g.(type) {
	case *geom.Point:
		dst = appendHeader(dst, 1, z, outer)
		if g.Empty() {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(math.NaN()))
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(math.NaN()))
			if z {
				dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(math.NaN()))
			}
			return dst, nil
		}
		return appendCoords(dst, flat, stride, z), nil
	case *geom.LineString:
		dst = appendHeader(dst, 2, z, outer)
		dst = appendCount(dst, len(flat)/max(stride, 1))
		return appendCoords(dst, flat, stride, z), nil
	case *geom.Polygon:
		dst = appendHeader(dst, 3, z, outer)
		return appendRings(dst, flat, 0, g.Ends(), stride, z), nil
	case *geom.MultiPoint:
		dst = appendHeader(dst, 4, z, outer)
		n := len(flat) / max(stride, 1)
		dst = appendCount(dst, n)
		for i := range n {
			dst = appendHeader(dst, 1, z, false)
			dst = appendCoords(dst, flat[i*stride:(i+1)*stride], stride, z)
		}
		return dst, nil
	case *geom.MultiLineString:
		dst = appendHeader(dst, 5, z, outer)
		ends := g.Ends()
		dst = appendCount(dst, len(ends))
		start := 0
		for _, end := range ends {
			dst = appendHeader(dst, 2, z, false)
			dst = appendCount(dst, (end-start)/stride)
			dst = appendCoords(dst, flat[start:end], stride, z)
			start = end
		}
		return dst, nil
	case *geom.MultiPolygon:
		dst = appendHeader(dst, 6, z, outer)
		endss := g.Endss()
		dst = appendCount(dst, len(endss))
		start := 0
		for _, ends := range endss {
			dst = appendHeader(dst, 3, z, false)
			dst = appendRings(dst, flat, start, ends, stride, z)
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
		return dst, nil
	case *geom.GeometryCollection:
		dst = appendHeader(dst, 7, z, outer)
		dst = appendCount(dst, g.NumGeoms())
		var err error
		for _, c := range g.Geoms() {
			if dst, err = appendGeom(dst, c, false); err != nil {
				return nil, err
			}
		}
		return dst, nil
	default:
		return nil, fmt.Errorf("loader: cannot encode %T as EWKB", g)
	}
}

func appendRings(dst []byte, flat []float64, start int, ends []int, stride int, z bool) []byte {
	dst = appendCount(dst, len(ends))
	for _, end := range ends {
		dst = appendCount(dst, (end-start)/stride)
		dst = appendCoords(dst, flat[start:end], stride, z)
		start = end
	}
	return dst
}
