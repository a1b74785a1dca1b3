package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestDatabaseAwayIs503: while PostgreSQL is down, routes that need it answer 503 with Retry-After
// (a passing condition), not 500; what the hub holds in memory is still served; once it is back the
// same server answers again.
func TestDatabaseAwayIs503(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.NewCluster(t)
	pool, err := spatial.Open(ctx, spatial.DBConfig{URL: cluster.URL, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	log := slog.New(slog.DiscardHandler)
	cat, err := spatial.NewCatalogStore(ctx, pool, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.NewRegistry(pool).Put(ctx, live.Device{ID: "013900000001", Kind: live.KindVehicle, VehicleKind: "patrol"}); err != nil {
		t.Fatal(err)
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir = t.TempDir()
	hub := live.NewHub(cfg, pool, log, nil)
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := hub.Accept(ctx, []live.Change{{Type: live.ChangePosition, Object: "013900000001", Position: &live.Position{Lon: 119.9, Lat: 37.1}}}); err != nil {
		t.Fatal(err)
	}
	srv := New(Config{}, Deps{Log: log, Pool: pool, Catalog: cat, Features: features.New(pool, log), Live: hub})
	cluster.Stop(t)
	for _, path := range []string{"/live/tracks/013900000001", "/collections/basemap.building/items"} {
		resp, err := srv.App().Test(httptest.NewRequest("GET", path, nil), 30_000)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s with the database down: %d, Retry-After %q: %s", path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	resp, err := srv.App().Test(httptest.NewRequest("GET", "/live/objects/013900000001", nil), 30_000)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("the hub's current state with the database down: %v, %v", resp.StatusCode, err)
	}

	// The database back: the same server answers again, without a restart.
	cluster.Start(t)
	for _, path := range []string{"/live/tracks/013900000001", "/collections/basemap.building/items"} {
		var code int
		for deadline := time.Now().Add(30 * time.Second); code != 200 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			resp, err := srv.App().Test(httptest.NewRequest("GET", path, nil), 30_000)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			code = resp.StatusCode
		}
		if code != 200 {
			t.Errorf("GET %s after the database came back: %d", path, code)
		}
	}
}
