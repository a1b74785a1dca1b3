package glb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/qmuntal/gltf"
)

// Extension names written by Encode.
const (
	ExtMeshFeatures       = "EXT_mesh_features"
	ExtStructuralMetadata = "EXT_structural_metadata"
	extUnlit              = "KHR_materials_unlit"
)

// FeatureIDAttribute is the vertex attribute holding the feature ids.
const FeatureIDAttribute = "_FEATURE_ID_0"

var identRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Marshal encodes m as glb.
func Marshal(m *Model) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Encode writes m to w as glb. It checks the model first (indices in range, one normal, UV and feature
// id per position, feature ids below their table's count, property columns of the table's length) and
// returns an error naming the mesh or table at fault rather than writing an invalid file.
func Encode(w io.Writer, m *Model) error {
	e := &encoder{
		doc:       &gltf.Document{Asset: gltf.Asset{Version: "2.0", Generator: m.Generator, Copyright: m.Copyright, Extras: m.Extras}},
		nodes:     map[*Node]int{},
		meshes:    map[*Mesh]int{},
		materials: map[*Material]int{},
		images:    map[*Image]int{},
		tables:    map[*PropertyTable]int{},
	}
	if e.doc.Asset.Generator == "" {
		e.doc.Asset.Generator = "Yitu"
	}
	scene := &gltf.Scene{}
	for _, n := range m.Nodes {
		i, err := e.node(n)
		if err != nil {
			return err
		}
		scene.Nodes = append(scene.Nodes, i)
	}
	e.doc.Scenes = []*gltf.Scene{scene}
	e.doc.Scene = gltf.Index(0)
	if err := e.metadata(); err != nil {
		return err
	}
	if len(e.bin) > 0 {
		e.doc.Buffers = []*gltf.Buffer{{ByteLength: len(e.bin), Data: e.bin}}
	}
	return gltf.NewEncoder(w).Encode(e.doc)
}

type encoder struct {
	doc       *gltf.Document
	bin       []byte
	nodes     map[*Node]int
	meshes    map[*Mesh]int
	materials map[*Material]int
	images    map[*Image]int
	tables    map[*PropertyTable]int
	tableList []*PropertyTable
	used      map[string]bool
}

func (e *encoder) use(ext string) {
	if e.used == nil {
		e.used = map[string]bool{}
	}
	if !e.used[ext] {
		e.used[ext] = true
		e.doc.ExtensionsUsed = append(e.doc.ExtensionsUsed, ext)
	}
}

// view appends p to the binary chunk, 8-byte aligned (64-bit metadata values need it), and returns
// the new buffer view's index.
func (e *encoder) view(p []byte, target gltf.Target, stride int) int {
	for len(e.bin)%8 != 0 {
		e.bin = append(e.bin, 0)
	}
	off := len(e.bin)
	e.bin = append(e.bin, p...)
	e.doc.BufferViews = append(e.doc.BufferViews, &gltf.BufferView{
		Buffer: 0, ByteOffset: off, ByteLength: len(p), ByteStride: stride, Target: target,
	})
	return len(e.doc.BufferViews) - 1
}

func (e *encoder) accessor(view int, ct gltf.ComponentType, at gltf.AccessorType, count int) *gltf.Accessor {
	a := &gltf.Accessor{BufferView: gltf.Index(view), ComponentType: ct, Type: at, Count: count}
	e.doc.Accessors = append(e.doc.Accessors, a)
	return a
}

func (e *encoder) node(n *Node) (int, error) {
	if i, ok := e.nodes[n]; ok {
		return 0, fmt.Errorf("glb: node %q (%d) appears twice in the scene graph", n.Name, i)
	}
	gn := &gltf.Node{Name: n.Name}
	if n.Matrix != nil {
		gn.Matrix = *n.Matrix
	}
	e.doc.Nodes = append(e.doc.Nodes, gn)
	idx := len(e.doc.Nodes) - 1
	e.nodes[n] = idx
	if n.Mesh != nil {
		mi, err := e.mesh(n.Mesh)
		if err != nil {
			return 0, err
		}
		gn.Mesh = gltf.Index(mi)
	}
	for _, c := range n.Children {
		ci, err := e.node(c)
		if err != nil {
			return 0, err
		}
		gn.Children = append(gn.Children, ci)
	}
	return idx, nil
}

func (e *encoder) mesh(m *Mesh) (int, error) {
	if i, ok := e.meshes[m]; ok {
		return i, nil
	}
	gm := &gltf.Mesh{Name: m.Name}
	for pi, p := range m.Primitives {
		gp, err := e.primitive(p)
		if err != nil {
			return 0, fmt.Errorf("glb: mesh %q primitive %d: %w", m.Name, pi, err)
		}
		if gp != nil {
			gm.Primitives = append(gm.Primitives, gp)
		}
	}
	if len(gm.Primitives) == 0 { // glTF requires at least one primitive
		return 0, fmt.Errorf("glb: mesh %q has no triangles", m.Name)
	}
	e.doc.Meshes = append(e.doc.Meshes, gm)
	e.meshes[m] = len(e.doc.Meshes) - 1
	return e.meshes[m], nil
}

func (e *encoder) primitive(p *Primitive) (*gltf.Primitive, error) {
	n := len(p.Positions)
	if n == 0 {
		return nil, nil
	}
	if p.Normals != nil && len(p.Normals) != n {
		return nil, fmt.Errorf("%d normals for %d positions", len(p.Normals), n)
	}
	if p.UVs != nil && len(p.UVs) != n {
		return nil, fmt.Errorf("%d texture coordinates for %d positions", len(p.UVs), n)
	}
	if p.FeatureIDs != nil && len(p.FeatureIDs) != n {
		return nil, fmt.Errorf("%d feature ids for %d positions", len(p.FeatureIDs), n)
	}
	if p.Indices == nil && n%3 != 0 || len(p.Indices)%3 != 0 {
		return nil, fmt.Errorf("not a triangle list (%d positions, %d indices)", n, len(p.Indices))
	}
	for i, ix := range p.Indices {
		if int(ix) >= n {
			return nil, fmt.Errorf("index %d is %d but there are %d positions", i, ix, n)
		}
	}
	gp := &gltf.Primitive{Attributes: gltf.PrimitiveAttributes{}, Mode: gltf.PrimitiveTriangles}

	// Positions, with the bounds glTF requires.
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	buf := make([]byte, 0, n*12)
	for _, v := range p.Positions {
		for k := range 3 {
			f := float64(v[k])
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("position %v is not finite", v)
			}
			lo[k], hi[k] = min(lo[k], f), max(hi[k], f)
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v[k]))
		}
	}
	a := e.accessor(e.view(buf, gltf.TargetArrayBuffer, 0), gltf.ComponentFloat, gltf.AccessorVec3, n)
	a.Min, a.Max = lo[:], hi[:]
	gp.Attributes[gltf.POSITION] = len(e.doc.Accessors) - 1

	if p.Normals != nil {
		buf = buf[:0]
		for _, v := range p.Normals {
			for _, c := range unit(v) {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(c))
			}
		}
		e.accessor(e.view(buf, gltf.TargetArrayBuffer, 0), gltf.ComponentFloat, gltf.AccessorVec3, n)
		gp.Attributes[gltf.NORMAL] = len(e.doc.Accessors) - 1
	}
	if p.UVs != nil {
		buf = buf[:0]
		for _, v := range p.UVs {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v[0]))
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v[1]))
		}
		e.accessor(e.view(buf, gltf.TargetArrayBuffer, 0), gltf.ComponentFloat, gltf.AccessorVec2, n)
		gp.Attributes[gltf.TEXCOORD_0] = len(e.doc.Accessors) - 1
	}
	if p.FeatureIDs != nil {
		if p.Table == nil {
			return nil, fmt.Errorf("feature ids without a property table")
		}
		ti := e.table(p.Table)
		distinct := map[uint32]struct{}{}
		var null *uint32 // nullFeatureId: the row count, outside the table
		buf = buf[:0]
		for _, id := range p.FeatureIDs {
			if id == NoFeature {
				nv := uint32(p.Table.Count)
				null, id = &nv, nv
			} else if int(id) >= p.Table.Count {
				return nil, fmt.Errorf("feature id %d but table %q has %d rows", id, p.Table.Class, p.Table.Count)
			} else {
				distinct[id] = struct{}{}
			}
			// Float feature ids are exact up to 2^24 and keep every vertex attribute 4-byte aligned.
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(id)))
		}
		e.accessor(e.view(buf, gltf.TargetArrayBuffer, 0), gltf.ComponentFloat, gltf.AccessorScalar, n)
		gp.Attributes[FeatureIDAttribute] = len(e.doc.Accessors) - 1
		gp.Extensions = gltf.Extensions{ExtMeshFeatures: meshFeatures{FeatureIDs: []featureID{{
			// featureCount must be at least 1, even for a primitive whose vertices are all null.
			FeatureCount: max(len(distinct), 1), Attribute: gltf.Index(0), PropertyTable: gltf.Index(ti), NullFeatureID: null,
		}}}}
		e.use(ExtMeshFeatures)
	}
	if p.Indices != nil {
		buf = buf[:0]
		ct := gltf.ComponentUint
		if n <= math.MaxUint16 {
			ct = gltf.ComponentUshort
			for _, ix := range p.Indices {
				buf = binary.LittleEndian.AppendUint16(buf, uint16(ix))
			}
		} else {
			for _, ix := range p.Indices {
				buf = binary.LittleEndian.AppendUint32(buf, ix)
			}
		}
		e.accessor(e.view(buf, gltf.TargetElementArrayBuffer, 0), ct, gltf.AccessorScalar, len(p.Indices))
		gp.Indices = gltf.Index(len(e.doc.Accessors) - 1)
	}
	mat := p.Material
	if mat == nil {
		mat = defaultMaterial()
	}
	mi, err := e.material(mat, p.UVs != nil)
	if err != nil {
		return nil, err
	}
	gp.Material = gltf.Index(mi)
	return gp, nil
}

// unit normalises v; a zero or non-finite vector becomes +y (up), since glTF requires unit normals.
func unit(v [3]float32) [3]float32 {
	x, y, z := float64(v[0]), float64(v[1]), float64(v[2])
	l := math.Sqrt(x*x + y*y + z*z)
	if l == 0 || math.IsNaN(l) || math.IsInf(l, 0) {
		return [3]float32{0, 1, 0}
	}
	return [3]float32{float32(x / l), float32(y / l), float32(z / l)}
}

func defaultMaterial() *Material {
	return &Material{Name: "default", BaseColor: [4]float32{0.8, 0.8, 0.8, 1}, Roughness: 1}
}

func (e *encoder) material(m *Material, hasUV bool) (int, error) {
	if i, ok := e.materials[m]; ok {
		return i, nil
	}
	bc := m.BaseColor
	if bc == ([4]float32{}) {
		bc = [4]float32{1, 1, 1, 1}
	}
	gm := &gltf.Material{
		Name:        m.Name,
		DoubleSided: m.DoubleSided,
		AlphaMode:   gltf.AlphaOpaque,
		PBRMetallicRoughness: &gltf.PBRMetallicRoughness{
			BaseColorFactor: &[4]float64{float64(bc[0]), float64(bc[1]), float64(bc[2]), float64(bc[3])},
			MetallicFactor:  gltf.Float(float64(m.Metallic)),
			RoughnessFactor: gltf.Float(float64(m.Roughness)),
		},
	}
	if bc[3] < 1 {
		gm.AlphaMode = gltf.AlphaBlend
	}
	if m.Texture != nil {
		if !hasUV {
			return 0, fmt.Errorf("material %q has a texture but the primitive has no texture coordinates", m.Name)
		}
		ti, err := e.texture(m.Texture)
		if err != nil {
			return 0, fmt.Errorf("material %q: %w", m.Name, err)
		}
		gm.PBRMetallicRoughness.BaseColorTexture = &gltf.TextureInfo{Index: ti}
	}
	if m.Unlit {
		gm.Extensions = gltf.Extensions{extUnlit: struct{}{}}
		e.use(extUnlit)
	}
	e.doc.Materials = append(e.doc.Materials, gm)
	e.materials[m] = len(e.doc.Materials) - 1
	return e.materials[m], nil
}

func (e *encoder) texture(img *Image) (int, error) {
	if i, ok := e.images[img]; ok {
		return i, nil
	}
	if img.MIMEType != "image/jpeg" && img.MIMEType != "image/png" {
		return 0, fmt.Errorf("image %q: MIME type %q is not image/jpeg or image/png", img.Name, img.MIMEType)
	}
	if len(img.Data) == 0 {
		return 0, fmt.Errorf("image %q is empty", img.Name)
	}
	e.doc.Images = append(e.doc.Images, &gltf.Image{
		Name: img.Name, MimeType: img.MIMEType, BufferView: gltf.Index(e.view(img.Data, gltf.TargetNone, 0)),
	})
	wrap := gltf.WrapClampToEdge
	if img.Repeat {
		wrap = gltf.WrapRepeat
	}
	e.doc.Samplers = append(e.doc.Samplers, &gltf.Sampler{
		MagFilter: gltf.MagLinear, MinFilter: gltf.MinLinearMipMapLinear, WrapS: wrap, WrapT: wrap,
	})
	e.doc.Textures = append(e.doc.Textures, &gltf.Texture{
		Source: gltf.Index(len(e.doc.Images) - 1), Sampler: gltf.Index(len(e.doc.Samplers) - 1),
	})
	e.images[img] = len(e.doc.Textures) - 1
	return e.images[img], nil
}

func (e *encoder) table(t *PropertyTable) int {
	if i, ok := e.tables[t]; ok {
		return i
	}
	e.tableList = append(e.tableList, t)
	e.tables[t] = len(e.tableList) - 1
	return e.tables[t]
}

// JSON of EXT_mesh_features and EXT_structural_metadata.
type meshFeatures struct {
	FeatureIDs []featureID `json:"featureIds"`
}

type featureID struct {
	FeatureCount  int     `json:"featureCount"`
	Attribute     *int    `json:"attribute,omitempty"`
	PropertyTable *int    `json:"propertyTable,omitempty"`
	NullFeatureID *uint32 `json:"nullFeatureId,omitempty"`
}

type structuralMetadata struct {
	Schema         schema          `json:"schema"`
	PropertyTables []propertyTable `json:"propertyTables"`
}

type schema struct {
	ID      string               `json:"id"`
	Classes map[string]classDecl `json:"classes"`
}

type classDecl struct {
	Name       string                   `json:"name,omitempty"`
	Properties map[string]classProperty `json:"properties"`
}

type classProperty struct {
	Name          string   `json:"name,omitempty"`
	Description   string   `json:"description,omitempty"`
	Type          string   `json:"type"`
	ComponentType string   `json:"componentType,omitempty"`
	NoData        *float64 `json:"noData,omitempty"`
}

type propertyTable struct {
	Name       string                         `json:"name,omitempty"`
	Class      string                         `json:"class"`
	Count      int                            `json:"count"`
	Properties map[string]propertyTableColumn `json:"properties"`
}

type propertyTableColumn struct {
	Values           int    `json:"values"`
	StringOffsets    *int   `json:"stringOffsets,omitempty"`
	StringOffsetType string `json:"stringOffsetType,omitempty"`
}

// metadata writes the property tables the primitives referred to, and their classes.
func (e *encoder) metadata() error {
	if len(e.tableList) == 0 {
		return nil
	}
	sm := structuralMetadata{Schema: schema{ID: "yitu", Classes: map[string]classDecl{}}}
	for _, t := range e.tableList {
		if !identRE.MatchString(t.Class) {
			return fmt.Errorf("glb: property table class %q is not an identifier (letters, digits, _)", t.Class)
		}
		cls, seen := sm.Schema.Classes[t.Class]
		if !seen {
			cls = classDecl{Name: t.Name, Properties: map[string]classProperty{}}
		}
		pt := propertyTable{Name: t.Name, Class: t.Class, Count: t.Count, Properties: map[string]propertyTableColumn{}}
		for _, p := range t.Properties {
			decl, col, ok, err := e.column(t, p)
			if err != nil {
				return err
			}
			if prev, dup := cls.Properties[p.Name]; dup && (prev.Type != decl.Type || prev.ComponentType != decl.ComponentType) {
				return fmt.Errorf("glb: class %q: property %q has two types (%s%s and %s%s)", t.Class, p.Name,
					prev.Type, prev.ComponentType, decl.Type, decl.ComponentType)
			}
			cls.Properties[p.Name] = decl
			if ok {
				pt.Properties[p.Name] = col
			}
		}
		sm.Schema.Classes[t.Class] = cls
		sm.PropertyTables = append(sm.PropertyTables, pt)
	}
	e.doc.Extensions = gltf.Extensions{ExtStructuralMetadata: sm}
	e.use(ExtStructuralMetadata)
	return nil
}

// column writes one property's values; ok is false when every value is missing (nothing written).
func (e *encoder) column(t *PropertyTable, p Property) (classProperty, propertyTableColumn, bool, error) {
	decl := classProperty{Name: p.Title, Description: p.Description}
	var col propertyTableColumn
	where := fmt.Sprintf("glb: table %q property %q", t.Class, p.Name)
	if !identRE.MatchString(p.Name) {
		return decl, col, false, fmt.Errorf("%s: the name is not an identifier (letters, digits, _)", where)
	}
	set := 0
	for _, l := range []int{len(p.Strings), len(p.Floats), len(p.Ints)} {
		if l > 0 {
			set++
			if l != t.Count {
				return decl, col, false, fmt.Errorf("%s has %d values for %d features", where, l, t.Count)
			}
		}
	}
	if set > 1 {
		return decl, col, false, fmt.Errorf("%s has values of more than one type", where)
	}
	switch {
	case p.Strings != nil:
		decl.Type = "STRING"
		var data []byte
		offsets := make([]byte, 0, 4*(t.Count+1))
		offsets = binary.LittleEndian.AppendUint32(offsets, 0)
		for _, s := range p.Strings {
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			data = append(data, s...)
			offsets = binary.LittleEndian.AppendUint32(offsets, uint32(len(data)))
		}
		if len(data) == 0 {
			return decl, col, false, nil
		}
		col.Values = e.view(data, gltf.TargetNone, 0)
		col.StringOffsets = gltf.Index(e.view(offsets, gltf.TargetNone, 0))
		col.StringOffsetType = "UINT32"
		return decl, col, true, nil
	case p.Floats != nil:
		decl.Type, decl.ComponentType = "SCALAR", "FLOAT64"
		nd := noFloat
		decl.NoData = &nd
		data := make([]byte, 0, 8*t.Count)
		have := false
		for _, f := range p.Floats {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = noFloat
			} else {
				have = true
			}
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(f))
		}
		if !have {
			return decl, col, false, nil
		}
		col.Values = e.view(data, gltf.TargetNone, 0)
		return decl, col, true, nil
	case p.Ints != nil:
		decl.Type, decl.ComponentType = "SCALAR", "INT32"
		nd := float64(NoInt)
		decl.NoData = &nd
		data := make([]byte, 0, 4*t.Count)
		have := false
		for _, v := range p.Ints {
			have = have || v != NoInt
			data = binary.LittleEndian.AppendUint32(data, uint32(v))
		}
		if !have {
			return decl, col, false, nil
		}
		col.Values = e.view(data, gltf.TargetNone, 0)
		return decl, col, true, nil
	}
	// No values at all (a table of zero rows, or an empty column): declare it as a string.
	decl.Type = "STRING"
	return decl, col, false, nil
}
