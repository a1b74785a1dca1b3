package loader_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// partitions lists the partitions of a table with their bounds ("building_d7 FOR VALUES IN ('7')").
func partitions(t *testing.T, pool *pgxpool.Pool, parent string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = $1::regclass ORDER BY 1`, parent)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func exists(t *testing.T, pool *pgxpool.Pool, table string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func ids(t *testing.T, pool *pgxpool.Pool, dataset int64) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT id FROM basemap.building WHERE dataset_id = $1 ORDER BY id", dataset)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An import into tables partitioned by dataset fills a partition of its own and attaches it, indexed
// like the parent, with its foreign key, and nothing else left over.
func TestImportAttachesPartitions(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	o := loader.Options{Dataset: "城区", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")}
	rep, err := importCity(t, l, o, 500)
	if err != nil {
		t.Fatal(err)
	}
	id := rep.DatasetID
	for _, table := range []string{"building", "annotation"} {
		want := []string{fmt.Sprintf("%s_d%d FOR VALUES IN ('%d')", table, id, id), table + "_default DEFAULT"}
		if got := partitions(t, pool, "basemap."+table); !slices.Equal(got, want) {
			t.Errorf("partitions of basemap.%s = %q, want %q", table, got, want)
		}
	}
	if exists(t, pool, fmt.Sprintf("basemap.road_d%d", id)) {
		t.Error("a partition was made for a table the import wrote nothing into")
	}
	child := fmt.Sprintf("basemap.building_d%d", id)
	// Every partitioned index of the parent has its index on the partition (ATTACH found them built).
	var parentIdx, attached int
	err = pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM pg_index WHERE indrelid = 'basemap.building'::regclass),
		       (SELECT count(*) FROM pg_index x JOIN pg_inherits i ON i.inhrelid = x.indexrelid
		        JOIN pg_index p ON p.indexrelid = i.inhparent AND p.indrelid = 'basemap.building'::regclass
		        WHERE x.indrelid = $1::regclass)`, child).Scan(&parentIdx, &attached)
	if err != nil {
		t.Fatal(err)
	}
	if parentIdx < 5 || attached != parentIdx {
		t.Errorf("%d of the parent's %d indexes attached on %s", attached, parentIdx, child)
	}
	var constraints []string
	rows, _ := pool.Query(ctx, `SELECT contype::text || CASE WHEN conparentid <> 0 THEN ' inherited' ELSE '' END
		FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`, child)
	if constraints, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if want := []string{"f inherited", "p inherited"}; !slices.Equal(constraints, want) {
		t.Errorf("constraints of %s = %q, want %q (the import's CHECK dropped)", child, constraints, want)
	}
	var analyzed bool
	if err := pool.QueryRow(ctx, "SELECT reltuples = 500 FROM pg_class WHERE oid = $1::regclass", child).Scan(&analyzed); err != nil || !analyzed {
		t.Errorf("%s not analyzed (%v)", child, err)
	}
	// Ids come from the parent's identity sequence, the same as rows written through the parent (an
	// OGC API create lands in the DEFAULT partition) take theirs from.
	got := ids(t, pool, id)
	var next int64
	o2 := o
	o2.Dataset = "另一城区"
	rep2, err := importCity(t, l, o2, 3)
	if err != nil {
		t.Fatal(err)
	}
	err = pool.QueryRow(ctx, `WITH d AS (INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('edits', 'basemap', 'ogcapi', '', '', 'EPSG:4490', 't') RETURNING id)
		INSERT INTO basemap.building (dataset_id, geom) SELECT id, ST_Multi(ST_MakeEnvelope(120, 37, 120.1, 37.1, 4490)) FROM d RETURNING id`).Scan(&next)
	if err != nil {
		t.Fatal(err)
	}
	last := ids(t, pool, rep2.DatasetID)
	if len(got) != 500 || len(last) != 3 || got[len(got)-1] >= last[0] || next <= last[len(last)-1] {
		t.Errorf("ids: first import %d rows up to %d, second from %d to %d, then %d through the parent",
			len(got), got[len(got)-1], last[0], last[len(last)-1], next)
	}
	if n := count(t, pool, "basemap.building_default"); n != 1 {
		t.Errorf("%d rows in the DEFAULT partition, want the one written through the parent", n)
	}
}

// A re-import replaces the previous version's partitions; while it runs, another connection reads the
// previous version without waiting, and only the commit switches it to the new one.
func TestReimportDoesNotBlockReaders(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	o := loader.Options{Dataset: "城区", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")}
	first, err := importCity(t, l, o, 200)
	if err != nil {
		t.Fatal(err)
	}
	old := ids(t, pool, first.DatasetID)

	b, err := l.Begin(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(ctx)
	w := b.Table("building", buildingTable, []string{"geom"})
	for i := range 300 {
		if err := w.Add(square(120+float64(i)*0.001, 37, 0.0005)); err != nil {
			t.Fatal(err)
		}
	}
	var importPID int
	if err := b.Tx().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&importPID); err != nil { // Tx waits for the rows
		t.Fatal(err)
	}
	// A reader that had to wait for a lock the import holds fails after lock_timeout, however loaded
	// the machine; one that needs no lock of the import's runs to completion.
	reader, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Release()
	if _, err := reader.Exec(ctx, "SET lock_timeout = '2s'"); err != nil {
		t.Fatal(err)
	}
	var n int
	var dataset int64
	err = reader.QueryRow(ctx, `SELECT (SELECT count(*) FROM basemap.building), (SELECT id FROM catalog.dataset WHERE name = $1)`, o.Dataset).Scan(&n, &dataset)
	if err != nil {
		t.Fatalf("a reader was blocked by the import in progress: %v", err)
	}
	if n != 200 || dataset != first.DatasetID {
		t.Errorf("during the re-import a reader saw %d buildings of dataset %d, want the previous 200 of %d", n, dataset, first.DatasetID)
	}
	var held []string
	// (The import's own partition, not committed, is invisible to others: pg_class has no row for it here.)
	rows, err := reader.Query(ctx, `SELECT c.oid::regclass::text || ' ' || l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE l.pid = $1 AND l.locktype = 'relation' AND l.mode IN ('AccessExclusiveLock', 'ExclusiveLock') ORDER BY 1`, importPID)
	if err != nil {
		t.Fatal(err)
	}
	if held, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(held) > 0 {
		t.Errorf("the import holds locks that block readers: %q (%v)", held, err)
	}

	rep, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replaced != first.DatasetID {
		t.Errorf("replaced = %d, want %d", rep.Replaced, first.DatasetID)
	}
	if exists(t, pool, fmt.Sprintf("basemap.building_d%d", first.DatasetID)) || exists(t, pool, fmt.Sprintf("basemap.annotation_d%d", first.DatasetID)) {
		t.Error("the previous version's partitions are still there")
	}
	if got := partitions(t, pool, "basemap.building"); !slices.Equal(got, []string{fmt.Sprintf("building_d%d FOR VALUES IN ('%d')", rep.DatasetID, rep.DatasetID), "building_default DEFAULT"}) {
		t.Errorf("partitions after the re-import: %q", got)
	}
	if n := count(t, pool, "basemap.annotation"); n != 0 {
		t.Errorf("%d annotations of the previous version left", n)
	}
	served := ids(t, pool, rep.DatasetID)
	if len(served) != 300 || served[0] <= old[len(old)-1] || count(t, pool, "basemap.building") != 300 {
		t.Errorf("after the re-import %d buildings (ids from %v), previous ids up to %d", len(served), served[:min(1, len(served))], old[len(old)-1])
	}
	var name string
	if err := pool.QueryRow(ctx, "SELECT name FROM catalog.dataset WHERE id = $1", rep.DatasetID).Scan(&name); err != nil || name != o.Dataset {
		t.Errorf("dataset row named %q (%v)", name, err)
	}
}

// A rolled-back or refused import leaves the previous version as it was and no partition behind.
func TestRollbackLeavesNoPartition(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	o := loader.Options{Dataset: "城区", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")}
	first, err := importCity(t, l, o, 50)
	if err != nil {
		t.Fatal(err)
	}
	before := partitions(t, pool, "basemap.building")
	for _, refuse := range []bool{false, true} {
		b, err := l.Begin(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		w := b.Table("building", buildingTable, []string{"geom"})
		for range 10 {
			if err := w.Add(square(121, 38, 0.001)); err != nil {
				t.Fatal(err)
			}
		}
		var made bool
		if err := b.Tx().QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", fmt.Sprintf("basemap.building_d%d", b.DatasetID())).Scan(&made); err != nil || !made {
			t.Fatalf("no partition of the import's own (%v)", err)
		}
		if refuse {
			b.Reject(loader.Rejection{File: "x", Reason: "bad"})
			if _, err := b.Commit(ctx); err == nil {
				t.Fatal("an import over MaxRejects committed")
			}
		} else {
			b.Rollback(ctx)
		}
		if got := partitions(t, pool, "basemap.building"); !slices.Equal(got, before) {
			t.Errorf("refused %v: partitions %q, want %q", refuse, got, before)
		}
		if exists(t, pool, fmt.Sprintf("basemap.building_d%d", b.DatasetID())) {
			t.Errorf("refused %v: the import's partition is left", refuse)
		}
		if got := ids(t, pool, first.DatasetID); len(got) != 50 {
			t.Errorf("refused %v: %d rows of the previous version left, want 50", refuse, len(got))
		}
	}
}

// Imports run one at a time: a second Begin waits for the first import's commit, and both succeed.
func TestImportsAreSerialized(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	src := sourceFile(t, "x")
	a, err := l.Begin(ctx, loader.Options{Dataset: "甲", Kind: "basemap", Format: "dxf", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Rollback(ctx)
	w := a.Table("building", buildingTable, []string{"geom"})
	if err := w.Add(square(120, 37, 0.001)); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := importCity(t, l, loader.Options{Dataset: "乙", Kind: "basemap", Format: "dxf", Source: src}, 20)
		second <- err
	}()
	// Wait until the second import waits for the first (a guard, not a measurement).
	deadline, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for waiting := false; !waiting; {
		err := pool.QueryRow(deadline, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`).Scan(&waiting)
		if err != nil {
			t.Fatalf("the second import never waited for the first: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the second import: %v", err)
	}
	if n := count(t, pool, "basemap.building"); n != 21 {
		t.Errorf("%d buildings, want 1 + 20", n)
	}
}

// The final locks wait for readers already in the tables, without giving up: the commit tries again
// (lock_timeout, so as not to deadlock with a reader of several tables) until the reader is done.
func TestCommitWaitsForReaders(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	l := loader.New(pool, nil)
	o := loader.Options{Dataset: "城区", Kind: "basemap", Format: "dxf", Source: sourceFile(t, "x")}
	if _, err := importCity(t, l, o, 20); err != nil {
		t.Fatal(err)
	}
	reader, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	var n int
	if err := reader.QueryRow(ctx, "SELECT count(*) FROM basemap.building").Scan(&n); err != nil || n != 20 {
		t.Fatalf("reader: %d buildings (%v)", n, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := importCity(t, l, o, 30)
		done <- err
	}()
	// Until the reader ends, the import's commit asks for ACCESS EXCLUSIVE on basemap.building again
	// and again; let it time out a few times (lock_timeout is 200 ms), then end the reader.
	deadline, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for seen := 0; seen < 3; {
		var waiting bool
		err := pool.QueryRow(deadline, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'basemap.building'::regclass
			AND mode = 'AccessExclusiveLock' AND NOT granted)`).Scan(&waiting)
		if err != nil {
			t.Fatalf("the import never asked for its final locks: %v", err)
		}
		if waiting {
			seen++
		}
		select {
		case err := <-done:
			t.Fatalf("the re-import ended while a reader held the table: %v", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	if err := reader.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the re-import failed while a reader held the table: %v", err)
	}
	if n := count(t, pool, "basemap.building"); n != 30 {
		t.Errorf("%d buildings after the re-import, want 30", n)
	}
}
