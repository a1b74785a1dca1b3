package twin

import (
	"math"

	"github.com/yitu-gis/yitu/twin/glb"
)

// meshBuilder accumulates one glb primitive: flat-shaded triangles in local east-north-up metres,
// each vertex tagged with the feature id (row of the tile's property table) it belongs to.
type meshBuilder struct {
	p *glb.Primitive
}

func newMeshBuilder(mat *glb.Material, table *glb.PropertyTable) *meshBuilder {
	return &meshBuilder{p: &glb.Primitive{Material: mat, Table: table, Indices: []uint32{}}}
}

func (b *meshBuilder) empty() bool { return len(b.p.Positions) == 0 }

// vertex adds one vertex (ENU metres, ENU normal) and returns its index.
func (b *meshBuilder) vertex(v, n [3]float64, fid uint32) uint32 {
	b.p.Positions = append(b.p.Positions, glb.YUp(v[0], v[1], v[2]))
	b.p.Normals = append(b.p.Normals, glb.YUp(n[0], n[1], n[2]))
	b.p.FeatureIDs = append(b.p.FeatureIDs, fid)
	return uint32(len(b.p.Positions) - 1)
}

// quad adds a flat quadrilateral a b c d (counter-clockwise seen from the side its normal points to).
func (b *meshBuilder) quad(a, bb, c, d, n [3]float64, fid uint32) {
	i := b.vertex(a, n, fid)
	b.vertex(bb, n, fid)
	b.vertex(c, n, fid)
	b.vertex(d, n, fid)
	b.p.Indices = append(b.p.Indices, i, i+1, i+2, i, i+2, i+3)
}

// extrude adds a prism over a footprint (exterior ring then holes, open rings of ENU points on the
// ground) rising height metres: walls with outward normals and a flat roof. The floor is left out
// (nobody sees it from above, and it would add a third of the bytes).
func (b *meshBuilder) extrude(rings [][][3]float64, height float64, fid uint32) {
	if height <= 0 || len(rings) == 0 || len(rings[0]) < 3 {
		return
	}
	var pts [][2]float64
	var roof [][3]float64
	var idx [][]int
	for k, r := range rings {
		if len(r) < 3 {
			continue
		}
		// Exterior counter-clockwise, holes clockwise: then (dy, -dx) points out of the solid.
		ccw := ringArea3(r) > 0
		if ccw != (k == 0) {
			r = reversed(r)
		}
		ring := make([]int, len(r))
		for i, p := range r {
			q := r[(i+1)%len(r)]
			dx, dy := q[0]-p[0], q[1]-p[1]
			pt, qt := [3]float64{p[0], p[1], p[2] + height}, [3]float64{q[0], q[1], q[2] + height}
			if l := math.Hypot(dx, dy); l > 1e-9 {
				b.quad(p, q, qt, pt, [3]float64{dy / l, -dx / l, 0}, fid)
			}
			ring[i] = len(pts)
			pts = append(pts, [2]float64{p[0], p[1]})
			roof = append(roof, pt)
		}
		idx = append(idx, ring)
	}
	tris := triangulate(pts, idx)
	up := [3]float64{0, 0, 1}
	base := uint32(len(b.p.Positions))
	for _, p := range roof {
		b.vertex(p, up, fid)
	}
	for _, t := range tris {
		b.p.Indices = append(b.p.Indices, base+uint32(t))
	}
}

// ringArea3 is the signed area of a ring's projection on the horizontal plane.
func ringArea3(r [][3]float64) float64 {
	var a float64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// newell returns the unit normal of a 3D ring by Newell's method (zero for a degenerate ring).
func newell(r [][3]float64) [3]float64 {
	var n [3]float64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		n[0] += (p[1] - q[1]) * (p[2] + q[2])
		n[1] += (p[2] - q[2]) * (p[0] + q[0])
		n[2] += (p[0] - q[0]) * (p[1] + q[1])
	}
	l := math.Sqrt(dot(n, n))
	if l == 0 {
		return n
	}
	return [3]float64{n[0] / l, n[1] / l, n[2] / l}
}

// polygon adds a planar 3D polygon (exterior then holes, open rings in ENU metres), facing the side
// its exterior ring turns counter-clockwise around (the GML convention: outward for solids).
func (b *meshBuilder) polygon(rings [][][3]float64, fid uint32) { b.texturedPolygon(rings, nil, fid) }

// texturedPolygon is polygon with texture coordinates per ring point (origin bottom left, as CityGML
// and CityJSON give them); uv nil: none.
func (b *meshBuilder) texturedPolygon(rings [][][3]float64, uv [][][2]float64, fid uint32) {
	if len(rings) == 0 || len(rings[0]) < 3 {
		return
	}
	if uv != nil {
		if len(uv) != len(rings) {
			return
		}
		for i := range rings {
			if len(uv[i]) != len(rings[i]) {
				return
			}
		}
	}
	n := newell(rings[0])
	if n == ([3]float64{}) {
		return
	}
	// Project on the plane of the two axes least aligned with the normal, keeping orientation.
	ax, ay := 0, 1
	switch {
	case math.Abs(n[0]) >= math.Abs(n[1]) && math.Abs(n[0]) >= math.Abs(n[2]):
		ax, ay = 1, 2
	case math.Abs(n[1]) >= math.Abs(n[2]):
		ax, ay = 2, 0
	}
	var pts2 [][2]float64
	var pts3 [][3]float64
	var idx [][]int
	for _, r := range rings {
		ring := make([]int, len(r))
		for i, p := range r {
			ring[i] = len(pts2)
			pts2 = append(pts2, [2]float64{p[ax], p[ay]})
			pts3 = append(pts3, p)
		}
		idx = append(idx, ring)
	}
	tris := triangulate(pts2, idx)
	// triangulate returns counter-clockwise triangles in the projection; flip them when the normal
	// points down the dropped axis.
	drop := 3 - ax - ay
	flip := n[drop] < 0
	base := uint32(len(b.p.Positions))
	for _, p := range pts3 {
		b.vertex(p, n, fid)
	}
	for _, r := range uv {
		for _, t := range r {
			b.p.UVs = append(b.p.UVs, [2]float32{float32(t[0]), float32(1 - t[1])})
		}
	}
	for k := 0; k+2 < len(tris); k += 3 {
		i, j, l := uint32(tris[k]), uint32(tris[k+1]), uint32(tris[k+2])
		if flip {
			j, l = l, j
		}
		b.p.Indices = append(b.p.Indices, base+i, base+j, base+l)
	}
}

// frameAlong returns two unit vectors perpendicular to direction d: u horizontal, v "up-ish".
func frameAlong(d [3]float64) (u, v [3]float64) {
	l := math.Sqrt(dot(d, d))
	d = [3]float64{d[0] / l, d[1] / l, d[2] / l}
	u = cross(d, [3]float64{0, 0, 1})
	if lu := math.Sqrt(dot(u, u)); lu < 1e-6 { // vertical: any horizontal axis
		u = [3]float64{1, 0, 0}
	} else {
		u = [3]float64{u[0] / lu, u[1] / lu, u[2] / lu}
	}
	v = cross(u, d)
	return u, v
}

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func add3(a, b [3]float64, s float64) [3]float64 {
	return [3]float64{a[0] + b[0]*s, a[1] + b[1]*s, a[2] + b[2]*s}
}

func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// tube adds a closed cylinder of the given radius along the segment a→b (a pipe).
func (b *meshBuilder) tube(a, c [3]float64, radius float64, sides int, fid uint32) {
	d := sub3(c, a)
	if dot(d, d) < 1e-12 || radius <= 0 {
		return
	}
	u, v := frameAlong(d)
	base := uint32(len(b.p.Positions))
	for k := range sides {
		θ := 2 * math.Pi * float64(k) / float64(sides)
		s, co := math.Sincos(θ)
		n := add3([3]float64{u[0] * co, u[1] * co, u[2] * co}, v, s)
		b.vertex(add3(a, n, radius), n, fid)
		b.vertex(add3(c, n, radius), n, fid)
	}
	for k := range uint32(sides) {
		k2 := (k + 1) % uint32(sides)
		a0, a1 := base+2*k, base+2*k+1
		b0, b1 := base+2*k2, base+2*k2+1
		// Counter-clockwise seen from outside.
		b.p.Indices = append(b.p.Indices, a0, a1, b1, a0, b1, b0)
	}
	l := math.Sqrt(dot(d, d))
	dir := [3]float64{d[0] / l, d[1] / l, d[2] / l}
	b.disc(a, u, v, radius, sides, [3]float64{-dir[0], -dir[1], -dir[2]}, fid)
	b.disc(c, u, v, radius, sides, dir, fid)
}

// disc adds a regular polygon around centre in the plane of u, v, facing n.
func (b *meshBuilder) disc(centre, u, v [3]float64, radius float64, sides int, n [3]float64, fid uint32) {
	base := uint32(len(b.p.Positions))
	for k := range sides {
		θ := 2 * math.Pi * float64(k) / float64(sides)
		s, co := math.Sincos(θ)
		p := add3(add3(centre, u, radius*co), v, radius*s)
		b.vertex(p, n, fid)
	}
	// The fan turns counter-clockwise around u × v; wind it the other way when n points opposite.
	facing := dot(cross(u, v), n) > 0
	for k := 1; k+1 < sides; k++ {
		i, j := base+uint32(k), base+uint32(k+1)
		if facing {
			b.p.Indices = append(b.p.Indices, base, i, j)
		} else {
			b.p.Indices = append(b.p.Indices, base, j, i)
		}
	}
}

// duct adds a box of width × height (metres) centred on the segment a→c (a rectangular conduit).
func (b *meshBuilder) duct(a, c [3]float64, width, height float64, fid uint32) {
	d := sub3(c, a)
	if dot(d, d) < 1e-12 || width <= 0 || height <= 0 {
		return
	}
	u, v := frameAlong(d)
	hw, hh := width/2, height/2
	corner := func(p [3]float64, su, sv float64) [3]float64 { return add3(add3(p, u, su*hw), v, sv*hh) }
	l := math.Sqrt(dot(d, d))
	dir := [3]float64{d[0] / l, d[1] / l, d[2] / l}
	neg := func(x [3]float64) [3]float64 { return [3]float64{-x[0], -x[1], -x[2]} }
	// Sides: +u, +v, -u, -v, each counter-clockwise from outside.
	b.quad(corner(a, 1, -1), corner(c, 1, -1), corner(c, 1, 1), corner(a, 1, 1), u, fid)
	b.quad(corner(a, 1, 1), corner(c, 1, 1), corner(c, -1, 1), corner(a, -1, 1), v, fid)
	b.quad(corner(a, -1, 1), corner(c, -1, 1), corner(c, -1, -1), corner(a, -1, -1), neg(u), fid)
	b.quad(corner(a, -1, -1), corner(c, -1, -1), corner(c, 1, -1), corner(a, 1, -1), neg(v), fid)
	// Ends.
	b.quad(corner(a, 1, -1), corner(a, 1, 1), corner(a, -1, 1), corner(a, -1, -1), neg(dir), fid)
	b.quad(corner(c, -1, -1), corner(c, -1, 1), corner(c, 1, 1), corner(c, 1, -1), dir, fid)
}

// well adds a vertical closed cylinder standing on bottom (a manhole or inspection well).
func (b *meshBuilder) well(bottom [3]float64, radius, depth float64, sides int, fid uint32) {
	b.tube(bottom, add3(bottom, [3]float64{0, 0, 1}, depth), radius, sides, fid)
}
