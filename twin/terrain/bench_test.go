package terrain_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// BenchmarkTerrainTiles: quantized-mesh and Terrarium tiles over the demo city's DEM (about
// 4.6 km square, 5 m cells), level by level z12–15: tiles per second built uncached (each tile
// built from PostGIS: ST_Union of its blocks, ST_Transform onto its grid, encoding) and served
// from the cache.
func BenchmarkTerrainTiles(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	path := filepath.Join(b.TempDir(), demo.DEMFile)
	if _, err := demo.WriteDEM(path, demo.Options{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	terraintest.MustImport(b, pool, path, "demo-dem")
	s, err := terrain.New(pool, terrain.DefaultConfig(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	dems, err := s.DEMs(ctx)
	if err != nil || len(dems) != 1 {
		b.Fatalf("DEMs %v %v", dems, err)
	}
	box := dems[0].BBox
	type row struct {
		kind          string
		z, tiles      int
		cold, cached  float64 // tiles per second
		coldMsPerTile float64
	}
	var rows []row
	for b.Loop() {
		rows = rows[:0]
		for z := 12; z <= 15; z++ {
			// quantized-mesh: geographic TMS tiles over the DEM
			n := math.Exp2(float64(z))
			var qm [][2]int
			for x := int((box[0] + 180) / 180 * n); x <= int((box[2]+180)/180*n); x++ {
				for y := int((box[1] + 90) / 180 * n); y <= int((box[3]+90)/180*n); y++ {
					qm = append(qm, [2]int{x, y})
				}
			}
			var tr [][2]int
			for x := int((box[0] + 180) / 360 * n); x <= int((box[2]+180)/360*n); x++ {
				for y := mercY(box[3], n); y <= mercY(box[1], n); y++ {
					tr = append(tr, [2]int{x, y})
				}
			}
			for _, k := range []struct {
				kind  string
				tiles [][2]int
				get   func(x, y int) error
			}{
				{"quantized-mesh", qm, func(x, y int) error {
					_, err := s.Mesh(ctx, z, x, y, []string{terrain.ExtNormals})
					return err
				}},
				{"terrarium", tr, func(x, y int) error {
					_, err := s.Terrarium(ctx, z, x, y)
					return err
				}},
			} {
				s.Purge()
				t0 := time.Now()
				for _, t := range k.tiles {
					if err := k.get(t[0], t[1]); err != nil {
						b.Fatal(err)
					}
				}
				cold := time.Since(t0)
				t0 = time.Now()
				const rounds = 20
				for range rounds {
					for _, t := range k.tiles {
						if err := k.get(t[0], t[1]); err != nil {
							b.Fatal(err)
						}
					}
				}
				cached := time.Since(t0)
				nt := float64(len(k.tiles))
				rows = append(rows, row{k.kind, z, len(k.tiles), nt / cold.Seconds(), nt * rounds / cached.Seconds(), cold.Seconds() * 1000 / nt})
			}
		}
	}
	fmt.Printf("\nterrain tiles over the demo DEM (%d×%d m cells), one client, uncached vs cached\n", 5, 5)
	fmt.Printf("  %-16s %4s %6s %14s %12s %16s\n", "tiles", "z", "count", "uncached/s", "ms/tile", "cached/s")
	for _, r := range rows {
		fmt.Printf("  %-16s %4d %6d %14.1f %12.1f %16.0f\n", r.kind, r.z, r.tiles, r.cold, r.coldMsPerTile, r.cached)
		b.ReportMetric(r.cold, fmt.Sprintf("%s-z%d-uncached-tiles/s", r.kind, r.z))
	}
}

func mercY(lat, n float64) int {
	r := lat * math.Pi / 180
	return int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
}
