package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "yitu.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigPrecedence(t *testing.T) {
	p := writeConfig(t, `
database:
  url: postgres://file@db/yitu
  statement_timeout: 10s
server:
  addr: ":9000"
  shutdown_grace: 3s
log:
  level: debug
`)
	// The file sets values, DATABASE_URL overrides the file, YITU_* overrides both.
	cfg, err := loadConfig(p, []string{
		"DATABASE_URL=postgres://env@db/yitu",
		"YITU_SERVER_SHUTDOWN_GRACE=7s",
		"YITU_DATABASE_MAX_CONNS=5",
		"YITU_PG_PORT=1234",    // scripts/pg's, not the config's
		"YITU_MQTT_PORT=18844", // scripts/mqtt's, although under the mqtt section
		"YITU_MQTT_DIR=/tmp/mqtt",
		"HOME=/root",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != "postgres://env@db/yitu" {
		t.Errorf("database.url = %q, want DATABASE_URL's", cfg.Database.URL)
	}
	if cfg.Database.StatementTimeout != 10*time.Second || cfg.Server.Addr != ":9000" || cfg.Log.Level != "debug" {
		t.Errorf("file values not applied: %+v", cfg)
	}
	if cfg.Server.ShutdownGrace != 7*time.Second || cfg.Database.MaxConns != 5 {
		t.Errorf("environment not applied: grace %v, max conns %d", cfg.Server.ShutdownGrace, cfg.Database.MaxConns)
	}
	if cfg.Server.IdleTimeout != defaultConfig().Server.IdleTimeout {
		t.Errorf("a key the file does not set lost its default: %v", cfg.Server.IdleTimeout)
	}
	cfg, err = loadConfig(p, []string{"DATABASE_URL=postgres://a@b/c", "YITU_DATABASE_URL=postgres://yitu@b/c"})
	if err != nil || cfg.Database.URL != "postgres://yitu@b/c" {
		t.Errorf("YITU_DATABASE_URL should win over DATABASE_URL: %q, %v", cfg.Database.URL, err)
	}
}

func TestConfigFlagsWin(t *testing.T) {
	p := writeConfig(t, "log:\n  level: warn\n")
	var stderr strings.Builder
	e := &env{stderr: &stderr, environ: []string{"YITU_LOG_LEVEL=error"}}
	f := newFlags(e, "test")
	cfg, err := f.load(e, []string{"--config", p, "--log-level", "debug", "--database-url", "postgres://flag@x/y"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Level != "debug" || cfg.Database.URL != "postgres://flag@x/y" {
		t.Errorf("flags did not win: level %q url %q", cfg.Log.Level, cfg.Database.URL)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, file string
		environ    []string
		want       []string // substrings of the one-line message
	}{
		{"unknown top-level key", "databse:\n  url: x\n", nil, []string{`unknown key "databse"`, "line 1", "known keys: command, database, ", "jt808, live, log, mqtt", "server"}},
		{"unknown nested key", "server:\n  addr: ':1'\n  shutdown_grase: 1s\n", nil, []string{`unknown key "server.shutdown_grase"`, "line 3", "shutdown_grace"}},
		{"malformed YAML", "server: [1\n", nil, []string{"not valid YAML", "line"}},
		{"wrong type", "server:\n  shutdown_grace: soon\n", nil, []string{"line 2", "time.Duration"}},
		{"section not a mapping", "server: 5\n", nil, []string{"server must be a mapping", "line 1"}},
		{"unknown env key", "", []string{"YITU_SERVER_ADR=:1"}, []string{"YITU_SERVER_ADR", "YITU_SERVER_ADDR"}},
		{"bad env value", "", []string{"YITU_SERVER_SHUTDOWN_GRACE=soon"}, []string{"YITU_SERVER_SHUTDOWN_GRACE", "not a duration"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, c.file), c.environ)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestConfigFileOptional(t *testing.T) {
	t.Chdir(t.TempDir()) // no yitu.yaml here
	cfg, err := loadConfig("", nil)
	if err != nil {
		t.Fatalf("no yitu.yaml must mean defaults: %v", err)
	}
	if cfg.Server.Addr != ":8080" {
		t.Errorf("default addr = %q", cfg.Server.Addr)
	}
	if _, err := loadConfig("missing.yaml", nil); err == nil || !strings.Contains(err.Error(), "missing.yaml does not exist") {
		t.Errorf("an explicit missing file must be an error naming it: %v", err)
	}
	if _, err := loadConfig("", []string{"YITU_CONFIG=other.yaml"}); err == nil || !strings.Contains(err.Error(), "other.yaml") {
		t.Errorf("YITU_CONFIG naming a missing file must be an error: %v", err)
	}
	os.WriteFile("yitu.yaml", []byte("server:\n  addr: ':7000'\n"), 0o644)
	if cfg, err := loadConfig("", nil); err != nil || cfg.Server.Addr != ":7000" {
		t.Errorf("yitu.yaml in the working directory not read: %q %v", cfg.Server.Addr, err)
	}
}

func TestConfigRedacted(t *testing.T) {
	cfg := defaultConfig()
	cfg.Database.URL = "postgres://yitu:s3cret@db:5432/yitu?sslmode=disable"
	r := cfg.Redacted()
	if strings.Contains(r.Database.URL, "s3cret") || !strings.Contains(r.Database.URL, "yitu:xxxxx@db") {
		t.Errorf("redacted URL = %q", r.Database.URL)
	}
	if !strings.Contains(cfg.Database.URL, "s3cret") {
		t.Error("Redacted changed the original")
	}
	var out, errb strings.Builder
	code := run([]string{"config", "--database-url", cfg.Database.URL}, &out, &errb, nil)
	if code != 0 || strings.Contains(out.String(), "s3cret") || !strings.Contains(out.String(), "xxxxx") {
		t.Errorf("yitu config printed %q (exit %d, %s)", out.String(), code, errb.String())
	}
}

func TestConfigValidate(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"config", "--log-level", "loud"}, &out, &errb, nil)
	if code != 1 || !strings.Contains(errb.String(), `log.level "loud"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestConfigExpandsEnv(t *testing.T) {
	p := writeConfig(t, "database:\n  url: postgres://yitu:${PGPASS}@db/yitu?x=$y\n")
	cfg, err := loadConfig(p, []string{"PGPASS=pa$$"})
	if err != nil || cfg.Database.URL != "postgres://yitu:pa$$@db/yitu?x=$y" {
		t.Errorf("url = %q, %v", cfg.Database.URL, err)
	}
	if _, err := loadConfig(p, nil); err == nil || !strings.Contains(err.Error(), "${PGPASS}") {
		t.Errorf("an unset variable must be an error naming it: %v", err)
	}
}

// scripts/mqtt's variables are not the config's, though they start like the mqtt section's.
func TestConfigIgnoresScriptEnv(t *testing.T) {
	if _, err := loadConfig("", []string{"YITU_MQTT_PORT=18845", "YITU_MQTT_DIR=/tmp/x", "YITU_PG_PORT=54345"}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig("", []string{"YITU_MQTT_PROT=1"}); err == nil {
		t.Fatal("a misspelt mqtt variable accepted")
	}
}
