// Package cass maps CASS base maps (南方 CASS, the surveying CAD most Chinese 1:500 topographic maps
// are drawn in) onto Yitu's base-map feature classes, and imports them from DXF: layers and codes
// (XDATA of application SOUTH) decide the class by the embedded table.yaml; buildings become polygons
// with floors and structure from their labels (砼4, 混3); contours carry their elevation, elevation and
// control points their heights, annotations their text, height and angle.
package cass

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"
)

//go:embed table.yaml
var defaultTable []byte

// Class is a Yitu base-map feature class.
type Class struct {
	ID       string `yaml:"-"`
	Table    string `yaml:"table"` // schema.table
	TitleZh  string `yaml:"title_zh"`
	TitleEn  string `yaml:"title_en"`
	Geometry string `yaml:"geometry"` // polygon, line, point, text; "" = any
	Fallback string `yaml:"fallback"` // class for geometries this one cannot hold
}

// Ident is the class's table as a quoted identifier.
func (c *Class) Ident() pgx.Identifier {
	schema, table, _ := strings.Cut(c.Table, ".")
	return pgx.Identifier{schema, table}
}

// Layer is a CASS layer.
type Layer struct {
	Class string `yaml:"class"`
	Name  string `yaml:"name"`
}

// Code is an entry of the code table.
type Code struct {
	Prefix string `yaml:"prefix"`
	Digits int    `yaml:"digits"` // the code length the entry applies to: 6 (default) or 7
	Class  string `yaml:"class"`
	Name   string `yaml:"name"`
	Index  bool   `yaml:"index"` // an index contour (计曲线)
}

// Table is the layer/code → class table.
type Table struct {
	Classes      map[string]*Class `yaml:"classes"`
	Layers       map[string]Layer  `yaml:"layers"`
	Codes        []Code            `yaml:"codes"`
	Structures   map[string]string `yaml:"structures"`
	StoreyHeight float64           `yaml:"storey_height"`
	// RoadNameLayers are the layers whose texts may name a road (a road's own layer, the road and
	// general annotation layers).
	RoadNameLayers []string `yaml:"road_name_layers"`

	layers    map[string]Layer // upper-case names
	roadNames map[string]bool  // upper-case names of RoadNameLayers
	abbrevs   []string         // structure abbreviations, longest first
	labelRe   *regexp.Regexp
}

// Default returns the embedded table.
func Default() *Table {
	t, err := parse(defaultTable, "table.yaml")
	if err != nil {
		panic(err) // the embedded table is checked by the tests
	}
	return t
}

// Load reads a table from a YAML file. Its entries extend (and where they repeat, replace) the
// embedded table's.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	var own Table
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&own); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := Default()
	for k, c := range own.Classes {
		t.Classes[k] = c
	}
	for k, l := range own.Layers {
		t.Layers[k] = l
	}
	t.Codes = append(t.Codes, own.Codes...)
	for k, v := range own.Structures {
		t.Structures[k] = v
	}
	t.RoadNameLayers = append(t.RoadNameLayers, own.RoadNameLayers...)
	if own.StoreyHeight > 0 {
		t.StoreyHeight = own.StoreyHeight
	}
	if err := t.prepare(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func parse(b []byte, name string) (*Table, error) {
	var t Table
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := t.prepare(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &t, nil
}

// prepare checks the table and builds its lookups.
func (t *Table) prepare() error {
	for _, need := range []string{"other", "annotation"} {
		if t.Classes[need] == nil {
			return fmt.Errorf("class %q is missing", need)
		}
	}
	for id, c := range t.Classes {
		c.ID = id
		if schema, table, ok := strings.Cut(c.Table, "."); !ok || schema == "" || table == "" {
			return fmt.Errorf("class %s: table %q is not schema.table", id, c.Table)
		}
		if c.Fallback != "" && t.Classes[c.Fallback] == nil {
			return fmt.Errorf("class %s: fallback %q is not a class", id, c.Fallback)
		}
		switch c.Geometry {
		case "", "polygon", "line", "point", "text":
		default:
			return fmt.Errorf("class %s: geometry %q is not polygon, line, point or text", id, c.Geometry)
		}
	}
	t.layers = map[string]Layer{}
	for name, l := range t.Layers {
		if t.Classes[l.Class] == nil {
			return fmt.Errorf("layer %s: class %q is not a class", name, l.Class)
		}
		t.layers[strings.ToUpper(name)] = l
	}
	t.roadNames = map[string]bool{}
	for _, name := range t.RoadNameLayers {
		t.roadNames[strings.ToUpper(name)] = true
	}
	for i, c := range t.Codes {
		if t.Classes[c.Class] == nil {
			return fmt.Errorf("code %s: class %q is not a class", c.Prefix, c.Class)
		}
		if c.Digits == 0 {
			t.Codes[i].Digits = 6
		}
		if strings.Trim(c.Prefix, "0123456789") != "" || c.Prefix == "" {
			return fmt.Errorf("code prefix %q is not digits", c.Prefix)
		}
	}
	// Longest prefix first, so the first match is the most specific.
	sort.SliceStable(t.Codes, func(i, j int) bool { return len(t.Codes[i].Prefix) > len(t.Codes[j].Prefix) })
	t.abbrevs = t.abbrevs[:0]
	for k := range t.Structures {
		t.abbrevs = append(t.abbrevs, regexp.QuoteMeta(k))
	}
	sort.Slice(t.abbrevs, func(i, j int) bool {
		if len(t.abbrevs[i]) != len(t.abbrevs[j]) {
			return len(t.abbrevs[i]) > len(t.abbrevs[j])
		}
		return t.abbrevs[i] < t.abbrevs[j]
	})
	if t.StoreyHeight <= 0 {
		t.StoreyHeight = 3
	}
	// 砼4, 混3, 砖2-1 (two floors above ground, one below), 钢砼12, 简 (one floor)
	t.labelRe = regexp.MustCompile(`^(` + strings.Join(t.abbrevs, "|") + `)(\d{0,3})(?:-(\d{1,2}))?$`)
	return nil
}

// RoadNameLayer says whether texts on layer may name a road.
func (t *Table) RoadNameLayer(layer string) bool { return t.roadNames[strings.ToUpper(layer)] }

// Match is what the table says of one entity.
type Match struct {
	Class *Class
	Kind  string // the code's or layer's name (首曲线, 居民地, ...)
	Index bool   // index contour
	Known bool   // the layer or code was in the table (false: basemap.other by default)
}

// Resolve classifies an entity by its CASS code and layer (text entities are annotations before this).
func (t *Table) Resolve(layer, code string) Match {
	if code != "" && (len(code) == 6 || len(code) == 7) {
		for _, c := range t.Codes {
			if c.Digits == len(code) && strings.HasPrefix(code, c.Prefix) {
				return Match{Class: t.Classes[c.Class], Kind: c.Name, Index: c.Index, Known: true}
			}
		}
	}
	if l, ok := t.layers[strings.ToUpper(strings.TrimSpace(layer))]; ok {
		return Match{Class: t.Classes[l.Class], Kind: l.Name, Known: true}
	}
	return Match{Class: t.Classes["other"]}
}

// Class returns a class by id.
func (t *Table) Class(id string) *Class { return t.Classes[id] }

// Label is a building label: structure and floors (砼4).
type Label struct {
	Structure     string // the abbreviation as written: 砼
	StructureName string // 钢筋混凝土
	Floors        int    // above ground
	Basement      int    // below ground
}

// ParseLabel reads a building label such as 砼4, 混3, 砖2-1 or 简; ok is false for other texts.
func (t *Table) ParseLabel(s string) (Label, bool) {
	m := t.labelRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Label{}, false
	}
	l := Label{Structure: m[1], StructureName: t.Structures[m[1]], Floors: 1}
	if m[2] != "" {
		n, _ := strconv.Atoi(m[2])
		if n == 0 || n > 200 {
			return Label{}, false
		}
		l.Floors = n
	}
	if m[3] != "" {
		l.Basement, _ = strconv.Atoi(m[3])
	}
	return l, true
}

// ClassIDs lists the classes, sorted.
func (t *Table) ClassIDs() []string {
	ids := make([]string, 0, len(t.Classes))
	for id := range t.Classes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
