package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	tokens := auth.New(pool)
	tok, err := tokens.Create(ctx, "li", []string{"planner", "surveyor"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tokens.Verify(ctx, tok)
	if err != nil || p.Subject != "li" || !slices.Equal(p.Roles, []string{"planner", "surveyor"}) {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM auth.token t WHERE strpos(t::text, $1) > 0`, tok[len(auth.Prefix):]).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token itself is stored (%d, %v)", stored, err)
	}
	for _, bad := range []string{"", "yitu_", tok + "x", "Bearer " + tok, "other_" + tok[5:]} {
		if _, err := tokens.Verify(ctx, bad); !errors.Is(err, spatial.ErrUnauthorized) {
			t.Errorf("Verify(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	expired, err := tokens.Create(ctx, "wang", nil, "temporary", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, err := tokens.Verify(ctx, expired); !errors.Is(err, spatial.ErrUnauthorized) {
		t.Errorf("an expired token verified: %v", err)
	}
	if n, err := tokens.Revoke(ctx, "li"); err != nil || n != 1 {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	if _, err := tokens.Verify(ctx, tok); !errors.Is(err, spatial.ErrUnauthorized) {
		t.Errorf("a revoked token verified: %v", err)
	}
	if _, err := tokens.Create(ctx, "x", []string{"Planner!"}, "", 0); err == nil {
		t.Error("a malformed role was accepted")
	}
	if _, err := tokens.Create(ctx, " ", nil, "", 0); err == nil {
		t.Error("an empty subject was accepted")
	}
}

// TestRevocationAndExpiryAreImmediate: a token revoked through one replica stops working on another
// that had it cached, well within the cache's TTL (NOTIFY); a cached token stops at its expiry.
func TestRevocationAndExpiryAreImmediate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	a, b := auth.New(pool), auth.New(pool)
	go a.Run(ctx, slog.New(slog.DiscardHandler))
	tok, err := b.Create(ctx, "zhang", []string{"planner"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok); err != nil { // now in a's cache
		t.Fatal(err)
	}
	<-a.Listening() // (its first connect purges the cache too)
	if _, err := a.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Revoke(ctx, "zhang"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if _, err := a.Verify(ctx, tok); errors.Is(err, spatial.ErrUnauthorized) {
			break
		}
		if time.Since(start) > auth.CacheTTL/2 {
			t.Fatal("a revoked token still works on the other replica")
		}
		time.Sleep(10 * time.Millisecond)
	}

	short, err := b.Create(ctx, "li", nil, "", 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, short); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond)
	if _, err := a.Verify(ctx, short); !errors.Is(err, spatial.ErrUnauthorized) {
		t.Errorf("a cached token works past its expiry: %v", err)
	}
}
