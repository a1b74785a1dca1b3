// Package dxf reads ASCII DXF drawings (R12 to 2018) as a stream of entities in world coordinates:
// LINE, LWPOLYLINE and POLYLINE (2D and 3D, with bulges), ARC, CIRCLE, ELLIPSE, SPLINE (approximated),
// POINT, TEXT, MTEXT, ATTRIB, INSERT (expanded with scale, rotation, columns/rows and extrusion, or
// kept as a symbol with its attributes), HATCH boundaries (polyline and edge paths), SOLID, TRACE,
// 3DFACE and LEADER, with extended data (XDATA) kept. Strings are decoded from the drawing's code page
// ($DWGCODEPAGE, e.g. ANSI_936 as GBK) or UTF-8 (R2007 and later), with \U+XXXX and \M+NXXXX escapes,
// caret-encoded control characters and MTEXT formatting codes resolved.
//
// The reader streams: the header, tables and blocks are read when it opens, then Next returns one
// entity at a time, so a drawing of any size is read in constant memory beside its block
// definitions. The GEODATA object (AutoCAD's geolocation) follows the entities in the file; GeoData
// returns it once Next has reported io.EOF, and ScanGeoData finds it beforehand by a fast byte scan.
//
// Binary DXF is refused with ErrBinary. Malformed input returns a *SyntaxError naming file and line.
package dxf

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// InsertMode says what becomes of block references (INSERT).
type InsertMode int

const (
	// ExpandInserts replaces every block reference by the block's entities, transformed (as GDAL's
	// DXF driver does by default); its attributes become ATTRIB text entities.
	ExpandInserts InsertMode = iota
	// SymbolInserts keeps a block reference that carries attributes or extended data (a map symbol:
	// a CASS elevation point, control point, street lamp) as one point entity with its attributes;
	// other block references are expanded.
	SymbolInserts
)

// Options configure a Reader.
type Options struct {
	Name     string     // file name for error messages
	Encoding string     // force the text encoding ("gbk", "utf-8", "ANSI_1252", ...); "" = from the file
	Inserts  InsertMode // what block references become
}

// Layer is an entry of the LAYER table.
type Layer struct {
	Name     string
	Color    int
	Linetype string
	Off      bool // negative colour: layer switched off
	Frozen   bool
}

type block struct {
	name  string
	base  Vec
	paper bool
	ents  []*Entity
	// consts are the block's constant attribute definitions (ATTDEF with flag 2): a reference carries
	// them without ATTRIBs of its own.
	consts []*Entity
}

// insertRef is what expanding a block reference needs.
type insertRef struct {
	point      Vec // OCS
	normal     Vec
	scale      Vec
	rotation   float64 // degrees
	cols, rows int
	colSp      float64
	rowSp      float64
	// attribs are the reference's ATTRIB entities, in the coordinates of the space that holds the
	// reference (world, or the enclosing block's definition); they belong to its first cell.
	attribs []*Entity
}

// Reader reads entities from an ASCII DXF stream.
type Reader struct {
	sc      *scanner
	opts    Options
	hdr     Header
	dec     textDecoder
	layers  map[string]Layer
	blocks  map[string]*block
	section string
	rec     record
	queue   []*Entity
	geo     *GeoData
	skipped map[string]int
	eof     bool
	err     error
	sawEnt  bool // the ENTITIES section was seen
}

// maxDepth bounds nested block references (and catches blocks that reference themselves).
const maxDepth = 16

// maxExpanded bounds the entities (and nested references) one top-level block reference expands
// into: a MINSERT of a nested block can multiply without end in a hostile file.
const maxExpanded = 100_000

// NewReader reads the header, tables and blocks of a DXF and positions the reader at its first entity.
func NewReader(r io.Reader, o Options) (*Reader, error) {
	if o.Name == "" {
		o.Name = "dxf"
	}
	sc, err := newScanner(r, o.Name)
	if err != nil {
		return nil, err
	}
	rd := &Reader{sc: sc, opts: o, layers: map[string]Layer{}, blocks: map[string]*block{}, skipped: map[string]int{}}
	rd.dec.guess = true
	if o.Encoding != "" {
		enc, ok := CodePage(o.Encoding)
		if !ok {
			return nil, fmt.Errorf("unknown encoding %q (use gbk, utf-8, gb18030, big5 or a DXF code page such as ANSI_936)", o.Encoding)
		}
		rd.dec.set(enc)
		rd.hdr.Encoding = strings.ToLower(o.Encoding)
	}
	if err := rd.advance(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns the header variables read.
func (r *Reader) Header() Header { return r.hdr }

// Layers returns the LAYER table.
func (r *Reader) Layers() map[string]Layer { return r.layers }

// GeoData returns the drawing's geolocation, nil when it has none (known once Next returned io.EOF).
func (r *Reader) GeoData() *GeoData { return r.geo }

// Skipped counts the entities of types the reader does not turn into geometry, by type.
func (r *Reader) Skipped() map[string]int { return r.skipped }

// Next returns the next entity, or io.EOF after the last one.
func (r *Reader) Next() (*Entity, error) {
	for {
		if len(r.queue) > 0 {
			e := r.queue[0]
			r.queue[0] = nil
			r.queue = r.queue[1:]
			return e, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		if r.eof {
			return nil, io.EOF
		}
		if r.section != "ENTITIES" {
			if err := r.advance(); err != nil {
				r.err = err
			}
			continue
		}
		t, err := r.sc.next()
		if err == io.EOF {
			r.err = r.sc.errorf(r.sc.line, "file ends inside the ENTITIES section (truncated file?)")
			continue
		}
		if err != nil {
			r.err = err
			continue
		}
		if t.code != 0 {
			continue // stray group between records: skip it
		}
		typ := string(bytes.TrimSpace(t.val))
		switch typ {
		case "ENDSEC":
			r.section = ""
			continue
		case "EOF":
			r.eof = true
			continue
		}
		ents, err := r.readEntity(typ, t.line, false)
		if err != nil {
			r.err = err
			continue
		}
		r.queue = append(r.queue, ents...)
	}
}

// advance reads sections until the ENTITIES section starts or the file ends. Sections other than
// HEADER, TABLES, BLOCKS and OBJECTS are skipped.
func (r *Reader) advance() error {
	for {
		t, err := r.sc.next()
		if err == io.EOF {
			if r.section != "" {
				return r.sc.errorf(r.sc.line, "file ends inside the %s section (truncated file?)", r.section)
			}
			if !r.sawEnt && r.sc.line == 0 {
				return r.sc.errorf(0, "empty file")
			}
			r.eof = true
			r.setupEncoding()
			return nil
		}
		if err != nil {
			return err
		}
		if t.code != 0 {
			if r.sc.line <= 2 {
				return r.sc.errorf(t.line, "not a DXF file: it does not start with a \"0 SECTION\" group")
			}
			continue
		}
		switch v := string(bytes.TrimSpace(t.val)); v {
		case "SECTION":
			nt, err := r.sc.next()
			if err != nil {
				if err == io.EOF {
					return r.sc.errorf(t.line, "file ends after SECTION (truncated file?)")
				}
				return err
			}
			if nt.code != 2 {
				return r.sc.errorf(nt.line, "SECTION without a name (group 2)")
			}
			name := strings.ToUpper(string(bytes.TrimSpace(nt.val)))
			r.section = name
			switch name {
			case "HEADER":
				err = r.readHeader()
			case "TABLES":
				r.setupEncoding()
				err = r.readTables()
			case "BLOCKS":
				r.setupEncoding()
				err = r.readBlocks()
			case "ENTITIES":
				r.setupEncoding()
				r.sawEnt = true
				return nil
			case "OBJECTS":
				err = r.readObjects()
			default:
				err = r.skipSection()
			}
			if err != nil {
				return err
			}
			r.section = ""
		case "EOF":
			r.eof = true
			r.setupEncoding()
			return nil
		case "ENDSEC":
			r.section = ""
		default:
			if t.line == 1 {
				return r.sc.errorf(t.line, "not a DXF file: it starts with %q, not \"0 SECTION\"", clip(t.val))
			}
			return r.sc.errorf(t.line, "%q outside any section", clip(t.val))
		}
	}
}

// eofIn turns io.EOF inside a section into a truncation error.
func (r *Reader) eofIn(err error) error {
	if err == io.EOF {
		return r.sc.errorf(r.sc.line, "file ends inside the %s section (truncated file?)", r.section)
	}
	return err
}

func (r *Reader) skipSection() error {
	for {
		_, typ, err := r.nextInSection()
		if err != nil || typ == "ENDSEC" {
			return err
		}
	}
}

// nextInSection reads up to the next "0" group of the current section and returns it with its type.
func (r *Reader) nextInSection() (tag, string, error) {
	t, typ, err := r.nextZero()
	return t, typ, r.eofIn(err)
}

// nextZero reads up to the next "0" group and returns it with its record type (io.EOF at the end).
func (r *Reader) nextZero() (tag, string, error) {
	for {
		t, err := r.sc.next()
		if err != nil {
			return tag{}, "", err
		}
		if t.code == 0 {
			return t, string(bytes.TrimSpace(t.val)), nil
		}
	}
}

func (r *Reader) readHeader() error {
	var name string
	var fe fieldErr
	for {
		t, err := r.sc.next()
		if err != nil {
			return r.eofIn(err)
		}
		switch t.code {
		case 0:
			if bytes.Equal(bytes.TrimSpace(t.val), []byte("ENDSEC")) {
				return nil
			}
		case 9:
			name = string(bytes.TrimSpace(t.val))
		default:
			switch name {
			case "$ACADVER":
				if t.code == 1 {
					r.hdr.Version = strings.TrimSpace(string(t.val))
				}
			case "$DWGCODEPAGE":
				if t.code == 3 {
					r.hdr.CodePage = strings.TrimSpace(string(t.val))
				}
			case "$INSUNITS":
				if t.code == 70 {
					r.hdr.InsUnits, _ = parseInt(t.val)
				}
			case "$EXTMIN", "$EXTMAX":
				f, ok := parseFloat(t.val)
				if !ok {
					fe.line = t.line
					continue
				}
				p := &r.hdr.ExtMin
				if name == "$EXTMAX" {
					p = &r.hdr.ExtMax
				}
				switch t.code {
				case 10:
					p.X = f
					r.hdr.HasExtents = true
				case 20:
					p.Y = f
				case 30:
					p.Z = f
				}
			}
		}
	}
}

// setupEncoding decides how strings are decoded, once the header (if any) is read.
func (r *Reader) setupEncoding() {
	if r.hdr.Encoding != "" {
		return
	}
	if v := r.hdr.Version; len(v) == 6 && strings.HasPrefix(v, "AC") && v >= "AC1021" {
		r.dec.setUTF8()
		r.hdr.Encoding = "utf-8"
		return
	}
	if enc, ok := CodePage(r.hdr.CodePage); ok && r.hdr.CodePage != "" {
		r.dec.set(enc)
		r.hdr.Encoding = r.hdr.CodePage
		return
	}
	r.hdr.Encoding = "auto"
}

func (r *Reader) readTables() error {
	for {
		t, typ, err := r.nextInSection()
		if err != nil || typ == "ENDSEC" {
			return err
		}
		if err := r.readRecord(typ, t.line); err != nil {
			return err
		}
		if typ == "LAYER" {
			var fe fieldErr
			name := r.dec.str(bytes.TrimSpace(r.rec.raw(2)))
			color := r.rec.int(62, 7, &fe)
			flags := r.rec.int(70, 0, &fe)
			r.layers[name] = Layer{Name: name, Color: color, Linetype: r.dec.str(r.rec.raw(6)), Off: color < 0, Frozen: flags&1 != 0}
		}
	}
}

func (r *Reader) readBlocks() error {
	var cur *block
	for {
		t, typ, err := r.nextInSection()
		if err != nil {
			return err
		}
		switch typ {
		case "ENDSEC":
			return nil
		case "BLOCK":
			if err := r.readRecord(typ, t.line); err != nil {
				return err
			}
			var fe fieldErr
			name := r.dec.str(bytes.TrimSpace(r.rec.raw(2)))
			if name == "" {
				name = r.dec.str(bytes.TrimSpace(r.rec.raw(3)))
			}
			base, _ := r.rec.point(10, &fe)
			cur = &block{name: name, base: base, paper: r.rec.int(67, 0, &fe) == 1 || strings.HasPrefix(strings.ToUpper(name), "*PAPER_SPACE")}
			r.blocks[strings.ToUpper(name)] = cur
		case "ATTDEF":
			if err := r.readRecord(typ, t.line); err != nil {
				return err
			}
			var fe fieldErr
			flags := r.rec.int(70, 0, &fe)
			a, err := r.build(&r.rec)
			if err != nil {
				return err
			}
			if cur != nil && a != nil && a.Text != nil && flags&2 != 0 {
				a.ref = nil
				a.Attribs = []Attrib{{Tag: a.Text.Tag, Value: a.Text.Value, Invisible: flags&1 != 0}}
				cur.consts = append(cur.consts, a)
			}
		case "ENDBLK":
			if err := r.readRecord(typ, t.line); err != nil {
				return err
			}
			cur = nil
		default:
			ents, err := r.readEntity(typ, t.line, true)
			if err != nil {
				return err
			}
			if cur != nil {
				cur.ents = append(cur.ents, ents...)
			}
		}
	}
}

var (
	reEPSGAlias = regexp.MustCompile(`<Alias\s+id="(\d+)"\s+type="CoordinateSystem">\s*<ObjectId>([^<]*)</ObjectId>\s*<Namespace>EPSG Code</Namespace>`)
	reWKTEPSG   = regexp.MustCompile(`AUTHORITY\["EPSG",\s*"?(\d+)"?\]\]\s*$`)
	reCSId      = regexp.MustCompile(`<(?:ProjectedCoordinateSystem|GeographicCoordinateSystem)\s+id="([^"]*)"`)
)

func (r *Reader) readObjects() error {
	for {
		t, typ, err := r.nextInSection()
		if err != nil || typ == "ENDSEC" {
			return err
		}
		if typ != "GEODATA" {
			continue
		}
		if err := r.readRecord(typ, t.line); err != nil {
			return err
		}
		r.geo = parseGeoData(&r.rec)
	}
}

func parseGeoData(rec *record) *GeoData {
	var fe fieldErr
	g := &GeoData{Line: rec.line}
	version := rec.int(90, 2, &fe)
	g.CoordinateType = rec.int(70, 0, &fe)
	g.DesignPoint, _ = rec.point(10, &fe)
	g.ReferencePoint, _ = rec.point(11, &fe)
	g.HorizontalUnitScale = rec.float(40, 1, &fe)
	g.NorthDirection = Vec{0, 1, 0}
	if version > 1 {
		if p, ok := rec.point(12, &fe); ok {
			g.NorthDirection = p
		}
	}
	var def strings.Builder
	for i := range rec.tags {
		if c := rec.tags[i].code; c == 301 || c == 303 {
			def.Write(rec.val(i))
		}
	}
	g.Definition = decodeCarets(def.String())
	if m := reEPSGAlias.FindStringSubmatch(g.Definition); m != nil {
		g.EPSG, _ = strconv.Atoi(m[1])
		g.CRSName = m[2]
	} else if m := reWKTEPSG.FindStringSubmatch(strings.TrimSpace(g.Definition)); m != nil {
		g.EPSG, _ = strconv.Atoi(m[1])
	}
	if g.CRSName == "" {
		if m := reCSId.FindStringSubmatch(g.Definition); m != nil {
			g.CRSName = m[1]
		}
	}
	return g
}

// ScanGeoData finds the GEODATA object of a DXF without parsing its entities (a byte scan; the
// object sits at the end of the file, after the entities). It returns nil when there is none.
func ScanGeoData(rd io.Reader, o Options) (*GeoData, error) {
	const chunk = 4 << 20
	needle := []byte("GEODATA")
	buf := make([]byte, 0, 2*chunk)
	tmp := make([]byte, chunk)
	for {
		n, err := io.ReadFull(rd, tmp)
		buf = append(buf, tmp[:n]...)
		for off := 0; ; {
			i := bytes.Index(buf[off:], needle)
			if i < 0 {
				break
			}
			i += off
			off = i + len(needle)
			// The object's type line: "GEODATA" alone on its line, after a "0" group code line.
			lineEnd := bytes.IndexByte(buf[i:], '\n')
			if lineEnd < 0 && err == nil {
				break // the rest of the line is in the next chunk
			}
			if lineEnd < 0 {
				lineEnd = len(buf) - i
			}
			if len(bytes.TrimSpace(buf[i:i+lineEnd])) != len(needle) {
				continue
			}
			s := bytes.LastIndexByte(buf[:i], '\n')
			if s < 0 {
				continue
			}
			p := bytes.LastIndexByte(buf[:s], '\n')
			if !bytes.Equal(bytes.TrimSpace(buf[p+1:s]), []byte("0")) || len(bytes.TrimSpace(buf[s+1:i])) != 0 {
				continue
			}
			return parseGeoDataFrom(io.MultiReader(bytes.NewReader(buf[i+lineEnd+1:]), rd), o)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// keep a tail so that a type line across two chunks is found
		keep := min(len(buf), 256)
		copy(buf, buf[len(buf)-keep:])
		buf = buf[:keep]
	}
}

// parseGeoDataFrom reads the groups of a GEODATA object (after its "0 GEODATA" line).
func parseGeoDataFrom(in io.Reader, o Options) (*GeoData, error) {
	sc, err := newScanner(in, o.Name)
	if err != nil {
		return nil, err
	}
	var rec record
	rec.reset("GEODATA", 0)
	for {
		t, err := sc.next()
		if err != nil || t.code == 0 {
			break
		}
		rec.add(t)
	}
	return parseGeoData(&rec), nil
}

// readRecord reads the groups of a record up to (not including) the next "0" group.
func (r *Reader) readRecord(typ string, line int) error {
	r.rec.reset(typ, line)
	for {
		t, err := r.sc.next()
		if err != nil {
			if err == io.EOF {
				return r.sc.errorf(r.sc.line, "file ends inside %s record that starts at line %d (truncated file?)", typ, line)
			}
			return err
		}
		if t.code == 0 {
			r.sc.unread(t)
			return nil
		}
		r.rec.add(t)
	}
}

// readEntity reads the entity whose "0 typ" group was at line, with its trailing VERTEX/ATTRIB
// records, and returns what it becomes (none, one, or the entities of an expanded block).
func (r *Reader) readEntity(typ string, line int, inBlock bool) ([]*Entity, error) {
	if err := r.readRecord(typ, line); err != nil {
		return nil, err
	}
	switch typ {
	case "POLYLINE":
		return r.readPolyline(line)
	case "INSERT":
		return r.readInsert(line, inBlock)
	case "SEQEND", "VERTEX":
		return nil, nil // stray: a VERTEX or SEQEND without its POLYLINE or INSERT
	case "ATTDEF":
		return nil, nil // attribute templates of a block: the INSERT's ATTRIBs carry the values
	}
	e, err := r.build(&r.rec)
	if err != nil || e == nil {
		return nil, err
	}
	if typ == "DIMENSION" {
		return r.expandDimension(e, inBlock)
	}
	return []*Entity{e}, nil
}

func (r *Reader) fieldError(fe fieldErr, typ string) error {
	return r.sc.errorf(fe.line, "%s: group %d has the value %q, which is not a number", typ, fe.code, fe.val)
}

// common fills the groups every entity has.
func (r *Reader) common(rec *record, e *Entity, fe *fieldErr) {
	e.Type = rec.typ
	e.Line = rec.line
	e.Color = 256
	for i := range rec.tags {
		switch rec.tags[i].code {
		case 5:
			e.Handle = string(bytes.TrimSpace(rec.val(i)))
		case 8:
			e.Layer = r.dec.str(bytes.TrimSpace(rec.val(i)))
		case 6:
			e.Linetype = r.dec.str(bytes.TrimSpace(rec.val(i)))
		case 62:
			e.Color = rec.intAt(i, fe)
		case 67:
			e.PaperSpace = rec.intAt(i, fe) == 1
		case 39:
			e.Thickness = rec.floatAt(i, fe)
		case 1001:
			e.XData = r.xdata(rec, i, fe)
			return
		}
	}
	if e.Layer == "" {
		e.Layer = "0"
	}
}

// xdata reads extended data starting at the first 1001 group.
func (r *Reader) xdata(rec *record, i int, fe *fieldErr) []XData {
	var out []XData
	for ; i < len(rec.tags); i++ {
		c := rec.tags[i].code
		switch {
		case c == 1001:
			out = append(out, XData{App: r.dec.str(bytes.TrimSpace(rec.val(i)))})
		case len(out) == 0:
		case c == 1000 || c == 1003:
			out[len(out)-1].Values = append(out[len(out)-1].Values, XValue{Code: c, Str: r.dec.str(rec.val(i))})
		case c == 1002 || c == 1004 || c == 1005:
			out[len(out)-1].Values = append(out[len(out)-1].Values, XValue{Code: c, Str: string(rec.val(i))})
		case c >= 1010 && c <= 1013:
			out[len(out)-1].Values = append(out[len(out)-1].Values, XValue{Code: c, Pt: rec.pointAt(i, fe)})
		case c >= 1040 && c <= 1042:
			out[len(out)-1].Values = append(out[len(out)-1].Values, XValue{Code: c, Num: rec.floatAt(i, fe)})
		case c == 1070 || c == 1071:
			out[len(out)-1].Values = append(out[len(out)-1].Values, XValue{Code: c, Num: float64(rec.intAt(i, fe))})
		}
	}
	return out
}

// spline approximates a SPLINE: the NURBS from control points and knots, else its fit points.
func (r *Reader) spline(rec *record, g *Geometry, fe *fieldErr) bool {
	degree := rec.int(71, 3, fe)
	flags := rec.int(70, 0, fe)
	var ctrl, fit []Vec
	var knots, weights []float64
	for i := range rec.tags {
		switch rec.tags[i].code {
		case 10:
			ctrl = append(ctrl, rec.pointAt(i, fe))
		case 11:
			fit = append(fit, rec.pointAt(i, fe))
		case 40:
			knots = append(knots, rec.floatAt(i, fe))
		case 41:
			weights = append(weights, rec.floatAt(i, fe))
		case 1001:
			goto done
		}
	}
done:
	g.Kind = KindLineString
	g.Closed = flags&1 != 0
	if len(ctrl) > degree && appendSpline(g, degree, ctrl, knots, weights) {
		return true
	}
	g.Coords = g.Coords[:0]
	pts := fit
	if len(pts) < 2 {
		pts = ctrl
	}
	if len(pts) < 2 {
		return false
	}
	for _, p := range pts {
		g.add(p)
	}
	return true
}
