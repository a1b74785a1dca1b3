package cql2

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds nesting so a hostile filter cannot exhaust the stack.
const maxDepth = 200

// maxLength bounds the size of a filter (characters).
const maxLength = 1 << 20

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tPunct // ( ) , and operators
)

type token struct {
	kind tokKind
	text string // identifier (as written), string value, number text or punctuation
	pos  int    // 1-based character position
	off  int    // byte offset
}

type lexer struct {
	src   string
	off   int // byte offset
	chars int // characters consumed before off
}

func (l *lexer) errf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) peekRune() (rune, int) {
	if l.off >= len(l.src) {
		return 0, 0
	}
	return utf8.DecodeRuneInString(l.src[l.off:])
}

func (l *lexer) advance(size int) {
	l.off += size
	l.chars++
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return r == '_' || r == '.' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) next() (token, error) {
	for {
		r, size := l.peekRune()
		if size == 0 || !unicode.IsSpace(r) {
			break
		}
		l.advance(size)
	}
	start, pos := l.off, l.chars+1
	r, size := l.peekRune()
	switch {
	case size == 0:
		return token{kind: tEOF, pos: pos, off: start}, nil
	case r == utf8.RuneError && size == 1:
		return token{}, l.errf(pos, "the filter is not valid UTF-8")
	case isIdentStart(r):
		for {
			r, size := l.peekRune()
			if size == 0 || !isIdentPart(r) {
				break
			}
			l.advance(size)
		}
		return token{kind: tIdent, text: l.src[start:l.off], pos: pos, off: start}, nil
	case r == '"':
		l.advance(size)
		var b strings.Builder
		for {
			r, size := l.peekRune()
			if size == 0 {
				return token{}, l.errf(pos, "unterminated quoted property name")
			}
			l.advance(size)
			if r == '"' {
				if r2, s2 := l.peekRune(); r2 == '"' {
					l.advance(s2)
					b.WriteRune('"')
					continue
				}
				break
			}
			b.WriteRune(r)
		}
		if b.Len() == 0 {
			return token{}, l.errf(pos, "empty quoted property name")
		}
		return token{kind: tQuotedIdent, text: b.String(), pos: pos, off: start}, nil
	case r == '\'':
		l.advance(size)
		var b strings.Builder
		for {
			r, size := l.peekRune()
			if size == 0 {
				return token{}, l.errf(pos, "unterminated character literal (a ' is missing)")
			}
			l.advance(size)
			if r == '\'' {
				if r2, s2 := l.peekRune(); r2 == '\'' {
					l.advance(s2)
					b.WriteRune('\'')
					continue
				}
				break
			}
			b.WriteRune(r)
		}
		return token{kind: tString, text: b.String(), pos: pos, off: start}, nil
	case r >= '0' && r <= '9' || r == '.' && l.off+1 < len(l.src) && l.src[l.off+1] >= '0' && l.src[l.off+1] <= '9':
		digits := func() {
			for l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '9' {
				l.advance(1)
			}
		}
		digits()
		if l.off < len(l.src) && l.src[l.off] == '.' {
			l.advance(1)
			digits()
		}
		if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
			save, saveChars := l.off, l.chars
			l.advance(1)
			if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
				l.advance(1)
			}
			if l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '9' {
				digits()
			} else {
				l.off, l.chars = save, saveChars
			}
		}
		return token{kind: tNumber, text: l.src[start:l.off], pos: pos, off: start}, nil
	}
	for _, op := range []string{"<>", "<=", ">=", "!=", "(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "%", "^", "[", "]"} {
		if strings.HasPrefix(l.src[l.off:], op) {
			for range op {
				l.advance(1)
			}
			return token{kind: tPunct, text: op, pos: pos, off: start}, nil
		}
	}
	return token{}, l.errf(pos, "unexpected character %q", r)
}

// parser is a recursive-descent parser over the token stream with one token of look-ahead.
type parser struct {
	lex   lexer
	tok   token
	depth int
}

// ParseText parses a CQL2 text filter.
func ParseText(s string) (*Filter, error) {
	if len(s) > maxLength {
		return nil, &SyntaxError{Msg: fmt.Sprintf("the filter is longer than %d bytes", maxLength)}
	}
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, &SyntaxError{Pos: 1, Msg: "the filter is empty"}
	}
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR or the end of the filter")
	}
	return &Filter{Root: n, Lang: LangText}, nil
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return fmt.Sprintf("'%s'", t.text)
	case tQuotedIdent:
		return fmt.Sprintf("%q", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

func (p *parser) unexpected(want string) error {
	return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("expected %s, found %s", want, p.describe(p.tok))}
}

func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.unexpected(fmt.Sprintf("%q", s))
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("the filter nests deeper than %d levels", maxDepth)}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) orExpr() (Node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.chain("or", p.andExpr)
}

func (p *parser) andExpr() (Node, error) { return p.chain("and", p.notExpr) }

// chain parses operand (KEYWORD operand)* into one n-ary Op.
func (p *parser) chain(kw string, operand func() (Node, error)) (Node, error) {
	pos := p.tok.pos
	first, err := operand()
	if err != nil {
		return nil, err
	}
	args := []Node{first}
	for p.isKeyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Op{Name: kw, Args: args, P: pos}, nil
}

func (p *parser) notExpr() (Node, error) {
	if p.isKeyword("NOT") {
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &Op{Name: "not", Args: []Node{n}, P: pos}, nil
	}
	return p.predicate()
}

var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) predicate() (Node, error) {
	left, err := p.additive()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tPunct {
		if op, ok := comparisons[p.tok.text]; ok {
			pos := p.tok.pos
			if err := p.advance(); err != nil {
				return nil, err
			}
			right, err := p.additive()
			if err != nil {
				return nil, err
			}
			return &Op{Name: op, Args: []Node{left, right}, P: pos}, nil
		}
	}
	pos := p.tok.pos
	negate := false
	if p.isKeyword("NOT") {
		negate = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKeyword("LIKE") && !p.isKeyword("ILIKE") && !p.isKeyword("BETWEEN") && !p.isKeyword("IN") {
			return nil, p.unexpected("LIKE, BETWEEN or IN after NOT")
		}
	}
	var n Node
	switch {
	case p.isKeyword("LIKE"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		pat, err := p.additive()
		if err != nil {
			return nil, err
		}
		n = &Op{Name: "like", Args: []Node{left, pat}, P: pos}
	case p.isKeyword("ILIKE"): // not CQL2: the case-insensitive LIKE of OGR SQL, which GDAL sends
		if err := p.advance(); err != nil {
			return nil, err
		}
		pat, err := p.additive()
		if err != nil {
			return nil, err
		}
		n = &Op{Name: "like", Args: []Node{&Op{Name: "casei", Args: []Node{left}, P: pos}, &Op{Name: "casei", Args: []Node{pat}, P: pos}}, P: pos}
	case p.isKeyword("BETWEEN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, err := p.additive()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.unexpected("AND of BETWEEN … AND …")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		hi, err := p.additive()
		if err != nil {
			return nil, err
		}
		n = &Op{Name: "between", Args: []Node{left, lo, hi}, P: pos}
	case p.isKeyword("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		lpos := p.tok.pos
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		items, err := p.list(")")
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, &SyntaxError{Pos: lpos, Msg: "IN needs at least one value"}
		}
		n = &Op{Name: "in", Args: []Node{left, &List{Items: items, P: lpos}}, P: pos}
	case p.isKeyword("IS"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		not := false
		if p.isKeyword("NOT") {
			not = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.isKeyword("NULL") {
			return nil, p.unexpected("NULL or NOT NULL after IS")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		n = &Op{Name: "isNull", Args: []Node{left}, P: pos}
		if not {
			n = &Op{Name: "not", Args: []Node{n}, P: pos}
		}
		return n, nil
	default:
		return left, nil
	}
	if negate {
		n = &Op{Name: "not", Args: []Node{n}, P: pos}
	}
	return n, nil
}

// list parses expressions separated by commas up to the closing punctuation, which it consumes.
func (p *parser) list(closing string) ([]Node, error) {
	var items []Node
	if p.isPunct(closing) {
		return items, p.advance()
	}
	for {
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
		if p.isPunct(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.expectPunct(closing); err != nil {
			return nil, err
		}
		return items, nil
	}
}

func (p *parser) additive() (Node, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op, pos := p.tok.text, p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		left = &Op{Name: op, Args: []Node{left, right}, P: pos}
	}
	return left, nil
}

func (p *parser) term() (Node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") || p.isKeyword("DIV") {
		op, pos := strings.ToLower(p.tok.text), p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &Op{Name: op, Args: []Node{left, right}, P: pos}
	}
	return left, nil
}

func (p *parser) unary() (Node, error) {
	if p.isPunct("-") || p.isPunct("+") {
		neg, pos := p.tok.text == "-", p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if !neg {
			return n, nil
		}
		if num, ok := n.(*Num); ok {
			return &Num{V: -num.V, P: pos}, nil
		}
		return &Op{Name: "-", Args: []Node{&Num{V: 0, P: pos}, n}, P: pos}, nil
	}
	base, err := p.primary()
	if err != nil {
		return nil, err
	}
	if p.isPunct("^") {
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		exp, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Op{Name: "^", Args: []Node{base, exp}, P: pos}, nil
	}
	return base, nil
}

var wktTypes = map[string]string{
	"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
	"MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection",
}

func (p *parser) primary() (Node, error) {
	t := p.tok
	switch t.kind {
	case tEOF:
		return nil, p.unexpected("a property, a literal or a function")
	case tString:
		return &Str{V: t.text, P: t.pos}, p.advance()
	case tNumber:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("%q is not a number", t.text)}
		}
		return &Num{V: v, P: t.pos}, p.advance()
	case tQuotedIdent:
		return &Prop{Name: t.text, P: t.pos}, p.advance()
	case tPunct:
		switch t.text {
		case "(":
			if err := p.advance(); err != nil {
				return nil, err
			}
			n, err := p.orExpr()
			if err != nil {
				return nil, err
			}
			return n, p.expectPunct(")")
		case "[":
			if err := p.advance(); err != nil {
				return nil, err
			}
			items, err := p.list("]")
			if err != nil {
				return nil, err
			}
			return &List{Items: items, P: t.pos}, nil
		}
		return nil, p.unexpected("a property, a literal or a function")
	}
	// An identifier: keyword literal, typed literal, geometry, function or property.
	upper := strings.ToUpper(t.text)
	switch upper {
	case "TRUE", "FALSE":
		return &Bool{V: upper == "TRUE", P: t.pos}, p.advance()
	case "AND", "OR", "NOT", "LIKE", "ILIKE", "BETWEEN", "IN", "IS", "NULL", "DIV":
		return nil, p.unexpected("a property, a literal or a function")
	}
	if typ, ok := wktTypes[upper]; ok {
		save := p.lex
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isPunct("(") || p.isKeyword("Z") || p.isKeyword("EMPTY") {
			p.lex = save
			return p.wkt(t, typ)
		}
		p.lex = save
		p.tok = t
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isPunct("(") {
		return &Prop{Name: t.text, P: t.pos}, nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if err := p.advance(); err != nil {
		return nil, err
	}
	args, err := p.list(")")
	if err != nil {
		return nil, err
	}
	switch upper {
	case "DATE", "TIMESTAMP":
		if len(args) != 1 {
			return nil, &SyntaxError{Pos: t.pos, Msg: upper + " takes one character literal"}
		}
		s, ok := args[0].(*Str)
		if !ok {
			return nil, &SyntaxError{Pos: args[0].pos(), Msg: upper + " takes a character literal such as '2024-05-01'"}
		}
		return instant(s.V, upper == "DATE", s.P, "")
	case "INTERVAL":
		if len(args) != 2 {
			return nil, &SyntaxError{Pos: t.pos, Msg: "INTERVAL takes a start and an end"}
		}
		var ends [2]Node
		for i, a := range args {
			n, err := intervalEnd(a, "")
			if err != nil {
				return nil, err
			}
			ends[i] = n
		}
		return &Interval{Start: ends[0], End: ends[1], P: t.pos}, nil
	case "BBOX", "ENVELOPE":
		var v []float64
		for _, a := range args {
			n, ok := a.(*Num)
			if !ok {
				return nil, &SyntaxError{Pos: a.pos(), Msg: upper + " takes numbers"}
			}
			v = append(v, n.V)
		}
		return bbox(v, t.pos, "")
	}
	return &Op{Name: strings.ToLower(t.text), Args: args, P: t.pos}, nil
}

// intervalEnd turns an INTERVAL argument into an instant, a property, a function or nil for '..'.
func intervalEnd(a Node, path string) (Node, error) {
	if s, ok := a.(*Str); ok {
		if s.V == ".." {
			return nil, nil
		}
		date := len(s.V) == len("2006-01-02")
		return instant(s.V, date, s.P, path)
	}
	switch a.(type) {
	case *Time, *Prop, *Op:
		return a, nil
	}
	return nil, &SyntaxError{Pos: a.pos(), Path: path, Msg: "an interval end is a date, a timestamp, '..' or a property"}
}

func instant(s string, date bool, pos int, path string) (*Time, error) {
	layout := time.RFC3339Nano
	if date {
		layout = time.DateOnly
	}
	v, err := time.Parse(layout, s)
	if err != nil {
		what := "a timestamp such as '2024-05-01T08:00:00Z'"
		if date {
			what = "a date such as '2024-05-01'"
		}
		return nil, &SyntaxError{Pos: pos, Path: path, Msg: fmt.Sprintf("'%s' is not %s", s, what)}
	}
	return &Time{V: v, Date: date, P: pos}, nil
}

func bbox(v []float64, pos int, path string) (*BBox, error) {
	if len(v) != 4 && len(v) != 6 {
		return nil, &SyntaxError{Pos: pos, Path: path, Msg: fmt.Sprintf("BBOX takes 4 or 6 numbers, got %d", len(v))}
	}
	return &BBox{V: v, P: pos}, nil
}

// wkt parses a well-known-text geometry starting at token t (its type keyword) into GeoJSON.
func (p *parser) wkt(t token, typ string) (Node, error) {
	if err := p.advance(); err != nil { // past the type keyword
		return nil, err
	}
	g, err := p.wktBody(typ, t.pos)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	return &Geom{GeoJSON: b, P: t.pos}, nil
}

type geoJSON struct {
	Type        string    `json:"type"`
	Coordinates any       `json:"coordinates,omitempty"`
	Geometries  []geoJSON `json:"geometries,omitempty"`
}

func (p *parser) wktBody(typ string, pos int) (geoJSON, error) {
	dims := 2
	if p.isKeyword("Z") {
		dims = 3
		if err := p.advance(); err != nil {
			return geoJSON{}, err
		}
	}
	if p.isKeyword("EMPTY") {
		return geoJSON{}, &SyntaxError{Pos: p.tok.pos, Msg: "EMPTY geometries are not supported"}
	}
	if err := p.expectPunct("("); err != nil {
		return geoJSON{}, err
	}
	g := geoJSON{Type: typ}
	var err error
	switch typ {
	case "Point":
		g.Coordinates, err = p.wktPosition(dims)
	case "LineString", "MultiPoint":
		g.Coordinates, err = p.wktPositions(dims, typ == "MultiPoint")
	case "Polygon", "MultiLineString":
		g.Coordinates, err = p.wktRings(dims)
	case "MultiPolygon":
		var polys [][][][]float64
		for {
			if err := p.expectPunct("("); err != nil {
				return g, err
			}
			rings, err := p.wktRings(dims)
			if err != nil {
				return g, err
			}
			if err := p.expectPunct(")"); err != nil {
				return g, err
			}
			polys = append(polys, rings)
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				return g, err
			}
		}
		g.Coordinates = polys
	case "GeometryCollection":
		for {
			if err := p.enter(); err != nil {
				return g, err
			}
			mt, ok := wktTypes[strings.ToUpper(p.tok.text)]
			if p.tok.kind != tIdent || !ok {
				p.leave()
				return g, p.unexpected("a WKT geometry")
			}
			mpos := p.tok.pos
			if err := p.advance(); err != nil {
				return g, err
			}
			m, err := p.wktBody(mt, mpos)
			p.leave()
			if err != nil {
				return g, err
			}
			g.Geometries = append(g.Geometries, m)
			if !p.isPunct(",") {
				break
			}
			if err := p.advance(); err != nil {
				return g, err
			}
		}
	}
	if err != nil {
		return g, err
	}
	return g, p.expectPunct(")")
}

func (p *parser) wktNumber() (float64, error) {
	neg := false
	if p.isPunct("-") || p.isPunct("+") {
		neg = p.tok.text == "-"
		if err := p.advance(); err != nil {
			return 0, err
		}
	}
	if p.tok.kind != tNumber {
		return 0, p.unexpected("a coordinate")
	}
	v, err := strconv.ParseFloat(p.tok.text, 64)
	if err != nil {
		return 0, &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("%q is not a number", p.tok.text)}
	}
	if neg {
		v = -v
	}
	return v, p.advance()
}

func (p *parser) wktPosition(dims int) ([]float64, error) {
	c := make([]float64, 0, 3)
	for range dims {
		v, err := p.wktNumber()
		if err != nil {
			return nil, err
		}
		c = append(c, v)
	}
	if dims == 2 && (p.tok.kind == tNumber || p.isPunct("-")) { // POINT (x y z) without the Z keyword
		v, err := p.wktNumber()
		if err != nil {
			return nil, err
		}
		c = append(c, v)
	}
	return c, nil
}

// wktPositions parses "x y, x y, …)" (the caller consumed the opening parenthesis); MultiPoint members
// may be parenthesised.
func (p *parser) wktPositions(dims int, multipoint bool) ([][]float64, error) {
	var out [][]float64
	for {
		paren := multipoint && p.isPunct("(")
		if paren {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		c, err := p.wktPosition(dims)
		if err != nil {
			return nil, err
		}
		if paren {
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
		if !p.isPunct(",") {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

// wktRings parses "(…), (…))" — the caller consumed the outer opening parenthesis, and this consumes
// the closing one of each ring but not the outer one.
func (p *parser) wktRings(dims int) ([][][]float64, error) {
	var out [][][]float64
	for {
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		ring, err := p.wktPositions(dims, false)
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		out = append(out, ring)
		if !p.isPunct(",") {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}
