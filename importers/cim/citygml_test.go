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
