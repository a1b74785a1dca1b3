package glb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"
)

// ErrUnsupported is returned by Decode for a glb that uses what Model cannot hold (other primitive
// modes, vertex colours, skins, morph targets, required extensions it does not know): re-encoding
// it would lose data, so callers leave such content as it is.
var ErrUnsupported = errors.New("glb: not representable by glb.Model")

// NoFeature in Primitive.FeatureIDs marks a vertex that belongs to no feature; Encode writes it
// as EXT_mesh_features' nullFeatureId.
const NoFeature uint32 = math.MaxUint32

// Decode reads a glb into a Model: the default scene's nodes (TRS turned into a matrix), triangle
// primitives with positions, normals, first texture coordinates, indices, feature ids (the first
// EXT_mesh_features set, read from a vertex attribute, null ids as NoFeature) and their
// EXT_structural_metadata property table, and metallic-roughness materials with a base colour
// texture. It is the inverse of Encode for what Encode writes. Anything else is ErrUnsupported.
func Decode(b []byte) (*Model, error) {
	if err := checkHeader(b); err != nil {
		return nil, err
	}
	doc := new(gltf.Document)
	if err := gltf.NewDecoder(bytes.NewReader(b)).Decode(doc); err != nil {
		return nil, fmt.Errorf("glb: %w", err)
	}
	if err := checkViews(doc); err != nil {
		return nil, err
	}
	for _, ext := range doc.ExtensionsRequired {
		if ext != extUnlit && ext != ExtMeshFeatures && ext != ExtStructuralMetadata {
			return nil, fmt.Errorf("%w: required extension %s", ErrUnsupported, ext)
		}
	}
	if len(doc.Skins) > 0 {
		return nil, fmt.Errorf("%w: skins", ErrUnsupported)
	}
	d := &decoder{doc: doc, seen: map[int]bool{}, meshes: map[int]*Mesh{}, materials: map[int]*Material{}, images: map[int]*Image{}, tables: map[int]*PropertyTable{}}
	d.model.Generator, d.model.Copyright = doc.Asset.Generator, doc.Asset.Copyright
	if err := d.readTables(); err != nil {
		return nil, err
	}
	var roots []int
	switch {
	case doc.Scene != nil && *doc.Scene < len(doc.Scenes):
		roots = doc.Scenes[*doc.Scene].Nodes
	case len(doc.Scenes) > 0:
		roots = doc.Scenes[0].Nodes
	}
	for _, r := range roots {
		n, err := d.node(r, 0)
		if err != nil {
			return nil, err
		}
		d.model.Nodes = append(d.model.Nodes, n)
	}
	return &d.model, nil
}

// checkHeader refuses a glb whose header or chunk lengths exceed its bytes (before the decoder
// allocates for them).
func checkHeader(b []byte) error {
	if len(b) < 20 || string(b[:4]) != "glTF" || binary.LittleEndian.Uint32(b[4:]) != 2 {
		return fmt.Errorf("glb: not a glTF 2.0 binary")
	}
	if n := binary.LittleEndian.Uint32(b[8:]); uint64(n) > uint64(len(b)) {
		return fmt.Errorf("glb: the header says %d bytes, there are %d", n, len(b))
	}
	for off := 12; off+8 <= len(b); {
		n := uint64(binary.LittleEndian.Uint32(b[off:]))
		if uint64(off)+8+n > uint64(len(b)) {
			return fmt.Errorf("glb: a chunk of %d bytes at byte %d runs past the end", n, off)
		}
		off += 8 + int(n)
	}
	return nil
}

// maxElements bounds an accessor's count (a tile has far fewer vertices).
const maxElements = 1 << 26

// checkViews refuses buffer views outside their buffer and accessors outside their view, which
// the modeler would read past (or panic on).
func checkViews(doc *gltf.Document) error {
	for i, bv := range doc.BufferViews {
		if bv.Buffer < 0 || bv.Buffer >= len(doc.Buffers) || bv.ByteOffset < 0 || bv.ByteLength < 0 ||
			bv.ByteOffset+bv.ByteLength > len(doc.Buffers[bv.Buffer].Data) || bv.ByteStride < 0 || bv.ByteStride > 252 {
			return fmt.Errorf("glb: buffer view %d lies outside its buffer", i)
		}
	}
	for i, a := range doc.Accessors {
		if a.Sparse != nil {
			return fmt.Errorf("%w: sparse accessor %d", ErrUnsupported, i)
		}
		if a.BufferView == nil {
			return fmt.Errorf("%w: accessor %d has no buffer view", ErrUnsupported, i)
		}
		if *a.BufferView < 0 || *a.BufferView >= len(doc.BufferViews) {
			return fmt.Errorf("glb: accessor %d names buffer view %d of %d", i, *a.BufferView, len(doc.BufferViews))
		}
		size := gltf.SizeOfElement(a.ComponentType, a.Type)
		if a.Count < 0 || a.Count > maxElements || a.ByteOffset < 0 || size <= 0 {
			return fmt.Errorf("glb: accessor %d: %d elements at byte %d", i, a.Count, a.ByteOffset)
		}
		if a.Count == 0 {
			continue
		}
		bv := doc.BufferViews[*a.BufferView]
		stride := bv.ByteStride
		if stride == 0 {
			stride = size
		}
		if a.ByteOffset+stride*(a.Count-1)+size > bv.ByteLength {
			return fmt.Errorf("glb: accessor %d runs past its buffer view", i)
		}
	}
	return nil
}

type decoder struct {
	doc       *gltf.Document
	model     Model
	meshes    map[int]*Mesh
	materials map[int]*Material
	images    map[int]*Image
	tables    map[int]*PropertyTable
	seen      map[int]bool // nodes
}

func (d *decoder) node(i, depth int) (*Node, error) {
	if i < 0 || i >= len(d.doc.Nodes) || depth > 64 {
		return nil, fmt.Errorf("glb: node %d is out of range or nested too deep", i)
	}
	if d.seen[i] { // glTF nodes form trees; a node reached twice could make the walk exponential
		return nil, fmt.Errorf("glb: node %d appears twice in the scene", i)
	}
	d.seen[i] = true
	gn := d.doc.Nodes[i]
	n := &Node{Name: gn.Name}
	if m := nodeMatrix(gn); m != gltf.DefaultMatrix {
		n.Matrix = &m
	}
	if gn.Mesh != nil {
		m, err := d.mesh(*gn.Mesh)
		if err != nil {
			return nil, err
		}
		n.Mesh = m
	}
	for _, c := range gn.Children {
		cn, err := d.node(c, depth+1)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, cn)
	}
	return n, nil
}

// nodeMatrix is a node's local transform: its matrix, or T·R·S.
func nodeMatrix(n *gltf.Node) [16]float64 {
	if m := n.MatrixOrDefault(); m != gltf.DefaultMatrix {
		return m
	}
	t, q, s := n.TranslationOrDefault(), n.RotationOrDefault(), n.ScaleOrDefault()
	x, y, z, w := q[0], q[1], q[2], q[3]
	r := [9]float64{ // column-major rotation
		1 - 2*(y*y+z*z), 2 * (x*y + z*w), 2 * (x*z - y*w),
		2 * (x*y - z*w), 1 - 2*(x*x+z*z), 2 * (y*z + x*w),
		2 * (x*z + y*w), 2 * (y*z - x*w), 1 - 2*(x*x+y*y),
	}
	return [16]float64{
		r[0] * s[0], r[1] * s[0], r[2] * s[0], 0,
		r[3] * s[1], r[4] * s[1], r[5] * s[1], 0,
		r[6] * s[2], r[7] * s[2], r[8] * s[2], 0,
		t[0], t[1], t[2], 1,
	}
}

func (d *decoder) mesh(i int) (*Mesh, error) {
	if m, ok := d.meshes[i]; ok {
		return m, nil
	}
	if i < 0 || i >= len(d.doc.Meshes) {
		return nil, fmt.Errorf("glb: mesh %d is out of range", i)
	}
	gm := d.doc.Meshes[i]
	m := &Mesh{Name: gm.Name}
	for pi, gp := range gm.Primitives {
		p, err := d.primitive(gp)
		if err != nil {
			return nil, fmt.Errorf("mesh %q primitive %d: %w", gm.Name, pi, err)
		}
		m.Primitives = append(m.Primitives, p)
	}
	d.meshes[i] = m
	return m, nil
}

func (d *decoder) accessor(i int) (*gltf.Accessor, error) {
	if i < 0 || i >= len(d.doc.Accessors) {
		return nil, fmt.Errorf("glb: accessor %d is out of range", i)
	}
	return d.doc.Accessors[i], nil
}

func (d *decoder) primitive(gp *gltf.Primitive) (*Primitive, error) {
	if gp.Mode != gltf.PrimitiveTriangles {
		return nil, fmt.Errorf("%w: primitive mode %d", ErrUnsupported, gp.Mode)
	}
	if len(gp.Targets) > 0 {
		return nil, fmt.Errorf("%w: morph targets", ErrUnsupported)
	}
	for name := range gp.Attributes {
		switch name {
		case gltf.POSITION, gltf.NORMAL, gltf.TEXCOORD_0, FeatureIDAttribute:
		default:
			return nil, fmt.Errorf("%w: attribute %s", ErrUnsupported, name)
		}
	}
	p := &Primitive{}
	pi, ok := gp.Attributes[gltf.POSITION]
	if !ok {
		return nil, fmt.Errorf("glb: a primitive without positions")
	}
	a, err := d.accessor(pi)
	if err != nil {
		return nil, err
	}
	if p.Positions, err = modeler.ReadPosition(d.doc, a, nil); err != nil {
		return nil, fmt.Errorf("glb: positions: %w", err)
	}
	if i, ok := gp.Attributes[gltf.NORMAL]; ok {
		if a, err = d.accessor(i); err != nil {
			return nil, err
		}
		if p.Normals, err = modeler.ReadNormal(d.doc, a, nil); err != nil {
			return nil, fmt.Errorf("glb: normals: %w", err)
		}
	}
	if i, ok := gp.Attributes[gltf.TEXCOORD_0]; ok {
		if a, err = d.accessor(i); err != nil {
			return nil, err
		}
		if p.UVs, err = modeler.ReadTextureCoord(d.doc, a, nil); err != nil {
			return nil, fmt.Errorf("glb: texture coordinates: %w", err)
		}
	}
	if gp.Indices != nil {
		if a, err = d.accessor(*gp.Indices); err != nil {
			return nil, err
		}
		if p.Indices, err = modeler.ReadIndices(d.doc, a, nil); err != nil {
			return nil, fmt.Errorf("glb: indices: %w", err)
		}
	}
	if err := d.features(gp, p); err != nil {
		return nil, err
	}
	n := len(p.Positions)
	if p.Normals != nil && len(p.Normals) != n || p.UVs != nil && len(p.UVs) != n || p.FeatureIDs != nil && len(p.FeatureIDs) != n {
		return nil, fmt.Errorf("glb: %d positions but %d normals, %d texture coordinates, %d feature ids", n, len(p.Normals), len(p.UVs), len(p.FeatureIDs))
	}
	if p.Indices == nil && n%3 != 0 || len(p.Indices)%3 != 0 {
		return nil, fmt.Errorf("glb: not a triangle list (%d positions, %d indices)", n, len(p.Indices))
	}
	for _, ix := range p.Indices {
		if int(ix) >= n {
			return nil, fmt.Errorf("glb: index %d but %d positions", ix, n)
		}
	}
	if gp.Material != nil {
		if p.Material, err = d.material(*gp.Material); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// features reads the primitive's first EXT_mesh_features feature id set, when it is an attribute.
func (d *decoder) features(gp *gltf.Primitive, p *Primitive) error {
	raw, ok := gp.Extensions[ExtMeshFeatures]
	if !ok {
		return nil
	}
	var mf struct {
		FeatureIDs []struct {
			Attribute     *int    `json:"attribute"`
			PropertyTable *int    `json:"propertyTable"`
			NullFeatureID *uint32 `json:"nullFeatureId"`
		} `json:"featureIds"`
	}
	if err := remarshal(raw, &mf); err != nil {
		return fmt.Errorf("glb: %s: %w", ExtMeshFeatures, err)
	}
	if len(mf.FeatureIDs) == 0 {
		return nil
	}
	f := mf.FeatureIDs[0]
	if f.Attribute == nil || f.PropertyTable == nil {
		return fmt.Errorf("%w: feature ids that are not a vertex attribute with a property table", ErrUnsupported)
	}
	ai, ok := gp.Attributes[fmt.Sprintf("_FEATURE_ID_%d", *f.Attribute)]
	if !ok {
		return fmt.Errorf("glb: feature id attribute _FEATURE_ID_%d is missing", *f.Attribute)
	}
	t := d.tables[*f.PropertyTable]
	if t == nil {
		return fmt.Errorf("glb: property table %d is missing", *f.PropertyTable)
	}
	a, err := d.accessor(ai)
	if err != nil {
		return err
	}
	v, err := modeler.ReadAccessor(d.doc, a, nil)
	if err != nil {
		return fmt.Errorf("glb: feature ids: %w", err)
	}
	ids := make([]uint32, 0, a.Count)
	switch v := v.(type) {
	case []float32:
		for _, x := range v {
			ids = append(ids, uint32(x))
		}
	case []uint8:
		for _, x := range v {
			ids = append(ids, uint32(x))
		}
	case []uint16:
		for _, x := range v {
			ids = append(ids, uint32(x))
		}
	case []uint32:
		ids = append(ids, v...)
	default:
		return fmt.Errorf("%w: feature ids of type %T", ErrUnsupported, v)
	}
	for i, id := range ids {
		if f.NullFeatureID != nil && id == *f.NullFeatureID {
			ids[i] = NoFeature
		} else if int(id) >= t.Count {
			return fmt.Errorf("glb: feature id %d but property table %q has %d rows", id, t.Class, t.Count)
		}
	}
	p.FeatureIDs, p.Table = ids, t
	return nil
}

func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

func (d *decoder) material(i int) (*Material, error) {
	if m, ok := d.materials[i]; ok {
		return m, nil
	}
	if i < 0 || i >= len(d.doc.Materials) {
		return nil, fmt.Errorf("glb: material %d is out of range", i)
	}
	gm := d.doc.Materials[i]
	if gm.NormalTexture != nil || gm.OcclusionTexture != nil || gm.EmissiveTexture != nil || gm.AlphaMode == gltf.AlphaMask {
		return nil, fmt.Errorf("%w: material %q has textures other than its base colour, or an alpha mask", ErrUnsupported, gm.Name)
	}
	m := &Material{Name: gm.Name, DoubleSided: gm.DoubleSided, BaseColor: [4]float32{1, 1, 1, 1}, Metallic: 1, Roughness: 1}
	if pbr := gm.PBRMetallicRoughness; pbr != nil {
		if pbr.BaseColorFactor != nil {
			for k, c := range pbr.BaseColorFactor {
				m.BaseColor[k] = float32(c)
			}
		}
		if pbr.MetallicFactor != nil {
			m.Metallic = float32(*pbr.MetallicFactor)
		}
		if pbr.RoughnessFactor != nil {
			m.Roughness = float32(*pbr.RoughnessFactor)
		}
		if pbr.MetallicRoughnessTexture != nil {
			return nil, fmt.Errorf("%w: material %q has a metallic-roughness texture", ErrUnsupported, gm.Name)
		}
		if pbr.BaseColorTexture != nil {
			if pbr.BaseColorTexture.TexCoord != 0 || len(pbr.BaseColorTexture.Extensions) > 0 {
				return nil, fmt.Errorf("%w: material %q's texture uses another texture coordinate set or a transform", ErrUnsupported, gm.Name)
			}
			img, err := d.texture(pbr.BaseColorTexture.Index)
			if err != nil {
				return nil, fmt.Errorf("material %q: %w", gm.Name, err)
			}
			m.Texture = img
		}
	}
	if gm.AlphaMode == gltf.AlphaOpaque && m.BaseColor[3] < 1 {
		m.BaseColor[3] = 1 // Encode would make it blend
	}
	_, m.Unlit = gm.Extensions[extUnlit]
	d.materials[i] = m
	return m, nil
}

func (d *decoder) texture(i int) (*Image, error) {
	if img, ok := d.images[i]; ok {
		return img, nil
	}
	if i < 0 || i >= len(d.doc.Textures) || d.doc.Textures[i].Source == nil || *d.doc.Textures[i].Source >= len(d.doc.Images) {
		return nil, fmt.Errorf("%w: texture %d has no image", ErrUnsupported, i)
	}
	tx := d.doc.Textures[i]
	gi := d.doc.Images[*tx.Source]
	if gi.BufferView == nil || *gi.BufferView >= len(d.doc.BufferViews) {
		return nil, fmt.Errorf("%w: image %q is not embedded", ErrUnsupported, gi.Name)
	}
	data, err := modeler.ReadBufferView(d.doc, d.doc.BufferViews[*gi.BufferView])
	if err != nil {
		return nil, fmt.Errorf("glb: image %q: %w", gi.Name, err)
	}
	img := &Image{Name: gi.Name, MIMEType: gi.MimeType, Data: slices.Clone(data)}
	if tx.Sampler != nil && *tx.Sampler < len(d.doc.Samplers) {
		s := d.doc.Samplers[*tx.Sampler]
		img.Repeat = s.WrapS == gltf.WrapRepeat || s.WrapT == gltf.WrapRepeat
	}
	d.images[i] = img
	return img, nil
}

// readTables reads the EXT_structural_metadata property tables (string, FLOAT64 and INT32 scalar
// properties, as Encode writes them).
func (d *decoder) readTables() error {
	raw, ok := d.doc.Extensions[ExtStructuralMetadata]
	if !ok {
		return nil
	}
	var sm structuralMetadata
	if err := remarshal(raw, &sm); err != nil {
		return fmt.Errorf("glb: %s: %w", ExtStructuralMetadata, err)
	}
	view := func(i int) ([]byte, error) {
		if i < 0 || i >= len(d.doc.BufferViews) {
			return nil, fmt.Errorf("glb: buffer view %d is out of range", i)
		}
		return modeler.ReadBufferView(d.doc, d.doc.BufferViews[i])
	}
	for ti, pt := range sm.PropertyTables {
		cls, ok := sm.Schema.Classes[pt.Class]
		if !ok {
			return fmt.Errorf("glb: property table %d names no class of the schema (%q)", ti, pt.Class)
		}
		t := &PropertyTable{Class: pt.Class, Name: cls.Name, Count: pt.Count}
		names := make([]string, 0, len(cls.Properties))
		for name := range cls.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			decl := cls.Properties[name]
			p := Property{Name: name, Title: decl.Name, Description: decl.Description}
			col, have := pt.Properties[name]
			var vals []byte
			if have {
				var err error
				if vals, err = view(col.Values); err != nil {
					return err
				}
			}
			switch {
			case decl.Type == "STRING":
				p.Strings = make([]string, pt.Count)
				if !have {
					break
				}
				if col.StringOffsets == nil || col.StringOffsetType != "UINT32" {
					return fmt.Errorf("%w: property %q's string offsets are not UINT32", ErrUnsupported, name)
				}
				offs, err := view(*col.StringOffsets)
				if err != nil {
					return err
				}
				if len(offs) < 4*(pt.Count+1) {
					return fmt.Errorf("glb: property %q has too few string offsets", name)
				}
				for r := range pt.Count {
					a, z := binary.LittleEndian.Uint32(offs[4*r:]), binary.LittleEndian.Uint32(offs[4*r+4:])
					if a > z || int(z) > len(vals) {
						return fmt.Errorf("glb: property %q: string offsets out of range", name)
					}
					p.Strings[r] = string(vals[a:z])
				}
			case decl.Type == "SCALAR" && decl.ComponentType == "FLOAT64":
				p.Floats = make([]float64, pt.Count)
				for r := range pt.Count {
					p.Floats[r] = math.NaN()
					if have && len(vals) >= 8*(r+1) {
						v := math.Float64frombits(binary.LittleEndian.Uint64(vals[8*r:]))
						if decl.NoData == nil || v != *decl.NoData {
							p.Floats[r] = v
						}
					}
				}
			case decl.Type == "SCALAR" && decl.ComponentType == "INT32":
				p.Ints = make([]int32, pt.Count)
				for r := range pt.Count {
					p.Ints[r] = NoInt
					if have && len(vals) >= 4*(r+1) {
						v := int32(binary.LittleEndian.Uint32(vals[4*r:]))
						if decl.NoData == nil || float64(v) != *decl.NoData {
							p.Ints[r] = v
						}
					}
				}
			default:
				return fmt.Errorf("%w: property %q of type %s %s", ErrUnsupported, name, decl.Type, decl.ComponentType)
			}
			t.Properties = append(t.Properties, p)
		}
		d.tables[ti] = t
	}
	return nil
}

// Value returns row r of the property named name as text ("" when missing or absent).
func (t *PropertyTable) Value(name string, r int) string {
	for _, p := range t.Properties {
		if p.Name != name || r < 0 || r >= t.Count {
			continue
		}
		switch {
		case p.Strings != nil:
			return p.Strings[r]
		case p.Floats != nil && !math.IsNaN(p.Floats[r]):
			return fmt.Sprint(p.Floats[r])
		case p.Ints != nil && p.Ints[r] != NoInt:
			return fmt.Sprint(p.Ints[r])
		}
	}
	return ""
}
