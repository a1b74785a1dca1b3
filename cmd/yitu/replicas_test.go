package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// TestTwoReplicas: two `yitu serve` processes on one database with live.outbox on. A position pushed
// to one reaches the WebSocket clients of the other; a fence drawn through one is matched by both,
// and the alarm it raises is stored once and reaches the other's clients.
func TestTwoReplicas(t *testing.T) {
	pool, dbURL := pgtest.NewWithURL(t)
	ctx := context.Background()
	tokens := auth.New(pool)
	admin, _ := tokens.Create(ctx, "root", []string{"admin"}, "", 0)
	device, _ := tokens.Create(ctx, "fleet", []string{"device"}, "", 0)
	a, b := startReplica(t, dbURL), startReplica(t, dbURL)

	call := func(base, method, path, token, body string) (int, string) {
		code, out := request(t, base, method, path, token, "", body)
		return code, string(out)
	}
	if code, body := call(a, "POST", "/live/devices", admin, `{"id":"013912345678","kind":"vehicle","plate":"鲁F12345","vehicle_kind":"patrol"}`); code != 201 {
		t.Fatalf("register: %d %s", code, body)
	}
	ws, _, err := fws.DefaultDialer.Dial("ws"+strings.TrimPrefix(b, "http")+"/live/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(fws.TextMessage, []byte(`{"subscribe":{"bbox":[119.9,37.1,120.0,37.2]}}`))
	ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
	msgs := make(chan []map[string]any, 100)
	go func() {
		defer close(msgs)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]any // one JSON object a message
			json.Unmarshal(data, &m)
			msgs <- []map[string]any{m}
		}
	}()
	wait := func(what string, ok func(m map[string]any) bool, resend func()) {
		t.Helper()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		resend()
		for {
			select {
			case batch, open := <-msgs:
				if !open {
					t.Fatalf("the WebSocket on B closed before %s", what)
				}
				for _, m := range batch {
					if ok(m) {
						return
					}
				}
			case <-tick.C:
				resend() // B's outbox LISTEN may not have been in place for the first
			}
		}
	}
	push := func(lon float64) func() {
		return func() {
			body := fmt.Sprintf(`[{"id":"013912345678","time":%q,"lon":%v,"lat":37.15,"speed":30}]`, time.Now().UTC().Format(time.RFC3339Nano), lon)
			if code, resp := call(a, "POST", "/live/positions", device, body); code != 202 {
				t.Fatalf("push to A: %d %s", code, resp)
			}
		}
	}
	wait("a position pushed to A", func(m map[string]any) bool { return m["type"] == "position" && m["id"] == "013912345678" }, push(119.93))

	fence := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.94,37.14],[119.96,37.14],[119.96,37.16],[119.94,37.16],[119.94,37.14]]]},
		"properties":{"name":"学校","rules":[{"kind":"enter"}]}}`
	if code, body := call(a, "POST", "/live/fences", admin, fence); code != 201 {
		t.Fatalf("fence: %d %s", code, body)
	}
	wait("the enter alarm", func(m map[string]any) bool {
		al, ok := m["alarm"].(map[string]any)
		return ok && al["kind"] == "enter" && al["state"] == "raised"
	}, push(119.95))
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.alarm`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d alarms stored for one condition matched on two replicas (%v)", n, err)
	}
}

// startReplica runs `yitu serve` with the outbox on and returns its base URL.
func startReplica(t *testing.T, dbURL string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(yituBin, "serve", "--addr", addr, "--jt808-addr", "127.0.0.1:0", "--database-url", dbURL)
	cmd.Env = append(os.Environ(), "YITU_MQTT_URL=", "YITU_LIVE_OUTBOX=true", "YITU_LIVE_SPOOL_DIR="+t.TempDir())
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("a replica did not get ready in 30 s")
		}
	}
}

// TestTwoReplicasInStep: what each `yitu serve` caches stays in step with the database and the other
// replica — a feature added through one is in the other's (cached) tile, a layer restricted in the
// catalog is hidden by both, and a token revoked through one stops working on the other.
func TestTwoReplicasInStep(t *testing.T) {
	pool, dbURL := pgtest.NewWithURL(t)
	ctx := context.Background()
	tokens := auth.New(pool)
	admin, _ := tokens.Create(ctx, "root", []string{"admin"}, "", 0)
	planner, _ := tokens.Create(ctx, "li", []string{"planner"}, "", 0)
	a, b := startReplica(t, dbURL), startReplica(t, dbURL)
	call := func(base, method, path, token, body string) (int, []byte) {
		return request(t, base, method, path, token, "application/geo+json", body)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s", what)
			}
		}
	}

	// A tile cached on b, then a building added through a.
	tl := tiles.WebMercatorQuad.At(16, 119.9405, 37.1805)
	path := fmt.Sprintf("/tiles/basemap.building/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	buildings := func() int {
		_, body := call(b, "GET", path, "", "")
		if l := tilestest.Decode(t, body)["basemap.building"]; l != nil {
			return len(l.Features)
		}
		return 0
	}
	if n := buildings(); n != 0 {
		t.Fatalf("%d buildings before any", n)
	}
	if code, body := call(a, "POST", "/collections/basemap.building/items", admin, `{"type":"Feature","properties":{"name":"一号楼"},
		"geometry":{"type":"Polygon","coordinates":[[[119.9400,37.1800],[119.9410,37.1800],[119.9410,37.1810],[119.9400,37.1810],[119.9400,37.1800]]]}}`); code != 201 {
		t.Fatalf("POST a building through a: %d %s", code, body)
	}
	eventually("the building in b's tile", func() bool { return buildings() == 1 })

	// The catalog: basemap.building restricted to planners, by SQL (as an administrator would).
	if _, err := pool.Exec(ctx, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'basemap.building'`); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{a, b} {
		eventually("the layer hidden on "+base, func() bool {
			code, _ := call(base, "GET", "/collections/basemap.building/items", "", "")
			return code == 404
		})
	}
	if code, _ := call(b, "GET", "/collections/basemap.building/items", planner, ""); code != 200 {
		t.Errorf("the planner on b: %d", code)
	}

	// Revocation: the planner's token revoked (through a's database, as `yitu token revoke` does).
	if _, err := tokens.Revoke(ctx, "li"); err != nil {
		t.Fatal(err)
	}
	eventually("the revoked token refused on b", func() bool {
		code, _ := call(b, "GET", "/collections/basemap.building/items", planner, "")
		return code == 401
	})
}

// request sends a request to a replica with the token (if any) and, with a body, its content type
// (if any), and returns the status and the body.
func request(t *testing.T, base, method, path, token, contentType, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}
