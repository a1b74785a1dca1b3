package migrations_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestUpDownUp applies every migration to an empty database, rolls all back, and applies them again:
// each Down must undo its Up exactly, or the second Up fails.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDatabase(t)

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

// emptyDatabase is a database with no migration applied and its migrator.
func emptyDatabase(t *testing.T) (*pgxpool.Pool, *migrations.Migrator) {
	t.Helper()
	pool, _ := pgtest.NewEmpty(t)
	m, err := migrations.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return pool, m
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

// TestPartitionByDatasetMovesRows: migration 00013 moves the rows of the per-dataset feature tables
// into one partition per dataset, ids kept and the identity continuing after them, and its Down
// moves them back.
func TestPartitionByDatasetMovesRows(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDatabase(t)
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('a', 'basemap', 'dxf', 'a.dxf', '', 'EPSG:4528', 't'), ('b', 'pipeline', 'csv', 'b', '', 'EPSG:4528', 't')`)
	exec(`INSERT INTO basemap.building (dataset_id, name, geom)
		SELECT 1 + g % 2, '楼' || g, ST_Multi(ST_MakeEnvelope(120 + g * 0.001, 37, 120.0005 + g * 0.001, 37.0005, 4490)) FROM generate_series(1, 10) g`)
	exec(`DELETE FROM basemap.building WHERE name = '楼10'`) // the identity went past the highest id left
	exec(`INSERT INTO pipeline.point (dataset_id, point_no, pipe_type, geom) VALUES (2, 'JS1', 'JS', 'SRID=4490;POINT Z (120 37 -1)')`)

	type row struct {
		ID, Dataset int64
		Name        string
	}
	buildings := func() []row {
		t.Helper()
		rows, err := pool.Query(ctx, "SELECT id, dataset_id, coalesce(name, '') FROM basemap.building ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	relkind := func(table string) string {
		t.Helper()
		var k string
		if err := pool.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE oid = $1::regclass", table).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := buildings()

	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if relkind("basemap.building") != "p" || relkind("pipeline.point") != "p" {
		t.Fatal("basemap.building and pipeline.point are not partitioned")
	}
	rows, err := pool.Query(ctx, `SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'basemap.building'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	parts, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	if want := []string{"building_d1 FOR VALUES IN ('1')", "building_d2 FOR VALUES IN ('2')", "building_default DEFAULT"}; !slices.Equal(parts, want) {
		t.Errorf("partitions = %q, want %q", parts, want)
	}
	if after := buildings(); !slices.Equal(after, before) {
		t.Errorf("rows after 00013 = %v, want %v", after, before)
	}
	var next int64
	if err := pool.QueryRow(ctx, `INSERT INTO basemap.building (dataset_id, geom)
		VALUES (1, ST_Multi(ST_MakeEnvelope(121, 37, 121.1, 37.1, 4490))) RETURNING id`).Scan(&next); err != nil || next != 11 {
		t.Errorf("the next id = %d (%v), want 11", next, err)
	}
	var point string
	if err := pool.QueryRow(ctx, "SELECT tableoid::regclass::text FROM pipeline.point WHERE point_no = 'JS1'").Scan(&point); err != nil || point != "pipeline.point_d2" {
		t.Errorf("pipe point in %q (%v)", point, err)
	}
	indexes := func() []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT indexrelid::regclass::text FROM pg_index
			WHERE indrelid IN ('basemap.building'::regclass, to_regclass('basemap.building_default')) ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		return out
	}
	// The index on dataset_id alone is the DEFAULT partition's only (address: migration 00031).
	if got, want := indexes(), []string{"basemap.building_address_trgm", "basemap.building_default_address_idx", "basemap.building_default_dataset_id_idx", "basemap.building_default_geom_3857_idx",
		"basemap.building_default_geom_idx", "basemap.building_default_name_idx", "basemap.building_default_pkey",
		"basemap.building_geom_3857_idx", "basemap.building_geom_idx", "basemap.building_name_idx", "basemap.building_pkey"}; !slices.Equal(got, want) {
		t.Errorf("indexes after 00013 = %q, want %q", got, want)
	}

	if _, err := m.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if relkind("basemap.building") != "r" || relkind("pipeline.point") != "r" {
		t.Fatal("down left basemap.building or pipeline.point partitioned")
	}
	if after := buildings(); len(after) != len(before)+1 || !slices.Equal(after[:len(before)], before) || after[len(before)].ID != 11 {
		t.Errorf("rows after down = %v, want %v and id 11", after, before)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO basemap.building (dataset_id, geom)
		VALUES (1, ST_Multi(ST_MakeEnvelope(121, 37, 121.1, 37.1, 4490))) RETURNING id`).Scan(&next); err != nil || next != 12 {
		t.Errorf("the next id after down = %d (%v), want 12", next, err)
	}
	if got, want := indexes(), []string{"basemap.building_dataset_id_idx", "basemap.building_geom_3857_idx", "basemap.building_geom_idx",
		"basemap.building_name_idx", "basemap.building_pkey"}; !slices.Equal(got, want) {
		t.Errorf("indexes after down = %q, want %q", got, want)
	}
}
