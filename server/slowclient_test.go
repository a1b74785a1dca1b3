package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestClientsThatNeverReadHoldNoConnection: more clients than the pool has connections ask for the
// largest page of a big layer (about 25 MB each, more than the sockets buffer) and never read a byte.
// Nobody else notices: items, collections and /readyz answer while they sit there, because a page is
// made in full (memory, then a temporary file) before it is sent and no connection waits on a client.
// No write timeout is set here: it is not what saves the others.
func TestClientsThatNeverReadHoldNoConnection(t *testing.T) {
	c := newCity(t)
	mustExec(t, c.pool, `INSERT INTO basemap.building (dataset_id, code, name, floors, address, geom)
		SELECT 1, '141101', '楼' || i, 3, repeat('莱州市文化东路很长的地址', 60),
		       ST_Multi(ST_MakeEnvelope(119.95 + (i % 100) * 0.0001, 37.19 + (i / 100) * 0.0001, 119.95 + (i % 100) * 0.0001 + 0.00005, 37.19 + (i / 100) * 0.0001 + 0.00005, 4490))
		FROM generate_series(1, 10000) i`)
	host := strings.TrimPrefix(c.base, "http://")
	const greedy = 16 + 8 // the test pool has 16 connections
	var conns []net.Conn
	for range greedy {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		// A small receive buffer, so the server's writes block early, as on a slow link.
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "GET /collections/basemap.building/items?limit=10000 HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		conns = append(conns, conn)
	}
	// Every greedy request has been answered up to the point where the socket is full: its first
	// bytes are readable (reading them does not drain the 25 MB).
	for i, conn := range conns {
		_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		status, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
		if err != nil || !strings.Contains(status, " 200 ") {
			t.Fatalf("greedy client %d: %q %v", i, status, err)
		}
	}
	cl := &http.Client{Timeout: 60 * time.Second} // only keeps a broken server from hanging the test
	for _, path := range []string{"/collections/basemap.building/items?limit=5", "/collections", "/readyz",
		"/collections/basemap.road/items?bbox=119.93,37.17,119.95,37.19", "/search?q=文化"} {
		resp, err := cl.Get(c.base + path)
		if err != nil {
			t.Fatalf("%s while greedy clients sit on their answers: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if st := c.pool.Stat(); st.AcquiredConns() > 8 { // the LISTENers of the city's parts hold a few
		t.Errorf("%d connections acquired while the greedy clients wait", st.AcquiredConns())
	}
}

// TestClientConcurrencyLimit: a client (an IP address, a token) with server.client_concurrency
// requests in progress gets 429 with Retry-After for more, counted in /metrics; the slots come back
// when the answers are done.
func TestClientConcurrencyLimit(t *testing.T) {
	s := New(Config{ClientConcurrency: 2}, Deps{})
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	s.App().Get("/slow", func(c *fiber.Ctx) error {
		entered <- struct{}{}
		<-release
		return c.SendString("done")
	})
	base := listen(t, s)

	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + "/slow")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	<-entered
	<-entered
	resp, err := http.Get(base + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	var p Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(p.Detail, "2 requests in progress (per IP address)") {
		t.Errorf("a third request: %d %v %+v", resp.StatusCode, resp.Header, p)
	}
	// Health checks are not limited: a load balancer still sees the instance.
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while the client is at its limit: %v %v", resp, err)
	}
	close(release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Errorf("a request within the limit: %d", code)
		}
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		metrics.WriteString(sc.Text() + "\n")
	}
	resp.Body.Close()
	if !strings.Contains(metrics.String(), `yitu_http_client_limited_total{per="ip"} 1`) {
		t.Errorf("the refusal is not counted in /metrics")
	}
	// The slots came back.
	if resp, err := http.Get(base + "/slow"); err != nil || resp.StatusCode != 200 {
		t.Errorf("a request after the others ended: %v %v", resp, err)
	}
}
