package command

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// BenchmarkNetworkBuild builds the road network of a county-sized grid (n × n blocks of 100 m, each
// block edge a road of its own, every fifth a 县道, the rest 村道) and routes 12 teams to a fire
// across it; it prints the figures for grids of 20,000 and 80,000 road segments.
func BenchmarkNetworkBuild(b *testing.B) {
	for _, n := range []int{100, 200} {
		b.Run(fmt.Sprintf("grid%d", n), func(b *testing.B) {
			ctx := context.Background()
			pool := pgtest.New(b)
			if _, err := pool.Exec(ctx, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
				VALUES ('grid', 'basemap', 'geojson', 'grid', 'x', 'EPSG:4490', 'bench')`); err != nil {
				b.Fatal(err)
			}
			// ≈ 100 m steps at 37°N: 0.0011° of longitude, 0.0009° of latitude.
			if _, err := pool.Exec(ctx, `INSERT INTO basemap.road (dataset_id, name, grade, geom)
				SELECT 1, 'r', CASE WHEN j % 5 = 0 THEN '县道' ELSE '村道' END,
					ST_MakeLine(ST_SetSRID(ST_MakePoint(119.5 + i * 0.0011, 37.0 + j * 0.0009), 4490), ST_SetSRID(ST_MakePoint(119.5 + (i + 1) * 0.0011, 37.0 + j * 0.0009), 4490))
				FROM generate_series(0, $1 - 1) i, generate_series(0, $1) j
				UNION ALL
				SELECT 1, 'r', CASE WHEN i % 5 = 0 THEN '县道' ELSE '村道' END,
					ST_MakeLine(ST_SetSRID(ST_MakePoint(119.5 + i * 0.0011, 37.0 + j * 0.0009), 4490), ST_SetSRID(ST_MakePoint(119.5 + i * 0.0011, 37.0 + (j + 1) * 0.0009), 4490))
				FROM generate_series(0, $1) i, generate_series(0, $1 - 1) j`, n); err != nil {
				b.Fatal(err)
			}
			cat, err := spatial.NewCatalogStore(ctx, pool, nil)
			if err != nil {
				b.Fatal(err)
			}
			net := NewNetwork(pool, cat, DefaultConfig(), nil)
			var build, route time.Duration
			var st NetworkState
			for b.Loop() {
				t0 := time.Now()
				if st, err = net.Build(ctx, true); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				var teams []Place
				for k := range 12 {
					teams = append(teams, Place{119.5 + float64(k*n/12)*0.0011 + 0.0003, 37.0 + float64(k%3)*0.0009*float64(n)/3})
				}
				fire := Place{119.5 + float64(n)*0.0011/2 + 0.0004, 37.0 + float64(n)*0.0009/2 + 0.0002}
				rs, err := net.Routes(ctx, teams, []Place{fire}, true)
				if err != nil || len(rs) != 12 {
					b.Fatalf("%d routes: %v", len(rs), err)
				}
				build, route = build+t1.Sub(t0), route+time.Since(t1)
			}
			fmt.Printf("\n| grid | edges | vertices | build s | 12 teams routed ms |\n|---|---|---|---|---|\n| %d × %d | %d | %d | %.1f | %.0f |\n",
				n, n, st.Edges, st.Vertices, build.Seconds()/float64(b.N), float64(route.Milliseconds())/float64(b.N))
		})
	}
}
