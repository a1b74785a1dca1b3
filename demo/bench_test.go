package demo

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
// Yitu (DXF reader, CASS classes, Go CRS conversion to EPSG:4490, COPY into the basemap tables' own
// partitions, indexed in bulk and attached) and with GDAL's ogr2ogr -f PostgreSQL (PG_USE_COPY=YES,
// reprojected from EPSG:4528 to EPSG:4490, one table with a spatial index), on the same file and
// database, and prints both rates. Beside wall time it prints the CPU seconds of the importing
// process and of its PostgreSQL backend (read from /proc when the database runs on this machine):
// on a shared machine they say more than the rate does.
func BenchmarkImportBaseMap1M(b *testing.B) {
	path, st := benchFile(b)
	info, _ := os.Stat(path)
	pool, dbURL := pgtest.NewWithURL(b)
	ctx := context.Background()
	type result struct {
		features       int
		seconds        float64
		client, server float64 // CPU seconds
	}
	var yitu, ogr result

	b.Run("yitu", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			start, cpu := time.Now(), selfCPU()
			bt, err := loader.New(pool, nil).Begin(ctx, loader.Options{Dataset: fmt.Sprintf("bench %d", i), Kind: "basemap", Format: "dxf", Source: path})
			if err != nil {
				b.Fatal(err)
			}
			var backend int
			if err := bt.Tx().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
				b.Fatal(err)
			}
			server := procCPU(backend)
			if err := cass.Import(ctx, bt, path, cass.Options{SRS: SourceCRS}); err != nil {
				b.Fatal(err)
			}
			rep, err := bt.Commit(ctx)
			if err != nil {
				b.Fatal(err)
			}
			yitu = result{rep.Features, time.Since(start).Seconds(), selfCPU() - cpu, procCPU(backend) - server}
		}
		b.ReportMetric(float64(yitu.features)/yitu.seconds, "features/s")
	})

	b.Run("ogr2ogr", func(b *testing.B) {
		u, _ := url.Parse(dbURL)
		pg := fmt.Sprintf("PG:dbname=%s host=%s port=%s user=%s", strings.TrimPrefix(u.Path, "/"), u.Hostname(), u.Port(), u.User.Username())
		const app = "yitu-bench-ogr2ogr"
		for b.Loop() {
			start := time.Now()
			cmd := exec.Command("ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", pg, path,
				"-nln", "ogr_bench", "-overwrite", "-s_srs", SourceCRS, "-t_srs", "EPSG:4490")
			cmd.Env = append(os.Environ(), "PGAPPNAME="+app)
			backends := watchBackends(ctx, pool, app)
			out, err := cmd.CombinedOutput()
			server := backends()
			if err != nil {
				b.Fatalf("ogr2ogr: %v\n%s", err, out)
			}
			secs := time.Since(start).Seconds()
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM ogr_bench").Scan(&n); err != nil {
				b.Fatal(err)
			}
			ogr = result{n, secs, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), server}
		}
		b.ReportMetric(float64(ogr.features)/ogr.seconds, "features/s")
	})

	fmt.Printf("\nBase map import, %s (%.0f MB, %d features written by the generator)\n", filepath.Base(path), float64(info.Size())/1e6, st.Features())
	fmt.Printf("%-48s %10s %9s %12s %14s %14s\n", "importer", "features", "seconds", "features/s", "importer CPU s", "database CPU s")
	for _, r := range []struct {
		name string
		r    result
	}{{"yitu (DXF → CASS classes → 13 basemap tables)", yitu}, {"ogr2ogr -f PostgreSQL, PG_USE_COPY=YES", ogr}} {
		if r.r.seconds > 0 {
			fmt.Printf("%-48s %10d %9.1f %12.0f %14.1f %14s\n", r.name, r.r.features, r.r.seconds, float64(r.r.features)/r.r.seconds,
				r.r.client, cpuString(r.r.server))
		}
	}
	if yitu.seconds > 0 && ogr.seconds > 0 {
		fmt.Printf("yitu / ogr2ogr: %.2f× the rate\n\n", (float64(yitu.features)/yitu.seconds)/(float64(ogr.features)/ogr.seconds))
	}
}

// selfCPU is the CPU time this process has used, in seconds.
func selfCPU() float64 {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano()).Seconds()
}

// procCPU is the CPU time of process pid in seconds (user + system, from /proc), -1 when it cannot
// be read (a database on another machine).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return -1
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // clock ticks: USER_HZ is 100 on Linux
}

// watchBackends follows the CPU time of the backends whose application_name is app until the
// returned function is called, which returns their total (-1 if unreadable). The backends end with
// their client, so it samples every 100 ms and keeps each one's last reading.
func watchBackends(ctx context.Context, pool *pgxpool.Pool, app string) func() float64 {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan map[int]float64)
	go func() {
		seen := map[int]float64{}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			rows, err := pool.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
			if err == nil {
				pids, _ := pgx.CollectRows(rows, pgx.RowTo[int32])
				for _, pid := range pids {
					if c := procCPU(int(pid)); c >= 0 {
						seen[int(pid)] = c
					}
				}
			}
			select {
			case <-ctx.Done():
				done <- seen
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		cancel()
		seen := <-done
		if len(seen) == 0 {
			return -1
		}
		var total float64
		for _, c := range seen {
			total += c
		}
		return total
	}
}

func cpuString(s float64) string {
	if s < 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", s)
}
