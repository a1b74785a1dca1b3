// Package geology imports borehole tables (钻孔表 and 分层表) into geology.borehole and
// geology.layer and builds the stratum model from them (geology.model, geology.surface, model.go).
//
// Layouts: the common Chinese survey layout — a hole table (钻孔编号, X northing, Y easting in the
// CJJ 61 convention, 孔口高程, 孔深) and a layer table (钻孔编号, 层顶深度/层底深度 or 层厚, 地层编号,
// 地层名称, 岩性描述) — in CSV (UTF-8 or GBK) or XLSX, as one sheet with the hole columns repeated on
// each layer row, as two sheets of a workbook or as two files of a folder. Other layouts import
// with a column mapping (--map): formation tops per well (a top depth and no base: each layer ends
// at the next top, the last at the hole's depth), collar/geology sheets, columns in English.
//
// Validation, each failure a rejection naming the file, line or row and the hole: a missing hole
// number, coordinates or collar; a hole given twice with different values; a layer of a hole the
// hole table lacks; depths that are not numbers or not increasing (top ≥ bottom); layers of a hole
// that overlap or leave a gap (beyond the tolerance, 0.05 m by default); a bottom below the hole's
// depth; a missing stratum code, or one not in the legend when a legend is given; a hole without
// layers. The import is all or nothing (--max-rejects: a hole with a rejected row is left out
// whole).
package geology

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

const kind = "boreholes"

func takes(_ loader.Source, k string) error {
	if k == kind {
		return nil
	}
	return fmt.Errorf("--as %s cannot be honoured: borehole tables are imported as boreholes (geology.borehole, geology.layer and the stratum model)", k)
}

// CSV is a borehole table in CSV: holes, layers, or both in one sheet.
type CSV struct{}

func (CSV) Name() string                            { return "csv" }
func (CSV) Kind(loader.Source) string               { return kind }
func (CSV) Takes(src loader.Source, k string) error { return takes(src, k) }
func (CSV) Sniff(_ string, head []byte) bool        { return sniffText(head) }
func (CSV) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	m, err := ParseMapping(src.Map)
	if err != nil {
		return err
	}
	t, err := readCSV(src.Path, src.Encoding, m)
	if err != nil {
		return err
	}
	return importTables(ctx, b, src, m, []*table{t})
}

// XLSX is a workbook of borehole tables (a hole sheet and a layer sheet, or one sheet of both).
type XLSX struct{}

func (XLSX) Name() string                            { return "xlsx" }
func (XLSX) Kind(loader.Source) string               { return kind }
func (XLSX) Takes(src loader.Source, k string) error { return takes(src, k) }
func (XLSX) Sniff(path string, head []byte) bool     { return sniffXLSX(path, head) }
func (XLSX) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	m, err := ParseMapping(src.Map)
	if err != nil {
		return err
	}
	ts, err := readXLSX(ctx, src.Path, m, false)
	if err != nil {
		return err
	}
	return importTables(ctx, b, src, m, ts)
}

// Folder is a folder of borehole tables (a hole file and a layer file): one dataset.
type Folder struct{}

func (Folder) Name() string                            { return "boreholes" }
func (Folder) Kind(loader.Source) string               { return kind }
func (Folder) Takes(src loader.Source, k string) error { return takes(src, k) }

// Sniff claims a folder whose data files are all borehole tables (a folder of unrelated files is
// imported file by file).
func (Folder) Sniff(path string, head []byte) bool {
	if head != nil {
		return false
	}
	files := tableFiles(path)
	if len(files) == 0 {
		return false
	}
	entries, _ := os.ReadDir(path)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || slices.Contains(files, filepath.Join(path, name)) {
			continue
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".yaml", ".yml", ".txt", ".md", ".pdf", ".doc", ".docx":
			continue // a legend, a report
		}
		return false
	}
	return true
}

func tableFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		head, err := readHead(p)
		if err != nil {
			continue
		}
		if sniffText(head) || sniffXLSX(p, head) {
			out = append(out, p)
		}
	}
	return out
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := f.Read(head)
	return head[:n], nil
}

func (Folder) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	m, err := ParseMapping(src.Map)
	if err != nil {
		return err
	}
	var ts []*table
	for _, p := range tableFiles(src.Path) {
		head, err := readHead(p)
		if err != nil {
			return err
		}
		if sniffXLSX(p, head) {
			more, err := readXLSX(ctx, p, m, false)
			if err != nil {
				return err
			}
			ts = append(ts, more...)
			continue
		}
		t, err := readCSV(p, src.Encoding, m)
		if err != nil {
			return err
		}
		ts = append(ts, t)
	}
	return importTables(ctx, b, src, m, ts)
}

// hole is a borehole as read and validated.
type hole struct {
	no       string
	ref      string  // where it was first read
	x, y     float64 // as surveyed: X north (or latitude), Y east (or longitude)
	lonlat   bool
	lon, lat float64
	collar   float64
	depth    *float64
	layers   []*layer
	bad      bool
	props    map[string]string
	stations []station
	path     *trace // nil: vertical
}

type layer struct {
	t             *table
	r             row
	top, base     float64
	hasTop        bool
	hasBase       bool
	code, name    string
	lith          string
	order         int // row order in its table
	stratum       int
	props         map[string]string
	fromNextTop   bool
	thicknessOnly bool
}

type importer struct {
	b      *loader.Batch
	src    loader.Source
	m      *Mapping
	tol    float64
	holes  map[string]*hole
	order  []*hole
	legend map[string]Stratum
	// offset is the longitude/latitude e metres east and n north of a hole's collar (grid east and
	// north of a projected CRS, as survey azimuths are given).
	offset func(h *hole, e, n float64) (lon, lat float64)
}

func (im *importer) reject(t *table, r row, holeNo, format string, args ...any) {
	im.b.Reject(loader.Rejection{File: t.where(), Line: r.line, Record: r.record, Feature: holeNo, Class: "borehole",
		Reason: fmt.Sprintf(format, args...)})
}

// num parses a measurement: "1.20", "1.20m", " 1,20 " (decimal comma); "" → nil.
func num(s string) (*float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "m"), "米"))
	if s == "" || s == "-" || s == "/" {
		return nil, nil
	}
	s = strings.Replace(s, ",", ".", 1)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return &v, nil
}

func importTables(ctx context.Context, b *loader.Batch, src loader.Source, m *Mapping, ts []*table) error {
	var holeTs, layerTs, surveyTs []*table
	for _, t := range ts {
		if t.isHoles() {
			holeTs = append(holeTs, t)
		}
		if t.isLayers() {
			layerTs = append(layerTs, t)
		}
		if t.isSurvey() {
			surveyTs = append(surveyTs, t)
		}
	}
	switch {
	case len(holeTs) == 0:
		return fmt.Errorf("%s: no hole table: a table with 钻孔编号 (hole), X (north) and Y (east) or 经度/纬度, and 孔口高程 (collar elevation) is needed; tables seen: %s; give --map for other column names (e.g. hole=HOLE,north=NORT,east=EAST,collar=ELEV)",
			src.Path, tablesSeen(ts, m))
	case len(layerTs) == 0:
		return fmt.Errorf("%s: no layer table: a table with 钻孔编号 (hole), 层底深度 or 层顶深度 (bottom/top depth) and 地层编号 (stratum code) is needed; tables seen: %s; give --map for other column names (e.g. top=DEFR,base=DETO,code=GEOL)",
			src.Path, tablesSeen(ts, m))
	}
	im := &importer{b: b, src: src, m: m, tol: cmp.Or(m.Tolerance, 0.05), holes: map[string]*hole{}, legend: map[string]Stratum{}}
	for _, s := range m.Strata {
		im.legend[s.Code] = s
	}
	if _, ok := im.legend[m.Gaps]; len(im.legend) > 0 && m.Gaps != "" && !ok {
		return fmt.Errorf("--map gaps=%s: %q is not in the legend (%s)", m.Gaps, m.Gaps, legendList(m.Strata))
	}
	for _, t := range holeTs {
		if !t.has(cCollar) {
			return fmt.Errorf("%s: the hole table has no 孔口高程 (collar elevation) column; give --map collar=<column>", t.where())
		}
		im.readHoles(t)
	}
	for _, t := range surveyTs {
		im.readSurvey(t)
	}
	im.traceHoles()
	// Holes that cannot be placed make everything else moot: say so first.
	good := im.good()
	if len(good) > 0 {
		if err := im.place(ctx, good); err != nil {
			return err
		}
	}
	for _, t := range layerTs {
		im.readLayers(t)
	}
	im.checkHoles()
	if n := b.Rejections(); n > b.Options().MaxRejects {
		return nil // Commit refuses, listing them; nothing is written
	}
	if good = im.good(); len(good) == 0 {
		return fmt.Errorf("%s: no borehole left to import", src.Path)
	}
	strata := im.strata(good)
	return im.write(ctx, good, strata)
}

func (im *importer) good() []*hole {
	var out []*hole
	for _, h := range im.order {
		if !h.bad {
			out = append(out, h)
		}
	}
	return out
}

func tablesSeen(ts []*table, m *Mapping) string {
	if len(ts) == 0 {
		return "none"
	}
	var s []string
	for _, t := range ts {
		var keys []string
		for k := range t.cols {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		desc := fmt.Sprintf("%s (recognised: %s", t.where(), strings.Join(keys, ", "))
		if miss := m.missingMapped(t.header, t.cols); len(miss) > 0 {
			desc += "; no column for --map " + strings.Join(miss, ", ")
		}
		s = append(s, desc+")")
	}
	return strings.Join(s, "; ")
}

// readHoles reads the holes of a table; a hole repeated (on each layer row, or in another table)
// must repeat the same values.
func (im *importer) readHoles(t *table) {
	lonlat := !(t.has(cNorth) && t.has(cEast))
	for _, r := range t.rows {
		no := t.get(r, cHole)
		if no == "" {
			im.reject(t, r, "", "钻孔编号 (hole number) is empty")
			continue
		}
		h := &hole{no: no, ref: t.ref(r), lonlat: lonlat, props: map[string]string{}}
		var x, y, collar *float64
		var err error
		if lonlat {
			if y, err = num(t.get(r, cLon)); err == nil {
				x, err = num(t.get(r, cLat))
			}
		} else if x, err = num(t.get(r, cNorth)); err == nil {
			y, err = num(t.get(r, cEast))
		}
		if err != nil || x == nil || y == nil {
			reason := "coordinates are missing"
			if err != nil {
				reason = "coordinate " + err.Error()
			}
			im.reject(t, r, no, "hole %s: %s", no, reason)
			im.markBad(no)
			continue
		}
		h.x, h.y = *x, *y
		if collar, err = num(t.get(r, cCollar)); err != nil || collar == nil {
			reason := "is missing"
			if err != nil {
				reason = err.Error()
			}
			im.reject(t, r, no, "hole %s: 孔口高程 (collar elevation) %s", no, reason)
			im.markBad(no)
			continue
		}
		h.collar = *collar
		if h.depth, err = num(t.get(r, cDepth)); err != nil {
			im.reject(t, r, no, "hole %s: 孔深 (depth) %v", no, err)
			im.markBad(no)
			continue
		}
		if h.depth != nil && *h.depth <= 0 {
			im.reject(t, r, no, "hole %s: 孔深 (depth) %.2f m is not positive", no, *h.depth)
			im.markBad(no)
			continue
		}
		if !t.isLayers() {
			for i, hd := range t.header {
				if !slices.Contains(mappedIdx(t.cols), i) && i < len(r.cells) && strings.TrimSpace(r.cells[i]) != "" && hd != "" {
					h.props[hd] = strings.TrimSpace(r.cells[i])
				}
			}
		}
		if prev, ok := im.holes[no]; ok {
			if prev.bad {
				continue
			}
			if diff := differs(prev, h); diff != "" {
				im.reject(t, r, no, "hole %s: %s differs from %s", no, diff, prev.ref)
				prev.bad = true
			}
			if prev.depth == nil {
				prev.depth = h.depth
			}
			continue
		}
		im.holes[no] = h
		im.order = append(im.order, h)
	}
}

// offsetENU is the longitude/latitude e metres east and n north of a hole's collar given in
// longitude/latitude.
func offsetENU(h *hole, e, n float64) (float64, float64) {
	lon, lat, _ := geodesy.NewFrame(h.lon, h.lat, 0).Geodetic([3]float64{e, n, 0})
	return lon, lat
}

// reach is the offsets from the collar of the hole's stations and of its end (孔深, else the last
// station): where its path can go.
func (h *hole) reach() [][3]float64 {
	if h.path == nil {
		return [][3]float64{{}}
	}
	end := h.path.st[len(h.path.st)-1].md
	if h.depth != nil {
		end = max(end, *h.depth)
	}
	return append(slices.Clone(h.path.pos), h.path.at(end))
}

// elev is the elevation of the hole's path at measured depth md.
func (h *hole) elev(md float64) float64 { return h.collar - h.path.at(md)[2] }

func (im *importer) markBad(no string) {
	if h, ok := im.holes[no]; ok {
		h.bad = true
		return
	}
	h := &hole{no: no, bad: true}
	im.holes[no] = h
	im.order = append(im.order, h)
}

func differs(a, b *hole) string {
	near := func(p, q float64) bool { return math.Abs(p-q) <= 1e-6*max(1, math.Abs(p)) }
	switch {
	case !near(a.x, b.x) || !near(a.y, b.y):
		return fmt.Sprintf("the position (%.3f, %.3f) (given as %.3f, %.3f)", b.x, b.y, a.x, a.y)
	case !near(a.collar, b.collar):
		return fmt.Sprintf("孔口高程 %.3f (given as %.3f)", b.collar, a.collar)
	case a.depth != nil && b.depth != nil && !near(*a.depth, *b.depth):
		return fmt.Sprintf("孔深 %.3f (given as %.3f)", *b.depth, *a.depth)
	}
	return ""
}

func mappedIdx(cols map[string]int) []int {
	out := make([]int, 0, len(cols))
	for _, i := range cols {
		out = append(out, i)
	}
	return out
}

// holeOf is the hole a row of a layer or survey table (what) belongs to; nil, the row rejected,
// when its number is empty or not in the hole table.
func (im *importer) holeOf(t *table, r row, what string) *hole {
	no := t.get(r, cHole)
	if no == "" {
		im.reject(t, r, "", "钻孔编号 (hole number) of the %s is empty", what)
		return nil
	}
	h, ok := im.holes[no]
	if !ok {
		im.reject(t, r, no, "%s of hole %s, which the hole table lacks", what, no)
	}
	return h
}

func (im *importer) readLayers(t *table) {
	for k, r := range t.rows {
		h := im.holeOf(t, r, "layer")
		if h == nil {
			continue
		}
		no := h.no
		l := &layer{t: t, r: r, order: k, code: t.get(r, cCode), name: t.get(r, cName), lith: t.get(r, cLithology), props: map[string]string{}}
		top, err := num(t.get(r, cTop))
		if err != nil {
			im.reject(t, r, no, "hole %s: 层顶深度 (top depth) %v", no, err)
			h.bad = true
			continue
		}
		base, err := num(t.get(r, cBase))
		if err != nil {
			im.reject(t, r, no, "hole %s: 层底深度 (bottom depth) %v", no, err)
			h.bad = true
			continue
		}
		thick, err := num(t.get(r, cThickness))
		if err != nil {
			im.reject(t, r, no, "hole %s: 层厚 (thickness) %v", no, err)
			h.bad = true
			continue
		}
		if top != nil {
			l.top, l.hasTop = *top, true
		}
		if base != nil {
			l.base, l.hasBase = *base, true
		} else if thick != nil && top != nil {
			l.base, l.hasBase = *top+*thick, true
		} else if thick != nil {
			l.thicknessOnly = true
			l.base = *thick
		}
		if !l.hasTop && !l.hasBase && !l.thicknessOnly {
			im.reject(t, r, no, "hole %s: the layer has neither 层顶深度 nor 层底深度 (top or bottom depth)", no)
			h.bad = true
			continue
		}
		if (l.hasTop && l.top < 0) || (l.hasBase && l.base < 0) {
			im.reject(t, r, no, "hole %s: a negative depth (depths are metres below the collar)", no)
			h.bad = true
			continue
		}
		if l.code == "" && l.name == "" && im.m.Unnamed != "" {
			l.code = im.m.Unnamed
		}
		if l.code == "" {
			if l.name == "" {
				im.reject(t, r, no, "hole %s: 地层编号 (stratum code) is empty (--map unnamed=<code> names such layers)", no)
				h.bad = true
				continue
			}
			l.code = l.name
		}
		if len(im.legend) > 0 {
			s, ok := im.legend[l.code]
			if !ok {
				im.reject(t, r, no, "hole %s: 地层编号 %q is not in the legend (%s)", no, l.code, legendList(im.m.Strata))
				h.bad = true
				continue
			}
			if l.name == "" {
				l.name = s.Name
			}
		}
		h.layers = append(h.layers, l)
	}
}

func legendList(ss []Stratum) string {
	var s []string
	for _, st := range ss {
		s = append(s, st.Code)
	}
	return strings.Join(s, ", ")
}

// checkHoles completes each hole's layers (tops from the bottom above, bottoms from the next top)
// and checks them: increasing, contiguous, within the hole.
func (im *importer) checkHoles() {
	for _, h := range im.order {
		if h.bad {
			continue
		}
		if len(h.layers) == 0 {
			im.b.Reject(loader.Rejection{File: strings.SplitN(h.ref, " line ", 2)[0], Feature: h.no, Class: "borehole",
				Reason: fmt.Sprintf("hole %s (%s) has no layers", h.no, h.ref)})
			h.bad = true
			continue
		}
		ls := h.layers
		allTop := !slices.ContainsFunc(ls, func(l *layer) bool { return !l.hasTop })
		allBase := !slices.ContainsFunc(ls, func(l *layer) bool { return !l.hasBase })
		switch {
		case allTop && allBase && !im.m.Tops:
			slices.SortStableFunc(ls, func(a, b *layer) int { return cmp.Compare(a.top, b.top) })
		case allTop && (!allBase || im.m.Tops):
			// Formation tops: each layer ends at the next top, the last at the hole's depth.
			slices.SortStableFunc(ls, func(a, b *layer) int { return cmp.Compare(a.top, b.top) })
			for i, l := range ls {
				l.fromNextTop = true
				if i+1 < len(ls) {
					l.base, l.hasBase = ls[i+1].top, true
				} else if h.depth != nil {
					l.base, l.hasBase = *h.depth, true
				} // else its own 层底深度, if the table gives one
			}
			last := ls[len(ls)-1]
			if !last.hasBase {
				im.reject(last.t, last.r, h.no, "hole %s: the last layer (top %.2f m) has no bottom: give 孔深 (the hole's depth) or 层底深度", h.no, last.top)
				h.bad = true
				continue
			}
			if math.Abs(last.base-last.top) <= im.tol && len(ls) > 1 {
				im.b.Warn(fmt.Sprintf("%s: hole %s reaches %s only at its final depth %.2f m: no thickness to record, left out", last.t.ref(last.r), h.no, last.code, last.top))
				ls = ls[:len(ls)-1]
				h.layers = ls
			}
		case allBase || slices.ContainsFunc(ls, func(l *layer) bool { return l.thicknessOnly }):
			// 层底深度 (or 层厚) only, in the table's order: each layer starts at the bottom above.
			prev := 0.0
			for _, l := range ls {
				if l.thicknessOnly {
					l.base = prev + l.base
					l.hasBase = true
				}
				if !l.hasTop {
					l.top, l.hasTop = prev, true
				}
				prev = l.base
			}
		default:
			l := ls[0]
			im.reject(l.t, l.r, h.no, "hole %s: some layers give 层顶深度 and others not: give top and bottom depths on every layer, or only one of them", h.no)
			h.bad = true
			continue
		}
		if im.m.Gaps != "" {
			ls = im.fillGaps(h, ls)
		}
		for i, l := range ls {
			if l.base <= l.top {
				what := "层底深度 (bottom depth)"
				if l.fromNextTop {
					what = "the next layer's top"
				}
				im.reject(l.t, l.r, h.no, "hole %s: depths not increasing: 层顶深度 %.2f m, %s %.2f m", h.no, l.top, what, l.base)
				h.bad = true
				break
			}
			if i == 0 {
				if l.top > im.tol {
					im.b.Warn(fmt.Sprintf("%s: hole %s: the first layer starts at %.2f m below the collar (the top is not logged)", l.t.ref(l.r), h.no, l.top))
				}
				continue
			}
			p := ls[i-1]
			switch d := l.top - p.base; {
			case d > im.tol:
				im.reject(l.t, l.r, h.no, "hole %s: gap of %.2f m between the layer %s (bottom %.2f m, %s) and this layer %s (top %.2f m)",
					h.no, d, p.code, p.base, p.t.ref(p.r), l.code, l.top)
				h.bad = true
			case d < -im.tol:
				im.reject(l.t, l.r, h.no, "hole %s: this layer %s (top %.2f m) overlaps the layer %s above (bottom %.2f m, %s) by %.2f m",
					h.no, l.code, l.top, p.code, p.base, p.t.ref(p.r), -d)
				h.bad = true
			}
			if h.bad {
				break
			}
		}
		if h.bad {
			continue
		}
		last := ls[len(ls)-1]
		if h.depth == nil {
			d := last.base
			h.depth = &d
		} else if last.base > *h.depth+im.tol {
			im.reject(last.t, last.r, h.no, "hole %s: 层底深度 %.2f m is below the hole's depth 孔深 %.2f m (%s)", h.no, last.base, *h.depth, h.ref)
			h.bad = true
		}
	}
}

// fillGaps puts a layer of the --map gaps code into each interval between a hole's sorted layers
// that the log leaves out (beyond the tolerance), and notes how many; overlaps and depths out of
// order are left to the checks.
func (im *importer) fillGaps(h *hole, ls []*layer) []*layer {
	out := make([]*layer, 0, len(ls))
	filled, metres := 0, 0.0
	for i, l := range ls {
		if i > 0 {
			p := ls[i-1]
			if d := l.top - p.base; d > im.tol && p.base > p.top {
				out = append(out, &layer{t: l.t, r: l.r, top: p.base, base: l.top, hasTop: true, hasBase: true, code: im.m.Gaps, name: im.m.Gaps, order: l.order})
				filled++
				metres += d
			}
		}
		out = append(out, l)
	}
	if filled > 0 {
		im.b.Warn(fmt.Sprintf("hole %s: %d gaps between logged layers (%.2f m in all) taken as %s (--map gaps)", h.no, filled, metres, im.m.Gaps))
	}
	h.layers = out
	return out
}

// place converts the holes' coordinates to longitude/latitude (CGCS2000): --srs, else
// longitude/latitude columns, else refused with the range seen and the likely zone.
func (im *importer) place(ctx context.Context, hs []*hole) error {
	if hs[0].lonlat && im.src.CRS == nil {
		im.b.SetSourceCRS("EPSG:4490")
		for _, h := range hs {
			h.lon, h.lat = h.y, h.x
		}
		im.offset = offsetENU
		return nil
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, h := range hs { // easting y, northing x; an inclined hole's whole path
		for _, o := range h.reach() {
			minX, maxX = min(minX, h.y+o[0]), max(maxX, h.y+o[0])
			minY, maxY = min(minY, h.x+o[1]), max(maxY, h.x+o[1])
		}
	}
	var c crs.CRS
	var err error
	if im.src.CRS != nil {
		if c, err = im.b.BindCRS(ctx, im.src.CRS, [4]float64{minX, minY, maxX, maxY}); err != nil {
			return err
		}
	} else {
		g := crs.GuessZone(minX, minY, maxX, maxY, im.src.HomeLon)
		if len(g.Codes) > 0 && g.Codes[0] == crs.StorageCode {
			im.b.Warn("the holes' coordinates carry no CRS; they are longitude/latitude and were taken as CGCS2000 (EPSG:4490)")
			c = crs.EPSG(4490)
		} else {
			msg := fmt.Sprintf("%s: the holes' coordinates (X north %.3f … %.3f, Y east %.3f … %.3f) carry no CRS and cannot be placed; give --srs", im.src.Path, minY, maxY, minX, maxX)
			if len(g.Codes) > 0 {
				msg += fmt.Sprintf(" (likely %s: %s)", strings.Join(g.Codes, " or "), g.Reason)
			} else {
				msg += " (" + g.Reason + ")"
			}
			if maxY > 1e7 && maxX < 1e7 {
				msg += "; X looks like a zone-prefixed easting: if the table's X is the easting, give --map east=X,north=Y"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	im.b.SetSourceCRS(c.Code())
	if !c.Projected() {
		im.offset = offsetENU
	} else {
		im.offset = func(h *hole, e, n float64) (float64, float64) { return c.ToLonLat(h.y+e, h.x+n) }
	}
	for _, h := range hs {
		h.lon, h.lat = c.ToLonLat(h.y, h.x)
		if math.IsNaN(h.lon+h.lat) || math.Abs(h.lat) > 90 || math.Abs(h.lon) > 180 {
			return fmt.Errorf("%s: hole %s (X %.3f, Y %.3f) is outside %s", h.ref, h.no, h.x, h.y, c.Code())
		}
	}
	return nil
}

// strata orders the stratum codes: the legend's order, else the sequence in the holes (a code that
// lies above another in some hole comes first; ties and contradictions by mean top elevation).
func (im *importer) strata(hs []*hole) []Stratum {
	if len(im.m.Strata) > 0 {
		used := map[string]bool{}
		for _, h := range hs {
			for _, l := range h.layers {
				used[l.code] = true
			}
		}
		var out []Stratum
		for _, s := range im.m.Strata {
			if used[s.Code] {
				out = append(out, s)
			}
		}
		im.setIndex(hs, out)
		return out
	}
	type info struct {
		name   string
		sumTop float64
		n      int
		first  int
	}
	infos := map[string]*info{}
	var codes []string
	above := map[[2]string]bool{}
	for _, h := range hs {
		for i, l := range h.layers {
			in, ok := infos[l.code]
			if !ok {
				in = &info{first: len(codes)}
				infos[l.code] = in
				codes = append(codes, l.code)
			}
			if in.name == "" {
				in.name = l.name
			}
			in.sumTop += h.elev(l.top)
			in.n++
			for _, l2 := range h.layers[i+1:] {
				if l2.code != l.code {
					above[[2]string{l.code, l2.code}] = true
				}
			}
		}
	}
	mean := func(c string) float64 { return infos[c].sumTop / float64(infos[c].n) }
	var out []Stratum
	left := slices.Clone(codes)
	for len(left) > 0 {
		// The candidates nothing remaining lies above; of them (or of all, on a contradiction) the
		// highest on average.
		var cand []string
		for _, c := range left {
			if !slices.ContainsFunc(left, func(o string) bool { return o != c && above[[2]string{o, c}] && !above[[2]string{c, o}] }) {
				cand = append(cand, c)
			}
		}
		if len(cand) == 0 {
			cand = left
		}
		best := slices.MaxFunc(cand, func(a, b string) int {
			return cmp.Or(cmp.Compare(mean(a), mean(b)), cmp.Compare(infos[b].first, infos[a].first))
		})
		out = append(out, Stratum{Code: best, Name: infos[best].name})
		left = slices.DeleteFunc(left, func(c string) bool { return c == best })
	}
	im.setIndex(hs, out)
	return out
}

func (im *importer) setIndex(hs []*hole, ss []Stratum) {
	idx := map[string]int{}
	for i, s := range ss {
		idx[s.Code] = i
	}
	for _, h := range hs {
		for _, l := range h.layers {
			l.stratum = idx[l.code]
		}
	}
}

var (
	boreholeTable = pgx.Identifier{"geology", "borehole"}
	layerTable    = pgx.Identifier{"geology", "layer"}
	stratumTable  = pgx.Identifier{"geology", "stratum"}
)

func (im *importer) write(ctx context.Context, hs []*hole, strata []Stratum) error {
	// The model plane: east-north-up at the holes' centre.
	var lon0, lat0 float64
	for _, h := range hs {
		lon0, lat0 = lon0+h.lon, lat0+h.lat
	}
	lon0, lat0 = lon0/float64(len(hs)), lat0/float64(len(hs))
	fr := geodesy.NewFrame(lon0, lat0, 0)
	mh := make([]Hole, len(hs))
	bw := im.b.Table("borehole", boreholeTable, []string{"hole_no", "x", "y", "collar_elev", "depth", "layers", "inclined", "props", "geom", "trace"})
	lw := im.b.Table("layer", layerTable, []string{"hole_no", "seq", "top_depth", "bottom_depth", "top_elev", "bottom_elev", "code", "name", "lithology", "geom"})
	inclined := 0
	for i, h := range hs {
		e, n, _ := fr.ENU(h.lon, h.lat, 0)
		mh[i] = Hole{E: e, N: n, Collar: h.collar}
		line, err := im.line(h, h.path.points(0, *h.depth, pathStep))
		if err != nil {
			return err
		}
		for k, l := range h.layers {
			seg, err := im.line(h, h.path.points(l.top, l.base, pathStep))
			if err != nil {
				return err
			}
			// The model takes the layer's bottom where the hole crosses it.
			bot := seg.Coord(seg.NumCoords() - 1)
			be, bn, _ := fr.ENU(bot.X(), bot.Y(), 0)
			mh[i].Layers = append(mh[i].Layers, Layer{Stratum: l.stratum, Bottom: bot[2], DE: be - e, DN: bn - n})
			g, err := loader.EWKB(seg)
			if err != nil {
				return err
			}
			if err := lw.Add(h.no, k+1, l.top, l.base, h.elev(l.top), bot[2], l.code, nilIfEmpty(l.name), nilIfEmpty(l.lith), g); err != nil {
				return err
			}
		}
		props, _ := json.Marshal(h.props)
		g, err := loader.EWKB(geom.NewPointFlat(geom.XYZ, []float64{h.lon, h.lat, h.collar}).SetSRID(4490))
		if err != nil {
			return err
		}
		tr, err := loader.EWKB(line)
		if err != nil {
			return err
		}
		if !h.path.vertical() {
			inclined++
		}
		if err := bw.Add(h.no, h.x, h.y, h.collar, *h.depth, len(h.layers), !h.path.vertical(), props, g, tr); err != nil {
			return err
		}
	}
	if inclined > 0 {
		im.b.Warn(fmt.Sprintf("%d inclined holes placed along their surveys (minimum curvature; azimuths from grid north, depths measured along the hole)", inclined))
	}
	sw := im.b.Table("stratum", stratumTable, []string{"seq", "code", "name", "color"})
	for i, s := range strata {
		if err := sw.Add(i+1, s.Code, nilIfEmpty(s.Name), cmp.Or(s.Color, ColorOf(s.Code, s.Name, i))); err != nil {
			return err
		}
	}
	p := Params{Cell: im.m.Cell, Radius: im.m.Radius, Margin: im.m.Margin}
	if p.Cell == 0 && len(hs) == 1 {
		p.Cell = 2
	}
	m := Build(mh, len(strata), p)
	im.b.Warn(fmt.Sprintf("stratum model: %d strata over a grid of %d × %d nodes every %.1f m (%d cells within %.0f m of the holes' hull); detrended IDW, power %.0f, search radius %.0f m",
		len(strata), m.NX, m.NY, m.Cell, countTrue(m.Inside), m.Params.Margin, m.Params.Power, m.Params.Radius))
	tx := im.b.Tx()
	if tx == nil {
		return nil // dry run
	}
	var ring []float64
	for _, q := range append(m.Footprint, m.Footprint[0]) {
		lon, lat, _ := fr.Geodetic([3]float64{q[0], q[1], 0})
		ring = append(ring, lon, lat)
	}
	fp, err := loader.EWKB(geom.NewPolygonFlat(geom.XY, ring, []int{len(ring)}).SetSRID(4490))
	if err != nil {
		return err
	}
	method, _ := json.Marshal(m.Method())
	if _, err := tx.Exec(ctx, `INSERT INTO geology.model (dataset_id, origin_lon, origin_lat, e0, n0, cell, nx, ny, inside, ground, method, footprint, zmin, zmax)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ST_GeomFromEWKB($12), $13, $14)`,
		im.b.DatasetID(), lon0, lat0, m.E0, m.N0, m.Cell, m.NX, m.NY, m.Inside, f32(m.Ground), method, fp, m.Zmin, m.Zmax); err != nil {
		return fmt.Errorf("writing the stratum model: %w", err)
	}
	for i, s := range strata {
		if _, err := tx.Exec(ctx, `INSERT INTO geology.surface (dataset_id, seq, code, bottom) VALUES ($1, $2, $3, $4)`,
			im.b.DatasetID(), i+1, s.Code, f32(m.Bottoms[i])); err != nil {
			return fmt.Errorf("writing the stratum model: %w", err)
		}
	}
	im.b.Count("surface", len(strata))
	return nil
}

// pathStep is the longest piece (metres) of a stored hole path between survey stations.
const pathStep = 5

// line is the path of hole h through offsets from its collar, as a 3D line in CGCS2000 (z the
// elevation).
func (im *importer) line(h *hole, offs [][3]float64) (*geom.LineString, error) {
	flat := make([]float64, 0, 3*len(offs))
	for _, o := range offs {
		lon, lat := h.lon, h.lat
		if o[0] != 0 || o[1] != 0 {
			lon, lat = im.offset(h, o[0], o[1])
		}
		if math.IsNaN(lon + lat) {
			return nil, fmt.Errorf("%s: hole %s: its path %.1f m east and %.1f m north of the collar is outside the coordinates the CRS was bound to (give 孔深, the hole's depth)", h.ref, h.no, o[0], o[1])
		}
		flat = append(flat, lon, lat, h.collar-o[2])
	}
	return geom.NewLineStringFlat(geom.XYZ, flat).SetSRID(4490), nil
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ColorOf is a stratum's default colour (#rrggbb): by the soil or rock its name or code names, as
// engineering geology sections colour them, else from a palette by its order.
func ColorOf(code, name string, i int) string {
	s := name + " " + code
	for _, c := range []struct{ key, color string }{
		{"填土", "#9c6b4e"}, {"耕土", "#7a5c3a"}, {"淤泥", "#5f6b6d"}, {"黏土", "#c8a165"}, {"粘土", "#c8a165"},
		{"粉土", "#e3c98b"}, {"砂", "#f2dc6b"}, {"砾", "#d9a441"}, {"卵石", "#c9883a"}, {"全风化", "#e0a3a3"},
		{"强风化", "#d27a7a"}, {"中风化", "#b85454"}, {"微风化", "#9b3c3c"}, {"花岗", "#c06060"}, {"灰岩", "#8fa8c8"},
		{"泥岩", "#a88a9c"}, {"砂岩", "#d8b07a"},
	} {
		if strings.Contains(s, c.key) {
			return c.color
		}
	}
	palette := []string{"#c8a165", "#e3c98b", "#8fbc8f", "#f2dc6b", "#d27a7a", "#8fa8c8", "#b07aa1", "#7fb3a8", "#d9a441", "#9c6b4e"}
	return palette[i%len(palette)]
}
