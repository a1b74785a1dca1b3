package twin

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin/glb"
)

// pipesSource: pipe segments as tubes (round) or boxes (rectangular ducts) along their 3D
// centrelines, and wells as cylinders from the ground down to the well depth, coloured by type.
type pipesSource struct{}

func (pipesSource) layers() []string { return []string{"pipeline.segment", "pipeline.point"} }

func (pipesSource) index(ctx context.Context, db spatial.Querier) ([]item, error) {
	rows, err := db.Query(ctx, sqlPipeIndex)
	if err != nil {
		return nil, fmt.Errorf("indexing pipelines: %w", err)
	}
	var items []item
	var it item
	var kind int16
	_, err = pgx.ForEachRow(rows, []any{&kind, &it.id, &it.box[0], &it.box[1], &it.box[2], &it.box[3], &it.zmin, &it.zmax, &it.weight}, func() error {
		it.kind = uint8(kind)
		it.x, it.y = (it.box[0]+it.box[2])/2, (it.box[1]+it.box[3])/2
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing pipelines: %w", err)
	}
	return items, nil
}

var segmentColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"pipe_type", "管线类型 Type", kStr},
	{"type_name", "类型名称 Type name", kStr},
	{"material", "材质 Material", kStr},
	{"diameter_mm", "管径(毫米) Diameter (mm)", kNum},
	{"section", "断面尺寸 Section", kStr},
	{"start_depth", "起点埋深(米) Start depth (m)", kNum},
	{"end_depth", "终点埋深(米) End depth (m)", kNum},
	{"depth", "埋深(米) Depth (m)", kNum},
	{"start_no", "起点点号 From point", kStr},
	{"end_no", "终点点号 To point", kStr},
	{"burial", "埋设方式 Burial", kStr},
	{"pressure", "压力/电压 Pressure/voltage", kStr},
	{"built_year", "建设年代 Year built", kInt},
	{"owner", "权属单位 Owner", kStr},
	{"road_name", "道路名称 Road", kStr},
}

var wellColumns = []colDef{
	{"id", "编号 ID", kStr},
	{"layer", "图层 Layer", kStr},
	{"point_no", "物探点号 Point no.", kStr},
	{"pipe_type", "管线类型 Type", kStr},
	{"type_name", "类型名称 Type name", kStr},
	{"feature", "特征 Feature", kStr},
	{"appendage", "附属物 Appurtenance", kStr},
	{"cover_spec", "井盖规格 Cover", kStr},
	{"ground_elev", "地面高程(米) Ground elevation (m)", kNum},
	{"depth", "埋深(米) Depth (m)", kNum},
	{"well_depth", "井深(米) Well depth (m)", kNum},
	{"owner", "权属单位 Owner", kStr},
	{"road_name", "道路名称 Road", kStr},
}

// defaultPipeDiameter is drawn when a segment has no size (it stays missing in the metadata).
const defaultPipeDiameter = 100.0 // mm

func (pipesSource) content(ctx context.Context, db spatial.Querier, items []item, fr *frame, off float64) (*glb.Model, error) {
	order := featureOrder(items)
	segs := newTable("pipe_segment", "管线 Pipe segments", segmentColumns)
	wells := newTable("pipe_well", "管线井 Wells", wellColumns)
	tile := newTileBuilder()
	mats := map[string]*glb.Material{}
	builder := func(typ, color string, t *tableBuilder) *meshBuilder {
		key := t.t.Class + "/" + typ
		m, ok := mats[key]
		if !ok {
			m = &glb.Material{Name: key, BaseColor: hexColor(color), Roughness: 0.6, Metallic: 0.1}
			mats[key] = m
		}
		return tile.mesh(m, t)
	}

	if ids := idsOf(items, kindSegment); len(ids) > 0 {
		rows, err := db.Query(ctx, sqlSegmentContent, ids)
		if err != nil {
			return nil, fmt.Errorf("reading pipe segments: %w", err)
		}
		for rows.Next() {
			var (
				id                                                      int64
				typ, typeName, color                                    string
				material, startNo, endNo, burial, pressure, owner, road *string
				diameter, width, height, startDepth, endDepth           *float64
				year                                                    *int32
				wkbGeom                                                 []byte
			)
			if err := rows.Scan(&id, &typ, &typeName, &color, &material, &diameter, &width, &height, &startDepth, &endDepth,
				&startNo, &endNo, &burial, &pressure, &year, &owner, &road, &wkbGeom); err != nil {
				rows.Close()
				return nil, err
			}
			g, err := wkb.Unmarshal(wkbGeom)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("pipeline.segment %d: %w", id, err)
			}
			ls, ok := g.(*geom.LineString)
			if !ok {
				continue
			}
			pts := lineENU(fr, ls, off)
			tile.later(segs, order[[2]int64{int64(kindSegment), id}], func(fid uint32) {
				segs.id(id)
				segs.setStr("layer", "pipeline.segment")
				segs.setStr("pipe_type", typ)
				segs.setStr("type_name", typeName)
				segs.str("material", material)
				segs.num("diameter_mm", diameter)
				if width != nil && height != nil {
					segs.setStr("section", strconv.FormatFloat(*width, 'f', -1, 64)+"X"+strconv.FormatFloat(*height, 'f', -1, 64))
				}
				segs.num("start_depth", startDepth)
				segs.num("end_depth", endDepth)
				if startDepth != nil && endDepth != nil {
					d := (*startDepth + *endDepth) / 2
					segs.num("depth", &d)
				} else if startDepth != nil {
					segs.num("depth", startDepth)
				} else {
					segs.num("depth", endDepth)
				}
				segs.str("start_no", startNo)
				segs.str("end_no", endNo)
				segs.str("burial", burial)
				segs.str("pressure", pressure)
				segs.int("built_year", year)
				segs.str("owner", owner)
				segs.str("road_name", road)
				b := builder(typ, color, segs)
				for k := 0; k+1 < len(pts); k++ {
					switch {
					case width != nil && height != nil && (diameter == nil || *diameter <= 0):
						b.duct(pts[k], pts[k+1], *width/1000, *height/1000, fid)
					default:
						d := defaultPipeDiameter
						if diameter != nil && *diameter > 0 {
							d = *diameter
						}
						b.tube(pts[k], pts[k+1], d/2000, pipeSides(d), fid)
					}
				}
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading pipe segments: %w", err)
		}
	}

	if ids := idsOf(items, kindWell); len(ids) > 0 {
		rows, err := db.Query(ctx, sqlWellContent, ids)
		if err != nil {
			return nil, fmt.Errorf("reading wells: %w", err)
		}
		for rows.Next() {
			var (
				id                                     int64
				pointNo, typ, typeName, color          string
				feature, appendage, cover, owner, road *string
				groundElev, depth, wellDepth           *float64
				lon, lat, ground                       float64
			)
			if err := rows.Scan(&id, &pointNo, &typ, &typeName, &color, &feature, &appendage, &cover,
				&groundElev, &depth, &wellDepth, &owner, &road, &lon, &lat, &ground); err != nil {
				rows.Close()
				return nil, err
			}
			tile.later(wells, order[[2]int64{int64(kindWell), id}], func(fid uint32) {
				wells.id(id)
				wells.setStr("layer", "pipeline.point")
				wells.setStr("point_no", pointNo)
				wells.setStr("pipe_type", typ)
				wells.setStr("type_name", typeName)
				wells.str("feature", feature)
				wells.str("appendage", appendage)
				wells.str("cover_spec", cover)
				wells.num("ground_elev", groundElev)
				wells.num("depth", depth)
				wells.num("well_depth", wellDepth)
				wells.str("owner", owner)
				wells.str("road_name", road)
				if wellDepth == nil || *wellDepth <= 0 {
					return
				}
				e, n, u := fr.ENU(lon, lat, ground-*wellDepth+off)
				r := wellRadius(cover)
				builder(typ, color, wells).well([3]float64{e, n, u}, r, *wellDepth, 16, fid)
			})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading wells: %w", err)
		}
	}
	return tile.model(), nil
}

// pipeSides: more facets for bigger pipes.
func pipeSides(diameterMM float64) int {
	switch {
	case diameterMM >= 600:
		return 16
	case diameterMM >= 200:
		return 12
	}
	return 8
}

var firstNumber = regexp.MustCompile(`\d+(\.\d+)?`)

// wellRadius reads a cover specification (Φ700, 700, 700×700, 0.7) as a radius in metres; 0.35 m
// (the common 700 mm cover) when it says nothing usable.
func wellRadius(cover *string) float64 {
	if cover != nil {
		if m := firstNumber.FindString(*cover); m != "" {
			v, _ := strconv.ParseFloat(m, 64)
			switch {
			case v >= 100 && v <= 5000: // millimetres
				return v / 2000
			case v > 0.1 && v <= 5: // metres
				return v / 2
			}
		}
	}
	return 0.35
}

// lineENU converts a 3D line (lon, lat, stored height) to ENU points in the frame.
func lineENU(fr *frame, ls *geom.LineString, off float64) [][3]float64 {
	flat, st := ls.FlatCoords(), ls.Stride()
	zi := ls.Layout().ZIndex()
	out := make([][3]float64, 0, len(flat)/st)
	for k := 0; k+st <= len(flat); k += st {
		z := 0.0
		if zi >= 0 {
			z = flat[k+zi]
		}
		if math.IsNaN(z) {
			z = 0
		}
		e, n, u := fr.ENU(flat[k], flat[k+1], z+off)
		out = append(out, [3]float64{e, n, u})
	}
	return out
}
