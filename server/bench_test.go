package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// benchBuildings is the size of the benchmark's building layer: a county town's 1:500 houses.
const benchBuildings = 100000

// peer is a feature server under benchmark: how to ask it for a page and for a bbox.
type peer struct {
	name  string
	page  func(offset int) string
	bbox  func(minx, miny, maxx, maxy float64) string
	close func()
}

// BenchmarkFeatures serves pages of 1,000 buildings and bbox queries from Yitu and, when the bench
// script built it (PG_FEATURESERV names its binary), from pg_featureserv over the same database, one
// after the other in this run, and prints the figures side by side.
func BenchmarkFeatures(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, dbURL := pgtest.NewWithURL(b)
	mustExec(b, pool, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('bench', 'basemap', 'dxf', 'bench.dxf', 'x', 'EPSG:4528', 'bench')`)
	// 100,000 houses of 10 to 40 m in a 316 × 316 grid of 25 m cells around Laizhou.
	mustExec(b, pool, `
		INSERT INTO basemap.building (dataset_id, code, name, floors, structure, height, address, source_layer, geom)
		SELECT 1, '141101', '房屋' || g, g % 12 + 1, CASE WHEN g % 3 = 0 THEN '砼' ELSE '砖' END, (g % 12 + 1) * 3.0,
		       '莱州市文化东路' || g || '号', 'JMD',
		       ST_Multi(ST_MakeEnvelope(x, y, x + 0.0001 + (g % 4) * 0.00003, y + 0.0001 + (g % 3) * 0.00003, 4490))
		FROM (SELECT g, 119.90 + (g % 316) * 0.00028 AS x, 37.15 + (g / 316) * 0.000225 AS y
		      FROM generate_series(0, $1 - 1) g) s`, benchBuildings)
	mustExec(b, pool, `VACUUM ANALYZE basemap.building`)

	log := slog.New(slog.DiscardHandler)
	store, err := spatial.NewCatalogStore(ctx, pool, log)
	if err != nil {
		b.Fatal(err)
	}
	srv := New(Config{}, Deps{Log: log, Version: "bench", Pool: pool, Catalog: store, Features: features.New(pool, log)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.ServeListener(ctx, ln)
	yitu := "http://" + ln.Addr().String()
	peers := []peer{{
		name: "yitu",
		page: func(offset int) string {
			return fmt.Sprintf("%s/collections/basemap.building/items?limit=1000&offset=%d", yitu, offset)
		},
		bbox: func(minx, miny, maxx, maxy float64) string {
			return fmt.Sprintf("%s/collections/basemap.building/items?limit=10000&bbox=%f,%f,%f,%f", yitu, minx, miny, maxx, maxy)
		},
		close: func() {},
	}}
	if bin := os.Getenv("PG_FEATURESERV"); bin != "" {
		peers = append(peers, startPGFeatureserv(b, bin, dbURL))
	} else {
		b.Log("PG_FEATURESERV is not set (make bench builds pg_featureserv): Yitu's figures alone")
	}
	defer func() {
		for _, p := range peers {
			p.close()
		}
	}()

	type figure struct{ itemsPerSec, reqPerSec, mbPerSec float64 }
	results := map[string]map[string]figure{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: time.Minute}
	fetch := func(b *testing.B, url string) (int, int64) {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			b.Fatalf("%s: %d %s", url, resp.StatusCode, body)
		}
		var fc struct {
			Features []json.RawMessage `json:"features"`
		}
		cr := &countingReader{r: resp.Body}
		if err := json.NewDecoder(cr).Decode(&fc); err != nil {
			b.Fatal(err)
		}
		return len(fc.Features), cr.n
	}
	boxes := func(i int) (float64, float64, float64, float64) { // ~500 houses each, walking the town
		x := 119.90 + float64(i%20)*0.004
		y := 37.15 + float64(i/20%10)*0.005
		return x, y, x + 0.0063, y + 0.0036
	}
	for _, kind := range []string{"items-page-1000", "bbox"} {
		for _, p := range peers {
			b.Run(kind+"/"+p.name, func(b *testing.B) {
				// Warm both the server and the database cache, and check the answer.
				n, _ := fetch(b, p.page(0))
				if n != 1000 {
					b.Fatalf("%s returned %d features for a page of 1000", p.name, n)
				}
				var items, bytes int64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var url string
					if kind == "bbox" {
						url = p.bbox(boxes(i))
					} else {
						url = p.page((i % 50) * 1000)
					}
					n, sz := fetch(b, url)
					items += int64(n)
					bytes += sz
				}
				sec := b.Elapsed().Seconds()
				f := figure{float64(items) / sec, float64(b.N) / sec, float64(bytes) / sec / 1e6}
				b.ReportMetric(f.itemsPerSec, "items/s")
				b.ReportMetric(f.reqPerSec, "req/s")
				if results[kind] == nil {
					results[kind] = map[string]figure{}
				}
				results[kind][p.name] = f
			})
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\n%-16s %-15s %12s %10s %10s %8s\n", "benchmark", "server", "items/s", "req/s", "MB/s", "× peer")
	kinds := make([]string, 0, len(results))
	for k := range results {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for _, p := range peers {
			f, ok := results[k][p.name]
			if !ok {
				continue
			}
			ratio := ""
			if pf, ok := results[k]["pg_featureserv"]; ok && p.name == "yitu" && pf.itemsPerSec > 0 {
				ratio = fmt.Sprintf("%.2f", f.itemsPerSec/pf.itemsPerSec)
			}
			fmt.Fprintf(&out, "%-16s %-15s %12.0f %10.1f %10.1f %8s\n", k, p.name, f.itemsPerSec, f.reqPerSec, f.mbPerSec, ratio)
		}
	}
	fmt.Print(out.String())
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// startPGFeatureserv runs pg_featureserv over the benchmark database on a free port.
func startPGFeatureserv(b *testing.B, bin, dbURL string) peer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, fmt.Sprintf("PGFS_SERVER_HTTPPORT=%d", port),
		"PGFS_SERVER_HTTPHOST=127.0.0.1", "PGFS_PAGING_LIMITDEFAULT=1000", "PGFS_PAGING_LIMITMAX=10000")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/collections.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			b.Fatalf("pg_featureserv did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return peer{
		name: "pg_featureserv",
		page: func(offset int) string {
			return fmt.Sprintf("%s/collections/basemap.building/items.json?limit=1000&offset=%d", base, offset)
		},
		bbox: func(minx, miny, maxx, maxy float64) string {
			return fmt.Sprintf("%s/collections/basemap.building/items.json?limit=10000&bbox=%f,%f,%f,%f", base, minx, miny, maxx, maxy)
		},
		close: func() { cmd.Process.Kill(); cmd.Wait() },
	}
}
