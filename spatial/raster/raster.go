// Package raster reads and writes single-band PostGIS rasters in their well-known binary form
// (ST_AsBinary, and the hex text the raster type takes as input), so that rasters go in and out of
// PostGIS without GDAL drivers in the database.
package raster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Raster is one band of heights (or any values) on a regular grid. Cell (col, row) covers
// [UpperLeftX + col·ScaleX, UpperLeftX + (col+1)·ScaleX] × [UpperLeftY + (row+1)·ScaleY,
// UpperLeftY + row·ScaleY] (ScaleY is negative for north-up rasters); skew is not supported.
type Raster struct {
	Width, Height          int
	UpperLeftX, UpperLeftY float64
	ScaleX, ScaleY         float64
	SRID                   int
	HasNoData              bool
	NoData                 float64
	Data                   []float64 // row-major, Width·Height values
}

// pixel types of the WKB format.
const (
	pt1BB   = 0
	pt2BUI  = 1
	pt4BUI  = 2
	pt8BSI  = 3
	pt8BUI  = 4
	pt16BSI = 5
	pt16BUI = 6
	pt32BSI = 7
	pt32BUI = 8
	pt32BF  = 10
	pt64BF  = 11
)

var cellSize = map[byte]int{pt1BB: 1, pt2BUI: 1, pt4BUI: 1, pt8BSI: 1, pt8BUI: 1, pt16BSI: 2, pt16BUI: 2, pt32BSI: 4, pt32BUI: 4, pt32BF: 4, pt64BF: 8}

// At is the value of cell (col, row) and whether it holds one (not nodata, not NaN).
func (r *Raster) At(col, row int) (float64, bool) {
	v := r.Data[row*r.Width+col]
	if math.IsNaN(v) || (r.HasNoData && v == r.NoData) {
		return v, false
	}
	return v, true
}

// Marshal writes the raster as WKB with one 32-bit float band (little-endian).
func (r *Raster) Marshal() []byte {
	b := make([]byte, 0, 61+4+4*len(r.Data))
	le := binary.LittleEndian
	b = append(b, 1)
	b = le.AppendUint16(b, 0) // version
	b = le.AppendUint16(b, 1) // bands
	for _, f := range []float64{r.ScaleX, r.ScaleY, r.UpperLeftX, r.UpperLeftY, 0, 0} {
		b = le.AppendUint64(b, math.Float64bits(f))
	}
	b = le.AppendUint32(b, uint32(int32(r.SRID)))
	b = le.AppendUint16(b, uint16(r.Width))
	b = le.AppendUint16(b, uint16(r.Height))
	flags := byte(pt32BF)
	if r.HasNoData {
		flags |= 0x40
	}
	b = append(b, flags)
	b = le.AppendUint32(b, math.Float32bits(float32(r.NoData)))
	for _, v := range r.Data {
		b = le.AppendUint32(b, math.Float32bits(float32(v)))
	}
	return b
}

// Unmarshal reads a raster's WKB (ST_AsBinary); of several bands it reads the first. Every pixel
// type is read; rasters without bands and out-of-database bands are refused.
func Unmarshal(b []byte) (*Raster, error) {
	if len(b) < 61 {
		if len(b) == 0 {
			return nil, errors.New("raster: empty")
		}
		return nil, fmt.Errorf("raster: %d bytes is shorter than a raster header", len(b))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 0 {
		bo = binary.BigEndian
	}
	nb := int(bo.Uint16(b[3:]))
	f := func(off int) float64 { return math.Float64frombits(bo.Uint64(b[off:])) }
	r := &Raster{ScaleX: f(5), ScaleY: f(13), UpperLeftX: f(21), UpperLeftY: f(29)}
	if f(37) != 0 || f(45) != 0 {
		return nil, errors.New("raster: skewed rasters are not supported")
	}
	r.SRID = int(int32(bo.Uint32(b[53:])))
	r.Width, r.Height = int(bo.Uint16(b[57:])), int(bo.Uint16(b[59:]))
	n := r.Width * r.Height
	if nb == 0 {
		return nil, errors.New("raster: no band")
	}
	p := 61
	if len(b) < p+1 {
		return nil, errors.New("raster: truncated band header")
	}
	flags := b[p]
	p++
	if flags&0x80 != 0 {
		return nil, errors.New("raster: out-of-database bands are not supported")
	}
	pt := flags & 0x0f
	size, ok := cellSize[pt]
	if !ok {
		return nil, fmt.Errorf("raster: unknown pixel type %d", pt)
	}
	if len(b) < p+size*(n+1) {
		return nil, fmt.Errorf("raster: %d bytes is too short for %d×%d cells", len(b), r.Width, r.Height)
	}
	r.Data = make([]float64, n)
	read := func(off int) float64 {
		switch pt {
		case pt8BSI:
			return float64(int8(b[off]))
		case pt1BB, pt2BUI, pt4BUI, pt8BUI:
			return float64(b[off])
		case pt16BSI:
			return float64(int16(bo.Uint16(b[off:])))
		case pt16BUI:
			return float64(bo.Uint16(b[off:]))
		case pt32BSI:
			return float64(int32(bo.Uint32(b[off:])))
		case pt32BUI:
			return float64(bo.Uint32(b[off:]))
		case pt32BF:
			return float64(math.Float32frombits(bo.Uint32(b[off:])))
		default:
			return math.Float64frombits(bo.Uint64(b[off:]))
		}
	}
	r.HasNoData = flags&0x40 != 0
	r.NoData = read(p)
	p += size
	if flags&0x20 != 0 { // the whole band is nodata
		for i := range r.Data {
			r.Data[i] = r.NoData
		}
		return r, nil
	}
	for i := range r.Data {
		r.Data[i] = read(p + i*size)
	}
	return r, nil
}
