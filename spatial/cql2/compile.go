package cql2

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// Queryable types, as in the catalog's properties (plus geometry).
const (
	TypeString   = "string"
	TypeInteger  = "integer"
	TypeNumber   = "number"
	TypeBoolean  = "boolean"
	TypeDatetime = "datetime"
	TypeDate     = "date"
	TypeGeometry = "geometry"
)

// Queryable is a property a filter may name, with the column it reads.
type Queryable struct {
	Name   string
	Column string
	Type   string
}

// Schema is what a filter compiles against.
type Schema struct {
	Queryables map[string]Queryable
	// Alias qualifies column references (t."name"); empty: unqualified.
	Alias string
	// GeometrySRID is the SRID of the geometry queryables (4490 for features, 3857 for tiles).
	GeometrySRID int
	// LiteralSRID is the CRS of geometry literals (filter-crs); 0 means CRS84, read as EPSG:4490.
	LiteralSRID int
	// FlipLiterals: literal coordinates are in latitude, longitude (or northing, easting) order, as
	// EPSG:4490, 4549 and 4528 define their axes.
	FlipLiterals bool
}

// ForLayer returns the schema of a catalog layer: its id column, its exposed properties (objects
// excepted) and its geometry, both as "geometry" and under geomColumn's own name.
func ForLayer(l *spatial.Layer, geomColumn string, srid int) Schema {
	q := map[string]Queryable{
		l.IDColumn: {Name: l.IDColumn, Column: l.IDColumn, Type: TypeInteger},
		"geometry": {Name: "geometry", Column: geomColumn, Type: TypeGeometry},
		geomColumn: {Name: geomColumn, Column: geomColumn, Type: TypeGeometry},
	}
	if c, ok := l.Column(l.IDColumn); ok && !strings.Contains(c.PGType, "int") {
		q[l.IDColumn] = Queryable{Name: l.IDColumn, Column: l.IDColumn, Type: TypeString}
	}
	for _, p := range l.Properties {
		if p.Type == "object" {
			continue
		}
		q[p.Name] = Queryable{Name: p.Name, Column: p.Name, Type: p.Type}
	}
	return Schema{Queryables: q, GeometrySRID: srid}
}

// Names lists the queryable names, sorted.
func (s Schema) Names() []string {
	out := make([]string, 0, len(s.Queryables))
	for n := range s.Queryables {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// kind is the type of a compiled expression.
type kind int

const (
	kBool kind = iota
	kString
	kNumber
	kTime
	kGeom
	kInterval
	kList
)

func (k kind) String() string {
	return [...]string{"a boolean", "a character string", "a number", "a date or timestamp", "a geometry", "an interval", "a list"}[k]
}

type compiler struct {
	s     Schema
	first int
	args  []any
}

// expr is a compiled expression: its SQL and its type. An interval carries its start and end.
type expr struct {
	sql        string
	k          kind
	start, end string // kInterval, and kTime (start = end = sql)
}

// Compile turns the filter into a boolean SQL expression whose placeholders are numbered from first,
// with the arguments to bind to them.
func (f *Filter) Compile(s Schema, first int) (string, []any, error) {
	if first < 1 {
		first = 1
	}
	if s.LiteralSRID == 0 {
		s.LiteralSRID = 4490
	}
	if s.GeometrySRID == 0 {
		s.GeometrySRID = 4490
	}
	c := &compiler{s: s, first: first}
	e, err := c.compile(f.Root)
	if err != nil {
		return "", nil, err
	}
	if e.k != kBool {
		return "", nil, c.invalid(f.Root, "the filter is %s, not a condition that is true or false", e.k)
	}
	return e.sql, c.args, nil
}

func (c *compiler) invalid(n Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if n != nil && n.pos() > 0 {
		msg = fmt.Sprintf("at character %d: %s", n.pos(), msg)
	}
	return spatial.Invalid("filter", "%s", msg)
}

func (c *compiler) param(v any, cast string) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(c.first+len(c.args)-1) + "::" + cast
}

func (c *compiler) column(q Queryable) string {
	id := pgx.Identifier{q.Column}.Sanitize()
	if c.s.Alias != "" {
		return c.s.Alias + "." + id
	}
	return id
}

func (c *compiler) compile(n Node) (expr, error) {
	switch n := n.(type) {
	case *Bool:
		if n.V {
			return expr{sql: "TRUE", k: kBool}, nil
		}
		return expr{sql: "FALSE", k: kBool}, nil
	case *Str:
		return expr{sql: c.param(n.V, "text"), k: kString}, nil
	case *Num:
		return expr{sql: c.param(n.V, "float8"), k: kNumber}, nil
	case *Time:
		if n.Date {
			p := c.param(n.V.Format("2006-01-02"), "date")
			return expr{sql: p, k: kTime, start: p, end: p}, nil
		}
		p := c.param(n.V, "timestamptz")
		return expr{sql: p, k: kTime, start: p, end: p}, nil
	case *Interval:
		start, err := c.intervalEnd(n.Start, "'-infinity'::timestamptz")
		if err != nil {
			return expr{}, err
		}
		end, err := c.intervalEnd(n.End, "'infinity'::timestamptz")
		if err != nil {
			return expr{}, err
		}
		return expr{k: kInterval, start: start, end: end}, nil
	case *Geom:
		return expr{sql: c.literalGeometry("ST_GeomFromGeoJSON(" + c.param(string(n.GeoJSON), "text") + ")"), k: kGeom}, nil
	case *BBox:
		v := n.V
		if len(v) == 6 {
			v = []float64{v[0], v[1], v[3], v[4]}
		}
		if v[0] > v[2] || v[1] > v[3] {
			return expr{}, c.invalid(n, "BBOX minimum is above its maximum")
		}
		env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s)", c.param(v[0], "float8"), c.param(v[1], "float8"), c.param(v[2], "float8"), c.param(v[3], "float8"))
		return expr{sql: c.literalGeometry(env), k: kGeom}, nil
	case *Prop:
		q, ok := c.s.Queryables[n.Name]
		if !ok {
			return expr{}, c.invalid(n, "unknown property %q; the queryables are %s", n.Name, strings.Join(c.s.Names(), ", "))
		}
		col := c.column(q)
		switch q.Type {
		case TypeString:
			return expr{sql: col, k: kString}, nil
		case TypeInteger, TypeNumber:
			return expr{sql: col, k: kNumber}, nil
		case TypeBoolean:
			return expr{sql: col, k: kBool}, nil
		case TypeDatetime, TypeDate:
			return expr{sql: col, k: kTime, start: col, end: col}, nil
		case TypeGeometry:
			return expr{sql: col, k: kGeom}, nil
		}
		return expr{}, c.invalid(n, "property %q of type %s cannot be filtered", n.Name, q.Type)
	case *List:
		return expr{}, c.invalid(n, "a list stands only after IN")
	case *Op:
		return c.op(n)
	}
	return expr{}, c.invalid(n, "unsupported expression")
}

func (c *compiler) intervalEnd(n Node, open string) (string, error) {
	if n == nil {
		return open, nil
	}
	e, err := c.compile(n)
	if err != nil {
		return "", err
	}
	if e.k != kTime {
		return "", c.invalid(n, "an interval end must be a date or timestamp, not %s", e.k)
	}
	return e.sql, nil
}

// literalGeometry places a geometry literal in the target SRID.
func (c *compiler) literalGeometry(g string) string {
	g = fmt.Sprintf("ST_SetSRID(%s, %d)", g, c.s.LiteralSRID)
	if c.s.FlipLiterals {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	if c.s.LiteralSRID != c.s.GeometrySRID {
		g = fmt.Sprintf("ST_Transform(%s, %d)", g, c.s.GeometrySRID)
	}
	return g
}

func (c *compiler) operands(n *Op, want int) ([]expr, error) {
	if len(n.Args) != want {
		return nil, c.invalid(n, "%s takes %d arguments, got %d", strings.ToUpper(n.Name), want, len(n.Args))
	}
	return c.all(n.Args)
}

func (c *compiler) all(nodes []Node) ([]expr, error) {
	out := make([]expr, len(nodes))
	for i, a := range nodes {
		e, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

var spatialFuncs = map[string]string{
	"s_intersects": "ST_Intersects", "s_equals": "ST_Equals", "s_disjoint": "ST_Disjoint", "s_touches": "ST_Touches",
	"s_within": "ST_Within", "s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses", "s_contains": "ST_Contains",
}

// temporal relations of CQL2 (Allen's interval algebra) over start (s) and end (e) of a and b.
var temporalFuncs = map[string]string{
	"t_after":        "{as} > {be}",
	"t_before":       "{ae} < {bs}",
	"t_contains":     "{as} < {bs} AND {ae} > {be}",
	"t_disjoint":     "({ae} < {bs} OR {as} > {be})",
	"t_during":       "{as} > {bs} AND {ae} < {be}",
	"t_equals":       "{as} = {bs} AND {ae} = {be}",
	"t_finishedby":   "{as} < {bs} AND {ae} = {be}",
	"t_finishes":     "{as} > {bs} AND {ae} = {be}",
	"t_intersects":   "{as} <= {be} AND {ae} >= {bs}",
	"t_meets":        "{ae} = {bs}",
	"t_metby":        "{as} = {be}",
	"t_overlappedby": "{as} > {bs} AND {as} < {be} AND {ae} > {be}",
	"t_overlaps":     "{as} < {bs} AND {ae} > {bs} AND {ae} < {be}",
	"t_startedby":    "{as} = {bs} AND {ae} > {be}",
	"t_starts":       "{as} = {bs} AND {ae} < {be}",
}

func (c *compiler) op(n *Op) (expr, error) {
	switch n.Name {
	case "and", "or":
		if len(n.Args) < 2 {
			return expr{}, c.invalid(n, "%s takes at least 2 arguments", strings.ToUpper(n.Name))
		}
		es, err := c.all(n.Args)
		if err != nil {
			return expr{}, err
		}
		parts := make([]string, len(es))
		for i, e := range es {
			if e.k != kBool {
				return expr{}, c.invalid(n.Args[i], "%s joins conditions, but this is %s", strings.ToUpper(n.Name), e.k)
			}
			parts[i] = e.sql
		}
		return expr{sql: "(" + strings.Join(parts, " "+strings.ToUpper(n.Name)+" ") + ")", k: kBool}, nil
	case "not":
		es, err := c.operands(n, 1)
		if err != nil {
			return expr{}, err
		}
		if es[0].k != kBool {
			return expr{}, c.invalid(n, "NOT applies to a condition, not %s", es[0].k)
		}
		return expr{sql: "(NOT " + es[0].sql + ")", k: kBool}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		es, err := c.operands(n, 2)
		if err != nil {
			return expr{}, err
		}
		if err := c.comparable(n, es[0], es[1]); err != nil {
			return expr{}, err
		}
		if (es[0].k == kGeom || es[0].k == kBool) && n.Name != "=" && n.Name != "<>" {
			return expr{}, c.invalid(n, "%s cannot be ordered with %s", es[0].k, n.Name)
		}
		if es[0].k == kGeom {
			sql := "ST_Equals(" + es[0].sql + ", " + es[1].sql + ")"
			if n.Name == "<>" {
				sql = "(NOT " + sql + ")"
			}
			return expr{sql: sql, k: kBool}, nil
		}
		return expr{sql: "(" + es[0].sql + " " + n.Name + " " + es[1].sql + ")", k: kBool}, nil
	case "like":
		es, err := c.operands(n, 2)
		if err != nil {
			return expr{}, err
		}
		if es[0].k != kString || es[1].k != kString {
			return expr{}, c.invalid(n, "LIKE compares character strings")
		}
		return expr{sql: "(" + es[0].sql + " LIKE " + es[1].sql + ")", k: kBool}, nil
	case "between":
		es, err := c.operands(n, 3)
		if err != nil {
			return expr{}, err
		}
		for _, e := range es[1:] {
			if err := c.comparable(n, es[0], e); err != nil {
				return expr{}, err
			}
		}
		if es[0].k != kNumber && es[0].k != kTime && es[0].k != kString {
			return expr{}, c.invalid(n, "BETWEEN compares numbers, not %s", es[0].k)
		}
		return expr{sql: "(" + es[0].sql + " BETWEEN " + es[1].sql + " AND " + es[2].sql + ")", k: kBool}, nil
	case "in":
		if len(n.Args) != 2 {
			return expr{}, c.invalid(n, "IN takes a value and a list")
		}
		list, ok := n.Args[1].(*List)
		if !ok || len(list.Items) == 0 {
			return expr{}, c.invalid(n, "IN needs a non-empty list of values")
		}
		left, err := c.compile(n.Args[0])
		if err != nil {
			return expr{}, err
		}
		items, err := c.all(list.Items)
		if err != nil {
			return expr{}, err
		}
		parts := make([]string, len(items))
		for i, e := range items {
			if err := c.comparable(list.Items[i], left, e); err != nil {
				return expr{}, err
			}
			parts[i] = e.sql
		}
		return expr{sql: "(" + left.sql + " IN (" + strings.Join(parts, ", ") + "))", k: kBool}, nil
	case "isNull":
		es, err := c.operands(n, 1)
		if err != nil {
			return expr{}, err
		}
		if es[0].k == kInterval {
			return expr{}, c.invalid(n, "IS NULL applies to a value, not an interval")
		}
		return expr{sql: "(" + es[0].sql + " IS NULL)", k: kBool}, nil
	case "casei", "lower", "upper":
		es, err := c.operands(n, 1)
		if err != nil {
			return expr{}, err
		}
		if es[0].k != kString {
			return expr{}, c.invalid(n, "%s applies to character strings", strings.ToUpper(n.Name))
		}
		fn := "lower"
		if n.Name == "upper" {
			fn = "upper"
		}
		return expr{sql: fn + "(" + es[0].sql + ")", k: kString}, nil
	case "+", "-", "*", "/", "%", "div", "^":
		es, err := c.operands(n, 2)
		if err != nil {
			return expr{}, err
		}
		for i, e := range es {
			if e.k != kNumber {
				return expr{}, c.invalid(n.Args[i], "arithmetic needs numbers, not %s", e.k)
			}
		}
		a, b := es[0].sql, es[1].sql
		var sql string
		switch n.Name {
		case "/":
			sql = "(" + a + "::float8 / NULLIF(" + b + ", 0))"
		case "%":
			sql = "mod(" + a + "::numeric, NULLIF(" + b + ", 0)::numeric)::float8"
		case "div":
			sql = "div(" + a + "::numeric, NULLIF(" + b + ", 0)::numeric)::float8"
		case "^":
			sql = "power(" + a + "::float8, " + b + "::float8)"
		default:
			sql = "(" + a + " " + n.Name + " " + b + ")"
		}
		return expr{sql: sql, k: kNumber}, nil
	case "s_dwithin":
		es, err := c.operands(n, 3)
		if err != nil {
			return expr{}, err
		}
		if es[0].k != kGeom || es[1].k != kGeom {
			return expr{}, c.invalid(n, "S_DWITHIN compares two geometries")
		}
		if _, ok := n.Args[2].(*Num); !ok {
			return expr{}, c.invalid(n.Args[2], "the distance of S_DWITHIN is a number of metres")
		}
		return expr{sql: c.dwithin(es[0].sql, es[1].sql, es[2].sql), k: kBool}, nil
	}
	if fn, ok := spatialFuncs[n.Name]; ok {
		es, err := c.operands(n, 2)
		if err != nil {
			return expr{}, err
		}
		for i, e := range es {
			if e.k != kGeom {
				return expr{}, c.invalid(n.Args[i], "%s compares geometries, not %s", strings.ToUpper(n.Name), e.k)
			}
		}
		return expr{sql: fn + "(" + es[0].sql + ", " + es[1].sql + ")", k: kBool}, nil
	}
	if tmpl, ok := temporalFuncs[n.Name]; ok {
		es, err := c.operands(n, 2)
		if err != nil {
			return expr{}, err
		}
		for i, e := range es {
			if e.k != kTime && e.k != kInterval {
				return expr{}, c.invalid(n.Args[i], "%s compares instants or intervals, not %s", strings.ToUpper(n.Name), e.k)
			}
		}
		sql := strings.NewReplacer("{as}", es[0].start, "{ae}", es[0].end, "{bs}", es[1].start, "{be}", es[1].end).Replace(tmpl)
		return expr{sql: "(" + sql + ")", k: kBool}, nil
	}
	if strings.HasPrefix(n.Name, "a_") {
		return expr{}, c.invalid(n, "array functions (%s) are not offered: no collection has array properties", strings.ToUpper(n.Name))
	}
	if n.Name == "accenti" {
		return expr{}, c.invalid(n, "ACCENTI is not offered")
	}
	return expr{}, c.invalid(n, "unknown function %s; the functions are CASEI, S_* (spatial), T_* (temporal) and S_DWITHIN", strings.ToUpper(n.Name))
}

// comparable checks that two operands may be compared.
func (c *compiler) comparable(n Node, a, b expr) error {
	if a.k == b.k && a.k != kInterval && a.k != kList {
		return nil
	}
	return c.invalid(n, "cannot compare %s with %s", a.k, b.k)
}

// dwithin is "within d metres", measured on the ellipsoid, with a bounding-box pre-filter in the
// geometry's own units so an index on it serves (the box is generous up to 60° of latitude).
func (c *compiler) dwithin(a, b, d string) string {
	var expand string
	geo := func(g string) string { return "ST_Transform(" + g + ", 4326)::geography" }
	switch c.s.GeometrySRID {
	case 3857:
		expand = d + " * 2"
	case 4490, 4326:
		expand = d + " / 55000.0"
		geo = func(g string) string { return g + "::geography" }
	default:
		expand = d + " * 1.01"
	}
	return fmt.Sprintf("(%s && ST_Expand(%s, %s) AND ST_DWithin(%s, %s, %s))", a, b, expand, geo(a), geo(b), d)
}
