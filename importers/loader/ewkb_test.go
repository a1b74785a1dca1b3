package loader

import (
	"testing"

	"github.com/twpayne/go-geom"
)

// BenchmarkWalkEWKB is the loader's per-row geometry work on a 5-vertex footprint: checking and
// bounding it ("check"), and also writing its Web Mercator copy for geom_3857 ("mercator").
func BenchmarkWalkEWKB(b *testing.B) {
	g, err := EWKB(geom.NewMultiPolygonFlat(geom.XY, []float64{120, 37, 120.001, 37, 120.001, 37.001, 120, 37.001, 120, 37}, [][]int{{10}}))
	if err != nil {
		b.Fatal(err)
	}
	for _, merc := range []bool{false, true} {
		name := map[bool]string{false: "check", true: "mercator"}[merc]
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			for b.Loop() {
				if _, _, err := walkEWKB(g, buf[:0], merc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMercatorMatchesEPSG3857(t *testing.T) {
	// EPSG's example for Popular Visualisation Pseudo-Mercator (EPSG guidance note 7-2):
	// 24°22'54.433"N 100°20'00"W → E = −11 169 055.58, N = 2 800 000.00.
	x, y := mercator(-100.333333333333, 24.381786944444)
	if d := (x + 11169055.58) * (x + 11169055.58); d > 0.01*0.01 {
		t.Errorf("easting %.2f", x)
	}
	if d := (y - 2800000.00) * (y - 2800000.00); d > 0.01*0.01 {
		t.Errorf("northing %.2f", y)
	}
}
