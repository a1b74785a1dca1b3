package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/internal/yitubin"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// yituBin is the binary built by `make binary`, as users and CI build it.
var yituBin string

func TestMain(m *testing.M) { yitubin.Main(m, &yituBin) }

func TestVersionStamped(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		out, err := exec.Command(yituBin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("yitu %s: %v\n%s", arg, err, out)
		}
		m := regexp.MustCompile(`^yitu (\S+)\n$`).FindStringSubmatch(string(out))
		if m == nil || m[1] == "dev" {
			t.Errorf("yitu %s printed %q; want the version the Makefile stamps, not the unstamped default", arg, out)
		}
	}
}

// yitu runs the binary and returns its exit status and combined output.
func yitu(t *testing.T, environ []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(yituBin, args...)
	cmd.Env = append(os.Environ(), environ...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// lastLine is the line the command ends with: the one-line error.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func TestBadStartsGiveOneClearLine(t *testing.T) {
	_, emptyURL := pgtest.NewEmpty(t)
	cases := []struct {
		name    string
		environ []string
		args    []string
		code    int
		want    []string
	}{
		{"unreachable database", nil, []string{"serve", "--database-url", "postgres://yitu@127.0.0.1:1/yitu"}, 1,
			[]string{"cannot reach the database at postgres://yitu@127.0.0.1:1/yitu", "scripts/pg start"}},
		{"password redacted", nil, []string{"migrate", "--database-url", "postgres://yitu:hunter2@127.0.0.1:1/yitu"}, 1,
			[]string{"yitu:xxxxx@127.0.0.1"}},
		{"schema behind", nil, []string{"serve", "--database-url", emptyURL}, 1,
			[]string{"refusing to serve", "version 0", "yitu migrate up"}},
		{"unknown key", []string{"YITU_LOG_LEVL=debug"}, []string{"serve"}, 1, []string{"YITU_LOG_LEVL"}},
		{"missing config", nil, []string{"serve", "--config", "nope.yaml"}, 1, []string{"nope.yaml does not exist"}},
		{"unknown command", nil, []string{"serv"}, 2, []string{`unknown command "serv"`}},
		{"bad flag", nil, []string{"serve", "--adr", ":1"}, 2, []string{"-adr"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := yitu(t, c.environ, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, c.code, out)
			}
			line := lastLine(out)
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("last line %q lacks %q", line, w)
				}
			}
			if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") || strings.Contains(out, "hunter2") {
				t.Errorf("output has a stack trace or a password:\n%s", out)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeLifecycle migrates a fresh database, serves it, checks health, readiness and metrics, and
// stops the server with SIGTERM.
func TestServeLifecycle(t *testing.T) {
	_, dbURL := pgtest.NewEmpty(t)
	if code, out := yitu(t, nil, "migrate", "up", "--database-url", dbURL); code != 0 || !strings.Contains(out, "up 00001_schemas.sql") {
		t.Fatalf("migrate up: exit %d\n%s", code, out)
	}
	if code, out := yitu(t, nil, "migrate", "status", "--database-url", dbURL); code != 0 || strings.Contains(out, "pending") {
		t.Fatalf("migrate status after up: exit %d\n%s", code, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(yituBin, "serve", "--addr", addr, "--jt808-addr", "127.0.0.1:0", "--database-url", dbURL)
	cmd.Env = append(os.Environ(), "YITU_MQTT_URL=")
	cmd.Dir = t.TempDir()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1)
	go func() { b, _ := io.ReadAll(bufio.NewReader(stderr)); logs <- string(b) }()
	defer cmd.Process.Kill()

	base := "http://" + addr
	waitReady(t, base+"/healthz")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/nope": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`yitu_http_requests_total{method="GET",route="/readyz",status="200"} 1`,
		`yitu_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`yitu_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		"yitu_db_pool_total_conns ",
		"yitu_db_pool_acquires_total ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Event streams open at SIGTERM end at once with a close event (they do not hold the shutdown
	// for its grace).
	var streams []*bufio.Reader
	for _, path := range []string{"/events", "/live/sse"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		defer resp.Body.Close()
		streams = append(streams, bufio.NewReader(resp.Body))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, r := range streams {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Errorf("stream %d ended without a close event: %v", i, err)
				break
			}
			if strings.HasPrefix(line, "event: close") {
				break
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	out := <-logs
	for _, want := range []string{"msg=listening", "msg=\"shutting down\"", "msg=http", "route=/readyz", "request_id="} {
		if !strings.Contains(out, want) {
			t.Errorf("server log lacks %q:\n%s", want, out)
		}
	}
}

// serve starts `yitu serve` on dbURL (MQTT off, env added) until the test ends and returns its
// base URL once it answers /healthz.
func serve(t *testing.T, dbURL string, env ...string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(yituBin, "serve", "--addr", addr, "--jt808-addr", "127.0.0.1:0", "--database-url", dbURL)
	cmd.Env = append(append(os.Environ(), "YITU_MQTT_URL="), env...)
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	waitReady(t, base+"/healthz")
	return base
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 15 s", url)
}

// A binary built with plain `go build` (no -ldflags stamp) from a git checkout names the commit it
// was built from. The test commits a copy of this tree in a fresh repository (Go records no VCS stamp
// in a linked worktree, whose .git is a file) and builds it there.
func TestVersionFromVCS(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	run := func(dir string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	root := strings.TrimSpace(run(".", "git", "rev-parse", "--show-toplevel"))
	for _, f := range strings.Split(strings.TrimSpace(run(root, "git", "ls-files", "-co", "--exclude-standard")), "\n") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(src, "git", "init", "-q")
	run(src, "git", "add", ".")
	run(src, "git", "commit", "-qm", "snapshot")
	rev := strings.TrimSpace(run(src, "git", "rev-parse", "HEAD"))
	bin := filepath.Join(t.TempDir(), "yitu")
	run(src, "go", "build", "-buildvcs=true", "-o", bin, "./cmd/yitu") // -buildvcs=true: GOFLAGS may turn it off
	out := run(src, bin, "--version")
	// Go 1.24 and later make a pseudo-version of the stamp (v0.0.0-<time>-<revision>); versionOf
	// builds dev-<revision>-<time> itself from older toolchains' vcs.* settings.
	if !strings.HasPrefix(out, "yitu ") || !strings.Contains(out, rev[:12]) || strings.Contains(out, "dirty") || strings.Contains(out, "modified") {
		t.Errorf("plain go build: --version printed %q; want the revision %s of a clean tree", out, rev[:12])
	}
}

func TestVersionOf(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "01f325b1a2c3d4e5f60718293a4b5c6d7e8f9a0b"},
		{Key: "vcs.time", Value: "2026-12-05T04:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		stamp string
		info  *debug.BuildInfo
		want  string
	}{
		{"1.4.0", vcs, "1.4.0"},
		{"dev", vcs, "dev-01f325b1a2c3-20261205040000-modified"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"dev", nil, "dev"},
	} {
		if got := versionOf(c.stamp, c.info); got != c.want {
			t.Errorf("versionOf(%q, %v) = %q, want %q", c.stamp, c.info, got, c.want)
		}
	}
}
