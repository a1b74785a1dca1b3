package glb_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qmuntal/gltf"

	"github.com/yitu-gis/yitu/twin/glb"
	"github.com/yitu-gis/yitu/twin/glb/glbtest"
)

// TestDecodeRoundTrip decodes what Encode writes and encodes it again: the same geometry, features,
// table and materials come back, and a second round trip is byte for byte the first.
func TestDecodeRoundTrip(t *testing.T) {
	m := sample(t)
	// one vertex of the second building belongs to no feature: written as nullFeatureId
	b0 := m.Nodes[0].Children[0].Mesh.Primitives[1]
	b0.FeatureIDs[0] = glb.NoFeature
	first, err := glb.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := glb.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Nodes) != 1 || len(d.Nodes[0].Children) != 1 || d.Nodes[0].Children[0].Matrix == nil || d.Nodes[0].Children[0].Matrix[12] != 5 {
		t.Fatalf("nodes: %+v", d.Nodes)
	}
	prims := d.Nodes[0].Children[0].Mesh.Primitives
	if len(prims) != 2 {
		t.Fatalf("%d primitives", len(prims))
	}
	for i, p := range prims {
		src := m.Nodes[0].Children[0].Mesh.Primitives[i]
		if len(p.Positions) != len(src.Positions) || len(p.Indices) != len(src.Indices) || len(p.UVs) != len(src.UVs) || len(p.Normals) != len(src.Normals) {
			t.Errorf("primitive %d: sizes differ", i)
		}
		for k := range p.FeatureIDs {
			if p.FeatureIDs[k] != src.FeatureIDs[k] {
				t.Errorf("primitive %d vertex %d: feature %d, want %d", i, k, p.FeatureIDs[k], src.FeatureIDs[k])
				break
			}
		}
		if p.Material.Texture == nil || !bytes.Equal(p.Material.Texture.Data, src.Material.Texture.Data) || p.Material.Unlit != src.Material.Unlit {
			t.Errorf("primitive %d: material %+v", i, p.Material)
		}
	}
	tb := prims[0].Table
	if tb != prims[1].Table || tb.Class != "building" || tb.Count != 2 || tb.Value("id", 1) != "102" || tb.Value("height", 0) != "12.5" ||
		tb.Value("height", 1) != "" || tb.Value("floors", 0) != "4" || tb.Value("address", 0) != "莱州市文化东街 1 号" {
		t.Errorf("table: %+v", tb)
	}
	second, err := glb.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := glb.Decode(second)
	if err != nil {
		t.Fatal(err)
	}
	third, err := glb.Marshal(d2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(second, third) {
		t.Error("a second round trip changes the glb")
	}
	glbtest.CheckBytes(t, map[string][]byte{"first.glb": first, "second.glb": second})
}

func TestDecodeRefusesGarbage(t *testing.T) {
	if _, err := glb.Decode([]byte("glTF not really")); err == nil {
		t.Error("garbage decoded")
	}
	// Nodes that are not a tree (each node the child of the one before, twice): 2^60 paths.
	doc := &gltf.Document{Asset: gltf.Asset{Version: "2.0"}, Scenes: []*gltf.Scene{{Nodes: []int{0}}}}
	for i := range 60 {
		doc.Nodes = append(doc.Nodes, &gltf.Node{Children: []int{i + 1, i + 1}})
	}
	doc.Nodes = append(doc.Nodes, &gltf.Node{})
	var buf bytes.Buffer
	if err := gltf.NewEncoder(&buf).Encode(doc); err != nil {
		t.Fatal(err)
	}
	if _, err := glb.Decode(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("a node graph that is not a tree: %v", err)
	}
	// An accessor past its buffer view: refused, not a panic in the modeler.
	b, err := glb.Marshal(one(&glb.Primitive{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}}))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte(`"count":3`), []byte(`"count":9`), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("no accessor count to break")
	}
	if _, err := glb.Decode(bad); err == nil || !strings.Contains(err.Error(), "runs past") {
		t.Errorf("an accessor past its view: %v", err)
	}
}

// FuzzDecode: Decode reads stored content of any origin (imported 3D Tiles too): it never panics, and
// what it accepts encodes again or is refused with an error.
func FuzzDecode(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "two_buildings.glb")); err == nil {
		f.Add(b)
	}
	p := &glb.Primitive{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2}}
	if b, err := glb.Marshal(one(p)); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := glb.Decode(b)
		if err != nil {
			return
		}
		// Decode checked what Split and the export index with: every index below the positions,
		// one normal, texture coordinate and feature id per position.
		for _, n := range m.Nodes {
			checkNode(t, n)
		}
		if _, err := glb.Marshal(m); err != nil {
			return // e.g. a non-finite position
		}
	})
}

func checkNode(t *testing.T, n *glb.Node) {
	if n.Mesh != nil {
		for _, p := range n.Mesh.Primitives {
			for _, ix := range p.Indices {
				if int(ix) >= len(p.Positions) {
					t.Fatalf("index %d of %d positions", ix, len(p.Positions))
				}
			}
			if p.FeatureIDs != nil && len(p.FeatureIDs) != len(p.Positions) || p.Normals != nil && len(p.Normals) != len(p.Positions) {
				t.Fatal("attributes of another length than the positions")
			}
		}
	}
	for _, c := range n.Children {
		checkNode(t, c)
	}
}
