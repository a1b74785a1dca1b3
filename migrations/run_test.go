package migrations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestUpDownUp applies every migration to an empty database, rolls all back, and applies them again:
// each Down must undo its Up exactly, or the second Up fails.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewEmpty(t)
	m, err := migrations.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	var behind *migrations.BehindError
	if err := migrations.Check(ctx, pool); !errors.As(err, &behind) || behind.Current != 0 {
		t.Fatalf("Check on an empty database = %v, want a BehindError at version 0", err)
	}
	up, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != len(status) || len(up) < 4 {
		t.Fatalf("first up applied %d of %d migrations", len(up), len(status))
	}
	if err := migrations.Check(ctx, pool); err != nil {
		t.Fatalf("Check after up: %v", err)
	}
	assertTables(t, pool, true)

	down, err := m.DownTo(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(down) != len(up) {
		t.Fatalf("down rolled back %d migrations, want %d", len(down), len(up))
	}
	assertTables(t, pool, false)
	if err := migrations.Check(ctx, pool); !errors.As(err, &behind) || behind.Target != up[len(up)-1].Version {
		t.Fatalf("Check after down = %v, want BehindError with target %d", err, up[len(up)-1].Version)
	}

	again, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if len(again) != len(up) {
		t.Fatalf("second up applied %d migrations, want %d", len(again), len(up))
	}
	assertTables(t, pool, true)

	// One step down leaves the schema behind by exactly the newest migration.
	one, err := m.Down(ctx)
	if err != nil || len(one) != 1 || one[0].Version != up[len(up)-1].Version {
		t.Fatalf("Down = %v, %v", one, err)
	}
	if err := migrations.Check(ctx, pool); !errors.As(err, &behind) || behind.Current != up[len(up)-2].Version {
		t.Fatalf("Check after one down = %v", err)
	}
}

// assertTables checks that the domain schemas and catalog tables exist (want) or are gone (!want).
func assertTables(t *testing.T, pool *pgxpool.Pool, want bool) {
	t.Helper()
	for _, rel := range []string{"catalog.dataset", "catalog.layer", "basemap.building", "pipeline.segment", "pipeline.point"} {
		var exists bool
		if err := pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("table %s exists = %v, want %v", rel, exists, want)
		}
	}
	var schemas int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace
		WHERE nspname IN ('catalog','basemap','pipeline','cim','twin','live','ops','auth')`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if (schemas == 8) != want || (!want && schemas != 0) {
		t.Errorf("%d of the 8 domain schemas exist, want all = %v", schemas, want)
	}
}
