package twin

import (
	"testing"

	"github.com/yitu-gis/yitu/twin/glb"
)

// checkWinding: every triangle turns counter-clockwise seen from the side its vertex normals point
// to, so viewers that cull back faces draw the outside of every solid.
func checkWinding(t *testing.T, name string, p *glb.Primitive) {
	t.Helper()
	if len(p.Indices) == 0 {
		t.Fatalf("%s: no triangles", name)
	}
	for k := 0; k+2 < len(p.Indices); k += 3 {
		a, b, c := p.Positions[p.Indices[k]], p.Positions[p.Indices[k+1]], p.Positions[p.Indices[k+2]]
		var fa, fb, fc [3]float64
		for i := range 3 {
			fa[i], fb[i], fc[i] = float64(a[i]), float64(b[i]), float64(c[i])
		}
		g := cross(sub3(fb, fa), sub3(fc, fa))
		n := p.Normals[p.Indices[k]]
		if d := g[0]*float64(n[0]) + g[1]*float64(n[1]) + g[2]*float64(n[2]); d <= 0 {
			t.Errorf("%s: triangle %d winds against its normal %v", name, k/3, n)
			return
		}
	}
}

func TestMeshWinding(t *testing.T) {
	courtyard := [][][3]float64{
		{{0, 0, 3}, {0, 20, 3}, {20, 20, 3.1}, {20, 0, 3}}, // clockwise on purpose
		{{5, 5, 3}, {15, 5, 3}, {15, 15, 3}, {5, 15, 3}},   // counter-clockwise hole
	}
	cases := map[string]func(b *meshBuilder){
		"extrude":       func(b *meshBuilder) { b.extrude(courtyard, 18, 0) },
		"tube east":     func(b *meshBuilder) { b.tube([3]float64{0, 0, -2}, [3]float64{30, 0, -2.5}, 0.3, 10, 0) },
		"tube diagonal": func(b *meshBuilder) { b.tube([3]float64{0, 0, -2}, [3]float64{-10, 20, -1}, 0.1, 8, 0) },
		"duct":          func(b *meshBuilder) { b.duct([3]float64{0, 0, -1}, [3]float64{5, 5, -1.2}, 1.0, 0.6, 0) },
		"well":          func(b *meshBuilder) { b.well([3]float64{1, 1, -3}, 0.5, 3, 12, 0) },
		"wall polygon": func(b *meshBuilder) {
			// A wall facing south (outward normal -north), counter-clockwise from outside.
			b.polygon([][][3]float64{{{0, 0, 0}, {10, 0, 0}, {10, 0, 5}, {0, 0, 5}}}, 0)
		},
		"sloped roof": func(b *meshBuilder) {
			b.polygon([][][3]float64{{{0, 0, 5}, {10, 0, 5}, {10, 4, 8}, {0, 4, 8}}}, 0)
		},
		"ground facing down": func(b *meshBuilder) {
			b.polygon([][][3]float64{{{0, 0, 0}, {0, 4, 0}, {10, 4, 0}, {10, 0, 0}}}, 0)
		},
	}
	for name, f := range cases {
		b := newMeshBuilder(nil, nil)
		f(b)
		checkWinding(t, name, b.p)
	}
	// The wall's normal is south (glTF +z), the ground's down (glTF -y).
	b := newMeshBuilder(nil, nil)
	b.polygon([][][3]float64{{{0, 0, 0}, {10, 0, 0}, {10, 0, 5}, {0, 0, 5}}}, 0)
	if n := b.p.Normals[0]; n != [3]float32{0, 0, 1} {
		t.Errorf("south wall normal = %v, want glTF +z", n)
	}
	b = newMeshBuilder(nil, nil)
	b.polygon([][][3]float64{{{0, 0, 0}, {0, 4, 0}, {10, 4, 0}, {10, 0, 0}}}, 0)
	if n := b.p.Normals[0]; n[1] != -1 {
		t.Errorf("ground normal = %v, want glTF -y", n)
	}
}
