// Package glb writes glTF 2.0 binary (glb) content for 3D Tiles 1.1: a small mesh model (nodes,
// meshes, materials with a base colour and JPEG/PNG textures, per-vertex feature ids) and Encode, which
// writes it with EXT_mesh_features feature ids and EXT_structural_metadata property tables, so that a
// pick in CesiumJS names the feature and its attributes.
//
// It is a leaf package (it imports no Yitu package): the 3D Tiles builder in package twin and the
// oblique/OBJ importers both use it. Vertices are float32 in glTF's y-up frame, local to the tile; the
// tile transform carries the large offset. YUp converts east-north-up metres to that frame.
//
// The model is a graph of pointers: a Node points at its Mesh, a Primitive at its Material and
// PropertyTable, a Material at its Image. Encode writes each distinct object once, in the order it first
// meets it, so sharing a Material or an Image between primitives shares it in the glb too.
package glb

import "math"

// Model is one glb: a scene of root nodes.
type Model struct {
	Nodes     []*Node // the scene's root nodes
	Copyright string  // asset.copyright (data attribution), optional
	Generator string  // asset.generator; "Yitu" when empty
	Extras    any     // asset.extras (JSON), optional: e.g. where a standalone model stands
}

// Node is a scene node: an optional mesh, an optional local transform and children.
type Node struct {
	Name     string
	Mesh     *Mesh        // nil: a grouping node
	Matrix   *[16]float64 // column-major local transform (rigid + scale); nil: identity
	Children []*Node
}

// Mesh is a set of primitives drawn together.
type Mesh struct {
	Name       string
	Primitives []*Primitive
}

// Primitive is an indexed triangle list with one material.
type Primitive struct {
	Positions [][3]float32 // metres, glTF y-up (see YUp), local to the tile
	Normals   [][3]float32 // one per position, or nil; written normalised (a zero normal becomes +y)
	UVs       [][2]float32 // texture coordinates (origin at the image's top left), or nil
	Indices   []uint32     // triangles (three per face); nil: the positions are a triangle list
	// FeatureIDs is one feature id per position: the row of Table describing that vertex's feature,
	// or NoFeature (written as EXT_mesh_features' nullFeatureId). nil: the primitive carries no features.
	FeatureIDs []uint32
	Table      *PropertyTable // the property table the feature ids index; required with FeatureIDs
	Material   *Material      // nil: a default light grey material
}

// Material is a metallic-roughness material.
type Material struct {
	Name        string
	BaseColor   [4]float32 // linear RGBA factors; an alpha below 1 makes the material blend
	Texture     *Image     // base colour texture, or nil
	Metallic    float32
	Roughness   float32
	DoubleSided bool
	// Unlit marks the material KHR_materials_unlit: photogrammetry textures already carry their
	// lighting, so viewers should not shade them again.
	Unlit bool
}

// Image is an embedded JPEG or PNG texture image.
type Image struct {
	Name     string
	MIMEType string // image/jpeg or image/png
	Data     []byte
	Repeat   bool // wrap texture coordinates outside [0, 1] (default: clamp to the edge)
}

// PropertyTable holds the attributes of a set of features, one row per feature id, as an
// EXT_structural_metadata property table of a class with the same properties.
type PropertyTable struct {
	Class      string // class id: letters, digits and _, not starting with a digit (e.g. building)
	Name       string // human-readable name of the class (e.g. 房屋 Buildings)
	Count      int    // number of features (rows); every property has this many values
	Properties []Property
}

// Property is one column of a property table. Exactly one of Strings, Floats, Ints is set, with
// Count values. Missing values: "" for strings, NaN for floats, NoInt for integers. A property whose
// values are all missing is left out of the glb (the class still declares it).
type Property struct {
	Name        string // property id: letters, digits and _, not starting with a digit
	Title       string // human-readable name (e.g. 层数 floors)
	Description string
	Strings     []string
	Floats      []float64
	Ints        []int32
}

// NoInt marks a missing integer value.
const NoInt int32 = math.MinInt32

// noFloat is the noData value written for a missing float (JSON has no NaN).
const noFloat = -math.MaxFloat64

// YUp converts a point in local east-north-up metres to glTF's y-up frame: (east, up, -north).
func YUp(east, north, up float64) [3]float32 {
	return [3]float32{float32(east), float32(up), float32(-north)}
}
