package demo

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/importers/cass"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// benchBlocks sizes the benchmark's base map: 140 × 140 blocks make a DXF of just over 1,000,000
// features (buildings with their labels, road segments with their names, spot heights, manhole
// covers, ...).
const benchBlocks = 140

// benchFile generates the benchmark DXF once per machine (it is deterministic) and returns it.
func benchFile(b *testing.B) (string, Stats) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("yitu-bench-basemap-%d", benchBlocks))
	f, err := Generate(dir, Options{Seed: 1, Blocks: benchBlocks})
	if err != nil {
		b.Fatal(err)
	}
	return f.BaseMap, f.Stats
}

// BenchmarkImportBaseMap1M imports a generated 1,000,000-feature CASS base map (DXF, EPSG:4528) with
// Yitu (DXF reader, CASS classes, Go CRS conversion to EPSG:4490, COPY into the basemap tables with
// their indexes) and with GDAL's ogr2ogr -f PostgreSQL (PG_USE_COPY=YES, reprojected from EPSG:4528
// to EPSG:4490, one table with a spatial index), on the same file and database, and prints both rates.
func BenchmarkImportBaseMap1M(b *testing.B) {
	path, st := benchFile(b)
	info, _ := os.Stat(path)
	pool, dbURL := pgtest.NewWithURL(b)
	ctx := context.Background()
	type result struct {
		features int
		seconds  float64
	}
	var yitu, ogr result

	b.Run("yitu", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			bt, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: fmt.Sprintf("bench %d", i), Kind: "basemap", Format: "dxf", Source: path})
			if err != nil {
				b.Fatal(err)
			}
			if err := cass.Import(ctx, bt, path, cass.Options{SRS: SourceCRS}); err != nil {
				b.Fatal(err)
			}
			rep, err := bt.Commit(ctx)
			if err != nil {
				b.Fatal(err)
			}
			yitu = result{rep.Features, time.Since(start).Seconds()}
		}
		b.ReportMetric(float64(yitu.features)/yitu.seconds, "features/s")
	})

	b.Run("ogr2ogr", func(b *testing.B) {
		u, _ := url.Parse(dbURL)
		pg := fmt.Sprintf("PG:dbname=%s host=%s port=%s user=%s", strings.TrimPrefix(u.Path, "/"), u.Hostname(), u.Port(), u.User.Username())
		for b.Loop() {
			start := time.Now()
			cmd := exec.Command("ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", pg, path,
				"-nln", "ogr_bench", "-overwrite", "-s_srs", SourceCRS, "-t_srs", "EPSG:4490")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("ogr2ogr: %v\n%s", err, out)
			}
			secs := time.Since(start).Seconds()
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM ogr_bench").Scan(&n); err != nil {
				b.Fatal(err)
			}
			ogr = result{n, secs}
		}
		b.ReportMetric(float64(ogr.features)/ogr.seconds, "features/s")
	})

	fmt.Printf("\nBase map import, %s (%.0f MB, %d features written by the generator)\n", filepath.Base(path), float64(info.Size())/1e6, st.Features())
	fmt.Printf("%-48s %10s %9s %12s\n", "importer", "features", "seconds", "features/s")
	for _, r := range []struct {
		name string
		r    result
	}{{"yitu (DXF → CASS classes → 13 basemap tables)", yitu}, {"ogr2ogr -f PostgreSQL, PG_USE_COPY=YES", ogr}} {
		if r.r.seconds > 0 {
			fmt.Printf("%-48s %10d %9.1f %12.0f\n", r.name, r.r.features, r.r.seconds, float64(r.r.features)/r.r.seconds)
		}
	}
	if yitu.seconds > 0 && ogr.seconds > 0 {
		fmt.Printf("yitu / ogr2ogr: %.2f× the rate\n\n", (float64(yitu.features)/yitu.seconds)/(float64(ogr.features)/ogr.seconds))
	}
}
