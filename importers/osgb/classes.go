package osgb

import "strings"

// The serializer of each class, as OpenSceneGraph's object wrappers define it: an object is its class
// name, a bracket, its unique id and then the fields of every class in its inheritance chain
// ("associates"), each field present from the version that added it to the one that removed it.

// skipped is an object the reader passed over (a robust file's unknown class, or a class it reads
// and ignores such as a callback); its value is the class name.
type skipped string

// maxDepth bounds object nesting, so corrupt or hostile input cannot exhaust the stack.
const maxDepth = 256

// object reads one object (OutputStream::writeObject): the class name or NULL, a bracket, the id
// and, the first time an id appears, the fields.
func (d *decoder) object() any {
	class := d.string()
	if class == "NULL" {
		return nil
	}
	if len(class) == 0 || len(class) > 256 || !strings.Contains(class, "::") {
		d.fail(ErrCorrupt, "expected an object class name, found %q", clip(class))
	}
	d.begin()
	id := d.u32()
	if v, ok := d.ids[id]; ok {
		d.skipBlock()
		return v
	}
	d.depth++
	if d.depth > maxDepth {
		d.fail(ErrCorrupt, "objects nested deeper than %d", maxDepth)
	}
	d.path = append(d.path, class)
	v := d.fields(class, id)
	d.path = d.path[:len(d.path)-1]
	d.depth--
	d.ids[id] = v
	d.skipBlock()
	return v
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// fields reads the fields of class (the id is registered first, as OSG does, for self-references).
func (d *decoder) fields(class string, id uint32) any {
	v := d.version
	switch class {
	case "osg::Group", "osg::Node":
		n := &Node{Class: class}
		d.ids[id] = n
		d.objectFields(&n.Name)
		d.nodeFields(n)
		if class == "osg::Group" {
			d.groupFields(n)
		}
		return n
	case "osg::Geode":
		n := &Node{Class: class}
		d.ids[id] = n
		d.objectFields(&n.Name)
		d.nodeFields(n)
		d.geodeFields(n)
		return n
	case "osg::LOD", "osg::PagedLOD":
		n := &Node{Class: class, LOD: &LOD{Radius: -1}}
		d.ids[id] = n
		d.objectFields(&n.Name)
		d.nodeFields(n)
		if class == "osg::LOD" {
			d.groupFields(n) // a PagedLOD stores only its non-paged children, below
		}
		d.lodFields(n.LOD)
		if class == "osg::PagedLOD" {
			d.pagedLODFields(n)
		}
		return n
	case "osg::MatrixTransform", "osg::Transform":
		n := &Node{Class: class}
		d.ids[id] = n
		d.objectFields(&n.Name)
		d.nodeFields(n)
		d.groupFields(n)
		d.i32() // ReferenceFrame
		if class == "osg::MatrixTransform" {
			d.begin()
			var m [16]float64
			copy(m[:], d.vec(16))
			d.end()
			n.Matrix = &m
		}
		return n
	case "osg::Geometry":
		g := &Geometry{}
		d.ids[id] = g
		d.objectFields(&g.Name)
		if v >= 154 { // a Drawable is a Node from 154
			n := &Node{}
			d.nodeFields(n)
			g.StateSet = n.StateSet
		}
		d.drawableFields(g)
		d.geometryFields(g)
		return g
	case "osg::StateSet":
		s := &StateSet{}
		d.ids[id] = s
		d.objectFields(nil)
		d.stateSetFields(s)
		return s
	case "osg::Material":
		m := &Material{}
		d.objectFields(nil)
		d.stateAttributeFields()
		d.materialFields(m)
		return m
	case "osg::Texture2D":
		t := &Texture{}
		d.objectFields(nil)
		d.stateAttributeFields()
		d.textureFields(t)
		if d.bool() {
			t.Image = d.image()
		}
		d.i32() // TextureWidth
		d.i32() // TextureHeight
		return t
	case "osg::AlphaFunc", "osg::BlendFunc", "osg::CullFace", "osg::LightModel", "osg::PolygonMode",
		"osg::TexEnv", "osg::ShadeModel", "osg::FrontFace", "osg::PolygonOffset", "osg::Depth",
		"osg::BlendColor", "osg::LineWidth":
		d.objectFields(nil)
		d.stateAttributeFields()
		d.simpleAttribute(class)
		return skipped(class)
	case "osg::VertexBufferObject", "osg::ElementBufferObject", "osg::PixelBufferObject",
		"osg::DrawIndirectBufferObject", "osg::AtomicCounterBufferObject", "osg::ShaderStorageBufferObject",
		"osg::UniformBufferObject":
		d.objectFields(nil)
		d.u32()  // Target
		d.u32()  // Usage
		d.bool() // CopyDataAndReleaseGLBufferObject
		if v >= 201 {
			d.u32() // MappingBitfield
		}
		return skipped(class)
	case "osg::DefaultUserDataContainer":
		d.objectFields(nil)
		if d.bool() { // UDC_UserData
			d.begin()
			d.object()
			d.end()
		}
		if d.bool() { // UDC_Descriptions
			n := d.count(4)
			d.begin()
			for range n {
				d.string()
			}
			d.end()
		}
		if d.bool() { // UDC_UserObjects
			n := d.count(4)
			d.begin()
			for range n {
				d.object()
			}
			d.end()
		}
		return skipped(class)
	}
	if a, ok := arrayClasses[class]; ok && v >= 112 {
		return d.arrayObject(class, a)
	}
	if k, ok := primitiveClasses[class]; ok && v >= 112 {
		return d.primitiveObject(class, k)
	}
	if d.robust {
		d.warn("%s: skipped an object of class %s, which this reader does not know", strings.Join(d.path[:len(d.path)-1], " > "), class)
		return skipped(class)
	}
	d.fail(ErrClass, "object class %s is not supported", class)
	return nil
}

// objectFields: osg::Object.
func (d *decoder) objectFields(name *string) {
	s := d.string() // Name
	if name != nil {
		*name = s
	}
	d.i32() // DataVariance
	if d.version < 77 {
		if d.bool() { // UserData
			d.begin()
			d.object()
			d.end()
		}
	} else {
		d.objectRef() // UserDataContainer
	}
}

// objectRef is an object serializer: a flag, then the object.
func (d *decoder) objectRef() any {
	if !d.bool() {
		return nil
	}
	return d.object()
}

// nodeFields: osg::Node.
func (d *decoder) nodeFields(n *Node) {
	if d.bool() { // InitialBound
		d.begin()
		b := [4]float64{d.f64(), d.f64(), d.f64(), d.f64()}
		d.end()
		n.InitialBound = &b
	}
	d.objectRef()                   // ComputeBoundingSphereCallback
	d.objectRef()                   // UpdateCallback
	d.objectRef()                   // EventCallback
	d.objectRef()                   // CullCallback
	d.bool()                        // CullingActive
	d.u32()                         // NodeMask
	if d.version < 77 && d.bool() { // Descriptions
		cnt := d.count(4)
		d.begin()
		for range cnt {
			d.string()
		}
		d.end()
	}
	n.StateSet = d.stateSetRef()
}

func (d *decoder) stateSetRef() *StateSet {
	switch o := d.objectRef().(type) {
	case nil:
		return nil
	case *StateSet:
		return o
	default:
		d.fail(ErrClass, "expected an osg::StateSet, found %s", describe(o))
		return nil
	}
}

// children reads n child objects, which must be nodes.
func (d *decoder) children(n *Node, cnt int) {
	for range cnt {
		switch c := d.object().(type) {
		case *Node:
			n.Children = append(n.Children, c)
		case nil:
		case skipped:
			d.fail(ErrClass, "child node of class %s is not supported", string(c))
		case *Geometry: // a Drawable is a Node from version 154 and may be a Group's child
			n.Children = append(n.Children, &Node{Class: "osg::Geode", Drawables: []*Geometry{c}})
		default:
			d.fail(ErrClass, "expected a child node, found %s", describe(c))
		}
	}
}

// groupFields: osg::Group.
func (d *decoder) groupFields(n *Node) {
	if d.bool() { // Children
		cnt := d.count(4)
		d.begin()
		d.children(n, cnt)
		d.end()
	}
}

// geodeFields: osg::Geode.
func (d *decoder) geodeFields(n *Node) {
	if !d.bool() { // Drawables
		return
	}
	cnt := d.count(4)
	d.begin()
	for range cnt {
		switch g := d.object().(type) {
		case *Geometry:
			n.Drawables = append(n.Drawables, g)
		case nil:
		case skipped:
			d.fail(ErrClass, "drawable of class %s is not supported", string(g))
		default:
			d.fail(ErrClass, "expected a drawable, found %s", describe(g))
		}
	}
	d.end()
}

// lodFields: osg::LOD.
func (d *decoder) lodFields(l *LOD) {
	l.CenterMode = d.i32()
	if d.bool() { // UserCenter
		l.Center = [3]float64{d.f64(), d.f64(), d.f64()}
		l.Radius = d.f64()
	}
	l.RangeMode = RangeMode(d.i32())
	if d.bool() { // RangeList
		cnt := d.count(8)
		d.begin()
		l.Ranges = make([][2]float32, cnt)
		for i := range l.Ranges {
			l.Ranges[i] = [2]float32{d.f32(), d.f32()}
		}
		d.end()
	}
}

// pagedLODFields: osg::PagedLOD (its associates skip osg::Group: paged children are not stored).
func (d *decoder) pagedLODFields(n *Node) {
	l := n.LOD
	l.Paged = true
	if present := d.bool(); present { // DatabasePath: the serializer's "present" flag, then "has a path"
		if hasPath := d.bool(); hasPath {
			l.DatabasePath = d.string()
		}
	}
	if d.version < 70 {
		d.u32() // FrameNumberOfLastTraversal
	}
	d.u32()       // NumChildrenThatCannotBeExpired
	d.bool()      // DisableExternalChildrenPaging
	if d.bool() { // RangeDataList
		cnt := d.count(4)
		d.begin()
		l.FileNames = make([]string, cnt)
		for i := range l.FileNames {
			l.FileNames[i] = d.string()
		}
		d.end()
		cnt = d.count(8) // PriorityList
		d.begin()
		for range cnt {
			d.f32()
			d.f32()
		}
		d.end()
	}
	if d.bool() { // Children (those not paged)
		if cnt := d.count(4); cnt > 0 {
			d.begin()
			d.children(n, cnt)
			d.end()
		}
	}
}

// drawableFields: osg::Drawable.
func (d *decoder) drawableFields(g *Geometry) {
	v := d.version
	if v < 156 {
		if s := d.stateSetRef(); s != nil {
			g.StateSet = s
		}
	}
	if d.bool() { // InitialBound (a box)
		d.begin()
		d.vec(6)
		d.end()
	}
	d.objectRef() // ComputeBoundingBoxCallback
	d.objectRef() // Shape
	d.bool()      // SupportsDisplayList
	d.bool()      // UseDisplayList
	d.bool()      // UseVertexBufferObjects
	if v < 156 {
		d.objectRef() // UpdateCallback
		d.objectRef() // EventCallback
		d.objectRef() // CullCallback
		d.objectRef() // DrawCallback
	}
	if v >= 142 {
		d.u32() // NodeMask
	}
	if v >= 145 {
		d.bool() // CullingActive
	}
}

// geometryFields: osg::Geometry.
func (d *decoder) geometryFields(g *Geometry) {
	cnt := d.count(4) // PrimitiveSetList
	for range cnt {
		var p *Primitive
		if d.version >= 112 {
			switch o := d.object().(type) {
			case *Primitive:
				p = o
			case nil:
				continue
			default:
				d.fail(ErrClass, "expected a primitive set, found %s", describe(o))
			}
		} else {
			p = d.primitiveOld()
		}
		g.Primitives = append(g.Primitives, p)
	}
	if d.version < 112 {
		g.Vertices = d.arrayDataOld()
		g.Normals = d.arrayDataOld()
		g.Colors = d.arrayDataOld()
		d.arrayDataOld() // SecondaryColorData
		d.arrayDataOld() // FogCoordData
		g.TexCoords = d.arrayListOld()
		d.arrayListOld() // VertexAttribData
		d.bool()         // FastPathHint
		return
	}
	g.Vertices = d.arrayRef()
	g.Normals = d.arrayRef()
	g.Colors = d.arrayRef()
	d.arrayRef()     // SecondaryColorArray
	d.arrayRef()     // FogCoordArray
	cnt = d.count(4) // TexCoordArrayList
	for range cnt {
		g.TexCoords = append(g.TexCoords, d.arrayObjectOrNil())
	}
	cnt = d.count(4) // VertexAttribArrayList
	for range cnt {
		d.arrayObjectOrNil()
	}
}

func (d *decoder) arrayRef() *Array {
	if !d.bool() {
		return nil
	}
	return d.arrayObjectOrNil()
}

func (d *decoder) arrayObjectOrNil() *Array {
	switch o := d.object().(type) {
	case nil:
		return nil
	case *Array:
		return o
	default:
		d.fail(ErrClass, "expected an array, found %s", describe(o))
		return nil
	}
}

// arrayDataOld: an array user serializer of files before version 112 (Geometry's readArray).
func (d *decoder) arrayDataOld() *Array {
	if !d.bool() {
		return nil
	}
	d.begin()
	a := d.arrayEntryOld()
	d.end()
	return a
}

func (d *decoder) arrayEntryOld() *Array {
	var a *Array
	if d.bool() { // Array
		a = d.arrayOld()
	}
	if d.bool() { // Indices
		idx := d.arrayOld()
		if a != nil {
			a = a.indexed(idx, d)
		}
	}
	binding := Binding(d.i32())
	normalize := d.i32() != 0
	if a != nil {
		a.Binding, a.Normalize = binding, normalize
	}
	return a
}

func (d *decoder) arrayListOld() []*Array {
	if !d.bool() {
		return nil
	}
	cnt := d.count(4)
	d.begin()
	list := make([]*Array, 0, cnt)
	for range cnt {
		d.begin()
		list = append(list, d.arrayEntryOld())
		d.end()
	}
	d.end()
	return list
}

// indexed expands an array through an index array (the deprecated osg::IndexArray binding).
func (a *Array) indexed(idx *Array, d *decoder) *Array {
	d.spend(idx.Len() * a.Size)
	out := &Array{Class: a.Class, Size: a.Size, Data: make([]float64, 0, idx.Len()*a.Size)}
	n := a.Len()
	for _, f := range idx.Data {
		i := int(f)
		if i < 0 || i >= n {
			d.fail(ErrCorrupt, "array index %d outside the %d elements of %s", i, n, a.Class)
		}
		out.Data = append(out.Data, a.Data[i*a.Size:(i+1)*a.Size]...)
	}
	return out
}

// stateSetFields: osg::StateSet.
func (d *decoder) stateSetFields(s *StateSet) {
	if d.bool() { // ModeList
		d.modes()
	}
	if d.bool() { // AttributeList
		for _, a := range d.attributes() {
			if m, ok := a.(*Material); ok {
				s.Material = m
			}
		}
	}
	if d.bool() { // TextureModeList
		cnt := d.count(4)
		d.begin()
		for range cnt {
			d.modes()
		}
		d.end()
	}
	if d.bool() { // TextureAttributeList
		cnt := d.count(4)
		d.begin()
		for unit := range cnt {
			for _, a := range d.attributes() {
				if t, ok := a.(*Texture); ok {
					for len(s.Textures) <= unit {
						s.Textures = append(s.Textures, nil)
					}
					s.Textures[unit] = t
				}
			}
		}
		d.end()
	}
	if d.bool() { // UniformList
		cnt := d.count(4)
		d.begin()
		for range cnt {
			d.object()
			d.i32()
		}
		d.end()
	}
	d.i32()                           // RenderingHint
	d.i32()                           // RenderBinMode
	d.i32()                           // BinNumber
	d.string()                        // BinName
	d.bool()                          // NestRenderBins
	d.objectRef()                     // UpdateCallback
	d.objectRef()                     // EventCallback
	if d.version >= 151 && d.bool() { // DefineList
		cnt := d.count(12)
		d.begin()
		for range cnt {
			d.string()
			d.string()
			d.i32()
		}
		d.end()
	}
}

func (d *decoder) modes() {
	if cnt := d.count(8); cnt > 0 {
		d.begin()
		d.bytes(cnt * 8) // GLenum mode, int value
		d.end()
	}
}

func (d *decoder) attributes() []any {
	cnt := d.count(4)
	if cnt == 0 {
		return nil
	}
	d.begin()
	var out []any
	for range cnt {
		out = append(out, d.object())
		d.i32() // Value (ON, OFF, OVERRIDE, ...)
	}
	d.end()
	return out
}

// stateAttributeFields: osg::StateAttribute.
func (d *decoder) stateAttributeFields() {
	d.objectRef() // UpdateCallback
	d.objectRef() // EventCallback
}

// materialFields: osg::Material.
func (d *decoder) materialFields(m *Material) {
	d.i32() // ColorMode
	for _, dst := range []*[4]float32{&m.Ambient, &m.Diffuse, &m.Specular, &m.Emission} {
		if d.bool() {
			d.bool() // FrontAndBack
			*dst = d.vec4f()
			d.vec4f() // Back
		}
	}
	if d.bool() { // Shininess
		d.bool()
		m.Shininess = d.f32()
		d.f32()
	}
}

// textureFields: osg::Texture.
func (d *decoder) textureFields(t *Texture) {
	v := d.version
	glenum := func() uint32 {
		if d.bool() {
			return d.u32()
		}
		return 0
	}
	t.WrapS = glenum()
	t.WrapT = glenum()
	glenum() // WRAP_R
	t.MinFilter = glenum()
	t.MagFilter = glenum()
	d.f32()                             // MaxAnisotropy
	d.bool()                            // UseHardwareMipMapGeneration
	d.bool()                            // UnRefImageDataAfterApply
	d.bool()                            // ClientStorageHint
	d.bool()                            // ResizeNonPowerOfTwoHint
	d.vec(4)                            // BorderColor
	d.i32()                             // BorderWidth
	d.i32()                             // InternalFormatMode
	glenum()                            // InternalFormat
	glenum()                            // SourceFormat
	glenum()                            // SourceType
	d.bool()                            // ShadowComparison
	d.i32()                             // ShadowCompareFunc
	d.i32()                             // ShadowTextureMode
	d.f32()                             // ShadowAmbient
	if v >= 95 && v < 154 && d.bool() { // ImageAttachment
		d.u32()
		d.i32()
		d.u8()
		d.i32()
		d.u32()
		d.u32()
	}
	if v >= 98 && d.bool() { // Swizzle
		d.string()
	}
	if v >= 155 {
		d.f32() // MinLOD
		d.f32() // MaxLOD
		d.f32() // LODBias
	}
}

// simpleAttribute reads the fields of state attributes that do not change the mesh.
func (d *decoder) simpleAttribute(class string) {
	switch class {
	case "osg::AlphaFunc":
		d.i32()
		d.f32()
	case "osg::BlendFunc":
		d.bytes(16)
	case "osg::CullFace", "osg::ShadeModel", "osg::FrontFace":
		d.i32()
	case "osg::LightModel":
		d.vec4f()
		d.i32()
		d.bool()
		d.bool()
	case "osg::PolygonMode":
		if d.bool() {
			d.bool()
			d.i32()
			d.i32()
		}
	case "osg::TexEnv":
		d.i32()
		d.vec4f()
	case "osg::PolygonOffset":
		d.f32()
		d.f32()
	case "osg::Depth":
		d.i32()
		d.f64()
		d.f64()
		d.bool()
	case "osg::BlendColor":
		d.vec4f()
	case "osg::LineWidth":
		d.f32()
	}
}
