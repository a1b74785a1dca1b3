package twin

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// A section (剖面) along a polyline: the strata of the stratum models it crosses as polygons in
// (distance along the line, elevation), the ground, the boreholes within a buffer of the line
// projected onto it, and the pipes the line cuts with their elevation and depth. Elevations are
// normal heights, as surveyed.

// Section is the profile along a line.
type Section struct {
	Line      [][2]float64       `json:"line"`     // lon, lat
	Length    float64            `json:"length_m"` // metres along the line
	Buffer    float64            `json:"buffer_m"`
	Strata    []SectionStratum   `json:"strata"`
	Ground    [][][2]float64     `json:"ground"` // runs of (distance, elevation) where a model lies under the line
	Boreholes []SectionBorehole  `json:"boreholes"`
	Pipes     []SectionPipe      `json:"pipes"`
	Legend    []SectionLegendRow `json:"legend"`
}

// SectionStratum is one stratum of one model along the line: polygons of (distance, elevation).
type SectionStratum struct {
	Dataset  string         `json:"dataset"`
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Color    string         `json:"color"`
	Seq      int32          `json:"seq"`
	Polygons [][][2]float64 `json:"polygons"` // each an open ring: the top forward, the bottom back
}

// SectionLegendRow is a stratum as the legend shows it.
type SectionLegendRow struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

// SectionBorehole is a borehole near the line.
type SectionBorehole struct {
	HoleNo   string         `json:"hole_no"`
	Distance float64        `json:"distance_m"` // along the line, where the hole projects onto it
	Offset   float64        `json:"offset_m"`   // from the line
	Collar   float64        `json:"collar_elev"`
	Depth    float64        `json:"depth"`
	Layers   []SectionLayer `json:"layers"`
}

// SectionLayer is a layer of a borehole.
type SectionLayer struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Color       string  `json:"color"`
	TopDepth    float64 `json:"top_depth"`
	BottomDepth float64 `json:"bottom_depth"`
	TopElev     float64 `json:"top_elev"`
	BottomElev  float64 `json:"bottom_elev"`
	// Where the layer's top and bottom project onto the line: the hole's distance, unless it is
	// inclined.
	TopDistance    float64 `json:"top_distance_m"`
	BottomDistance float64 `json:"bottom_distance_m"`
}

// SectionPipe is a pipe the line crosses.
type SectionPipe struct {
	ID         int64    `json:"id"`
	Type       string   `json:"pipe_type"`
	TypeName   string   `json:"type_name"`
	Color      string   `json:"color"`
	Distance   float64  `json:"distance_m"`
	Elevation  float64  `json:"elevation"` // centreline, normal height
	Depth      *float64 `json:"depth"`     // 埋深 at the crossing, from the survey
	DiameterMM *float64 `json:"diameter_mm"`
	Size       float64  `json:"size_m"` // drawn size: diameter or section height
}

// MaxSectionLength bounds a section (metres).
const MaxSectionLength = 50_000

// sectionLine is a polyline in an ENU frame with cumulative distances.
type sectionLine struct {
	fr   *geodesy.Frame
	pts  [][2]float64 // e, n
	cum  []float64
	line [][2]float64
}

func newSectionLine(line [][2]float64) *sectionLine {
	l := &sectionLine{fr: geodesy.NewFrame(line[0][0], line[0][1], 0), line: line}
	for i, p := range line {
		e, n, _ := l.fr.ENU(p[0], p[1], 0)
		l.pts = append(l.pts, [2]float64{e, n})
		if i == 0 {
			l.cum = append(l.cum, 0)
		} else {
			q := l.pts[i-1]
			l.cum = append(l.cum, l.cum[i-1]+math.Hypot(e-q[0], n-q[1]))
		}
	}
	return l
}

func (l *sectionLine) length() float64 { return l.cum[len(l.cum)-1] }

// at is the lon/lat at distance d along the line.
func (l *sectionLine) at(d float64) (lon, lat float64) {
	i := sort.SearchFloat64s(l.cum, d)
	i = max(1, min(i, len(l.cum)-1))
	seg := l.cum[i] - l.cum[i-1]
	t := 0.0
	if seg > 0 {
		t = (d - l.cum[i-1]) / seg
	}
	p, q := l.pts[i-1], l.pts[i]
	lon, lat, _ = l.fr.Geodetic([3]float64{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1]), 0})
	return lon, lat
}

// project is the distance along the line of the point nearest to lon/lat, and the offset from it.
func (l *sectionLine) project(lon, lat float64) (dist, offset float64) {
	e, n, _ := l.fr.ENU(lon, lat, 0)
	offset = math.Inf(1)
	for i := 1; i < len(l.pts); i++ {
		a, b := l.pts[i-1], l.pts[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l2 := dx*dx + dy*dy
		t := 0.0
		if l2 > 0 {
			t = max(0, min(1, ((e-a[0])*dx+(n-a[1])*dy)/l2))
		}
		d := math.Hypot(e-a[0]-t*dx, n-a[1]-t*dy)
		if d < offset {
			offset, dist = d, l.cum[i-1]+t*math.Sqrt(l2)
		}
	}
	return dist, offset
}

// sample interpolates the model's surfaces at lon/lat: ground then each stratum's bottom; ok false
// outside the model's cells.
func (m *GeoModel) sample(lon, lat float64, out []float64) bool {
	e, n, _ := m.Frame.ENU(lon, lat, 0)
	fx, fy := (e-m.E0)/m.Cell, (n-m.N0)/m.Cell
	ci, cj := int(math.Floor(fx)), int(math.Floor(fy))
	if ci < 0 || cj < 0 || ci >= m.NX-1 || cj >= m.NY-1 || !m.Inside[cj*(m.NX-1)+ci] {
		return false
	}
	tx, ty := fx-float64(ci), fy-float64(cj)
	k00, k10, k01, k11 := m.node(ci, cj), m.node(ci+1, cj), m.node(ci, cj+1), m.node(ci+1, cj+1)
	bil := func(s []float32) float64 {
		return float64(s[k00])*(1-tx)*(1-ty) + float64(s[k10])*tx*(1-ty) + float64(s[k01])*(1-tx)*ty + float64(s[k11])*tx*ty
	}
	out[0] = bil(m.Ground)
	for i, s := range m.Strata {
		out[i+1] = bil(s.Bottom)
	}
	return true
}

// Section builds the profile along line (lon/lat vertices) with boreholes within buffer metres.
// Without pipes, the pipelines are left out (for a caller who may not read them).
func (s *Service) Section(ctx context.Context, line [][2]float64, buffer float64, pipes bool) (*Section, error) {
	return BuildSection(ctx, s.pool, line, buffer, pipes)
}

// BuildSection is Section over any querier.
func BuildSection(ctx context.Context, db spatial.Querier, line [][2]float64, buffer float64, pipes bool) (*Section, error) {
	if len(line) < 2 {
		return nil, spatial.Invalid("line", "a section needs at least two points")
	}
	sl := newSectionLine(line)
	if sl.length() <= 0 {
		return nil, spatial.Invalid("line", "the line has no length")
	}
	if sl.length() > MaxSectionLength {
		return nil, spatial.Invalid("line", "the line is %.0f m long; a section is at most %d m", sl.length(), MaxSectionLength)
	}
	sec := &Section{Line: line, Length: sl.length(), Buffer: buffer, Strata: []SectionStratum{}, Ground: [][][2]float64{},
		Boreholes: []SectionBorehole{}, Pipes: []SectionPipe{}, Legend: []SectionLegendRow{}}
	models, err := LoadGeoModels(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range models {
		sectionModel(sec, sl, m)
		for _, st := range m.Strata {
			if !seen[st.Code] {
				seen[st.Code] = true
				sec.Legend = append(sec.Legend, SectionLegendRow{st.Code, st.Name, st.Color})
			}
		}
	}
	if err := sectionBoreholes(ctx, db, sec, sl, buffer); err != nil {
		return nil, err
	}
	if pipes {
		if err := sectionPipes(ctx, db, sec, sl); err != nil {
			return nil, err
		}
	}
	return sec, nil
}

func sectionModel(sec *Section, sl *sectionLine, m *GeoModel) {
	step := max(0.5, min(m.Cell/2, sl.length()/2000))
	n := int(math.Ceil(sl.length()/step)) + 1
	vals := make([]float64, len(m.Strata)+1)
	type col struct {
		d  float64
		zs []float64
	}
	var runs [][]col
	var cur []col
	for i := range n {
		d := min(float64(i)*step, sl.length())
		lon, lat := sl.at(d)
		if !m.sample(lon, lat, vals) {
			if len(cur) > 1 {
				runs = append(runs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, col{d, append([]float64(nil), vals...)})
	}
	if len(cur) > 1 {
		runs = append(runs, cur)
	}
	if len(runs) == 0 {
		return
	}
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	for _, r := range runs {
		var g [][2]float64
		for _, c := range r {
			g = append(g, [2]float64{round(c.d), round(c.zs[0])})
		}
		sec.Ground = append(sec.Ground, g)
	}
	for si, st := range m.Strata {
		ss := SectionStratum{Dataset: m.Name, Code: st.Code, Name: st.Name, Color: st.Color, Seq: st.Seq}
		for _, r := range runs {
			// Sub-runs where the stratum has thickness (it may pinch out along the way).
			start := -1
			flush := func(end int) {
				if start < 0 || end-start < 1 {
					start = -1
					return
				}
				var ring [][2]float64
				for k := start; k <= end; k++ {
					ring = append(ring, [2]float64{round(r[k].d), round(r[k].zs[si])})
				}
				for k := end; k >= start; k-- {
					ring = append(ring, [2]float64{round(r[k].d), round(r[k].zs[si+1])})
				}
				ss.Polygons = append(ss.Polygons, ring)
				start = -1
			}
			for k, c := range r {
				if c.zs[si]-c.zs[si+1] >= minThickness {
					if start < 0 {
						start = max(0, k-1) // from the pinch point
					}
				} else if start >= 0 {
					flush(k)
				}
			}
			flush(len(r) - 1)
		}
		if len(ss.Polygons) > 0 {
			sec.Strata = append(sec.Strata, ss)
		}
	}
}

func sectionBoreholes(ctx context.Context, db spatial.Querier, sec *Section, sl *sectionLine, buffer float64) error {
	if buffer <= 0 {
		return nil
	}
	w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range sl.line {
		w, s, e, n = min(w, p[0]), min(s, p[1]), max(e, p[0]), max(n, p[1])
	}
	dLat := buffer / 110000 * 1.1
	dLon := dLat / math.Max(0.1, math.Cos(sl.line[0][1]*math.Pi/180))
	// A layer's ends are where the hole's path is at its depths (inclined holes), else under the collar.
	rows, err := db.Query(ctx, `
		SELECT b.id, b.hole_no, ST_X(b.geom), ST_Y(b.geom), b.collar_elev, b.depth, l.code, coalesce(l.name, st.name, ''),
		       coalesce(st.color, '#999999'), l.top_depth, l.bottom_depth, l.top_elev, l.bottom_elev,
		       ST_X(coalesce(ST_StartPoint(l.geom), b.geom)), ST_Y(coalesce(ST_StartPoint(l.geom), b.geom)),
		       ST_X(coalesce(ST_EndPoint(l.geom), b.geom)), ST_Y(coalesce(ST_EndPoint(l.geom), b.geom))
		FROM geology.borehole b
		JOIN geology.layer l ON l.dataset_id = b.dataset_id AND l.hole_no = b.hole_no
		LEFT JOIN geology.stratum st ON st.dataset_id = l.dataset_id AND st.code = l.code
		WHERE coalesce(b.trace, b.geom) && ST_MakeEnvelope($1, $2, $3, $4, 4490)
		ORDER BY b.dataset_id, b.hole_no, l.seq`, w-dLon, s-dLat, e+dLon, n+dLat)
	if err != nil {
		return fmt.Errorf("section boreholes: %w", err)
	}
	defer rows.Close()
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	var cur SectionBorehole
	var curID int64
	near := false // some part of the current hole lies within the buffer
	flush := func() {
		if curID != 0 && near {
			sec.Boreholes = append(sec.Boreholes, cur)
		}
	}
	for rows.Next() {
		var id int64
		var no string
		var lon, lat, collar, depth, tlon, tlat, blon, blat float64
		var l SectionLayer
		if err := rows.Scan(&id, &no, &lon, &lat, &collar, &depth, &l.Code, &l.Name, &l.Color, &l.TopDepth, &l.BottomDepth, &l.TopElev, &l.BottomElev,
			&tlon, &tlat, &blon, &blat); err != nil {
			return err
		}
		if id != curID {
			flush()
			curID = id
			d, off := sl.project(lon, lat)
			cur = SectionBorehole{HoleNo: no, Distance: round(d), Offset: round(off), Collar: collar, Depth: depth}
			near = off <= buffer
		}
		d, off := sl.project(tlon, tlat)
		l.TopDistance = round(d)
		near = near || off <= buffer
		d, off = sl.project(blon, blat)
		l.BottomDistance = round(d)
		near = near || off <= buffer
		cur.Layers = append(cur.Layers, l)
	}
	flush()
	sort.SliceStable(sec.Boreholes, func(i, j int) bool { return sec.Boreholes[i].Distance < sec.Boreholes[j].Distance })
	return rows.Err()
}

const sqlSectionPipes = `
WITH l AS (SELECT ST_SetSRID(ST_MakeLine(ARRAY(SELECT ST_MakePoint(x, y) FROM unnest($1::float8[], $2::float8[]) AS u(x, y))), 4490) AS g)
SELECT s.id, s.pipe_type, t.name_zh, t.color, s.diameter_mm, s.width_mm, s.height_mm, s.start_depth, s.end_depth,
       ST_X(c.pt), ST_Y(c.pt), ST_Z(ST_LineInterpolatePoint(s.geom, c.f)), c.f
FROM l, pipeline.segment s
JOIN pipeline.type t ON t.code = s.pipe_type,
LATERAL (SELECT d.geom AS pt, ST_LineLocatePoint(ST_Force2D(s.geom), d.geom) AS f
         FROM ST_Dump(ST_Intersection(ST_Force2D(s.geom), l.g)) d
         WHERE GeometryType(d.geom) = 'POINT') c
WHERE s.geom && l.g AND ST_Intersects(ST_Force2D(s.geom), l.g)
LIMIT 2000`

func sectionPipes(ctx context.Context, db spatial.Querier, sec *Section, sl *sectionLine) error {
	xs, ys := make([]float64, len(sl.line)), make([]float64, len(sl.line))
	for i, p := range sl.line {
		xs[i], ys[i] = p[0], p[1]
	}
	rows, err := db.Query(ctx, sqlSectionPipes, xs, ys)
	if err != nil {
		return fmt.Errorf("section pipes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p SectionPipe
		var width, height, sd, ed *float64
		var lon, lat, f float64
		var z *float64
		if err := rows.Scan(&p.ID, &p.Type, &p.TypeName, &p.Color, &p.DiameterMM, &width, &height, &sd, &ed, &lon, &lat, &z, &f); err != nil {
			return err
		}
		if z == nil {
			continue
		}
		p.Elevation = math.Round(*z*1000) / 1000
		p.Distance, _ = sl.project(lon, lat)
		p.Distance = math.Round(p.Distance*100) / 100
		switch {
		case sd != nil && ed != nil:
			d := math.Round((*sd+f*(*ed-*sd))*1000) / 1000
			p.Depth = &d
		case sd != nil:
			p.Depth = sd
		case ed != nil:
			p.Depth = ed
		}
		p.Size = defaultPipeDiameter / 1000
		if p.DiameterMM != nil && *p.DiameterMM > 0 {
			p.Size = *p.DiameterMM / 1000
		} else if height != nil {
			p.Size = *height / 1000
		}
		sec.Pipes = append(sec.Pipes, p)
	}
	sort.SliceStable(sec.Pipes, func(i, j int) bool { return sec.Pipes[i].Distance < sec.Pipes[j].Distance })
	return rows.Err()
}

// GeoJSON is the section as a GeoJSON FeatureCollection in profile coordinates: x is the distance
// along the line (metres), y the elevation (metres, normal height). Features: stratum (Polygon),
// ground (LineString), borehole_layer (a vertical LineString per layer), pipe (Point).
func (sec *Section) GeoJSON() map[string]any {
	feats := []any{}
	add := func(kind string, g map[string]any, props map[string]any) {
		props["kind"] = kind
		feats = append(feats, map[string]any{"type": "Feature", "geometry": g, "properties": props})
	}
	for _, st := range sec.Strata {
		for _, ring := range st.Polygons {
			closed := append(append([][2]float64{}, ring...), ring[0])
			add("stratum", map[string]any{"type": "Polygon", "coordinates": [][][2]float64{closed}},
				map[string]any{"dataset": st.Dataset, "code": st.Code, "name": st.Name, "color": st.Color, "seq": st.Seq})
		}
	}
	for _, g := range sec.Ground {
		add("ground", map[string]any{"type": "LineString", "coordinates": g}, map[string]any{})
	}
	for _, b := range sec.Boreholes {
		for _, l := range b.Layers {
			add("borehole_layer", map[string]any{"type": "LineString", "coordinates": [][2]float64{{l.TopDistance, l.TopElev}, {l.BottomDistance, l.BottomElev}}},
				map[string]any{"hole_no": b.HoleNo, "offset_m": b.Offset, "collar_elev": b.Collar, "code": l.Code, "name": l.Name, "color": l.Color,
					"top_depth": l.TopDepth, "bottom_depth": l.BottomDepth})
		}
	}
	for _, p := range sec.Pipes {
		add("pipe", map[string]any{"type": "Point", "coordinates": [2]float64{p.Distance, p.Elevation}},
			map[string]any{"id": p.ID, "pipe_type": p.Type, "type_name": p.TypeName, "color": p.Color, "depth": p.Depth, "diameter_mm": p.DiameterMM, "elevation": p.Elevation})
	}
	return map[string]any{
		"type": "FeatureCollection", "features": feats,
		"section": map[string]any{"line": sec.Line, "length_m": sec.Length, "buffer_m": sec.Buffer, "legend": sec.Legend,
			"coordinates": "x: distance along the line (m); y: elevation (m, 1985 national height datum)"},
	}
}
