package twin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/importers/geology"
	"github.com/yitu-gis/yitu/importers/geology/geotest"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// BenchmarkGeology100 is the stratum model for 100 boreholes: the model's build alone, the whole
// import (validation, COPY, model, commit), and the geology tileset's first tile.
func BenchmarkGeology100(b *testing.B) {
	ctx := context.Background()
	site := geotest.Laizhou(10, 40)
	idx := map[string]int{}
	for i, s := range site.Strata {
		idx[s.Code] = i
	}
	var holes []geology.Hole
	for i := range site.Holes {
		h := geology.Hole{E: site.Holes[i][0], N: site.Holes[i][1]}
		for _, r := range site.Layers(i) {
			h.Collar = r.Collar
			h.Layers = append(h.Layers, geology.Layer{Stratum: idx[r.Code], Bottom: r.Collar - r.Base})
		}
		holes = append(holes, h)
	}
	var m *geology.Model
	start := time.Now()
	for range b.N {
		m = geology.Build(holes, len(site.Strata), geology.Params{})
	}
	build := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	pool := pgtest.New(b)
	t0 := time.Now()
	importSite(b, pool, site)
	imp := time.Since(t0)
	s := newService(b, pool, nil)
	t0 = time.Now()
	if _, err := s.Tileset(ctx, "geology"); err != nil {
		b.Fatal(err)
	}
	c, err := s.Tile(ctx, "geology", "0/0/0.glb")
	if err != nil {
		b.Fatal(err)
	}
	tile := time.Since(t0)
	b.ReportMetric(float64(build.Milliseconds()), "ms/model")
	fmt.Printf("\nStratum model, %d boreholes, %d strata, grid %d × %d nodes (cell %.1f m)\n", len(holes), len(site.Strata), m.NX, m.NY, m.Cell)
	fmt.Printf("  %-40s %8d ms\n", "model build (detrended IDW)", build.Milliseconds())
	fmt.Printf("  %-40s %8d ms\n", "import (validate, COPY, model, commit)", imp.Milliseconds())
	fmt.Printf("  %-40s %8d ms\n", "geology tileset.json + root tile", tile.Milliseconds())
	fmt.Printf("  %-40s %8d KB\n", "root tile glb", len(c.Data)/1024)
}
