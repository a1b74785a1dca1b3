package loader_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// BenchmarkLoader imports 100,000 building footprints (5-vertex polygons with attributes, as a 1:500
// base map has them) per iteration into basemap.building through the loader, one transaction each,
// and reports rows/s end to end (Begin to Commit, indexes and geom_3857 included).
func BenchmarkLoader(b *testing.B) {
	const rows = 100_000
	pool := pgtest.New(b)
	l := loader.New(pool, nil)
	geoms := make([][]byte, rows)
	for i := range geoms {
		geoms[i] = square(119.9+float64(i%1000)*0.0002, 37.1+float64(i/1000)*0.0002, 0.0001)
	}
	src := sourceFile(b, "bench")
	b.ResetTimer()
	var total float64
	for i := 0; b.Loop(); i++ {
		importFootprints(b, l, fmt.Sprintf("bench %d", i), src, geoms)
		total += rows
	}
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGeom3857 measures what geom_3857 costs the loader, alternating two databases so that the
// machine's load falls on both alike: "go" is the schema as migrated (a plain column the loader fills
// with Web Mercator computed in Go), "generated" the column as it was before migration 00011
// (GENERATED ALWAYS AS ST_Force2D(ST_Transform(geom, 3857)), PostGIS transforming every row).
// Each round imports 50,000 building footprints into each; it reports rows/s for both.
func BenchmarkGeom3857(b *testing.B) {
	const rows = 50_000
	ctx := context.Background()
	geoms := make([][]byte, rows)
	for i := range geoms {
		geoms[i] = square(119.9+float64(i%1000)*0.0002, 37.1+float64(i/1000)*0.0002, 0.0001)
	}
	src := sourceFile(b, "bench")
	goPool, genPool := pgtest.New(b), pgtest.New(b)
	_, err := genPool.Exec(ctx, `
		DROP TRIGGER geom_3857_on_insert ON basemap.building;
		DROP TRIGGER geom_3857_on_update ON basemap.building;
		ALTER TABLE basemap.building DROP COLUMN geom_3857;
		ALTER TABLE basemap.building ADD COLUMN geom_3857 geometry(Geometry, 3857)
			GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED;
		CREATE INDEX ON basemap.building USING gist (geom_3857)`)
	if err != nil {
		b.Fatal(err)
	}
	var secs [2]float64
	var total float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for v, pool := range []*pgxpool.Pool{goPool, genPool} {
			start := time.Now()
			importFootprints(b, loader.New(pool, nil), fmt.Sprintf("bench %d", i), src, geoms)
			secs[v] += time.Since(start).Seconds()
		}
		total += rows
	}
	b.ReportMetric(total/secs[0], "rows/s-go")
	b.ReportMetric(total/secs[1], "rows/s-generated")
}

// importFootprints imports building footprints as one dataset.
func importFootprints(b *testing.B, l *loader.Loader, name, src string, geoms [][]byte) {
	ctx := context.Background()
	bt, err := l.Begin(ctx, loader.Options{Dataset: name, Kind: "basemap", Format: "bench", Source: src})
	if err != nil {
		b.Fatal(err)
	}
	w := bt.Table("building", buildingTable, []string{"source_layer", "code", "floors", "geom"})
	for j, g := range geoms {
		if err := w.Add("JMD", "141101", j%7+1, g); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := bt.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}
