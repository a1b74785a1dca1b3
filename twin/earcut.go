package twin

import (
	"cmp"
	"math"
	"slices"
)

// Polygon triangulation by ear clipping with hole bridging (after the approach of Mapbox's earcut).
// It never fails: a ring it cannot clip cleanly (self-intersecting input) is finished as a fan, so
// bad survey data still draws.

type ecNode struct {
	i          int     // vertex index in the caller's point list
	x, y       float64 // coordinates
	prev, next *ecNode
}

// triangulate returns triangles (indices into pts) covering the polygon whose rings are given as
// index ranges into pts: rings[0] is the exterior, the rest holes. Rings are open (first point not
// repeated); orientation does not matter.
func triangulate(pts [][2]float64, rings [][]int) []int {
	if len(rings) == 0 || len(rings[0]) < 3 {
		return nil
	}
	outer := ecRing(pts, rings[0], true)
	if outer == nil {
		return nil
	}
	if len(rings) > 1 {
		outer = eliminateHoles(pts, rings[1:], outer)
	}
	var tris []int
	earcutLinked(outer, &tris)
	return tris
}

// ecRing makes a circular list of the ring, oriented as earcut wants an outer ring (outer) or a hole,
// without repeated or collinear points; nil when fewer than three points remain.
func ecRing(pts [][2]float64, ring []int, outer bool) *ecNode {
	var area float64
	for k := range ring {
		a, b := pts[ring[k]], pts[ring[(k+1)%len(ring)]]
		area += (b[0] - a[0]) * (b[1] + a[1])
	}
	var last *ecNode
	add := func(i int) {
		n := &ecNode{i: i, x: pts[i][0], y: pts[i][1]}
		if last == nil {
			n.prev, n.next = n, n
		} else {
			n.next, n.prev = last.next, last
			last.next.prev = n
			last.next = n
		}
		last = n
	}
	if (area < 0) == outer {
		for _, i := range ring {
			add(i)
		}
	} else {
		for k := len(ring) - 1; k >= 0; k-- {
			add(ring[k])
		}
	}
	r := filterPoints(last, nil)
	if r == nil || r.next == r || r.next.next == r {
		return nil
	}
	return r
}

func ecEquals(a, b *ecNode) bool { return a.x == b.x && a.y == b.y }

// area2 is twice the signed area of triangle pqr (negative: counter-clockwise in earcut's convention).
func area2(p, q, r *ecNode) float64 { return (q.y-p.y)*(r.x-q.x) - (q.x-p.x)*(r.y-q.y) }

func removeNode(n *ecNode) {
	n.next.prev = n.prev
	n.prev.next = n.next
}

// filterPoints removes duplicate and collinear points between start and end.
func filterPoints(start, end *ecNode) *ecNode {
	if start == nil {
		return nil
	}
	if end == nil {
		end = start
	}
	p := start
	for {
		again := false
		if ecEquals(p, p.next) || area2(p.prev, p, p.next) == 0 {
			removeNode(p)
			p, end = p.prev, p.prev
			if p == p.next {
				break
			}
			again = true
		} else {
			p = p.next
		}
		if !again && p == end {
			break
		}
	}
	return end
}

func earcutLinked(ear *ecNode, tris *[]int) {
	if ear == nil {
		return
	}
	stop := ear
	pass := 0
	for ear.prev != ear.next {
		prev, next := ear.prev, ear.next
		if isEar(ear) {
			*tris = append(*tris, prev.i, ear.i, next.i)
			removeNode(ear)
			ear = next.next
			stop = next.next
			continue
		}
		ear = next
		if ear == stop {
			pass++
			if pass > 1 { // nothing clips: finish with a fan (self-intersecting input)
				first := ear
				for p := first.next; p.next != first; p = p.next {
					*tris = append(*tris, first.i, p.i, p.next.i)
				}
				return
			}
			ear = filterPoints(ear, nil)
			if ear == nil {
				return
			}
			stop = ear
		}
	}
}

// isEar: the corner at ear is convex and no reflex vertex lies inside it.
func isEar(ear *ecNode) bool {
	a, b, c := ear.prev, ear, ear.next
	if area2(a, b, c) >= 0 {
		return false // reflex
	}
	for p := c.next; p != a; p = p.next {
		if p.x == a.x && p.y == a.y {
			continue
		}
		if inTriangle(a, b, c, p) && area2(p.prev, p, p.next) >= 0 {
			return false
		}
	}
	return true
}

func inTriangle(a, b, c, p *ecNode) bool {
	return (c.x-p.x)*(a.y-p.y) >= (a.x-p.x)*(c.y-p.y) &&
		(a.x-p.x)*(b.y-p.y) >= (b.x-p.x)*(a.y-p.y) &&
		(b.x-p.x)*(c.y-p.y) >= (c.x-p.x)*(b.y-p.y)
}

// eliminateHoles links every hole into the outer ring through a bridge, leftmost holes first.
func eliminateHoles(pts [][2]float64, holes [][]int, outer *ecNode) *ecNode {
	var queue []*ecNode
	for _, h := range holes {
		if len(h) < 3 {
			continue
		}
		list := ecRing(pts, h, false)
		if list == nil {
			continue
		}
		queue = append(queue, leftmost(list))
	}
	slices.SortFunc(queue, func(a, b *ecNode) int { return cmp.Compare(a.x, b.x) })
	for _, h := range queue {
		outer = eliminateHole(h, outer)
	}
	return outer
}

func leftmost(start *ecNode) *ecNode {
	best := start
	for p := start.next; p != start; p = p.next {
		if p.x < best.x || p.x == best.x && p.y < best.y {
			best = p
		}
	}
	return best
}

func eliminateHole(hole, outer *ecNode) *ecNode {
	bridge := findHoleBridge(hole, outer)
	if bridge == nil {
		return outer
	}
	b := splitPolygon(bridge, hole)
	filterPoints(b, b.next)
	return filterPoints(bridge, bridge.next)
}

// findHoleBridge finds a vertex of the outer ring visible from the hole's leftmost point (David
// Eberly's algorithm).
func findHoleBridge(hole, outer *ecNode) *ecNode {
	p := outer
	hx, hy := hole.x, hole.y
	qx := math.Inf(-1)
	var m *ecNode
	for {
		if hy <= p.y && hy >= p.next.y && p.next.y != p.y {
			x := p.x + (hy-p.y)*(p.next.x-p.x)/(p.next.y-p.y)
			if x <= hx && x > qx {
				qx = x
				m = p.next
				if p.x < p.next.x {
					m = p
				}
				if x == hx {
					return m
				}
			}
		}
		p = p.next
		if p == outer {
			break
		}
	}
	if m == nil {
		return nil
	}
	stop := m
	mx, my := m.x, m.y
	tanMin := math.Inf(1)
	p = m
	for {
		if hx >= p.x && p.x >= mx && hx != p.x {
			var a, b, c ecNode
			if hy < my {
				a, b, c = ecNode{x: hx, y: hy}, ecNode{x: mx, y: my}, ecNode{x: qx, y: hy}
			} else {
				a, b, c = ecNode{x: qx, y: hy}, ecNode{x: mx, y: my}, ecNode{x: hx, y: hy}
			}
			if inTriangle(&a, &b, &c, p) {
				tan := math.Abs(hy-p.y) / (hx - p.x)
				if locallyInside(p, hole) && (tan < tanMin || tan == tanMin && (p.x > m.x || p.x == m.x && sectorContainsSector(m, p))) {
					m = p
					tanMin = tan
				}
			}
		}
		p = p.next
		if p == stop {
			break
		}
	}
	return m
}

func sectorContainsSector(m, p *ecNode) bool {
	return area2(m.prev, m, p.prev) < 0 && area2(p.next, m, m.next) < 0
}

func locallyInside(a, b *ecNode) bool {
	if area2(a.prev, a, a.next) < 0 {
		return area2(a, b, a.next) >= 0 && area2(a, a.prev, b) >= 0
	}
	return area2(a, b, a.prev) < 0 || area2(a, a.next, b) < 0
}

// splitPolygon links a and b with a double edge, returning the copy of b on the new side.
func splitPolygon(a, b *ecNode) *ecNode {
	a2 := &ecNode{i: a.i, x: a.x, y: a.y}
	b2 := &ecNode{i: b.i, x: b.x, y: b.y}
	an, bp := a.next, b.prev
	a.next, b.prev = b, a
	a2.next, an.prev = an, a2
	b2.next, a2.prev = a2, b2
	bp.next, b2.prev = b2, bp
	return b2
}
