package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

func decodeProblem(t *testing.T, resp *http.Response) Problem {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode || p.Title == "" || p.Type == "" || p.RequestID == "" {
		t.Errorf("incomplete problem %+v for status %d", p, resp.StatusCode)
	}
	return p
}

func TestErrorsAreProblems(t *testing.T) {
	s := New(Config{}, Deps{})
	errs := map[string]error{
		"/invalid":   spatial.Invalid("limit", "must be between 1 and 10000, got %d", 0),
		"/missing":   spatial.NotFound("layer %q", "basemap.nope"),
		"/forbidden": fmt.Errorf("layer x: %w", spatial.ErrForbidden),
		"/unauth":    spatial.ErrUnauthorized,
		"/conflict":  spatial.ErrConflict,
		"/stale":     fmt.Errorf("etag: %w", spatial.ErrPrecondition),
		"/slow":      &spatial.TimeoutError{Subject: "basemap.building", Err: context.DeadlineExceeded},
		"/fiber":     fiber.NewError(fiber.StatusMethodNotAllowed, "use GET"),
		"/boom":      errors.New("secret internal detail"),
	}
	for path, err := range errs {
		s.App().Get(path, func(*fiber.Ctx) error { return err })
	}
	s.App().Get("/panic", func(*fiber.Ctx) error { panic("oops") })
	cases := []struct {
		path   string
		status int
		param  string
		detail string
	}{
		{"/invalid", 400, "limit", "limit: must be between 1 and 10000, got 0"},
		{"/missing", 404, "", `layer "basemap.nope": not found`},
		{"/forbidden", 403, "", "forbidden"},
		{"/unauth", 401, "", "authentication required"},
		{"/conflict", 409, "", "conflict"},
		{"/stale", 412, "", "precondition failed"},
		{"/slow", 503, "basemap.building", "basemap.building exceeded its time budget"},
		{"/fiber", 405, "", "use GET"},
		{"/boom", 500, "", "internal error"},
		{"/panic", 500, "", "internal error"},
		{"/no/such/route", 404, "", "Cannot GET /no/such/route"},
	}
	for _, c := range cases {
		resp, err := s.App().Test(httptest.NewRequest("GET", c.path+"?q=1", nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.path, resp.StatusCode, c.status)
		}
		p := decodeProblem(t, resp)
		if p.Parameter != c.param || !strings.Contains(p.Detail, c.detail) || p.Instance != c.path+"?q=1" {
			t.Errorf("%s: problem %+v, want parameter %q, detail containing %q", c.path, p, c.param, c.detail)
		}
		if strings.Contains(p.Detail, "secret") {
			t.Errorf("%s: internal error detail leaked: %q", c.path, p.Detail)
		}
	}
}

func TestReadiness(t *testing.T) {
	var readyErr error
	s := New(Config{}, Deps{Ready: func(context.Context) error { return readyErr }})
	resp, _ := s.App().Test(httptest.NewRequest("GET", "/readyz", nil))
	if resp.StatusCode != 200 {
		t.Errorf("ready: %d", resp.StatusCode)
	}
	readyErr = errors.New("the database schema is at version 2 but this binary needs 4; run `yitu migrate up`")
	resp, _ = s.App().Test(httptest.NewRequest("GET", "/readyz", nil))
	if resp.StatusCode != 503 {
		t.Errorf("not ready: %d, want 503", resp.StatusCode)
	}
	if p := decodeProblem(t, resp); !strings.Contains(p.Detail, "yitu migrate up") {
		t.Errorf("503 does not give the reason: %q", p.Detail)
	}
	resp, _ = s.App().Test(httptest.NewRequest("GET", "/healthz", nil))
	if resp.StatusCode != 200 {
		t.Errorf("healthz must not depend on readiness: %d", resp.StatusCode)
	}
}

func TestMetricsHavePoolStats(t *testing.T) {
	pool := pgtest.New(t)
	s := New(Config{}, Deps{Pool: pool})
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.App().Test(httptest.NewRequest("GET", "/healthz", nil))
	resp, err := s.App().Test(httptest.NewRequest("GET", "/metrics", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`yitu_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		"yitu_db_pool_max_conns ",
		"yitu_db_pool_acquires_total ",
		"go_goroutines ",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestGracefulShutdown: a request in flight when shutdown starts completes; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	s := New(Config{ShutdownGrace: 5 * time.Second}, Deps{})
	started := make(chan struct{})
	s.App().Get("/slow", func(c *fiber.Ctx) error {
		close(started)
		time.Sleep(700 * time.Millisecond)
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ServeListener(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{string(b), err}
	}()
	<-started
	cancel()
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("ServeListener: %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
}

// TestMetricsAccess: /metrics can be kept to a role, or moved to a listener of its own.
func TestMetricsAccess(t *testing.T) {
	s := New(Config{MetricsRole: "ops"}, Deps{})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/metrics", nil))
	if err != nil || resp.StatusCode != 401 {
		t.Errorf("anonymous /metrics with a metrics role: %v, %v", resp.StatusCode, err)
	}
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := ml.Addr().String()
	ml.Close()
	s = New(Config{MetricsAddr: maddr, ShutdownGrace: time.Second}, Deps{})
	resp, err = s.App().Test(httptest.NewRequest("GET", "/metrics", nil))
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("/metrics on the main address with metrics_addr set: %v, %v", resp.StatusCode, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := http.Get("http://" + maddr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
				t.Errorf("/metrics on its own address: %d", r.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics on its own address: %v", err)
		}
	}
}

// TestCORS: a configured origin gets a preflight answer and the CORS headers; another gets none.
func TestCORS(t *testing.T) {
	s := New(Config{CORSOrigins: []string{"https://portal.example.gov.cn"}}, Deps{})
	req := httptest.NewRequest("OPTIONS", "/healthz", nil)
	req.Header.Set("Origin", "https://portal.example.gov.cn")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "Authorization")
	resp, err := s.App().Test(req)
	if err != nil || resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://portal.example.gov.cn" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from the configured origin: %v %v %v", resp.StatusCode, resp.Header, err)
	}
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("Origin", "https://evil.example.com")
	resp, err = s.App().Test(req)
	if err != nil || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin: %v %v", resp.Header, err)
	}
}
