package osgb

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// The versions this reader knows: the serializer changes of every class it reads are applied for
// files from MinVersion (OpenSceneGraph 2.9.x) to MaxVersion (3.7).
const (
	MinVersion = 70
	MaxVersion = 202
)

// MaxDecompressed bounds what a compressed stream may expand to.
const MaxDecompressed = 1 << 30

const (
	headerLow  = 0x6C910EA1
	headerHigh = 0x1AFB4545
)

var (
	// ErrNotOSGB: the file does not start with the OSG binary header.
	ErrNotOSGB = errors.New("not an OpenSceneGraph binary file")
	// ErrVersion: the file's serializer version is outside [MinVersion, MaxVersion].
	ErrVersion = errors.New("unsupported serializer version")
	// ErrClass: an object of a class this reader does not know, where it cannot be skipped.
	ErrClass = errors.New("unsupported object class")
	// ErrCorrupt: the data ends early or holds impossible values.
	ErrCorrupt = errors.New("corrupt data")
)

// Error is a read failure with where it happened: the file, the byte offset in the (decompressed)
// stream and the path of objects being read, e.g. "osg::PagedLOD > osg::Geode > osg::Geometry".
type Error struct {
	File   string
	Offset int
	Object string
	Kind   error // ErrNotOSGB, ErrVersion, ErrClass or ErrCorrupt
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Object != "" {
		b.WriteString(": ")
		b.WriteString(e.Object)
	}
	fmt.Fprintf(&b, " (byte %d): %s", e.Offset, e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// ReadFile reads an .osgb file.
func ReadFile(path string) (*Scene, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Read(path, data)
}

// Read parses the bytes of an .osgb file; name is used in errors.
func Read(name string, data []byte) (s *Scene, err error) {
	d := &decoder{file: name, buf: data, order: binary.LittleEndian, ids: map[uint32]any{}, arrays: map[uint32]*Array{}}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			s, err = nil, e
		}
	}()
	s = &Scene{File: name}
	d.header(s)
	d.budget = 8*len(d.buf) + 1<<16
	obj := d.object()
	root, ok := obj.(*Node)
	if !ok {
		d.fail(ErrClass, "the root object is %s, not a node", describe(obj))
	}
	s.Root = root
	if rest := len(d.buf) - d.pos; rest > 0 {
		d.warn("%d bytes after the root object were not read", rest)
	}
	s.Warnings = d.warnings
	s.budget = d.budget
	return s, nil
}

// decoder reads the binary stream. Failures panic with *Error and are recovered in Read.
type decoder struct {
	file     string
	buf      []byte
	pos      int
	order    binary.ByteOrder
	version  int
	robust   bool
	blocks   []int             // robust files: end offsets of the open brackets
	ids      map[uint32]any    // objects and images by unique id
	arrays   map[uint32]*Array // arrays of files before version 112 (their own id space)
	path     []string          // classes of the objects being read
	warnings []string
	depth    int
	// budget bounds the elements that shared objects may expand to (indexed arrays here, meshes
	// in Scene.Meshes), so that a small file of many references to one large array or geometry
	// cannot make the reader allocate without limit: 8 per byte of (decompressed) input.
	budget int
}

func (d *decoder) spend(n int) {
	d.budget -= n
	if d.budget < 0 {
		d.fail(ErrCorrupt, "shared objects expand beyond 8 elements per byte of input")
	}
}

func (d *decoder) fail(kind error, format string, args ...any) {
	panic(&Error{File: d.file, Offset: d.pos, Object: strings.Join(d.path, " > "), Kind: kind, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) need(n int) {
	if n < 0 || n > len(d.buf)-d.pos {
		d.fail(ErrCorrupt, "unexpected end of data (need %d bytes, %d left)", n, len(d.buf)-d.pos)
	}
}

func (d *decoder) bytes(n int) []byte {
	d.need(n)
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b
}

func (d *decoder) u8() uint8   { return d.bytes(1)[0] }
func (d *decoder) bool() bool  { return d.u8() != 0 }
func (d *decoder) u32() uint32 { return d.order.Uint32(d.bytes(4)) }
func (d *decoder) i32() int32  { return int32(d.u32()) }
func (d *decoder) u64() uint64 { return d.order.Uint64(d.bytes(8)) }
func (d *decoder) f32() float32 {
	return math.Float32frombits(d.u32())
}
func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

func (d *decoder) string() string {
	n := d.i32()
	if n < 0 {
		d.fail(ErrCorrupt, "negative string length %d", n)
	}
	return string(d.bytes(int(n)))
}

// count reads an element count and checks that count elements of at least minSize bytes each fit in
// what is left, so a corrupt count never allocates beyond the input.
func (d *decoder) count(minSize int) int {
	n := d.u32()
	if uint64(n)*uint64(max(minSize, 1)) > uint64(len(d.buf)-d.pos) {
		d.fail(ErrCorrupt, "unexpected end of data (a count of %d does not fit in the %d bytes left)", n, len(d.buf)-d.pos)
	}
	return int(n)
}

func (d *decoder) vec(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = d.f64()
	}
	return v
}

func (d *decoder) vec4f() (v [4]float32) {
	for i := range v {
		v[i] = d.f32()
	}
	return v
}

// begin and end are the serializer's brackets: in robust files "{" is the byte length of the block
// (4 bytes, or 8 from version 149), counted from the length field itself; in others, nothing.
func (d *decoder) begin() {
	if !d.robust {
		return
	}
	start := d.pos
	var size uint64
	if d.version > 148 {
		size = d.u64()
	} else {
		size = uint64(d.u32())
	}
	if size < uint64(d.pos-start) || size > uint64(len(d.buf)-start) {
		d.fail(ErrCorrupt, "block length %d outside the data", size)
	}
	d.blocks = append(d.blocks, start+int(size))
}

func (d *decoder) end() {
	if d.robust && len(d.blocks) > 0 {
		d.blocks = d.blocks[:len(d.blocks)-1]
	}
}

// skipBlock moves to the end of the innermost open block (an object being skipped).
func (d *decoder) skipBlock() {
	if !d.robust || len(d.blocks) == 0 {
		return
	}
	end := d.blocks[len(d.blocks)-1]
	d.blocks = d.blocks[:len(d.blocks)-1]
	if end < d.pos {
		d.fail(ErrCorrupt, "object ends at byte %d, before what was read", end)
	}
	d.pos = end
}

func (d *decoder) header(s *Scene) {
	if len(d.buf) < 8 {
		d.fail(ErrNotOSGB, "too short for an OSG binary header")
	}
	lo, hi := binary.LittleEndian.Uint32(d.buf), binary.LittleEndian.Uint32(d.buf[4:])
	switch {
	case lo == headerLow && hi == headerHigh:
	case binary.BigEndian.Uint32(d.buf) == headerLow && binary.BigEndian.Uint32(d.buf[4:]) == headerHigh:
		d.order = binary.BigEndian
	default:
		d.fail(ErrNotOSGB, "the OSG binary header (A1 0E 91 6C 45 45 FB 1A) is missing; is it an ASCII .osgt or another format?")
	}
	d.pos = 8
	typ := d.u32()
	d.version = int(d.u32())
	s.Version = d.version
	if d.version < MinVersion || d.version > MaxVersion {
		d.fail(ErrVersion, "serializer version %d is not supported (this reader knows %d to %d)", d.version, MinVersion, MaxVersion)
	}
	if typ != 1 && typ != 3 { // READ_SCENE, READ_OBJECT
		d.fail(ErrNotOSGB, "the file holds content of type %d, not a scene", typ)
	}
	attributes := d.u32()
	if attributes&0x1 != 0 { // custom domains and their versions
		n := d.count(8)
		for range n {
			d.string()
			d.i32()
		}
	}
	if attributes&0x2 != 0 {
		d.fail(ErrVersion, "files with inbuilt schema data are not supported")
	}
	d.robust = attributes&0x4 != 0
	s.Robust = d.robust
	switch c := d.string(); c {
	case "0":
	case "zlib":
		s.Compressor = c
		d.inflate()
	case "null":
		s.Compressor = c
		n := d.count(1)
		d.buf, d.pos = d.buf[d.pos:d.pos+n], 0
	default:
		d.fail(ErrCorrupt, "unknown compressor %q", c)
	}
}

// inflate replaces the rest of the stream by its decompressed bytes (zlib or gzip, as OSG's zlib
// compressor autodetects).
func (d *decoder) inflate() {
	rest := d.buf[d.pos:]
	var r io.ReadCloser
	var err error
	if len(rest) >= 2 && rest[0] == 0x1f && rest[1] == 0x8b {
		r, err = gzip.NewReader(bytes.NewReader(rest))
	} else {
		r, err = zlib.NewReader(bytes.NewReader(rest))
	}
	if err != nil {
		d.fail(ErrCorrupt, "compressed stream: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxDecompressed+1))
	if err == nil {
		err = r.Close()
	}
	if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && len(out) > 0) {
		d.fail(ErrCorrupt, "compressed stream: %v", err)
	}
	if len(out) > MaxDecompressed {
		d.fail(ErrCorrupt, "compressed stream expands beyond %d bytes", MaxDecompressed)
	}
	d.buf, d.pos = out, 0
}

func (d *decoder) warn(format string, args ...any) {
	if len(d.warnings) < 100 {
		d.warnings = append(d.warnings, fmt.Sprintf("%s: ", d.file)+fmt.Sprintf(format, args...))
	}
}

func describe(v any) string {
	switch o := v.(type) {
	case nil:
		return "NULL"
	case *Node:
		return o.Class
	case skipped:
		return string(o)
	default:
		return fmt.Sprintf("%T", v)
	}
}
