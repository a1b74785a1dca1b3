package geology

import (
	"math"
	"testing"
)

// TestTrace: the minimum-curvature path against shapes known in closed form.
func TestTrace(t *testing.T) {
	deg := math.Pi / 180
	near := func(what string, got, want [3]float64) {
		t.Helper()
		if d := math.Hypot(math.Hypot(got[0]-want[0], got[1]-want[1]), got[2]-want[2]); d > 1e-9 {
			t.Errorf("%s: %.6f, want %.6f", what, got, want)
		}
	}
	// Straight at 30° from the vertical toward the east: 100 m along it is 50 m east, 86.6 m down,
	// above, between and below the stations alike.
	tr := newTrace([]station{{md: 10, inc: 30 * deg, azi: 90 * deg}, {md: 60, inc: 30 * deg, azi: 90 * deg}})
	for _, md := range []float64{0, 5, 10, 35, 60, 100} {
		near("straight", tr.at(md), [3]float64{md / 2, 0, md * math.Sqrt(3) / 2})
	}
	// A quarter circle building from vertical to horizontal toward the north over L metres: radius
	// 2L/π; halfway it has turned 45°.
	l := 100.0
	r := 2 * l / math.Pi
	tr = newTrace([]station{{md: 0, inc: 0, azi: 0}, {md: l, inc: 90 * deg, azi: 0}})
	near("quarter circle end", tr.at(l), [3]float64{0, r, r})
	near("quarter circle middle", tr.at(l/2), [3]float64{0, r * (1 - math.Cos(math.Pi/4)), r * math.Sin(math.Pi/4)})
	near("past the last station", tr.at(l+10), [3]float64{0, r + 10, r})
	// Turning in azimuth at constant inclination is not a plane arc in general; the arc still
	// joins both stations' tangents, so the path's direction at each station is the station's.
	tr = newTrace([]station{{md: 0, inc: 20 * deg, azi: 0}, {md: 50, inc: 40 * deg, azi: 60 * deg}})
	for _, c := range []struct {
		md       float64
		inc, azi float64
	}{{0, 20, 0}, {50, 40, 60}} {
		a, b := tr.at(c.md), tr.at(c.md+1e-4)
		d := [3]float64{(b[0] - a[0]) / 1e-4, (b[1] - a[1]) / 1e-4, (b[2] - a[2]) / 1e-4}
		want := tangent(c.inc*deg, c.azi*deg)
		if math.Hypot(math.Hypot(d[0]-want[0], d[1]-want[1]), d[2]-want[2]) > 1e-3 {
			t.Errorf("direction at %.0f m: %.4f, want %.4f", c.md, d, want)
		}
	}
	// points: the ends, the stations between, at most step metres apart.
	pts := tr.points(10, 45, 5)
	if len(pts) != 8 || pts[0] != tr.at(10) || pts[len(pts)-1] != tr.at(45) {
		t.Errorf("points: %d, from %.3f to %.3f", len(pts), pts[0], pts[len(pts)-1])
	}
	var vertical *trace
	if p := vertical.points(2, 7, 5); len(p) != 2 || p[1] != [3]float64{0, 0, 7} || !vertical.vertical() {
		t.Errorf("a vertical hole's points: %v", p)
	}
}
