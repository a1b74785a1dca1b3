package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/server"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/twin"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "serve")
	addr := f.String("addr", "", "listen address (default :8080)")
	jtAddr := f.String("jt808-addr", "", "JT/T 808 gateway listen address (default :6808; \"off\" for none)")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	switch *jtAddr {
	case "":
	case "off":
		cfg.JT808.Addr = ""
	default:
		cfg.JT808.Addr = *jtAddr
	}
	e.log.Info("starting", "version", version, "config", cfg.Redacted())
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		var behind *migrations.BehindError
		if errors.As(err, &behind) {
			return fmt.Errorf("refusing to serve: %w", err)
		}
		return err
	}
	catalog, err := spatial.NewCatalogStore(ctx, pool, e.log)
	if err != nil {
		return err
	}
	tileSvc, err := tiles.New(ctx, pool, catalog, cfg.Tiles, e.log)
	if err != nil {
		return err
	}
	go catalog.Run(ctx)
	go tileSvc.Run(ctx)
	tw, err := twin.New(pool, cfg.Twin, e.log)
	if err != nil {
		return err
	}
	go tw.Run(ctx)
	tokens := auth.New(pool)
	go tokens.Run(ctx, e.log) // revocations reach this replica's cache at once
	metrics := prometheus.NewRegistry()
	lv, err := startLive(ctx, e, cfg, pool, metrics)
	if err != nil {
		return err
	}
	defer lv.stop(cfg.Server.ShutdownGrace)
	srv := server.New(cfg.Server, server.Deps{
		Log:      e.log,
		Version:  version,
		Pool:     pool,
		Catalog:  catalog,
		Tiles:    tileSvc,
		Twin:     tw,
		Ready:    readiness(pool),
		Tokens:   tokens,
		Features: features.New(pool, e.log),
		Viewer:   frontend.Files(),
		Live:     lv.hub,
		Watch:    lv.watch,
		Push:     lv.push,
		Metrics:  metrics,

		DeviceCredentials: lv.creds,
	})
	return srv.Serve(ctx)
}

// readiness reports the database reachable and its schema current.
func readiness(pool *pgxpool.Pool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return fmt.Errorf("database unreachable: %w", err)
		}
		return migrations.Check(ctx, pool)
	}
}

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "migrate")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	action := "up"
	switch f.NArg() {
	case 0:
	case 1:
		action = f.Arg(0)
	default:
		return usageError{"migrate takes one of up, down, status"}
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	var steps []migrations.Step
	switch action {
	case "up":
		steps, err = m.Up(ctx)
	case "down":
		steps, err = m.Down(ctx)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(e.stdout, "%-8s %s\n", state, s.Name)
		}
		return nil
	default:
		return usageError{fmt.Sprintf("unknown migrate action %q; use up, down or status", action)}
	}
	for _, s := range steps {
		fmt.Fprintln(e.stdout, s)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", action, err)
	}
	if len(steps) == 0 {
		fmt.Fprintln(e.stdout, "the schema is current; nothing to do")
	}
	return nil
}

func cmdConfig(_ context.Context, e *env, args []string) error {
	f := newFlags(e, "config")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
