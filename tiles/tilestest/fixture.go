// Package tilestest inserts small, deterministic fixtures for tile tests: a block of a Laizhou-like town
// with buildings, roads, water, a boundary, annotations and pipelines, written as an import would write
// them (a catalog.dataset row, then the rows, then a change notification, in one transaction).
package tilestest

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// Origin is the fixture's south-west corner (lon, lat, CGCS2000), in Laizhou's old town.
var Origin = [2]float64{119.9385, 37.1790}

// Step is the spacing of the fixture's grid in degrees (about 5 m).
const Step = 0.00005

// BBox is the fixture's extent, lon/lat.
func BBox() [4]float64 {
	return [4]float64{Origin[0], Origin[1], Origin[0] + 60*Step, Origin[1] + 40*Step}
}

func pt(i, j float64) string {
	return fmt.Sprintf("%.7f %.7f", Origin[0]+i*Step, Origin[1]+j*Step)
}

func rect(i, j, w, h float64) string {
	return fmt.Sprintf("MULTIPOLYGON(((%s, %s, %s, %s, %s)))", pt(i, j), pt(i+w, j), pt(i+w, j+h), pt(i, j+h), pt(i, j))
}

// Import writes the fixture as dataset name, replacing an earlier import of that name (as the loader
// does), and announces the change. variant changes the data: building names carry it, and with
// variant > 0 the first building is moved east by variant steps.
func Import(t testing.TB, pool *pgxpool.Pool, name string, variant int) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := importFixture(ctx, pool, name, variant)
	if err != nil {
		t.Fatalf("tilestest: importing %s: %v", name, err)
	}
	return id
}

func importFixture(ctx context.Context, pool *pgxpool.Pool, name string, variant int) (int64, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "DELETE FROM catalog.dataset WHERE name = $1", name); err != nil {
		return 0, err
	}
	b := BBox()
	var ds int64
	err = tx.QueryRow(ctx, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by, bbox)
		VALUES ($1, 'basemap', 'fixture', 'tilestest', $2, 'EPSG:4490', 'test', ST_MakeEnvelope($3, $4, $5, $6, 4490))
		RETURNING id`, name, fmt.Sprint(variant), b[0], b[1], b[2], b[3]).Scan(&ds)
	if err != nil {
		return 0, err
	}
	batch := &pgx.Batch{}
	add := func(sql string, args ...any) { batch.Queue(sql, append([]any{ds}, args...)...) }
	// Buildings: a 5 × 3 grid of houses, two storeys and up, named 1号楼 …
	for k := range 15 {
		i, j := float64(4+(k%5)*10), float64(4+(k/5)*12)
		if k == 0 {
			i += float64(variant)
		}
		add(`INSERT INTO basemap.building (dataset_id, source_layer, code, name, floors, structure, height, geom)
			VALUES ($1, 'JMD', '141101', $2, $3, '砼', $4, ST_GeomFromText($5, 4490))`,
			fmt.Sprintf("%d号楼-%d", k+1, variant), 2+k%5, float32(3.0*float64(2+k%5)), rect(i, j, 6, 8))
	}
	// Roads: two streets crossing, and the road edge polygon of the square.
	add(`INSERT INTO basemap.road (dataset_id, source_layer, code, name, grade, width, geom)
		VALUES ($1, 'DLSS', '164100', '文化东街', '主干路', 24, ST_GeomFromText($2, 4490))`, "LINESTRING("+pt(0, 2)+", "+pt(60, 2)+")")
	add(`INSERT INTO basemap.road (dataset_id, source_layer, code, name, grade, width, geom)
		VALUES ($1, 'DLSS', '164100', '府前路', '次干路', 16, ST_GeomFromText($2, 4490))`, "LINESTRING("+pt(2, 0)+", "+pt(2, 40)+")")
	// Water: a pond with a name.
	add(`INSERT INTO basemap.water (dataset_id, source_layer, code, name, geom)
		VALUES ($1, 'SXSS', '186100', '南阳河', ST_GeomFromText($2, 4490))`,
		"POLYGON(("+pt(40, 30)+", "+pt(55, 30)+", "+pt(55, 38)+", "+pt(40, 38)+", "+pt(40, 30)+"))")
	// Boundary: the block's edge.
	add(`INSERT INTO basemap.boundary (dataset_id, source_layer, code, name, geom)
		VALUES ($1, 'JJ', '250200', '城港路街道', ST_GeomFromText($2, 4490))`,
		"LINESTRING("+pt(0, 0)+", "+pt(60, 0)+", "+pt(60, 40)+", "+pt(0, 40)+", "+pt(0, 0)+")")
	// Annotation and a control point.
	add(`INSERT INTO basemap.annotation (dataset_id, source_layer, code, name, text, font_height, rotation, geom)
		VALUES ($1, 'ZJ', '190000', '', '莱州市政府', 3.5, 0, ST_GeomFromText($2, 4490))`, "POINT("+pt(30, 20)+")")
	add(`INSERT INTO basemap.control_point (dataset_id, source_layer, code, name, point_name, grade, elevation, geom)
		VALUES ($1, 'KZD', '131100', 'I12', 'I12', '一级', 18.62, ST_GeomFromText($2, 4490))`, "POINT("+pt(58, 38)+")")
	// Pipelines: a water main under 文化东街, a power duct and a gas line, with their points.
	for _, p := range []struct {
		typ  string
		j    float64
		diam float32
	}{{"JS", 1, 300}, {"DL", 3, 0}, {"RQ", 1.5, 160}} {
		prev := ""
		for k := range 4 {
			no := fmt.Sprintf("%s%03d", p.typ, k+1)
			i := float64(5 + k*15)
			add(`INSERT INTO pipeline.point (dataset_id, point_no, pipe_type, feature, appendage, ground_elev, depth, geom)
				VALUES ($1, $2, $3, '直线点', $4, 12.5, 1.2, ST_GeomFromText($5, 4490))`,
				no, p.typ, map[bool]string{true: "检修井", false: ""}[k%2 == 0], fmt.Sprintf("POINT Z(%s 11.3)", pt(i, p.j)))
			if prev != "" {
				add(`INSERT INTO pipeline.segment (dataset_id, pipe_type, start_no, end_no, diameter_mm, material, burial, geom)
					VALUES ($1, $2, $3, $4, NULLIF($5::real, 0), '球墨铸铁', '直埋', ST_GeomFromText($6, 4490))`,
					p.typ, prev, no, p.diam, fmt.Sprintf("LINESTRING Z(%s 11.3, %s 11.1)", pt(i-15, p.j), pt(i, p.j)))
			}
			prev = no
		}
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return 0, err
	}
	err = spatial.NotifyChange(ctx, tx, spatial.Change{
		Layers: []string{"basemap.building", "basemap.road", "basemap.water", "basemap.boundary", "basemap.annotation",
			"basemap.control_point", "pipeline.point", "pipeline.segment"},
		BBox: &b, Dataset: ds, Reason: "import",
	})
	if err != nil {
		return 0, err
	}
	return ds, tx.Commit(ctx)
}
