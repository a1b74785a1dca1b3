package loader_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

var (
	buildingTable   = pgx.Identifier{"basemap", "building"}
	annotationTable = pgx.Identifier{"basemap", "annotation"}
)

// square is a small building footprint at (lon, lat) with side d degrees.
func square(lon, lat, d float64) []byte {
	g := geom.NewMultiPolygonFlat(geom.XY, []float64{lon, lat, lon + d, lat, lon + d, lat + d, lon, lat + d, lon, lat},
		[][]int{{10}})
	b, err := loader.EWKB(g)
	if err != nil {
		panic(err)
	}
	return b
}

func point(lon, lat float64) []byte {
	b, err := loader.EWKB(geom.NewPointFlat(geom.XY, []float64{lon, lat}))
	if err != nil {
		panic(err)
	}
	return b
}

func sourceFile(t testing.TB, content string) string {
	p := filepath.Join(t.TempDir(), "city.dxf")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// importCity writes n buildings and n annotations, interleaved (so the COPY switches tables), with one
// statement through Tx() in the middle.
func importCity(t *testing.T, l *loader.Loader, o loader.Options, n int) (*loader.Report, error) {
	t.Helper()
	ctx := context.Background()
	b, err := l.Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer b.Rollback(ctx)
	bw := b.Table("building", buildingTable, []string{"source_layer", "code", "floors", "geom"})
	aw := b.Table("annotation", annotationTable, []string{"text", "geom"})
	for i := range n {
		lon, lat := 119.9+float64(i%100)*0.0005, 37.1+float64(i/100)*0.0005
		if err := bw.Add("JMD", "141101", i%7+1, square(lon, lat, 0.0001)); err != nil {
			return nil, err
		}
		if err := aw.Add(fmt.Sprintf("楼 %d", i), point(lon, lat)); err != nil {
			return nil, err
		}
		if i == n/2 && b.Tx() != nil {
			if _, err := b.Tx().Exec(ctx, "SELECT 1"); err != nil {
				return nil, err
			}
		}
	}
	return b.Commit(ctx)
}

func TestImportReplaceRefuse(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	src := sourceFile(t, "0\nEOF\n")

	listen, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Release()
	if _, err := listen.Exec(ctx, "LISTEN "+spatial.ChangeChannel); err != nil {
		t.Fatal(err)
	}

	o := loader.Options{Dataset: "莱州城区", Kind: "basemap", Format: "dxf", Source: src, SourceCRS: "EPSG:4528", Actor: "tester"}
	rep, err := importCity(t, l, o, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["building"] != 5000 || rep.Counts["annotation"] != 5000 || rep.Features != 10000 {
		t.Errorf("counts = %v, features %d", rep.Counts, rep.Features)
	}
	if got := count(t, pool, "basemap.building"); got != 5000 {
		t.Errorf("buildings in the table = %d", got)
	}
	if rep.BBox == nil || rep.BBox[0] != 119.9 || rep.BBox[1] != 37.1 {
		t.Errorf("bbox = %v", rep.BBox)
	}
	var hash, crs, by string
	var counts map[string]int
	var layers []string
	var xmin float64
	err = pool.QueryRow(ctx, `SELECT source_hash, source_crs, imported_by, counts, layers, ST_XMin(bbox) FROM catalog.dataset WHERE id = $1`,
		rep.DatasetID).Scan(&hash, &crs, &by, &counts, &layers, &xmin)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", sha256.Sum256([]byte("0\nEOF\n"))); hash != want {
		t.Errorf("hash = %q", hash)
	}
	if crs != "EPSG:4528" || by != "tester" || counts["building"] != 5000 || xmin != 119.9 {
		t.Errorf("dataset row: crs %s by %s counts %v xmin %v", crs, by, counts, xmin)
	}
	if strings.Join(layers, ",") != "basemap.annotation,basemap.building" {
		t.Errorf("layers = %v", layers)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := listen.Conn().WaitForNotification(wctx)
	if err != nil {
		t.Fatalf("no change notification: %v", err)
	}
	ch, err := spatial.ParseChange(n.Payload)
	if err != nil || ch.Dataset != rep.DatasetID || ch.Reason != "import" || len(ch.Layers) != 2 || ch.BBox == nil {
		t.Errorf("change = %+v, %v", ch, err)
	}

	// Re-import under the same name: exactly the old rows go, the new ones come.
	other := o
	other.Dataset = "另一个"
	if _, err := importCity(t, l, other, 10); err != nil {
		t.Fatal(err)
	}
	rep2, err := importCity(t, l, o, 300)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Replaced != rep.DatasetID {
		t.Errorf("replaced = %d, want %d", rep2.Replaced, rep.DatasetID)
	}
	if got := count(t, pool, "basemap.building"); got != 310 {
		t.Errorf("after re-import: %d buildings, want 300 + 10", got)
	}
	if got := count(t, pool, "catalog.dataset"); got != 2 {
		t.Errorf("%d datasets, want 2", got)
	}

	// Rejections over MaxRejects refuse the import; nothing changes.
	b, err := l.Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	w := b.Table("building", buildingTable, []string{"geom"})
	if err := w.Add(square(120, 37, 0.001)); err != nil {
		t.Fatal(err)
	}
	b.Reject(loader.Rejection{File: src, Line: 12, Feature: "1A", Reason: "polyline with one vertex"})
	rep3, err := b.Commit(ctx)
	var refused *loader.RefusedError
	if !errors.As(err, &refused) || !rep3.Refused || !strings.Contains(err.Error(), "line 12 (1A): polyline with one vertex") {
		t.Fatalf("commit with a rejection = %v (%+v)", err, rep3)
	}
	if got := count(t, pool, "basemap.building"); got != 310 {
		t.Errorf("a refused import changed the table: %d buildings", got)
	}
	var id int64
	if err := pool.QueryRow(ctx, "SELECT id FROM catalog.dataset WHERE name = $1", o.Dataset).Scan(&id); err != nil || id != rep2.DatasetID {
		t.Errorf("a refused import replaced the dataset row: %d, %v", id, err)
	}

	// With --max-rejects 1 the same import goes through, with the rejection in the report.
	o.MaxRejects = 1
	b, _ = l.Begin(ctx, o)
	w = b.Table("building", buildingTable, []string{"geom"})
	_ = w.Add(square(120, 37, 0.001))
	b.Reject(loader.Rejection{File: src, Line: 12, Reason: "polyline with one vertex"})
	rep4, err := b.Commit(ctx)
	if err != nil || len(rep4.Rejected) != 1 || rep4.Counts["building"] != 1 {
		t.Fatalf("commit within max-rejects = %v, %+v", err, rep4)
	}
	var rejected int
	_ = pool.QueryRow(ctx, "SELECT rejected FROM catalog.dataset WHERE id = $1", rep4.DatasetID).Scan(&rejected)
	if rejected != 1 {
		t.Errorf("catalog.dataset.rejected = %d", rejected)
	}

	// Delete removes it all.
	if err := l.Delete(ctx, o.Dataset); err != nil {
		t.Fatal(err)
	}
	if got := count(t, pool, "basemap.building"); got != 10 {
		t.Errorf("after delete: %d buildings", got)
	}
	if exists(t, pool, fmt.Sprintf("basemap.building_d%d", rep4.DatasetID)) {
		t.Error("Delete left the dataset's partition")
	}
	if err := l.Delete(ctx, o.Dataset); !errors.Is(err, spatial.ErrNotFound) {
		t.Errorf("deleting again = %v", err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	o := loader.Options{Dataset: "dry", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x"), DryRun: true}
	rep, err := importCity(t, l, o, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || rep.Features != 200 || rep.SHA256 == "" {
		t.Errorf("report = %+v", rep)
	}
	if count(t, pool, "basemap.building") != 0 || count(t, pool, "catalog.dataset") != 0 {
		t.Error("a dry run wrote")
	}
}

// A row the database refuses (a Polygon into a MultiPolygon column) fails the import with the table
// named, and nothing is written.
func TestWriteErrorRollsBack(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	b, err := l.Begin(ctx, loader.Options{Dataset: "bad", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")})
	if err != nil {
		t.Fatal(err)
	}
	w := b.Table("building", buildingTable, []string{"geom"})
	poly, _ := loader.EWKB(geom.NewPolygonFlat(geom.XY, []float64{120, 37, 120.1, 37, 120.1, 37.1, 120, 37}, []int{8}))
	for range 10 {
		if err := w.Add(poly); err != nil {
			break
		}
	}
	_, err = b.Commit(ctx)
	if err == nil || !strings.Contains(err.Error(), `"basemap"."building"`) {
		t.Fatalf("commit = %v", err)
	}
	if count(t, pool, "catalog.dataset") != 0 {
		t.Error("the failed import left a dataset row")
	}
}

func TestGeometryChecks(t *testing.T) {
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	b, err := l.Begin(context.Background(), loader.Options{Dataset: "g", Source: sourceFile(t, "x"), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	w := b.Table("annotation", annotationTable, []string{"text", "geom"})
	gk, _ := loader.EWKB(geom.NewPointFlat(geom.XY, []float64{40500000, 4116000}))
	var ge *loader.GeometryError
	if err := w.Add("x", gk); !errors.As(err, &ge) || !strings.Contains(err.Error(), "not longitude/latitude") {
		t.Errorf("projected coordinates: %v", err)
	}
	if err := w.Add("x", []byte{1, 1, 0, 0}); !errors.As(err, &ge) {
		t.Errorf("truncated EWKB: %v", err)
	}
	if err := w.Add("x"); err == nil {
		t.Error("wrong number of values accepted")
	}
	if err := w.Add("x", point(120, 37)); err != nil {
		t.Error(err)
	}
}

// geom_3857 (generated) is the 2D Web Mercator copy of what the loader wrote, Z geometries included,
// and follows edits by other writers.
func TestGeom3857(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	b, err := l.Begin(ctx, loader.Options{Dataset: "m", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")})
	if err != nil {
		t.Fatal(err)
	}
	w := b.Table("building", buildingTable, []string{"geom"})
	for _, p := range [][2]float64{{119.94, 37.18}, {73.5, 18.2}, {134.7, 53.5}, {-179.9, -84.9}, {0, 0}} {
		if err := w.Add(square(p[0], p[1], 0.01)); err != nil {
			t.Fatal(err)
		}
	}
	z, _ := loader.EWKB(geom.NewLineStringFlat(geom.XYZ, []float64{120, 37, -1.5, 120.001, 37.001, -1.6}))
	if err := b.Table("segment", pgx.Identifier{"pipeline", "segment"}, []string{"pipe_type", "start_no", "end_no", "geom"}).Add("JS", "J1", "J2", z); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"basemap.building", "pipeline.segment"} {
		var n int
		var worst float64
		err := pool.QueryRow(ctx, `SELECT count(*), max(ST_HausdorffDistance(geom_3857, ST_Force2D(ST_Transform(geom, 3857))))
			FROM `+table+` WHERE ST_SRID(geom_3857) = 3857 AND ST_NDims(geom_3857) = 2`).Scan(&n, &worst)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || worst > 1e-6 {
			t.Errorf("%s: %d rows with a 2D EPSG:3857 copy, worst distance to ST_Transform %g m", table, n, worst)
		}
	}
	// Another writer: insert without geom_3857, then move the geometry.
	var id int64
	err = pool.QueryRow(ctx, `INSERT INTO basemap.building (dataset_id, geom)
		SELECT id, ST_Multi(ST_MakeEnvelope(120, 37, 120.1, 37.1, 4490)) FROM catalog.dataset LIMIT 1 RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"", "UPDATE basemap.building SET geom = ST_Multi(ST_MakeEnvelope(121, 38, 121.1, 38.1, 4490)) WHERE id = $1"} {
		if step != "" {
			if _, err := pool.Exec(ctx, step, id); err != nil {
				t.Fatal(err)
			}
		}
		var ok bool
		if err := pool.QueryRow(ctx, `SELECT ST_Equals(geom_3857, ST_Transform(geom, 3857)) FROM basemap.building WHERE id = $1`, id).Scan(&ok); err != nil || !ok {
			t.Errorf("after %q geom_3857 is not the transform of geom (%v)", step, err)
		}
	}
}

// FuzzEWKB: the loader's EWKB walker never panics on any bytes.
func FuzzEWKB(f *testing.F) {
	f.Add(square(120, 37, 0.1))
	f.Add(point(119.9, 37.2))
	z, _ := loader.EWKB(geom.NewLineStringFlat(geom.XYZ, []float64{120, 37, 1, 121, 38, 2}))
	f.Add(z)
	// A dry run: the loader checks every geometry without a database.
	b, err := loader.New(nil, nil).Begin(context.Background(), loader.Options{Dataset: "fuzz", Source: sourceFile(f, "x"), DryRun: true})
	if err != nil {
		f.Fatal(err)
	}
	w := b.Table("other", pgx.Identifier{"basemap", "other"}, []string{"geom"})
	f.Fuzz(func(t *testing.T, g []byte) {
		_ = w.Add(g)
	})
}

// A group's imports are committed together or not at all: a batch committed inside a group that is
// rolled back leaves nothing (rows, partitions, dataset rows); committed, both datasets are there.
func TestGroupAllOrNothing(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	src := sourceFile(t, "0\nSECTION\n")
	imp := func(g *loader.Group, name string, n int) {
		t.Helper()
		b, err := g.Begin(ctx, loader.Options{Dataset: name, Kind: "basemap", Format: "dxf", Source: src})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rollback(ctx)
		w := b.Table("building", buildingTable, []string{"source_layer", "geom"})
		for i := range n {
			if err := w.Add("JMD", square(119.9+float64(i)*0.001, 37.1, 0.0001)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	g, err := l.BeginGroup(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	imp(g, "a", 3)
	imp(g, "b", 4)
	g.Rollback(ctx)
	if n, d := count(t, pool, "basemap.building"), count(t, pool, "catalog.dataset"); n != 0 || d != 0 {
		t.Errorf("rolled-back group: %d buildings, %d datasets", n, d)
	}
	g, err = l.BeginGroup(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	imp(g, "a", 3)
	imp(g, "b", 4)
	if n := count(t, pool, "basemap.building"); n != 0 {
		t.Errorf("%d buildings visible before the group commits", n)
	}
	if err := g.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, d := count(t, pool, "basemap.building"), count(t, pool, "catalog.dataset"); n != 7 || d != 2 {
		t.Errorf("committed group: %d buildings, %d datasets", n, d)
	}
}
