package twin

import (
	"math"
	"testing"
)

func triArea(pts [][2]float64, tris []int) (total float64, ccw bool) {
	ccw = true
	for k := 0; k+2 < len(tris); k += 3 {
		a, b, c := pts[tris[k]], pts[tris[k+1]], pts[tris[k+2]]
		cr := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
		total += math.Abs(cr) / 2
		if cr < 0 {
			ccw = false
		}
	}
	return total, ccw
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

func TestTriangulate(t *testing.T) {
	cases := []struct {
		name  string
		pts   [][2]float64
		rings [][]int
		area  float64
	}{
		{"square ccw", [][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, [][]int{seq(0, 4)}, 100},
		{"square cw", [][2]float64{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, [][]int{seq(0, 4)}, 100},
		{"L shape", [][2]float64{{0, 0}, {10, 0}, {10, 4}, {4, 4}, {4, 10}, {0, 10}}, [][]int{seq(0, 6)}, 64},
		{"courtyard", [][2]float64{{0, 0}, {20, 0}, {20, 20}, {0, 20}, {5, 5}, {5, 15}, {15, 15}, {15, 5}},
			[][]int{seq(0, 4), seq(4, 4)}, 300},
		{"two holes", [][2]float64{{0, 0}, {30, 0}, {30, 10}, {0, 10}, {2, 2}, {8, 2}, {8, 8}, {2, 8}, {20, 2}, {28, 2}, {28, 8}, {20, 8}},
			[][]int{seq(0, 4), seq(4, 4), seq(8, 4)}, 300 - 36 - 48},
		{"collinear and duplicate points", [][2]float64{{0, 0}, {5, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}}, [][]int{seq(0, 6)}, 100},
	}
	for _, c := range cases {
		tris := triangulate(c.pts, c.rings)
		area, ccw := triArea(c.pts, tris)
		if math.Abs(area-c.area) > 1e-9 {
			t.Errorf("%s: triangles cover %v, want %v (%v)", c.name, area, c.area, tris)
		}
		if !ccw {
			t.Errorf("%s: triangles not all counter-clockwise: %v", c.name, tris)
		}
	}
	// Degenerate input gives no triangles, self-intersecting input some (never a panic).
	if tris := triangulate([][2]float64{{0, 0}, {1, 1}, {2, 2}}, [][]int{seq(0, 3)}); len(tris) != 0 {
		t.Errorf("collinear ring gave %v", tris)
	}
	if tris := triangulate([][2]float64{{0, 0}, {10, 10}, {10, 0}, {0, 10}}, [][]int{seq(0, 4)}); len(tris) == 0 {
		t.Error("bow tie gave no triangles")
	}
}

func FuzzTriangulate(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10}, uint8(4))
	f.Fuzz(func(t *testing.T, b []byte, split uint8) {
		var pts [][2]float64
		for i := 0; i+1 < len(b) && len(pts) < 64; i += 2 {
			pts = append(pts, [2]float64{float64(b[i] % 32), float64(b[i+1] % 32)})
		}
		if len(pts) < 3 {
			return
		}
		k := int(split)%len(pts) + 1
		rings := [][]int{seq(0, k)}
		if k < len(pts) {
			rings = append(rings, seq(k, len(pts)-k))
		}
		tris := triangulate(pts, rings)
		if len(tris)%3 != 0 {
			t.Fatalf("%d indices", len(tris))
		}
		for _, i := range tris {
			if i < 0 || i >= len(pts) {
				t.Fatalf("index %d out of range", i)
			}
		}
	})
}
