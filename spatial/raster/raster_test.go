package raster

import (
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	r := &Raster{Width: 3, Height: 2, UpperLeftX: 495000, UpperLeftY: 4114020, ScaleX: 10, ScaleY: -10, SRID: 4549,
		HasNoData: true, NoData: -9999, Data: []float64{1.5, 2, -9999, 100.25, 0, -3}}
	got, err := Unmarshal(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 3 || got.Height != 2 || got.SRID != 4549 || got.UpperLeftX != r.UpperLeftX || got.ScaleY != -10 || !got.HasNoData || got.NoData != -9999 {
		t.Fatalf("header %+v", got)
	}
	for i, v := range r.Data {
		if got.Data[i] != v {
			t.Errorf("cell %d: %v, want %v", i, got.Data[i], v)
		}
	}
	if _, ok := got.At(2, 0); ok {
		t.Error("the nodata cell has a value")
	}
	if v, ok := got.At(0, 1); !ok || v != 100.25 {
		t.Errorf("cell (0, 1): %v %v", v, ok)
	}
}

// TestPostGISWKB reads what ST_AsBinary wrote for a 4×4 32BF raster with nodata -9999
// (SELECT ST_AsBinary(ST_SetValues(ST_AddBand(ST_MakeEmptyRaster(4,4,0,4,1,-1,0,0,3857),'32BF',0,-9999),1,1,1,ARRAY[[0,1,2,3],…]))).
func TestPostGISWKB(t *testing.T) {
	const hex = "0100000100000000000000f03f000000000000f0bf0000000000000000000000000000104000000000000000000000000000000000110f0000040004004a003c1cc6000000000000803f0000004000004040000020410000304100004041000050410000a0410000a8410000b0410000b8410000f0410000f8410000004200000442"
	b := make([]byte, len(hex)/2)
	for i := range b {
		var x byte
		for _, c := range hex[2*i : 2*i+2] {
			x <<= 4
			switch {
			case c >= '0' && c <= '9':
				x |= byte(c - '0')
			default:
				x |= byte(c-'a') + 10
			}
		}
		b[i] = x
	}
	r, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 4 || r.SRID != 3857 || r.UpperLeftY != 4 || r.ScaleY != -1 || r.NoData != -9999 || r.Data[5] != 11 || r.Data[15] != 33 {
		t.Errorf("%+v", r)
	}
}

func FuzzUnmarshal(f *testing.F) {
	r := &Raster{Width: 2, Height: 2, ScaleX: 1, ScaleY: -1, SRID: 4326, HasNoData: true, NoData: math.NaN(), Data: []float64{1, 2, 3, 4}}
	f.Add(r.Marshal())
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Unmarshal(b)
		if err != nil {
			return
		}
		if len(r.Data) != r.Width*r.Height {
			t.Fatalf("%d cells for %d×%d", len(r.Data), r.Width, r.Height)
		}
	})
}
