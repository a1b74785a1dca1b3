package cim_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/cim"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func importGML(t *testing.T, pool *pgxpool.Pool, name, path string, opts cim.Options) (*loader.Report, error) {
	t.Helper()
	ctx := context.Background()
	l := loader.New(pool, slog.New(slog.DiscardHandler))
	b, err := l.Begin(ctx, loader.Options{Dataset: name, Kind: "cim", Format: "citygml", Source: path, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	if err := cim.ImportCityGML(ctx, b, path, opts); err != nil {
		return nil, err
	}
	return b.Commit(ctx)
}

// Every CityGML file of the shared data imports, with the buildings and surfaces the file has.
func TestImportCityGMLFiles(t *testing.T) {
	cases := []struct {
		file                        string
		buildings, surfaces, others int
		srs                         string
	}{
		{"citygml/Block020023.gml", 4, 56, 0, "EPSG:25833"},
		{"citygml/v2_Building_LOD2-EPSG25832.gml", 1, 7, 1, "EPSG:25832"},
		// the garage's wall shared with the house (an OrientableSurface "-" referencing the house's
		// wall) is a surface of the garage too
		{"citygml/v2_Building_and_garage_LOD2-EPSG25832.gml", 2, 13, 1, "EPSG:25832"},
		{"citygml/v3_Building_LOD2-EPSG25832.gml", 1, 7, 1, "EPSG:25832"},
	}
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, c := range cases {
		path := shareddata.Path(t, c.file)
		name := strings.TrimSuffix(filepath.Base(c.file), ".gml")
		rep, err := importGML(t, pool, name, path, cim.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if rep.SourceCRS != c.srs {
			t.Errorf("%s: source CRS %q, want %s", c.file, rep.SourceCRS, c.srs)
		}
		var b, s, o int
		var lonOK bool
		err = pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM cim.building WHERE dataset_id = $1),
			(SELECT count(*) FROM cim.surface WHERE dataset_id = $1),
			(SELECT count(*) FROM cim.city_object WHERE dataset_id = $1),
			(SELECT bool_and(ST_X(ST_Centroid(footprint)) BETWEEN 5 AND 15 AND ST_Y(ST_Centroid(footprint)) BETWEEN 47 AND 55 AND ST_ZMax(geom) > 20)
			 FROM cim.building WHERE dataset_id = $1 AND geom IS NOT NULL)`, rep.DatasetID).Scan(&b, &s, &o, &lonOK)
		if err != nil {
			t.Fatal(err)
		}
		if b != c.buildings || s != c.surfaces || o != c.others {
			t.Errorf("%s: %d buildings, %d surfaces, %d other objects; want %d, %d, %d", c.file, b, s, o, c.buildings, c.surfaces, c.others)
		}
		if !lonOK {
			t.Errorf("%s: buildings not transformed to lon/lat in Germany with their heights", c.file)
		}
	}
}

func TestCityGMLBadPolygons(t *testing.T) {
	src, err := os.ReadFile(shareddata.Path(t, "citygml/v2_Building_LOD2-EPSG25832.gml"))
	if err != nil {
		t.Fatal(err)
	}
	// Open the first ring: drop its closing point.
	s := string(src)
	i := strings.Index(s, "<gml:posList")
	j := strings.Index(s[i:], "</gml:posList>") + i
	list := s[i:j]
	fields := strings.Fields(list[strings.Index(list, ">")+1:])
	broken := s[:i] + list[:strings.Index(list, ">")+1] + strings.Join(fields[:len(fields)-3], " ") + s[j:]
	path := filepath.Join(t.TempDir(), "open_ring.gml")
	os.WriteFile(path, []byte(broken), 0o644)
	pool := pgtest.New(t)
	_, err = importGML(t, pool, "broken", path, cim.Options{})
	if err == nil || !strings.Contains(err.Error(), "not closed") || !strings.Contains(err.Error(), "GML_d3981803") {
		t.Errorf("open ring: err = %v", err)
	}
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM cim.building`).Scan(&n)
	if n != 0 {
		t.Errorf("%d buildings written by a refused import", n)
	}
}

func importJSON(t *testing.T, pool *pgxpool.Pool, name, path string, opts cim.Options) (*loader.Report, error) {
	t.Helper()
	ctx := context.Background()
	l := loader.New(pool, slog.New(slog.DiscardHandler))
	b, err := l.Begin(ctx, loader.Options{Dataset: name, Kind: "cim", Format: "cityjson", Source: path, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	if err := cim.ImportCityJSON(ctx, b, path, opts); err != nil {
		return nil, err
	}
	return b.Commit(ctx)
}

// counts reads what an import wrote.
func counts(t *testing.T, pool *pgxpool.Pool, ds int64) (buildings, surfaces, others int, classes map[string]int) {
	t.Helper()
	ctx := context.Background()
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cim.building WHERE dataset_id = $1),
		(SELECT count(*) FROM cim.surface WHERE dataset_id = $1), (SELECT count(*) FROM cim.city_object WHERE dataset_id = $1)`, ds).
		Scan(&buildings, &surfaces, &others)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := pool.Query(ctx, `SELECT class, count(*) FROM cim.city_object WHERE dataset_id = $1 GROUP BY class`, ds)
	classes = map[string]int{}
	for rows.Next() {
		var c string
		var n int
		rows.Scan(&c, &n)
		classes[c] = n
	}
	return
}

func TestImportCityJSONDelft(t *testing.T) {
	pool := pgtest.New(t)
	rep, err := importJSON(t, pool, "delft", shareddata.Path(t, "cityjson/delft.json"), cim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceCRS != "EPSG:7415" {
		t.Errorf("source CRS %q", rep.SourceCRS)
	}
	b, s, o, classes := counts(t, pool, rep.DatasetID)
	// delft.json: 160 Building (LoD1 solids) and 410 other objects with LoD1 multi-surfaces.
	if b != 160 || s != 0 || o != 410 {
		t.Errorf("%d buildings, %d surfaces, %d others; want 160, 0, 410", b, s, o)
	}
	want := map[string]int{"Road": 143, "PlantCover": 126, "LandUse": 81, "GenericCityObject": 54, "Bridge": 3, "WaterBody": 3}
	for c, n := range want {
		if classes[c] != n {
			t.Errorf("%s: %d, want %d", c, classes[c], n)
		}
	}
	var inDelft bool
	pool.QueryRow(context.Background(), `SELECT bool_and(ST_X(ST_Centroid(footprint)) BETWEEN 4.3 AND 4.4 AND ST_Y(ST_Centroid(footprint)) BETWEEN 51.9 AND 52.1)
		FROM cim.building WHERE dataset_id = $1`, rep.DatasetID).Scan(&inDelft)
	if !inDelft {
		t.Error("Delft buildings are not in Delft after the transform")
	}
}

func TestImportCityJSONRotterdam(t *testing.T) {
	pool := pgtest.New(t)
	path := shareddata.Path(t, "cityjson/rotterdam/rotterdam_subset.json")
	// No CRS declared: refused with a clear message, then imported with --srs.
	if _, err := importJSON(t, pool, "rotterdam", path, cim.Options{}); err == nil || !strings.Contains(err.Error(), "--srs") {
		t.Errorf("no CRS: err = %v", err)
	}
	rep, err := importJSON(t, pool, "rotterdam", path, cim.Options{SRS: "EPSG:7415"})
	if err != nil {
		t.Fatal(err)
	}
	b, s, _, _ := counts(t, pool, rep.DatasetID)
	if b != 16 || s == 0 {
		t.Errorf("%d buildings, %d surfaces; want 16 buildings with semantic surfaces", b, s)
	}
	// 73 of the 74 textures are missing: a warning, not an error; the one present is stored.
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "73 of 74 textures are missing") {
		t.Errorf("warnings = %v", rep.Warnings)
	}
	var textures, textured int
	pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM cim.texture WHERE dataset_id = $1),
		(SELECT count(*) FROM cim.surface WHERE dataset_id = $1 AND appearance ? 'texture')`, rep.DatasetID).Scan(&textures, &textured)
	if textures != 1 {
		t.Errorf("%d textures stored, want 1", textures)
	}
	t.Logf("%d surfaces, %d textured", s, textured)
}

// TestCityGMLReferencesAndAddresses: testdata/shared_walls.gml (three adjoining buildings in
// EPSG:4549) and testdata/address_v3.gml (CityGML 3.0).
func TestCityGMLReferencesAndAddresses(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	rep, err := importGML(t, pool, "shared_walls", "testdata/shared_walls.gml", cim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The address position's EPSG:4326 is not the file's CRS.
	if rep.SourceCRS != "EPSG:4549" || len(rep.Rejected) != 0 {
		t.Fatalf("source CRS %q, rejected %v; want EPSG:4549, none", rep.SourceCRS, rep.Rejected)
	}
	var nA, nB, nC int
	pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE building_gml_id = 'A'), count(*) FILTER (WHERE building_gml_id = 'B'),
		count(*) FILTER (WHERE building_gml_id = 'C') FROM cim.surface WHERE dataset_id = $1`, rep.DatasetID).Scan(&nA, &nB, &nC)
	if nA != 6 || nB != 6 || nC != 6 {
		t.Errorf("surfaces A %d, B %d, C %d; want 6 each (B's walls by reference too)", nA, nB, nC)
	}
	same := func(q string) bool {
		var ok bool
		if err := pool.QueryRow(ctx, q, rep.DatasetID).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// B's west wall is A's east wall reversed (backward reference through an OrientableSurface "-").
	if !same(`SELECT ST_OrderingEquals(b.geom, ST_Reverse(a.geom)) FROM cim.surface a, cim.surface b
		WHERE a.dataset_id = $1 AND b.dataset_id = $1 AND a.gml_id = 'A-wall-e' AND b.gml_id = 'B-wall-w'`) {
		t.Error("B's west wall is not A's east wall reversed")
	}
	// B's north wall is C's south wall (forward plain surfaceMember reference).
	if !same(`SELECT ST_OrderingEquals(b.geom, c.geom) FROM cim.surface b, cim.surface c
		WHERE b.dataset_id = $1 AND c.dataset_id = $1 AND b.gml_id = 'B-wall-n' AND c.gml_id = 'C-wall-s'`) {
		t.Error("B's north wall is not C's south wall")
	}
	// C's ground is in EPSG:4528 (easting + 40 000 000), its roof in EPSG:4549: they coincide in plan.
	if !same(`SELECT ST_HausdorffDistance(ST_Force2D(g.geom), ST_Force2D(r.geom)) < 1e-9 FROM cim.surface g, cim.surface r
		WHERE g.dataset_id = $1 AND r.dataset_id = $1 AND g.gml_id = 'C-ground' AND r.gml_id = 'C-roof'`) {
		t.Error("C's ground (EPSG:4528) and roof (EPSG:4549) do not coincide in plan")
	}
	// A's corner (494500, 4115000) in EPSG:4549 lies at 119.938075°E, 37.166583°N (gdaltransform
	// -s_srs EPSG:4549 -t_srs EPSG:4490).
	if !same(`SELECT abs(ST_XMin(geom) - 119.938075) < 1e-6 AND abs(ST_YMin(geom) - 37.166583) < 1e-6 FROM cim.building WHERE dataset_id = $1 AND gml_id = 'A'`) {
		t.Error("building A's corner is not at 119.938075°E 37.166583°N")
	}
	var addr, street string
	pool.QueryRow(ctx, `SELECT coalesce(address, ''), coalesce(attributes->'addresses'->0->>'street', '') FROM cim.building WHERE dataset_id = $1 AND gml_id = 'A'`, rep.DatasetID).Scan(&addr, &street)
	if addr != "文化东街 12, 261400 莱州市, 中国" || street != "文化东街" {
		t.Errorf("address %q (street %q); want 文化东街 12, 261400 莱州市, 中国", addr, street)
	}

	rep, err = importGML(t, pool, "address_v3", "testdata/address_v3.gml", cim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool.QueryRow(ctx, `SELECT coalesce(address, '') FROM cim.building WHERE dataset_id = $1`, rep.DatasetID).Scan(&addr)
	if rep.SourceCRS != "EPSG:4549" || addr != "府前路 1, 261400 莱州市, 中国" {
		t.Errorf("CityGML 3.0: source CRS %q, address %q; want EPSG:4549, 府前路 1, 261400 莱州市, 中国", rep.SourceCRS, addr)
	}
}

// TestCityJSONAddresses: testdata/address.city.json has metadata.referenceSystem as an object
// (authority EPSG, code 4549), a per-object geographicalExtent in degrees (no CRS of its own), and
// two addresses with xAL keys and a location.
func TestCityJSONAddresses(t *testing.T) {
	pool := pgtest.New(t)
	rep, err := importJSON(t, pool, "address_cityjson", "testdata/address.city.json", cim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var addr, number string
	var cornerOK bool
	err = pool.QueryRow(context.Background(), `SELECT coalesce(address, ''), coalesce(attributes->'addresses'->1->>'number', ''),
		abs(ST_XMin(geom) - 119.938075) < 1e-6 AND abs(ST_YMin(geom) - 37.166583) < 1e-6
		FROM cim.building WHERE dataset_id = $1 AND gml_id = 'J1'`, rep.DatasetID).Scan(&addr, &number, &cornerOK)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceCRS != "EPSG:4549" || !cornerOK {
		t.Errorf("source CRS %q, corner at 119.938075°E 37.166583°N %v; want EPSG:4549, true", rep.SourceCRS, cornerOK)
	}
	if addr != "文化东街 12, 261400 莱州市, 中国; 文化东街 14, 261400 莱州市, 中国" || number != "14" {
		t.Errorf("address %q, second number %q", addr, number)
	}
}
