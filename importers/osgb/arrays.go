package osgb

import "math"

// arrayType describes an osg array class: components per element and the component encoding.
type arrayType struct {
	size int    // components per element
	comp string // b, ub, s, us, i, ui, f, d
}

// compSize is the byte size of a component encoding.
func compSize(c string) int {
	switch c {
	case "b", "ub":
		return 1
	case "s", "us":
		return 2
	case "i", "ui", "f":
		return 4
	default: // d
		return 8
	}
}

var arrayClasses = map[string]arrayType{
	"osg::ByteArray": {1, "b"}, "osg::UByteArray": {1, "ub"}, "osg::ShortArray": {1, "s"},
	"osg::UShortArray": {1, "us"}, "osg::IntArray": {1, "i"}, "osg::UIntArray": {1, "ui"},
	"osg::FloatArray": {1, "f"}, "osg::DoubleArray": {1, "d"},
	"osg::Vec2bArray": {2, "b"}, "osg::Vec3bArray": {3, "b"}, "osg::Vec4bArray": {4, "b"},
	"osg::Vec2ubArray": {2, "ub"}, "osg::Vec3ubArray": {3, "ub"}, "osg::Vec4ubArray": {4, "ub"},
	"osg::Vec2sArray": {2, "s"}, "osg::Vec3sArray": {3, "s"}, "osg::Vec4sArray": {4, "s"},
	"osg::Vec2usArray": {2, "us"}, "osg::Vec3usArray": {3, "us"}, "osg::Vec4usArray": {4, "us"},
	"osg::Vec2iArray": {2, "i"}, "osg::Vec3iArray": {3, "i"}, "osg::Vec4iArray": {4, "i"},
	"osg::Vec2uiArray": {2, "ui"}, "osg::Vec3uiArray": {3, "ui"}, "osg::Vec4uiArray": {4, "ui"},
	"osg::Vec2Array": {2, "f"}, "osg::Vec3Array": {3, "f"}, "osg::Vec4Array": {4, "f"},
	"osg::Vec2dArray": {2, "d"}, "osg::Vec3dArray": {3, "d"}, "osg::Vec4dArray": {4, "d"},
}

// arrayTypeIDs are the type ids of InputStream::readArray (files before version 112).
var arrayTypeIDs = map[int32]string{
	0: "osg::ByteArray", 1: "osg::UByteArray", 2: "osg::ShortArray", 3: "osg::UShortArray",
	4: "osg::IntArray", 5: "osg::UIntArray", 6: "osg::FloatArray", 7: "osg::DoubleArray",
	8: "osg::Vec2bArray", 9: "osg::Vec3bArray", 10: "osg::Vec4bArray", 11: "osg::Vec4ubArray",
	12: "osg::Vec2sArray", 13: "osg::Vec3sArray", 14: "osg::Vec4sArray",
	15: "osg::Vec2Array", 16: "osg::Vec3Array", 17: "osg::Vec4Array",
	18: "osg::Vec2dArray", 19: "osg::Vec3dArray", 20: "osg::Vec4dArray",
	21: "osg::Vec2ubArray", 22: "osg::Vec3ubArray", 23: "osg::Vec2usArray", 24: "osg::Vec3usArray",
	25: "osg::Vec4usArray", 26: "osg::Vec2iArray", 27: "osg::Vec3iArray", 28: "osg::Vec4iArray",
	29: "osg::Vec2uiArray", 30: "osg::Vec3uiArray", 31: "osg::Vec4uiArray",
}

// elements reads n elements of an array type.
func (d *decoder) elements(t arrayType, n int) []float64 {
	cs := compSize(t.comp)
	raw := d.bytes(n * t.size * cs)
	out := make([]float64, n*t.size)
	o := d.order
	for i := range out {
		b := raw[i*cs:]
		switch t.comp {
		case "b":
			out[i] = float64(int8(b[0]))
		case "ub":
			out[i] = float64(b[0])
		case "s":
			out[i] = float64(int16(o.Uint16(b)))
		case "us":
			out[i] = float64(o.Uint16(b))
		case "i":
			out[i] = float64(int32(o.Uint32(b)))
		case "ui":
			out[i] = float64(o.Uint32(b))
		case "f":
			out[i] = float64(math.Float32frombits(o.Uint32(b)))
		default:
			out[i] = math.Float64frombits(o.Uint64(b))
		}
	}
	return out
}

// arrayObject reads an array object (version 112 and later): osg::Object, osg::BufferData (from
// 147), osg::Array (binding, normalize, preserve data type) and the elements.
func (d *decoder) arrayObject(class string, t arrayType) *Array {
	d.objectFields(nil)
	if d.version >= 147 {
		d.objectRef() // BufferObject
	}
	a := &Array{Class: class, Size: t.size}
	a.Binding = Binding(d.i32())
	a.Normalize = d.bool()
	d.bool() // PreserveDataType
	n := d.count(t.size * compSize(t.comp))
	a.Data = d.elements(t, n)
	return a
}

// arrayOld reads an array of a file before version 112 (InputStream::readArray).
func (d *decoder) arrayOld() *Array {
	id := d.u32()
	if a, ok := d.arrays[id]; ok {
		return a
	}
	typ := d.i32()
	class, ok := arrayTypeIDs[typ]
	if !ok {
		d.fail(ErrClass, "array type %d is not supported", typ)
	}
	t := arrayClasses[class]
	n := d.count(t.size * compSize(t.comp))
	d.begin()
	a := &Array{Class: class, Size: t.size, Data: d.elements(t, n)}
	d.end()
	d.arrays[id] = a
	return a
}

// primitive classes (version 112 and later) and the type ids of InputStream::readPrimitiveSet.
var primitiveClasses = map[string]string{
	"osg::DrawArrays": "DrawArrays", "osg::DrawArrayLengths": "DrawArrayLengths",
	"osg::DrawElementsUByte": "ub", "osg::DrawElementsUShort": "us", "osg::DrawElementsUInt": "ui",
}

var primitiveTypeIDs = map[int32]string{
	50: "osg::DrawArrays", 51: "osg::DrawArrayLengths",
	52: "osg::DrawElementsUByte", 53: "osg::DrawElementsUShort", 54: "osg::DrawElementsUInt",
}

func (d *decoder) primitiveObject(class, kind string) *Primitive {
	d.objectFields(nil)
	if d.version >= 147 {
		d.objectRef() // BufferObject
	}
	p := &Primitive{}
	d.i32() // NumInstances
	p.Mode = d.i32()
	switch kind {
	case "DrawArrays":
		p.Kind = kind
		p.First, p.Count = d.i32(), d.i32()
	case "DrawArrayLengths":
		p.Kind = kind
		p.First = d.i32()
		p.Lengths = d.lengths(d.count(4))
	default:
		p.Kind = "DrawElements"
		p.Indices = d.indices(kind, d.count(compSize(kind)))
	}
	return p
}

func (d *decoder) primitiveOld() *Primitive {
	typ := d.i32()
	p := &Primitive{Mode: d.i32()}
	if d.version > 96 {
		d.u32() // NumInstances
	}
	class, ok := primitiveTypeIDs[typ]
	if !ok {
		d.fail(ErrClass, "primitive set type %d is not supported", typ)
	}
	switch kind := primitiveClasses[class]; kind {
	case "DrawArrays":
		p.Kind = kind
		p.First, p.Count = d.i32(), d.i32()
	case "DrawArrayLengths":
		p.Kind = kind
		p.First = d.i32()
		n := d.count(4)
		d.begin()
		p.Lengths = d.lengths(n)
		d.end()
	default:
		p.Kind = "DrawElements"
		n := d.count(compSize(kind))
		d.begin()
		p.Indices = d.indices(kind, n)
		d.end()
	}
	return p
}

func (d *decoder) lengths(n int) []int32 {
	raw := d.bytes(n * 4)
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(d.order.Uint32(raw[i*4:]))
	}
	return out
}

func (d *decoder) indices(comp string, n int) []uint32 {
	cs := compSize(comp)
	raw := d.bytes(n * cs)
	out := make([]uint32, n)
	for i := range out {
		switch cs {
		case 1:
			out[i] = uint32(raw[i])
		case 2:
			out[i] = uint32(d.order.Uint16(raw[i*2:]))
		default:
			out[i] = d.order.Uint32(raw[i*4:])
		}
	}
	return out
}

// image reads an osg::Image as Texture2D's image serializer writes it (InputStream::readImage).
func (d *decoder) image() *Image {
	if d.version > 94 {
		d.string() // ClassName
	}
	id := d.u32()
	if v, ok := d.ids[id]; ok {
		if im, ok := v.(*Image); ok {
			return im
		}
		d.fail(ErrCorrupt, "image id %d names a %s", id, describe(v))
	}
	im := &Image{FileName: d.string()}
	d.i32() // WriteHint
	im.Storage = d.i32()
	switch im.Storage {
	case ImageInlineData:
		im.Origin = d.i32()
		im.Width, im.Height, im.Depth = d.i32(), d.i32(), d.i32()
		im.InternalFormat, im.PixelFormat, im.DataType, im.Packing = d.i32(), d.i32(), d.i32(), d.i32()
		d.i32() // AllocationMode
		n := d.count(1)
		im.Pixels = d.bytes(n)
		levels := d.count(4) // mipmap offsets
		d.bytes(levels * 4)
	case ImageInlineFile:
		n := d.count(1)
		im.File = d.bytes(n)
	case ImageExternal, ImageWriteOut:
	default:
		d.fail(ErrCorrupt, "image %q has unknown storage decision %d", im.FileName, im.Storage)
	}
	d.path = append(d.path, "osg::Image")
	d.objectFields(nil)
	d.path = d.path[:len(d.path)-1]
	d.ids[id] = im
	return im
}
