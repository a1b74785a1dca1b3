package twin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// item is one feature as the tiling sees it: where it is, how high, how important.
type item struct {
	kind   uint8 // which table of the source
	id     int64
	x, y   float64    // lon/lat of the footprint's centre (the quadtree key)
	box    [4]float64 // lon/lat extent: west, south, east, north
	zmin   float64    // heights as stored (normal heights); the service adds the offset
	zmax   float64
	weight float64 // larger: shown at coarser levels
}

// tnode is one tile of a quadtree tileset. With ADD refinement every feature is in exactly one
// tile: the cap heaviest features of a cell stay in its tile, the rest go down to the children.
type tnode struct {
	level, x, y int
	items       []int // indexes into tree.items, heaviest first
	children    []*tnode
	region      [6]float64 // west, south, east, north (degrees), zmin, zmax (ellipsoidal metres)
	geomError   float64
	centre      [3]float64 // lon, lat, height of the content frame
}

func (n *tnode) key() string { return fmt.Sprintf("%d/%d/%d", n.level, n.x, n.y) }

// tree is the tiling of one tileset, built from its items; immutable once built.
type tree struct {
	items     []item
	root      *tnode
	nodes     map[string]*tnode
	rootError float64 // the root cell's error: what leaving its content out costs
}

const maxLevel = 20

// maxContentSpan is the widest cell (metres) that holds content. glb vertices are float32 metres in
// the tile's frame: within 100 km of the centre their rounding stays below 5 mm, but a cell that
// spans far-apart datasets (a tileset of Laizhou and a European CityJSON) would put them millions of
// metres out, where float32 rounds to half a metre. Such cells split by location first; their
// features go down to the children, whatever the cap.
const maxContentSpan = 100_000

// buildTree tiles items into a quadtree over their extent with at most cap features per tile
// (except at maxLevel, where what remains stays together). heightOffset turns stored heights into
// ellipsoidal ones. Geometric error starts at a fraction of the extent and halves with each level;
// leaves have 0.
func buildTree(items []item, cap int, heightOffset float64) *tree {
	t := &tree{items: items, nodes: map[string]*tnode{}}
	if len(items) == 0 {
		return t
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(items[b].weight, items[a].weight), cmp.Compare(items[a].id, items[b].id))
	})
	w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, it := range items {
		w, s, e, n = min(w, it.x), min(s, it.y), max(e, it.x), max(n, it.y)
	}
	// A square cell (in degrees) slightly larger than the centres' extent.
	size := max(e-w, n-s)*1.0001 + 1e-9
	t.rootError = max(size*111320/16, 20) // metres; at least a building's size
	t.root = t.split(order, 0, 0, 0, w, s, size, cap, t.rootError, heightOffset)
	return t
}

func (t *tree) split(idx []int, level, x, y int, w, s, size float64, cap int, ge, off float64) *tnode {
	nd := &tnode{level: level, x: x, y: y}
	t.nodes[nd.key()] = nd
	keep := min(cap, len(idx))
	switch {
	case level >= maxLevel:
		keep = len(idx)
	case size*111320 > maxContentSpan:
		keep = 0
	}
	nd.items = idx[:keep:keep]
	rest := idx[keep:]
	if len(rest) > 0 {
		half := size / 2
		var quads [4][]int
		for _, i := range rest {
			q := 0
			if t.items[i].x >= w+half {
				q |= 1
			}
			if t.items[i].y >= s+half {
				q |= 2
			}
			quads[q] = append(quads[q], i)
		}
		for q, sub := range quads {
			if len(sub) == 0 {
				continue
			}
			cw, cs := w+float64(q&1)*half, s+float64(q>>1)*half
			nd.children = append(nd.children, t.split(sub, level+1, 2*x+q&1, 2*y+q>>1, cw, cs, half, cap, ge/2, off))
		}
	}
	if len(nd.children) > 0 {
		nd.geomError = ge
	}
	// Region: the content's extent joined with the children's.
	r := [6]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	var cx, cy, cz float64
	for _, i := range nd.items {
		it := &t.items[i]
		r[0], r[1], r[2], r[3] = min(r[0], it.box[0]), min(r[1], it.box[1]), max(r[2], it.box[2]), max(r[3], it.box[3])
		r[4], r[5] = min(r[4], it.zmin+off), max(r[5], it.zmax+off)
	}
	if len(nd.items) > 0 {
		cx, cy, cz = (r[0]+r[2])/2, (r[1]+r[3])/2, r[4]
	}
	nd.centre = [3]float64{cx, cy, cz}
	for _, c := range nd.children {
		r[0], r[1], r[2], r[3] = min(r[0], c.region[0]), min(r[1], c.region[1]), max(r[2], c.region[2]), max(r[3], c.region[3])
		r[4], r[5] = min(r[4], c.region[4]), max(r[5], c.region[5])
	}
	if r[5]-r[4] < 0.01 { // a flat region still needs some thickness for culling
		r[5] = r[4] + 0.01
	}
	nd.region = r
	return nd
}

// Tileset JSON (3D Tiles 1.1).
type tilesetJSON struct {
	Asset          assetJSON `json:"asset"`
	GeometricError float64   `json:"geometricError"`
	Root           *tileJSON `json:"root"`
}

type assetJSON struct {
	Version   string `json:"version"`
	Generator string `json:"generator,omitempty"`
}

type tileJSON struct {
	BoundingVolume boundingVolume `json:"boundingVolume"`
	GeometricError float64        `json:"geometricError"`
	Refine         string         `json:"refine,omitempty"`
	Transform      *[16]float64   `json:"transform,omitempty"`
	Content        *contentJSON   `json:"content,omitempty"`
	Children       []*tileJSON    `json:"children,omitempty"`
}

type boundingVolume struct {
	Region []float64       `json:"region,omitempty"`
	Box    []float64       `json:"box,omitempty"`
	Sphere []float64       `json:"sphere,omitempty"`
	Raw    json.RawMessage `json:"-"`
}

func (b boundingVolume) MarshalJSON() ([]byte, error) {
	if b.Raw != nil {
		return b.Raw, nil
	}
	type plain boundingVolume
	return json.Marshal(plain(b))
}

type contentJSON struct {
	URI string `json:"uri"`
}

// radians converts a region in degrees to the radians 3D Tiles wants.
func radians(r [6]float64) []float64 {
	k := math.Pi / 180
	return []float64{r[0] * k, r[1] * k, r[2] * k, r[3] * k, r[4], r[5]}
}

// tileset writes the tree as 3D Tiles JSON: every tile with content carries the transform from its
// content frame (ENU at the tile's centre) relative to its parent's frame.
func (t *tree) tileset() *tilesetJSON {
	ts := &tilesetJSON{Asset: assetJSON{Version: "1.1", Generator: "Yitu"}}
	if t.root == nil { // an empty tileset: one empty tile (CesiumJS loads it and shows nothing)
		ts.Root = &tileJSON{BoundingVolume: boundingVolume{Region: []float64{0, 0, 0, 0, 0, 0}}, Refine: "ADD"}
		return ts
	}
	ts.Root = t.tileJSON(t.root, identity())
	ts.Root.Refine = "ADD"
	// What not drawing the tileset at all costs: twice the root cell's error, also when the root is a
	// leaf (error 0), or CesiumJS would draw a small tileset only from a few metres away.
	ts.GeometricError = 2 * t.rootError
	return ts
}

func (t *tree) tileJSON(n *tnode, parentWorld [16]float64) *tileJSON {
	tj := &tileJSON{BoundingVolume: boundingVolume{Region: radians(n.region)}, GeometricError: n.geomError}
	world := parentWorld
	if len(n.items) > 0 {
		world = newFrame(n.centre[0], n.centre[1], n.centre[2]).Matrix()
		rel := mul(rigidInverse(parentWorld), world)
		tj.Transform = &rel
		tj.Content = &contentJSON{URI: n.key() + ".glb"}
	}
	for _, c := range n.children {
		tj.Children = append(tj.Children, t.tileJSON(c, world))
	}
	return tj
}
