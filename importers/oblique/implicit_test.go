package oblique

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin"
)

// implicitNode is a stored node keyed by its implicit tile (level/x/y[/z]).
type implicitNode struct {
	storedNode
	key  string
	file string // the content file's base name, "" without content
}

// implicitNodes reads a model's nodes back and keys them by the tile each one is.
func implicitNodes(t *testing.T, pool *pgxpool.Pool, name string) (map[int64]implicitNode, map[string][]implicitNode) {
	t.Helper()
	_, _, nodes := storedModel(t, pool, name)
	byID, byKey := map[int64]implicitNode{}, map[string][]implicitNode{}
	for _, n := range nodes {
		at, rest, _ := strings.Cut(n.Name, "@")
		key, file, _ := strings.Cut(rest, " ")
		key, _, _ = strings.Cut(key, "+")
		if at != "root" || key == "" {
			t.Fatalf("node name %q", n.Name)
		}
		in := implicitNode{storedNode: n, key: key, file: file}
		byID[n.ID] = in
		byKey[key] = append(byKey[key], in)
	}
	return byID, byKey
}

func parseKey(t *testing.T, key string) []int {
	var out []int
	for _, f := range strings.Split(key, "/") {
		var v int
		if _, err := fmt.Sscan(f, &v); err != nil {
			t.Fatalf("key %q", key)
		}
		out = append(out, v)
	}
	return out
}

func parentKey(k []int) string {
	s := []string{fmt.Sprint(k[0] - 1)}
	for _, c := range k[1:] {
		s = append(s, fmt.Sprint(c>>1))
	}
	return strings.Join(s, "/")
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12*math.Max(1, math.Abs(b[i])) {
			return false
		}
	}
	return true
}

// servedContents reads model-<name> as a viewer does and returns every content it names, by the
// node's bounding volume and error, with its bytes.
func servedContents(t *testing.T, pool *pgxpool.Pool, name string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	svc, err := twin.New(pool, twin.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := svc.Tileset(ctx, "model-"+name)
	if err != nil {
		t.Fatal(err)
	}
	type tile struct {
		BoundingVolume json.RawMessage `json:"boundingVolume"`
		GeometricError float64         `json:"geometricError"`
		Content        *struct {
			URI string `json:"uri"`
		} `json:"content"`
		Children []json.RawMessage `json:"children"`
	}
	out := map[string][]byte{}
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var tl tile
		if err := json.Unmarshal(raw, &tl); err != nil {
			t.Fatal(err)
		}
		if tl.Content != nil {
			c, err := svc.Tile(ctx, "model-"+name, tl.Content.URI)
			if err != nil {
				t.Fatalf("%s: %v", tl.Content.URI, err)
			}
			var vol any
			_ = json.Unmarshal(tl.BoundingVolume, &vol)
			out[fmt.Sprintf("%v %g %s", vol, tl.GeometricError, tl.Content.URI)] = c.Data
		}
		for _, c := range tl.Children {
			walk(c)
		}
	}
	var doc struct {
		Root json.RawMessage `json:"root"`
	}
	if err := json.Unmarshal(ts.Data, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc.Root)
	return out
}

// TestImportImplicitOctree imports the shared SparseImplicitOctree sample (binary subtrees, an
// octree of six levels, 31 glb contents on a diagonal and their ancestors) and serves it.
func TestImportImplicitOctree(t *testing.T) {
	pool := pgtest.New(t)
	dir := shareddata.Path(t, "3dtiles/1.1/SparseImplicitOctree")
	rep, err := importWith(t, pool, "octree", "3dtiles", dir, func(ctx context.Context, b *loader.Batch) error {
		return ImportTileset(ctx, b, dir)
	})
	if err != nil {
		t.Fatal(err)
	}
	byID, byKey := implicitNodes(t, pool, "octree")
	// the content files say which tiles have content; the available tiles are those and their ancestors
	files, err := filepath.Glob(filepath.Join(dir, "content", "content_*.glb"))
	if err != nil || len(files) != 31 {
		t.Fatalf("%d content files: %v", len(files), err)
	}
	want := map[string]bool{}
	perLevel := map[int]int{}
	for _, f := range files {
		var l, x, y, z int
		if _, err := fmt.Sscanf(filepath.Base(f), "content_%d__%d_%d_%d.glb", &l, &x, &y, &z); err != nil {
			t.Fatal(err)
		}
		perLevel[l]++
		key := fmt.Sprintf("%d/%d/%d/%d", l, x, y, z)
		ns := byKey[key]
		if len(ns) != 1 || ns[0].ContentType != "glb" || ns[0].file != filepath.Base(f) {
			t.Errorf("tile %s: %+v", key, ns)
			continue
		}
		if b, _ := os.ReadFile(f); !bytes.Equal(b, ns[0].Content) {
			t.Errorf("tile %s: content differs from %s", key, f)
		}
		for k := parseKey(t, key); ; k = parseKey(t, parentKey(k)) {
			want[strings.Trim(strings.Join(strings.Fields(fmt.Sprint(k)), "/"), "[]")] = true
			if k[0] == 0 {
				break
			}
		}
	}
	if fmt.Sprint(perLevel) != "map[1:1 2:2 3:4 4:8 5:16]" {
		t.Errorf("contents per level %v", perLevel)
	}
	if len(byKey) != len(want) || rep.Counts["model_node"] != len(want) {
		t.Errorf("%d tiles stored (report %d), want %d: the content tiles and their ancestors", len(byKey), rep.Counts["model_node"], len(want))
	}
	contents := 0
	for key, ns := range byKey {
		if !want[key] {
			t.Errorf("tile %s stored but not available", key)
		}
		n := ns[0]
		k := parseKey(t, key)
		if n.ContentType != "" {
			contents++
		}
		// the unit cube divided 2^level times along x, y and z; error 32 halved per level
		d := math.Ldexp(1, k[0])
		h := 0.5 / d
		box := []float64{(float64(k[1]) + 0.5) / d, (float64(k[2]) + 0.5) / d, (float64(k[3]) + 0.5) / d, h, 0, 0, 0, h, 0, 0, 0, h}
		if !near(n.Volume["box"], box) {
			t.Errorf("tile %s: box %v, want %v", key, n.Volume["box"], box)
		}
		if n.GeometricError != 32/d {
			t.Errorf("tile %s: geometric error %v, want %v", key, n.GeometricError, 32/d)
		}
		if k[0] == 0 {
			if n.Parent != 0 {
				t.Errorf("root has a parent")
			}
			continue
		}
		if p := byID[n.Parent]; p.key != parentKey(k) {
			t.Errorf("tile %s: parent %s", key, p.key)
		}
	}
	t.Logf("%d tiles, %d with content", len(byKey), contents)
	if contents != 31 {
		t.Errorf("%d contents", contents)
	}
	var all []storedNode
	for _, n := range byID {
		all = append(all, n.storedNode)
	}
	checkGLBs(t, all)
	served := servedContents(t, pool, "octree")
	if len(served) != 31 {
		t.Errorf("%d contents served", len(served))
	}
	for k, b := range served {
		found := false
		for _, f := range files {
			if fb, _ := os.ReadFile(f); bytes.Equal(fb, b) {
				found = true
			}
		}
		if !found {
			t.Errorf("served %s is none of the content files", k)
		}
	}
}

// quadtreeRegion is the root region of the test quadtree: a patch of Laizhou, 0 to 100 m.
var quadtreeRegion = []float64{119.90 * math.Pi / 180, 37.15 * math.Pi / 180, 119.98 * math.Pi / 180, 37.21 * math.Pi / 180, 0, 100}

// writeQuadtree writes an implicit quadtree of three levels (two subtree levels):
//
//   - the root subtree 0.0.0 (binary): tiles constant available (levels 0 and 1: 5 tiles); first
//     content by a bitstream in the binary chunk (1/0/0, 1/0/1, 1/1/1, not the root nor 1/1/0),
//     second content constant 0; child subtrees by a bitstream in an external buffer file
//     (2/0/0, 2/1/1, 2/2/1, 2/2/2);
//   - 2.0.0 (JSON): tile by a bitstream, both contents constant available;
//   - 2.1.1 (JSON): tile constant available, no content;
//   - 2.2.1 (JSON): tile constant 0 (an empty subtree);
//   - 2.2.2 (JSON): tile and first content by bitstreams in its buffer file.
//
// Contents are glbs of the shared octree sample, a different one per tile.
func writeQuadtree(t *testing.T, glbs []string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	region, _ := json.Marshal(quadtreeRegion)
	write("tileset.json", []byte(`{"asset":{"version":"1.1"},"geometricError":200,"root":{
		"boundingVolume":{"region":`+string(region)+`},"geometricError":100,"refine":"REPLACE",
		"contents":[{"uri":"tiles/{level}/{x}/{y}.glb"},{"uri":"extra/{level}_{x}_{y}.glb"}],
		"implicitTiling":{"subdivisionScheme":"QUADTREE","subtreeLevels":2,"availableLevels":3,
			"subtrees":{"uri":"subtrees/{level}.{x}.{y}.subtree"}}}}`))
	// root subtree: binary
	js := []byte(`{"buffers":[{"byteLength":8},{"uri":"root-children.bin","byteLength":2}],
		"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1},{"buffer":1,"byteOffset":0,"byteLength":2}],
		"tileAvailability":{"constant":1},"contentAvailability":[{"bitstream":0},{"constant":0}],
		"childSubtreeAvailability":{"bitstream":1}}`)
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	bin := []byte{0b0001_1010, 0, 0, 0, 0, 0, 0, 0} // content bits 1, 3, 4: morton 0, 2, 3 of level 1
	head := make([]byte, 24)
	copy(head, "subt")
	binary.LittleEndian.PutUint32(head[4:], 1)
	binary.LittleEndian.PutUint64(head[8:], uint64(len(js)))
	binary.LittleEndian.PutUint64(head[16:], uint64(len(bin)))
	write("subtrees/0.0.0.subtree", append(append(head, js...), bin...))
	// child subtrees at level 2: morton 0 (0,0), 3 (1,1), 6 (2,1), 12 (2,2)
	write("subtrees/root-children.bin", []byte{0b0100_1001, 0b0001_0000})
	write("subtrees/2.0.0.subtree", []byte(`{"buffers":[{"uri":"2.0.0.bin","byteLength":1}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1}],
		"tileAvailability":{"bitstream":0},"contentAvailability":[{"constant":1},{"constant":1}],"childSubtreeAvailability":{"constant":0}}`))
	write("subtrees/2.0.0.bin", []byte{0b1})
	write("subtrees/2.1.1.subtree", []byte(`{"tileAvailability":{"constant":1},"contentAvailability":[{"constant":0},{"constant":0}],"childSubtreeAvailability":{"constant":0}}`))
	write("subtrees/2.2.1.subtree", []byte(`{"tileAvailability":{"constant":0},"contentAvailability":[{"constant":0},{"constant":0}]}`))
	write("subtrees/2.2.2.subtree", []byte(`{"buffers":[{"uri":"2.2.2.bin","byteLength":2}],
		"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1},{"buffer":0,"byteOffset":1,"byteLength":1}],
		"tileAvailability":{"bitstream":0},"contentAvailability":[{"bitstream":1},{"constant":0}],"childSubtreeAvailability":{"constant":0}}`))
	write("subtrees/2.2.2.bin", []byte{0b1, 0b1})
	for i, name := range []string{"tiles/1/0/0.glb", "tiles/1/0/1.glb", "tiles/1/1/1.glb", "tiles/2/0/0.glb", "extra/2_0_0.glb", "tiles/2/2/2.glb"} {
		b, err := os.ReadFile(glbs[i])
		if err != nil {
			t.Fatal(err)
		}
		write(name, b)
	}
	return dir
}

// TestImportImplicitQuadtree imports a quadtree written here with a known set of available tiles
// and contents, checks each tile's region and error, and reads the contents back as served.
func TestImportImplicitQuadtree(t *testing.T) {
	pool := pgtest.New(t)
	glbs, _ := filepath.Glob(filepath.Join(shareddata.Path(t, "3dtiles/1.1/SparseImplicitOctree"), "content", "content_5__*.glb"))
	sort.Strings(glbs)
	dir := writeQuadtree(t, glbs)
	rep, err := importWith(t, pool, "quadtree", "3dtiles", dir, func(ctx context.Context, b *loader.Batch) error {
		return ImportTileset(ctx, b, dir)
	})
	if err != nil {
		t.Fatal(err)
	}
	byID, byKey := implicitNodes(t, pool, "quadtree")
	// tile → content files, in node order (a second content is a sibling node)
	want := map[string][]string{
		"0/0/0": {""}, "1/0/0": {"tiles/1/0/0.glb"}, "1/1/0": {""}, "1/0/1": {"tiles/1/0/1.glb"}, "1/1/1": {"tiles/1/1/1.glb"},
		"2/0/0": {"tiles/2/0/0.glb", "extra/2_0_0.glb"}, "2/1/1": {""}, "2/2/2": {"tiles/2/2/2.glb"},
	}
	if len(byKey) != len(want) || len(byID) != 9 || rep.Counts["model_node"] != 9 {
		t.Errorf("tiles %v (%d nodes, report %v)", keys(byKey), len(byID), rep.Counts)
	}
	r := quadtreeRegion
	served := servedContents(t, pool, "quadtree")
	for key, files := range want {
		ns := byKey[key]
		if len(ns) != len(files) {
			t.Errorf("tile %s: %d nodes, want %d", key, len(ns), len(files))
			continue
		}
		k := parseKey(t, key)
		d := math.Ldexp(1, k[0])
		dx, dy := (r[2]-r[0])/d, (r[3]-r[1])/d
		region := []float64{r[0] + float64(k[1])*dx, r[1] + float64(k[2])*dy, r[0] + float64(k[1]+1)*dx, r[1] + float64(k[2]+1)*dy, 0, 100}
		sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name })
		for i, n := range ns {
			if !near(n.Volume["region"], region) || n.GeometricError != 100/d {
				t.Errorf("tile %s: region %v error %v, want %v %v", key, n.Volume["region"], n.GeometricError, region, 100/d)
			}
			if k[0] > 0 {
				if p := byID[n.Parent]; p.key != parentKey(k) || strings.Contains(p.Name, "+") {
					t.Errorf("tile %s: parent %q", key, p.Name)
				}
			}
			if files[i] == "" {
				if n.ContentType != "" {
					t.Errorf("tile %s has content %s", key, n.ContentType)
				}
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, files[i]))
			if err != nil || n.ContentType != "glb" || !bytes.Equal(b, n.Content) {
				t.Errorf("tile %s: content %s differs from %s", key, n.Name, files[i])
			}
			vol, _ := json.Marshal(n.Volume)
			var v any
			_ = json.Unmarshal(vol, &v)
			if s := served[fmt.Sprintf("%v %g n/%d.glb", v, n.GeometricError, n.ID)]; !bytes.Equal(s, b) {
				t.Errorf("tile %s: served content n/%d.glb differs from %s", key, n.ID, files[i])
			}
		}
	}
	if len(served) != 6 {
		t.Errorf("%d contents served", len(served))
	}
	if rep.BBox == nil || math.Abs((rep.BBox[0]+rep.BBox[2])/2-119.94) > 1e-6 || math.Abs((rep.BBox[1]+rep.BBox[3])/2-37.18) > 1e-6 {
		t.Errorf("bbox %v", rep.BBox)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestImplicitBadInput: a broken implicit tileset is refused, naming the file and what is wrong,
// and nothing is written.
func TestImplicitBadInput(t *testing.T) {
	pool := pgtest.New(t)
	glbs, _ := filepath.Glob(filepath.Join(shareddata.Path(t, "3dtiles/1.1/SparseImplicitOctree"), "content", "content_5__*.glb"))
	sort.Strings(glbs)
	good := writeQuadtree(t, glbs)
	if _, err := importWith(t, pool, "quadtree", "3dtiles", good, func(ctx context.Context, b *loader.Batch) error {
		return ImportTileset(ctx, b, good)
	}); err != nil {
		t.Fatal(err)
	}
	before := rowCounts(t, pool)
	edit := func(name string, f func([]byte) []byte) func(dir string) {
		return func(dir string) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name   string
		break_ func(dir string)
		want   []string
	}{
		{"truncated binary subtree", edit("subtrees/0.0.0.subtree", func(b []byte) []byte { return b[:len(b)-5] }),
			[]string{"0.0.0.subtree", "shorter than its header says"}},
		{"buffer file shorter than its byteLength", edit("subtrees/2.2.2.bin", func(b []byte) []byte { return b[:1] }),
			[]string{"2.2.2.subtree", "buffers[0] is 2 bytes", "2.2.2.bin has only 1"}},
		{"bitstream shorter than the subtree's tiles", edit("subtrees/2.0.0.subtree", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"byteOffset":0,"byteLength":1}]`), []byte(`"byteOffset":0,"byteLength":0}]`), 1)
		}), []string{"2.0.0.subtree", "tileAvailability needs 5 bits (1 bytes)", "has 0 bytes"}},
		{"missing content file", func(dir string) { os.Remove(filepath.Join(dir, "tiles", "1", "1", "1.glb")) },
			[]string{"0.0.0.subtree", "tile 1/1/1", "1.glb", "tiles/{level}/{x}/{y}.glb", "missing"}},
		{"missing subtree file", func(dir string) { os.Remove(filepath.Join(dir, "subtrees", "2.2.2.subtree")) },
			[]string{"2.2.2.subtree", "subtree of tile 2/2/2", "is missing"}},
		{"root tile unavailable", edit("subtrees/0.0.0.subtree", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"tileAvailability":{"constant":1}`), []byte(`"tileAvailability":{"constant":0}`), 1)
		}), []string{"0.0.0.subtree", "the root tile is not available"}},
		{"unknown subdivision scheme", edit("tileset.json", func(b []byte) []byte { return bytes.Replace(b, []byte("QUADTREE"), []byte("HEXTREE"), 1) }),
			[]string{"tileset.json: root.implicitTiling.subdivisionScheme", `"HEXTREE" is not a subdivision scheme`}},
		{"sphere", edit("tileset.json", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"boundingVolume":{"region"`), []byte(`"boundingVolume":{"sphere":[0,0,0,1],"x"`), 1)
		}), []string{"tileset.json: root.boundingVolume", "region or a box"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeQuadtree(t, glbs)
			c.break_(dir)
			_, err := importWith(t, pool, "quadtree", "3dtiles", dir, func(ctx context.Context, b *loader.Batch) error {
				return ImportTileset(ctx, b, dir)
			})
			if err == nil {
				t.Fatal("imported")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			sameCounts(t, before, rowCounts(t, pool))
		})
	}
}

// TestImplicitVolumes: a tile's volume is the root's divided per level along the subdivided axes.
func TestImplicitVolumes(t *testing.T) {
	const twoPi = 2 * math.Pi
	cases := []struct {
		name  string
		iw    implicitWalk
		level int
		c     [3]int
		key   string
		want  []float64
	}{
		// a rotated box, quadtree: the third axis stays whole
		{"quadtree box", implicitWalk{dims: 2, box: []float64{10, 20, 30, 2, 2, 0, -1, 1, 0, 0, 0, 5}}, 1, [3]int{1, 0, 0},
			"box", []float64{11.5, 20.5, 30, 1, 1, 0, -0.5, 0.5, 0, 0, 0, 5}},
		{"octree box", implicitWalk{dims: 3, box: []float64{0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4}}, 2, [3]int{3, 0, 1},
			"box", []float64{3, -3, -1, 1, 0, 0, 0, 1, 0, 0, 0, 1}},
		{"quadtree region", implicitWalk{dims: 2, region: []float64{0, 0, 0.4, 0.2, -10, 50}}, 2, [3]int{1, 3, 0},
			"region", []float64{0.1, 0.15, 0.2, 0.2, -10, 50}},
		{"octree region", implicitWalk{dims: 3, region: []float64{0, 0, 0.4, 0.2, 0, 80}}, 2, [3]int{1, 3, 2},
			"region", []float64{0.1, 0.15, 0.2, 0.2, 40, 60}},
		{"across the antimeridian", implicitWalk{dims: 2, region: []float64{3.0, 0, -3.1, 0.2, 0, 1}}, 1, [3]int{1, 0, 0},
			"region", []float64{3.0 + (twoPi-6.1)/2, 0, -3.1, 0.1, 0, 1}},
	}
	for _, c := range cases {
		got := c.iw.volume(c.level, c.c)[c.key]
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
	if m := morton([3]int{2, 2, 0}, 2); m != 12 {
		t.Errorf("morton(2, 2) = %d, want 12", m)
	}
	if m := morton([3]int{1, 0, 1}, 3); m != 5 {
		t.Errorf("morton(1, 0, 1) = %d, want 5", m)
	}
}

// TestImportImplicitExtension: the pre-1.1 form, the 3DTILES_implicit_tiling extension (maximumLevel,
// bufferView, one contentAvailability object), with a box root.
func TestImportImplicitExtension(t *testing.T) {
	pool := pgtest.New(t)
	glbs, _ := filepath.Glob(filepath.Join(shareddata.Path(t, "3dtiles/1.1/SparseImplicitOctree"), "content", "content_4__*.glb"))
	sort.Strings(glbs)
	dir := t.TempDir()
	files := map[string][]byte{
		"tileset.json": []byte(`{"asset":{"version":"1.0"},"extensionsUsed":["3DTILES_implicit_tiling"],"extensionsRequired":["3DTILES_implicit_tiling"],
			"geometricError":50,"root":{"boundingVolume":{"box":[0,0,0,8,0,0,0,8,0,0,0,2]},"geometricError":40,"refine":"ADD",
			"content":{"uri":"c/{level}-{x}-{y}.glb"},
			"extensions":{"3DTILES_implicit_tiling":{"subdivisionScheme":"QUADTREE","subtreeLevels":2,"maximumLevel":1,"subtrees":{"uri":"s/{level}_{x}_{y}.json"}}}}}`),
		"s/0_0_0.json": []byte(`{"buffers":[{"uri":"../bits/content.bin","byteLength":1}],"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":1}],
			"tileAvailability":{"constant":1},"contentAvailability":{"bufferView":0},"childSubtreeAvailability":{"constant":0}}`),
		"bits/content.bin": {0b1_1010}, // 1/0/0, 1/0/1, 1/1/1: not the root nor 1/1/0
	}
	for i, k := range []string{"c/1-0-0.glb", "c/1-0-1.glb", "c/1-1-1.glb"} {
		b, err := os.ReadFile(glbs[i])
		if err != nil {
			t.Fatal(err)
		}
		files[k] = b
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := importWith(t, pool, "extension", "3dtiles", dir, func(ctx context.Context, b *loader.Batch) error {
		return ImportTileset(ctx, b, dir)
	}); err != nil {
		t.Fatal(err)
	}
	_, byKey := implicitNodes(t, pool, "extension")
	if fmt.Sprint(keys(byKey)) != "[0/0/0 1/0/0 1/0/1 1/1/0 1/1/1]" {
		t.Fatalf("tiles %v", keys(byKey))
	}
	for key, ns := range byKey {
		n := ns[0]
		k := parseKey(t, key)
		file := fmt.Sprintf("c/%d-%d-%d.glb", k[0], k[1], k[2])
		want, _ := os.ReadFile(filepath.Join(dir, file))
		if !bytes.Equal(want, n.Content) {
			t.Errorf("tile %s: content (%d bytes), want %s (%d bytes)", key, len(n.Content), file, len(want))
		}
		if k[0] == 1 {
			box := []float64{-4 + 8*float64(k[1]), -4 + 8*float64(k[2]), 0, 4, 0, 0, 0, 4, 0, 0, 0, 2}
			if !near(n.Volume["box"], box) || n.GeometricError != 20 {
				t.Errorf("tile %s: box %v error %v", key, n.Volume["box"], n.GeometricError)
			}
		}
	}
}
