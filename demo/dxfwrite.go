package demo

import (
	"bufio"
	"io"
	"math"
	"strconv"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// dxfWriter writes an AutoCAD R2000 (AC1015) ASCII DXF the way CASS saves one: code page ANSI_936
// (Chinese text as GBK bytes), handles, owners and subclass markers, feature codes in XDATA of
// application SOUTH.
type dxfWriter struct {
	w      *bufio.Writer
	handle int
	buf    []byte
	ms     string // *Model_Space block record handle
	err    error
}

func newDXFWriter(w io.Writer) *dxfWriter {
	return &dxfWriter{w: bufio.NewWriterSize(w, 1<<20), handle: 0x100}
}

var gbk = simplifiedchinese.GBK.NewEncoder()

func (d *dxfWriter) next() string {
	d.handle++
	return strconv.FormatInt(int64(d.handle), 16)
}

// group writes one group with a string value (encoded as GBK).
func (d *dxfWriter) str(code int, v string) {
	d.code(code)
	ascii := true
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		d.w.WriteString(v)
	} else {
		b, err := gbk.Bytes([]byte(v))
		if err != nil && d.err == nil {
			d.err = err
		}
		d.w.Write(b)
	}
	d.w.WriteByte('\n')
}

func (d *dxfWriter) code(c int) {
	d.buf = d.buf[:0]
	if c < 10 {
		d.buf = append(d.buf, ' ', ' ')
	} else if c < 100 {
		d.buf = append(d.buf, ' ')
	}
	d.buf = strconv.AppendInt(d.buf, int64(c), 10)
	d.buf = append(d.buf, '\n')
	d.w.Write(d.buf)
}

func (d *dxfWriter) int(code, v int) {
	d.code(code)
	d.buf = strconv.AppendInt(d.buf[:0], int64(v), 10)
	d.buf = append(d.buf, '\n')
	d.w.Write(d.buf)
}

// num writes a real with millimetre precision (what a 1:500 survey carries), or more for small values.
func (d *dxfWriter) num(code int, v float64) {
	d.code(code)
	prec := 3
	if math.Abs(v) < 100 {
		prec = 6
	}
	d.buf = strconv.AppendFloat(d.buf[:0], v, 'f', prec, 64)
	d.buf = append(d.buf, '\n')
	d.w.Write(d.buf)
}

func (d *dxfWriter) pt(code int, x, y, z float64) {
	d.num(code, x)
	d.num(code+10, y)
	d.num(code+20, z)
}

// entity starts an entity in model space.
func (d *dxfWriter) entity(typ, layer, sub string) {
	d.str(0, typ)
	d.str(5, d.next())
	d.str(330, d.ms)
	d.str(100, "AcDbEntity")
	d.str(8, layer)
	if sub != "" {
		d.str(100, sub)
	}
}

// south writes the CASS feature code.
func (d *dxfWriter) south(code string) {
	d.str(1001, "SOUTH")
	d.str(1000, code)
}

func (d *dxfWriter) header(minX, minY, maxX, maxY float64) {
	d.str(0, "SECTION")
	d.str(2, "HEADER")
	d.str(9, "$ACADVER")
	d.str(1, "AC1015")
	d.str(9, "$DWGCODEPAGE")
	d.str(3, "ANSI_936")
	d.str(9, "$INSBASE")
	d.pt(10, 0, 0, 0)
	d.str(9, "$EXTMIN")
	d.pt(10, minX, minY, 0)
	d.str(9, "$EXTMAX")
	d.pt(10, maxX, maxY, 0)
	d.str(9, "$INSUNITS")
	d.int(70, 6)
	d.str(9, "$MEASUREMENT")
	d.int(70, 1)
	d.str(9, "$HANDSEED")
	d.str(5, "FFFFFF")
	d.str(0, "ENDSEC")
}

type dxfLayer struct {
	name  string
	color int
}

type dxfBlock struct {
	name   string
	draw   func(d *dxfWriter, owner string)
	record string
}

func (d *dxfWriter) tables(layers []dxfLayer, blocks []*dxfBlock) {
	d.str(0, "SECTION")
	d.str(2, "TABLES")
	table := func(name string, n int) string {
		h := d.next()
		d.str(0, "TABLE")
		d.str(2, name)
		d.str(5, h)
		d.str(330, "0")
		d.str(100, "AcDbSymbolTable")
		d.int(70, n)
		return h
	}
	rec := func(typ, owner, sub string) {
		d.str(0, typ)
		d.str(5, d.next())
		d.str(330, owner)
		d.str(100, "AcDbSymbolTableRecord")
		d.str(100, sub)
	}
	h := table("LTYPE", 1)
	rec("LTYPE", h, "AcDbLinetypeTableRecord")
	d.str(2, "CONTINUOUS")
	d.int(70, 0)
	d.str(3, "Solid line")
	d.int(72, 65)
	d.int(73, 0)
	d.num(40, 0)
	d.str(0, "ENDTAB")

	h = table("LAYER", len(layers))
	for _, l := range layers {
		rec("LAYER", h, "AcDbLayerTableRecord")
		d.str(2, l.name)
		d.int(70, 0)
		d.int(62, l.color)
		d.str(6, "CONTINUOUS")
	}
	d.str(0, "ENDTAB")

	h = table("STYLE", 1)
	rec("STYLE", h, "AcDbTextStyleTableRecord")
	d.str(2, "HZ")
	d.int(70, 0)
	d.num(40, 0)
	d.num(41, 0.8)
	d.num(50, 0)
	d.int(71, 0)
	d.num(42, 2.5)
	d.str(3, "tssdeng.shx")
	d.str(4, "hztxt.shx")
	d.str(0, "ENDTAB")

	h = table("APPID", 2)
	for _, app := range []string{"ACAD", "SOUTH"} {
		rec("APPID", h, "AcDbRegAppTableRecord")
		d.str(2, app)
		d.int(70, 0)
	}
	d.str(0, "ENDTAB")

	h = table("BLOCK_RECORD", len(blocks))
	for _, b := range blocks {
		b.record = d.next()
		d.str(0, "BLOCK_RECORD")
		d.str(5, b.record)
		d.str(330, h)
		d.str(100, "AcDbSymbolTableRecord")
		d.str(100, "AcDbBlockTableRecord")
		d.str(2, b.name)
		if b.name == "*Model_Space" {
			d.ms = b.record
		}
	}
	d.str(0, "ENDTAB")
	d.str(0, "ENDSEC")
}

func (d *dxfWriter) blocks(blocks []*dxfBlock) {
	d.str(0, "SECTION")
	d.str(2, "BLOCKS")
	for _, b := range blocks {
		d.str(0, "BLOCK")
		d.str(5, d.next())
		d.str(330, b.record)
		d.str(100, "AcDbEntity")
		d.str(8, "0")
		d.str(100, "AcDbBlockBegin")
		d.str(2, b.name)
		d.int(70, 0)
		d.pt(10, 0, 0, 0)
		d.str(3, b.name)
		d.str(1, "")
		if b.draw != nil {
			b.draw(d, b.record)
		}
		d.str(0, "ENDBLK")
		d.str(5, d.next())
		d.str(330, b.record)
		d.str(100, "AcDbEntity")
		d.str(8, "0")
		d.str(100, "AcDbBlockEnd")
	}
	d.str(0, "ENDSEC")
}

// blockEntity starts an entity inside a block definition.
func (d *dxfWriter) blockEntity(typ, owner, sub string) {
	d.str(0, typ)
	d.str(5, d.next())
	d.str(330, owner)
	d.str(100, "AcDbEntity")
	d.str(8, "0")
	d.str(100, sub)
}

func (d *dxfWriter) beginEntities() {
	d.str(0, "SECTION")
	d.str(2, "ENTITIES")
}

func (d *dxfWriter) end() error {
	d.str(0, "ENDSEC")
	d.str(0, "SECTION")
	d.str(2, "OBJECTS")
	d.str(0, "DICTIONARY")
	d.str(5, "C")
	d.str(330, "0")
	d.str(100, "AcDbDictionary")
	d.int(281, 1)
	d.str(0, "ENDSEC")
	d.str(0, "EOF")
	if err := d.w.Flush(); err != nil {
		return err
	}
	return d.err
}

// polyline writes a LWPOLYLINE (xy pairs).
func (d *dxfWriter) polyline(layer string, xy []float64, closed bool, elevation float64, code string) {
	d.entity("LWPOLYLINE", layer, "AcDbPolyline")
	d.int(90, len(xy)/2)
	flags := 0
	if closed {
		flags = 1
	}
	d.int(70, flags)
	if elevation != 0 {
		d.num(38, elevation)
	}
	for i := 0; i+1 < len(xy); i += 2 {
		d.num(10, xy[i])
		d.num(20, xy[i+1])
	}
	if code != "" {
		d.south(code)
	}
}

// text writes a TEXT (height and rotation in drawing units and degrees), centred on (x, y).
func (d *dxfWriter) text(layer string, x, y, height, rotation float64, s, code string) {
	d.entity("TEXT", layer, "AcDbText")
	d.pt(10, x, y, 0)
	d.num(40, height)
	d.str(1, s)
	if rotation != 0 {
		d.num(50, rotation)
	}
	d.num(41, 0.8)
	d.str(7, "HZ")
	d.int(72, 1)
	d.pt(11, x, y, 0)
	d.str(100, "AcDbText")
	d.int(73, 2)
	if code != "" {
		d.south(code)
	}
}

// insert writes a block reference with attributes (tag, value pairs) and the CASS code.
func (d *dxfWriter) insert(layer, block string, x, y, z float64, code string, attribs ...string) {
	d.entity("INSERT", layer, "AcDbBlockReference")
	if len(attribs) > 0 {
		d.int(66, 1)
	}
	d.str(2, block)
	d.pt(10, x, y, z)
	d.south(code)
	for i := 0; i+1 < len(attribs); i += 2 {
		d.entity("ATTRIB", layer, "AcDbText")
		d.pt(10, x+0.6, y+0.2*float64(i), z)
		d.num(40, 1.0)
		d.str(1, attribs[i+1])
		d.str(100, "AcDbAttribute")
		d.str(2, attribs[i])
		d.int(70, 0)
	}
	if len(attribs) > 0 {
		d.str(0, "SEQEND")
		d.str(5, d.next())
		d.str(330, d.ms)
		d.str(100, "AcDbEntity")
		d.str(8, layer)
	}
}
