package twin

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/twin/glb"
)

// geologySource: the stratum model of every borehole dataset (geology.model, built at import by
// importers/geology) as one solid per stratum between its top and bottom surfaces, clipped to the
// model's cells, and each borehole as a column of cylinders, one per layer, coloured by stratum.
// Each stratum solid and each layer of a column is a feature: a click picks the stratum (code,
// name) or the hole's layer.
type geologySource struct{}

func (geologySource) layers() []string { return []string{"geology.borehole"} }

const (
	kindStratum uint8 = iota
	kindBorehole
)

// stratumKey packs a dataset and a stratum seq into an item id.
func stratumKey(dataset int64, seq int32) int64 { return dataset<<16 | int64(seq) }

const sqlGeologyIndex = `
SELECT 0, (s.dataset_id << 16) | s.seq, ST_XMin(m.footprint), ST_YMin(m.footprint), ST_XMax(m.footprint), ST_YMax(m.footprint),
       m.zmin, m.zmax, 1e9 - s.seq
FROM geology.surface s JOIN geology.model m USING (dataset_id)
UNION ALL
SELECT 1, b.id, ST_XMin(p), ST_YMin(p), ST_XMax(p), ST_YMax(p), coalesce(ST_ZMin(b.trace), b.collar_elev - b.depth), b.collar_elev, b.depth
FROM geology.borehole b, coalesce(b.trace, b.geom) p`

func (geologySource) index(ctx context.Context, db spatial.Querier) ([]item, error) {
	rows, err := db.Query(ctx, sqlGeologyIndex)
	if err != nil {
		return nil, fmt.Errorf("indexing geology: %w", err)
	}
	var items []item
	var it item
	var k int32
	_, err = pgx.ForEachRow(rows, []any{&k, &it.id, &it.box[0], &it.box[1], &it.box[2], &it.box[3], &it.zmin, &it.zmax, &it.weight}, func() error {
		it.kind = uint8(k)
		it.x, it.y = (it.box[0]+it.box[2])/2, (it.box[1]+it.box[3])/2
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing geology: %w", err)
	}
	return items, nil
}

var stratumColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"dataset", "数据集 Dataset", kStr},
	{"code", "地层编号 Stratum code", kStr},
	{"name", "地层名称 Stratum", kStr},
	{"seq", "层序 Order", kInt},
}

var boreLayerColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"hole_no", "钻孔编号 Hole", kStr},
	{"code", "地层编号 Stratum code", kStr},
	{"name", "地层名称 Stratum", kStr},
	{"lithology", "岩性描述 Lithology", kStr},
	{"top_depth", "层顶深度(米) Top depth (m)", kNum},
	{"bottom_depth", "层底深度(米) Bottom depth (m)", kNum},
	{"top_elev", "层顶高程(米) Top elevation (m)", kNum},
	{"bottom_elev", "层底高程(米) Bottom elevation (m)", kNum},
}

// boreholeRadius is the radius of a borehole column (metres): far wider than a real hole, so that
// it shows at the scale of the site.
const boreholeRadius = 0.75

// GeoModel is a stratum model as stored: the grid in the plane of Frame, its surfaces and strata.
type GeoModel struct {
	Dataset   int64
	Name      string
	Frame     *geodesy.Frame
	E0, N0    float64
	Cell      float64
	NX, NY    int
	Inside    []bool
	Ground    []float32
	Strata    []GeoStratum // top to bottom
	Zmin      float64
	Zmax      float64
	lonlat    [][2]float64 // per node, computed on demand
	Footprint []byte
}

// GeoStratum is one stratum of a model with its bottom surface.
type GeoStratum struct {
	Seq    int32
	Code   string
	Name   string
	Color  string
	Bottom []float32
}

// top is the top surface of stratum i: the bottom of the one above, or the ground.
func (m *GeoModel) top(i int) []float32 {
	if i == 0 {
		return m.Ground
	}
	return m.Strata[i-1].Bottom
}

func (m *GeoModel) node(i, j int) int { return j*m.NX + i }

func (m *GeoModel) nodeLonLat(k int) (float64, float64) {
	if m.lonlat == nil {
		m.lonlat = make([][2]float64, m.NX*m.NY)
		for j := range m.NY {
			for i := range m.NX {
				lon, lat, _ := m.Frame.Geodetic([3]float64{m.E0 + float64(i)*m.Cell, m.N0 + float64(j)*m.Cell, 0})
				m.lonlat[m.node(i, j)] = [2]float64{lon, lat}
			}
		}
	}
	return m.lonlat[k][0], m.lonlat[k][1]
}

// LoadGeoModels reads the stratum models of the given datasets (nil: every one).
func LoadGeoModels(ctx context.Context, db spatial.Querier, datasets []int64) ([]*GeoModel, error) {
	rows, err := db.Query(ctx, `
		SELECT m.dataset_id, d.name, m.origin_lon, m.origin_lat, m.e0, m.n0, m.cell, m.nx, m.ny, m.inside, m.ground, m.zmin, m.zmax
		FROM geology.model m JOIN catalog.dataset d ON d.id = m.dataset_id
		WHERE $1::bigint[] IS NULL OR m.dataset_id = ANY($1)
		ORDER BY m.dataset_id`, datasets)
	if err != nil {
		return nil, fmt.Errorf("reading stratum models: %w", err)
	}
	var out []*GeoModel
	byID := map[int64]*GeoModel{}
	for rows.Next() {
		m := &GeoModel{}
		var lon, lat float64
		var nx, ny int32
		if err := rows.Scan(&m.Dataset, &m.Name, &lon, &lat, &m.E0, &m.N0, &m.Cell, &nx, &ny, &m.Inside, &m.Ground, &m.Zmin, &m.Zmax); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading stratum models: %w", err)
		}
		m.NX, m.NY = int(nx), int(ny)
		m.Frame = geodesy.NewFrame(lon, lat, 0)
		out = append(out, m)
		byID[m.Dataset] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading stratum models: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(out))
	for _, m := range out {
		ids = append(ids, m.Dataset)
	}
	rows, err = db.Query(ctx, `
		SELECT s.dataset_id, s.seq, s.code, coalesce(st.name, ''), st.color, s.bottom
		FROM geology.surface s JOIN geology.stratum st ON st.dataset_id = s.dataset_id AND st.code = s.code
		WHERE s.dataset_id = ANY($1) ORDER BY s.dataset_id, s.seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading stratum surfaces: %w", err)
	}
	for rows.Next() {
		var ds int64
		var s GeoStratum
		if err := rows.Scan(&ds, &s.Seq, &s.Code, &s.Name, &s.Color, &s.Bottom); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading stratum surfaces: %w", err)
		}
		byID[ds].Strata = append(byID[ds].Strata, s)
	}
	rows.Close()
	return out, rows.Err()
}

func (geologySource) content(ctx context.Context, db spatial.Querier, items []item, fr *frame, off float64) (*glb.Model, error) {
	order := featureOrder(items)
	strata := newTable("stratum", "地层 Strata", stratumColumns)
	layers := newTable("borehole_layer", "钻孔分层 Borehole layers", boreLayerColumns)
	tile := newTileBuilder()
	mats := map[string]*glb.Material{}
	builder := func(color string, t *tableBuilder) *meshBuilder {
		key := t.t.Class + "/" + color
		m, ok := mats[key]
		if !ok {
			m = &glb.Material{Name: key, BaseColor: hexColor(color), Roughness: 0.9, DoubleSided: true}
			mats[key] = m
		}
		return tile.mesh(m, t)
	}

	want := map[int64]map[int32]bool{}
	for _, it := range items {
		if it.kind == kindStratum {
			ds, seq := it.id>>16, int32(it.id&0xffff)
			if want[ds] == nil {
				want[ds] = map[int32]bool{}
			}
			want[ds][seq] = true
		}
	}
	if len(want) > 0 {
		var ids []int64
		for ds := range want {
			ids = append(ids, ds)
		}
		models, err := LoadGeoModels(ctx, db, ids)
		if err != nil {
			return nil, err
		}
		for _, m := range models {
			for i := range m.Strata {
				s := m.Strata[i]
				if !want[m.Dataset][s.Seq] {
					continue
				}
				tile.later(strata, order[[2]int64{int64(kindStratum), stratumKey(m.Dataset, s.Seq)}], func(fid uint32) {
					strata.setStr("id", fmt.Sprintf("%d/%s", m.Dataset, s.Code))
					strata.setStr("layer", "geology.stratum")
					strata.setStr("dataset", m.Name)
					strata.setStr("code", s.Code)
					strata.setStr("name", s.Name)
					strata.int("seq", &s.Seq)
					stratumSolid(builder(s.Color, strata), m, i, fr, off, fid)
				})
			}
		}
	}

	if ids := idsOf(items, kindBorehole); len(ids) > 0 {
		rows, err := db.Query(ctx, `
			SELECT b.id, b.hole_no, ST_X(b.geom), ST_Y(b.geom), l.id, l.code, coalesce(l.name, st.name), l.lithology,
			       l.top_depth, l.bottom_depth, l.top_elev, l.bottom_elev, coalesce(st.color, '#999999'), ST_AsBinary(l.geom)
			FROM geology.borehole b
			JOIN geology.layer l ON l.dataset_id = b.dataset_id AND l.hole_no = b.hole_no
			LEFT JOIN geology.stratum st ON st.dataset_id = l.dataset_id AND st.code = l.code
			WHERE b.id = ANY($1) ORDER BY b.id, l.seq`, ids)
		if err != nil {
			return nil, fmt.Errorf("reading boreholes: %w", err)
		}
		n := 0
		for rows.Next() {
			var (
				bid, lid               int64
				holeNo, code, color    string
				name, lith             *string
				lon, lat               float64
				top, bot, topE, bottom float64
				path                   []byte
			)
			if err := rows.Scan(&bid, &holeNo, &lon, &lat, &lid, &code, &name, &lith, &top, &bot, &topE, &bottom, &color, &path); err != nil {
				rows.Close()
				return nil, err
			}
			// The layer's stretch of the hole: its path (inclined holes), else straight down.
			line := []float64{lon, lat, topE, lon, lat, bottom}
			if path != nil {
				g, err := wkb.Unmarshal(path)
				if ls, ok := g.(*geom.LineString); err == nil && ok && ls.Layout() == geom.XYZ && ls.NumCoords() >= 2 {
					line = ls.FlatCoords()
				}
			}
			n++
			// Layers of one hole follow it in the tile's order.
			tile.later(layers, order[[2]int64{int64(kindBorehole), bid}]*1000+n, func(fid uint32) {
				layers.id(lid)
				layers.setStr("layer", "geology.borehole")
				layers.setStr("hole_no", holeNo)
				layers.setStr("code", code)
				layers.str("name", name)
				layers.str("lithology", lith)
				layers.num("top_depth", &top)
				layers.num("bottom_depth", &bot)
				layers.num("top_elev", &topE)
				layers.num("bottom_elev", &bottom)
				b := builder(color, layers)
				if len(line) == 6 && line[0] == line[3] && line[1] == line[4] {
					e, nn, u := fr.ENU(lon, lat, bottom+off)
					b.well([3]float64{e, nn, u}, boreholeRadius, topE-bottom, 12, fid)
					return
				}
				e, nn, u := fr.ENU(line[0], line[1], line[2]+off)
				for k := 3; k < len(line); k += 3 {
					e2, n2, u2 := fr.ENU(line[k], line[k+1], line[k+2]+off)
					b.tube([3]float64{e, nn, u}, [3]float64{e2, n2, u2}, boreholeRadius, 12, fid)
					e, nn, u = e2, n2, u2
				}
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading boreholes: %w", err)
		}
	}
	return tile.model(), nil
}

// minThickness: a stratum thinner than this (metres) at every corner of a triangle is pinched out
// there and not drawn.
const minThickness = 0.01

// stratumSolid adds the solid of stratum i of m: its top surface (facing up) and its bottom (facing
// down) as indexed grids with smooth normals, and walls where the model's cells end, wherever it
// has thickness.
func stratumSolid(b *meshBuilder, m *GeoModel, i int, fr *frame, off float64, fid uint32) {
	top, bot := m.top(i), m.Strata[i].Bottom
	thick := func(k int) float64 { return float64(top[k] - bot[k]) }
	inside := func(ci, cj int) bool {
		return ci >= 0 && cj >= 0 && ci < m.NX-1 && cj < m.NY-1 && m.Inside[cj*(m.NX-1)+ci]
	}
	pos := func(k int, z float32) [3]float64 {
		lon, lat := m.nodeLonLat(k)
		e, n, u := fr.ENU(lon, lat, float64(z)+off)
		return [3]float64{e, n, u}
	}
	// normal of surface s at node (ni, nj) by central differences, facing up (sign 1) or down (-1).
	normal := func(s []float32, ni, nj int, sign float64) [3]float64 {
		i0, i1, j0, j1 := max(ni-1, 0), min(ni+1, m.NX-1), max(nj-1, 0), min(nj+1, m.NY-1)
		dzde := float64(s[m.node(i1, nj)]-s[m.node(i0, nj)]) / (float64(i1-i0) * m.Cell)
		dzdn := float64(s[m.node(ni, j1)]-s[m.node(ni, j0)]) / (float64(j1-j0) * m.Cell)
		l := math.Sqrt(dzde*dzde + dzdn*dzdn + 1)
		return [3]float64{-dzde / l * sign, -dzdn / l * sign, 1 / l * sign}
	}
	topIdx, botIdx := map[int]uint32{}, map[int]uint32{}
	vert := func(idx map[int]uint32, s []float32, k int, sign float64) uint32 {
		if v, ok := idx[k]; ok {
			return v
		}
		v := b.vertex(pos(k, s[k]), normal(s, k%m.NX, k/m.NX, sign), fid)
		idx[k] = v
		return v
	}
	flatTri := func(a, c, d [3]float64) {
		n := cross(sub3(c, a), sub3(d, a))
		l := math.Sqrt(dot(n, n))
		if l < 1e-12 {
			return
		}
		n = [3]float64{n[0] / l, n[1] / l, n[2] / l}
		x := b.vertex(a, n, fid)
		b.vertex(c, n, fid)
		b.vertex(d, n, fid)
		b.p.Indices = append(b.p.Indices, x, x+1, x+2)
	}
	for cj := 0; cj < m.NY-1; cj++ {
		for ci := 0; ci < m.NX-1; ci++ {
			if !inside(ci, cj) {
				continue
			}
			k := [4]int{m.node(ci, cj), m.node(ci+1, cj), m.node(ci+1, cj+1), m.node(ci, cj+1)} // counter-clockwise from above
			for _, t := range [2][3]int{{0, 1, 2}, {0, 2, 3}} {
				a, c, d := k[t[0]], k[t[1]], k[t[2]]
				if max(thick(a), thick(c), thick(d)) < minThickness {
					continue
				}
				b.p.Indices = append(b.p.Indices, vert(topIdx, top, a, 1), vert(topIdx, top, c, 1), vert(topIdx, top, d, 1))
				b.p.Indices = append(b.p.Indices, vert(botIdx, bot, a, -1), vert(botIdx, bot, d, -1), vert(botIdx, bot, c, -1))
			}
			// Walls on the cell's edges where the model ends: south, east, north, west.
			for e, nb := range [4][2]int{{ci, cj - 1}, {ci + 1, cj}, {ci, cj + 1}, {ci - 1, cj}} {
				if inside(nb[0], nb[1]) {
					continue
				}
				p, q := k[e], k[(e+1)%4] // counter-clockwise: outward is to the right
				if max(thick(p), thick(q)) < minThickness {
					continue
				}
				pt, qt, pb, qb := pos(p, top[p]), pos(q, top[q]), pos(p, bot[p]), pos(q, bot[q])
				flatTri(pb, qb, qt)
				flatTri(pb, qt, pt)
			}
		}
	}
}
