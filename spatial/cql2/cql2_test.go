package cql2

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
)

func testSchema() Schema {
	return Schema{Queryables: map[string]Queryable{
		"id":         {Name: "id", Column: "id", Type: TypeInteger},
		"name":       {Name: "name", Column: "name", Type: TypeString},
		"floors":     {Name: "floors", Column: "floors", Type: TypeInteger},
		"height":     {Name: "height", Column: "height", Type: TypeNumber},
		"built":      {Name: "built", Column: "built", Type: TypeDatetime},
		"public":     {Name: "public", Column: "public", Type: TypeBoolean},
		"geometry":   {Name: "geometry", Column: "geom", Type: TypeGeometry},
		"road:class": {Name: "road:class", Column: "road_class", Type: TypeString},
	}, Alias: "t"}
}

func compileText(t *testing.T, s string) (string, []any) {
	t.Helper()
	f, err := ParseText(s)
	if err != nil {
		t.Fatalf("ParseText(%q): %v", s, err)
	}
	sql, args, err := f.Compile(testSchema(), 3)
	if err != nil {
		t.Fatalf("Compile(%q): %v", s, err)
	}
	return sql, args
}

func TestCompileText(t *testing.T) {
	ts := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		sql  string
		args []any
	}{
		{"name = '文化路'", `(t."name" = $3::text)`, []any{"文化路"}},
		{"floors >= 3 AND height < 20.5", `((t."floors" >= $3::float8) AND (t."height" < $4::float8))`, []any{3.0, 20.5}},
		{"name LIKE '莱州%' OR NOT name IS NULL", `((t."name" LIKE $3::text) OR (NOT (t."name" IS NULL)))`, []any{"莱州%"}},
		{"name IS NOT NULL", `(NOT (t."name" IS NULL))`, nil},
		{"floors NOT BETWEEN 2 AND 5", `(NOT (t."floors" BETWEEN $3::float8 AND $4::float8))`, []any{2.0, 5.0}},
		{"name IN ('a', 'b''c')", `(t."name" IN ($3::text, $4::text))`, []any{"a", "b'c"}},
		{"CASEI(name) = casei('ABC')", `(lower(t."name") = lower($3::text))`, []any{"ABC"}},
		{`"road:class" <> 'x'`, `(t."road_class" <> $3::text)`, []any{"x"}},
		{"floors * 3 + -1 > height", `(((t."floors" * $3::float8) + $4::float8) > t."height")`, []any{3.0, -1.0}},
		{"public", `t."public"`, nil},
		{"public = TRUE", `(t."public" = TRUE)`, nil},
		{"S_INTERSECTS(geometry, POINT(119.9 37.18))", `ST_Intersects(t."geom", ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4490))`,
			[]any{`{"type":"Point","coordinates":[119.9,37.18]}`}},
		{"s_within(geometry, BBOX(119, 37, 120, 38))", `ST_Within(t."geom", ST_SetSRID(ST_MakeEnvelope($3::float8, $4::float8, $5::float8, $6::float8), 4490))`,
			[]any{119.0, 37.0, 120.0, 38.0}},
		{"S_CONTAINS(POLYGON((0 0, 1 0, 1 1, 0 0)), geometry)", `ST_Contains(ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4490), t."geom")`,
			[]any{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`}},
		{"T_AFTER(built, TIMESTAMP('2024-05-01T08:00:00Z'))", `(t."built" > $3::timestamptz)`, []any{ts}},
		{"T_DURING(built, INTERVAL('2024-05-01T08:00:00Z', '..'))", `(t."built" > $3::timestamptz AND t."built" < 'infinity'::timestamptz)`, []any{ts}},
		{"built < DATE('2024-05-01')", `(t."built" < $3::date)`, []any{"2024-05-01"}},
		{"name ILIKE 'abc%'", `(lower(t."name") LIKE lower($3::text))`, []any{"abc%"}},
	}
	for _, c := range cases {
		sql, args := compileText(t, c.in)
		if sql != c.sql {
			t.Errorf("%s\n got  %s\n want %s", c.in, sql, c.sql)
		}
		if len(args) != len(c.args) || (len(args) > 0 && !reflect.DeepEqual(args, c.args)) {
			t.Errorf("%s: args %#v, want %#v", c.in, args, c.args)
		}
	}
}

// TestTextAndJSONAgree: the two encodings of one filter compile to the same SQL and arguments.
func TestTextAndJSONAgree(t *testing.T) {
	pairs := [][2]string{
		{"name = 'x' AND floors > 2", `{"op":"and","args":[{"op":"=","args":[{"property":"name"},"x"]},{"op":">","args":[{"property":"floors"},2]}]}`},
		{"name NOT LIKE 'a%'", `{"op":"not","args":[{"op":"like","args":[{"property":"name"},"a%"]}]}`},
		{"floors IN (1, 2)", `{"op":"in","args":[{"property":"floors"},[1,2]]}`},
		{"floors BETWEEN 1 AND 2", `{"op":"between","args":[{"property":"floors"},1,2]}`},
		{"name IS NULL", `{"op":"isNull","args":[{"property":"name"}]}`},
		{"S_INTERSECTS(geometry, POINT(1 2))", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2]}]}`},
		{"S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))", `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[1,2,3,4]}]}`},
		{"S_DWITHIN(geometry, POINT(1 2), 100)", `{"op":"s_dwithin","args":[{"property":"geometry"},{"type":"Point","coordinates":[1,2]},100]}`},
		{"T_INTERSECTS(built, INTERVAL('2020-01-01', '..'))", `{"op":"t_intersects","args":[{"property":"built"},{"interval":["2020-01-01",".."]}]}`},
		{"T_BEFORE(built, TIMESTAMP('2020-01-01T00:00:00Z'))", `{"op":"t_before","args":[{"property":"built"},{"timestamp":"2020-01-01T00:00:00Z"}]}`},
		{"CASEI(name) = CASEI('A')", `{"op":"=","args":[{"op":"casei","args":[{"property":"name"}]},{"op":"casei","args":["A"]}]}`},
		{"floors + 1 = 3", `{"op":"=","args":[{"op":"+","args":[{"property":"floors"},1]},3]}`},
	}
	for _, p := range pairs {
		ts, targs := compileText(t, p[0])
		f, err := ParseJSON([]byte(p[1]))
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", p[1], err)
		}
		js, jargs, err := f.Compile(testSchema(), 3)
		if err != nil {
			t.Fatalf("Compile(%s): %v", p[1], err)
		}
		if ts != js || !reflect.DeepEqual(targs, jargs) {
			t.Errorf("%s\n text %s %v\n json %s %v", p[0], ts, targs, js, jargs)
		}
	}
}

func TestSyntaxErrorsHavePositions(t *testing.T) {
	cases := []struct {
		in   string
		pos  int
		want string
	}{
		{"name = ", 8, "expected a property"},
		{"name = 'abc", 8, "unterminated character literal"},
		{"floors > 3 AND", 15, "expected a property"},
		{"(floors > 3", 12, `expected ")"`},
		{"名称 = 'x' ANDD floors = 1", 10, "expected AND, OR or the end"},
		{"name = 'x' # 1", 12, "unexpected character '#'"},
		{"S_INTERSECTS(geometry, POINT(1))", 31, "expected a coordinate"},
		{"built > TIMESTAMP('yesterday')", 19, "is not a timestamp"},
		{"floors IS 3", 11, "expected NULL or NOT NULL"},
		{"", 1, "empty"},
	}
	for _, c := range cases {
		_, err := ParseText(c.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a *SyntaxError", c.in, err)
			continue
		}
		if se.Pos != c.pos || !strings.Contains(se.Msg, c.want) {
			t.Errorf("%q: %v (pos %d), want pos %d and %q", c.in, err, se.Pos, c.pos, c.want)
		}
	}
	_, err := ParseJSON([]byte(`{"op":"and","args":[{"op":"=","args":[{"property":"name"},"x"]},{"foo":1}]}`))
	if err == nil || !strings.Contains(err.Error(), "$.args[1]") {
		t.Errorf("JSON error %v does not name the path", err)
	}
}

func TestCompileErrorsNameTheFault(t *testing.T) {
	cases := []struct{ in, want string }{
		{"nope = 1", `unknown property "nope"`},
		{"name = 3", "cannot compare a character string with a number"},
		{"floors LIKE 'x'", "LIKE compares character strings"},
		{"S_INTERSECTS(name, POINT(1 2))", "compares geometries"},
		{"FOO(name)", "unknown function FOO"},
		{"floors + 1", "not a condition"},
		{"T_AFTER(name, DATE('2020-01-01'))", "compares instants or intervals"},
	}
	for _, c := range cases {
		f, err := ParseText(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		_, _, err = f.Compile(testSchema(), 1)
		var inv *spatial.InvalidError
		if !errors.As(err, &inv) || inv.Param != "filter" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an invalid filter saying %q", c.in, err, c.want)
		}
	}
}

// TestInjectionIsBound: hostile text only ever becomes a bound argument or a refused property name.
func TestInjectionIsBound(t *testing.T) {
	sql, args := compileText(t, `name = 'x''; DROP TABLE basemap.building; --'`)
	if strings.Contains(sql, "DROP") || args[0] != "x'; DROP TABLE basemap.building; --" {
		t.Errorf("sql %s args %v", sql, args)
	}
	f, err := ParseText(`"name""; DROP TABLE x; --" = 'a'`)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Compile(testSchema(), 1); err == nil || !strings.Contains(err.Error(), "unknown property") {
		t.Errorf("a hostile property name compiled: %v", err)
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		"name = 'x' AND floors > 2", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))",
		"T_DURING(built, INTERVAL('2020-01-01', '..'))", "name NOT IN ('a','b')", "floors * 2 ^ 3 % 4 div 5 > -1",
		"S_WITHIN(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2))))",
		"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING Z(1 2 3, 4 5 6)))", `"road:class" LIKE '%\_%'`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseText(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T %v is not a *SyntaxError", s, err, err)
			}
			return
		}
		checkCompiled(t, flt)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"op":"and","args":[{"op":"=","args":[{"property":"name"},"x"]},{"op":">","args":[{"property":"floors"},2]}]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[1,2,3,4]}]}`,
		`{"op":"t_intersects","args":[{"property":"built"},{"interval":["2020-01-01",".."]}]}`,
		`{"op":"in","args":[{"property":"floors"},[1,2]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		flt, err := ParseJSON(b)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T %v is not a *SyntaxError", b, err, err)
			}
			return
		}
		checkCompiled(t, flt)
	})
}

// checkCompiled: whatever compiles has as many placeholders as arguments and carries no character
// data of the filter in its SQL except through placeholders.
func checkCompiled(t *testing.T, f *Filter) {
	sql, args, err := f.Compile(testSchema(), 1)
	if err != nil {
		var inv *spatial.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("compile error %T %v is not an *InvalidError", err, err)
		}
		return
	}
	for i := range args {
		if !strings.Contains(sql, "$"+strconv.Itoa(i+1)+"::") {
			t.Fatalf("placeholder $%d missing from %s", i+1, sql)
		}
	}
	if strings.ContainsAny(strings.NewReplacer("'-infinity'", "", "'infinity'", "").Replace(sql), ";'\\") {
		t.Fatalf("quote or semicolon in compiled SQL: %s", sql)
	}
}
