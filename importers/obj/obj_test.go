package obj

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
)

func TestSharedBox(t *testing.T) {
	path := shareddata.Path(t, "obj/box-textured.obj")
	m, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Meshes) != 1 || len(m.Materials) != 1 {
		t.Fatalf("%d meshes, %d materials", len(m.Meshes), len(m.Materials))
	}
	mesh := m.Meshes[0]
	// 6 quads → 12 triangles; 24 distinct position/uv/normal corners
	if len(mesh.Indices) != 36 || len(mesh.Positions) != 24 || len(mesh.Normals) != 24 || len(mesh.UVs) != 24 {
		t.Fatalf("indices %d positions %d normals %d uvs %d", len(mesh.Indices), len(mesh.Positions), len(mesh.Normals), len(mesh.UVs))
	}
	mat := mesh.Material
	if mat.Name != "Material" || mat.Texture != filepath.Join(filepath.Dir(path), "cesium.png") || mat.Diffuse[0] != 0.64 {
		t.Fatalf("material %+v", mat)
	}
	// first corner: v 1 = (-1,-1,1), vt 1 = (0,0) → glTF (0,1)
	if mesh.Positions[0] != [3]float64{-1, -1, 1} || mesh.UVs[0] != [2]float32{0, 1} {
		t.Fatalf("corner 0: %v %v", mesh.Positions[0], mesh.UVs[0])
	}
}

// copyBox copies the shared box into a temporary folder, leaving out the named files.
func copyBox(t *testing.T, leave ...string) string {
	src := filepath.Dir(shareddata.Path(t, "obj/box-textured.obj"))
	dir := t.TempDir()
	for _, name := range []string{"box-textured.obj", "box-textured.mtl", "cesium.png"} {
		if len(leave) > 0 && (name == leave[0] || len(leave) > 1 && name == leave[1]) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "box-textured.obj")
}

func TestMissingFiles(t *testing.T) {
	cases := []struct {
		leave string
		want  []string
	}{
		{"box-textured.mtl", []string{"box-textured.obj line 3", "mtllib box-textured.mtl", "not found"}},
		{"cesium.png", []string{"box-textured.mtl line 13", "material Material", "map_Kd texture", "cesium.png not found"}},
	}
	for _, c := range cases {
		t.Run(c.leave, func(t *testing.T) {
			_, err := ReadFile(copyBox(t, c.leave))
			if !errors.Is(err, ErrMissing) {
				t.Fatalf("error %v does not wrap ErrMissing", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.mtl"), []byte("newmtl red\nKd 1 0 0\nd 0.5\n"), 0o644)
	src := `# two quads and a triangle with negative indices
mtllib a.mtl
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
vn 0 0 2
g first
usemtl red
f 1//1 2//1 3//1 4//1
g second
f -4 -3 -2
l 1 2
`
	m, err := Read(filepath.Join(dir, "a.obj"), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Meshes) != 2 || m.Meshes[0].Name != "first" || len(m.Meshes[0].Indices) != 6 || m.Meshes[0].Normals[0] != [3]float32{0, 0, 1} {
		t.Fatalf("%+v", m.Meshes[0])
	}
	if m.Meshes[1].Material.Opacity != 0.5 || len(m.Meshes[1].Indices) != 3 || m.Meshes[1].Normals != nil {
		t.Fatalf("%+v", m.Meshes[1])
	}
	for _, bad := range []struct{ src, want string }{
		{"v 0 0 0\nf 1 2 3\n", "line 2: face vertex \"2\": vertex 2 does not exist"},
		{"usemtl nothing\n", "line 1: usemtl nothing: no such material"},
		{"v 0 x 0\n", "line 1: \"x\" is not a number"},
	} {
		_, err := Read(filepath.Join(dir, "b.obj"), strings.NewReader(bad.src))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.src, err, bad.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	b, err := os.ReadFile(shareddata.Path(f, "obj/box-textured.obj"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("v 1 2 3\nv 4 5 6\nv 7 8 9\nvt 0 0\nf 1/1 2/1 3/1\nf -1 -2 -3\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(filepath.Join(dir, "f.obj"), strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, mesh := range m.Meshes {
			for _, i := range mesh.Indices {
				if int(i) >= len(mesh.Positions) {
					t.Fatalf("index %d of %d", i, len(mesh.Positions))
				}
			}
			if mesh.Normals != nil && len(mesh.Normals) != len(mesh.Positions) || mesh.UVs != nil && len(mesh.UVs) != len(mesh.Positions) {
				t.Fatal("attribute count differs from position count")
			}
		}
	})
}
