package loader_test

import (
	"context"
	"fmt"
	"testing"

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
