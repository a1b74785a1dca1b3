// Package cql2 parses OGC CQL2 filters (the text and the JSON encodings of OGC 21-065) and compiles
// them to a PostgreSQL/PostGIS WHERE fragment. Property names are checked against the queryables of
// the target and every literal is bound as a parameter: no text of the filter reaches the SQL.
//
// Parse once, compile per target:
//
//	f, err := cql2.Parse(r.FormValue("filter"), r.FormValue("filter-lang"))
//	where, args, err := f.Compile(cql2.ForLayer(layer, layer.TileColumn, 3857), len(otherArgs)+1)
//	sql := "... WHERE " + where // placeholders $first … $first+len(args)-1
//
// Errors are *SyntaxError (with the position of the fault) from Parse and *spatial.InvalidError (naming
// the property or operator at fault) from Compile.
package cql2

import (
	"fmt"
	"time"
)

// Node is a node of a parsed filter. Positions are 1-based character offsets in a text filter and 0 in
// a JSON filter (whose errors name a path instead).
type Node interface{ pos() int }

// Op is an operator or function applied to arguments. Name is the CQL2 JSON spelling, lower case
// except isNull: and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, casei, accenti,
// s_intersects …, t_after …, +, -, *, /, %, div, ^, and functions by their lower-case name.
type Op struct {
	Name string
	Args []Node
	P    int
}

// Prop is a reference to a property (a queryable).
type Prop struct {
	Name string
	P    int
}

// Str is a character literal.
type Str struct {
	V string
	P int
}

// Num is a numeric literal.
type Num struct {
	V float64
	P int
}

// Bool is TRUE or FALSE.
type Bool struct {
	V bool
	P int
}

// Time is a TIMESTAMP or DATE instant.
type Time struct {
	V    time.Time
	Date bool // DATE('…'): a calendar day
	P    int
}

// Interval is INTERVAL(start, end); an open end is nil.
type Interval struct {
	Start, End Node
	P          int
}

// Geom is a geometry literal (WKT in text, GeoJSON in JSON), held as GeoJSON.
type Geom struct {
	GeoJSON []byte
	P       int
}

// BBox is a BBOX(minx, miny, maxx, maxy) literal (6 numbers with heights).
type BBox struct {
	V []float64
	P int
}

// List is the list of an IN predicate or an array literal.
type List struct {
	Items []Node
	P     int
}

func (n *Op) pos() int       { return n.P }
func (n *Prop) pos() int     { return n.P }
func (n *Str) pos() int      { return n.P }
func (n *Num) pos() int      { return n.P }
func (n *Bool) pos() int     { return n.P }
func (n *Time) pos() int     { return n.P }
func (n *Interval) pos() int { return n.P }
func (n *Geom) pos() int     { return n.P }
func (n *BBox) pos() int     { return n.P }
func (n *List) pos() int     { return n.P }

// Filter is a parsed CQL2 expression; it is immutable and may be compiled for many targets.
type Filter struct {
	Root Node
	Lang string // cql2-text or cql2-json
}

// Languages of the filter-lang parameter.
const (
	LangText = "cql2-text"
	LangJSON = "cql2-json"
)

// SyntaxError is a filter that does not parse. Pos is the 1-based character position in a text filter;
// Path locates the fault in a JSON filter (args[1].args[0]).
type SyntaxError struct {
	Pos  int
	Path string
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("CQL2 JSON at %s: %s", e.Path, e.Msg)
	}
	if e.Pos > 0 {
		return fmt.Sprintf("CQL2 text at character %d: %s", e.Pos, e.Msg)
	}
	return "CQL2: " + e.Msg
}

// Parse parses a filter in lang (cql2-text or cql2-json; empty: JSON when it starts with '{', else
// text).
func Parse(filter, lang string) (*Filter, error) {
	switch lang {
	case LangText, "cql-text": // cql-text: the draft's name, still sent by GDAL before 3.7
		return ParseText(filter)
	case LangJSON:
		return ParseJSON([]byte(filter))
	case "":
		for _, r := range filter {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				continue
			}
			if r == '{' {
				return ParseJSON([]byte(filter))
			}
			break
		}
		return ParseText(filter)
	default:
		return nil, &SyntaxError{Msg: fmt.Sprintf("filter-lang %q is not offered; use cql2-text or cql2-json", lang)}
	}
}
