package spatial

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DBConfig configures the connection pool.
type DBConfig struct {
	URL string `yaml:"url"`
	// ReadURL is a streaming replica of URL that tiles, feature pages, search and identify are read
	// from (empty: all on URL). Edits, imports, live data and an editor's own reads stay on URL.
	ReadURL          string        `yaml:"read_url"`
	MaxConns         int32         `yaml:"max_conns"`
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	ConnectTimeout   time.Duration `yaml:"connect_timeout"`
}

// DefaultURL is the private cluster that scripts/pg runs.
const DefaultURL = "postgres://yitu@127.0.0.1:54329/yitu?sslmode=disable"

// Redact returns the connection string with its password replaced, for logs and error messages.
func Redact(conn string) string {
	if conn == "" {
		return ""
	}
	u, err := url.Parse(conn)
	if err != nil || u.Scheme == "" {
		return "(unparsable connection string)"
	}
	return u.Redacted()
}

// Open connects a pool and checks that the database answers. Every connection gets the configured
// statement_timeout, so a runaway query is cancelled by the server even if its client is gone.
func Open(ctx context.Context, cfg DBConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("the database URL %s is malformed: %w", Redact(cfg.URL), errors.Unwrap(err))
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.ConnectTimeout > 0 {
		pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	}
	rp := pc.ConnConfig.RuntimeParams
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "yitu"
	}
	if cfg.StatementTimeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("the database URL %s is malformed: %w", Redact(cfg.URL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &UnreachableError{URL: Redact(cfg.URL), Err: err}
	}
	return pool, nil
}

// UnreachableError says the database did not answer.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the database at %s (%v); start the private cluster with `scripts/pg start` or set DATABASE_URL to your PostGIS", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
