package cim

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// sink buffers parsed city objects, transforms their coordinates to EPSG:4490 a batch at a time
// (through spatial/crs, the importers' one CRS path), and writes them through the loader.
type sink struct {
	b       *loader.Batch
	file    string
	opts    Options
	c       crs.CRS // the source CRS, resolved from the options or the file on the first object
	pending []*cityObject
	points  int
	seen    map[string]bool
	counts  map[string]int
	bw, sw  *loader.TableWriter
	ow      *loader.TableWriter
}

// flushPoints is how many coordinates are transformed in one round trip.
const flushPoints = 100_000

func newSink(b *loader.Batch, file string, opts Options) *sink {
	return &sink{
		b: b, file: file, opts: opts, seen: map[string]bool{}, counts: map[string]int{},
		bw: b.Table("building", pgx.Identifier{"cim", "building"}, []string{"gml_id", "parent_gml_id", "class", "name", "function",
			"usage", "roof_type", "measured_height", "storeys_above", "storeys_below", "year_built", "address", "lod", "attributes",
			"geom", "footprint"}),
		sw: b.Table("surface", pgx.Identifier{"cim", "surface"}, []string{"building_gml_id", "gml_id", "kind", "lod", "attributes", "appearance", "geom"}),
		ow: b.Table("city_object", pgx.Identifier{"cim", "city_object"}, []string{"gml_id", "class", "name", "lod", "attributes", "geom"}),
	}
}

var epsgRE = regexp.MustCompile(`(?i)EPSG(?:::?|/0/|/)(\d{4,5})`)

// srsCode turns an srsName or an --srs value into an EPSG code.
func srsCode(s string) (int, bool) {
	if m := epsgRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, true
	}
	// German AdV names (urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH).
	if m := regexp.MustCompile(`ETRS89_UTM(3[1-3])`).FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return 25800 + n, true
	}
	if n, err := strconv.Atoi(s); err == nil && n > 1000 {
		return n, true
	}
	return 0, false
}

// resolveSRID settles the source CRS on the first object: --srs, else the file's srsName, through
// crs.Lookup (the registry, local grids, GCJ-02, and any EPSG code PostGIS knows under the datum
// rule).
func (s *sink) resolveSRID(objSRS string) error {
	if s.c != nil {
		return nil
	}
	name, from := s.opts.SRS, "--srs"
	if name == "" {
		name, from = objSRS, "srsName"
	}
	const fixes = "give the CRS with --srs EPSG:<code>, or --srs local:<grid.yaml> for a local grid with its 4- or 7-parameter transformation"
	if name == "" {
		return spatial.Invalid("srs", "%s declares no coordinate reference system (no srsName or referenceSystem); %s", s.file, fixes)
	}
	if from == "srsName" {
		code, ok := srsCode(name)
		if !ok {
			return spatial.Invalid("srs", "%s: %s %q is not an EPSG code (a local engineering CRS?); %s", s.file, from, name, fixes)
		}
		name = "EPSG:" + strconv.Itoa(code)
	} else if code, ok := srsCode(name); ok {
		name = "EPSG:" + strconv.Itoa(code) // urn:ogc:def:crs:EPSG::2056 on the command line
	}
	c, err := crs.Lookup(name)
	if err != nil {
		return spatial.Invalid("srs", "%s: %s %q: %v", s.file, from, name, err)
	}
	s.c = c
	s.b.SetSourceCRS(c.Code())
	return nil
}

func (s *sink) add(ctx context.Context, o *cityObject) error {
	if err := s.resolveSRID(o.srs); err != nil {
		return err
	}
	if s.seen[o.id] {
		s.b.Reject(loader.Rejection{File: s.file, Line: o.line, Feature: o.id, Class: o.class, Reason: "gml:id used by another object in the file"})
		return nil
	}
	s.seen[o.id] = true
	for _, p := range o.polys {
		if err := s.checkSRS(o, p); err != nil {
			return err
		}
	}
	for _, sf := range o.surfaces {
		for _, p := range sf.polys {
			if err := s.checkSRS(o, p); err != nil {
				return err
			}
		}
	}
	s.pending = append(s.pending, o)
	for _, p := range o.polys {
		s.points += countPoints(p)
	}
	for _, sf := range o.surfaces {
		for _, p := range sf.polys {
			s.points += countPoints(p)
		}
	}
	if s.points >= flushPoints {
		return s.flush(ctx)
	}
	return nil
}

// checkSRS refuses a geometry whose own srsName differs from the file's and names no EPSG code:
// its coordinates cannot be converted (with --srs, every geometry is taken in that CRS).
func (s *sink) checkSRS(o *cityObject, p polygon) error {
	if s.opts.SRS != "" || p.srs == "" || p.srs == o.srs {
		return nil
	}
	if _, ok := srsCode(p.srs); !ok {
		return spatial.Invalid("srs", "%s line %d: %s %s has a geometry in srsName %q, which is no EPSG code (the object is in %q)", s.file, o.line, o.class, o.id, p.srs, o.srs)
	}
	return nil
}

func countPoints(p polygon) int {
	n := 0
	for _, r := range p.rings {
		n += len(r)
	}
	return n
}

// flush transforms the pending objects' coordinates and writes them.
func (s *sink) flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.transform(ctx); err != nil {
		return err
	}
	for _, o := range s.pending {
		if err := s.write(o); err != nil {
			return err
		}
	}
	s.pending, s.points = s.pending[:0], 0
	return nil
}

// transform rewrites every pending coordinate to EPSG:4490 in Go, from the CRS each polygon is in
// (the file's, or its own srsName's where that names another EPSG code), bound to the extent of that
// CRS's points (spatial/crs; a CRS PROJ converts is sampled in PostGIS, so a dry run leaves those
// coordinates as they are). Heights are kept: they are normal heights, which a horizontal grid or
// datum shift does not change.
func (s *sink) transform(ctx context.Context) error {
	groups := map[string][]*[3]float64{}
	crsOf := map[string]crs.CRS{}
	var lookupErr error
	each := func(p polygon) {
		c, err := s.polygonCRS(p)
		if err != nil {
			lookupErr = cmp.Or(lookupErr, err)
			return
		}
		crsOf[c.Code()] = c
		for _, r := range p.rings {
			for i := range r {
				groups[c.Code()] = append(groups[c.Code()], &r[i])
			}
		}
	}
	for _, o := range s.pending {
		for _, p := range o.polys {
			each(p)
		}
		for _, sf := range o.surfaces {
			for _, p := range sf.polys {
				each(p)
			}
		}
	}
	if lookupErr != nil {
		return lookupErr
	}
	codes := slices.Sorted(maps.Keys(groups))
	for _, code := range codes {
		if err := s.transformFrom(ctx, crsOf[code], groups[code]); err != nil {
			return err
		}
	}
	return nil
}

// polygonCRS is the CRS a polygon's coordinates are in: the file's (--srs, or the srsName the import
// settled on), or its own srsName's where it names another EPSG code.
func (s *sink) polygonCRS(p polygon) (crs.CRS, error) {
	if s.opts.SRS != "" || p.srs == "" {
		return s.c, nil
	}
	code, ok := srsCode(p.srs)
	if !ok || fmt.Sprintf("EPSG:%d", code) == s.c.Code() {
		return s.c, nil
	}
	c, err := crs.Lookup(fmt.Sprintf("EPSG:%d", code))
	if err != nil {
		return nil, spatial.Invalid("srs", "%s: a geometry's srsName %q: %v", s.file, p.srs, err)
	}
	return c, nil
}

// transformFrom converts pts from c to EPSG:4490 in place.
func (s *sink) transformFrom(ctx context.Context, c crs.CRS, pts []*[3]float64) error {
	if len(pts) == 0 || c.Code() == crs.StorageCode {
		return nil
	}
	if _, proj := c.(*crs.Proj); proj && s.b.Tx() == nil {
		return nil
	}
	ext := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range pts {
		ext = [4]float64{min(ext[0], p[0]), min(ext[1], p[1]), max(ext[2], p[0]), max(ext[3], p[1])}
	}
	bound, err := s.b.BindCRS(ctx, c, ext)
	if err != nil {
		return spatial.Invalid("srs", "%s: %v", s.file, err)
	}
	for _, p := range pts {
		p[0], p[1] = bound.ToLonLat(p[0], p[1])
	}
	return nil
}

// multiPolygon makes a MultiPolygonZ (SRID 4490) of polygons.
func multiPolygon(polys []polygon) *geom.MultiPolygon {
	mp := geom.NewMultiPolygon(geom.XYZ).SetSRID(4490)
	for _, p := range polys {
		var flat []float64
		var ends []int
		for _, r := range p.rings {
			for _, q := range r {
				flat = append(flat, q[0], q[1], q[2])
			}
			ends = append(ends, len(flat))
		}
		poly := geom.NewPolygonFlat(geom.XYZ, flat, ends)
		_ = mp.Push(poly)
	}
	return mp
}

// footprint is a first 2D outline: the convex hull of every point (the import refines it from the
// ground surfaces in PostGIS once all rows are written).
func footprint(polys []polygon) *geom.MultiPolygon {
	var pts [][2]float64
	for _, p := range polys {
		for _, q := range p.rings[0] {
			pts = append(pts, [2]float64{q[0], q[1]})
		}
	}
	hull := convexHull(pts)
	mp := geom.NewMultiPolygon(geom.XY).SetSRID(4490)
	if len(hull) < 3 {
		return mp
	}
	flat := make([]float64, 0, 2*len(hull)+2)
	for _, q := range hull {
		flat = append(flat, q[0], q[1])
	}
	flat = append(flat, hull[0][0], hull[0][1])
	_ = mp.Push(geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)}))
	return mp
}

func jsonOf(v map[string]any) []byte {
	if len(v) == 0 {
		return []byte("{}")
	}
	b, _ := json.Marshal(v)
	return b
}

func (s *sink) write(o *cityObject) error {
	all := append([]polygon(nil), o.polys...)
	for _, sf := range o.surfaces {
		all = append(all, sf.polys...)
	}
	var lod any
	if o.lod >= 0 {
		lod = o.lod
	}
	if !o.isBuilding() {
		if len(all) == 0 {
			s.b.Warn(fmt.Sprintf("%s: %s %s has no surface geometry up to LoD %d; left out", s.file, o.class, o.id, s.opts.maxLoD()))
			return nil
		}
		g, err := loader.EWKB(multiPolygon(all))
		if err != nil {
			return err
		}
		return s.ow.Add(o.id, o.class, nullable(o.name), lod, jsonOf(o.attrs), g)
	}
	var g, fp []byte
	var err error
	if len(all) > 0 {
		if g, err = loader.EWKB(multiPolygon(all)); err != nil {
			return err
		}
	}
	if fp, err = loader.EWKB(footprint(all)); err != nil {
		return err
	}
	if len(all) == 0 {
		g = nil
	}
	var parent any
	if o.parent != "" {
		parent = o.parent
	}
	if err := s.bw.Add(o.id, parent, o.class, nullable(o.name), nullable(o.function), nullable(o.usage), nullable(o.roofType),
		o.height, o.storeysAbove, o.storeysBelow, o.year, nullable(o.address), lod, jsonOf(o.attrs), nullBytes(g), fp); err != nil {
		return err
	}
	for _, sf := range o.surfaces {
		sg, err := loader.EWKB(multiPolygon(sf.polys))
		if err != nil {
			return err
		}
		var id any
		if sf.id != "" {
			id = sf.id
		}
		var app any
		if sf.appearance != nil {
			app = jsonOf(sf.appearance)
		}
		if err := s.sw.Add(o.id, id, sf.kind, sf.lod, []byte("{}"), app, sg); err != nil {
			return err
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// refineFootprints replaces the convex hulls with the union of each building's ground surfaces
// (or, for a building made of parts, of its parts' footprints).
func refineFootprints(ctx context.Context, b *loader.Batch) error {
	tx := b.Tx()
	if tx == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE cim.building b SET footprint = f.fp
		FROM (SELECT s.building_gml_id AS gml_id,
		             ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(ST_MakeValid(ST_Force2D(s.geom)))), 3)) AS fp
		      FROM cim.surface s WHERE s.dataset_id = $1 AND s.kind = 'GroundSurface'
		      GROUP BY s.building_gml_id) f
		WHERE b.dataset_id = $1 AND b.gml_id = f.gml_id AND NOT ST_IsEmpty(f.fp);
		`, b.DatasetID())
	if err != nil {
		return fmt.Errorf("refining building footprints: %w", err)
	}
	_, err = tx.Exec(ctx, `
		UPDATE cim.building b SET footprint = f.fp
		FROM (SELECT p.parent_gml_id AS gml_id, ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(p.footprint)), 3)) AS fp
		      FROM cim.building p WHERE p.dataset_id = $1 AND p.parent_gml_id IS NOT NULL GROUP BY p.parent_gml_id) f
		WHERE b.dataset_id = $1 AND b.gml_id = f.gml_id AND b.geom IS NULL AND NOT ST_IsEmpty(f.fp)`, b.DatasetID())
	if err != nil {
		return fmt.Errorf("refining building footprints: %w", err)
	}
	return nil
}

// convexHull (Andrew's monotone chain), counter-clockwise, without the closing point.
func convexHull(pts [][2]float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	ps := append([][2]float64(nil), pts...)
	slices.SortFunc(ps, func(a, b [2]float64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	cross := func(o, a, b [2]float64) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	var h [][2]float64
	for _, p := range ps {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}
