package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/vector"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// CSV is a CJJ 61 point or segment table in CSV (GBK or UTF-8).
type CSV struct{}

func (CSV) Name() string                     { return "csv" }
func (CSV) Kind(loader.Source) string        { return "pipeline" }
func (CSV) Sniff(_ string, head []byte) bool { return sniffCSV(head) }
func (CSV) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	t, err := readCSV(src.Path, src.Encoding)
	if err != nil {
		return err
	}
	return importTables(ctx, b, src, []*table{t}, nil)
}

// XLSX is a workbook of CJJ 61 tables (one per sheet).
type XLSX struct{}

func (XLSX) Name() string                        { return "xlsx" }
func (XLSX) Kind(loader.Source) string           { return "pipeline" }
func (XLSX) Sniff(path string, head []byte) bool { return sniffXLSX(path, head) }
func (XLSX) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	ts, err := readXLSX(ctx, src.Path, false)
	if err != nil {
		return err
	}
	return importTables(ctx, b, src, ts, nil)
}

// Shapefile is a shapefile whose attribute table is a CJJ 61 point or segment table.
type Shapefile struct{}

func (Shapefile) Name() string                        { return "shapefile" }
func (Shapefile) Kind(loader.Source) string           { return "pipeline" }
func (Shapefile) Files(path string) []string          { return vector.Sidecars(path) }
func (Shapefile) Sniff(path string, head []byte) bool { return sniffShapefile(path, head) }
func (Shapefile) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	t, o, err := readShapefile(ctx, src.Path, src.Encoding)
	if err != nil {
		return err
	}
	return importTables(ctx, b, src, []*table{t}, o.FileCRS)
}

// Folder is a folder of CJJ 61 tables (points and segments, often one pair per pipe type): one
// dataset.
type Folder struct{}

func (Folder) Name() string              { return "cjj61" }
func (Folder) Kind(loader.Source) string { return "pipeline" }

// Sniff claims a folder in which some file is a CJJ 61 table.
func (Folder) Sniff(path string, head []byte) bool {
	if head != nil {
		return false
	}
	files, _ := tableFiles(path)
	return len(files) > 0
}

func tableFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		head := make([]byte, 4096)
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
		if sniffCSV(head) || sniffXLSX(p, head) || sniffShapefile(p, head) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (Folder) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	files, err := tableFiles(src.Path)
	if err != nil {
		return err
	}
	var ts []*table
	var fileCRS crs.CRS
	for _, p := range files {
		head := make([]byte, 4096)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
		switch {
		case sniffShapefile(p, head):
			t, o, err := readShapefile(ctx, p, src.Encoding)
			if err != nil {
				return err
			}
			if o.FileCRS != nil {
				fileCRS = o.FileCRS
			}
			ts = append(ts, t)
		case sniffXLSX(p, head):
			more, err := readXLSX(ctx, p, false)
			if err != nil {
				return err
			}
			ts = append(ts, more...)
		default:
			t, err := readCSV(p, src.Encoding)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
	}
	return importTables(ctx, b, src, ts, fileCRS)
}

// importTables validates and writes the points of every point table, then the segments.
func importTables(ctx context.Context, b *loader.Batch, src loader.Source, ts []*table, fileCRS crs.CRS) error {
	types, err := loadTypes(ctx, b)
	if err != nil {
		return err
	}
	var pts, segs []*table
	for _, t := range ts {
		if t.kind == "point" {
			pts = append(pts, t)
		} else {
			segs = append(segs, t)
		}
	}
	if len(pts) == 0 {
		return fmt.Errorf("%s: segment tables without a point table: segments join points by 物探点号, so the point table (物探点号, X, Y, 地面高程, 埋深, …) must come along (a folder with both)", src.Path)
	}
	if src.CRS == nil && fileCRS != nil {
		src.CRS = fileCRS
	}
	im := &cjjImport{b: b, src: src, types: types, points: map[string]*point{}, where: map[string]string{}, rejected: map[string]bool{}}
	if err := im.readPoints(ctx, pts); err != nil {
		return err
	}
	if err := im.writePoints(); err != nil {
		return err
	}
	return im.writeSegments(segs)
}

type cjjImport struct {
	b        *loader.Batch
	src      loader.Source
	c        crs.CRS
	types    map[string]pipeType
	order    []*point
	points   map[string]*point
	where    map[string]string // point no → where it was first read
	rejected map[string]bool   // point numbers rejected
}

func (im *cjjImport) reject(t *table, r row, feature, class, format string, args ...any) {
	im.b.Reject(loader.Rejection{File: t.where(), Line: r.line, Record: r.record, Feature: feature, Class: class,
		Reason: fmt.Sprintf(format, args...)})
}

func rowRef(t *table, r row) string {
	if r.line > 0 {
		return fmt.Sprintf("%s line %d", t.where(), r.line)
	}
	return fmt.Sprintf("%s row %d", t.where(), r.record)
}

func (im *cjjImport) readPoints(ctx context.Context, pts []*table) error {
	var xs, ys []float64
	for _, t := range pts {
		_, hasXY := t.cols["x"]
		_, hasY := t.cols["y"]
		_, hasLon := t.cols["lon"]
		for _, r := range t.rows {
			no := t.get(r, "point_no")
			if no == "" {
				im.reject(t, r, "", "point", "物探点号 (point number) is empty")
				continue
			}
			if first, dup := im.where[no]; dup {
				im.reject(t, r, no, "point", "duplicate 物探点号 %s (first at %s)", no, first)
				im.rejected[no] = true
				continue
			}
			im.where[no] = rowRef(t, r)
			typ, ok := resolveType(im.types, t.get(r, "pipe_type"))
			if !ok && t.get(r, "pipe_type") != "" {
				im.reject(t, r, no, "point", "管线类型 %q is not a known type (%s)", t.get(r, "pipe_type"), typeList(im.types))
				im.rejected[no] = true
				continue
			}
			if !ok {
				typ = t.typeOf
			}
			if typ == "" {
				typ, ok = resolveType(im.types, pointPrefix.FindString(no))
				if !ok {
					im.reject(t, r, no, "point", "no 管线类型: neither a column, the file or sheet name, nor the point number's prefix names one (%s)", typeList(im.types))
					im.rejected[no] = true
					continue
				}
			}
			p := &point{no: no, typ: typ, feature: t.get(r, "feature"), appendage: t.get(r, "appendage"),
				cover: t.get(r, "cover_spec"), road: t.get(r, "road_name"), owner: t.get(r, "owner"), props: t.props(r)}
			var e, n *float64
			var err error
			switch {
			case hasXY && hasY:
				if n, err = num(t.get(r, "x")); err == nil {
					e, err = num(t.get(r, "y"))
				}
			case r.x != nil:
				e, n = r.x, r.y
			case hasLon:
				if e, err = num(t.get(r, "lon")); err == nil {
					n, err = num(t.get(r, "lat"))
				}
			}
			if err != nil || e == nil || n == nil {
				reason := "X and Y are missing"
				if err != nil {
					reason = "coordinate " + err.Error()
				}
				im.reject(t, r, no, "point", "%s", reason)
				im.rejected[no] = true
				continue
			}
			p.x, p.y = *n, *e
			if p.ground, err = num(t.get(r, "ground_elev")); err != nil {
				im.reject(t, r, no, "point", "地面高程 (ground elevation) %v", err)
				im.rejected[no] = true
				continue
			}
			if p.ground == nil {
				im.reject(t, r, no, "point", "地面高程 (ground elevation) is missing: the point's 3D position cannot be computed")
				im.rejected[no] = true
				continue
			}
			if p.depth, err = num(t.get(r, "depth")); err == nil {
				p.wellDepth, err = num(t.get(r, "well_depth"))
			}
			if err != nil {
				im.reject(t, r, no, "point", "埋深/井深 %v", err)
				im.rejected[no] = true
				continue
			}
			if reason := implausible("埋深", p.depth, maxDepth); reason != "" {
				im.reject(t, r, no, "point", "%s", reason)
				im.rejected[no] = true
				continue
			}
			if reason := implausible("井深", p.wellDepth, maxWellDepth); reason != "" {
				im.reject(t, r, no, "point", "%s", reason)
				im.rejected[no] = true
				continue
			}
			xs, ys = append(xs, p.y), append(ys, p.x)
			im.order = append(im.order, p)
			im.points[no] = p
		}
	}
	c, err := requireCRS(ctx, im.b, im.src, "the pipe points' coordinates", xs, ys)
	if err != nil {
		return err
	}
	im.c = c
	im.b.SetSourceCRS(c.Code())
	for _, p := range im.order {
		p.lon, p.lat = c.ToLonLat(p.y, p.x) // X northing (or 纬度), Y easting (or 经度)
	}
	return nil
}

func implausible(what string, v *float64, limit float64) string {
	switch {
	case v == nil:
		return ""
	case *v < 0:
		return fmt.Sprintf("%s %.2f m is negative", what, *v)
	case *v > limit:
		return fmt.Sprintf("%s %.2f m is implausible (over %.0f m)", what, *v, limit)
	}
	return ""
}

func typeList(types map[string]pipeType) string {
	var s []string
	for _, t := range types {
		s = append(s, t.code+" "+t.nameZh)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func (im *cjjImport) writePoints() error {
	w := im.b.Table("point", pointTable, pointColumns)
	for _, p := range im.order {
		z := *p.ground
		if p.depth != nil {
			z -= *p.depth
		}
		err := w.Add(p.no, p.typ, strOrNil(p.feature), strOrNil(p.appendage), p.x, p.y, f64OrNil(p.ground), f64OrNil(p.depth),
			f64OrNil(p.wellDepth), strOrNil(p.cover), strOrNil(p.road), strOrNil(p.owner), p.props, pointEWKB(p.lon, p.lat, z))
		if err != nil {
			if ge, ok := err.(*loader.GeometryError); ok {
				im.b.Reject(loader.Rejection{File: im.where[p.no], Feature: p.no, Class: "point",
					Reason: ge.Err.Error() + fmt.Sprintf(" (X %.3f, Y %.3f in %s)", p.x, p.y, im.c.Code())})
				im.rejected[p.no] = true
				delete(im.points, p.no)
				continue
			}
			return err
		}
	}
	return nil
}

func (im *cjjImport) writeSegments(segs []*table) error {
	w := im.b.Table("segment", segmentTable, segmentColumns)
	seen := map[string]string{}
	for _, t := range segs {
		for _, r := range t.rows {
			s, e := t.get(r, "start_no"), t.get(r, "end_no")
			id := s + "→" + e
			if s == "" || e == "" {
				im.reject(t, r, id, "segment", "起点点号 or 终点点号 is empty")
				continue
			}
			sp, ep, reason := im.endpoint(s), im.endpoint(e), ""
			switch {
			case sp == nil:
				reason = im.dangling("起点点号", s)
			case ep == nil:
				reason = im.dangling("终点点号", e)
			case s == e:
				reason = "起点点号 and 终点点号 are the same point"
			}
			if reason != "" {
				im.reject(t, r, id, "segment", "%s", reason)
				continue
			}
			typ, ok := resolveType(im.types, t.get(r, "pipe_type"))
			if !ok {
				if t.get(r, "pipe_type") != "" {
					im.reject(t, r, id, "segment", "管线类型 %q is not a known type (%s)", t.get(r, "pipe_type"), typeList(im.types))
					continue
				}
				typ = cmpOr(t.typeOf, sp.typ)
			}
			key := typ + " " + id
			if first, dup := seen[key]; dup {
				im.reject(t, r, id, "segment", "duplicate segment %s (first at %s)", id, first)
				continue
			}
			ok, err := im.segment(w, t, r, id, typ, sp, ep)
			if err != nil {
				return err
			}
			if ok {
				seen[key] = rowRef(t, r)
			}
		}
	}
	return nil
}

func (im *cjjImport) endpoint(no string) *point { return im.points[no] }

func (im *cjjImport) dangling(col, no string) string {
	if im.rejected[no] {
		return fmt.Sprintf("%s %s refers to a point that was rejected", col, no)
	}
	return fmt.Sprintf("dangling %s %s: no such point in the point table", col, no)
}

// segment validates one segment row and writes it.
func (im *cjjImport) segment(w *loader.TableWriter, t *table, r row, id, typ string, sp, ep *point) (bool, error) {
	pt := im.types[typ]
	var diam, width, height *float64
	if v := t.get(r, "diameter"); v != "" {
		d, ok := parseDiameter(v)
		if !ok {
			if ww, hh, ok2 := parseSection(v); ok2 { // a section written in the diameter column
				width, height = &ww, &hh
			} else {
				im.reject(t, r, id, "segment", "管径 %q is not a diameter in millimetres", v)
				return false, nil
			}
		} else {
			diam = &d
		}
	}
	if v := t.get(r, "section"); v != "" && width == nil {
		ww, hh, ok := parseSection(v)
		if !ok {
			im.reject(t, r, id, "segment", "断面尺寸 %q is not 宽X高 in millimetres (such as 800X600)", v)
			return false, nil
		}
		width, height = &ww, &hh
	}
	if diam == nil && height == nil {
		im.reject(t, r, id, "segment", "missing 管径 (diameter) and 断面尺寸 (section): the pipe's size is unknown")
		return false, nil
	}
	size := 0.0
	if diam != nil {
		size = *diam / 1000
	} else {
		size = *height / 1000
	}
	var ends [2]struct{ depth, elev *float64 }
	for i, side := range []struct {
		p           *point
		depth, elev string
		name        string
	}{{sp, "start_depth", "start_elev", "起点"}, {ep, "end_depth", "end_elev", "终点"}} {
		d, err := num(t.get(r, side.depth))
		if err != nil {
			im.reject(t, r, id, "segment", "%s埋深 %v", side.name, err)
			return false, nil
		}
		el, err := num(t.get(r, side.elev))
		if err != nil {
			im.reject(t, r, id, "segment", "%s高程 %v", side.name, err)
			return false, nil
		}
		if d == nil && el == nil {
			d = side.p.depth
		}
		if reason := implausible(side.name+"埋深", d, maxDepth); reason != "" {
			im.reject(t, r, id, "segment", "%s", reason)
			return false, nil
		}
		if el == nil {
			if d == nil {
				im.reject(t, r, id, "segment", "no %s埋深 or %s高程, and point %s has no 埋深: the pipe's elevation is unknown", side.name, side.name, side.p.no)
				return false, nil
			}
			v := *side.p.ground - *d
			el = &v
		} else if d == nil {
			v := *side.p.ground - *el
			d = &v
			if reason := implausible(side.name+"埋深 (地面高程 − 高程)", d, maxDepth); reason != "" {
				im.reject(t, r, id, "segment", "%s", reason)
				return false, nil
			}
		}
		ends[i].depth, ends[i].elev = d, el
	}
	length := metres(sp.lon, sp.lat, ep.lon, ep.lat)
	if length < minLength {
		im.reject(t, r, id, "segment", "zero-length segment: points %s and %s are at the same position", sp.no, ep.no)
		return false, nil
	}
	flow := t.get(r, "flow_dir")
	if pt.gravity {
		fwd, _ := forward(flow)
		up, down := *ends[0].elev, *ends[1].elev
		if !fwd {
			up, down = down, up
		}
		if down > up+flowSlack {
			im.reject(t, r, id, "segment", "gravity pipe (%s) flows uphill: inner bottom %.3f m upstream, %.3f m downstream (流向 %q)",
				pt.nameZh, up, down, cmpOr(flow, "起点→终点"))
			return false, nil
		}
	}
	half := size / 2
	if pt.elevRef == "bottom" {
		half = -half
	}
	line := geom.NewLineStringFlat(geom.XYZ, []float64{sp.lon, sp.lat, *ends[0].elev - half, ep.lon, ep.lat, *ends[1].elev - half})
	g, err := loader.EWKB(line)
	if err != nil {
		return false, err
	}
	err = w.Add(typ, sp.no, ep.no, f64OrNil(ends[0].depth), f64OrNil(ends[1].depth), f64OrNil(ends[0].elev), f64OrNil(ends[1].elev),
		f64OrNil(diam), f64OrNil(width), f64OrNil(height), strOrNil(t.get(r, "material")), strOrNil(t.get(r, "burial")),
		strOrNil(t.get(r, "pressure")), parseInt(t.get(r, "cables")), parseInt(t.get(r, "holes_total")), parseInt(t.get(r, "holes_used")),
		strOrNil(flow), parseYear(t.get(r, "built_year")), strOrNil(t.get(r, "owner")), strOrNil(t.get(r, "road_name")), t.props(r), g)
	if ge, ok := err.(*loader.GeometryError); ok {
		im.reject(t, r, id, "segment", "%v", ge.Err)
		return false, nil
	}
	return err == nil, err
}
