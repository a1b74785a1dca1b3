package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	commandstore "github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/firms"
	"github.com/yitu-gis/yitu/live/push"
	"github.com/yitu-gis/yitu/server"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/terrain"
)

// Config is Yitu's whole configuration, loaded once: defaults, then the YAML file (yitu.yaml in the
// working directory, or --config / YITU_CONFIG), then environment variables (DATABASE_URL, YITU_*),
// then command-line flags. Every YAML key has an environment variable: YITU_ + the key path in upper
// case joined by _ (server.shutdown_grace → YITU_SERVER_SHUTDOWN_GRACE).
type Config struct {
	Database spatial.DBConfig    `yaml:"database"`
	Server   server.Config       `yaml:"server"`
	Tiles    tiles.Config        `yaml:"tiles"`
	Log      LogConfig           `yaml:"log"`
	Twin     twin.Config         `yaml:"twin"`
	Terrain  terrain.Config      `yaml:"terrain"`
	Live     live.Config         `yaml:"live"`
	Push     push.Config         `yaml:"push"`
	FIRMS    FIRMSConfig         `yaml:"firms"`
	MQTT     MQTTConfig          `yaml:"mqtt"`
	JT808    JT808Config         `yaml:"jt808"`
	Command  commandstore.Config `yaml:"command"`
}

// JT808Config is the JT/T 808 gateway that vehicle and team terminals connect to.
type JT808Config struct {
	Addr        string        `yaml:"addr"`         // TCP listen address; empty: no gateway
	IdleTimeout time.Duration `yaml:"idle_timeout"` // a silent connection is closed (default 3m: three missed heartbeats)
	AuthTimeout time.Duration `yaml:"auth_timeout"` // a connection must authenticate within this (default 1m)
}

// MQTTConfig is the broker sensors publish to. Yitu is a client of it: a persistent QoS 1 session
// on <topic>/+/obs and <topic>/+/state, and the dynamic-security admin for sensors' credentials.
type MQTTConfig struct {
	// URL with Yitu's credentials (mqtt://user:password@host:port, mqtts:// for TLS); empty: no MQTT.
	URL string `yaml:"url"`
	// ClientID names Yitu's persistent session; it must stay the same across restarts and differ
	// between replicas (default yitu-<hostname>).
	ClientID string `yaml:"client_id"`
	Topic    string `yaml:"topic"` // default yitu/sensors
	// SharedGroup: with several replicas, each subscribes as a member of this shared subscription
	// group ($share/<group>/…), so that each reading reaches one replica (and the others through
	// live.outbox); empty: each replica receives every reading itself.
	SharedGroup string `yaml:"shared_group"`
}

// FIRMSConfig is the NASA FIRMS poller: a CSV URL (an area or country file with the map key)
// fetched every Every; empty URL: no polling (files come in by yitu import).
type FIRMSConfig struct {
	URL   string        `yaml:"url"`
	Every time.Duration `yaml:"every"`
}

// LogConfig configures the structured log on stderr.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

func defaultConfig() Config {
	return Config{
		Database: spatial.DBConfig{
			URL:              spatial.DefaultURL,
			MaxConns:         32,
			StatementTimeout: 30 * time.Second,
			ConnectTimeout:   5 * time.Second,
		},
		Server: server.Config{
			Addr:          ":8080",
			ShutdownGrace: 15 * time.Second,
			ReadTimeout:   30 * time.Second,
			IdleTimeout:   120 * time.Second,
			WriteTimeout:  60 * time.Second,
			BodyLimit:     1 << 20,
			EditBodyLimit: 32 << 20,

			ResponseMemory:    4 << 20,
			ClientConcurrency: 16,
		},
		Tiles:   tiles.DefaultConfig(),
		Log:     LogConfig{Level: "info", Format: "text"},
		Twin:    twin.DefaultConfig(),
		Terrain: terrain.DefaultConfig(),
		Live:    live.DefaultConfig(),
		Push:    push.DefaultConfig(),
		FIRMS:   FIRMSConfig{Every: 15 * time.Minute},
		MQTT:    MQTTConfig{URL: "mqtt://yitu:yitu@127.0.0.1:18830"}, // scripts/mqtt's private broker
		JT808:   JT808Config{Addr: ":6808", IdleTimeout: 3 * time.Minute, AuthTimeout: time.Minute},
		Command: commandstore.DefaultConfig(),
	}
}

const defaultConfigFile = "yitu.yaml"

// loadConfig builds the configuration. path is the --config flag ("" when not given); environ is the
// process environment as os.Environ returns it.
func loadConfig(path string, environ []string) (Config, error) {
	cfg := defaultConfig()
	env := envMap(environ)
	explicit := path != ""
	if !explicit {
		path = env["YITU_CONFIG"]
		explicit = path != ""
	}
	if !explicit {
		path = defaultConfigFile
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if b, err = expandEnv(path, b, env); err != nil {
			return cfg, err
		}
		if err := decodeYAML(path, b, &cfg); err != nil {
			return cfg, err
		}
	case errors.Is(err, os.ErrNotExist) && !explicit:
		// No yitu.yaml: defaults and environment only.
	case errors.Is(err, os.ErrNotExist):
		return cfg, fmt.Errorf("config file %s does not exist; give an existing file with --config or leave it out", path)
	default:
		return cfg, fmt.Errorf("config file %s cannot be read: %v", path, err)
	}
	if u := env["DATABASE_URL"]; u != "" {
		cfg.Database.URL = u
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in the config file with the environment variable NAME (a bare $ is left
// alone: passwords may contain one). An unset variable is an error, never a silent empty string.
func expandEnv(path string, b []byte, env map[string]string) ([]byte, error) {
	var missing []string
	out := envRef.ReplaceAllFunc(b, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := env[name]
		if !ok {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("config file %s refers to ${%s} but that environment variable is not set", path, missing[0])
	}
	return out, nil
}

// validate checks values that no type check catches.
func (c *Config) validate() error {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return fmt.Errorf("log.level %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format %q is not text or json", c.Log.Format)
	}
	if c.Database.URL == "" {
		return errors.New("database.url is empty; set DATABASE_URL or database.url in yitu.yaml")
	}
	if c.FIRMS.URL != "" && c.FIRMS.Every < time.Minute {
		return fmt.Errorf("firms.every %v: poll at most once a minute", c.FIRMS.Every)
	}
	if err := c.Live.Validate(); err != nil {
		return err
	}
	if err := c.Push.Validate(); err != nil {
		return err
	}
	if err := c.Command.Validate(); err != nil {
		return err
	}
	if err := c.Terrain.Validate(); err != nil {
		return err
	}
	return c.Twin.Validate()
}

// Redacted returns a copy that is safe to log: passwords are replaced.
func (c Config) Redacted() Config {
	c.Database.URL = spatial.Redact(c.Database.URL)
	c.FIRMS.URL = firms.Redact(c.FIRMS.URL)
	c.MQTT.URL = spatial.Redact(c.MQTT.URL)
	return c
}

// decodeYAML decodes a config file, reporting unknown keys with their line and the keys allowed there.
func decodeYAML(path string, b []byte, cfg *Config) error {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return fmt.Errorf("config file %s is not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 { // empty file
		return nil
	}
	if err := checkKeys(path, root.Content[0], reflect.TypeOf(*cfg), ""); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return fmt.Errorf("config file %s: %s", path, strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("config file %s: %v", path, err)
	}
	return nil
}

func checkKeys(path string, n *yaml.Node, t reflect.Type, prefix string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s line %d: %s must be a mapping of keys to values", path, n.Line, orRoot(prefix))
	}
	known := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := known[k.Value]
		if !ok {
			return fmt.Errorf("config file %s line %d: unknown key %q in %s; known keys: %s",
				path, k.Line, prefix+k.Value, orRoot(prefix), strings.Join(sortedKeys(known), ", "))
		}
		if f.Type.Kind() == reflect.Struct {
			if err := checkKeys(path, v, f.Type, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

func orRoot(prefix string) string {
	if prefix == "" {
		return "the top level"
	}
	return strings.TrimSuffix(prefix, ".")
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name := yamlName(f); name != "" {
			out[name] = f
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// scriptEnv are variables of the project's scripts that fall under a config section's prefix:
// scripts/mqtt's port and folder of the private broker (the server's broker is mqtt.url).
var scriptEnv = map[string]bool{"YITU_MQTT_PORT": true, "YITU_MQTT_DIR": true}

// applyEnv sets fields from YITU_* variables. A variable under a known section with an unknown name
// (YITU_SERVER_ADR) is an error; variables outside the config's sections (YITU_PG_PORT, used by
// scripts/pg) are not the config's business, nor are the scripts' own variables inside a config
// section (YITU_MQTT_PORT and YITU_MQTT_DIR of scripts/mqtt).
func applyEnv(cfg *Config, env map[string]string) error {
	fields := map[string]reflect.Value{}
	sections := map[string]bool{}
	collectEnv(reflect.ValueOf(cfg).Elem(), "YITU", fields, sections)
	for _, name := range sortedKeys(env) {
		if !strings.HasPrefix(name, "YITU_") || name == "YITU_CONFIG" || scriptEnv[name] {
			continue
		}
		v, ok := fields[name]
		if !ok {
			for s := range sections {
				if strings.HasPrefix(name, s+"_") {
					return fmt.Errorf("unknown environment variable %s; known under %s: %s", name, s, strings.Join(knownUnder(fields, s), ", "))
				}
			}
			continue
		}
		if err := setValue(v, env[name]); err != nil {
			return fmt.Errorf("environment variable %s=%q: %v", name, env[name], err)
		}
	}
	return nil
}

func knownUnder(fields map[string]reflect.Value, section string) []string {
	var out []string
	for _, k := range sortedKeys(fields) {
		if strings.HasPrefix(k, section+"_") {
			out = append(out, k)
		}
	}
	return out
}

func collectEnv(v reflect.Value, prefix string, fields map[string]reflect.Value, sections map[string]bool) {
	t := v.Type()
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" {
			continue
		}
		key := prefix + "_" + strings.ToUpper(name)
		if fv := v.Field(i); fv.Kind() == reflect.Struct {
			sections[key] = true
			collectEnv(fv, key, fields, sections)
		} else {
			fields[key] = fv
		}
	}
}

var durationType = reflect.TypeOf(time.Duration(0))

// setValue parses s into v (string, bool, integers, floats, durations, comma-separated string lists).
func setValue(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration (say 30s, 5m or 1h)")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("not a number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("lists of %s cannot be set from the environment", v.Type().Elem())
		}
		var parts []string
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("a %s cannot be set from the environment", v.Type())
	}
	return nil
}
