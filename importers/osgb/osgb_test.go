package osgb

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
)

func sharedFile(t testing.TB) string { return shareddata.Path(t, "osgb/test.osgb") }

func TestReadSharedFile(t *testing.T) {
	s, err := ReadFile(sharedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 91 || s.Robust || s.Compressor != "" || len(s.Warnings) != 0 {
		t.Fatalf("header: version %d robust %v compressor %q warnings %v", s.Version, s.Robust, s.Compressor, s.Warnings)
	}
	root := s.Root
	if root.Class != "osg::PagedLOD" || root.LOD == nil || !root.LOD.Paged {
		t.Fatalf("root is %s %+v", root.Class, root.LOD)
	}
	l := root.LOD
	if l.RangeMode != PixelSizeOnScreen || l.CenterMode != 1 || len(l.Ranges) != 2 ||
		l.FileNames[0] != "" || l.FileNames[1] != "Tile_+000_+000_L16_0.osgb" {
		t.Fatalf("LOD: %+v", l)
	}
	if math.Abs(float64(l.Ranges[0][1])-36.6513) > 1e-3 || l.Ranges[1][1] < 1e29 || math.Abs(l.Radius-36.6513) > 1e-3 {
		t.Fatalf("ranges %v radius %v", l.Ranges, l.Radius)
	}
	if len(root.Children) != 1 || root.Children[0].Class != "osg::Geode" || len(root.Children[0].Drawables) != 2 {
		t.Fatalf("children: %+v", root.Children)
	}
	g := root.Children[0].Drawables[0]
	if g.Vertices.Len() != 194 || len(g.TexCoords) != 1 || g.TexCoords[0].Len() != 194 {
		t.Fatalf("geometry 0: %d vertices, %d texcoord arrays", g.Vertices.Len(), len(g.TexCoords))
	}
	tex := g.StateSet.Textures[0]
	if tex.Image.Storage != ImageInlineFile || tex.Image.FileName != "Tile_+000_+000_0.jpg" {
		t.Fatalf("image: %q storage %d", tex.Image.FileName, tex.Image.Storage)
	}
	data, mime, err := tex.Image.Encoded("")
	if err != nil || mime != "image/jpeg" {
		t.Fatalf("encoded: %s %v", mime, err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width == 0 {
		t.Fatalf("embedded JPEG: %v %+v", err, cfg)
	}
	meshes, skipped, err := s.Meshes()
	if err != nil || skipped != 0 || len(meshes) != 2 {
		t.Fatalf("meshes: %d skipped %d err %v", len(meshes), skipped, err)
	}
	if len(meshes[0].Indices) != 336 || meshes[0].Texture == nil || len(meshes[1].Indices) != 6 || meshes[1].Texture != nil {
		t.Fatalf("mesh 0: %d indices, mesh 1: %d", len(meshes[0].Indices), len(meshes[1].Indices))
	}
	if c := meshes[1].BaseColor; math.Abs(float64(c[0])-0.50196) > 1e-4 {
		t.Fatalf("mesh 1 colour %v", c)
	}
}

// osgconv runs OpenSceneGraph's converter (the reference implementation of the format).
func osgconv(t testing.TB, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("osgconv"); err != nil {
		t.Fatalf("osgconv (Debian package openscenegraph, installed by scripts/setup) is missing: %v", err)
	}
	cmd := exec.Command("osgconv", args...)
	cmd.Env = append(os.Environ(), "OSG_NOTIFY_LEVEL=WARN")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("osgconv %v: %v\n%s", args, err, out)
	}
}

// refTriangle is a triangle of osgconv's OBJ export: corner positions and texture coordinates.
type refTriangle struct {
	p  [3][3]float64
	uv [3][2]float64
}

// readOBJTriangles reads the triangles osgconv's OBJ writer wrote (v, vt and triangle f lines).
func readOBJTriangles(t testing.TB, path string) []refTriangle {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v [][3]float64
	var vt [][2]float64
	var tris []refTriangle
	sc := bufio.NewScanner(f)
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return x
	}
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		switch fs[0] {
		case "v":
			v = append(v, [3]float64{num(fs[1]), num(fs[2]), num(fs[3])})
		case "vt":
			vt = append(vt, [2]float64{num(fs[1]), num(fs[2])})
		case "f":
			if len(fs) != 4 {
				t.Fatalf("%s: face with %d corners", path, len(fs)-1)
			}
			var tr refTriangle
			for i, c := range fs[1:] {
				parts := strings.Split(c, "/")
				tr.p[i] = v[int(num(parts[0]))-1]
				if len(parts) > 1 && parts[1] != "" {
					tr.uv[i] = vt[int(num(parts[1]))-1]
				}
			}
			tris = append(tris, tr)
		}
	}
	return tris
}

// TestAgainstOsgconv reads the shared file and variants that osgconv writes of it (serializer
// version 161: robust and not, zlib-compressed, image data inline or as an embedded file) and
// compares every triangle — corner positions and texture coordinates — with osgconv's own OBJ
// export of the same file.
func TestAgainstOsgconv(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "test.osgb")
	b, err := os.ReadFile(sharedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "ref.obj")
	osgconv(t, src, ref)
	want := readOBJTriangles(t, ref)
	if len(want) != 114 {
		t.Fatalf("osgconv wrote %d triangles, expected 112 + 2", len(want))
	}
	variants := map[string][]string{
		"shared (version 91)":    nil,
		"161 robust":             {},
		"161 not robust":         {"-O", "RobustBinaryFormat=false"},
		"161 zlib":               {"-O", "Compressor=zlib"},
		"161 image data inline":  {"-O", "WriteImageHint=IncludeData"},
		"161 image file inline":  {"-O", "WriteImageHint=IncludeFile"},
		"161 zlib, image inline": {"-O", "Compressor=zlib WriteImageHint=IncludeData"},
	}
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			path := src
			if opts != nil {
				path = filepath.Join(dir, strings.NewReplacer(" ", "_", ",", "").Replace(name)+".osgb")
				osgconv(t, append(opts, src, path)...)
			}
			s, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Warnings) > 0 {
				t.Fatalf("warnings: %v", s.Warnings)
			}
			meshes, _, err := s.Meshes()
			if err != nil {
				t.Fatal(err)
			}
			var got []refTriangle
			for _, m := range meshes {
				for i := 0; i < len(m.Indices); i += 3 {
					var tr refTriangle
					for c := range 3 {
						k := m.Indices[i+c]
						tr.p[c] = m.Positions[k]
						if m.UVs != nil {
							tr.uv[c] = [2]float64{float64(m.UVs[k][0]), 1 - float64(m.UVs[k][1])}
						}
					}
					got = append(got, tr)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d triangles, osgconv %d", len(got), len(want))
			}
			for i := range got {
				for c := range 3 {
					for k := range 3 {
						if math.Abs(got[i].p[c][k]-want[i].p[c][k]) > 1e-4 {
							t.Fatalf("triangle %d corner %d: %v, osgconv %v", i, c, got[i].p[c], want[i].p[c])
						}
					}
					for k := range 2 {
						if math.Abs(got[i].uv[c][k]-want[i].uv[c][k]) > 1e-5 {
							t.Fatalf("triangle %d corner %d uv: %v, osgconv %v", i, c, got[i].uv[c], want[i].uv[c])
						}
					}
				}
			}
			// The texture decodes, and is the embedded JPEG's picture whatever the storage.
			img := meshes[0].Texture.Image
			data, mime, err := img.Encoded(dir)
			if img.Storage == ImageExternal {
				if err == nil || !strings.Contains(err.Error(), "Tile_+000_+000_0.jpg") {
					t.Fatalf("a referenced image that is missing: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pic, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", mime, err)
			}
			orig, err := jpeg.Decode(bytes.NewReader(embeddedJPEG(t)))
			if err != nil {
				t.Fatal(err)
			}
			if d := meanDiff(pic, orig); d > 4 {
				t.Fatalf("texture (%s) differs from the embedded JPEG by %.1f levels on average", mime, d)
			}
		})
	}
}

func embeddedJPEG(t testing.TB) []byte {
	s, err := ReadFile(sharedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	return s.Root.Children[0].Drawables[0].StateSet.Textures[0].Image.File
}

func meanDiff(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return math.Inf(1)
	}
	var sum float64
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			sum += math.Abs(float64(r1)-float64(r2)) + math.Abs(float64(g1)-float64(g2)) + math.Abs(float64(b1)-float64(b2))
		}
	}
	return sum / 3 / 257 / float64(r.Dx()*r.Dy())
}

// dxtBlocks are 4×4 blocks with known decodings: red/blue endpoints using all four indices, and
// DXT5 alpha with both endpoint orders.
func writeDDS(t testing.TB, path, fourCC string, w, h int, block []byte) {
	var hdr [128]byte
	copy(hdr[:], "DDS ")
	le := binary.LittleEndian
	le.PutUint32(hdr[4:], 124)
	le.PutUint32(hdr[8:], 0x1|0x2|0x4|0x1000|0x80000) // caps, height, width, pixelformat, linearsize
	le.PutUint32(hdr[12:], uint32(h))
	le.PutUint32(hdr[16:], uint32(w))
	nblocks := (w / 4) * (h / 4)
	le.PutUint32(hdr[20:], uint32(nblocks*len(block)))
	le.PutUint32(hdr[76:], 32)
	le.PutUint32(hdr[80:], 0x4) // DDPF_FOURCC
	copy(hdr[84:], fourCC)
	le.PutUint32(hdr[108:], 0x1000) // DDSCAPS_TEXTURE
	out := append([]byte(nil), hdr[:]...)
	for range nblocks {
		out = append(out, block...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDXT makes DXT1 and DXT5 textures (DDS files of blocks whose decoding the S3TC specification
// fixes), has osgconv load them through its DDS plugin and store them inline in an .osgb, and
// checks the decoded texels.
func TestDXT(t *testing.T) {
	// c0 = pure red (0xF800) > c1 = pure blue (0x001F): four-colour mode; row y uses index y.
	colour := []byte{0x00, 0xF8, 0x1F, 0x00, 0x00, 0x55, 0xAA, 0xFF}
	wantRGB := [4][3]uint8{{255, 0, 0}, {0, 0, 255}, {170, 0, 85}, {85, 0, 170}}
	// DXT5 alpha: a0 = 255 > a1 = 0; texel i uses index i%8.
	alpha := []byte{255, 0}
	var bits uint64
	for i := range 16 {
		bits |= uint64(i%8) << (3 * i)
	}
	for i := range 6 {
		alpha = append(alpha, byte(bits>>(8*i)))
	}
	wantA := [8]uint8{255, 0, 218, 182, 145, 109, 72, 36}

	for _, c := range []struct {
		fourCC string
		block  []byte
	}{{"DXT1", colour}, {"DXT5", append(append([]byte(nil), alpha...), colour...)}} {
		t.Run(c.fourCC, func(t *testing.T) {
			dir := t.TempDir()
			writeDDS(t, filepath.Join(dir, "tex.dds"), c.fourCC, 8, 8, c.block)
			if err := os.WriteFile(filepath.Join(dir, "quad.mtl"), []byte("newmtl m\nKd 1 1 1\nmap_Kd tex.dds\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			quad := "mtllib quad.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl m\nf 1/1 2/2 3/3 4/4\n"
			if err := os.WriteFile(filepath.Join(dir, "quad.obj"), []byte(quad), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "quad.osgb")
			osgconv(t, "-O", "WriteImageHint=IncludeData", filepath.Join(dir, "quad.obj"), out)
			s, err := ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			meshes, _, err := s.Meshes()
			if err != nil || len(meshes) != 1 || meshes[0].Texture == nil {
				t.Fatalf("meshes %v %v", meshes, err)
			}
			im := meshes[0].Texture.Image
			wantFormat := map[string]int32{"DXT1": glDXT1, "DXT5": glDXT5}[c.fourCC]
			if im.Storage != ImageInlineData || im.PixelFormat != wantFormat && !(c.fourCC == "DXT1" && im.PixelFormat == glDXT1A) {
				t.Fatalf("image storage %d format 0x%X", im.Storage, im.PixelFormat)
			}
			data, mime, err := im.Encoded(dir)
			if err != nil || mime != "image/png" {
				t.Fatalf("%s %v", mime, err)
			}
			pic, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for y := range 8 {
				for x := range 8 {
					// PNG row 7-y holds texture row y (OpenGL's first row is at the bottom).
					px := color.NRGBAModel.Convert(pic.At(x, 7-y)).(color.NRGBA)
					got := [4]uint8{px.R, px.G, px.B, px.A}
					wc := wantRGB[y%4]
					want := [4]uint8{wc[0], wc[1], wc[2], 255}
					if c.fourCC == "DXT5" {
						want[3] = wantA[((y%4)*4+x%4)%8]
					}
					if !near(got, want) {
						t.Fatalf("texel (%d,%d): %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

func near(a, b [4]uint8) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d < -1 || d > 1 {
			return false
		}
	}
	return true
}

// patched returns the shared file with old replaced by new (same length).
func patched(t testing.TB, old, new string) []byte {
	b, err := os.ReadFile(sharedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != len(new) || !bytes.Contains(b, []byte(old)) {
		t.Fatalf("cannot patch %q", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestBadInput(t *testing.T) {
	file := sharedFile(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	version := func(v uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[12:], v)
		return c
	}
	cases := []struct {
		name string
		data []byte
		kind error
		want []string
	}{
		{"future version", version(250), ErrVersion, []string{"bad.osgb", "serializer version 250", "70 to 202"}},
		{"ancient version", version(40), ErrVersion, []string{"serializer version 40"}},
		{"unknown class", patched(t, "osg::Geode", "osg::Geodx"), ErrClass, []string{"bad.osgb", "osg::PagedLOD > osg::Geodx", "osg::Geodx is not supported", "byte "}},
		{"unknown state attribute", patched(t, "osg::Material", "osg::Materiax"), ErrClass, []string{"osg::Geometry > osg::StateSet > osg::Materiax"}},
		{"truncated", b[:len(b)/2], ErrCorrupt, []string{"bad.osgb", "unexpected end of data"}},
		{"not osgb", []byte("#Ascii Scene\n#Version 161\n"), ErrNotOSGB, []string{"header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read("dir/bad.osgb", c.data)
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %v is not %v", err, c.kind)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestRobustSkip: in a robust file (objects carry their length) an unknown state attribute is
// skipped with a warning, while an unknown node is still an error.
func TestRobustSkip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.osgb")
	osgconv(t, sharedFile(t), path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Read(path, bytes.Replace(b, []byte("osg::Material"), []byte("osg::Materiax"), -1))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], "osg::Materiax") {
		t.Fatalf("warnings %v", s.Warnings)
	}
	if m, _, err := s.Meshes(); err != nil || len(m) != 2 || len(m[0].Indices) != 336 {
		t.Fatalf("meshes after a skip: %v", err)
	}
	_, err = Read(path, bytes.Replace(b, []byte("osg::Geode"), []byte("osg::Geodx"), 1))
	if !errors.Is(err, ErrClass) || !strings.Contains(err.Error(), "child node of class osg::Geodx") {
		t.Fatalf("unknown node in a robust file: %v", err)
	}
}

// zlibVariant rewrites the shared file with OSG's zlib compressor (version 91 files may use it).
func zlibVariant(t testing.TB) []byte {
	b, err := os.ReadFile(sharedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	// header: magic(8) type(4) version(4) attributes(4), then the compressor name "0"
	if string(b[24:25]) != "0" {
		t.Fatal("unexpected header")
	}
	var out bytes.Buffer
	out.Write(b[:20])
	binary.Write(&out, binary.LittleEndian, int32(4))
	out.WriteString("zlib")
	z := zlib.NewWriter(&out)
	z.Write(b[25:])
	z.Close()
	return out.Bytes()
}

func TestZlibVersion91(t *testing.T) {
	s, err := Read("z.osgb", zlibVariant(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Compressor != "zlib" || len(s.Root.Children[0].Drawables) != 2 {
		t.Fatalf("compressor %q", s.Compressor)
	}
}

func TestTriangulation(t *testing.T) {
	seq := []uint32{0, 1, 2, 3, 4, 5}
	cases := map[int32]string{
		ModeTriangles:     "[0 1 2 3 4 5]",
		ModeTriangleStrip: "[0 1 2 2 1 3 2 3 4 4 3 5]",
		ModeTriangleFan:   "[0 1 2 0 2 3 0 3 4 0 4 5]",
		ModeQuads:         "[0 1 2 0 2 3]",
		ModeQuadStrip:     "[0 1 3 0 3 2 2 3 5 2 5 4]",
		ModeLines:         "[]",
	}
	for mode, want := range cases {
		if got := fmt.Sprint(appendTriangles(nil, mode, seq)); got != want {
			t.Errorf("mode %d: %s, want %s", mode, got, want)
		}
	}
	if got := fmt.Sprint(appendTriangles(nil, ModeTriangleStrip, []uint32{0, 1, 1, 2})); got != "[]" {
		t.Errorf("degenerate strip: %s", got)
	}
}

func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(sharedFile(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, err := Read("test.osgb", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Meshes(); err != nil {
			b.Fatal(err)
		}
	}
}
