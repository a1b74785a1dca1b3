package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// TestReadReplica: with a real streaming replica (scripts/pg replica), tiles and anonymous feature
// pages are read from it and an editor's pages from the primary. With the replica's replay paused, a
// building added on the primary is in the editor's page but not in the anonymous one, the cached
// tile is not purged (a tile rendered now would miss the building and be cached stale), and the lag
// shows in /metrics; once replay resumes the change is purged, announced and in every answer.
func TestReadReplica(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.NewCluster(t)
	replicaURL := cluster.StartReplica(t)
	pool, err := pgxpool.New(ctx, cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	read, err := pgxpool.New(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	tilestest.Import(t, pool, "fixture", 0)
	mustExec(t, pool, `UPDATE catalog.layer SET write_roles = '{editor}' WHERE id = 'basemap.building'`)
	log := warnLog(t)
	cat, err := spatial.NewCatalogStore(ctx, pool, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tiles.DefaultConfig()
	cfg.CacheMB = 16
	cfg.ReplicaWait = 5 * time.Minute // the pause below is held for seconds on a slow machine; the default 10 s would purge anyway
	svc, err := tiles.New(ctx, pool, cat, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	svc.UseReplica(read)
	if err := svc.RefreshStale(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go svc.Run(runCtx)
	feats := features.New(pool, log)
	feats.UseReplica(read)
	tokens := auth.New(pool)
	editor, err := tokens.Create(ctx, "赵工", []string{"editor"}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{}, Deps{Log: log, Pool: pool, ReadPool: read, Catalog: cat, Tiles: svc, Features: feats, Tokens: tokens,
		Metrics: prometheus.NewRegistry()})
	get := func(path, token string) (int, []byte) {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.App().Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, b
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	b := tilestest.BBox()
	tl := tiles.WebMercatorQuad.At(16, (b[0]+b[2])/2, (b[1]+b[3])/2)
	tilePath := fmt.Sprintf("/tiles/basemap.building/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	buildingsInTile := func() int {
		_, body := get(tilePath, "")
		if l := tilestest.Decode(t, body)["basemap.building"]; l != nil {
			return len(l.Features)
		}
		return 0
	}
	named := func(token string) bool {
		_, body := get("/collections/basemap.building/items?limit=1000", token)
		return strings.Contains(string(body), "复制测试楼")
	}
	metric := func(name string) float64 {
		_, body := get("/metrics", "")
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				var f float64
				fmt.Sscan(v, &f)
				return f
			}
		}
		t.Fatalf("no %s in /metrics", name)
		return 0
	}
	// Tiles rendered before the replica replayed the fixture would be cached empty: wait for it first.
	waitFor("the replica caught up", func() bool { return metric("yitu_db_replica_lag_bytes") == 0 })
	before := buildingsInTile()
	if before == 0 {
		t.Fatal("no building of the fixture in the tile read from the caught-up replica")
	}
	// The service hears changes once its listener is up: a probe until it does.
	events, _ := svc.Events().Subscribe(0)
	defer events.Close()
	waitFor("the tile service listening", func() bool {
		mustExec(t, pool, `SELECT pg_notify('yitu_change', '{"layers":["probe"],"reason":"probe"}')`)
		select {
		case e := <-events.C:
			return e.Change.Reason == "probe"
		case <-time.After(200 * time.Millisecond):
			return false
		}
	})

	mustExec(t, read, `SELECT pg_wal_replay_pause()`)
	cx, cy := (b[0]+b[2])/2, (b[1]+b[3])/2
	mustExec(t, pool, `INSERT INTO basemap.building (dataset_id, name, geom)
		SELECT min(id), '复制测试楼', ST_Multi(ST_MakeEnvelope($1::float8, $2::float8, $1::float8 + 0.0001, $2::float8 + 0.0001, 4490)) FROM catalog.dataset`, cx, cy)
	if err := spatial.NotifyChange(ctx, pool, spatial.Change{Layers: []string{"basemap.building"},
		BBox: &[4]float64{cx, cy, cx + 0.0001, cy + 0.0001}, Reason: "edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor("the editor's own page (primary)", func() bool { return named(editor) })
	if named("") {
		t.Error("the anonymous page has the building the paused replica has not replayed: it is not read from the replica")
	}
	waitFor("the lag in /metrics", func() bool { return metric("yitu_db_replica_lag_bytes") > 0 })
	select {
	case e := <-events.C:
		t.Errorf("a change was purged and announced before the replica replayed it: %+v", e.Change)
	case <-time.After(time.Second):
	}
	if n := buildingsInTile(); n != before {
		t.Errorf("%d buildings in the tile while the replica is paused, want the cached %d", n, before)
	}

	mustExec(t, read, `SELECT pg_wal_replay_resume()`)
	waitFor("the change announced once replayed", func() bool {
		select {
		case e := <-events.C:
			return e.Change.Reason == "edit"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	if n := buildingsInTile(); n != before+1 {
		t.Errorf("%d buildings in the tile after the replay, want %d", n, before+1)
	}
	if !named("") {
		t.Error("the anonymous page lacks the building after the replay")
	}
	var status map[string]any
	if code, body := get("/readyz", ""); code != 200 || json.Unmarshal(body, &status) != nil {
		t.Errorf("/readyz: %d", code)
	}
}

// warnLog is a logger whose warnings go to the test's log (they explain a failure on CI), until the
// test ends: the service's goroutines may still log while they stop.
func warnLog(t testing.TB) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testLogWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
