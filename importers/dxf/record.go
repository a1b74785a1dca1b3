package dxf

import "math"

// record holds the groups of one DXF record (an entity or object) after its "0 TYPE" group. Values
// live in one arena that is reused from record to record.
type record struct {
	typ   string
	line  int // line of the "0" group
	tags  []rtag
	arena []byte
}

type rtag struct {
	code, off, n, line int
}

func (r *record) reset(typ string, line int) {
	r.typ, r.line = typ, line
	r.tags = r.tags[:0]
	r.arena = r.arena[:0]
}

func (r *record) add(t tag) {
	r.tags = append(r.tags, rtag{code: t.code, off: len(r.arena), n: len(t.val), line: t.line})
	r.arena = append(r.arena, t.val...)
}

func (r *record) val(i int) []byte { t := r.tags[i]; return r.arena[t.off : t.off+t.n] }

// find returns the index of the first group with code, or -1.
func (r *record) find(code int) int {
	for i := range r.tags {
		if r.tags[i].code == code {
			return i
		}
	}
	return -1
}

func (r *record) has(code int) bool { return r.find(code) >= 0 }

// raw returns the bytes of the first group with code (nil when absent).
func (r *record) raw(code int) []byte {
	if i := r.find(code); i >= 0 {
		return r.val(i)
	}
	return nil
}

// reader-side typed access with error reporting through the entity parser
type fieldErr struct {
	line int
	code int
	val  string
}

// float returns the real of the first group with code, or def.
func (r *record) float(code int, def float64, errp *fieldErr) float64 {
	i := r.find(code)
	if i < 0 {
		return def
	}
	return r.floatAt(i, errp)
}

func (r *record) floatAt(i int, errp *fieldErr) float64 {
	f, ok := parseFloat(r.val(i))
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		if errp.line == 0 {
			*errp = fieldErr{line: r.tags[i].line, code: r.tags[i].code, val: clip(r.val(i))}
		}
		return 0
	}
	return f
}

func (r *record) int(code int, def int, errp *fieldErr) int {
	i := r.find(code)
	if i < 0 {
		return def
	}
	return r.intAt(i, errp)
}

func (r *record) intAt(i int, errp *fieldErr) int {
	n, ok := parseInt(r.val(i))
	if !ok {
		if errp.line == 0 {
			*errp = fieldErr{line: r.tags[i].line, code: r.tags[i].code, val: clip(r.val(i))}
		}
		return 0
	}
	return n
}

// point reads the point whose X has group code cx (Y = cx+10, Z = cx+20), starting at tag index i0.
func (r *record) point(cx int, errp *fieldErr) (Vec, bool) {
	i := r.find(cx)
	if i < 0 {
		return Vec{}, false
	}
	return r.pointAt(i, errp), true
}

// pointAt reads a point whose X group is at index i; Y and Z follow (Z is optional).
func (r *record) pointAt(i int, errp *fieldErr) Vec {
	cx := r.tags[i].code
	p := Vec{X: r.floatAt(i, errp)}
	for j := i + 1; j < len(r.tags) && j <= i+2; j++ {
		switch r.tags[j].code {
		case cx + 10:
			p.Y = r.floatAt(j, errp)
		case cx + 20:
			p.Z = r.floatAt(j, errp)
		}
	}
	return p
}

// extrusion returns the entity's normal (210/220/230), default +Z.
func (r *record) extrusion(errp *fieldErr) Vec {
	if p, ok := r.point(210, errp); ok {
		if p.length() == 0 {
			return Vec{0, 0, 1}
		}
		return p
	}
	return Vec{0, 0, 1}
}
