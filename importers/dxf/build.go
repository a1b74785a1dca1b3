package dxf

import (
	"bytes"
	"io"
	"math"
)

// textValue decodes a text entity's string: code page and escapes, carets, %% codes.
func (r *Reader) textValue(b []byte) string {
	return textSpecials(decodeCarets(r.dec.str(b)))
}

// build turns a record into an entity (nil for types that carry no geometry).
func (r *Reader) build(rec *record) (*Entity, error) {
	var fe fieldErr
	e := &Entity{}
	r.common(rec, e, &fe)
	n := rec.extrusion(&fe)
	ocs := identity
	if !n.isZUp() {
		ocs = ocsMatrix(n)
	}
	g := &e.Geom
	switch rec.typ {
	case "POINT":
		p, _ := rec.point(10, &fe)
		g.Kind = KindPoint
		g.add(p) // POINT is in WCS
	case "LINE":
		p0, _ := rec.point(10, &fe)
		p1, _ := rec.point(11, &fe)
		g.Kind = KindLineString
		g.add(p0)
		g.add(p1)
	case "LWPOLYLINE":
		elev := rec.float(38, 0, &fe)
		e.Elevation = elev
		flags := rec.int(70, 0, &fe)
		var pts []Vec
		var bulges []float64
		for i := range rec.tags {
			switch rec.tags[i].code {
			case 10:
				pts = append(pts, Vec{X: rec.floatAt(i, &fe), Z: elev})
				bulges = append(bulges, 0)
			case 20:
				if len(pts) > 0 {
					pts[len(pts)-1].Y = rec.floatAt(i, &fe)
				}
			case 42:
				if len(bulges) > 0 {
					bulges[len(bulges)-1] = rec.floatAt(i, &fe)
				}
			}
		}
		if len(pts) == 0 {
			return nil, r.errIf(fe, rec.typ)
		}
		polyline(g, pts, bulges, flags&1 != 0)
		transform(g, &ocs)
	case "CIRCLE", "ARC":
		c, _ := rec.point(10, &fe)
		rad := rec.float(40, 0, &fe)
		g.Kind = KindLineString
		if rec.typ == "CIRCLE" {
			appendArc(g, c, rad, 0, 2*math.Pi, true)
			g.Closed = true
		} else {
			a0, sweep := ccwSweep(rec.float(50, 0, &fe)*math.Pi/180, rec.float(51, 360, &fe)*math.Pi/180)
			appendArc(g, c, rad, a0, sweep, true)
		}
		transform(g, &ocs)
	case "ELLIPSE":
		c, _ := rec.point(10, &fe)
		maj, _ := rec.point(11, &fe)
		ratio := rec.float(40, 1, &fe)
		t0 := rec.float(41, 0, &fe)
		t1 := rec.float(42, 2*math.Pi, &fe)
		g.Kind = KindLineString
		appendEllipse(g, c, maj, n, ratio, t0, t1)
		_, sweep := ccwSweep(t0, t1)
		g.Closed = sweep > 2*math.Pi-1e-9
	case "SPLINE":
		if !r.spline(rec, g, &fe) {
			return nil, r.errIf(fe, rec.typ)
		}
	case "TEXT", "ATTRIB", "ATTDEF":
		p, _ := rec.point(10, &fe)
		hj := rec.int(72, 0, &fe)
		vj := rec.int(73, 0, &fe)
		if rec.typ != "TEXT" {
			vj = rec.int(74, 0, &fe)
		}
		if (hj != 0 || vj != 0) && hj != 3 && hj != 5 {
			if p2, ok := rec.point(11, &fe); ok {
				p = p2
			}
		}
		g.Kind = KindPoint
		g.add(p)
		transform(g, &ocs)
		e.Text = &Text{
			Value:    r.textValue(rec.raw(1)),
			Height:   rec.float(40, 0, &fe),
			Rotation: textAngle(&ocs, rec.float(50, 0, &fe)),
			Style:    r.dec.str(rec.raw(7)),
		}
		if rec.typ != "TEXT" {
			e.Text.Tag = r.dec.str(bytes.TrimSpace(rec.raw(2)))
		}
	case "MTEXT":
		p, _ := rec.point(10, &fe)
		g.Kind = KindPoint
		g.add(p) // MTEXT is in WCS
		var raw []byte
		for i := range rec.tags {
			if c := rec.tags[i].code; c == 3 {
				raw = append(raw, rec.val(i)...)
			}
		}
		raw = append(raw, rec.raw(1)...)
		rot := rec.float(50, 0, &fe)
		if d, ok := rec.point(11, &fe); ok && (d.X != 0 || d.Y != 0) {
			rot = math.Atan2(d.Y, d.X) * 180 / math.Pi
		} else {
			rot = textAngle(&ocs, rot)
		}
		e.Text = &Text{
			Value:    textSpecials(PlainMText(decodeCarets(r.dec.str(raw)))),
			Height:   rec.float(40, 0, &fe),
			Rotation: rot,
			Style:    r.dec.str(rec.raw(7)),
		}
	case "SOLID", "TRACE", "3DFACE":
		var pts [4]Vec
		for k, code := range [4]int{10, 11, 12, 13} {
			pts[k], _ = rec.point(code, &fe)
		}
		if !rec.has(13) {
			pts[3] = pts[2]
		}
		order := [4]int{0, 1, 2, 3}
		if rec.typ != "3DFACE" {
			order = [4]int{0, 1, 3, 2}
		}
		g.Kind = KindPolygon
		var last Vec
		for k, i := range order {
			if k > 0 && pts[i] == last {
				continue
			}
			g.add(pts[i])
			last = pts[i]
		}
		g.add(pts[order[0]])
		g.Ends = []int{len(g.Coords)}
		if rec.typ != "3DFACE" {
			transform(g, &ocs)
		}
	case "LEADER":
		g.Kind = KindLineString
		for i := range rec.tags {
			if rec.tags[i].code == 10 {
				g.add(rec.pointAt(i, &fe))
			}
		}
	case "HATCH":
		if !r.hatch(rec, e, &fe) {
			return nil, r.errIf(fe, rec.typ)
		}
		transform(g, &ocs)
	case "DIMENSION":
		// expanded from its anonymous block by the caller
		e.Insert = &Insert{Block: r.dec.str(bytes.TrimSpace(rec.raw(2))), Scale: Vec{1, 1, 1}}
		return e, r.errIf(fe, rec.typ)
	default:
		r.skipped[rec.typ]++
		return nil, nil
	}
	if fe.line != 0 {
		return nil, r.fieldError(fe, rec.typ)
	}
	if g.Kind == KindNone || len(g.Coords) == 0 {
		return nil, nil
	}
	if rec.typ != "LWPOLYLINE" {
		e.Elevation = g.Coords[2]
	}
	return e, nil
}

func (r *Reader) errIf(fe fieldErr, typ string) error {
	if fe.line != 0 {
		return r.fieldError(fe, typ)
	}
	return nil
}

// textAngle turns a rotation in the entity's OCS (degrees) into a world angle.
func textAngle(ocs *Matrix, deg float64) float64 {
	if ocs.isIdentity() {
		return deg
	}
	a := deg * math.Pi / 180
	d := Vec{math.Cos(a), math.Sin(a), 0}
	w := Vec{ocs[0][0]*d.X + ocs[0][1]*d.Y, ocs[1][0]*d.X + ocs[1][1]*d.Y, 0}
	return math.Atan2(w.Y, w.X) * 180 / math.Pi
}

func transform(g *Geometry, m *Matrix) {
	if m.isIdentity() {
		return
	}
	for i := 0; i+2 < len(g.Coords); i += 3 {
		p := m.apply(Vec{g.Coords[i], g.Coords[i+1], g.Coords[i+2]})
		g.Coords[i], g.Coords[i+1], g.Coords[i+2] = p.X, p.Y, p.Z
	}
}

// polyline builds a (closed) line string from vertices and bulges.
func polyline(g *Geometry, pts []Vec, bulges []float64, closed bool) {
	g.Kind = KindLineString
	g.Closed = closed
	g.add(pts[0])
	for i := 1; i < len(pts); i++ {
		appendBulge(g, pts[i-1], pts[i], bulges[i-1])
	}
	if closed && len(pts) > 1 {
		appendBulge(g, pts[len(pts)-1], pts[0], bulges[len(pts)-1])
	}
}

// nextRecord reads up to the next "0" group inside the sequence of an owner (a POLYLINE's VERTEXes,
// an INSERT's ATTRIBs) that started at line, and returns it with its record type.
func (r *Reader) nextRecord(owner string, line int) (tag, string, error) {
	t, typ, err := r.nextZero()
	if err == io.EOF {
		err = r.sc.errorf(r.sc.line, "file ends inside the %s that starts at line %d (truncated file?)", owner, line)
	}
	return t, typ, err
}

type vertex struct {
	p     Vec
	bulge float64
	flags int
	face  [4]int
}

func (r *Reader) readPolyline(line int) ([]*Entity, error) {
	var fe fieldErr
	e := &Entity{}
	r.common(&r.rec, e, &fe)
	flags := r.rec.int(70, 0, &fe)
	base, _ := r.rec.point(10, &fe)
	n := r.rec.extrusion(&fe)
	if fe.line != 0 {
		return nil, r.fieldError(fe, "POLYLINE")
	}
	var verts []vertex
	for {
		t, typ, err := r.nextRecord("POLYLINE", line)
		if err != nil {
			return nil, err
		}
		if typ != "VERTEX" {
			if err := r.readRecord(typ, t.line); err != nil {
				return nil, err
			}
			if typ != "SEQEND" {
				return nil, r.sc.errorf(t.line, "POLYLINE that starts at line %d ends without SEQEND (found %s)", line, typ)
			}
			break
		}
		if err := r.readRecord(typ, t.line); err != nil {
			return nil, err
		}
		v := vertex{}
		v.p, _ = r.rec.point(10, &fe)
		v.bulge = r.rec.float(42, 0, &fe)
		v.flags = r.rec.int(70, 0, &fe)
		for k, code := range [4]int{71, 72, 73, 74} {
			v.face[k] = r.rec.int(code, 0, &fe)
		}
		if fe.line != 0 {
			return nil, r.fieldError(fe, "VERTEX")
		}
		verts = append(verts, v)
	}
	g := &e.Geom
	switch {
	case flags&64 != 0: // polyface mesh: faces become polygons
		var pts []Vec
		for _, v := range verts {
			if v.flags&64 != 0 || (v.flags&128 == 0) {
				pts = append(pts, v.p)
			}
		}
		g.Kind = KindMultiPolygon
		for _, v := range verts {
			if v.flags&128 == 0 || v.flags&64 != 0 {
				continue
			}
			start := len(g.Coords)
			for _, idx := range v.face {
				if idx == 0 {
					continue
				}
				if idx < 0 {
					idx = -idx
				}
				if idx > len(pts) {
					continue
				}
				g.add(pts[idx-1])
			}
			if (len(g.Coords)-start)/3 >= 3 {
				g.Coords = append(g.Coords, g.Coords[start], g.Coords[start+1], g.Coords[start+2])
				g.Endss = append(g.Endss, []int{len(g.Coords)})
			} else {
				g.Coords = g.Coords[:start]
			}
		}
		if len(g.Endss) == 0 {
			return nil, nil
		}
		e.Elevation = g.Coords[2]
		return []*Entity{e}, nil
	case flags&16 != 0: // polygon mesh: kept as its vertex line
	}
	var pts []Vec
	var bulges []float64
	is3D := flags&(8|16) != 0
	for _, v := range verts {
		if v.flags&16 != 0 { // spline frame control point
			continue
		}
		p := v.p
		if !is3D {
			p.Z = base.Z
		}
		pts = append(pts, p)
		bulges = append(bulges, v.bulge)
	}
	if len(pts) == 0 {
		return nil, nil
	}
	if is3D {
		for i := range bulges {
			bulges[i] = 0
		}
	}
	polyline(g, pts, bulges, flags&1 != 0)
	if !is3D {
		e.Elevation = base.Z
		if !n.isZUp() {
			m := ocsMatrix(n)
			transform(g, &m)
		}
	} else {
		e.Elevation = g.Coords[2]
	}
	return []*Entity{e}, nil
}
