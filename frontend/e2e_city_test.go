package frontend_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers/loader"
)

// cityBlocks sizes the demo city for the browser test: 8 × 8 street blocks (some 500 buildings, 110
// road segments with their Chinese names, 1,200 pipe segments, the CityJSON core block and the oblique
// photography set) instead of the full 36 × 36.
const cityBlocks = 8

// importCity writes a small demo city and imports it through the importers, as `yitu demo --blocks 8`
// does.
func importCity(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	f, err := demo.Generate(t.TempDir(), demo.Options{Seed: 1, Blocks: cityBlocks})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(context.Background(), loader.New(pool, nil), f, nil, nil); err != nil {
		t.Fatal(err)
	}
}
