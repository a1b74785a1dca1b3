package dxf

import (
	"bytes"
	"math"
	"strings"
)

func (r *Reader) readInsert(line int, inBlock bool) ([]*Entity, error) {
	var fe fieldErr
	e := &Entity{}
	r.common(&r.rec, e, &fe)
	ref := &insertRef{
		normal:   r.rec.extrusion(&fe),
		rotation: r.rec.float(50, 0, &fe),
		cols:     min(max(r.rec.int(70, 1, &fe), 1), maxExpanded),
		rows:     min(max(r.rec.int(71, 1, &fe), 1), maxExpanded),
		colSp:    r.rec.float(44, 0, &fe),
		rowSp:    r.rec.float(45, 0, &fe),
	}
	ref.point, _ = r.rec.point(10, &fe)
	sx := r.rec.float(41, 1, &fe)
	ref.scale = Vec{sx, r.rec.float(42, sx, &fe), r.rec.float(43, sx, &fe)}
	if !r.rec.has(42) {
		ref.scale.Y = 1
	}
	if !r.rec.has(43) {
		ref.scale.Z = 1
	}
	if !r.rec.has(41) {
		ref.scale.X = 1
	}
	name := r.dec.str(bytes.TrimSpace(r.rec.raw(2)))
	attribsFollow := r.rec.int(66, 0, &fe) == 1
	if fe.line != 0 {
		return nil, r.fieldError(fe, "INSERT")
	}
	e.Insert = &Insert{Block: name, Scale: ref.scale, Rotation: ref.rotation}
	var attribEnts []*Entity
	if attribsFollow {
		for {
			t, typ, err := r.nextRecord("INSERT", line)
			if err != nil {
				return nil, err
			}
			if typ != "ATTRIB" {
				if typ == "SEQEND" {
					if err := r.readRecord(typ, t.line); err != nil {
						return nil, err
					}
				} else {
					r.sc.unread(t) // a writer that forgot SEQEND
				}
				break
			}
			if err := r.readRecord(typ, t.line); err != nil {
				return nil, err
			}
			a, err := r.build(&r.rec)
			if err != nil {
				return nil, err
			}
			if a == nil || a.Text == nil {
				continue
			}
			flags := r.rec.int(70, 0, &fe)
			e.Attribs = append(e.Attribs, Attrib{Tag: a.Text.Tag, Value: a.Text.Value, Invisible: flags&1 != 0})
			attribEnts = append(attribEnts, a)
		}
	}
	// The insertion point in world coordinates.
	m := identity
	if !ref.normal.isZUp() {
		m = ocsMatrix(ref.normal)
	}
	wp := m.apply(ref.point)
	e.Geom = Geometry{Kind: KindPoint, Coords: []float64{wp.X, wp.Y, wp.Z}}
	e.Elevation = wp.Z
	setRef(e, ref)
	if inBlock {
		return []*Entity{e}, nil // expanded when the enclosing block is used
	}
	if r.opts.Inserts == SymbolInserts && (len(e.XData) > 0 || len(e.Attribs) > 0) {
		return []*Entity{e}, nil
	}
	out, err := r.expand(e, identity, 0, nil)
	if err != nil {
		return nil, err
	}
	if r.opts.Inserts == ExpandInserts {
		out = append(out, attribEnts...)
	}
	return out, nil
}

func setRef(e *Entity, ref *insertRef) { e.ref = ref }

// insertMatrix returns the transform of one block reference (column c, row w).
func insertMatrix(ref *insertRef, base Vec, c, w int) Matrix {
	a := ref.rotation * math.Pi / 180
	cs, sn := math.Cos(a), math.Sin(a)
	// T(point) · R(a) · T(c·colSp, w·rowSp) · S · T(-base)
	ox, oy := float64(c)*ref.colSp, float64(w)*ref.rowSp
	sx, sy, sz := ref.scale.X, ref.scale.Y, ref.scale.Z
	m := Matrix{
		{cs * sx, -sn * sy, 0, 0},
		{sn * sx, cs * sy, 0, 0},
		{0, 0, sz, 0},
	}
	// translation: point + R·(o - S·base)
	tx := ox - sx*base.X
	ty := oy - sy*base.Y
	tz := -sz * base.Z
	m[0][3] = ref.point.X + cs*tx - sn*ty
	m[1][3] = ref.point.Y + sn*tx + cs*ty
	m[2][3] = ref.point.Z + tz
	if !ref.normal.isZUp() {
		m = ocsMatrix(ref.normal).mul(m)
	}
	return m
}

// expand returns the entities of the block that ins references, transformed by outer·insert.
func (r *Reader) expand(ins *Entity, outer Matrix, depth int, count *int) ([]*Entity, error) {
	if count == nil {
		count = new(int)
	}
	if depth >= maxDepth {
		return nil, r.sc.errorf(ins.Line, "block %q: block references nested deeper than %d (a block that contains itself?)", ins.Insert.Block, maxDepth)
	}
	b := r.blocks[strings.ToUpper(ins.Insert.Block)]
	if b == nil {
		r.skipped["INSERT of undefined block"]++
		return nil, nil
	}
	ref := ins.ref
	*count++ // every reference visited counts, so that nested empty blocks cannot multiply unchecked
	if *count > maxExpanded {
		return nil, r.sc.errorf(ins.Line, "block reference %q expands into more than %d entities", ins.Insert.Block, maxExpanded)
	}
	if ref.cols*ref.rows > maxExpanded || ref.cols*ref.rows < 0 {
		return nil, r.sc.errorf(ins.Line, "block reference %q: %d×%d copies", ins.Insert.Block, ref.cols, ref.rows)
	}
	var out []*Entity
	for c := 0; c < ref.cols; c++ {
		for w := 0; w < ref.rows; w++ {
			m := outer.mul(insertMatrix(ref, b.base, c, w))
			for _, be := range b.ents {
				if be.ref != nil && be.Type == "INSERT" {
					child := *be
					if child.Layer == "0" {
						child.Layer = ins.Layer
					}
					sub, err := r.expand(&child, m, depth+1, count)
					if err != nil {
						return nil, err
					}
					out = append(out, sub...)
					continue
				}
				*count++
				if *count > maxExpanded {
					return nil, r.sc.errorf(ins.Line, "block reference %q expands into more than %d entities", ins.Insert.Block, maxExpanded)
				}
				out = append(out, placed(be, ins, &m, b.paper))
			}
		}
	}
	return out, nil
}

// placed copies a block entity into the drawing through m.
func placed(be, ins *Entity, m *Matrix, paper bool) *Entity {
	e := *be
	e.Line = ins.Line
	e.Block = ins.Insert.Block
	e.PaperSpace = ins.PaperSpace || paper || be.PaperSpace
	if e.Layer == "0" {
		e.Layer = ins.Layer
	}
	e.ref = nil
	e.Geom.Coords = append([]float64(nil), be.Geom.Coords...)
	transform(&e.Geom, m)
	if len(e.Geom.Coords) >= 3 {
		e.Elevation = e.Geom.Coords[2]
	}
	if be.Text != nil {
		t := *be.Text
		a := t.Rotation * math.Pi / 180
		d := Vec{math.Cos(a), math.Sin(a), 0}
		up := Vec{-math.Sin(a), math.Cos(a), 0}
		wd := Vec{m[0][0]*d.X + m[0][1]*d.Y, m[1][0]*d.X + m[1][1]*d.Y, m[2][0]*d.X + m[2][1]*d.Y}
		wu := Vec{m[0][0]*up.X + m[0][1]*up.Y, m[1][0]*up.X + m[1][1]*up.Y, m[2][0]*up.X + m[2][1]*up.Y}
		t.Rotation = math.Atan2(wd.Y, wd.X) * 180 / math.Pi
		t.Height *= wu.length()
		e.Text = &t
	}
	return &e
}

func (r *Reader) expandDimension(e *Entity, inBlock bool) ([]*Entity, error) {
	if inBlock || e.Insert.Block == "" {
		return nil, nil
	}
	e.ref = &insertRef{normal: Vec{0, 0, 1}, scale: Vec{1, 1, 1}, cols: 1, rows: 1}
	b := r.blocks[strings.ToUpper(e.Insert.Block)]
	if b != nil {
		// dimension blocks are drawn in world coordinates: cancel the block base
		e.ref.point = b.base
	}
	return r.expand(e, identity, 0, nil)
}
