package cass

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestImportBlockReferences: ../dxf/testdata/blocks.dxf (a 5 × 5 MINSERT with three attributes, a
// mirrored block holding a nested reference with an attribute and a constant one, an extruded
// reference) lands as 25 + 1 manhole symbols carrying 75 + 1 attributes at the hand-computed cells,
// and the nested lamp with both its attributes.
func TestImportBlockReferences(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := importFile(t, pool, "../dxf/testdata/blocks.dxf", Options{SRS: "EPSG:4549"}); err != nil {
		t.Fatal(err)
	}
	const x0, y0 = 494500.0, 4115000.0
	want := map[string]bool{}
	c30, s30 := math.Sqrt(3)/2, 0.5
	for c := 0; c < 5; c++ {
		for w := 0; w < 5; w++ {
			dx, dy := 10*float64(c), 20*float64(w)
			want[fmt.Sprintf("%.3f %.3f", x0+c30*dx-s30*dy, y0+s30*dx+c30*dy)] = true
		}
	}
	rows, err := pool.Query(ctx, `
		SELECT ST_X(p), ST_Y(p), props->'attributes'->>'NO', coalesce(props->'attributes'->>'H', ''), coalesce(props->'attributes'->>'OWNER', ''),
		       (SELECT count(*) FROM jsonb_object_keys(props->'attributes'))
		FROM (SELECT ST_Transform(geom, 4549) p, props FROM basemap.facility WHERE props->>'block' = 'MH') s`)
	if err != nil {
		t.Fatal(err)
	}
	n, attribs := 0, 0
	for rows.Next() {
		var x, y float64
		var no, h, owner string
		var k int
		if err := rows.Scan(&x, &y, &no, &h, &owner, &k); err != nil {
			t.Fatal(err)
		}
		n++
		if no == "X1" { // the extruded reference, with NO only
			if math.Abs(x-(x0+100)) > 1e-3 || math.Abs(y-(y0+50)) > 1e-3 {
				t.Errorf("extruded MH at %.3f %.3f, want %.3f %.3f", x, y, x0+100, y0+50)
			}
			continue
		}
		at := fmt.Sprintf("%.3f %.3f", x, y)
		if !want[at] || no != "W-01" || h != "12.5" || owner != "县水务局" {
			t.Errorf("MH at %s (a hand-computed cell: %v) with NO %q H %q OWNER %q", at, want[at], no, h, owner)
		}
		delete(want, at)
		attribs += k
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 26 || attribs != 75 || len(want) != 0 {
		t.Errorf("%d MH symbols, %d attributes on the MINSERT's, cells missed %v; want 26, 75, none", n, attribs, want)
	}
	var x, y float64
	var no, typ, from string
	err = pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p), props->'attributes'->>'NO', props->'attributes'->>'TYPE', props->>'from_block'
		FROM (SELECT ST_Transform(geom, 4549) p, props FROM basemap.facility WHERE props->>'block' = 'LAMP') s`).Scan(&x, &y, &no, &typ, &from)
	if err != nil || math.Abs(x-(x0+500)) > 1e-3 || math.Abs(y-(y0+480)) > 1e-3 || no != "P1" || typ != "路灯" || from != "PAIR" {
		t.Errorf("nested LAMP at %.3f %.3f NO %q TYPE %q from %q (%v); want %.3f %.3f P1 路灯 PAIR", x, y, no, typ, from, err, x0+500, y0+480)
	}
}

// TestRoadNames: testdata/roads.dxf has three road lines and four texts. A road takes the name of a
// text on a road-name layer near it and along it; a road without one has no name (NULL), and what
// kind of feature it is stays in props.kind.
func TestRoadNames(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := importFile(t, pool, "testdata/roads.dxf", Options{SRS: "EPSG:4549"}); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT round(ST_X(ST_StartPoint(p))::numeric) - 494500, round(ST_Y(ST_StartPoint(p))::numeric) - 4115000,
		coalesce(name, 'NULL'), props->>'kind' FROM (SELECT ST_Transform(geom, 4549) p, name, props FROM basemap.road) s`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var x, y float64
		var name, kind string
		if err := rows.Scan(&x, &y, &name, &kind); err != nil {
			t.Fatal(err)
		}
		if kind != "交通设施" {
			t.Errorf("road at %v %v: kind %q, want 交通设施", x, y, kind)
		}
		got[fmt.Sprintf("%g %g", x, y)] = name
	}
	want := map[string]string{
		"100 -100": "府前路",  // 3 m from the west-east road but across it: the north-south road's
		"0 0":      "文化东街", // along it
		"0 300":    "NULL", // 幸福小区 is on the building layer, 人民广场 60° across it
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("road names %v, want %v", got, want)
	}
	var n int
	pool.QueryRow(ctx, `SELECT count(*) FROM basemap.annotation WHERE name IS NULL`).Scan(&n)
	if n != 4 {
		t.Errorf("%d annotations without a name, want all 4 (their text is in text)", n)
	}
}
