package dxf

import "math"

// hatch reads the boundary paths of a HATCH (polyline paths with bulges, and edge paths of lines,
// circular and elliptic arcs and splines) into a Polygon or MultiPolygon in the hatch's OCS.
func (r *Reader) hatch(rec *record, e *Entity, fe *fieldErr) bool {
	elev := 0.0
	if p, ok := rec.point(10, fe); ok {
		elev = p.Z
	}
	i := rec.find(91)
	if i < 0 {
		return false
	}
	npaths := rec.intAt(i, fe)
	i++
	var coords []float64
	var ends []int
	c := &cursor{rec: rec, i: i, fe: fe}
	for p := 0; p < npaths && c.i < len(rec.tags); p++ {
		if !c.seek(92) {
			break
		}
		flags := c.int()
		var ring Geometry
		if flags&2 != 0 {
			c.polylinePath(&ring, elev)
		} else {
			c.edgePath(&ring, elev)
		}
		// skip the source boundary objects (97 count, 330 handles)
		if c.peek() == 97 {
			n := c.int()
			for k := 0; k < n && c.peek() == 330; k++ {
				c.i++
			}
		}
		if ring.NumPoints() < 3 {
			continue
		}
		// close the ring
		n := len(ring.Coords)
		if ring.Coords[0] != ring.Coords[n-3] || ring.Coords[1] != ring.Coords[n-2] {
			ring.Coords = append(ring.Coords, ring.Coords[0], ring.Coords[1], ring.Coords[2])
		}
		if ring.NumPoints() < 4 {
			continue
		}
		coords = append(coords, ring.Coords...)
		ends = append(ends, len(coords))
	}
	if len(ends) == 0 {
		// A hatch without a usable boundary: nothing to draw.
		e.Geom = Geometry{}
		return fe.line == 0
	}
	e.Geom = organizeRings(coords, ends)
	return fe.line == 0
}

// cursor walks the groups of a record in order.
type cursor struct {
	rec *record
	i   int
	fe  *fieldErr
}

func (c *cursor) peek() int {
	if c.i < len(c.rec.tags) {
		return c.rec.tags[c.i].code
	}
	return -1
}

// seek moves to the next group with code (at or after the cursor).
func (c *cursor) seek(code int) bool {
	for ; c.i < len(c.rec.tags); c.i++ {
		if c.rec.tags[c.i].code == code {
			return true
		}
	}
	return false
}

func (c *cursor) int() int {
	v := c.rec.intAt(c.i, c.fe)
	c.i++
	return v
}

func (c *cursor) float() float64 {
	v := c.rec.floatAt(c.i, c.fe)
	c.i++
	return v
}

// opt reads a group with code if it is next, else returns def.
func (c *cursor) optFloat(code int, def float64) float64 {
	if c.peek() == code {
		return c.float()
	}
	return def
}

func (c *cursor) optInt(code int, def int) int {
	if c.peek() == code {
		return c.int()
	}
	return def
}

// xy reads a 2D point whose X has code cx.
func (c *cursor) xy(cx int) (float64, float64, bool) {
	if c.peek() != cx {
		return 0, 0, false
	}
	x := c.float()
	y := 0.0
	if c.peek() == cx+10 {
		y = c.float()
	}
	return x, y, true
}

func (c *cursor) polylinePath(g *Geometry, elev float64) {
	hasBulge := c.optInt(72, 0) != 0
	closed := c.optInt(73, 1) != 0
	n := c.optInt(93, 0)
	var pts []Vec
	var bulges []float64
	for k := 0; k < n; k++ {
		x, y, ok := c.xy(10)
		if !ok {
			break
		}
		b := 0.0
		if hasBulge || c.peek() == 42 {
			b = c.optFloat(42, 0)
		}
		pts = append(pts, Vec{x, y, elev})
		bulges = append(bulges, b)
	}
	if len(pts) == 0 {
		return
	}
	polyline(g, pts, bulges, closed)
}

func (c *cursor) edgePath(g *Geometry, elev float64) {
	n := c.optInt(93, 0)
	g.Kind = KindLineString
	for k := 0; k < n; k++ {
		if !c.seekEdge() {
			return
		}
		first := len(g.Coords) == 0
		switch c.int() {
		case 1: // line
			x0, y0, _ := c.xy(10)
			x1, y1, _ := c.xy(11)
			if first {
				g.add(Vec{x0, y0, elev})
			} else if lastX, lastY := g.Coords[len(g.Coords)-3], g.Coords[len(g.Coords)-2]; lastX != x0 || lastY != y0 {
				g.add(Vec{x0, y0, elev})
			}
			g.add(Vec{x1, y1, elev})
		case 2: // circular arc
			cx, cy, _ := c.xy(10)
			rad := c.optFloat(40, 0)
			a0 := c.optFloat(50, 0) * math.Pi / 180
			a1 := c.optFloat(51, 360) * math.Pi / 180
			ccw := c.optInt(73, 1) != 0
			a0, sweep := edgeSweep(a0, a1, ccw)
			appendArc(g, Vec{cx, cy, elev}, rad, a0, sweep, true)
		case 3: // elliptic arc
			cx, cy, _ := c.xy(10)
			mx, my, _ := c.xy(11)
			ratio := c.optFloat(40, 1)
			a0 := c.optFloat(50, 0) * math.Pi / 180
			a1 := c.optFloat(51, 360) * math.Pi / 180
			ccw := c.optInt(73, 1) != 0
			maj := Vec{mx, my, 0}
			minor := Vec{-my * ratio, mx * ratio, 0}
			a0, sweep := edgeSweep(a0, a1, ccw)
			steps := arcSteps(sweep)
			for s := 0; s <= steps; s++ {
				t := a0 + sweep*float64(s)/float64(steps)
				g.add(Vec{cx + maj.X*math.Cos(t) + minor.X*math.Sin(t), cy + maj.Y*math.Cos(t) + minor.Y*math.Sin(t), elev})
			}
		case 4: // spline
			degree := c.optInt(94, 3)
			c.optInt(73, 0)
			c.optInt(74, 0)
			nk := c.optInt(95, 0)
			nc := c.optInt(96, 0)
			knots := make([]float64, 0, nk)
			for j := 0; j < nk && c.peek() == 40; j++ {
				knots = append(knots, c.float())
			}
			ctrl := make([]Vec, 0, nc)
			var weights []float64
			for j := 0; j < nc; j++ {
				x, y, ok := c.xy(10)
				if !ok {
					break
				}
				ctrl = append(ctrl, Vec{x, y, elev})
				if c.peek() == 42 {
					weights = append(weights, c.float())
				}
			}
			if !appendSpline(g, degree, ctrl, knots, weights) {
				for _, p := range ctrl {
					g.add(p)
				}
			}
			// fit data (97 count, 11/21 points, 12/22 13/23 tangents) follow in newer files
			if c.peek() == 97 {
				nf := c.int()
				for j := 0; j < nf; j++ {
					c.xy(11)
				}
				c.xy(12)
				c.xy(13)
			}
		default:
			return
		}
	}
}

// edgeSweep: the start angle and signed sweep of a hatch arc edge. Clockwise edges store their angles
// mirrored (measured clockwise).
func edgeSweep(a0, a1 float64, ccw bool) (float64, float64) {
	s, sweep := ccwSweep(a0, a1)
	if ccw {
		return s, sweep
	}
	return -s, -sweep
}

// seekEdge moves to the next edge type group (72).
func (c *cursor) seekEdge() bool {
	for ; c.i < len(c.rec.tags); c.i++ {
		switch c.rec.tags[c.i].code {
		case 72:
			return true
		case 92, 75, 76:
			return false
		}
	}
	return false
}
