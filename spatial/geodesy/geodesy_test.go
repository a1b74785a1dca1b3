package geodesy

import (
	"math"
	"testing"
)

func TestECEFKnownPoints(t *testing.T) {
	b := A * (1 - F)
	for _, c := range []struct {
		lon, lat, h float64
		want        [3]float64
	}{
		{0, 0, 0, [3]float64{A, 0, 0}},
		{90, 0, 100, [3]float64{0, A + 100, 0}},
		{0, 90, 0, [3]float64{0, 0, b}},
	} {
		got := ECEF(c.lon, c.lat, c.h)
		for k := range 3 {
			if math.Abs(got[k]-c.want[k]) > 1e-6 {
				t.Errorf("ECEF(%g, %g, %g) = %v, want %v", c.lon, c.lat, c.h, got, c.want)
				break
			}
		}
	}
}

// ECEF ↔ geodetic and ENU ↔ geodetic round trips stay under a tenth of a millimetre round Laizhou.
func TestRoundTrips(t *testing.T) {
	f := NewFrame(119.94, 37.18, 9.5)
	if e, n, u := f.ENU(119.94, 37.18, 9.5); math.Abs(e)+math.Abs(n)+math.Abs(u) > 1e-6 {
		t.Errorf("the origin is at %g %g %g of its own frame", e, n, u)
	}
	for _, p := range [][3]float64{{119.95, 37.19, 40}, {119.90, 37.10, -30}, {120.5, 37.5, 1200}} {
		lon, lat, h := Geodetic(ECEF(p[0], p[1], p[2]))
		if d := metres(p, lon, lat, h); d > 1e-4 {
			t.Errorf("ECEF round trip of %v moves it %.6f m", p, d)
		}
		e, n, u := f.ENU(p[0], p[1], p[2])
		lon, lat, h = f.Geodetic([3]float64{e, n, u})
		if d := metres(p, lon, lat, h); d > 1e-4 {
			t.Errorf("ENU round trip of %v moves it %.6f m", p, d)
		}
		// The matrix takes the ENU offset to the point's ECEF coordinates.
		m, x := f.Matrix(), ECEF(p[0], p[1], p[2])
		for k := range 3 {
			if got := m[k]*e + m[4+k]*n + m[8+k]*u + m[12+k]; math.Abs(got-x[k]) > 1e-4 {
				t.Errorf("matrix · ENU of %v: %g, want %g", p, got, x[k])
			}
		}
	}
	// East is east: a point 0.001° east lies about 89 m east, on the same north.
	if e, n, _ := f.ENU(119.941, 37.18, 9.5); math.Abs(e-88.8) > 0.5 || math.Abs(n) > 0.01 {
		t.Errorf("0.001° east is %g m east, %g m north", e, n)
	}
}

func metres(p [3]float64, lon, lat, h float64) float64 {
	a, b := ECEF(p[0], p[1], p[2]), ECEF(lon, lat, h)
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}
