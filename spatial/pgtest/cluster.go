package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/migrations"
)

// Cluster is a PostgreSQL cluster of a test's own (scripts/pg in a temporary folder, on a free port),
// for fault tests that stop and start the database under a running server: the shared test cluster
// must stay up for the other tests.
type Cluster struct {
	URL    string // of its migrated database yitu
	dir    string
	port   int
	script string
	// replicaPort is the port of its streaming replica, once StartReplica started one
	replicaPort int
}

// NewCluster starts a private cluster, migrates its yitu database and stops it when the test ends.
// It takes a few seconds (initdb).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "yitu-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{dir: filepath.Join(dir, "pg"), port: port, script: filepath.Join(root, "scripts", "pg")}
	c.URL = fmt.Sprintf("postgres://yitu@127.0.0.1:%d/yitu?sslmode=disable", port)
	t.Cleanup(func() {
		c.run("stop")
		os.RemoveAll(dir)
	})
	if out, err := c.run("start"); err != nil {
		t.Fatalf("pgtest: starting a private cluster: %v\n%s", err, out)
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("pgtest: migrating the private cluster: %v", err)
	}
	return c
}

// Stop stops the cluster (fast shutdown: connections are cut, as in an outage).
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.run("stop"); err != nil {
		t.Fatalf("pgtest: stopping the private cluster: %v\n%s", err, out)
	}
}

// Start starts it again.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if out, err := c.run("start"); err != nil {
		t.Fatalf("pgtest: starting the private cluster again: %v\n%s", err, out)
	}
}

// StartReplica starts a streaming replica of the cluster (scripts/pg replica, a hot standby on a
// port of its own) and returns the URL of its database yitu; it stops when the test ends.
func (c *Cluster) StartReplica(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.replicaPort = port
	if out, err := c.run("replica", "start"); err != nil {
		t.Fatalf("pgtest: starting a replica: %v\n%s", err, out)
	}
	t.Cleanup(func() { c.run("replica", "stop") })
	return fmt.Sprintf("postgres://yitu@127.0.0.1:%d/yitu?sslmode=disable", port)
}

func (c *Cluster) run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.script, args...)
	cmd.Env = append(os.Environ(), "YITU_PG_DIR="+c.dir, fmt.Sprintf("YITU_PG_PORT=%d", c.port), "YITU_PG_SMALL=1",
		fmt.Sprintf("YITU_PG_REPLICA_PORT=%d", c.replicaPort))
	return cmd.CombinedOutput()
}

// repoRoot is the folder holding go.mod, above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
