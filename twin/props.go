package twin

import (
	"math"
	"strconv"

	"github.com/yitu-gis/yitu/twin/glb"
)

// column kinds of a property table.
const (
	kStr = iota
	kNum
	kInt
)

type colDef struct {
	name, title string
	kind        int
}

// tableBuilder fills a glb property table row by row; every column gets a value per row (missing
// values by default), so the columns always have the table's length.
type tableBuilder struct {
	t   *glb.PropertyTable
	col map[string]int
}

func newTable(class, name string, defs []colDef) *tableBuilder {
	tb := &tableBuilder{t: &glb.PropertyTable{Class: class, Name: name}, col: map[string]int{}}
	for i, d := range defs {
		p := glb.Property{Name: d.name, Title: d.title}
		switch d.kind {
		case kStr:
			p.Strings = []string{}
		case kNum:
			p.Floats = []float64{}
		case kInt:
			p.Ints = []int32{}
		}
		tb.t.Properties = append(tb.t.Properties, p)
		tb.col[d.name] = i
	}
	return tb
}

// row starts a feature and returns its feature id.
func (tb *tableBuilder) row() uint32 {
	for i := range tb.t.Properties {
		p := &tb.t.Properties[i]
		switch {
		case p.Strings != nil:
			p.Strings = append(p.Strings, "")
		case p.Floats != nil:
			p.Floats = append(p.Floats, math.NaN())
		case p.Ints != nil:
			p.Ints = append(p.Ints, glb.NoInt)
		}
	}
	tb.t.Count++
	return uint32(tb.t.Count - 1)
}

func (tb *tableBuilder) prop(name string) *glb.Property {
	i, ok := tb.col[name]
	if !ok {
		panic("twin: property table " + tb.t.Class + " has no column " + name) // a programming error
	}
	return &tb.t.Properties[i]
}

func (tb *tableBuilder) str(name string, v *string) {
	if v != nil {
		p := tb.prop(name)
		p.Strings[len(p.Strings)-1] = *v
	}
}

func (tb *tableBuilder) setStr(name, v string) { tb.str(name, &v) }

func (tb *tableBuilder) id(v int64) { tb.setStr("id", strconv.FormatInt(v, 10)) }

func (tb *tableBuilder) num(name string, v *float64) {
	if v != nil {
		p := tb.prop(name)
		p.Floats[len(p.Floats)-1] = *v
	}
}

func (tb *tableBuilder) int(name string, v *int32) {
	if v != nil {
		p := tb.prop(name)
		p.Ints[len(p.Ints)-1] = *v
	}
}

// hexColor turns #rrggbb (sRGB) into a linear RGBA base colour factor.
func hexColor(s string) [4]float32 {
	c := [4]float32{0.6, 0.6, 0.6, 1}
	if len(s) != 7 || s[0] != '#' {
		return c
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return c
	}
	for i := range 3 {
		c[i] = srgbToLinear(float64((v>>(16-8*i))&0xff) / 255)
	}
	return c
}

func srgbToLinear(v float64) float32 {
	if v <= 0.04045 {
		return float32(v / 12.92)
	}
	return float32(math.Pow((v+0.055)/1.055, 2.4))
}
