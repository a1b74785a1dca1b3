package importers_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// The expected positions below are PROJ's own command line through WGS 84, independent of PostGIS
// and of Yitu (cs2cs takes and gives the EPSG axis order: 31467 and 3547's tables are given here as
// easting, northing; 4326 answers latitude, longitude):
//
//	echo 2600000 1200000   | cs2cs -f %.10f EPSG:2056  EPSG:4326   # 46.9510827719  7.4386324209
//	echo 155000 463000     | cs2cs -f %.10f EPSG:28992 EPSG:4326   # 52.1551723012  5.3872035084
//	echo 5530000 3480000   | cs2cs -f %.10f EPSG:31467 EPSG:4326   # 49.9060977678  8.7205401684
//	echo 5000000 3700000   | cs2cs -f %.10f EPSG:3547  EPSG:4326   # 37.4842072673 -85.4785877251
//
// Through PostGIS's ST_Transform(…, 4490), as the importers did, the first three were 164 m, 114 m and
// 146 m off: PROJ knows no transformation from those datums to CGCS2000 and applied a null shift.

// nearest is the distance in metres from (lon, lat) to the nearest stored vertex of the dataset's
// rows in table, and that vertex's Z.
func nearest(t *testing.T, pool *pgxpool.Pool, table string, dataset int64, lon, lat float64) (float64, float64) {
	t.Helper()
	var d, z float64
	err := pool.QueryRow(context.Background(), `
		SELECT ST_Distance((dp).geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4490)::geography), coalesce(ST_Z((dp).geom), 0)
		FROM (SELECT ST_DumpPoints(geom) dp FROM `+table+` WHERE dataset_id = $3) s
		ORDER BY 1 LIMIT 1`, lon, lat, dataset).Scan(&d, &z)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	return d, z
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// box is a CityJSON building whose footprint starts at (x, y): a 30 m × 15 m box, 12 m high from z.
func cityJSONBox(ref string, x, y, z float64) string {
	return fmt.Sprintf(`{"type":"CityJSON","version":"2.0","metadata":{"referenceSystem":"%s"},
	"transform":{"scale":[0.001,0.001,0.001],"translate":[%f,%f,%f]},
	"CityObjects":{"B1":{"type":"Building","attributes":{"measuredHeight":12},
	  "geometry":[{"type":"Solid","lod":"2","boundaries":[[[[3,2,1,0]],[[4,5,6,7]],[[0,1,5,4]],[[1,2,6,5]],[[2,3,7,6]],[[3,0,4,7]]]],
	    "semantics":{"surfaces":[{"type":"GroundSurface"},{"type":"RoofSurface"},{"type":"WallSurface"}],"values":[[0,1,2,2,2,2]]}}]}},
	"vertices":[[0,0,0],[30000,0,0],[30000,15000,0],[0,15000,0],[0,0,12000],[30000,0,12000],[30000,15000,12000],[0,15000,12000]]}`, ref, x, y, z)
}

// cityGMLBox is a CityGML building with a w × h footprint at (x, y).
func cityGMLBox(srs string, x, y, z, w, h float64) string {
	ring := func(pts ...[3]float64) string {
		var b strings.Builder
		for _, p := range pts {
			fmt.Fprintf(&b, "%.3f %.3f %.3f ", p[0], p[1], p[2])
		}
		return strings.TrimSpace(b.String())
	}
	a, b, c, d := [3]float64{x, y, z}, [3]float64{x + w, y, z}, [3]float64{x + w, y + h, z}, [3]float64{x, y + h, z}
	return `<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml" xmlns:bldg="http://www.opengis.net/citygml/building/2.0">
 <cityObjectMember><bldg:Building gml:id="B1">
  <bldg:lod2MultiSurface><gml:MultiSurface srsName="` + srs + `" srsDimension="3"><gml:surfaceMember><gml:Polygon>
   <gml:exterior><gml:LinearRing><gml:posList srsDimension="3">` + ring(a, d, c, b, a) + `</gml:posList></gml:LinearRing></gml:exterior>
  </gml:Polygon></gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface>
 </bldg:Building></cityObjectMember>
</CityModel>`
}

// TestDatumShiftThroughWGS84: a CityJSON in CH1903+ / LV95, a CityGML in Amersfoort / RD New, a
// GeoJSON in DHDN / Gauss-Krüger zone 3 and CJJ 61 pipe points in NAD83(NSRS2007) / Kentucky (US
// feet, EPSG:3547, which the pipeline importer called "not in registry") land within 2 cm of where
// PROJ puts them through WGS 84, heights kept, and each report names the transformation and its
// accuracy.
func TestDatumShiftThroughWGS84(t *testing.T) {
	pool := pgtest.New(t)
	for _, tc := range []struct {
		name, file, content, srs string
		table                    string
		lon, lat, z              float64
		op                       string
	}{
		{"CityJSON LV95", "lv95.city.json", cityJSONBox("https://www.opengis.net/def/crs/EPSG/0/2056", 2600000, 1200000, 550), "",
			"cim.building", 7.4386324209, 46.9510827719, 550, "CH1903+ to WGS 84 (1) (PROJ, accuracy 1 m)"},
		{"CityGML RD New", "rd.gml", cityGMLBox("urn:ogc:def:crs:EPSG::28992", 155000, 463000, 3, 30, 15), "",
			"cim.building", 5.3872035084, 52.1551723012, 3, "Amersfoort to WGS 84 ("},
		{"GeoJSON DHDN GK3", "dhdn.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::31467"}},
			"features":[{"type":"Feature","properties":{"name":"Messpunkt"},"geometry":{"type":"Point","coordinates":[3480000,5530000]}},
			{"type":"Feature","properties":{"name":"Nachbar"},"geometry":{"type":"Point","coordinates":[3480100,5530050]}}]}`, "",
			"", 8.7205401684, 49.9060977678, 0, "DHDN to WGS 84 ("},
		{"CJJ 61 Kentucky feet", "JS_points.csv", "物探点号,特征,附属物,X,Y,地面高程,埋深,井深\n" +
			"JS1,三通,,3700000.000,5000000.000,5.20,1.20,\nJS2,,阀门,3700100.000,5000000.000,5.25,1.25,1.8\n", "EPSG:3547",
			"pipeline.point", -85.4785877251, 37.4842072673, -1, "NAD83(NSRS2007) to WGS 84 (1) (PROJ, accuracy 2 m)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := runOne(t, pool, importers.Request{Path: write(t, tc.file, tc.content), SRS: tc.srs, Dataset: tc.name})
			if !strings.Contains(strings.Join(rep.Transformations, "\n"), tc.op) || !strings.Contains(strings.Join(rep.Transformations, "\n"), "WGS 84 taken as CGCS2000") {
				t.Errorf("report transformations %q do not state %q", rep.Transformations, tc.op)
			}
			table := tc.table
			if table == "" {
				var name string
				if err := pool.QueryRow(context.Background(), `SELECT table_name FROM information_schema.tables WHERE table_schema = 'reference'
					AND table_name NOT LIKE '%\_default' ORDER BY table_name LIMIT 1`).Scan(&name); err != nil {
					t.Fatal(err)
				}
				table = pgx.Identifier{"reference", name}.Sanitize()
			}
			d, z := nearest(t, pool, table, rep.DatasetID, tc.lon, tc.lat)
			if d > 0.02 {
				t.Errorf("stored %.3f m from where PROJ puts it through WGS 84", d)
			}
			if tc.z >= 0 && math.Abs(z-tc.z) > 1e-6 {
				t.Errorf("height %v, want %v kept", z, tc.z)
			}
		})
	}
}

// TestUnknownDatumShiftRefused: a Gauss-Krüger file in Beijing 1954 or Xi'an 1980 (PROJ knows no
// transformation to WGS 84 or CGCS2000 for Laizhou) is refused naming the CRS and the way out (a
// 7-parameter local grid), by every importer, and no table changes.
func TestUnknownDatumShiftRefused(t *testing.T) {
	pool := pgtest.New(t)
	runOne(t, pool, importers.Request{Path: writeDir(t, map[string][]byte{"JS_points.csv": gbk(t, pointsCSV), "JS_segments.csv": gbk(t, segmentsCSV)}),
		SRS: "EPSG:4528", Dataset: "管线"})
	const way = "--srs local:<grid.yaml> with method: 7-parameter, target: EPSG:4490, source: {ellipsoid: "
	for _, tc := range []struct {
		name, file, content, srs, want, hint string
	}{
		{"CJJ 61 Beijing 1954", "JS_points.csv", pointsCSV, "EPSG:2416",
			"EPSG:2416 (Beijing 1954 / 3-degree Gauss-Kruger zone 40): PROJ knows no transformation from its datum to CGCS2000 or WGS 84",
			"beijing54, projection: {central_meridian: 120, false_easting: 40500000}}"},
		{"GeoJSON Xi'an 1980", "xian80.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2364"}},
			"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[40500000,4115000]}}]}`, "",
			// GDAL hands the layer's CRS over as ESRI WKT without its code; the message names it so
			`the CRS "Xian_1980_3_Degree_GK_Zone_40": PROJ knows no transformation from its datum to CGCS2000 or WGS 84`,
			"xian80, projection: {central_meridian: 120, false_easting: 40500000}}"},
		{"CityJSON Beijing 1954", "bj54.city.json", cityJSONBox("https://www.opengis.net/def/crs/EPSG/0/2416", 40500000, 4115000, 5), "",
			"EPSG:2416 (Beijing 1954 / 3-degree Gauss-Kruger zone 40): PROJ knows no transformation",
			"beijing54, projection: {central_meridian: 120, false_easting: 40500000}}"},
		{"CityGML Xi'an 1980 geographic", "xian80.gml", cityGMLBox("EPSG:4610", 119.94, 37.18, 5, 0.01, 0.01), "",
			"EPSG:4610 (Xian 1980): PROJ knows no transformation", "xian80}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, pool)
			cim := rows(t, pool, "cim.building")
			refused(t, pool, importers.Request{Path: write(t, tc.file, tc.content), SRS: tc.srs, Dataset: tc.name}, tc.want)
			refused(t, pool, importers.Request{Path: write(t, tc.file, tc.content), SRS: tc.srs, Dataset: tc.name}, way+tc.hint)
			sameCounts(t, tc.name, before, snapshot(t, pool))
			if n := rows(t, pool, "cim.building"); n != cim {
				t.Errorf("cim.building has %d rows, had %d", n, cim)
			}
		})
	}
}
