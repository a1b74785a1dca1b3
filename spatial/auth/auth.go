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
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// Prefix starts every token, so a leaked one is recognisable (secret scanners, logs).
const Prefix = "yitu_"

// CacheTTL is how long a verified token is trusted without asking the database again; a revoked
// token stops working within it.
const CacheTTL = 30 * time.Second

// Tokens creates and verifies tokens.
type Tokens struct {
	pool  *pgxpool.Pool
	cache *expirable.LRU[[32]byte, spatial.Principal]
}

// New returns the token store over the pool.
func New(pool *pgxpool.Pool) *Tokens {
	return &Tokens{pool: pool, cache: expirable.NewLRU[[32]byte, spatial.Principal](10000, nil, CacheTTL)}
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
	if p, ok := t.cache.Get(hash); ok {
		return p, nil
	}
	var p spatial.Principal
	err := t.pool.QueryRow(ctx, `UPDATE auth.token SET last_used_at = now()
		WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		RETURNING subject, roles`, hash[:]).Scan(&p.Subject, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return spatial.Principal{}, fmt.Errorf("the bearer token is unknown, expired or revoked: %w", spatial.ErrUnauthorized)
	}
	if err != nil {
		return spatial.Principal{}, err
	}
	t.cache.Add(hash, p)
	return p, nil
}

// Revoke revokes every token of a subject and returns how many.
func (t *Tokens) Revoke(ctx context.Context, subject string) (int64, error) {
	tag, err := t.pool.Exec(ctx, `UPDATE auth.token SET revoked_at = now() WHERE subject = $1 AND revoked_at IS NULL`, subject)
	if err != nil {
		return 0, err
	}
	t.cache.Purge()
	return tag.RowsAffected(), nil
}
