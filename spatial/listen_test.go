package spatial_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestListener: notifications arrive in order, a burst is coalesced into one call, and a connection
// killed by the server is re-established with Connected called again (to catch up on what was missed).
func TestListener(t *testing.T) {
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connected := make(chan struct{}, 4)
	got := make(chan []string, 16)
	l := spatial.Listener{
		Channel:  "yitu_listener_test",
		Coalesce: 200 * time.Millisecond,
		Connected: func(context.Context) error {
			connected <- struct{}{}
			return nil
		},
		Notify: func(_ context.Context, p []string) { got <- p },
	}
	done := make(chan struct{})
	go func() { l.Run(ctx, pool, slog.New(slog.DiscardHandler)); close(done) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Connected was not called", what)
		}
	}
	wait("first connection")
	if _, err := pool.Exec(ctx, "SELECT pg_notify('yitu_listener_test', 'a'), pg_notify('yitu_listener_test', 'b')"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if !slices.Equal(p, []string{"a", "b"}) {
			t.Errorf("first call: %q, want [a b] in one call", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification delivered")
	}
	// The server drops the listening connection: the listener reconnects and catches up.
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	wait("reconnection")
	if _, err := pool.Exec(ctx, "SELECT pg_notify('yitu_listener_test', 'c')"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if !slices.Equal(p, []string{"c"}) {
			t.Errorf("after reconnecting: %q, want [c]", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after reconnecting")
	}
	cancel()
	<-done
}
