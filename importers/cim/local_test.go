package cim_test

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/cim"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// Two control points of the local grid (莱州城建坐标系) with their CGCS2000 zone-40 coordinates
// (EPSG:4528, easting with the zone prefix, northing), as a survey office hands them out.
var (
	ctlLocal = [2]complex128{complex(0, 0), complex(500, 400)}
	ctl4528  = [2]complex128{complex(40494612.345, 4114823.456), complex(40495103.873, 4115233.852)}
)

// localGridYAML derives the 4-parameter grid from the two control points (the similarity that maps
// one pair onto the other: k·e^{iθ} = ΔE / Δlocal) and writes its definition file.
func localGridYAML(t *testing.T) string {
	t.Helper()
	m := (ctl4528[1] - ctl4528[0]) / (ctlLocal[1] - ctlLocal[0])
	shift := ctl4528[0] - m*ctlLocal[0]
	k, theta := cmplx.Abs(m), cmplx.Phase(m)
	def := fmt.Sprintf("name: 莱州城建坐标系 (test)\nmethod: 4-parameter\ntarget: EPSG:4528\ndx: %.6f\ndy: %.6f\nrotation_deg: %.12f\nscale: %.12f\n",
		real(shift), imag(shift), theta*180/math.Pi, k)
	path := filepath.Join(t.TempDir(), "grid.yaml")
	if err := os.WriteFile(path, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expected4528 places a local point by the control points alone: A' + (p − A)·(B' − A')/(B − A).
func expected4528(x, y float64) (e, n float64) {
	p := ctl4528[0] + (complex(x, y)-ctlLocal[0])*(ctl4528[1]-ctl4528[0])/(ctlLocal[1]-ctlLocal[0])
	return real(p), imag(p)
}

// checkCorners finds every corner of the test building in cim.surface within 0.01 m of the point
// PostGIS computes from the control points (ST_Transform from EPSG:4528), at its own height.
func checkCorners(t *testing.T, pool *pgxpool.Pool, ds int64) {
	t.Helper()
	for _, c := range [][3]float64{{200, 300, 4.2}, {230, 300, 4.2}, {230, 315, 4.2}, {200, 315, 4.2}, {200, 300, 16.2}, {230, 315, 16.2}} {
		e, n := expected4528(c[0], c[1])
		var dist, z float64
		err := pool.QueryRow(context.Background(), `
			WITH want AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), 4528), 4490) AS p)
			SELECT ST_Distance(d.geom::geography, want.p::geography), ST_Z(d.geom)
			FROM cim.surface s, want, ST_DumpPoints(s.geom) d
			WHERE s.dataset_id = $1 AND abs(ST_Z(d.geom) - $4) < 0.001
			ORDER BY ST_Distance(d.geom::geography, want.p::geography) LIMIT 1`, ds, e, n, c[2]).Scan(&dist, &z)
		if err != nil {
			t.Fatalf("corner %v: %v", c, err)
		}
		t.Logf("corner %v: %.5f m from the control points' placement", c, dist)
		if dist > 0.01 {
			t.Errorf("corner %v (local) lands %.4f m from its EPSG:4528 position %.3f %.3f", c, dist, e, n)
		}
		if math.Abs(z-c[2]) > 1e-9 {
			t.Errorf("corner %v: height %v, want %v kept", c, z, c[2])
		}
	}
}

// yitu import local_grid.gml --srs local:grid.yaml: the building lands where the control points put it.
func TestImportCityGMLLocalGrid(t *testing.T) {
	pool := pgtest.New(t)
	grid := localGridYAML(t)
	path := filepath.Join("testdata", "local_grid.gml")

	// Without --srs: refused, naming the file, the srsName and both ways out.
	_, err := importGML(t, pool, "local", path, cim.Options{})
	for _, want := range []string{path, "urn:yitu:crs:local:laizhou-chengjian", "--srs EPSG:<code>", "--srs local:<grid.yaml>"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no --srs: err = %v; want it to say %q", err, want)
		}
	}

	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(),
		importers.Request{Path: path, SRS: "local:" + grid, Actor: "test"}, nil)
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import: %v %+v", err, res)
	}
	rep := res[0].Report
	if rep.Format != "citygml" || rep.SourceCRS != "local:"+grid {
		t.Errorf("format %q, source CRS %q; want citygml, local:%s", rep.Format, rep.SourceCRS, grid)
	}
	var recorded string
	pool.QueryRow(context.Background(), `SELECT source_crs FROM catalog.dataset WHERE id = $1`, rep.DatasetID).Scan(&recorded)
	if recorded != "local:"+grid {
		t.Errorf("catalog.dataset.source_crs = %q", recorded)
	}
	b, s, _, _ := counts(t, pool, rep.DatasetID)
	if b != 1 || s != 6 {
		t.Errorf("%d buildings, %d surfaces; want 1, 6", b, s)
	}
	checkCorners(t, pool, rep.DatasetID)
}

// The same building as CityJSON without a referenceSystem, imported with --srs local:grid.yaml.
func TestImportCityJSONLocalGrid(t *testing.T) {
	pool := pgtest.New(t)
	grid := localGridYAML(t)
	// Vertices in millimetres with a transform, as CityJSON writers do.
	doc := `{"type":"CityJSON","version":"2.0","transform":{"scale":[0.001,0.001,0.001],"translate":[200,300,0]},
	"CityObjects":{"LZ-B1":{"type":"Building","attributes":{"measuredHeight":12},
	  "geometry":[{"type":"Solid","lod":"2","boundaries":[[[[3,2,1,0]],[[4,5,6,7]],[[0,1,5,4]],[[1,2,6,5]],[[2,3,7,6]],[[3,0,4,7]]]],
	    "semantics":{"surfaces":[{"type":"GroundSurface"},{"type":"RoofSurface"},{"type":"WallSurface"}],"values":[[0,1,2,2,2,2]]}}]}},
	"vertices":[[0,0,4200],[30000,0,4200],[30000,15000,4200],[0,15000,4200],[0,0,16200],[30000,0,16200],[30000,15000,16200],[0,15000,16200]]}`
	path := filepath.Join(t.TempDir(), "local.city.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importJSON(t, pool, "local", path, cim.Options{}); err == nil || !strings.Contains(err.Error(), "--srs local:<grid.yaml>") {
		t.Errorf("no CRS: err = %v", err)
	}
	rep, err := importJSON(t, pool, "local", path, cim.Options{SRS: "local:" + grid})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceCRS != "local:"+grid {
		t.Errorf("source CRS %q", rep.SourceCRS)
	}
	b, s, _, _ := counts(t, pool, rep.DatasetID)
	if b != 1 || s != 3 {
		t.Errorf("%d buildings, %d surfaces; want 1 building with ground, roof and wall surfaces", b, s)
	}
	checkCorners(t, pool, rep.DatasetID)
}

// Through a 7-parameter grid (Xi'an 80 Gauss-Krüger → CGCS2000) the building lands where spatial/crs
// puts it, and its heights stay as they are: normal heights, which the datum shift does not change.
func TestImportCityGMLSevenParameterGrid(t *testing.T) {
	pool := pgtest.New(t)
	grid := filepath.Join(t.TempDir(), "xian80.yaml")
	def := "name: 西安80 3度带 120°E (test)\nmethod: 7-parameter\ntarget: EPSG:4490\nsource:\n  ellipsoid: xian80\n  projection:\n    central_meridian: 120\n    false_easting: 500000\n" +
		"tx: -15.2\nty: 120.3\ntz: 45.1\nrx: 0.32\nry: -1.2\nrz: 2.1\nds_ppm: -3.4\n"
	if err := os.WriteFile(grid, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	// The test building moved into the grid's range (easting 494 km, northing 4115 km).
	src, err := os.ReadFile(filepath.Join("testdata", "local_grid.gml"))
	if err != nil {
		t.Fatal(err)
	}
	coords := regexp.MustCompile(`(<gml:(?:posList|lowerCorner|upperCorner)[^>]*>)([^<]*)<`)
	moved := coords.ReplaceAllStringFunc(string(src), func(m string) string {
		parts := coords.FindStringSubmatch(m)
		f := strings.Fields(parts[2])
		for i := range f {
			v, _ := strconv.ParseFloat(f[i], 64)
			v += [3]float64{494000, 4115000, 0}[i%3]
			f[i] = strconv.FormatFloat(v, 'f', 3, 64)
		}
		return parts[1] + strings.Join(f, " ") + "<"
	})
	path := filepath.Join(t.TempDir(), "xian80.gml")
	if err := os.WriteFile(path, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := importGML(t, pool, "xian80", path, cim.Options{SRS: "local:" + grid})
	if err != nil {
		t.Fatal(err)
	}
	g, err := crs.LoadLocalGrid(grid)
	if err != nil {
		t.Fatal(err)
	}
	lon, lat := g.ToLonLat(494200, 4115300)
	var dist, zmin, zmax float64
	err = pool.QueryRow(context.Background(), `
		SELECT min(ST_Distance(d.geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4490)::geography)), min(ST_Z(d.geom)), max(ST_Z(d.geom))
		FROM cim.surface s, ST_DumpPoints(s.geom) d WHERE s.dataset_id = $1`, rep.DatasetID, lon, lat).Scan(&dist, &zmin, &zmax)
	if err != nil {
		t.Fatal(err)
	}
	if dist > 0.001 || zmin != 4.2 || zmax != 16.2 {
		t.Errorf("corner %.4f m from the grid's placement, heights %g–%g; want 0, 4.2–16.2", dist, zmin, zmax)
	}
}
