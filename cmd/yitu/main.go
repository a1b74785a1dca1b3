// Command yitu is the one binary of Yitu, the one-map GIS and digital-twin server: it serves, migrates
// the database, imports survey data and builds the demo city.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
)

// version is stamped at build time: go build -ldflags "-X main.version=…" (the Makefile does it).
// Without the stamp (plain go build or go install) the version comes from the build info: see
// versionOf.
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}

// command is one subcommand of yitu.
type command struct {
	name    string
	args    string // usage after the name
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[--addr :8080]", "run the HTTP server (tiles, features, 3D, live, viewer)", cmdServe},
		{"demo", "[--if-empty] | simulate", "generate the Laizhou demo city as survey files and import them; simulate: its vehicles, teams and sensors, live", cmdDemo},
		{"import", "<file-or-folder>", "import survey data (DXF, Shapefile, GeoPackage, GeoJSON, CJJ 61 tables, EPANET) or FIRMS hotspots; exit 1 = refused", cmdImport},
		{"device", "add|list|remove|import", "the device registry: JT/T 808 terminals, sensors (with MQTT credentials), cameras", cmdDevice},
		{"migrate", "[up|down|status]", "bring the database schema up to date (or roll back one step, or list)", cmdMigrate},
		{"seed", "[--layers L] [--bbox …] [--zooms a-b]", "render tiles into the disk cache ahead of use", cmdSeed},
		{"config", "", "print the effective configuration (passwords redacted)", cmdConfig},
		{"token", "create|revoke --subject S", "create an API token (printed once) or revoke a subject's tokens", cmdToken},
		{"export", "3dtiles TILESET DIR | pmtiles OUT", "write a 3D tileset to a folder, or vector tiles to a PMTiles archive", cmdExport},
		{"twin", "split MODEL | building MODEL ID OUT", "divide an oblique model into the base-map buildings under it; write one building as glb", cmdTwin},
		{"version", "", "print the version", cmdVersion},
	}
}

// env is what a command runs with.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	log            *slog.Logger
}

// usageError is bad command-line usage: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries a specific exit status (the importer's 1 = input refused, for instance).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func run(args []string, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdout: stdout, stderr: stderr, environ: environ, log: slog.New(slog.NewTextHandler(stderr, nil))}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "yitu: unknown command %q; run `yitu help` for the list\n", args[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := commands()[i].run(ctx, e, args[1:])
	var ue usageError
	var xe exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "yitu %s: %v\n", args[0], err)
		return 2
	case errors.As(err, &xe):
		fmt.Fprintf(stderr, "yitu %s: %v\n", args[0], xe.err)
		return xe.code
	default:
		fmt.Fprintf(stderr, "yitu %s: %v\n", args[0], oneLine(err.Error()))
		return 1
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func usage(w io.Writer) {
	fmt.Fprintf(w, "yitu %s — the one-map GIS and digital-twin server\n\nusage: yitu <command> [flags]\n\n", currentVersion())
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %-20s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, "\nEvery command takes --config FILE (default yitu.yaml if present), --database-url URL and\n--log-level LEVEL; `yitu <command> -h` lists its own flags.\n")
}

// flags is a command's flag set with the common flags; load parses args and builds the configuration.
type flags struct {
	*flag.FlagSet
	config, databaseURL, logLevel string
	positional                    []string
}

func newFlags(e *env, name string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet("yitu "+name, flag.ContinueOnError)}
	f.SetOutput(e.stderr)
	f.StringVar(&f.config, "config", "", "configuration file (default: yitu.yaml if present)")
	f.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL/PostGIS URL (default: DATABASE_URL, else the private cluster)")
	f.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	return f
}

// parse parses flags wherever they stand among the positional arguments (yitu import city.dxf --dry-run),
// leaving the positional ones in Args.
func (f *flags) parse(args []string) error {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			return err
		}
		args = f.FlagSet.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	f.positional = positional
	return nil
}

// Args are the positional arguments; NArg and Arg read them.
func (f *flags) Args() []string { return f.positional }

// NArg is the number of positional arguments.
func (f *flags) NArg() int { return len(f.positional) }

// Arg is the i-th positional argument, "" past the end.
func (f *flags) Arg(i int) string {
	if i < len(f.positional) {
		return f.positional[i]
	}
	return ""
}

// load parses args, loads the configuration (file, environment, then these flags) and sets up the log.
// apply sets command-specific flags on the configuration.
func (f *flags) load(e *env, args []string, apply func(*Config)) (Config, error) {
	if err := f.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, usageError{err.Error()}
	}
	cfg, err := loadConfig(f.config, e.environ)
	if err != nil {
		return cfg, err
	}
	if f.databaseURL != "" {
		cfg.Database.URL = f.databaseURL
	}
	if f.logLevel != "" {
		cfg.Log.Level = f.logLevel
	}
	if apply != nil {
		apply(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	e.log = newLogger(e.stderr, cfg.Log)
	return cfg, nil
}

func newLogger(w io.Writer, c LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated before
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintf(e.stdout, "yitu %s\n", currentVersion())
	return nil
}

func currentVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(version, info)
}

// versionOf is the version to print: the -ldflags stamp; else the module version of a `go install
// module@version`; else the VCS stamp Go records in a build from a checkout (revision, with the commit
// time and "modified" when the tree had uncommitted changes; Go 1.24 and later turn it into a
// pseudo-version, v0.0.0-<time>-<revision>[+dirty], the module version); else "dev".
func versionOf(stamp string, info *debug.BuildInfo) string {
	if stamp != "" && stamp != "dev" {
		return stamp
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev-" + rev
	if at != "" {
		v += "-" + strings.NewReplacer("-", "", ":", "", "T", "", "Z", "").Replace(at)
	}
	if modified {
		v += "-modified"
	}
	return v
}
