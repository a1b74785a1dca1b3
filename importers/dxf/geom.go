package dxf

import "math"

// Kind is the kind of an entity's geometry.
type Kind uint8

const (
	KindNone Kind = iota
	KindPoint
	KindLineString
	KindPolygon
	KindMultiPolygon
)

func (k Kind) String() string {
	switch k {
	case KindPoint:
		return "Point"
	case KindLineString:
		return "LineString"
	case KindPolygon:
		return "Polygon"
	case KindMultiPolygon:
		return "MultiPolygon"
	}
	return "None"
}

// Geometry is an entity's geometry in world coordinates (WCS, after OCS and block transforms), as flat
// x, y, z triples in the layout of go-geom: a Polygon's rings end at Ends (indexes into Coords), a
// MultiPolygon's polygons at Endss.
type Geometry struct {
	Kind   Kind
	Coords []float64
	Ends   []int
	Endss  [][]int
	// Closed: a LineString drawn closed (closed polyline, circle, closed spline, ellipse).
	Closed bool
}

// NumPoints is the number of vertices.
func (g *Geometry) NumPoints() int { return len(g.Coords) / 3 }

// Point returns vertex i.
func (g *Geometry) Point(i int) Vec { return Vec{g.Coords[3*i], g.Coords[3*i+1], g.Coords[3*i+2]} }

func (g *Geometry) add(p Vec) { g.Coords = append(g.Coords, p.X, p.Y, p.Z) }

// Vec is a 3D point or vector.
type Vec struct{ X, Y, Z float64 }

func (a Vec) add(b Vec) Vec       { return Vec{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a Vec) sub(b Vec) Vec       { return Vec{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a Vec) dot(b Vec) float64   { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a Vec) scale(f float64) Vec { return Vec{a.X * f, a.Y * f, a.Z * f} }
func (a Vec) cross(b Vec) Vec     { return Vec{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X} }
func (a Vec) length() float64     { return math.Sqrt(a.X*a.X + a.Y*a.Y + a.Z*a.Z) }
func (a Vec) isZUp() bool         { return a.X == 0 && a.Y == 0 && a.Z > 0 }
func (a Vec) normalize() Vec {
	l := a.length()
	if l == 0 {
		return Vec{0, 0, 1}
	}
	return a.scale(1 / l)
}

// Matrix is an affine transform: rows of a 3x4 matrix (the last column is the translation).
type Matrix [3][4]float64

// Identity is the identity transform.
var identity = Matrix{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}

func (m *Matrix) apply(p Vec) Vec {
	return Vec{
		m[0][0]*p.X + m[0][1]*p.Y + m[0][2]*p.Z + m[0][3],
		m[1][0]*p.X + m[1][1]*p.Y + m[1][2]*p.Z + m[1][3],
		m[2][0]*p.X + m[2][1]*p.Y + m[2][2]*p.Z + m[2][3],
	}
}

// mul returns m·n (n applied first).
func (m Matrix) mul(n Matrix) Matrix {
	var r Matrix
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			v := m[i][0]*n[0][j] + m[i][1]*n[1][j] + m[i][2]*n[2][j]
			if j == 3 {
				v += m[i][3]
			}
			r[i][j] = v
		}
	}
	return r
}

func (m *Matrix) isIdentity() bool { return *m == identity }

// ocsMatrix maps object coordinates of an entity with extrusion (normal) n to world coordinates, by
// the DXF arbitrary axis algorithm.
func ocsMatrix(n Vec) Matrix {
	n = n.normalize()
	var ax Vec
	if math.Abs(n.X) < 1.0/64 && math.Abs(n.Y) < 1.0/64 {
		ax = Vec{0, 1, 0}.cross(n)
	} else {
		ax = Vec{0, 0, 1}.cross(n)
	}
	ax = ax.normalize()
	ay := n.cross(ax).normalize()
	return Matrix{{ax.X, ay.X, n.X, 0}, {ax.Y, ay.Y, n.Y, 0}, {ax.Z, ay.Z, n.Z, 0}}
}

// maxStep is the largest angle one segment of a tessellated arc spans.
const maxStep = math.Pi / 36 // 5°

func arcSteps(sweep float64) int {
	a := math.Abs(sweep)
	if !(a <= 2*math.Pi) { // NaN, infinite or more than a turn: at most one turn
		a = 2 * math.Pi
	}
	return max(int(math.Ceil(a/maxStep)), 2)
}

// ccwSweep normalises a counter-clockwise arc from a0 to a1 (radians): the start in [0, 2π) and the
// sweep in (0, 2π].
func ccwSweep(a0, a1 float64) (float64, float64) {
	if math.IsNaN(a0) || math.IsInf(a0, 0) || math.IsNaN(a1) || math.IsInf(a1, 0) {
		return 0, 2 * math.Pi
	}
	a0 = math.Mod(a0, 2*math.Pi)
	if a0 < 0 {
		a0 += 2 * math.Pi
	}
	sweep := math.Mod(a1-a0, 2*math.Pi)
	if sweep <= 1e-12 {
		sweep += 2 * math.Pi
	}
	return a0, sweep
}

// appendArc appends the points of an arc around c (in the XY plane at height c.Z) from angle a0
// sweeping by sweep radians (positive: counter-clockwise). The start point is included when first.
func appendArc(g *Geometry, c Vec, r, a0, sweep float64, first bool) {
	n := arcSteps(sweep)
	i0 := 1
	if first {
		i0 = 0
	}
	for i := i0; i <= n; i++ {
		a := a0 + sweep*float64(i)/float64(n)
		g.add(Vec{c.X + r*math.Cos(a), c.Y + r*math.Sin(a), c.Z})
	}
}

// appendBulge appends the arc from p0 to p1 with the given bulge (tan of a quarter of the included
// angle; negative: clockwise), without p0 and with p1.
func appendBulge(g *Geometry, p0, p1 Vec, bulge float64) {
	if bulge == 0 || math.IsNaN(bulge) || math.IsInf(bulge, 0) {
		g.add(p1)
		return
	}
	dx, dy := p1.X-p0.X, p1.Y-p0.Y
	chord := math.Hypot(dx, dy)
	if chord == 0 {
		g.add(p1)
		return
	}
	theta := 4 * math.Atan(bulge) // included angle, signed
	r := chord / (2 * math.Sin(theta/2))
	// centre: from the chord midpoint along the perpendicular
	mx, my := (p0.X+p1.X)/2, (p0.Y+p1.Y)/2
	h := r * math.Cos(theta/2) // signed distance midpoint → centre
	nx, ny := -dy/chord, dx/chord
	cx, cy := mx+h*nx, my+h*ny
	a0 := math.Atan2(p0.Y-cy, p0.X-cx)
	rr := math.Hypot(p0.X-cx, p0.Y-cy)
	n := arcSteps(theta)
	for i := 1; i < n; i++ {
		a := a0 + theta*float64(i)/float64(n)
		z := p0.Z + (p1.Z-p0.Z)*float64(i)/float64(n)
		g.add(Vec{cx + rr*math.Cos(a), cy + rr*math.Sin(a), z})
	}
	g.add(p1)
}

// appendEllipse appends an elliptical arc: centre c, major axis vector maj (relative to c), ratio of
// minor to major, parameters t0..t1 (radians, counter-clockwise around normal n).
func appendEllipse(g *Geometry, c, maj, n Vec, ratio, t0, t1 float64) {
	minor := n.normalize().cross(maj).scale(ratio)
	t0, sweep := ccwSweep(t0, t1)
	steps := arcSteps(sweep)
	for i := 0; i <= steps; i++ {
		t := t0 + sweep*float64(i)/float64(steps)
		p := c.add(maj.scale(math.Cos(t))).add(minor.scale(math.Sin(t)))
		g.add(p)
	}
}

// appendSpline appends an approximation of a NURBS curve of the given degree, control points, knots
// and weights (nil: all 1), evaluated at segs points per control span.
func appendSpline(g *Geometry, degree int, ctrl []Vec, knots, weights []float64) bool {
	n := len(ctrl)
	if degree < 1 || n < degree+1 || len(knots) != n+degree+1 {
		return false
	}
	if weights != nil && len(weights) != n {
		weights = nil
	}
	lo, hi := knots[degree], knots[n]
	if !(hi > lo) {
		return false
	}
	steps := min(max(8*(n-degree), 8), 2000)
	d := make([]Vec, degree+1)
	w := make([]float64, degree+1)
	for s := 0; s <= steps; s++ {
		u := lo + (hi-lo)*float64(s)/float64(steps)
		// knot span k with knots[k] <= u < knots[k+1]
		k := degree
		for k < n-1 && u >= knots[k+1] {
			k++
		}
		for j := 0; j <= degree; j++ {
			wt := 1.0
			if weights != nil {
				wt = weights[j+k-degree]
			}
			p := ctrl[j+k-degree]
			d[j] = p.scale(wt)
			w[j] = wt
		}
		for r := 1; r <= degree; r++ {
			for j := degree; j >= r; j-- {
				den := knots[j+1+k-r] - knots[j+k-degree]
				a := 0.0
				if den != 0 {
					a = (u - knots[j+k-degree]) / den
				}
				d[j] = d[j-1].scale(1 - a).add(d[j].scale(a))
				w[j] = w[j-1]*(1-a) + w[j]*a
			}
		}
		if w[degree] == 0 {
			return false
		}
		g.add(d[degree].scale(1 / w[degree]))
	}
	return true
}

// ringArea2 is twice the signed area of ring [i0, i1) of flat coords (XY).
func ringArea2(c []float64, i0, i1 int) float64 {
	a := 0.0
	n := (i1 - i0) / 3
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		a += c[i0+3*i]*c[i0+3*j+1] - c[i0+3*j]*c[i0+3*i+1]
	}
	return a
}

// pointInRing: even-odd test of (x, y) against ring [i0, i1) of flat coords.
func pointInRing(c []float64, i0, i1 int, x, y float64) bool {
	in := false
	n := (i1 - i0) / 3
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi := c[i0+3*i], c[i0+3*i+1]
		xj, yj := c[i0+3*j], c[i0+3*j+1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// PointInPolygon reports whether (x, y) lies inside a Polygon or MultiPolygon geometry (even-odd over
// its rings).
func (g *Geometry) PointInPolygon(x, y float64) bool {
	test := func(ends []int, start int) bool {
		in := false
		i0 := start
		for _, e := range ends {
			if pointInRing(g.Coords, i0, e, x, y) {
				in = !in
			}
			i0 = e
		}
		return in
	}
	switch g.Kind {
	case KindPolygon:
		return test(g.Ends, 0)
	case KindMultiPolygon:
		start := 0
		for _, ends := range g.Endss {
			if test(ends, start) {
				return true
			}
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
	}
	return false
}

// Bounds returns the XY extent of the geometry.
func (g *Geometry) Bounds() (minX, minY, maxX, maxY float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for i := 0; i+2 < len(g.Coords); i += 3 {
		x, y := g.Coords[i], g.Coords[i+1]
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	return
}

// organizeRings turns closed rings (flat coords with ring ends) into a Polygon, or a MultiPolygon
// when several outer rings exist: a ring inside an odd number of others is a hole of the smallest
// ring containing it.
func organizeRings(coords []float64, ends []int) Geometry {
	if len(ends) <= 1 {
		return Geometry{Kind: KindPolygon, Coords: coords, Ends: ends}
	}
	type ring struct {
		i0, i1 int
		area   float64
		depth  int
		parent int
	}
	rs := make([]ring, len(ends))
	i0 := 0
	for i, e := range ends {
		rs[i] = ring{i0: i0, i1: e, area: math.Abs(ringArea2(coords, i0, e)), parent: -1}
		i0 = e
	}
	for i := range rs {
		x, y := coords[rs[i].i0], coords[rs[i].i0+1]
		best := -1
		for j := range rs {
			if i == j || rs[j].area <= rs[i].area {
				continue
			}
			if pointInRing(coords, rs[j].i0, rs[j].i1, x, y) {
				rs[i].depth++
				if best < 0 || rs[j].area < rs[best].area {
					best = j
				}
			}
		}
		rs[i].parent = best
	}
	// outer rings: even depth; holes: odd depth, attached to their parent
	var out Geometry
	out.Kind = KindMultiPolygon
	for i := range rs {
		if rs[i].depth%2 != 0 {
			continue
		}
		var ends []int
		out.Coords = append(out.Coords, coords[rs[i].i0:rs[i].i1]...)
		ends = append(ends, len(out.Coords))
		for j := range rs {
			if rs[j].depth%2 == 1 && rs[j].parent == i {
				out.Coords = append(out.Coords, coords[rs[j].i0:rs[j].i1]...)
				ends = append(ends, len(out.Coords))
			}
		}
		out.Endss = append(out.Endss, ends)
	}
	if len(out.Endss) == 1 {
		return Geometry{Kind: KindPolygon, Coords: out.Coords, Ends: out.Endss[0]}
	}
	return out
}

const piHalf = math.Pi / 2

func atan2(y, x float64) float64 { return math.Atan2(y, x) }
func cos(a float64) float64      { return math.Cos(a) }
func sin(a float64) float64      { return math.Sin(a) }
