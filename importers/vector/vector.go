// Package vector imports Shapefile, GeoPackage and GeoJSON through GDAL (ogrinfo for the layers,
// their fields, counts and CRS; ogr2ogr streaming GeoJSON without reprojection for the features).
// Yitu converts the coordinates itself (spatial/crs: GCJ-02 and local grids are beyond GDAL) and
// decides the text encoding of shapefiles itself (see dbf.go). Boundaries and other vector data become
// reference layers: one table per layer in schema reference with the source's own attribute columns
// (Chinese names kept), registered in catalog.layer with theme reference; --as basemap maps them onto
// the base map's feature classes instead.
package vector

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// Shapefile is the ESRI Shapefile format (.shp with .shx, .dbf, .prj, .cpg).
type Shapefile struct{}

func (Shapefile) Name() string { return "shapefile" }

// Sniff recognises the .shp file code 9994; given a .dbf or .shx whose .shp exists, it takes that.
func (Shapefile) Sniff(path string, head []byte) bool {
	return len(head) >= 100 && head[0] == 0 && head[1] == 0 && head[2] == 0x27 && head[3] == 0x0a &&
		!strings.EqualFold(filepath.Ext(path), ".shx")
}

// Files are the .shp and its sidecars.
func (Shapefile) Files(path string) []string { return Sidecars(path) }

// Sidecars lists a shapefile's files that exist.
func Sidecars(path string) []string {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	var out []string
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg", ".SHP", ".SHX", ".DBF", ".PRJ", ".CPG"} {
		if _, err := os.Stat(base + ext); err == nil {
			out = append(out, base+ext)
		}
	}
	return out
}

// sidecar returns the path of a shapefile's sidecar with extension ext (either case), "" if none.
func sidecar(path, ext string) string {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for _, e := range []string{strings.ToLower(ext), strings.ToUpper(ext)} {
		if _, err := os.Stat(base + e); err == nil {
			return base + e
		}
	}
	return ""
}

func (Shapefile) Kind(src loader.Source) string { return kindOf(src) }

// BuildingHeights: the vector formats take --height-attr and --floors-attr.
func (Shapefile) BuildingHeights()  {}
func (GeoPackage) BuildingHeights() {}
func (GeoJSON) BuildingHeights()    {}

func (Shapefile) Takes(src loader.Source, kind string) error { return takes("a shapefile", src, kind) }
func (GeoPackage) Takes(src loader.Source, kind string) error {
	return takes("a GeoPackage", src, kind)
}
func (GeoJSON) Takes(src loader.Source, kind string) error { return takes("a GeoJSON file", src, kind) }

// takes says why a vector source cannot be imported as kind: its features become reference layers
// (reference, boundary) or base map classes (basemap), never pipelines, which are CJJ 61 tables.
func takes(what string, src loader.Source, kind string) error {
	switch kind {
	case "reference", "boundary":
		if src.HeightAttr != "" || src.FloorsAttr != "" {
			return fmt.Errorf("--as %s keeps every feature of %s in a reference layer, where no building is extruded in 3D; "+
				"--height-attr and --floors-attr are for buildings: drop --as (building polygons go to basemap.building, the rest to the reference layer) or use --as basemap", kind, what)
		}
		return nil
	case "basemap":
		return nil
	case "pipeline":
		return fmt.Errorf("--as pipeline: %s is not a pipeline table. Pipelines are CJJ 61 point and segment tables "+
			"(物探点号, 起点点号/终点点号, 管径, 材质…) in CSV, XLSX or a shapefile's attributes, or an EPANET .inp; "+
			"lines without them have no pipe type, diameter or wells to make pipeline.segment and pipeline.point of. "+
			"Import it without --as (a reference layer), or as CJJ 61 tables", what)
	}
	return fmt.Errorf("--as %s: %s becomes a reference layer or, with --as basemap, base map classes", kind, what)
}

func kindOf(src loader.Source) string {
	if src.As != "" {
		return src.As
	}
	return "reference"
}

// Import reads the shapefile through GDAL with the encoding Yitu decided and the CRS of its .prj.
func (Shapefile) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	o, err := OpenShapefile(src)
	if err != nil {
		return err
	}
	return importLayers(ctx, b, src, o)
}

// Opened is a source ready for GDAL: open options, the CRS it declares, and what the importer
// should tell the report.
type Opened struct {
	Path        string
	OpenOptions []string
	FileCRS     crs.CRS // from the .prj or the layer; nil if none
	FileCRSErr  error   // a declared CRS Yitu cannot convert
	Notes       []string
}

// OpenShapefile checks a shapefile (truncation, encoding) and reads its .prj.
func OpenShapefile(src loader.Source) (*Opened, error) {
	path := src.Path
	if err := checkSHP(path); err != nil {
		return nil, err
	}
	o := &Opened{Path: path}
	dbfPath := sidecar(path, ".dbf")
	if dbfPath == "" {
		return nil, fmt.Errorf("%s has no .dbf beside it", path)
	}
	d, err := readDBF(dbfPath)
	if err != nil {
		return nil, err
	}
	var cpg string
	if p := sidecar(path, ".cpg"); p != "" {
		b, _ := os.ReadFile(p)
		cpg = string(b)
	}
	enc, how, err := decideEncoding(d, src.Encoding, cpg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dbfPath, err)
	}
	gdalEnc := "UTF-8"
	if enc == "gbk" {
		gdalEnc = "GB18030" // a superset of GBK (CP936): decodes both
	}
	o.OpenOptions = []string{"ENCODING=" + gdalEnc}
	o.Notes = append(o.Notes, fmt.Sprintf("attribute text read as %s (%s)", strings.ToUpper(enc), how))
	if p := sidecar(path, ".prj"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		o.FileCRS, o.FileCRSErr = crs.FromWKT(string(b))
	}
	return o, nil
}

// GeoPackage is the OGC GeoPackage format (SQLite).
type GeoPackage struct{}

func (GeoPackage) Name() string                  { return "gpkg" }
func (GeoPackage) Kind(src loader.Source) string { return kindOf(src) }
func (GeoPackage) Sniff(_ string, head []byte) bool {
	if len(head) < 72 || !bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return false
	}
	id := string(head[68:72]) // application_id
	return id == "GPKG" || id == "GP10" || id == "GP11"
}
func (GeoPackage) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return importLayers(ctx, b, src, &Opened{Path: src.Path})
}

// GeoJSON is RFC 7946 GeoJSON (a FeatureCollection, a Feature or a geometry).
type GeoJSON struct{}

func (GeoJSON) Name() string                  { return "geojson" }
func (GeoJSON) Kind(src loader.Source) string { return kindOf(src) }

var geojsonType = regexp.MustCompile(`"type"\s*:\s*"(FeatureCollection|Feature|Point|LineString|Polygon|MultiPoint|MultiLineString|MultiPolygon|GeometryCollection)"`)

func (GeoJSON) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff\xef\xbb\xbf")
	return len(t) > 0 && t[0] == '{' && geojsonType.Match(head)
}
func (GeoJSON) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return importLayers(ctx, b, src, &Opened{Path: src.Path})
}

// LayerCRS decides the CRS of a layer: --srs, else what the file declares, else (coordinates that
// are longitude/latitude) CGCS2000 with a warning, else a refusal that shows the range and the likely
// zone.
func LayerCRS(b *loader.Batch, src loader.Source, o *Opened, l Layer, extent [4]float64) (crs.CRS, error) {
	file, fileErr := o.FileCRS, o.FileCRSErr
	if file == nil && fileErr == nil && l.WKT != "" {
		file, fileErr = crs.FromWKT(l.WKT)
	}
	switch {
	case src.CRS != nil:
		if file != nil && file.Code() != src.CRS.Code() {
			b.Warn(fmt.Sprintf("layer %s declares %s; --srs %s overrides it", l.Name, file.Code(), src.CRS.Code()))
		}
		return src.CRS, nil
	case file != nil:
		return file, nil
	case fileErr != nil:
		return nil, fmt.Errorf("layer %s: %w", l.Name, fileErr)
	}
	g := crs.GuessZone(extent[0], extent[1], extent[2], extent[3], src.HomeLon)
	if len(g.Codes) > 0 && g.Codes[0] == crs.StorageCode {
		b.Warn(fmt.Sprintf("layer %s declares no CRS; its coordinates are longitude/latitude and were taken as CGCS2000 (EPSG:4490). "+
			"If they come from a Chinese web map (AMap, Tencent), import again with --srs gcj02", l.Name))
		return crs.EPSG(4490), nil
	}
	msg := fmt.Sprintf("layer %s declares no CRS (no .prj) and its coordinates are not longitude/latitude: %s", l.Name, g.Reason)
	if len(g.Codes) > 0 {
		msg += fmt.Sprintf("; give --srs (likely %s)", strings.Join(g.Codes, " or "))
	} else {
		msg += "; give --srs"
	}
	return nil, fmt.Errorf("%s", msg)
}

func importLayers(ctx context.Context, b *loader.Batch, src loader.Source, o *Opened) error {
	layers, err := Info(ctx, o.Path, o.OpenOptions...)
	if err != nil {
		return err
	}
	if len(layers) == 0 {
		return fmt.Errorf("%s has no layers", o.Path)
	}
	for _, n := range o.Notes {
		b.Warn(n)
	}
	var st importState
	for _, l := range layers {
		if err := importLayer(ctx, b, src, o, l, len(layers) > 1, &st); err != nil {
			return err
		}
	}
	if src.As == "" && st.buildings && !st.reference {
		b.SetKind("basemap") // every feature went to the base map's buildings
	}
	var fields []string
	for _, l := range layers {
		for _, f := range l.Fields {
			fields = append(fields, f.Name)
		}
	}
	if src.HeightAttr != "" && !st.heightAttr && !src.InFolder {
		return fmt.Errorf("%s: --height-attr %q: no layer has that attribute (its attributes: %s)", o.Path, src.HeightAttr, strings.Join(fields, ", "))
	}
	if src.FloorsAttr != "" && !st.floorsAttr && !src.InFolder {
		return fmt.Errorf("%s: --floors-attr %q: no layer has that attribute (its attributes: %s)", o.Path, src.FloorsAttr, strings.Join(fields, ", "))
	}
	return nil
}

// importState is what the layers of one import found.
type importState struct {
	buildings              bool // a layer's polygons may be buildings
	reference              bool // a layer wrote a reference table
	heightAttr, floorsAttr bool // a layer has the attribute --height-attr, --floors-attr names
}

func importLayer(ctx context.Context, b *loader.Batch, src loader.Source, o *Opened, l Layer, multi bool, st *importState) error {
	c, err := LayerCRS(b, src, o, l, l.Extent)
	if err != nil {
		return err
	}
	b.SetSourceCRS(c.Code())
	if l.Count != 0 {
		if c, err = b.BindCRS(ctx, c, l.Extent); err != nil {
			return fmt.Errorf("layer %s: %w", l.Name, err)
		}
	}
	kind := kindOf(src)
	attrs := layerBuildingAttrs(l, src)
	var w writer
	switch {
	case kind == "basemap":
		w = newBasemapWriter(b, l, attrs)
	case src.As == "" && attrs.any() && l.Geometry != "None":
		w = &routeWriter{ctx: ctx, b: b, l: l, multi: multi, bw: newBuildingWriter(b, l.Name, attrs)}
	default:
		w, err = newReferenceWriter(ctx, b, l, multi)
		if err != nil {
			return err
		}
	}
	if _, ok := w.(*referenceWriter); !ok && attrs.any() {
		st.buildings = true
	}
	st.heightAttr = st.heightAttr || attrs.height != "" && src.HeightAttr != ""
	st.floorsAttr = st.floorsAttr || attrs.floors != "" && src.FloorsAttr != ""
	is3D := strings.HasPrefix(l.Geometry, "3D ") && !attrs.any()
	n := 0
	var buf []byte
	err = Read(ctx, o.Path, l.Name, o.OpenOptions, func(i int, f Feature) error {
		n++
		rec := i + 1
		if f.GeomErr != nil {
			b.Reject(loader.Rejection{File: o.Path, Record: rec, Class: l.Name, Reason: "geometry: " + f.GeomErr.Error()})
			return nil
		}
		var ewkb []byte
		if f.Geometry != nil {
			g := prepare(f.Geometry, c, is3D && kind != "basemap")
			f.Geometry = g
			var err error
			if buf, err = loader.AppendEWKB(buf[:0], g); err != nil {
				b.Reject(loader.Rejection{File: o.Path, Record: rec, Class: l.Name, Reason: err.Error()})
				return nil
			}
			ewkb = slices.Clone(buf)
		}
		reason, err := w.add(rec, f, ewkb)
		if err != nil {
			return err
		}
		if reason != "" {
			b.Reject(loader.Rejection{File: o.Path, Record: rec, Class: l.Name, Feature: featureID(f, l), Reason: reason})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n != l.Count && l.Count >= 0 {
		return fmt.Errorf("%s layer %s: GDAL read %d features but counts %d; the file is damaged", o.Path, l.Name, n, l.Count)
	}
	if r, ok := w.(*routeWriter); ok && r.ref != nil {
		st.reference = true
	} else if _, ok := w.(*referenceWriter); ok {
		st.reference = true
	}
	return w.finish(ctx)
}

func featureID(f Feature, l Layer) string {
	if l.FID != "" {
		if v, ok := f.Properties[l.FID]; ok {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// prepare converts a geometry to CGCS2000 lon/lat, drops Z unless kept, and promotes polygons and
// lines to their multi types (shapefiles mix them in one layer).
func prepare(g geom.T, c crs.CRS, keepZ bool) geom.T {
	if !keepZ && g.Layout() != geom.XY {
		g = flatten(g)
	}
	crs.Transform(g, c)
	switch t := g.(type) {
	case *geom.Polygon:
		mp := geom.NewMultiPolygon(t.Layout())
		_ = mp.Push(t)
		return mp
	case *geom.LineString:
		ml := geom.NewMultiLineString(t.Layout())
		_ = ml.Push(t)
		return ml
	}
	return g
}

// flatten returns g with XY coordinates only.
func flatten(g geom.T) geom.T {
	stride := g.Stride()
	flat := g.FlatCoords()
	xy := make([]float64, 0, len(flat)/stride*2)
	for i := 0; i+1 < len(flat); i += stride {
		xy = append(xy, flat[i], flat[i+1])
	}
	scale := func(ends []int) []int {
		out := make([]int, len(ends))
		for i, e := range ends {
			out[i] = e / stride * 2
		}
		return out
	}
	switch t := g.(type) {
	case *geom.Point:
		if t.Empty() {
			return geom.NewPointEmpty(geom.XY)
		}
		return geom.NewPointFlat(geom.XY, xy)
	case *geom.LineString:
		return geom.NewLineStringFlat(geom.XY, xy)
	case *geom.Polygon:
		return geom.NewPolygonFlat(geom.XY, xy, scale(t.Ends()))
	case *geom.MultiPoint:
		return geom.NewMultiPointFlat(geom.XY, xy)
	case *geom.MultiLineString:
		return geom.NewMultiLineStringFlat(geom.XY, xy, scale(t.Ends()))
	case *geom.MultiPolygon:
		var endss [][]int
		for _, e := range t.Endss() {
			endss = append(endss, scale(e))
		}
		return geom.NewMultiPolygonFlat(geom.XY, xy, endss)
	case *geom.GeometryCollection:
		gc := geom.NewGeometryCollection()
		for _, c := range t.Geoms() {
			_ = gc.Push(flatten(c))
		}
		return gc
	}
	return g
}

// writer writes one layer's features.
type writer interface {
	add(rec int, f Feature, ewkb []byte) (reject string, err error)
	finish(ctx context.Context) error
}

// slug makes a table name from a name: lower-case ASCII letters, digits and _, else a stable hash.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' || len(s) < len([]rune(name))/2 {
		sum := sha1.Sum([]byte(name))
		prefix := s
		if prefix == "" || prefix[0] < 'a' || prefix[0] > 'z' {
			prefix = "d"
		}
		s = prefix + "_" + hex.EncodeToString(sum[:4])
	}
	if len(s) > 50 {
		s = s[:50]
	}
	return s
}

// jsonValue turns a GeoJSON property into a Go value for a column of the given OGR type; ok is false
// when it does not fit.
func jsonValue(v any, ogrType string) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch ogrType {
	case "Integer", "Integer64":
		switch t := v.(type) {
		case json.Number:
			n, err := t.Int64()
			if err != nil {
				f, ferr := t.Float64()
				if ferr != nil || f != float64(int64(f)) {
					return nil, false
				}
				n = int64(f)
			}
			if ogrType == "Integer" {
				if n != int64(int32(n)) {
					return nil, false
				}
				return int32(n), true
			}
			return n, true
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
			return n, err == nil
		}
		return nil, false
	case "Real":
		switch t := v.(type) {
		case json.Number:
			f, err := t.Float64()
			return f, err == nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
			return f, err == nil
		}
		return nil, false
	case "Integer(Boolean)":
		switch t := v.(type) {
		case bool:
			return t, true
		case json.Number:
			return t.String() != "0", true
		}
		return nil, false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	default:
		b, _ := json.Marshal(t)
		return string(b), true
	}
}

// ident is a schema-qualified identifier as catalog.dataset.owned_tables records it.
func ident(schema, table string) pgx.Identifier { return pgx.Identifier{schema, table} }
