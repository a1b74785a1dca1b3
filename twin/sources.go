package twin

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin/glb"
)

//go:embed sql/*.sql
var sqlFS embed.FS

func mustSQL(name string) string {
	b, err := sqlFS.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Static SQL, read once.
var (
	sqlBasemapIndex   = mustSQL("basemap_building_index")
	sqlBasemapContent = mustSQL("basemap_building_content")
	sqlCIMIndex       = mustSQL("cim_building_index")
	sqlCIMContent     = mustSQL("cim_building_content")
	sqlObjectIndex    = mustSQL("cim_object_index")
	sqlObjectContent  = mustSQL("cim_object_content")
	sqlPipeIndex      = mustSQL("pipe_index")
	sqlSegmentContent = mustSQL("pipe_segment_content")
	sqlWellContent    = mustSQL("pipe_well_content")
)

// source is what one quadtree tileset shows: it lists its features for the tiling and builds the
// glb of a tile's features.
type source interface {
	// layers are the catalog layers whose changes make the tileset stale.
	layers() []string
	index(ctx context.Context, db spatial.Querier) ([]item, error)
	// content builds the meshes of items (all of one tile) in the frame fr; off is the height offset.
	content(ctx context.Context, db spatial.Querier, items []item, fr *frame, off float64) (*glb.Model, error)
}

// Item kinds.
const (
	kindBasemapBuilding uint8 = iota
	kindCIMBuilding
	kindCityObject
)

const (
	kindSegment uint8 = iota
	kindWell
)

func idsOf(items []item, kind uint8) []int64 {
	var ids []int64
	for _, it := range items {
		if it.kind == kind {
			ids = append(ids, it.id)
		}
	}
	return ids
}

// featureIndex maps (kind, id) of a tile's items to their order in the tile, so rows come out in
// the tile's order (heaviest first) whatever order the database returns them in.
func featureOrder(items []item) map[[2]int64]int {
	m := make(map[[2]int64]int, len(items))
	for i, it := range items {
		m[[2]int64{int64(it.kind), it.id}] = i
	}
	return m
}

// buildingsSource: CIM buildings (of one dataset, or all) and, for the city-wide tileset, base-map
// footprints extruded where no CIM building stands; with cityObjects, the dataset's other objects.
type buildingsSource struct {
	cfg         Config
	dataset     int64 // 0: every CIM dataset
	basemap     bool
	cityObjects bool
}

func (s *buildingsSource) layers() []string {
	l := []string{"cim.building"}
	if s.basemap {
		l = append(l, "basemap.building", "basemap.elevation_point")
	}
	if s.cityObjects {
		l = append(l, "cim.city_object")
	}
	return l
}

func (s *buildingsSource) index(ctx context.Context, db spatial.Querier) ([]item, error) {
	var items []item
	if s.basemap {
		// Heights of the ground under base-map buildings are spot heights; their range bounds the tiles.
		var gmin, gmax *float64
		if err := queryRow(ctx, db, `SELECT min(elevation)::float8, max(elevation)::float8 FROM basemap.elevation_point`, nil, &gmin, &gmax); err != nil {
			return nil, err
		}
		lo, hi := s.cfg.GroundHeight, s.cfg.GroundHeight
		if gmin != nil {
			lo, hi = min(lo, *gmin), max(hi, *gmax)
		}
		rows, err := db.Query(ctx, sqlBasemapIndex, s.cfg.StoreyHeight, s.cfg.DefaultFloors)
		if err != nil {
			return nil, fmt.Errorf("indexing base-map buildings: %w", err)
		}
		var it item
		var h float64
		it.kind = kindBasemapBuilding
		_, err = pgx.ForEachRow(rows, []any{&it.id, &it.box[0], &it.box[1], &it.box[2], &it.box[3], &h}, func() error {
			it.x, it.y = (it.box[0]+it.box[2])/2, (it.box[1]+it.box[3])/2
			it.zmin, it.zmax = lo, hi+h
			it.weight = footprintWeight(it.box, h)
			items = append(items, it)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("indexing base-map buildings: %w", err)
		}
	}
	more, err := scanIndex(ctx, db, sqlCIMIndex, kindCIMBuilding, s.dataset)
	if err != nil {
		return nil, fmt.Errorf("indexing CIM buildings: %w", err)
	}
	items = append(items, more...)
	if s.cityObjects {
		more, err := scanIndex(ctx, db, sqlObjectIndex, kindCityObject, s.dataset)
		if err != nil {
			return nil, fmt.Errorf("indexing city objects: %w", err)
		}
		items = append(items, more...)
	}
	return items, nil
}

// footprintWeight ranks buildings by volume (box area in m² × height).
func footprintWeight(box [4]float64, h float64) float64 {
	lat := (box[1] + box[3]) / 2 * math.Pi / 180
	w := (box[2] - box[0]) * 111320 * math.Cos(lat)
	d := (box[3] - box[1]) * 110574
	return w * d * max(h, 1)
}

// scanIndex reads rows of (id, xmin, ymin, xmax, ymax, zmin, zmax) for one dataset.
func scanIndex(ctx context.Context, db spatial.Querier, sql string, kind uint8, dataset int64) ([]item, error) {
	rows, err := db.Query(ctx, sql, dataset)
	if err != nil {
		return nil, err
	}
	var items []item
	var it item
	it.kind = kind
	_, err = pgx.ForEachRow(rows, []any{&it.id, &it.box[0], &it.box[1], &it.box[2], &it.box[3], &it.zmin, &it.zmax}, func() error {
		it.x, it.y = (it.box[0]+it.box[2])/2, (it.box[1]+it.box[3])/2
		it.weight = footprintWeight(it.box, it.zmax-it.zmin)
		if kind == kindCityObject {
			it.weight /= 10 // buildings first
		}
		items = append(items, it)
		return nil
	})
	return items, err
}

func queryRow(ctx context.Context, db spatial.Querier, sql string, args []any, dest ...any) error {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// Materials of the building tilesets (sRGB colours of a neutral city model).
func buildingMaterials() map[string]*glb.Material {
	mk := func(name, hex string) *glb.Material {
		return &glb.Material{Name: name, BaseColor: hexColor(hex), Roughness: 0.9}
	}
	return map[string]*glb.Material{
		"RoofSurface":   mk("roof", "#b0573f"),
		"WallSurface":   mk("wall", "#ebe6dc"),
		"GroundSurface": mk("ground", "#8c8c8c"),
		"":              mk("building", "#d9d4c7"), // LoD1 solids and other surfaces
		"basemap":       mk("basemap building", "#cfd8e3"),
	}
}

var buildingColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"gml_id", "CIM 标识 GML id", kStr},
	{"class", "类别 Class", kStr},
	{"name", "名称 Name", kStr},
	{"address", "地址 Address", kStr},
	{"floors", "层数 Floors", kInt},
	{"height", "高度(米) Height (m)", kNum},
	{"structure", "结构 Structure", kStr},
	{"code", "编码 Code", kStr},
	{"function", "功能 Function", kStr},
	{"usage", "用途 Usage", kStr},
	{"roof_type", "屋顶类型 Roof type", kStr},
	{"year_built", "建成年份 Year built", kInt},
	{"lod", "细节层次 LoD", kInt},
	{"dataset", "数据集 Dataset", kStr},
	{"attributes", "其他属性 Other attributes", kStr},
}

var cityObjectColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"gml_id", "CIM 标识 GML id", kStr},
	{"class", "类别 Class", kStr},
	{"name", "名称 Name", kStr},
	{"lod", "细节层次 LoD", kInt},
	{"attributes", "其他属性 Other attributes", kStr},
}

func (s *buildingsSource) content(ctx context.Context, db spatial.Querier, items []item, fr *frame, off float64) (*glb.Model, error) {
	order := featureOrder(items)
	tb := newTable("building", "房屋 Buildings", buildingColumns)
	ot := newTable("city_object", "城市对象 City objects", cityObjectColumns)
	mats := buildingMaterials()
	tile := newTileBuilder()
	builder := tile.mesh

	if ids := idsOf(items, kindBasemapBuilding); len(ids) > 0 {
		rows, err := db.Query(ctx, sqlBasemapContent, ids, s.cfg.StoreyHeight, s.cfg.DefaultFloors, s.cfg.GroundHeight)
		if err != nil {
			return nil, fmt.Errorf("reading base-map buildings: %w", err)
		}
		for rows.Next() {
			var (
				id                      int64
				wkbGeom                 []byte
				name, code, addr, struc *string
				floors                  *int32
				height                  *float64
				drawHeight, ground      float64
			)
			if err := rows.Scan(&id, &wkbGeom, &name, &code, &addr, &struc, &floors, &height, &drawHeight, &ground); err != nil {
				rows.Close()
				return nil, err
			}
			g, err := wkb.Unmarshal(wkbGeom)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("basemap.building %d: %w", id, err)
			}
			tile.later(tb, order[[2]int64{int64(kindBasemapBuilding), id}], func(fid uint32) {
				tb.id(id)
				tb.setStr("layer", "basemap.building")
				tb.setStr("class", "Building")
				tb.str("name", name)
				tb.str("code", code)
				tb.str("address", addr)
				tb.str("structure", struc)
				tb.int("floors", floors)
				tb.num("height", height)
				b := builder(mats["basemap"], tb)
				for _, poly := range polygons3D(g) {
					b.extrude(fr.onGround(poly, ground+off), drawHeight, fid)
				}
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading base-map buildings: %w", err)
		}
	}

	textures := &textureSet{ctx: ctx, db: db, mats: map[string]*glb.Material{}}
	if ids := idsOf(items, kindCIMBuilding); len(ids) > 0 {
		rows, err := db.Query(ctx, sqlCIMContent, ids)
		if err != nil {
			return nil, fmt.Errorf("reading CIM buildings: %w", err)
		}
		for rows.Next() {
			var (
				id, datasetID                         int64
				gmlID, class, dataset, attrs          string
				name, function, usage, roofType, addr *string
				height                                *float64
				storeys, year                         *int32
				lod                                   *int16
				kinds                                 []string
				geoms                                 [][]byte
				appearances                           []*string
			)
			if err := rows.Scan(&id, &gmlID, &class, &name, &function, &usage, &roofType, &height, &storeys, &year,
				&addr, &lod, &dataset, &attrs, &datasetID, &kinds, &geoms, &appearances); err != nil {
				rows.Close()
				return nil, err
			}
			parsed := make([]geom.T, len(geoms))
			for i, b := range geoms {
				if b == nil {
					continue
				}
				g, err := wkb.Unmarshal(b)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("cim.building %d (%s): %w", id, gmlID, err)
				}
				parsed[i] = g
			}
			tile.later(tb, order[[2]int64{int64(kindCIMBuilding), id}], func(fid uint32) {
				tb.id(id)
				tb.setStr("layer", "cim.building")
				tb.setStr("gml_id", gmlID)
				tb.setStr("class", class)
				tb.str("name", name)
				tb.str("function", function)
				tb.str("usage", usage)
				tb.str("roof_type", roofType)
				tb.str("address", addr)
				tb.num("height", height)
				tb.int("floors", storeys)
				tb.int("year_built", year)
				if lod != nil {
					l := int32(*lod)
					tb.int("lod", &l)
				}
				tb.setStr("dataset", dataset)
				if attrs != "{}" {
					tb.setStr("attributes", attrs)
				}
				for i, g := range parsed {
					kind := ""
					if i < len(kinds) {
						kind = kinds[i]
					}
					m, ok := mats[kind]
					if !ok {
						m = mats[""]
					}
					var app *appearance
					if i < len(appearances) && appearances[i] != nil {
						app = textures.appearance(datasetID, *appearances[i])
					}
					for k, poly := range polygons3D(g) {
						if uv := app.uv(k); uv != nil {
							builder(app.material, tb).texturedPolygon(fr.rings3D(poly, off), uv, fid)
							continue
						}
						builder(m, tb).polygon(fr.rings3D(poly, off), fid)
					}
				}
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading CIM buildings: %w", err)
		}
	}

	if ids := idsOf(items, kindCityObject); len(ids) > 0 {
		rows, err := db.Query(ctx, sqlObjectContent, ids)
		if err != nil {
			return nil, fmt.Errorf("reading city objects: %w", err)
		}
		objMats := map[string]*glb.Material{}
		for rows.Next() {
			var (
				id                  int64
				gmlID, class, attrs string
				name                *string
				lod                 *int16
				wkbGeom             []byte
			)
			if err := rows.Scan(&id, &gmlID, &class, &name, &lod, &attrs, &wkbGeom); err != nil {
				rows.Close()
				return nil, err
			}
			g, err := wkb.Unmarshal(wkbGeom)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("cim.city_object %d (%s): %w", id, gmlID, err)
			}
			m, ok := objMats[class]
			if !ok {
				m = &glb.Material{Name: class, BaseColor: hexColor(classColor(class)), Roughness: 1, DoubleSided: true}
				objMats[class] = m
			}
			tile.later(ot, order[[2]int64{int64(kindCityObject), id}], func(fid uint32) {
				ot.id(id)
				ot.setStr("layer", "cim.city_object")
				ot.setStr("gml_id", gmlID)
				ot.setStr("class", class)
				ot.str("name", name)
				if lod != nil {
					l := int32(*lod)
					ot.int("lod", &l)
				}
				if attrs != "{}" {
					ot.setStr("attributes", attrs)
				}
				b := builder(m, ot)
				for _, poly := range polygons3D(g) {
					b.polygon(fr.rings3D(poly, off), fid)
				}
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading city objects: %w", err)
		}
	}
	return tile.model(), nil
}

// classColor is the sRGB colour of a city object class.
func classColor(class string) string {
	switch {
	case strings.Contains(class, "Water"):
		return "#5b9bd5"
	case strings.Contains(class, "Plant"), strings.Contains(class, "Vegetation"):
		return "#7aa35a"
	case strings.Contains(class, "Road"), strings.Contains(class, "Railway"), strings.Contains(class, "Transport"), strings.Contains(class, "Square"):
		return "#6e6e6e"
	case strings.Contains(class, "LandUse"):
		return "#d8cfa8"
	case strings.Contains(class, "Relief"), strings.Contains(class, "TIN"):
		return "#a89f80"
	case strings.Contains(class, "Bridge"), strings.Contains(class, "Tunnel"):
		return "#9a9a9a"
	}
	return "#c8c8c8"
}

// tileBuilder collects a tile's meshes (one per material) and its property table rows. Rows are
// emitted in the tile's order (heaviest feature first) whatever order the database answered in.
type tileBuilder struct {
	builders map[*glb.Material]*meshBuilder
	order    []*glb.Material
	rows     map[*tableBuilder][]pendingRow
	tables   []*tableBuilder
}

type pendingRow struct {
	at   int
	emit func(fid uint32)
}

func newTileBuilder() *tileBuilder {
	return &tileBuilder{builders: map[*glb.Material]*meshBuilder{}, rows: map[*tableBuilder][]pendingRow{}}
}

// mesh returns the builder of a material's primitive, its features in table t.
func (tl *tileBuilder) mesh(m *glb.Material, t *tableBuilder) *meshBuilder {
	b, ok := tl.builders[m]
	if !ok {
		b = newMeshBuilder(m, t.t)
		tl.builders[m] = b
		tl.order = append(tl.order, m)
	}
	return b
}

// later queues a feature: emit gets its feature id (table row) and draws it.
func (tl *tileBuilder) later(t *tableBuilder, at int, emit func(fid uint32)) {
	if _, ok := tl.rows[t]; !ok {
		tl.tables = append(tl.tables, t)
	}
	tl.rows[t] = append(tl.rows[t], pendingRow{at, emit})
}

// model emits the queued features and wraps the non-empty meshes as one node; nil when empty.
func (tl *tileBuilder) model() *glb.Model {
	for _, t := range tl.tables {
		rs := tl.rows[t]
		slices.SortFunc(rs, func(a, b pendingRow) int { return cmp.Compare(a.at, b.at) })
		for _, r := range rs {
			r.emit(t.row())
		}
	}
	mesh := &glb.Mesh{Name: "features"}
	for _, m := range tl.order {
		if b := tl.builders[m]; !b.empty() {
			mesh.Primitives = append(mesh.Primitives, b.p)
		}
	}
	if len(mesh.Primitives) == 0 {
		return nil
	}
	return &glb.Model{Nodes: []*glb.Node{{Name: "tile", Mesh: mesh}}}
}

// polygons3D returns the rings of every polygon of a (multi)polygon as lon/lat/height (0 without Z),
// open (the closing point dropped).
func polygons3D(g geom.T) [][][][3]float64 {
	var out [][][][3]float64
	add := func(p *geom.Polygon) {
		st := p.Stride()
		zi := p.Layout().ZIndex()
		var rings [][][3]float64
		for i := range p.NumLinearRings() {
			flat := p.LinearRing(i).FlatCoords()
			n := len(flat) / st
			if n > 1 && flat[0] == flat[(n-1)*st] && flat[1] == flat[(n-1)*st+1] && (zi < 0 || flat[zi] == flat[(n-1)*st+zi]) {
				n--
			}
			r := make([][3]float64, n)
			for k := range n {
				r[k] = [3]float64{flat[k*st], flat[k*st+1], 0}
				if zi >= 0 {
					r[k][2] = flat[k*st+zi]
				}
			}
			rings = append(rings, r)
		}
		out = append(out, rings)
	}
	switch g := g.(type) {
	case *geom.Polygon:
		add(g)
	case *geom.MultiPolygon:
		for i := range g.NumPolygons() {
			add(g.Polygon(i))
		}
	}
	return out
}

// onGround converts lon/lat rings, ignoring their heights, at ellipsoidal height h to ENU metres.
func (f *frame) onGround(rings [][][3]float64, h float64) [][][3]float64 {
	out := make([][][3]float64, len(rings))
	for i, r := range rings {
		out[i] = make([][3]float64, len(r))
		for k, p := range r {
			e, n, u := f.ENU(p[0], p[1], h)
			out[i][k] = [3]float64{e, n, u}
		}
	}
	return out
}

// rings3D converts lon/lat/height rings (stored heights, off added) to ENU metres in the frame.
func (f *frame) rings3D(rings [][][3]float64, off float64) [][][3]float64 {
	out := make([][][3]float64, len(rings))
	for i, r := range rings {
		out[i] = make([][3]float64, len(r))
		for k, p := range r {
			e, n, u := f.ENU(p[0], p[1], p[2]+off)
			out[i][k] = [3]float64{e, n, u}
		}
	}
	return out
}
