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
	ref.attribs = attribEnts
	setRef(e, ref)
	if inBlock {
		return []*Entity{e}, nil // expanded when the enclosing block is used
	}
	return r.expand(e, identity, 0, nil)
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

// symbol: in SymbolInserts mode, a reference that carries attributes (its own ATTRIBs, or constant
// ATTDEFs of its block) or extended data stays a symbol (one point per cell).
func (r *Reader) symbol(ins *Entity, b *block) bool {
	if r.opts.Inserts != SymbolInserts {
		return false
	}
	return len(ins.XData) > 0 || len(ins.Attribs) > 0 || (b != nil && len(b.consts) > 0)
}

// expand returns what the block reference ins becomes under the transform outer: the block's entities
// (nested references expanded, transforms composed), its attributes and constant attribute
// definitions as text, once per cell of a MINSERT; or, for a symbol, one point per cell.
func (r *Reader) expand(ins *Entity, outer Matrix, depth int, count *int) ([]*Entity, error) {
	if count == nil {
		count = new(int)
	}
	if depth >= maxDepth {
		return nil, r.sc.errorf(ins.Line, "block %q: block references nested deeper than %d (a block that contains itself?)", ins.Insert.Block, maxDepth)
	}
	b := r.blocks[strings.ToUpper(ins.Insert.Block)]
	ref := ins.ref
	if ref.cols*ref.rows > maxExpanded || ref.cols*ref.rows < 0 {
		return nil, r.sc.errorf(ins.Line, "block reference %q: %d×%d copies", ins.Insert.Block, ref.cols, ref.rows)
	}
	if r.symbol(ins, b) {
		return r.symbols(ins, b, outer, count)
	}
	if b == nil {
		r.skipped["INSERT of undefined block"]++
		var out []*Entity
		for _, a := range ref.attribs {
			out = append(out, placed(a, ins, &outer, false))
		}
		return out, nil
	}
	*count++ // every reference visited counts, so that nested empty blocks cannot multiply unchecked
	if *count > maxExpanded {
		return nil, r.sc.errorf(ins.Line, "block reference %q expands into more than %d entities", ins.Insert.Block, maxExpanded)
	}
	var out []*Entity
	add := func(be *Entity, m *Matrix) error {
		*count++
		if *count > maxExpanded {
			return r.sc.errorf(ins.Line, "block reference %q expands into more than %d entities", ins.Insert.Block, maxExpanded)
		}
		out = append(out, placed(be, ins, m, b.paper))
		return nil
	}
	m0 := insertMatrix(ref, b.base, 0, 0)
	first := m0.apply(b.base)
	for c := 0; c < ref.cols; c++ {
		for w := 0; w < ref.rows; w++ {
			cell := insertMatrix(ref, b.base, c, w)
			m := outer.mul(cell)
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
					for _, s := range sub {
						if s.Block == "" && s.Insert != nil {
							s.Block = ins.Insert.Block // a nested symbol: from this block
						}
					}
					out = append(out, sub...)
					continue
				}
				if err := add(be, &m); err != nil {
					return nil, err
				}
			}
			// Constant attributes are drawn with the block; the reference's own attributes are
			// placed for its first cell and repeated with each cell's offset.
			for _, a := range b.consts {
				if a.Attribs[0].Invisible {
					continue
				}
				if err := add(a, &m); err != nil {
					return nil, err
				}
			}
			if len(ref.attribs) > 0 {
				d := cell.apply(b.base).sub(first)
				am := outer.mul(translation(d))
				for _, a := range ref.attribs {
					if err := add(a, &am); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return out, nil
}

// symbols returns one point per cell of the symbol reference ins under outer, each with the
// reference's attributes and its block's constant ones.
func (r *Reader) symbols(ins *Entity, b *block, outer Matrix, count *int) ([]*Entity, error) {
	ref := ins.ref
	var base Vec
	attribs := ins.Attribs
	if b != nil {
		base = b.base
		for _, a := range b.consts {
			if _, ok := ins.Attr(a.Attribs[0].Tag); !ok {
				attribs = append(attribs[:len(attribs):len(attribs)], a.Attribs[0])
			}
		}
	}
	var out []*Entity
	for c := 0; c < ref.cols; c++ {
		for w := 0; w < ref.rows; w++ {
			*count++
			if *count > maxExpanded {
				return nil, r.sc.errorf(ins.Line, "block reference %q expands into more than %d entities", ins.Insert.Block, maxExpanded)
			}
			m := outer.mul(insertMatrix(ref, base, c, w))
			p := m.apply(base)
			e := *ins
			e.ref = nil
			e.Attribs = attribs
			e.Geom = Geometry{Kind: KindPoint, Coords: []float64{p.X, p.Y, p.Z}}
			e.Elevation = p.Z
			in := *ins.Insert
			if !outer.isIdentity() {
				in.Rotation, in.Scale = rotationScale(&m)
			}
			e.Insert = &in
			out = append(out, &e)
		}
	}
	return out, nil
}

// rotationScale returns the world rotation (degrees) and the scale of the block axes under m (X
// negative when m mirrors).
func rotationScale(m *Matrix) (float64, Vec) {
	x := Vec{m[0][0], m[1][0], m[2][0]}
	y := Vec{m[0][1], m[1][1], m[2][1]}
	z := Vec{m[0][2], m[1][2], m[2][2]}
	s := Vec{x.length(), y.length(), z.length()}
	if x.cross(y).dot(z) < 0 {
		s.X = -s.X
		x = x.scale(-1)
	}
	return math.Atan2(x.Y, x.X) * 180 / math.Pi, s
}

func translation(d Vec) Matrix {
	return Matrix{{1, 0, 0, d.X}, {0, 1, 0, d.Y}, {0, 0, 1, d.Z}}
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
