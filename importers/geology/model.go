package geology

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// The stratum model. Each stratum's bottom surface is interpolated on a regular grid between the
// boreholes by inverse distance weighting (power 2) of the residuals from a least-squares plane
// ("detrended IDW"): a plane is fitted to the stratum's bottom elevations at the holes, and the
// holes' departures from it are interpolated by IDW with a search radius (at least MinNeighbours of
// the nearest holes are used where fewer lie within it). A planar boundary is reproduced exactly,
// and every surface passes through its data at the holes. The top of the model is the collars
// interpolated the same way.
//
// A stratum absent from a hole that reaches below it pinches out there: its bottom at that hole is
// the bottom of the stratum above (zero thickness). A hole that ends above a stratum gives it no
// data. Surfaces are then clamped so that none rises above the one over it (no negative
// thickness). The model covers the grid cells whose centres lie within Margin of the holes' convex
// hull.

// MinNeighbours is the fewest holes an IDW node uses.
const MinNeighbours = 4

// Hole is a borehole as the model sees it: its position in the model plane (metres east and north
// of the model's origin), its collar and its layers.
type Hole struct {
	E, N   float64
	Collar float64
	Layers []Layer // top to bottom
}

// Layer is a layer of a hole: its stratum (index into the model's strata), bottom elevation and
// where the hole crosses that bottom (metres east and north of the collar; zero for a vertical hole).
type Layer struct {
	Stratum int
	Bottom  float64
	DE, DN  float64
}

// Params are the interpolation parameters; zero values take the defaults.
type Params struct {
	Cell   float64 // grid cell, metres (default: extent/64, at least 2 m)
	Radius float64 // IDW search radius, metres (default: 3 × median nearest-hole distance, at least 50 m)
	Margin float64 // model beyond the hull, metres (default: 2 cells, at least 10 m)
	Power  float64 // IDW power (default 2)
}

// Model is the gridded stratum model.
type Model struct {
	E0, N0    float64 // grid node (0, 0)
	Cell      float64
	NX, NY    int
	Inside    []bool      // (NX-1)·(NY-1) cells, row by row from the south
	Ground    []float64   // NX·NY node elevations
	Bottoms   [][]float64 // per stratum, NX·NY node elevations of its bottom
	Hull      [][2]float64
	Footprint [][2]float64 // the hull grown by Margin (convex, counter-clockwise)
	Params    Params
	Zmin      float64
	Zmax      float64
}

// Node is the index of grid node (i, j).
func (m *Model) Node(i, j int) int { return j*m.NX + i }

// Build interpolates the model of holes over k strata.
func Build(holes []Hole, k int, p Params) *Model {
	// The collars, and where inclined holes cross the strata's bottoms, bound the model.
	collars := make([][2]float64, len(holes))
	pts := make([][2]float64, 0, len(holes))
	w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, h := range holes {
		collars[i] = [2]float64{h.E, h.N}
		pts = append(pts, collars[i])
		for _, l := range h.Layers {
			if l.DE != 0 || l.DN != 0 {
				pts = append(pts, [2]float64{h.E + l.DE, h.N + l.DN})
			}
		}
	}
	for _, q := range pts {
		w, s, e, n = min(w, q[0]), min(s, q[1]), max(e, q[0]), max(n, q[1])
	}
	if p.Power == 0 {
		p.Power = 2
	}
	if p.Cell == 0 {
		p.Cell = max(max(e-w, n-s)/64, 2)
	}
	if p.Radius == 0 {
		p.Radius = max(3*medianNearest(collars), 50)
	}
	if p.Margin == 0 {
		p.Margin = max(2*p.Cell, 10)
	}
	m := &Model{Cell: p.Cell, Params: p}
	m.E0 = math.Floor((w-p.Margin)/p.Cell) * p.Cell
	m.N0 = math.Floor((s-p.Margin)/p.Cell) * p.Cell
	m.NX = int(math.Ceil((e+p.Margin-m.E0)/p.Cell)) + 1
	m.NY = int(math.Ceil((n+p.Margin-m.N0)/p.Cell)) + 1
	m.NX, m.NY = max(m.NX, 2), max(m.NY, 2)
	m.Hull = convexHull(pts)
	var grown [][2]float64
	for _, q := range m.Hull {
		for a := range 32 {
			sa, ca := math.Sincos(float64(a) * math.Pi / 16)
			grown = append(grown, [2]float64{q[0] + p.Margin*ca, q[1] + p.Margin*sa})
		}
	}
	m.Footprint = convexHull(grown)
	m.Inside = make([]bool, (m.NX-1)*(m.NY-1))
	for j := 0; j < m.NY-1; j++ {
		for i := 0; i < m.NX-1; i++ {
			c := [2]float64{m.E0 + (float64(i)+0.5)*p.Cell, m.N0 + (float64(j)+0.5)*p.Cell}
			m.Inside[j*(m.NX-1)+i] = inHull(m.Hull, c) || distToHull(m.Hull, c) <= p.Margin
		}
	}

	// Data per surface: the collars, then each stratum's bottom at the holes that reach it.
	ground := make([]sample, len(holes))
	data := make([][]sample, k)
	for hi, h := range holes {
		ground[hi] = sample{h.E, h.N, h.Collar}
		deepest := -1
		lowest := make([]*Layer, k)
		for li, l := range h.Layers {
			deepest = max(deepest, l.Stratum)
			if lowest[l.Stratum] == nil || l.Bottom < lowest[l.Stratum].Bottom {
				lowest[l.Stratum] = &h.Layers[li]
			}
		}
		above := sample{h.E, h.N, h.Collar}
		for si := 0; si <= deepest; si++ {
			v := above // absent: pinches out here
			if l := lowest[si]; l != nil {
				v = sample{h.E + l.DE, h.N + l.DN, min(l.Bottom, above.v)}
			}
			data[si] = append(data[si], v)
			above = v
		}
	}
	m.Ground = m.interpolate(ground)
	m.Zmin, m.Zmax = math.Inf(1), math.Inf(-1)
	for _, v := range m.Ground {
		m.Zmax = max(m.Zmax, v)
	}
	prev := m.Ground
	for si := range k {
		var surf []float64
		if len(data[si]) == 0 {
			surf = slices.Clone(prev)
		} else {
			surf = m.interpolate(data[si])
		}
		for i := range surf {
			surf[i] = min(surf[i], prev[i])
			m.Zmin = min(m.Zmin, surf[i])
		}
		m.Bottoms = append(m.Bottoms, surf)
		prev = surf
	}
	if k == 0 {
		m.Zmin = m.Zmax
	}
	return m
}

type sample struct{ e, n, v float64 }

// interpolate is detrended IDW of samples at every grid node.
func (m *Model) interpolate(ss []sample) []float64 {
	a, b, c := fitPlane(ss)
	res := make([]float64, len(ss))
	for i, s := range ss {
		res[i] = s.v - (a + b*s.e + c*s.n)
	}
	out := make([]float64, m.NX*m.NY)
	type near struct {
		d2 float64
		i  int
	}
	buf := make([]near, len(ss))
	r2 := m.Params.Radius * m.Params.Radius
	half := m.Params.Power / 2
	for j := range m.NY {
		for i := range m.NX {
			e, n := m.E0+float64(i)*m.Cell, m.N0+float64(j)*m.Cell
			trend := a + b*e + c*n
			var sw, sv float64
			exact := -1
			inRadius := 0
			for k, s := range ss {
				d2 := (s.e-e)*(s.e-e) + (s.n-n)*(s.n-n)
				buf[k] = near{d2, k}
				if d2 < 1e-12 {
					exact = k
				}
				if d2 <= r2 {
					inRadius++
				}
			}
			if exact >= 0 {
				out[m.Node(i, j)] = ss[exact].v
				continue
			}
			use := buf
			if inRadius < MinNeighbours {
				use = slices.Clone(buf)
				slices.SortFunc(use, func(x, y near) int { return cmp.Compare(x.d2, y.d2) })
				use = use[:min(MinNeighbours, len(use))]
			}
			for _, nb := range use {
				if inRadius >= MinNeighbours && nb.d2 > r2 {
					continue
				}
				wgt := 1 / math.Pow(nb.d2, half)
				sw += wgt
				sv += wgt * res[nb.i]
			}
			out[m.Node(i, j)] = trend + sv/sw
		}
	}
	return out
}

// fitPlane fits v = a + b·e + c·n by least squares; with fewer than three samples or collinear ones,
// the mean (b = c = 0).
func fitPlane(ss []sample) (a, b, c float64) {
	var me, mn, mv float64
	for _, s := range ss {
		me, mn, mv = me+s.e, mn+s.n, mv+s.v
	}
	k := float64(len(ss))
	me, mn, mv = me/k, mn/k, mv/k
	if len(ss) < 3 {
		return mv, 0, 0
	}
	var see, snn, sen, sev, snv float64
	for _, s := range ss {
		de, dn, dv := s.e-me, s.n-mn, s.v-mv
		see, snn, sen, sev, snv = see+de*de, snn+dn*dn, sen+de*dn, sev+de*dv, snv+dn*dv
	}
	det := see*snn - sen*sen
	if det <= 1e-9*max(see*snn, 1) {
		return mv, 0, 0
	}
	b = (sev*snn - snv*sen) / det
	c = (snv*see - sev*sen) / det
	return mv - b*me - c*mn, b, c
}

func medianNearest(pts [][2]float64) float64 {
	if len(pts) < 2 {
		return 0
	}
	d := make([]float64, len(pts))
	for i, p := range pts {
		best := math.Inf(1)
		for j, q := range pts {
			if i != j {
				best = min(best, math.Hypot(p[0]-q[0], p[1]-q[1]))
			}
		}
		d[i] = best
	}
	sort.Float64s(d)
	return d[len(d)/2]
}

// convexHull is Andrew's monotone chain: counter-clockwise, without repeating the first point.
func convexHull(pts [][2]float64) [][2]float64 {
	p := slices.Clone(pts)
	slices.SortFunc(p, func(a, b [2]float64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	p = slices.Compact(p)
	if len(p) < 3 {
		return p
	}
	crossZ := func(o, a, b [2]float64) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	var h [][2]float64
	for _, q := range p {
		for len(h) >= 2 && crossZ(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(h) >= lower && crossZ(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h[:len(h)-1]
}

// inHull reports whether c lies inside a counter-clockwise convex polygon (of three or more points).
func inHull(h [][2]float64, c [2]float64) bool {
	if len(h) < 3 {
		return false
	}
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if (b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]) < 0 {
			return false
		}
	}
	return true
}

// distToHull is the distance from c to the hull's boundary (a point or a segment when degenerate).
func distToHull(h [][2]float64, c [2]float64) float64 {
	best := math.Inf(1)
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		best = min(best, distToSegment(c, a, b))
	}
	return best
}

func distToSegment(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

// Method describes the interpolation for the model's record (geology.model.method).
func (m *Model) Method() map[string]any {
	return map[string]any{
		"method":         "detrended IDW: least-squares plane + inverse distance weighting of the residuals",
		"power":          m.Params.Power,
		"search_radius":  m.Params.Radius,
		"min_neighbours": MinNeighbours,
		"cell":           m.Cell,
		"margin":         m.Params.Margin,
		"pinch_out":      "a stratum absent from a hole that reaches below it has zero thickness there",
	}
}
