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
		{"citygml/v2_Building_and_garage_LOD2-EPSG25832.gml", 2, 12, 1, "EPSG:25832"},
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
