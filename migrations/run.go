package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrator applies the embedded migrations to one database. Concurrent migrators (several replicas
// starting at once) serialise on a PostgreSQL advisory lock.
type Migrator struct {
	db *sql.DB
	p  *goose.Provider
}

// New returns a migrator over the pool's database.
func New(pool *pgxpool.Pool) (*Migrator, error) {
	return newMigrator(pool, FS)
}

func newMigrator(pool *pgxpool.Pool, fsys fs.FS) (*Migrator, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true),
		// Work lands from parallel branches: a migration numbered below the newest applied one is
		// applied rather than refused (Check treats any unapplied migration as pending).
		goose.WithAllowOutofOrder(true))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{db: db, p: p}, nil
}

// Close releases the migrator's connection (the pool stays open).
func (m *Migrator) Close() error { return m.db.Close() }

// Step is one applied or rolled-back migration.
type Step struct {
	Version   int64
	Name      string
	Direction string // up or down
}

func (s Step) String() string { return s.Direction + " " + s.Name }

func steps(rs []*goose.MigrationResult) []Step {
	out := make([]Step, 0, len(rs))
	for _, r := range rs {
		out = append(out, Step{Version: r.Source.Version, Name: baseName(r.Source.Path), Direction: r.Direction})
	}
	return out
}

func baseName(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) ([]Step, error) {
	rs, err := m.p.Up(ctx)
	return steps(rs), err
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context) ([]Step, error) {
	r, err := m.p.Down(ctx)
	if r == nil {
		return nil, err
	}
	return steps([]*goose.MigrationResult{r}), err
}

// DownTo rolls back every migration newer than version (0: all of them).
func (m *Migrator) DownTo(ctx context.Context, version int64) ([]Step, error) {
	rs, err := m.p.DownTo(ctx, version)
	return steps(rs), err
}

// Status is one migration and whether it is applied.
type Status struct {
	Version int64
	Name    string
	Applied bool
}

// Status lists every migration the binary knows with its state in the database.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	ss, err := m.p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(ss))
	for _, s := range ss {
		out = append(out, Status{Version: s.Source.Version, Name: baseName(s.Source.Path), Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// BehindError says the database schema is older than this binary needs.
type BehindError struct{ Current, Target int64 }

func (e *BehindError) Error() string {
	return fmt.Sprintf("the database schema is at version %d but this binary needs %d; run `yitu migrate up`", e.Current, e.Target)
}

// Check returns a *BehindError when the database lacks a migration this binary has, nil when the
// schema is current. It only reads (no version table is created), so it is cheap enough for /readyz.
func Check(ctx context.Context, pool interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	known, err := versions(FS)
	if err != nil {
		return err
	}
	var applied []int64
	err = pool.QueryRow(ctx, `
		SELECT coalesce(array_agg(version_id), '{}')
		FROM (SELECT DISTINCT ON (version_id) version_id, is_applied
		      FROM goose_db_version ORDER BY version_id, id DESC) v
		WHERE is_applied AND version_id > 0`).Scan(&applied)
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42P01" { // undefined_table: nothing applied yet
			return fmt.Errorf("reading the schema version: %w", err)
		}
	}
	have := make(map[int64]bool, len(applied))
	var current int64
	for _, v := range applied {
		have[v] = true
		current = max(current, v)
	}
	for _, v := range known {
		if !have[v] {
			return &BehindError{Current: current, Target: known[len(known)-1]}
		}
	}
	return nil
}

// versions lists the migration versions in fsys, ascending (file names start with the version).
func versions(fsys fs.FS) ([]int64, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(names))
	for _, n := range names {
		digits, _, _ := strings.Cut(n, "_")
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migrations: %s does not start with a version number", n)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}
