// Package pgtest gives each test its own database on the real PostGIS: a copy of a template database
// that has every migration applied. Test packages run in parallel without seeing each other's rows.
//
// The cluster is the one scripts/pg runs (make test starts it); YITU_TEST_DATABASE_URL points elsewhere.
// A test that cannot reach it fails: it never skips.
package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/migrations"
)

// DefaultAdminURL is the private cluster's test database, used to create and drop test databases.
const DefaultAdminURL = "postgres://yitu@127.0.0.1:54329/yitu_test?sslmode=disable"

// AdminURL is the URL test databases are created through.
func AdminURL() string {
	if u := os.Getenv("YITU_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a pool on a fresh, fully migrated database that is dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	pool, _ := NewWithURL(t)
	return pool
}

// NewWithURL is New that also returns the database's URL, for code that opens its own connections
// (a server under test, a command-line tool such as ogr2ogr).
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		t.Fatalf("pgtest: %v", templateErr)
	}
	return create(t, templateName)
}

// NewEmpty returns a pool on a fresh database with no migrations applied (PostGIS not installed).
func NewEmpty(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	return create(t, "template0")
}

func create(t testing.TB, template string) (*pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("yitu_t_%d_%08x", os.Getpid(), rand.Uint32())
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("pgtest: cannot reach the test cluster at %s: %v (run `scripts/pg start`, or `make test`)", AdminURL(), err)
	}
	defer admin.Close(ctx)
	// Two CREATE DATABASE … TEMPLATE at once can collide on the template ("being accessed by other
	// users"); retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
		if err == nil || attempt == 20 {
			break
		}
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	u := withDatabase(AdminURL(), name)
	pc, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Components under test hold a connection each for LISTEN (catalog, tiles, hub, watch, outbox):
	// more than pgxpool's default of max(4, CPUs) is needed beside them, as the server's 32.
	pc.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	return pool, u
}

// ensureTemplate creates (once per migration set, across processes) a database with every migration
// applied, named after a hash of the migration files.
func ensureTemplate() (string, error) {
	ctx := context.Background()
	sum, err := hashMigrations()
	if err != nil {
		return "", err
	}
	name := "yitu_tmpl_" + sum
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("cannot reach the test cluster at %s: %v (run `scripts/pg start`, or `make test`)", AdminURL(), err)
	}
	defer admin.Close(ctx)
	// Serialise template creation between test processes.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext('yitu pgtest template'))"); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('yitu pgtest template'))")

	var ready bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready); err != nil {
		return "", err
	}
	if ready {
		return name, nil
	}
	// A half-made template of this set (a run killed while migrating) goes. Templates of other
	// migration sets stay: another checkout may be testing with them right now.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, withDatabase(AdminURL(), name))
	if err != nil {
		return "", err
	}
	m, err := migrations.New(pool)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrating the template database: %w", err)
	}
	if _, err := admin.Exec(ctx, "UPDATE pg_database SET datistemplate = true WHERE datname = $1", name); err != nil {
		return "", err
	}
	return name, nil
}

func hashMigrations() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

func withDatabase(conn, db string) string {
	u, err := url.Parse(conn)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad admin URL: %v", err))
	}
	u.Path = "/" + db
	return u.String()
}
