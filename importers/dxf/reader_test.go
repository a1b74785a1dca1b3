package dxf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
)

// counts is what the golden comparison looks at: features per layer, per geometry type, and the text
// of text features.
type counts struct {
	Total   int
	Layers  map[string]int
	Kinds   map[string]int
	Texts   []string
	XYRange [4]float64
}

func (c *counts) String() string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

func readAll(t testing.TB, path string, o Options) ([]*Entity, *Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o.Name = filepath.Base(path)
	r, err := NewReader(f, o)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []*Entity
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	return out, r
}

func ourCounts(ents []*Entity) *counts {
	c := &counts{Layers: map[string]int{}, Kinds: map[string]int{}}
	c.XYRange = emptyRange()
	for _, e := range ents {
		x0, y0, x1, y1 := e.Geom.Bounds()
		c.XYRange = [4]float64{min(c.XYRange[0], x0), min(c.XYRange[1], y0), max(c.XYRange[2], x1), max(c.XYRange[3], y1)}
		c.Total++
		c.Layers[e.Layer]++
		c.Kinds[e.Geom.Kind.String()]++
		if e.Text != nil {
			c.Texts = append(c.Texts, e.Text.Value)
		}
	}
	sort.Strings(c.Texts)
	return c
}

// gdalCounts reads the file with GDAL (ogr2ogr to GeoJSON sequence) and counts the same things.
// GDAL leaves \U+XXXX escapes in layer names of R12 files undecoded; they are decoded here so that the
// layer names compare.
// A drawing without $DWGCODEPAGE is read by GDAL as Windows-1252 (AutoCAD's default) only when told.
func gdalCounts(t *testing.T, path string, h Header) *counts {
	t.Helper()
	cmd := exec.Command("ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", path)
	// One feature per entity of an expanded block, as this reader gives them (GDAL merges them by
	// default).
	cmd.Env = append(os.Environ(), "DXF_MERGE_BLOCK_GEOMETRIES=FALSE")
	if h.Encoding == "auto" {
		cmd.Env = append(cmd.Env, "DXF_ENCODING=CP1252")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ogr2ogr %s: %v\n%s", path, err, stderr.String())
	}
	c := &counts{Layers: map[string]int{}, Kinds: map[string]int{}}
	c.XYRange = emptyRange()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimLeft(sc.Bytes(), "\x1e")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var f struct {
			Properties struct {
				Layer string  `json:"Layer"`
				Text  *string `json:"Text"`
			} `json:"properties"`
			Geometry *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		}
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("ogr2ogr output: %v: %s", err, line)
		}
		c.Total++
		c.Layers[unescapeUnicode(f.Properties.Layer)]++
		kind := "None"
		if f.Geometry != nil {
			kind = f.Geometry.Type
			c.extend(f.Geometry.Coordinates)
		}
		c.Kinds[kind]++
		if f.Properties.Text != nil && kind == "Point" { // (GDAL puts a hatch's pattern name in Text too)
			c.Texts = append(c.Texts, *f.Properties.Text)
		}
	}
	sort.Strings(c.Texts)
	return c
}

// TestAgainstGDAL reads every DXF of the shared test data and the project's own test drawings and
// compares the entity counts per layer and per geometry type with what GDAL reads from the same file.
func TestAgainstGDAL(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(shareddata.Dir(t), "dxf", "*.dxf"))
	if len(files) == 0 {
		t.Fatal("no DXF files in the shared test data")
	}
	own, _ := filepath.Glob("testdata/*.dxf")
	files = append(files, own...)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ents, r := readAll(t, path, Options{})
			ours := ourCounts(dropTexts(ents, gdalOmits[filepath.Base(path)]))
			gdal := gdalCounts(t, path, r.Header())
			if ours.Total != gdal.Total {
				t.Errorf("%d entities; GDAL reads %d", ours.Total, gdal.Total)
			}
			if !equalMaps(ours.Layers, gdal.Layers) {
				t.Errorf("per layer: %v; GDAL: %v", ours.Layers, gdal.Layers)
			}
			if !equalMaps(ours.Kinds, gdal.Kinds) {
				t.Errorf("per geometry type: %v; GDAL: %v", ours.Kinds, gdal.Kinds)
			}
			if len(ours.Texts) != len(gdal.Texts) {
				t.Errorf("%d texts; GDAL reads %d", len(ours.Texts), len(gdal.Texts))
			}
			for i := range 4 {
				a, b := ours.XYRange[i], gdal.XYRange[i]
				if math.Abs(a-b) > 1e-6*max(1, math.Abs(b)) {
					t.Errorf("extent %v; GDAL: %v", ours.XYRange, gdal.XYRange)
					break
				}
			}
		})
	}
}

// gdalOmits are texts AutoCAD draws and GDAL leaves out, by file: the ATTRIB of a block reference
// nested in a block, and a block's constant attribute (ATTDEF flag 2).
var gdalOmits = map[string][]string{"blocks.dxf": {"P1", "路灯"}}

func dropTexts(ents []*Entity, texts []string) []*Entity {
	var out []*Entity
next:
	for _, e := range ents {
		for _, s := range texts {
			if e.Text != nil && e.Text.Value == s {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

func emptyRange() [4]float64 {
	return [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

// extend grows the XY range by the positions in GeoJSON coordinates of any nesting.
func (c *counts) extend(raw json.RawMessage) {
	var pos []float64
	if json.Unmarshal(raw, &pos) == nil && len(pos) >= 2 {
		c.XYRange = [4]float64{min(c.XYRange[0], pos[0]), min(c.XYRange[1], pos[1]), max(c.XYRange[2], pos[0]), max(c.XYRange[3], pos[1])}
		return
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) == nil {
		for _, p := range parts {
			c.extend(p)
		}
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTextDecoding(t *testing.T) {
	t.Run("R12 \\U+ escapes and Windows-1252", func(t *testing.T) {
		ents, r := readAll(t, shareddata.Path(t, "dxf/ASCII_R12.dxf"), Options{})
		if r.Header().Encoding != "auto" {
			t.Errorf("encoding %q, want auto (no $DWGCODEPAGE)", r.Header().Encoding)
		}
		var texts []string
		for _, e := range ents {
			if e.Layer != "ΛΑΓΕΡÄÜÖ" {
				t.Errorf("layer %q, want ΛΑΓΕΡÄÜÖ", e.Layer)
			}
			if e.Text != nil {
				texts = append(texts, e.Text.Value)
			}
		}
		if len(texts) != 1 || texts[0] != "ABCÄÜÖαβγ" {
			t.Errorf("texts %q, want [ABCÄÜÖαβγ]", texts)
		}
	})
	t.Run("caret encoding", func(t *testing.T) {
		ents, _ := readAll(t, shareddata.Path(t, "dxf/caret_encoding.dxf"), Options{})
		got := map[string]string{}
		for _, e := range ents {
			v := e.Text.Value
			got[v[:1]] = v
		}
		want := map[string]string{
			"a": "a: abcdef", "i": "i: abc\tdef", "j": "j: abc\ndef", "J": "J: abc\ndef", "I": "I: abc\tdef",
			"@": "@: abcdef", " ": " : abc^def", "^": "^",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q: got %q, want %q", k, got[k], v)
			}
		}
	})
	t.Run("UTF-8 layer table of R2013", func(t *testing.T) {
		_, r := readAll(t, shareddata.Path(t, "dxf/dxf_unicode.dxf"), Options{})
		if _, ok := r.Layers()["Tschüss mit ü"]; !ok {
			t.Errorf("layers %v: want Tschüss mit ü", keys(r.Layers()))
		}
	})
	t.Run("MTEXT formatting", func(t *testing.T) {
		cases := map[string]string{
			`{\fSimSun|b0|i0|c134;文化东街}`:     "文化东街",
			`第一行\P第二行`:                       "第一行\n第二行",
			`\A1;\H2.5x;砼\S4^;`:              "砼4",
			`a\~b\\c\{d\}`:                   `a b\c{d}`,
			`\pxqc;\LUnder\l \Ostrike\o %%d`: "Under strike %%d",
			`\C1;\W0.8;\T1.1;\Q15;红`:         "红",
			`\S1#2;`:                         "1/2",
		}
		for in, want := range cases {
			if got := PlainMText(in); got != want {
				t.Errorf("PlainMText(%q) = %q, want %q", in, got, want)
			}
		}
		if got := textSpecials("30%%d %%p0.5 %%c20 100%%%"); got != "30° ±0.5 ⌀20 100%" {
			t.Errorf("textSpecials: %q", got)
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestGeoData(t *testing.T) {
	path := shareddata.Path(t, "dxf/houses_of_parliament_georeferenced.dxf")
	ents, r := readAll(t, path, Options{})
	g := r.GeoData()
	if g == nil {
		t.Fatal("no GEODATA read")
	}
	if g.EPSG != 27700 || g.CoordinateType != 1 {
		t.Errorf("EPSG %d type %d, want 27700, local grid (1)", g.EPSG, g.CoordinateType)
	}
	f, _ := os.Open(path)
	defer f.Close()
	scanned, err := ScanGeoData(f, Options{Name: "houses"})
	if err != nil || scanned == nil || scanned.EPSG != 27700 || scanned.DesignPoint != g.DesignPoint {
		t.Errorf("ScanGeoData: %+v, %v", scanned, err)
	}
	// The design point maps onto the reference point; the outline lies around Westminster
	// (British National Grid, about E 530 000, N 179 500) and is a few hundred metres long.
	x, y := g.Transform(g.DesignPoint)
	if x != g.ReferencePoint.X || y != g.ReferencePoint.Y {
		t.Errorf("design point → %f %f, want the reference point %v", x, y, g.ReferencePoint)
	}
	minX, minY, maxX, maxY := ents[0].Geom.Bounds()
	x0, y0 := g.Transform(Vec{minX, minY, 0})
	x1, y1 := g.Transform(Vec{maxX, maxY, 0})
	for _, v := range [][2]float64{{x0, y0}, {x1, y1}} {
		if v[0] < 529500 || v[0] > 530800 || v[1] < 178800 || v[1] > 180200 {
			t.Errorf("corner %.0f %.0f is not at Westminster", v[0], v[1])
		}
	}
	if r.Header().InsUnits != 1 || UnitsToMetres(r.Header().InsUnits) != 0.0254 {
		t.Errorf("$INSUNITS %d", r.Header().InsUnits)
	}
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(shareddata.Path(t, "dxf/Leica_Disto_S910.dxf"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(b []byte) error {
		r, err := NewReader(bytes.NewReader(b), Options{Name: "bad.dxf"})
		if err != nil {
			return err
		}
		for {
			if _, err := r.Next(); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
		}
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"binary", append(append([]byte{}, binarySentinel...), 0, 0, 'S', 'E', 'C'), "binary DXF is not supported"},
		{"truncated in entities", good[:len(good)*3/4], "truncated file"},
		{"truncated after a group code", []byte("0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n"), "bad.dxf:7: file ends after group code 8"},
		{"not a number", []byte("0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n0\n10\nabc\n0\nENDSEC\n0\nEOF\n"), "bad.dxf:9: LINE: group 10 has the value \"abc\""},
		{"not DXF", []byte("hello world\n"), "bad.dxf:1"},
		{"empty", nil, "empty file"},
	}
	for _, c := range cases {
		err := read(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if c.name == "binary" && !errors.Is(err, ErrBinary) {
			t.Errorf("binary: %v is not ErrBinary", err)
		}
	}
	if err := read(good); err != nil {
		t.Errorf("the untruncated file: %v", err)
	}
}

func ExampleReader() {
	in := "0\nSECTION\n2\nHEADER\n9\n$DWGCODEPAGE\n3\nANSI_936\n0\nENDSEC\n" +
		"0\nSECTION\n2\nENTITIES\n0\nTEXT\n8\nZJ\n10\n40494500\n20\n4115000\n40\n3\n1\n\xce\xc4\xbb\xaf\xb6\xab\xbd\xd6\n" +
		"1001\nSOUTH\n1000\n190200\n0\nENDSEC\n0\nEOF\n"
	r, _ := NewReader(strings.NewReader(in), Options{Name: "example.dxf"})
	e, _ := r.Next()
	fmt.Println(e.Type, e.Layer, e.Text.Value, e.XString("SOUTH"), e.Geom.Coords[:2])
	// Output: TEXT ZJ 文化东街 190200 [4.04945e+07 4.115e+06]
}
