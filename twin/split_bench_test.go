package twin

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/twintest"
)

// benchCity writes an oblique-like OBJ model of tiles×tiles tiles of 200 m, each with a ground of
// 2 m squares and 8×8 buildings of 15×15 m (walls and roofs tessellated in 1 m cells, 9–21 m high),
// imports it, inserts the buildings' footprints, and returns the model's triangle count.
func benchCity(b *testing.B, pool *pgxpool.Pool, tiles int) int64 {
	dir := b.TempDir()
	origin := [2]float64{119.95, 37.17}
	fr := geodesy.NewFrame(origin[0], origin[1], 0)
	var tris int64
	var footprints []string
	for ti := range tiles {
		for tj := range tiles {
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("Tile_%d_%d.obj", ti, tj)))
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriter(f)
			nv := 0
			quad := func(a, c, d, e int) {
				fmt.Fprintf(w, "f %d %d %d\nf %d %d %d\n", a, c, d, a, d, e)
				tris += 2
			}
			// grid writes a (nu+1)×(nv+1) vertex grid p(u, v) and its quads.
			grid := func(nu, nvv int, p func(u, v int) [3]float64) {
				base := nv + 1
				for v := 0; v <= nvv; v++ {
					for u := 0; u <= nu; u++ {
						q := p(u, v)
						fmt.Fprintf(w, "v %g %g %g\n", q[0], q[1], q[2])
						nv++
					}
				}
				id := func(u, v int) int { return base + v*(nu+1) + u }
				for v := range nvv {
					for u := range nu {
						quad(id(u, v), id(u+1, v), id(u+1, v+1), id(u, v+1))
					}
				}
			}
			x0, y0 := float64(ti)*200, float64(tj)*200
			grid(100, 100, func(u, v int) [3]float64 { return [3]float64{x0 + 2*float64(u), y0 + 2*float64(v), 0} })
			for k := range 64 {
				bx, by := x0+5+float64(k%8)*25, y0+5+float64(k/8)*25
				h := 9 + float64(k%5)*3
				rows := int(h)
				corners := [][2]float64{{bx, by}, {bx + 15, by}, {bx + 15, by + 15}, {bx, by + 15}}
				for s := range 4 {
					a, c := corners[s], corners[(s+1)%4]
					grid(15, rows, func(u, v int) [3]float64 {
						t := float64(u) / 15
						return [3]float64{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1]), h * float64(v) / float64(rows)}
					})
				}
				grid(15, 15, func(u, v int) [3]float64 { return [3]float64{bx + float64(u), by + float64(v), h} })
				var pts []string
				for _, c := range append(corners, corners[0]) {
					lon, lat, _ := fr.Geodetic([3]float64{c[0], c[1], 0})
					pts = append(pts, fmt.Sprintf("%.10f %.10f", lon, lat))
				}
				footprints = append(footprints, "MULTIPOLYGON((("+strings.Join(pts, ", ")+")))")
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
	md := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n\t<SRS>ENU:%g,%g</SRS>\n\t<SRSOrigin>0,0,0</SRSOrigin>\n</ModelMetadata>\n", origin[1], origin[0])
	if err := os.WriteFile(filepath.Join(dir, "metadata.xml"), []byte(md), 0o644); err != nil {
		b.Fatal(err)
	}
	ds := twintest.Dataset(b, pool, "bench-basemap", "basemap")
	if _, err := pool.Exec(context.Background(), `INSERT INTO basemap.building (dataset_id, name, floors, geom)
		SELECT $1, '楼' || i, 3, ST_GeomFromText(g, 4490) FROM unnest($2::text[]) WITH ORDINALITY AS t(g, i)`, ds, footprints); err != nil {
		b.Fatal(err)
	}
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), importers.Request{Path: dir, Dataset: "benchcity"}, nil)
	if err != nil || res[0].Err != nil {
		b.Fatalf("import: %v %+v", err, res)
	}
	return tris
}

// BenchmarkSplit splits a model of about 0.8 million triangles (2×2 tiles, 256 buildings) and
// reports seconds per million triangles: the first split (from the imported content) and the
// re-splits of the loop (from split content).
func BenchmarkSplit(b *testing.B) {
	pool := pgtest.New(b)
	tris := benchCity(b, pool, 2)
	ctx := context.Background()
	start := time.Now()
	rep, err := Split(ctx, pool, "benchcity", DefaultSplitOptions())
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if rep.Triangles != tris || rep.Buildings != 256 {
		b.Fatalf("split %d of %d triangles into %d buildings", rep.Triangles, tris, rep.Buildings)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Split(ctx, pool, "benchcity", DefaultSplitOptions()); err != nil {
			b.Fatal(err)
		}
	}
	mtri := float64(tris) / 1e6
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/mtri, "s/Mtri")
	b.ReportMetric(first.Seconds()/mtri, "first-s/Mtri")
	b.ReportMetric(mtri, "Mtri")
	b.Logf("%d triangles, %d assigned to %d buildings; first split %s (%.2f s/Mtri), vertices %d → %d",
		rep.Triangles, rep.Assigned, rep.Buildings, first.Round(time.Millisecond), first.Seconds()/mtri, rep.Vertices, rep.VertsAfter)
}
