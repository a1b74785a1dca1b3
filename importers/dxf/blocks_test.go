package dxf

import (
	"fmt"
	"math"
	"sort"
	"testing"
)

// blocks.dxf (testdata, written by hand): a 5 × 5 MINSERT of block MH (base point (2,3)) at
// (X0, Y0), rotated 30°, columns 10 m and rows 20 m apart, with three ATTRIBs; block PAIR (a line and
// a nested LAMP reference with its own ATTRIB; LAMP has a constant ATTDEF TYPE=路灯) inserted
// mirrored (X scale −2, Y scale 2) and rotated 90°; and MH inserted with extrusion (0,0,−1).
const bx0, by0 = 494500.0, 4115000.0

// minsertCells are the 25 cell positions, computed by hand: (X0, Y0) + R(30°)·(10c, 20w).
func minsertCells() [][2]float64 {
	c30, s30 := math.Sqrt(3)/2, 0.5
	var out [][2]float64
	for c := 0; c < 5; c++ {
		for w := 0; w < 5; w++ {
			dx, dy := 10*float64(c), 20*float64(w)
			out = append(out, [2]float64{bx0 + c30*dx - s30*dy, by0 + s30*dx + c30*dy})
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func key(x, y float64) string { return fmt.Sprintf("%.4f %.4f", x, y) }

func TestBlockReferences(t *testing.T) {
	t.Run("symbols", func(t *testing.T) {
		ents, _ := readAll(t, "testdata/blocks.dxf", Options{Inserts: SymbolInserts})
		var mh []*Entity
		var lamp, line *Entity
		others := 0
		for _, e := range ents {
			switch {
			case e.Insert != nil && e.Insert.Block == "MH":
				mh = append(mh, e)
			case e.Insert != nil && e.Insert.Block == "LAMP":
				lamp = e
			case e.Type == "LINE":
				line = e
			default:
				others++
			}
		}
		if len(mh) != 26 || lamp == nil || line == nil || others != 0 {
			t.Fatalf("%d MH symbols (want 25 cells + 1), LAMP %v, line %v, %d others; want nothing else", len(mh), lamp, line, others)
		}
		want := map[string]bool{}
		for _, p := range minsertCells() {
			want[key(p[0], p[1])] = true
		}
		attribs := 0
		for _, e := range mh {
			k := key(e.Geom.Coords[0], e.Geom.Coords[1])
			if v, _ := e.Attr("NO"); v == "X1" {
				// extrusion (0,0,−1): OCS x is world −x, so OCS (−(X0+100), Y0+50) is world (X0+100, Y0+50)
				if k != key(bx0+100, by0+50) || len(e.Attribs) != 1 {
					t.Errorf("extruded MH at %s with %v; want %s", k, e.Attribs, key(bx0+100, by0+50))
				}
				continue
			}
			if !want[k] {
				t.Errorf("MINSERT cell at %s is none of the 25 hand-computed cells", k)
			}
			delete(want, k)
			if e.Insert.Rotation != 30 {
				t.Errorf("cell rotation %v", e.Insert.Rotation)
			}
			no, _ := e.Attr("NO")
			h, _ := e.Attr("H")
			owner, _ := e.Attr("OWNER")
			if no != "W-01" || h != "12.5" || owner != "县水务局" {
				t.Errorf("cell attributes %v", e.Attribs)
			}
			attribs += len(e.Attribs)
		}
		if len(want) != 0 || attribs != 75 {
			t.Errorf("cells missing: %v; %d attributes, want 75", want, attribs)
		}
		// PAIR: (x, y) ↦ (X0+500, Y0+500) + R(90°)·(−2x, 2y); LAMP sits at (10, 0) of PAIR.
		if k := key(lamp.Geom.Coords[0], lamp.Geom.Coords[1]); k != key(bx0+500, by0+480) {
			t.Errorf("nested LAMP at %s, want %s", k, key(bx0+500, by0+480))
		}
		no, _ := lamp.Attr("NO")
		typ, _ := lamp.Attr("TYPE")
		if no != "P1" || typ != "路灯" || lamp.Block != "PAIR" || lamp.Layer != "DLDW" {
			t.Errorf("nested LAMP: attributes %v, block %q, layer %q; want NO=P1, TYPE=路灯 (constant), from PAIR on DLDW", lamp.Attribs, lamp.Block, lamp.Layer)
		}
		// LAMP's x axis: R(90°)·(−2, 0) = (0, −2): mirrored, so X scale −2 and the axis flipped to 90°.
		if !near(lamp.Insert.Rotation, 90) || !near(lamp.Insert.Scale.X, -2) || !near(lamp.Insert.Scale.Y, 2) {
			t.Errorf("nested LAMP rotation %v scale %v; want 90°, (−2, 2)", lamp.Insert.Rotation, lamp.Insert.Scale)
		}
		g := line.Geom.Coords
		if key(g[0], g[1]) != key(bx0+500, by0+500) || key(g[3], g[4]) != key(bx0+500, by0+480) {
			t.Errorf("PAIR line %v", g)
		}
	})
	t.Run("expanded", func(t *testing.T) {
		ents, _ := readAll(t, "testdata/blocks.dxf", Options{})
		circles := map[string]bool{}
		texts := map[string][]string{}
		for _, e := range ents {
			if e.Text != nil {
				texts[e.Text.Value] = append(texts[e.Text.Value], key(e.Geom.Coords[0], e.Geom.Coords[1]))
				continue
			}
			if e.Type == "CIRCLE" {
				minX, minY, maxX, maxY := e.Geom.Bounds()
				circles[key((minX+maxX)/2, (minY+maxY)/2)] = true
			}
		}
		for _, p := range minsertCells() {
			// the block's circle is drawn around its base point, which lands on the cell
			if !circles[key(p[0], p[1])] {
				t.Errorf("no circle at cell %s", key(p[0], p[1]))
			}
		}
		// Each cell repeats the three attributes, offset like the cell: NO was written at (X0+1, Y0).
		var wantNo []string
		for _, p := range minsertCells() {
			wantNo = append(wantNo, key(p[0]+1, p[1]))
		}
		sort.Strings(wantNo)
		sort.Strings(texts["W-01"])
		if fmt.Sprint(texts["W-01"]) != fmt.Sprint(wantNo) || len(texts["12.5"]) != 25 || len(texts["县水务局"]) != 25 {
			t.Errorf("attribute texts NO at %v, want %v; H %d, OWNER %d (want 25 each)", texts["W-01"], wantNo, len(texts["12.5"]), len(texts["县水务局"]))
		}
		// P1 (ATTRIB at (11, 0) of PAIR) and the constant 路灯 ((2, 1) of LAMP = (11, 0) of PAIR) land at
		// (X0+500, Y0+500) + R(90°)·(−22, 0).
		at := key(bx0+500, by0+478)
		if fmt.Sprint(texts["P1"]) != "["+at+"]" || fmt.Sprint(texts["路灯"]) != "["+at+"]" {
			t.Errorf("nested attribute P1 at %v, constant 路灯 at %v; want both at %s", texts["P1"], texts["路灯"], at)
		}
		if fmt.Sprint(texts["X1"]) != "["+key(bx0+101, by0+50)+"]" || len(ents) != 106 {
			t.Errorf("X1 at %v; %d entities, want 106", texts["X1"], len(ents))
		}
	})
}
