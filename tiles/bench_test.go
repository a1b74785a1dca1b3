package tiles_test

import (
	"context"
	"testing"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles"
)

// BenchmarkCompositeUncached renders the fixture's composite z16 tile from the database every time.
func BenchmarkCompositeUncached(b *testing.B) { benchTile(b, tiles.Config{}) }

// BenchmarkCompositeCached serves the same tile from the memory cache.
func BenchmarkCompositeCached(b *testing.B) { benchTile(b, tiles.Config{CacheMB: 64}) }

func benchTile(b *testing.B, cfg tiles.Config) {
	svc, _, _ := setup(b, cfg)
	req := tiles.Request{Layers: basemap, Tile: tileAt(tiles.WebMercatorQuad, 16), Principal: spatial.Anonymous}
	if _, err := svc.Tile(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Tile(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
}
