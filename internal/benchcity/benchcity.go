// Package benchcity sets up what the benchmark and load programs run against: a database of their own
// holding the demo city (written and imported by `yitu demo`, as make run does) and `yitu serve`
// processes over it.
package benchcity

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// CreateDB creates the database name (dropping one left over), migrated, and returns its URL and a
// function that drops it.
func CreateDB(ctx context.Context, name string) (string, func(), error) {
	admin := pgtest.AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("cannot reach the cluster at %s: %w (run scripts/pg start)", admin, err)
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
		return "", nil, err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+id+" TEMPLATE template0"); err != nil {
		return "", nil, err
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return "", nil, err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return "", nil, err
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		return "", nil, fmt.Errorf("migrating: %w", err)
	}
	return u.String(), drop, nil
}

// LoadDemo writes and imports the demo city with `yitu demo`, refreshes the generalized views (as a
// server does after an import) and returns the base map's extent.
func LoadDemo(ctx context.Context, yituBin, dbURL string, pool *pgxpool.Pool) ([4]float64, error) {
	var bbox [4]float64
	dir, err := os.MkdirTemp("", "tilebench-demo")
	if err != nil {
		return bbox, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, yituBin, "demo", "--dir", dir, "--database-url", dbURL, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "YITU_CONFIG=/dev/null")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return bbox, fmt.Errorf("yitu demo: %w", err)
	}
	rows, err := pool.Query(ctx, "SELECT view_schema, view_name FROM tiles.derived")
	if err != nil {
		return bbox, err
	}
	views, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgx.Identifier, error) {
		var s, v string
		err := r.Scan(&s, &v)
		return pgx.Identifier{s, v}, err
	})
	if err != nil {
		return bbox, err
	}
	for _, v := range views {
		if _, err := pool.Exec(ctx, "REFRESH MATERIALIZED VIEW "+v.Sanitize()); err != nil {
			return bbox, fmt.Errorf("refreshing %s: %w", v.Sanitize(), err)
		}
		if _, err := pool.Exec(ctx, "ANALYZE "+v.Sanitize()); err != nil {
			return bbox, err
		}
	}
	if _, err := pool.Exec(ctx, "UPDATE tiles.derived SET stale = false, refreshed_at = now()"); err != nil {
		return bbox, err
	}
	err = pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom)::geometry AS e FROM basemap.building) s`).Scan(&bbox[0], &bbox[1], &bbox[2], &bbox[3])
	return bbox, err
}

// Server is a server process started by this package (or by a program using it).
type Server struct {
	Base string // http://127.0.0.1:port
	Cmd  *exec.Cmd
}

// Stop interrupts the server and waits for it (10 s, then kills it).
func (s *Server) Stop() {
	if s.Cmd.Process != nil {
		s.Cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.Cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.Cmd.Process.Kill()
		}
	}
}

// FreePort is a TCP port nobody listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// StartYitu serves the database on a free port (JT/T 808 off unless args name an address, no MQTT
// broker) with env added to this process's environment and args added to `yitu serve`'s, and waits
// until it is ready.
func StartYitu(ctx context.Context, bin, dbURL string, env []string, args ...string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	argv := append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--database-url", dbURL, "--log-level", "warn"}, args...)
	if !slices.Contains(args, "--jt808-addr") {
		argv = append(argv, "--jt808-addr", "off")
	}
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Env = append(append(os.Environ(), "YITU_CONFIG=/dev/null", "YITU_MQTT_URL="), env...)
	cmd.Stderr = os.Stderr
	s := &Server{Base: fmt.Sprintf("http://127.0.0.1:%d", port), Cmd: cmd}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return s, s.WaitFor("/readyz")
}

// WaitFor waits up to 60 s for path to answer 200; the server is stopped when it does not.
func (s *Server) WaitFor(path string) error {
	u := s.Base + path
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("%s did not answer within 60 s", u)
}

// Percentile is the p-quantile (0–1) of ds in milliseconds; it sorts ds.
func Percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := min(int(float64(len(ds))*p), len(ds)-1)
	return float64(ds[i].Microseconds()) / 1000
}

// Demo is a database of its own holding the demo city.
type Demo struct {
	URL    string
	Pool   *pgxpool.Pool
	BBox   [4]float64    // the base map's extent
	Loaded time.Duration // how long creating and loading it took
	drop   func()
}

// NewDemo creates the database name and loads the demo city into it with the yitu binary bin.
func NewDemo(ctx context.Context, bin, name string) (*Demo, error) {
	start := time.Now()
	u, drop, err := CreateDB(ctx, name)
	if err != nil {
		return nil, err
	}
	d := &Demo{URL: u, drop: drop}
	if d.Pool, err = pgxpool.New(ctx, u); err != nil {
		drop()
		return nil, err
	}
	if d.BBox, err = LoadDemo(ctx, bin, u, d.Pool); err != nil {
		d.Close(false)
		return nil, err
	}
	d.Loaded = time.Since(start)
	return d, nil
}

// Close closes the pool and drops the database unless keep.
func (d *Demo) Close(keep bool) {
	d.Pool.Close()
	if !keep {
		d.drop()
	}
}
