package glb_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"

	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// box returns a w×d×h box standing on the origin (east, north, up), flat-shaded, one feature id.
func box(w, d, h float64, id uint32, p *glb.Primitive) {
	faces := [][4][3]float64{
		{{0, 0, 0}, {w, 0, 0}, {w, 0, h}, {0, 0, h}}, // south
		{{w, 0, 0}, {w, d, 0}, {w, d, h}, {w, 0, h}}, // east
		{{w, d, 0}, {0, d, 0}, {0, d, h}, {w, d, h}}, // north
		{{0, d, 0}, {0, 0, 0}, {0, 0, h}, {0, d, h}}, // west
		{{0, 0, h}, {w, 0, h}, {w, d, h}, {0, d, h}}, // roof
	}
	normals := [][3]float64{{0, -1, 0}, {1, 0, 0}, {0, 1, 0}, {-1, 0, 0}, {0, 0, 1}}
	uvs := [4][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}}
	for f, q := range faces {
		base := uint32(len(p.Positions))
		for k, v := range q {
			p.Positions = append(p.Positions, glb.YUp(v[0], v[1], v[2]))
			n := normals[f]
			p.Normals = append(p.Normals, glb.YUp(n[0], n[1], n[2]))
			p.UVs = append(p.UVs, uvs[k])
			p.FeatureIDs = append(p.FeatureIDs, id)
		}
		p.Indices = append(p.Indices, base, base+1, base+2, base, base+2, base+3)
	}
}

func testImages(t *testing.T) (pngImg, jpgImg *glb.Image) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.Set(i%4, i/4, color.RGBA{uint8(i * 16), 80, 160, 255})
	}
	var pb, jb bytes.Buffer
	if err := png.Encode(&pb, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	return &glb.Image{Name: "facade", MIMEType: "image/png", Data: pb.Bytes()},
		&glb.Image{Name: "roof", MIMEType: "image/jpeg", Data: jb.Bytes(), Repeat: true}
}

// sample is two buildings (one textured PNG, one JPEG) sharing a property table, under a node with a
// translation, plus a grouping node.
func sample(t *testing.T) *glb.Model {
	pngImg, jpgImg := testImages(t)
	table := &glb.PropertyTable{Class: "building", Name: "房屋 Buildings", Count: 2, Properties: []glb.Property{
		{Name: "id", Title: "编号", Strings: []string{"101", "102"}},
		{Name: "layer", Title: "图层", Strings: []string{"basemap.building", "basemap.building"}},
		{Name: "address", Title: "地址", Strings: []string{"莱州市文化东街 1 号", ""}},
		{Name: "height", Title: "高度(米)", Floats: []float64{12.5, math.NaN()}},
		{Name: "floors", Title: "层数", Ints: []int32{4, glb.NoInt}},
		{Name: "owner", Title: "权属单位", Strings: []string{"", ""}}, // all missing: declared, not written
	}}
	a, b := &glb.Primitive{Table: table}, &glb.Primitive{Table: table}
	box(10, 8, 12.5, 0, a)
	box(6, 6, 9, 1, b)
	a.Material = &glb.Material{Name: "facade", BaseColor: [4]float32{1, 1, 1, 1}, Texture: pngImg, Roughness: 0.9}
	b.Material = &glb.Material{Name: "roof", BaseColor: [4]float32{1, 1, 1, 1}, Texture: jpgImg, Unlit: true}
	mesh := &glb.Mesh{Name: "buildings", Primitives: []*glb.Primitive{a, b}}
	m := [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 0, -3, 1}
	return &glb.Model{Nodes: []*glb.Node{{Name: "tile", Children: []*glb.Node{{Name: "block", Mesh: mesh, Matrix: &m}}}}}
}

func TestEncodeValidates(t *testing.T) {
	b, err := glb.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "two_buildings.glb")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("glb differs from %s (%d vs %d bytes); if the change is intended, run go test -update", golden, len(b), len(want))
	}
	if len(b)%4 != 0 {
		t.Errorf("glb length %d is not a multiple of 4", len(b))
	}
	glbtest.CheckBytes(t, map[string][]byte{"two_buildings.glb": b})
}

func TestEncodeMetadata(t *testing.T) {
	b, err := glb.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	doc := new(gltf.Document)
	if err := gltf.NewDecoder(bytes.NewReader(b)).Decode(doc); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{glb.ExtMeshFeatures, glb.ExtStructuralMetadata, "KHR_materials_unlit"} {
		if !strings.Contains(strings.Join(doc.ExtensionsUsed, ","), ext) {
			t.Errorf("extensionsUsed %v lacks %s", doc.ExtensionsUsed, ext)
		}
	}
	if len(doc.ExtensionsRequired) != 0 {
		t.Errorf("extensionsRequired = %v; viewers without 3D Tiles metadata must still draw the model", doc.ExtensionsRequired)
	}
	if len(doc.Images) != 2 || doc.Images[0].MimeType != "image/png" || doc.Images[1].MimeType != "image/jpeg" {
		t.Errorf("images = %+v", doc.Images)
	}
	if n := doc.Nodes[1]; n.Matrix[12] != 5 || n.Matrix[14] != -3 || *n.Mesh != 0 || len(doc.Nodes[0].Children) != 1 {
		t.Errorf("nodes = %+v %+v", doc.Nodes[0], n)
	}

	// The property table, read back through the buffer views as a viewer would.
	var md struct {
		Schema struct {
			Classes map[string]struct {
				Properties map[string]struct {
					Type, ComponentType string
					NoData              *float64
				}
			}
		}
		PropertyTables []struct {
			Class      string
			Count      int
			Properties map[string]struct{ Values, StringOffsets int }
		}
	}
	raw, _ := json.Marshal(doc.Extensions[glb.ExtStructuralMetadata])
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	props := md.Schema.Classes["building"].Properties
	if props["id"].Type != "STRING" || props["height"].ComponentType != "FLOAT64" || props["floors"].ComponentType != "INT32" || props["owner"].Type != "STRING" {
		t.Errorf("class properties = %+v", props)
	}
	if len(md.PropertyTables) != 1 || md.PropertyTables[0].Count != 2 {
		t.Fatalf("property tables = %+v", md.PropertyTables)
	}
	pt := md.PropertyTables[0]
	if _, ok := pt.Properties["owner"]; ok {
		t.Error("a property with no values was written")
	}
	view := func(i int) []byte {
		v, err := modeler.ReadBufferView(doc, doc.BufferViews[i])
		if err != nil {
			t.Fatal(err)
		}
		if doc.BufferViews[i].ByteOffset%8 != 0 {
			t.Errorf("buffer view %d at offset %d is not 8-byte aligned", i, doc.BufferViews[i].ByteOffset)
		}
		return v
	}
	strs := func(name string) []string {
		vals, offs := view(pt.Properties[name].Values), view(pt.Properties[name].StringOffsets)
		var out []string
		for i := range pt.Count {
			a := int(offs[4*i]) | int(offs[4*i+1])<<8
			z := int(offs[4*i+4]) | int(offs[4*i+5])<<8
			out = append(out, string(vals[a:z]))
		}
		return out
	}
	if got := strs("address"); got[0] != "莱州市文化东街 1 号" || got[1] != "" {
		t.Errorf("address = %q", got)
	}
	if got := strs("id"); got[0] != "101" || got[1] != "102" {
		t.Errorf("id = %q", got)
	}
	h := view(pt.Properties["height"].Values)
	if v := math.Float64frombits(le64(h[0:])); v != 12.5 {
		t.Errorf("height[0] = %v", v)
	}
	if v := math.Float64frombits(le64(h[8:])); v != *props["height"].NoData {
		t.Errorf("missing height = %v, want the noData value", v)
	}

	// Feature ids on the primitives.
	for i, p := range doc.Meshes[0].Primitives {
		raw, _ := json.Marshal(p.Extensions[glb.ExtMeshFeatures])
		var mf struct {
			FeatureIds []struct{ FeatureCount, Attribute, PropertyTable int }
		}
		if err := json.Unmarshal(raw, &mf); err != nil || len(mf.FeatureIds) != 1 || mf.FeatureIds[0].FeatureCount != 1 {
			t.Errorf("primitive %d EXT_mesh_features = %s", i, raw)
		}
		acc := doc.Accessors[p.Attributes[glb.FeatureIDAttribute]]
		ids, err := modeler.ReadAccessor(doc, acc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f := ids.([]float32); f[0] != float32(i) || f[len(f)-1] != float32(i) {
			t.Errorf("primitive %d feature ids = %v", i, f)
		}
	}
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func TestEncodeRefusesInvalidModels(t *testing.T) {
	table := &glb.PropertyTable{Class: "pipe", Count: 1, Properties: []glb.Property{{Name: "id", Strings: []string{"1"}}}}
	tri := [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 0, -1}}
	cases := map[string]struct {
		m    *glb.Model
		want string
	}{
		"index out of range": {one(&glb.Primitive{Positions: tri, Indices: []uint32{0, 1, 3}}), "index 2 is 3"},
		"normals count":      {one(&glb.Primitive{Positions: tri, Normals: tri[:2]}), "2 normals for 3 positions"},
		"feature id too big": {one(&glb.Primitive{Positions: tri, FeatureIDs: []uint32{0, 0, 1}, Table: table}), "feature id 1 but table"},
		"ids without table":  {one(&glb.Primitive{Positions: tri, FeatureIDs: []uint32{0, 0, 0}}), "without a property table"},
		"texture without uv": {one(&glb.Primitive{Positions: tri, Material: &glb.Material{Texture: &glb.Image{MIMEType: "image/png", Data: []byte{1}}}}), "no texture coordinates"},
		"bad mime": {one(&glb.Primitive{Positions: tri, UVs: make([][2]float32, 3),
			Material: &glb.Material{Texture: &glb.Image{Name: "x.bmp", MIMEType: "image/bmp", Data: []byte{1}}}}), `"image/bmp"`},
		"empty mesh":      {one(&glb.Primitive{}), "has no triangles"},
		"not finite":      {one(&glb.Primitive{Positions: [][3]float32{{float32(math.NaN()), 0, 0}, {}, {}}}), "not finite"},
		"short column":    {one(&glb.Primitive{Positions: tri, FeatureIDs: []uint32{0, 0, 0}, Table: &glb.PropertyTable{Class: "x", Count: 1, Properties: []glb.Property{{Name: "a", Floats: []float64{1, 2}}}}}), "2 values for 1 features"},
		"bad class name":  {one(&glb.Primitive{Positions: tri, FeatureIDs: []uint32{0, 0, 0}, Table: &glb.PropertyTable{Class: "管线", Count: 1}}), "not an identifier"},
		"bad property id": {one(&glb.Primitive{Positions: tri, FeatureIDs: []uint32{0, 0, 0}, Table: &glb.PropertyTable{Class: "x", Count: 1, Properties: []glb.Property{{Name: "管径", Floats: []float64{1}}}}}), "not an identifier"},
	}
	for name, c := range cases {
		_, err := glb.Marshal(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, c.want)
		}
	}
}

func one(p *glb.Primitive) *glb.Model {
	return &glb.Model{Nodes: []*glb.Node{{Mesh: &glb.Mesh{Name: "m", Primitives: []*glb.Primitive{p}}}}}
}

// A large primitive switches to 32-bit indices and still validates.
func TestEncodeLargeIndices(t *testing.T) {
	p := &glb.Primitive{}
	for i := range 70000 / 4 {
		base := uint32(len(p.Positions))
		x := float32(i%200) * 2
		z := float32(i/200) * 2
		p.Positions = append(p.Positions, [3]float32{x, 0, z}, [3]float32{x + 1, 0, z}, [3]float32{x + 1, 0, z - 1}, [3]float32{x, 0, z - 1})
		p.Normals = append(p.Normals, [3]float32{0, 2, 0}, [3]float32{0, 1, 0}, [3]float32{0, 1, 0}, [3]float32{}) // normalised on write
		p.Indices = append(p.Indices, base, base+1, base+2, base, base+2, base+3)
	}
	b, err := glb.Marshal(one(p))
	if err != nil {
		t.Fatal(err)
	}
	doc := new(gltf.Document)
	if err := gltf.NewDecoder(bytes.NewReader(b)).Decode(doc); err != nil {
		t.Fatal(err)
	}
	if ct := doc.Accessors[*doc.Meshes[0].Primitives[0].Indices].ComponentType; ct != gltf.ComponentUint {
		t.Errorf("index component type = %v, want UNSIGNED_INT", ct)
	}
	glbtest.CheckBytes(t, map[string][]byte{"large.glb": b})
}

func BenchmarkEncodeBoxes(b *testing.B) {
	const n = 1000
	table := &glb.PropertyTable{Class: "building", Count: n}
	ids := make([]string, n)
	heights := make([]float64, n)
	p := &glb.Primitive{Table: table}
	for i := range n {
		ids[i] = "b" + string(rune('0'+i%10))
		heights[i] = float64(10 + i%20)
		box(8, 8, heights[i], uint32(i), p)
		for k := len(p.Positions) - 20; k < len(p.Positions); k++ {
			p.Positions[k][0] += float32(i%40) * 12
			p.Positions[k][2] -= float32(i/40) * 12
		}
	}
	p.UVs = nil
	table.Properties = []glb.Property{{Name: "id", Strings: ids}, {Name: "height", Floats: heights}}
	m := one(p)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := glb.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size)/n, "bytes/building")
}

// The validator run by the tests does catch broken files (so a pass means something).
func TestValidatorCatchesErrors(t *testing.T) {
	b, err := glb.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Clone(b)
	// Point the first index accessor past its buffer view: the validator must report an error.
	broken = bytes.Replace(broken, []byte(`"count":30,"type":"SCALAR"`), []byte(`"count":90,"type":"SCALAR"`), 1)
	if bytes.Equal(broken, b) {
		t.Fatal("test setup: the index accessor's JSON was not found")
	}
	f := filepath.Join(t.TempDir(), "broken.glb")
	if err := os.WriteFile(f, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	r := glbtest.Run(t, f)
	if r[0].Errors == 0 {
		t.Errorf("the validator found no error in a broken glb: %s", r[0])
	}
}
