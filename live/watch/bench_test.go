package watch

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// benchFences stores n hexagonal fences of 100–800 m across the county (about 60 × 65 km round
// Laizhou), each with an enter and a speed rule, and registers vehicles.
func benchFences(b *testing.B, vehicles, n int) (*live.Hub, *Store, string) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(b)
	reg := live.NewRegistry(pool)
	for i := range vehicles {
		if err := reg.Put(ctx, live.Device{ID: fmt.Sprintf("0139%08d", i), Kind: live.KindVehicle}); err != nil {
			b.Fatal(err)
		}
	}
	store := NewStore(pool)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		lon, lat, r := 119.65+rng.Float64()*0.6, 36.95+rng.Float64()*0.55, 100+rng.Float64()*700
		var ring []string
		for k := 0; k <= 6; k++ {
			a := float64(k%6) * math.Pi / 3
			ring = append(ring, fmt.Sprintf("[%f,%f]", lon+r*math.Cos(a)/88700, lat+r*math.Sin(a)/111000))
		}
		body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[%s]]},"properties":{"name":"f%d","rules":[{"kind":"enter"},{"kind":"speed","max_kmh":60}]}}`,
			joinComma(ring), i)
		ff, err := ParseFenceFeature([]byte(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.PutFence(ctx, 0, ff, "bench", nil); err != nil {
			b.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir, cfg.Buffer = b.TempDir(), 10_000_000
	cfg.StreamSize = 1 << 20 // the engine may lag the burst without losing changes: its sustained rate is measured
	p, err := spatial.Open(ctx, spatial.DBConfig{URL: url, MaxConns: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	h := live.NewHub(cfg, p, nil, prometheus.NewRegistry())
	if err := h.Start(ctx); err != nil {
		b.Fatal(err)
	}
	return h, NewStore(p), url
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// positions is a stream of fixes of vehicles wandering the county, some inside fences.
func positions(n, vehicles int) []live.Change {
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Now().Add(-time.Hour)
	out := make([]live.Change, n)
	lon, lat := make([]float64, vehicles), make([]float64, vehicles)
	for v := range vehicles {
		lon[v], lat[v] = 119.65+rng.Float64()*0.6, 36.95+rng.Float64()*0.55
	}
	for i := range out {
		v := i % vehicles
		lon[v] += (rng.Float64() - 0.5) * 0.002
		lat[v] += (rng.Float64() - 0.5) * 0.002
		out[i] = live.Change{Type: live.ChangePosition, Object: fmt.Sprintf("0139%08d", v), Source: "bench",
			Time: t0.Add(time.Duration(i/vehicles) * time.Second), Position: &live.Position{Lon: lon[v], Lat: lat[v], Speed: float64(20 + i%60)}}
	}
	return out
}

// BenchmarkFences1000: position updates/s through the hub (history on) with 1,000 polygon fences
// (enter and speed rules) matched in memory by the watch engine, from acceptance until the engine
// has matched the last; side by side, PostGIS answering the same question (which fences hold each
// position) with a GiST index and ST_Intersects, positions sent 1,000 a query.
func BenchmarkFences1000(b *testing.B) {
	const vehicles, fences, n = 1000, 1000, 300_000
	h, store, _ := benchFences(b, vehicles, fences)
	cs := positions(n, vehicles)
	b.Run("yitu", func(b *testing.B) {
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			e := NewEngine(h, store, nil, nil, nil)
			if err := e.Start(ctx); err != nil {
				b.Fatal(err)
			}
			go h.Run(ctx)
			go e.Run(ctx)
			time.Sleep(100 * time.Millisecond) // the engine subscribed to the stream
			start := time.Now()
			var wg sync.WaitGroup
			const workers = 4
			for w := range workers {
				wg.Go(func() {
					for i := w; i < n; i += workers {
						c := cs[i]
						if err := h.Accept(ctx, []live.Change{c}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			accepted := time.Since(start)
			last := h.Stream().Last()
			for e.Matched() < last {
				time.Sleep(time.Millisecond)
			}
			matched := time.Since(start)
			b.ReportMetric(n/accepted.Seconds(), "accepted/s")
			b.ReportMetric(n/matched.Seconds(), "updates/s")
			b.ReportMetric(float64(len(e.Open())), "open-alarms")
			cancel()
		}
	})
	b.Run("match-only", func(b *testing.B) { // the engine alone on changes already accepted
		for range b.N {
			e := NewEngine(h, store, nil, nil, nil)
			if err := e.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for i := range cs {
				e.Process(cs[i])
			}
			b.ReportMetric(n/time.Since(start).Seconds(), "updates/s")
		}
	})
	b.Run("postgis", func(b *testing.B) {
		ctx := context.Background()
		pool := h.Pool()
		if _, err := pool.Exec(ctx, `CREATE INDEX IF NOT EXISTS fence_area_gist ON live.fence USING gist (area); ANALYZE live.fence`); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			start := time.Now()
			hits := 0
			const batch = 1000
			xs, ys := make([]float64, batch), make([]float64, batch)
			for i := 0; i < n; i += batch {
				for k := range batch {
					xs[k], ys[k] = cs[i+k].Position.Lon, cs[i+k].Position.Lat
				}
				var got int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM unnest($1::float8[], $2::float8[]) AS p(x, y)
					JOIN live.fence f ON ST_Intersects(f.area, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490))`, xs, ys).Scan(&got); err != nil {
					b.Fatal(err)
				}
				hits += got
			}
			b.ReportMetric(n/time.Since(start).Seconds(), "updates/s")
			b.ReportMetric(float64(hits)/n, "fences/position")
		}
	})
}
