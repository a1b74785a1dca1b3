// Package auth keeps API tokens: created once and shown once, stored as SHA-256 hashes in auth.token,
// each acting as a subject with roles.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// Prefix starts every token, so a leaked one is recognisable (secret scanners, logs).
const Prefix = "yitu_"

// CacheTTL is how long a verified token is trusted without asking the database again. Expiry is
// checked on every request regardless, and a revocation purges the cache of every replica at once
// (NOTIFY yitu_auth, followed by Run): the TTL bounds only a replica that missed the notification
// (its LISTEN connection down at that moment).
const CacheTTL = 30 * time.Second

// RevokeChannel is the NOTIFY channel revocations travel on.
const RevokeChannel = "yitu_auth"

// Tokens creates and verifies tokens.
type Tokens struct {
	pool      *pgxpool.Pool
	cache     *expirable.LRU[[32]byte, cached]
	listening chan struct{} // closed once Run's LISTEN is in place
	once      sync.Once
}

// cached is a verified token: its principal and expiry.
type cached struct {
	p       spatial.Principal
	expires *time.Time
}

// New returns the token store over the pool.
func New(pool *pgxpool.Pool) *Tokens {
	return &Tokens{pool: pool, cache: expirable.NewLRU[[32]byte, cached](10000, nil, CacheTTL), listening: make(chan struct{})}
}

// Listening is closed once Run follows revocations.
func (t *Tokens) Listening() <-chan struct{} { return t.listening }

// Run purges the cache whenever any replica revokes a token, until ctx ends.
func (t *Tokens) Run(ctx context.Context, log *slog.Logger) {
	spatial.Listener{
		Channel: RevokeChannel,
		Connected: func(context.Context) error { // revocations missed meanwhile
			t.cache.Purge()
			t.once.Do(func() { close(t.listening) })
			return nil
		},
		Notify: func(context.Context, []string) { t.cache.Purge() },
	}.Run(ctx, t.pool, log)
}

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Create makes a token for subject with roles and returns it; only its hash is kept. ttl 0: no expiry.
func (t *Tokens) Create(ctx context.Context, subject string, roles []string, note string, ttl time.Duration) (string, error) {
	subject = strings.TrimSpace(subject)
	if subject == "" {
		return "", spatial.Invalid("subject", "a token needs a subject (who it acts as)")
	}
	for _, r := range roles {
		if !roleName.MatchString(r) {
			return "", spatial.Invalid("roles", "role %q is not a lower-case name such as planner or surveyor", r)
		}
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", err
	}
	token := Prefix + base64.RawURLEncoding.EncodeToString(secret[:])
	hash := sha256.Sum256([]byte(token))
	var expires *time.Time
	if ttl > 0 {
		e := time.Now().Add(ttl)
		expires = &e
	}
	if roles == nil {
		roles = []string{}
	}
	_, err := t.pool.Exec(ctx, `INSERT INTO auth.token (hash, subject, roles, note, expires_at) VALUES ($1, $2, $3, nullif($4, ''), $5)`,
		hash[:], subject, roles, note, expires)
	if err != nil {
		return "", fmt.Errorf("storing the token: %w", err)
	}
	return token, nil
}

// Verify returns the principal a token acts as, or an error wrapping spatial.ErrUnauthorized.
func (t *Tokens) Verify(ctx context.Context, token string) (spatial.Principal, error) {
	if !strings.HasPrefix(token, Prefix) || len(token) > 200 {
		return spatial.Principal{}, fmt.Errorf("the bearer token is not a Yitu token: %w", spatial.ErrUnauthorized)
	}
	hash := sha256.Sum256([]byte(token))
	if c, ok := t.cache.Get(hash); ok {
		if c.expires == nil || time.Now().Before(*c.expires) {
			return c.p, nil
		}
		t.cache.Remove(hash)
		return spatial.Principal{}, fmt.Errorf("the bearer token expired at %s: %w", c.expires.Format(time.RFC3339), spatial.ErrUnauthorized)
	}
	var p spatial.Principal
	var expires *time.Time
	err := t.pool.QueryRow(ctx, `UPDATE auth.token SET last_used_at = now()
		WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		RETURNING subject, roles, expires_at`, hash[:]).Scan(&p.Subject, &p.Roles, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return spatial.Principal{}, fmt.Errorf("the bearer token is unknown, expired or revoked: %w", spatial.ErrUnauthorized)
	}
	if err != nil {
		return spatial.Principal{}, err
	}
	t.cache.Add(hash, cached{p: p, expires: expires})
	return p, nil
}

// Revoke revokes every token of a subject and returns how many.
func (t *Tokens) Revoke(ctx context.Context, subject string) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, t.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE auth.token SET revoked_at = now() WHERE subject = $1 AND revoked_at IS NULL`, subject)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, RevokeChannel, subject) // every replica purges at commit
		return err
	})
	if err != nil {
		return 0, err
	}
	t.cache.Purge()
	return n, nil
}
