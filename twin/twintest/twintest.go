// Package twintest seeds test databases with generated buildings and pipelines around Laizhou and
// reads back the features of a glb (as a CesiumJS pick would see them), for tests and benchmarks of
// the 3D side.
package twintest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"
)

// Dataset inserts a catalog.dataset row and returns its id.
func Dataset(t testing.TB, pool *pgxpool.Pool, name, kind string) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ($1, $2, 'generated', 'twintest', '-', 'EPSG:4490', 'test') RETURNING id`, name, kind).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// SeedBuildings inserts n base-map buildings on a grid near Laizhou (12 × 10 m footprints every
// 25 m, 1–30 floors, a height for two of three, some with a courtyard) and a few spot heights, and
// returns their ids.
func SeedBuildings(t testing.TB, pool *pgxpool.Pool, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	ds := Dataset(t, pool, fmt.Sprintf("buildings-%d", n), "basemap")
	rows, err := pool.Query(ctx, `
		INSERT INTO basemap.building (dataset_id, name, floors, height, address, structure, geom)
		SELECT $1, '楼' || i, 1 + (i * 7919) % 30,
		       CASE WHEN i % 3 = 0 THEN NULL ELSE (3.2 * (1 + (i * 7919) % 30))::real END,
		       '莱州市文化东街 ' || i || ' 号', '砼',
		       ST_Multi(CASE WHEN i % 10 = 9
		           THEN ST_Difference(ST_MakeEnvelope(x, y, x + 20 / 88800.0, y + 20 / 111000.0, 4490),
		                              ST_MakeEnvelope(x + 6 / 88800.0, y + 6 / 111000.0, x + 14 / 88800.0, y + 14 / 111000.0, 4490))
		           ELSE ST_MakeEnvelope(x, y, x + 12 / 88800.0, y + 10 / 111000.0, 4490) END)
		FROM generate_series(0, $2 - 1) i,
		     LATERAL (SELECT 119.90 + (i % 400) * 25 / 88800.0 AS x, 37.15 + (i / 400) * 25 / 111000.0 AS y) c
		RETURNING id`, ds, n)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `
		INSERT INTO basemap.elevation_point (dataset_id, elevation, geom)
		SELECT $1, 5 + (i % 7), ST_SetSRID(ST_MakePoint(119.90 + (i % 10) * 0.01, 37.15 + (i / 10) * 0.005), 4490)
		FROM generate_series(0, 99) i`, ds)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// SeedPipelines inserts n pipe segments per type in streets near Laizhou (round pipes, and
// rectangular ducts for power and telecom), their points, and a well at every other point.
func SeedPipelines(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := context.Background()
	ds := Dataset(t, pool, "pipes", "pipeline")
	_, err := pool.Exec(ctx, `
		INSERT INTO pipeline.point (dataset_id, point_no, pipe_type, feature, appendage, ground_elev, depth, well_depth, cover_spec, owner, road_name, geom)
		SELECT $1, t.code || i, t.code, '直线点', CASE WHEN i % 2 = 0 THEN '检修井' END, 5.0, 1.5,
		       CASE WHEN i % 2 = 0 THEN 2.2 END, CASE WHEN i % 4 = 0 THEN 'Φ700' WHEN i % 2 = 0 THEN '1000×1000' END,
		       '莱州市' || t.name_zh || '公司', '文化东街',
		       ST_SetSRID(ST_MakePoint(119.90 + i * 30 / 88800.0, 37.15 + t.k * 3 / 111000.0, 3.5), 4490)
		FROM generate_series(0, $2) i,
		     (SELECT code, name_zh, row_number() OVER (ORDER BY code) AS k FROM pipeline.type) t`, ds, n)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `
		INSERT INTO pipeline.segment (dataset_id, pipe_type, start_no, end_no, start_depth, end_depth, diameter_mm, width_mm, height_mm,
		                              material, burial, built_year, owner, road_name, geom)
		SELECT $1, a.pipe_type, a.point_no, b.point_no, 1.5, 1.6,
		       CASE WHEN a.pipe_type IN ('DL', 'TX') THEN NULL ELSE 100 + 100 * (row_number() OVER () % 8) END,
		       CASE WHEN a.pipe_type IN ('DL', 'TX') THEN 800 END, CASE WHEN a.pipe_type IN ('DL', 'TX') THEN 500 END,
		       CASE WHEN a.pipe_type IN ('DL', 'TX') THEN '砼' ELSE 'PE' END, '直埋', 2015, a.owner, a.road_name,
		       ST_MakeLine(a.geom, ST_Translate(b.geom, 0, 0, -0.1))
		FROM pipeline.point a JOIN pipeline.point b ON b.pipe_type = a.pipe_type AND b.dataset_id = a.dataset_id
		     AND b.point_no = a.pipe_type || (substr(a.point_no, 3)::int + 1)
		WHERE a.dataset_id = $1`, ds)
	if err != nil {
		t.Fatal(err)
	}
}

// Feature is one feature of a glb: its property table row, rendered as strings ("" when missing),
// and the extent of its vertices in the glb's (y-up) frame.
type Feature struct {
	Class      string
	Table      int
	Row        int
	Props      map[string]string
	Vertices   int
	MinY, MaxY float64
}

// Features reads every feature of a glb through EXT_mesh_features and EXT_structural_metadata.
func Features(b []byte) ([]Feature, error) {
	doc := new(gltf.Document)
	if err := gltf.NewDecoder(bytes.NewReader(b)).Decode(doc); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(doc.Extensions["EXT_structural_metadata"])
	var md struct {
		Schema struct {
			Classes map[string]struct {
				Properties map[string]struct {
					Type, ComponentType string
					NoData              *float64
				}
			}
		}
		PropertyTables []struct {
			Class      string
			Count      int
			Properties map[string]struct {
				Values        int
				StringOffsets *int
			}
		}
	}
	if len(raw) > 4 {
		if err := json.Unmarshal(raw, &md); err != nil {
			return nil, err
		}
	}
	view := func(i int) ([]byte, error) { return modeler.ReadBufferView(doc, doc.BufferViews[i]) }
	feats := map[[2]int]*Feature{}
	var order [][2]int
	for ti, pt := range md.PropertyTables {
		cls := md.Schema.Classes[pt.Class]
		for r := range pt.Count {
			f := &Feature{Class: pt.Class, Table: ti, Row: r, Props: map[string]string{}, MinY: math.Inf(1), MaxY: math.Inf(-1)}
			for name := range cls.Properties {
				f.Props[name] = ""
			}
			feats[[2]int{ti, r}] = f
			order = append(order, [2]int{ti, r})
		}
		for name, col := range pt.Properties {
			decl := cls.Properties[name]
			vals, err := view(col.Values)
			if err != nil {
				return nil, err
			}
			for r := range pt.Count {
				var s string
				switch {
				case decl.Type == "STRING":
					offs, err := view(*col.StringOffsets)
					if err != nil {
						return nil, err
					}
					a, z := binary.LittleEndian.Uint32(offs[4*r:]), binary.LittleEndian.Uint32(offs[4*r+4:])
					s = string(vals[a:z])
				case decl.ComponentType == "FLOAT64":
					v := math.Float64frombits(binary.LittleEndian.Uint64(vals[8*r:]))
					if decl.NoData == nil || v != *decl.NoData {
						s = strconv.FormatFloat(v, 'f', -1, 64)
					}
				case decl.ComponentType == "INT32":
					v := int32(binary.LittleEndian.Uint32(vals[4*r:]))
					if decl.NoData == nil || float64(v) != *decl.NoData {
						s = strconv.Itoa(int(v))
					}
				default:
					return nil, fmt.Errorf("property %s: type %s %s not read by twintest", name, decl.Type, decl.ComponentType)
				}
				feats[[2]int{ti, r}].Props[name] = s
			}
		}
	}
	for _, m := range doc.Meshes {
		for _, p := range m.Primitives {
			raw, _ := json.Marshal(p.Extensions["EXT_mesh_features"])
			var mf struct {
				FeatureIds []struct{ Attribute, PropertyTable *int }
			}
			if len(raw) < 5 {
				continue
			}
			if err := json.Unmarshal(raw, &mf); err != nil {
				return nil, err
			}
			ids, err := modeler.ReadAccessor(doc, doc.Accessors[p.Attributes["_FEATURE_ID_0"]], nil)
			if err != nil {
				return nil, err
			}
			pos, err := modeler.ReadPosition(doc, doc.Accessors[p.Attributes[gltf.POSITION]], nil)
			if err != nil {
				return nil, err
			}
			ti := *mf.FeatureIds[0].PropertyTable
			for k, id := range ids.([]float32) {
				f := feats[[2]int{ti, int(id)}]
				if f == nil {
					return nil, fmt.Errorf("feature id %v has no row in property table %d", id, ti)
				}
				f.Vertices++
				f.MinY, f.MaxY = min(f.MinY, float64(pos[k][1])), max(f.MaxY, float64(pos[k][1]))
			}
		}
	}
	out := make([]Feature, 0, len(order))
	for _, k := range order {
		out = append(out, *feats[k])
	}
	return out, nil
}
