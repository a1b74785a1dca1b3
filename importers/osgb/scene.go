package osgb

// Scene is one .osgb file: its root object and what the header said.
type Scene struct {
	File       string   // the file name as given (used in errors and to resolve relative paths)
	Version    int      // the serializer (file) version, OPENSCENEGRAPH_SOVERSION of the writer
	Compressor string   // "" (none), "zlib" or "null"
	Robust     bool     // objects carry their byte length (unknown ones can be skipped)
	Root       *Node    // the root node
	Warnings   []string // objects skipped and other things a caller may want to report
	budget     int      // elements Meshes may produce (see decoder.budget); 0 = unlimited
}

// RangeMode says how LOD ranges are measured.
type RangeMode int32

const (
	DistanceFromEyePoint RangeMode = 0 // ranges are distances in scene units
	PixelSizeOnScreen    RangeMode = 1 // ranges are the bounding sphere's projected diameter in pixels
)

// Node is a scene-graph node. Class is the OSG class name (osg::Group, osg::PagedLOD, ...).
type Node struct {
	Class     string
	Name      string
	StateSet  *StateSet
	Children  []*Node     // loaded children (for a PagedLOD: those not paged from files)
	Drawables []*Geometry // osg::Geode
	LOD       *LOD        // osg::LOD and osg::PagedLOD
	Matrix    *[16]float64
	// InitialBound is the node's declared bounding sphere (centre, radius), when the file has one.
	InitialBound *[4]float64
}

// LOD holds the level-of-detail data of an osg::LOD or osg::PagedLOD. Child i of the node is shown
// while the range measure lies in Ranges[i]; for a PagedLOD, FileNames[i] (when not empty) names the
// file that holds child i.
type LOD struct {
	CenterMode   int32 // 0 bounding-sphere centre, 1 user-defined, 2 union of both
	Center       [3]float64
	Radius       float64 // user-defined radius (CenterMode 1 or 2), else -1
	RangeMode    RangeMode
	Ranges       [][2]float32
	Paged        bool     // osg::PagedLOD
	DatabasePath string   // PagedLOD: prefix of the child file names, usually empty
	FileNames    []string // PagedLOD: one per range; "" for a child stored in this file
}

// Binding says how an attribute array maps to vertices (osg::Array::Binding).
type Binding int32

const (
	BindUndefined       Binding = -1
	BindOff             Binding = 0
	BindOverall         Binding = 1
	BindPerPrimitiveSet Binding = 2
	BindPerPrimitive    Binding = 3 // deprecated osg::Geometry binding
	BindPerVertex       Binding = 4
)

// Array is an attribute array with its elements as float64, Size components each.
type Array struct {
	Class     string // e.g. osg::Vec3Array
	Size      int    // components per element: 1..4
	Data      []float64
	Binding   Binding
	Normalize bool
}

// Len is the number of elements.
func (a *Array) Len() int {
	if a == nil || a.Size == 0 {
		return 0
	}
	return len(a.Data) / a.Size
}

// Primitive modes (GL).
const (
	ModePoints        = 0
	ModeLines         = 1
	ModeLineLoop      = 2
	ModeLineStrip     = 3
	ModeTriangles     = 4
	ModeTriangleStrip = 5
	ModeTriangleFan   = 6
	ModeQuads         = 7
	ModeQuadStrip     = 8
	ModePolygon       = 9
)

// Primitive is a primitive set. Kind is DrawArrays, DrawArrayLengths or DrawElements.
type Primitive struct {
	Kind    string
	Mode    int32
	First   int32    // DrawArrays, DrawArrayLengths
	Count   int32    // DrawArrays
	Lengths []int32  // DrawArrayLengths
	Indices []uint32 // DrawElements*
}

// Geometry is an osg::Geometry: arrays and primitive sets.
type Geometry struct {
	Name       string
	StateSet   *StateSet
	Primitives []*Primitive
	Vertices   *Array
	Normals    *Array
	Colors     *Array
	TexCoords  []*Array // per texture unit; nil entries for unused units
}

// StateSet holds the state attributes that matter for a mesh.
type StateSet struct {
	Material *Material
	Textures []*Texture // per texture unit; nil entries for units without a 2D texture
}

// Material is an osg::Material (front face values).
type Material struct {
	Ambient, Diffuse, Specular, Emission [4]float32
	Shininess                            float32
}

// Texture is an osg::Texture2D.
type Texture struct {
	WrapS, WrapT         uint32 // GL wrap modes (GL_CLAMP_TO_EDGE, GL_REPEAT, ...)
	MinFilter, MagFilter uint32 // GL filters
	Image                *Image
}

// Image storage kinds.
const (
	ImageInlineData = 0 // pixel data in the file (raw or DXT)
	ImageInlineFile = 1 // an image file (JPEG, PNG, ...) embedded in the file
	ImageExternal   = 2 // a file referenced by name
	ImageWriteOut   = 3 // written out to a file referenced by name
)

// Image is an osg::Image as the file stores it; Encoded turns it into a JPEG or PNG.
type Image struct {
	FileName string
	Storage  int32 // ImageInlineData, ImageInlineFile, ImageExternal, ImageWriteOut
	// ImageInlineFile: the embedded file's bytes.
	File []byte
	// ImageInlineData: the pixels of level 0 (and mipmaps, which are ignored).
	Origin                                int32 // 0 bottom-left, 1 top-left
	Width, Height, Depth                  int32
	InternalFormat, PixelFormat, DataType int32
	Packing                               int32
	Pixels                                []byte
}
