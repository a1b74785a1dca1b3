package live_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// BenchmarkHubAccept: position updates through the hub from 8 ingest goroutines (one change an
// Accept, as a gateway hands over one frame), with history writing on against the real PostGIS:
// updates/s accepted, and the rows/s the history writer COPYs into the day partitions (time from
// the first Accept until the last row is written).
func BenchmarkHubAccept(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	const vehicles = 1000
	reg := live.NewRegistry(pool)
	for i := range vehicles {
		if err := reg.Put(ctx, live.Device{ID: fmt.Sprintf("0139%08d", i), Kind: live.KindVehicle}); err != nil {
			b.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir = b.TempDir()
	cfg.Buffer = 5_000_000
	h := live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	if err := h.Start(ctx); err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go h.Run(rctx)

	const workers = 8
	t0 := time.Now().Add(-time.Hour)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < b.N; i += workers {
				v := i % vehicles
				c := live.Change{Type: live.ChangePosition, Object: fmt.Sprintf("0139%08d", v), Source: "bench",
					Time:     t0.Add(time.Duration(i/vehicles) * time.Second),
					Position: &live.Position{Lon: 119.9 + float64(i%997)*1e-5, Lat: 37.1 + float64(v)*1e-5, Speed: 40, Heading: 90}}
				if err := h.Accept(ctx, []live.Change{c}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	accepted := time.Since(start)
	b.StopTimer()
	var n int
	for {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.position`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n >= b.N {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	written := time.Since(start)
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "updates/s")
	b.ReportMetric(float64(n)/written.Seconds(), "rows/s-written")
}

// BenchmarkHistoryCopy: the history writer alone: 200,000 positions held (as after a database
// outage) written with COPY in batches of the default size.
func BenchmarkHistoryCopy(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	if err := live.NewRegistry(pool).Put(ctx, live.Device{ID: "013900000001", Kind: live.KindVehicle}); err != nil {
		b.Fatal(err)
	}
	const rows = 200_000
	for range b.N {
		b.StopTimer()
		if _, err := pool.Exec(ctx, `TRUNCATE live.position`); err != nil {
			b.Fatal(err)
		}
		cfg := live.DefaultConfig()
		cfg.SpoolDir = b.TempDir()
		h := live.NewHub(cfg, pool, nil, nil)
		if err := h.Start(ctx); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now().Add(-48 * time.Hour)
		cs := make([]live.Change, rows)
		for i := range cs {
			cs[i] = live.Change{Type: live.ChangePosition, Object: "013900000001", Source: "bench", Time: t0.Add(time.Duration(i) * 100 * time.Millisecond),
				Position: &live.Position{Lon: 119.9 + float64(i%1000)*1e-5, Lat: 37.1, Speed: 40, Heading: 90, Extra: map[string]float64{"mileage_km": float64(i)}}}
		}
		if err := h.Accept(ctx, cs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := h.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rows/time.Since(start).Seconds(), "rows/s")
	}
}
