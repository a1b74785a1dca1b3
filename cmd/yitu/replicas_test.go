package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/pgtest"
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
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, sb.String()
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
