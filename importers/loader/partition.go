package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Tables partitioned by dataset (PARTITION BY LIST (dataset_id): every basemap table, pipeline.point
// and pipeline.segment, migration 00013) are written through a partition of the import's own. The
// first rows for such a table create <table>_d<dataset id>, a table of the parent's columns (LIKE,
// with the defaults, the generated geom_3857 and the parent's identity sequence as the id default)
// with CHECK (dataset_id = N) and no index, and COPY fills it. Commit builds its indexes and keys in
// bulk and analyzes it (the bulk of the final work, while readers go on reading the parent), adds
// its foreign keys (one validating join each) and attaches it. ATTACH then finds every index, key and
// constraint in place and neither builds nor scans: the ACCESS EXCLUSIVE locks of the last step
// (ATTACH's on the DEFAULT partition, DROP's of the previous version's partitions on the parent),
// which make readers of the parent wait until commit, last only its last milliseconds.

// partition is the import's own partition of a table partitioned by dataset.
type partition struct {
	parent, child pgx.Identifier
}

// checkName is the CHECK (dataset_id = N) constraint that spares ATTACH its validating scan; it is
// dropped once the partition is attached.
const checkName = "yitu_import_dataset"

// partitionedSQL lists the identity columns (and their sequences) of a table partitioned by LIST
// (dataset_id): one row with NULLs when it has none, no row when it is not so partitioned.
const partitionedSQL = `
	SELECT a.attname, pg_get_serial_sequence($1, a.attname)
	FROM pg_partitioned_table pt
	JOIN pg_attribute k ON k.attrelid = pt.partrelid AND k.attnum = pt.partattrs[0]
	LEFT JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attidentity <> '' AND NOT a.attisdropped
	WHERE pt.partrelid = to_regclass($1) AND pt.partstrat = 'l' AND pt.partnatts = 1 AND k.attname = 'dataset_id'`

// destination is the table the COPY for table writes into: the import's partition when table is
// partitioned by dataset (created on first use), else table itself. The copier goroutine calls it.
func (b *Batch) destination(ctx context.Context, table pgx.Identifier) (pgx.Identifier, error) {
	key := table.Sanitize()
	if d, ok := b.dests[key]; ok {
		return d, nil
	}
	rows, err := b.tx.Query(ctx, partitionedSQL, key)
	if err != nil {
		return nil, err
	}
	type identity struct{ Column, Sequence *string }
	ids, err := pgx.CollectRows(rows, pgx.RowToStructByPos[identity])
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", key, err)
	}
	if len(ids) == 0 {
		b.dests[key] = table
		return table, nil
	}
	child := slices.Clone(table)
	child[len(child)-1] = partitionName(table[len(table)-1], b.id)
	alter := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		if id.Column != nil && id.Sequence != nil {
			alter = append(alter, fmt.Sprintf("ALTER COLUMN %s SET DEFAULT nextval(%s::regclass)",
				pgx.Identifier{*id.Column}.Sanitize(), literal(*id.Sequence)))
		}
	}
	alter = append(alter, fmt.Sprintf("ADD CONSTRAINT %s CHECK (dataset_id = %d)", checkName, b.id))
	for _, sql := range []string{
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)", child.Sanitize(), key),
		fmt.Sprintf("ALTER TABLE %s %s", child.Sanitize(), strings.Join(alter, ", ")),
	} {
		if _, err := b.tx.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("creating the partition %s of %s: %w", child.Sanitize(), key, err)
		}
	}
	b.dests[key] = child
	b.parts = append(b.parts, partition{parent: table, child: child})
	return child, nil
}

// partitionName is <table>_d<dataset id>, the table name shortened to keep within PostgreSQL's 63 bytes.
func partitionName(table string, dataset int64) string {
	suffix := fmt.Sprintf("_d%d", dataset)
	for len(table)+len(suffix) > 63 {
		_, size := utf8.DecodeLastRuneInString(table)
		table = table[:len(table)-size]
	}
	return table + suffix
}

// literal quotes s as an SQL string literal (standard_conforming_strings, PostgreSQL's default).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// partitionDDLSQL is what a partition needs before it can be attached without building or scanning
// anything: the parent's keys and unique constraints ('key'), its other indexes ('index', the part of
// the definition from USING on) and its foreign keys ('fk').
const partitionDDLSQL = `
	SELECT CASE WHEN contype = 'f' THEN 'fk' ELSE 'key' END, pg_get_constraintdef(oid)
	FROM pg_constraint
	WHERE conrelid = to_regclass($1) AND contype IN ('p', 'u', 'x', 'f') AND conparentid = 0
	UNION ALL
	SELECT 'index', substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$')
	FROM pg_index i
	WHERE i.indrelid = to_regclass($1)
	  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)`

// index builds the indexes and keys of the partitions this import filled, as the parents have them,
// and analyzes them. It returns the statements that add their foreign keys, for attach.
func (b *Batch) index(ctx context.Context) ([]string, error) {
	var fks []string
	for _, p := range b.parts {
		rows, err := b.tx.Query(ctx, partitionDDLSQL, p.parent.Sanitize())
		if err != nil {
			return nil, err
		}
		type ddl struct{ Kind, Def string }
		defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ddl])
		if err != nil {
			return nil, fmt.Errorf("reading the indexes of %s: %w", p.parent.Sanitize(), err)
		}
		child := p.child.Sanitize()
		for _, d := range defs {
			var sql string
			switch d.Kind {
			case "fk":
				fks = append(fks, "ALTER TABLE "+child+" ADD "+d.Def)
				continue
			case "key":
				sql = "ALTER TABLE " + child + " ADD " + d.Def
			default:
				sql = "CREATE INDEX ON " + child + d.Def
			}
			if _, err := b.tx.Exec(ctx, sql); err != nil {
				return nil, fmt.Errorf("indexing %s (%s): %w", child, sql, err)
			}
		}
		if _, err := b.tx.Exec(ctx, "ANALYZE "+child); err != nil {
			return nil, fmt.Errorf("analyzing %s: %w", child, err)
		}
	}
	return fks, nil
}

// attach adds the foreign keys of the import's partitions (fks, from index) and attaches them, and
// drops the previous version's partitions (drop) under the same locks.
func (b *Batch) attach(ctx context.Context, fks []string, drop []partition) error {
	// One join each to validate. They hold SHARE ROW EXCLUSIVE on the referenced tables (catalog.dataset)
	// until commit, which makes other writers of catalog.dataset wait, not readers.
	for _, sql := range fks {
		if _, err := b.tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("checking the references of the import's rows (%s): %w", sql, err)
		}
	}
	// From here on readers of the parents wait until commit: take every lock at once, then attach and
	// drop, which no longer wait for anything.
	lock := make([]pgx.Identifier, 0, len(b.parts)+len(drop))
	for _, p := range b.parts {
		lock = append(lock, p.parent)
	}
	for _, p := range drop {
		lock = append(lock, p.parent)
	}
	if err := lockExclusive(ctx, b.tx, lock, b.l.log); err != nil {
		return err
	}
	for _, p := range b.parts {
		child := p.child.Sanitize()
		for _, sql := range []string{
			fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES IN (%d)", p.parent.Sanitize(), child, b.id),
			fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", child, checkName),
		} {
			if _, err := b.tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("attaching %s to %s: %w", child, p.parent.Sanitize(), err)
			}
		}
	}
	return dropPartitions(ctx, b.tx, drop)
}

// previousPartitions lists the partitions that hold exactly one dataset's rows, in every table
// partitioned by dataset.
func previousPartitions(ctx context.Context, tx pgx.Tx, dataset int64) ([]partition, error) {
	rows, err := tx.Query(ctx, `
		SELECT pn.nspname, p.relname, cn.nspname, c.relname
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
		JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
		JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
		JOIN pg_attribute k ON k.attrelid = pt.partrelid AND k.attnum = pt.partattrs[0]
		WHERE pt.partstrat = 'l' AND pt.partnatts = 1 AND k.attname = 'dataset_id'
		  AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%L)', $1::bigint)
		ORDER BY 1, 2`, dataset)
	if err != nil {
		return nil, fmt.Errorf("listing the partitions of dataset %d: %w", dataset, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (partition, error) {
		var ps, pn, cs, cn string
		err := r.Scan(&ps, &pn, &cs, &cn)
		return partition{parent: pgx.Identifier{ps, pn}, child: pgx.Identifier{cs, cn}}, err
	})
}

func dropPartitions(ctx context.Context, tx pgx.Tx, parts []partition) error {
	for _, p := range parts {
		if _, err := tx.Exec(ctx, "DROP TABLE "+p.child.Sanitize()); err != nil {
			return fmt.Errorf("dropping %s: %w", p.child.Sanitize(), err)
		}
	}
	return nil
}

// lockTimeout bounds each attempt to take the final ACCESS EXCLUSIVE locks. It is below PostgreSQL's
// deadlock_timeout (1 s by default): a reader whose one statement reads two of these tables (a
// materialized view over several, a search across classes) and already holds one cannot deadlock
// with the import, which gives up what it holds, lets the reader finish and tries again.
const lockTimeout = 200 * time.Millisecond

// lockExclusive takes ACCESS EXCLUSIVE locks on tables, all or none at a time, retrying until it has
// them all or ctx ends.
func lockExclusive(ctx context.Context, tx pgx.Tx, tables []pgx.Identifier, log *slog.Logger) error {
	if len(tables) == 0 {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Sanitize()
	}
	slices.Sort(names)
	names = slices.Compact(names)
	lock := "LOCK TABLE " + strings.Join(names, ", ") + " IN ACCESS EXCLUSIVE MODE"
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", lockTimeout.Milliseconds())); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if _, err := tx.Exec(ctx, "SAVEPOINT yitu_lock"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, lock)
		if err == nil {
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT yitu_lock"); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "SET LOCAL lock_timeout = 0")
			return err
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "55P03" { // lock_not_available
			return fmt.Errorf("locking %s: %w", strings.Join(names, ", "), err)
		}
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT yitu_lock"); err != nil {
			return err
		}
		if attempt%25 == 0 {
			log.Info("import: readers still hold the tables to attach to; retrying", "tables", names, "attempts", attempt)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}
