package dxf

// Entity is one drawing entity in world coordinates.
type Entity struct {
	Type       string // DXF type: LINE, LWPOLYLINE, POLYLINE, ARC, CIRCLE, ELLIPSE, SPLINE, POINT, TEXT, MTEXT, ATTRIB, INSERT, HATCH, SOLID, 3DFACE, ...
	Handle     string
	Layer      string
	Linetype   string
	Color      int  // AutoCAD colour index; 256 = BYLAYER, 0 = BYBLOCK
	Line       int  // line of the file where the entity (or the INSERT it was expanded from) starts
	PaperSpace bool // drawn in paper space (title blocks, frames), not on the map
	Thickness  float64
	// Elevation of 2D polylines (group 38 or the POLYLINE's Z); for other entities the Z of the first
	// vertex.
	Elevation float64
	Geom      Geometry
	Text      *Text    // TEXT, MTEXT, ATTRIB, ATTDEF
	Insert    *Insert  // an INSERT kept as a symbol (see InsertMode)
	Block     string   // the block this entity was expanded from; "" for top-level entities
	Attribs   []Attrib // the ATTRIBs of an INSERT (kept on the symbol, and on entities expanded from it)
	XData     []XData

	ref *insertRef // block reference data, for expansion
}

// Text is the content of a text entity.
type Text struct {
	Value    string  // decoded, formatting codes stripped
	Height   float64 // in drawing units, after block scaling
	Rotation float64 // degrees counter-clockwise from the world X axis
	Style    string
	Tag      string // ATTRIB/ATTDEF tag
}

// Insert is a block reference kept as one symbol.
type Insert struct {
	Block    string
	Scale    Vec
	Rotation float64 // degrees
}

// Attrib is one attribute of a block reference.
type Attrib struct {
	Tag       string
	Value     string
	Invisible bool
}

// XData is the extended data one application attached to an entity (CASS writes its feature code
// as the first string of application "SOUTH").
type XData struct {
	App    string
	Values []XValue
}

// XValue is one extended-data group: Code 1000-1071; strings in Str, reals and integers in Num,
// points (1010-1013) in Pt.
type XValue struct {
	Code int
	Str  string
	Num  float64
	Pt   Vec
}

// XString returns the first string (1000) of application app's extended data, or "".
func (e *Entity) XString(app string) string {
	for i := range e.XData {
		if equalFold(e.XData[i].App, app) {
			for _, v := range e.XData[i].Values {
				if v.Code == 1000 {
					return v.Str
				}
			}
		}
	}
	return ""
}

// Attr returns the value of the attribute with the given tag (case-insensitive) and whether it exists.
func (e *Entity) Attr(tag string) (string, bool) {
	for _, a := range e.Attribs {
		if equalFold(a.Tag, tag) {
			return a.Value, true
		}
	}
	return "", false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Header holds the header variables the reader uses.
type Header struct {
	Version  string // $ACADVER, e.g. AC1009 (R12), AC1015 (R2000), AC1032 (R2018)
	CodePage string // $DWGCODEPAGE, e.g. ANSI_936
	// Encoding is the encoding strings were decoded with: "utf-8" (R2007 and later), the code page's
	// name, or "auto" (no code page: UTF-8 where valid, Windows-1252 otherwise).
	Encoding string
	InsUnits int // $INSUNITS: 0 unitless, 1 inches, 2 feet, 4 mm, 5 cm, 6 metres, ...
	// ExtMin, ExtMax: $EXTMIN/$EXTMAX as written (they may be stale or the 1e20 defaults).
	ExtMin, ExtMax Vec
	HasExtents     bool
}

// UnitsToMetres returns the factor from $INSUNITS to metres, 0 when unitless or unknown.
func UnitsToMetres(insunits int) float64 {
	switch insunits {
	case 1:
		return 0.0254
	case 2:
		return 0.3048
	case 3:
		return 1609.344
	case 4:
		return 0.001
	case 5:
		return 0.01
	case 6:
		return 1
	case 7:
		return 1000
	case 8:
		return 0.0254e-6
	case 9:
		return 0.0254e-3
	case 10:
		return 0.9144
	case 14:
		return 0.1
	case 15:
		return 10
	case 16:
		return 100
	}
	return 0
}

// GeoData is the geolocation a GEODATA object gives the model space (AutoCAD's geographic location).
type GeoData struct {
	Line                int
	CoordinateType      int     // 0 unknown, 1 local grid, 2 projected grid, 3 geographic
	DesignPoint         Vec     // in drawing units (WCS)
	ReferencePoint      Vec     // in the CRS
	NorthDirection      Vec     // 2D vector of north in the drawing
	HorizontalUnitScale float64 // drawing units → CRS units
	EPSG                int     // from the CRS definition's EPSG alias, 0 when none
	CRSName             string  // the coordinate system's id in the definition
	Definition          string  // the CRS definition (XML)
}

// Transform maps a WCS point of the drawing to CRS coordinates (local-grid geolocation: translate,
// scale, rotate so that NorthDirection points up).
func (g *GeoData) Transform(p Vec) (x, y float64) {
	s := g.HorizontalUnitScale
	if s == 0 {
		s = 1
	}
	theta := piHalf - atan2(g.NorthDirection.Y, g.NorthDirection.X)
	if g.NorthDirection.X == 0 && g.NorthDirection.Y == 0 {
		theta = 0
	}
	dx, dy := (p.X-g.DesignPoint.X)*s, (p.Y-g.DesignPoint.Y)*s
	c, sn := cos(theta), sin(theta)
	return g.ReferencePoint.X + c*dx - sn*dy, g.ReferencePoint.Y + sn*dx + c*dy
}
