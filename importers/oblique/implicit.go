package oblique

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Implicit tiling (3D Tiles 1.1 implicitTiling, and the 1.0 extension 3DTILES_implicit_tiling) is
// expanded on import into the model's explicit node tree: every available tile becomes a
// twin.model_node with its share of the root's bounding volume (a region or box halved per level
// along each subdivided axis) and the root's geometric error halved per level, and every available
// content (the content URI templates filled with {level}, {x}, {y}, {z}) is stored as it is. The
// subtree files (.subtree binary or JSON) are read only to find which tiles, contents and child
// subtrees are available; their tile and content metadata is not kept.

// maxImplicitTiles bounds the expansion: more than this many available tiles is refused rather than
// written (a constant availability over many levels would otherwise fill the database).
const maxImplicitTiles = 1 << 20

// implicitTilingJSON is the implicitTiling object of a tile (or the 3DTILES_implicit_tiling
// extension, whose maximumLevel is availableLevels − 1).
type implicitTilingJSON struct {
	SubdivisionScheme string `json:"subdivisionScheme"`
	SubtreeLevels     *int   `json:"subtreeLevels"`
	AvailableLevels   *int   `json:"availableLevels"`
	MaximumLevel      *int   `json:"maximumLevel"`
	Subtrees          *struct {
		URI string `json:"uri"`
	} `json:"subtrees"`
}

// implicitOf returns the tile's implicit tiling, nil if it has none.
func implicitOf(t *tileJSON, at string) (*implicitTilingJSON, error) {
	raw, where := t.ImplicitTiling, at+".implicitTiling"
	if len(raw) == 0 || string(raw) == "null" {
		raw, where = t.Extensions["3DTILES_implicit_tiling"], at+".extensions.3DTILES_implicit_tiling"
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var it implicitTilingJSON
	if err := json.Unmarshal(raw, &it); err != nil {
		return nil, invalid(where, "%v", err)
	}
	if it.AvailableLevels == nil && it.MaximumLevel != nil {
		n := *it.MaximumLevel + 1
		it.AvailableLevels = &n
	}
	switch it.SubdivisionScheme {
	case "QUADTREE", "OCTREE":
	case "":
		return nil, invalid(where+".subdivisionScheme", "missing (QUADTREE or OCTREE)")
	default:
		return nil, invalid(where+".subdivisionScheme", "%q is not a subdivision scheme (QUADTREE or OCTREE)", it.SubdivisionScheme)
	}
	if it.SubtreeLevels == nil || *it.SubtreeLevels < 1 || *it.SubtreeLevels > 16 {
		return nil, invalid(where+".subtreeLevels", "missing or not 1 to 16")
	}
	if it.AvailableLevels == nil || *it.AvailableLevels < 1 || *it.AvailableLevels > 31 {
		return nil, invalid(where+".availableLevels", "missing or not 1 to 31")
	}
	if it.Subtrees == nil || it.Subtrees.URI == "" {
		return nil, invalid(where+".subtrees.uri", "missing")
	}
	if len(t.Children) > 0 {
		return nil, invalid(at+".children", "a tile with implicit tiling has no explicit children")
	}
	return &it, nil
}

// implicitWalk expands one implicit root tile.
type implicitWalk struct {
	w         *tilesetWalk
	file      string // the tileset file (URIs are relative to it)
	at        string // file: tile, for errors
	where     string // the tile's name, for node names
	dims      int    // 2 (quadtree) or 3 (octree)
	levels    int    // subtreeLevels
	available int    // availableLevels
	region    []float64
	box       []float64
	rootError float64
	refine    string
	subtrees  string   // subtree URI template
	contents  []string // content URI templates
	tiles     int
	noted     bool // subtree metadata warned about
}

// implicit writes the tree of an implicit root tile t below parent.
func (w *tilesetWalk) implicit(t *tileJSON, it *implicitTilingJSON, where string, file string, parent int64, at string, order int, refine string, transform *[16]float64, ge float64, contents []contentRef) error {
	iw := &implicitWalk{w: w, file: file, at: at, where: where, dims: 2, levels: *it.SubtreeLevels, available: *it.AvailableLevels,
		rootError: ge, refine: refine, subtrees: it.Subtrees.URI}
	if it.SubdivisionScheme == "OCTREE" {
		iw.dims = 3
	}
	var bv struct {
		Region     []float64                  `json:"region"`
		Box        []float64                  `json:"box"`
		Sphere     []float64                  `json:"sphere"`
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(t.BoundingVolume, &bv); err != nil {
		return invalid(at+".boundingVolume", "%v", err)
	}
	switch {
	case len(bv.Region) == 6:
		iw.region = bv.Region
	case len(bv.Box) == 12:
		iw.box = bv.Box
	default:
		return invalid(at+".boundingVolume", "implicit tiling divides a region or a box; this volume is neither (%s)", clip(string(t.BoundingVolume), 80))
	}
	for _, c := range contents {
		uri := c.URI
		if uri == "" {
			uri = c.URL
		}
		if uri == "" {
			return invalid(at+".content.uri", "empty content URI template")
		}
		if strings.EqualFold(filepath.Ext(uri), ".json") {
			return invalid(at+".content.uri", "%s: external tilesets as implicit tile content are not supported", uri)
		}
		iw.contents = append(iw.contents, uri)
	}
	st, err := iw.subtree(0, [3]int{})
	if err != nil {
		return err
	}
	if !st.tile.get(0) {
		return invalid(st.file, "the root tile is not available (tileAvailability bit 0 is 0): the tileset has no tiles")
	}
	return iw.visit(st, 0, [3]int{}, parent, order, transform)
}

// tileKey names tile (level, x, y[, z]) as level/x/y[/z].
func (iw *implicitWalk) tileKey(level int, c [3]int) string {
	if iw.dims == 2 {
		return fmt.Sprintf("%d/%d/%d", level, c[0], c[1])
	}
	return fmt.Sprintf("%d/%d/%d/%d", level, c[0], c[1], c[2])
}

// fill fills a URI template for tile (level, x, y, z).
func fill(template string, level int, c [3]int) string {
	return strings.NewReplacer("{level}", strconv.Itoa(level), "{x}", strconv.Itoa(c[0]),
		"{y}", strconv.Itoa(c[1]), "{z}", strconv.Itoa(c[2])).Replace(template)
}

// volume is the bounding volume of tile (level, x, y, z): the root's divided 2^level times along
// each subdivided axis.
func (iw *implicitWalk) volume(level int, c [3]int) map[string][]float64 {
	d := math.Ldexp(1, level)
	if iw.region != nil {
		r := iw.region
		width := r[2] - r[0]
		if width < 0 { // across the antimeridian
			width += 2 * math.Pi
		}
		dx, dy := width/d, (r[3]-r[1])/d
		w, s := r[0]+float64(c[0])*dx, r[1]+float64(c[1])*dy
		e := w + dx
		if w > math.Pi {
			w -= 2 * math.Pi
		}
		if e > math.Pi {
			e -= 2 * math.Pi
		}
		lo, hi := r[4], r[5]
		if iw.dims == 3 {
			dz := (r[5] - r[4]) / d
			lo = r[4] + float64(c[2])*dz
			hi = lo + dz
		}
		return map[string][]float64{"region": {w, s, e, s + dy, lo, hi}}
	}
	b := iw.box
	out := make([]float64, 12)
	copy(out, b[:3])
	for axis := range 3 {
		half := b[3+3*axis : 6+3*axis]
		if axis == 2 && iw.dims == 2 {
			copy(out[9:], half)
			continue
		}
		off := -1 + (2*float64(c[axis])+1)/d
		for k := range 3 {
			out[k] += half[k] * off
			out[3+3*axis+k] = half[k] / d
		}
	}
	return map[string][]float64{"box": out}
}

// morton interleaves the bits of x, y (and z): x in the lowest bit.
func morton(c [3]int, dims int) int {
	m := 0
	for bit := range 16 {
		for a := range dims {
			m |= (c[a] >> bit & 1) << (bit*dims + a)
		}
	}
	return m
}

// levelOffset is the index of a subtree level's first tile in the availability bitstreams.
func (iw *implicitWalk) levelOffset(level int) int {
	n := 1 << iw.dims
	return ((1 << (iw.dims * level)) - 1) / (n - 1)
}

// visit writes available tile (local level l, local coordinates lc) of subtree st and its subtree.
func (iw *implicitWalk) visit(st *subtree, l int, lc [3]int, parent int64, order int, transform *[16]float64) error {
	idx := iw.levelOffset(l) + morton(lc, iw.dims)
	if !st.tile.get(idx) {
		for k, ca := range st.content {
			if ca.get(idx) {
				return invalid(st.file, "content %d of tile %s is available but the tile is not", k, iw.tileKey(st.level+l, st.global(l, lc)))
			}
		}
		return nil
	}
	level, c := st.level+l, st.global(l, lc)
	if iw.tiles++; iw.tiles > maxImplicitTiles {
		return invalid(iw.at+".implicitTiling", "more than %d tiles are available; Yitu expands implicit tilesets into explicit trees and refuses one this large", maxImplicitTiles)
	}
	name := iw.where + "@" + iw.tileKey(level, c)
	vol := iw.volume(level, c)
	ge := iw.rootError / math.Ldexp(1, level)
	var available []int
	for k, ca := range st.content {
		if ca.get(idx) {
			available = append(available, k)
		}
	}
	var first int64
	for i := range max(1, len(available)) {
		id, err := iw.w.m.nextID()
		if err != nil {
			return err
		}
		nd := node{id: id, parent: parent, name: name, order: order*64 + i, volume: vol, geometricError: ge, refine: iw.refine}
		if level == 0 {
			nd.transform = transform
		}
		if i < len(available) {
			tpl := iw.contents[available[i]]
			uri := fill(tpl, level, c)
			p, err := contentPath(iw.file, uri)
			if err != nil {
				return invalid(iw.at+".content.uri", "%v", err)
			}
			if _, err := os.Stat(p); err != nil {
				return invalid(st.file, "tile %s has content %d available, but its file %s (template %s) is missing", iw.tileKey(level, c), available[i], p, tpl)
			}
			data, ctype, err := readContent(p)
			if err != nil {
				return invalid(iw.at+".content", "tile %s: %v", iw.tileKey(level, c), err)
			}
			nd.content, nd.contentType = data, ctype
			nd.name = name + " " + filepath.Base(p)
			if i > 0 {
				nd.name = fmt.Sprintf("%s+%d %s", name, i, filepath.Base(p))
			}
		}
		if err := iw.w.m.insert(nd); err != nil {
			return err
		}
		if i == 0 {
			first = id
		}
	}
	if level+1 >= iw.available {
		return nil
	}
	for k := range 1 << iw.dims {
		var cc [3]int
		for a := range iw.dims {
			cc[a] = 2*lc[a] + (k >> a & 1)
		}
		if l+1 < iw.levels {
			if err := iw.visit(st, l+1, cc, first, k, nil); err != nil {
				return err
			}
			continue
		}
		// the child is the root of a child subtree
		if !st.child.get(morton(cc, iw.dims)) {
			continue
		}
		gc := st.global(l+1, cc)
		child, err := iw.subtree(level+1, gc)
		if err != nil {
			return err
		}
		if err := iw.visit(child, 0, [3]int{}, first, k, nil); err != nil {
			return err
		}
	}
	return nil
}

// subtree is the availability of one subtree file.
type subtree struct {
	file    string
	level   int    // global level of its root
	root    [3]int // global coordinates of its root
	tile    availability
	content []availability // one per content template
	child   availability
}

// global turns local coordinates at local level l into the tileset's.
func (st *subtree) global(l int, lc [3]int) [3]int {
	var g [3]int
	for a := range 3 {
		g[a] = st.root[a]<<l + lc[a]
	}
	return g
}

// availability is a bitstream, or a constant when bits is nil.
type availability struct {
	bits     []byte
	constant bool
}

func (a availability) get(i int) bool {
	if a.bits == nil {
		return a.constant
	}
	return a.bits[i/8]>>(i%8)&1 == 1
}

type availabilityJSON struct {
	Bitstream  *int `json:"bitstream"`
	BufferView *int `json:"bufferView"` // 3DTILES_implicit_tiling
	Constant   *int `json:"constant"`
}

type subtreeJSON struct {
	Buffers []struct {
		URI        string `json:"uri"`
		ByteLength *int64 `json:"byteLength"`
	} `json:"buffers"`
	BufferViews []struct {
		Buffer     int   `json:"buffer"`
		ByteOffset int64 `json:"byteOffset"`
		ByteLength int64 `json:"byteLength"`
	} `json:"bufferViews"`
	TileAvailability         *availabilityJSON          `json:"tileAvailability"`
	ContentAvailability      json.RawMessage            `json:"contentAvailability"` // array (1.1) or one object (the extension)
	ChildSubtreeAvailability *availabilityJSON          `json:"childSubtreeAvailability"`
	Extensions               map[string]json.RawMessage `json:"extensions"`
	PropertyTables           json.RawMessage            `json:"propertyTables"`
	TileMetadata             json.RawMessage            `json:"tileMetadata"`
	ContentMetadata          json.RawMessage            `json:"contentMetadata"`
	SubtreeMetadata          json.RawMessage            `json:"subtreeMetadata"`
}

// subtree reads the subtree file whose root is tile (level, c).
func (iw *implicitWalk) subtree(level int, c [3]int) (*subtree, error) {
	p, err := contentPath(iw.file, fill(iw.subtrees, level, c))
	if err != nil {
		return nil, invalid(iw.at+".implicitTiling.subtrees.uri", "%v", err)
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		why := "its parent subtree says it is available"
		if level == 0 {
			why = "it is the root subtree"
		}
		return nil, invalid(p, "the subtree of tile %s (template %s) is missing; %s", iw.tileKey(level, c), iw.subtrees, why)
	} else if err != nil {
		return nil, invalid(p, "the subtree of tile %s (template %s) cannot be read: %v", iw.tileKey(level, c), iw.subtrees, err)
	}
	st := &subtree{file: p, level: level, root: c}
	var jsonPart, bin []byte
	switch {
	case len(data) >= 4 && string(data[:4]) == "subt":
		if len(data) < 24 {
			return nil, invalid(p, "%d bytes: shorter than a subtree header (24)", len(data))
		}
		if v := binary.LittleEndian.Uint32(data[4:]); v != 1 {
			return nil, invalid(p, "subtree version %d (Yitu reads 1)", v)
		}
		jl, bl := binary.LittleEndian.Uint64(data[8:]), binary.LittleEndian.Uint64(data[16:])
		if jl > uint64(len(data)) || bl > uint64(len(data)) || 24+jl+bl > uint64(len(data)) {
			return nil, invalid(p, "the file is %d bytes, shorter than its header says (24 + %d bytes of JSON + %d bytes of binary)", len(data), jl, bl)
		}
		jsonPart, bin = data[24:24+jl], data[24+jl:24+jl+bl]
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf"), []byte("{")):
		jsonPart = data
	default:
		return nil, invalid(p, "not a subtree (neither the binary .subtree form, which starts with \"subt\", nor JSON)")
	}
	var sj subtreeJSON
	if err := json.Unmarshal(bytes.TrimRight(jsonPart, " \x00"), &sj); err != nil {
		return nil, invalid(p, "the subtree JSON: %v", err)
	}
	buffers := make([][]byte, len(sj.Buffers))
	for i, b := range sj.Buffers {
		if b.ByteLength == nil || *b.ByteLength < 0 {
			return nil, invalid(p, "buffers[%d].byteLength: missing", i)
		}
		var have []byte
		if b.URI == "" {
			if i != 0 {
				return nil, invalid(p, "buffers[%d] has no uri (only the first buffer may be the binary chunk)", i)
			}
			have = bin
		} else {
			bp, err := contentPath(p, b.URI)
			if err != nil {
				return nil, invalid(p, "buffers[%d].uri: %v", i, err)
			}
			if have, err = os.ReadFile(bp); err != nil {
				return nil, invalid(p, "buffers[%d]: %v", i, err)
			}
		}
		if int64(len(have)) < *b.ByteLength {
			what := "the binary chunk"
			if b.URI != "" {
				what = b.URI
			}
			return nil, invalid(p, "buffers[%d] is %d bytes but %s has only %d", i, *b.ByteLength, what, len(have))
		}
		buffers[i] = have[:*b.ByteLength]
	}
	n := 1 << iw.dims
	tileBits := ((1 << (iw.dims * iw.levels)) - 1) / (n - 1)
	childBits := 1 << (iw.dims * iw.levels)
	read := func(a *availabilityJSON, what string, bits int) (availability, error) {
		if a == nil {
			return availability{}, invalid(p, "%s: missing", what)
		}
		view := a.Bitstream
		if view == nil {
			view = a.BufferView
		}
		if view == nil {
			if a.Constant == nil || *a.Constant != 0 && *a.Constant != 1 {
				return availability{}, invalid(p, "%s: neither a bitstream nor a constant 0 or 1", what)
			}
			return availability{constant: *a.Constant == 1}, nil
		}
		if *view < 0 || *view >= len(sj.BufferViews) {
			return availability{}, invalid(p, "%s: bitstream %d: there are %d bufferViews", what, *view, len(sj.BufferViews))
		}
		bv := sj.BufferViews[*view]
		if bv.Buffer < 0 || bv.Buffer >= len(buffers) {
			return availability{}, invalid(p, "bufferViews[%d].buffer %d: there are %d buffers", *view, bv.Buffer, len(buffers))
		}
		buf := buffers[bv.Buffer]
		if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > int64(len(buf)) || bv.ByteLength > int64(len(buf))-bv.ByteOffset {
			return availability{}, invalid(p, "bufferViews[%d] (bytes %d to %d) runs past the end of buffer %d (%d bytes)", *view, bv.ByteOffset, bv.ByteOffset+bv.ByteLength, bv.Buffer, len(buf))
		}
		if need := int64((bits + 7) / 8); bv.ByteLength < need {
			return availability{}, invalid(p, "%s needs %d bits (%d bytes) for %d subtree levels, its bufferView %d has %d bytes", what, bits, need, iw.levels, *view, bv.ByteLength)
		}
		return availability{bits: buf[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]}, nil
	}
	if st.tile, err = read(sj.TileAvailability, "tileAvailability", tileBits); err != nil {
		return nil, err
	}
	if sj.ChildSubtreeAvailability == nil {
		sj.ChildSubtreeAvailability = &availabilityJSON{Constant: new(int)} // none (a leaf subtree may leave it out)
	}
	if st.child, err = read(sj.ChildSubtreeAvailability, "childSubtreeAvailability", childBits); err != nil {
		return nil, err
	}
	// content availability: 1.1's array, the extension's one object, or 3DTILES_multiple_contents'
	var contents []*availabilityJSON
	raw := sj.ContentAvailability
	if mc, ok := sj.Extensions["3DTILES_multiple_contents"]; ok && len(raw) == 0 {
		var ext struct {
			ContentAvailability json.RawMessage `json:"contentAvailability"`
		}
		if err := json.Unmarshal(mc, &ext); err != nil {
			return nil, invalid(p, "extensions.3DTILES_multiple_contents: %v", err)
		}
		raw = ext.ContentAvailability
	}
	if r := bytes.TrimSpace(raw); len(r) > 0 && r[0] == '{' {
		var one availabilityJSON
		if err := json.Unmarshal(r, &one); err != nil {
			return nil, invalid(p, "contentAvailability: %v", err)
		}
		contents = []*availabilityJSON{&one}
	} else if len(r) > 0 && string(r) != "null" {
		if err := json.Unmarshal(r, &contents); err != nil {
			return nil, invalid(p, "contentAvailability: %v", err)
		}
	}
	if len(contents) != len(iw.contents) {
		return nil, invalid(p, "contentAvailability has %d entries; the tile has %d content templates", len(contents), len(iw.contents))
	}
	for k, a := range contents {
		ca, err := read(a, fmt.Sprintf("contentAvailability[%d]", k), tileBits)
		if err != nil {
			return nil, err
		}
		st.content = append(st.content, ca)
	}
	if !iw.noted && (len(sj.PropertyTables) > 0 || len(sj.TileMetadata) > 0 || len(sj.ContentMetadata) > 0 || len(sj.SubtreeMetadata) > 0) {
		iw.noted = true
		iw.w.b.Warn(fmt.Sprintf("%s: subtree metadata (property tables, tile, content and subtree metadata) is not kept", p))
	}
	return st, nil
}
