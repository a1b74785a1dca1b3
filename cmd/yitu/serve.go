package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	commandstore "github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/frontend"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/server"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/terrain"
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
	var readPool *pgxpool.Pool
	if cfg.Database.ReadURL != "" {
		rc := cfg.Database
		rc.URL = cfg.Database.ReadURL
		if readPool, err = spatial.Open(ctx, rc); err != nil {
			return fmt.Errorf("database.read_url: %w", err)
		}
		defer readPool.Close()
		e.log.Info("reading tiles and feature pages from a replica", "url", spatial.Redact(rc.URL))
	}
	catalog, err := spatial.NewCatalogStore(ctx, pool, e.log)
	if err != nil {
		return err
	}
	tileSvc, err := tiles.New(ctx, pool, catalog, cfg.Tiles, e.log)
	if err != nil {
		return err
	}
	feats := features.New(pool, e.log)
	if readPool != nil {
		tileSvc.UseReplica(readPool)
		feats.UseReplica(readPool)
	}
	go catalog.Run(ctx)
	go tileSvc.Run(ctx)
	tw, err := twin.New(pool, cfg.Twin, e.log)
	if err != nil {
		return err
	}
	// A tileset rebuilt after a change is announced on /events, for the viewers that reloaded the
	// previous one, served while it was rebuilt.
	tw.OnRebuilt(func(name string) {
		tileSvc.Events().Publish(spatial.Change{Layers: []string{twin.EventLayer(name)}, Reason: twin.ReasonRebuilt})
	})
	go tw.Run(ctx)
	// Split models follow this server's edits of the buildings under them.
	resplit := twin.NewResplitter(pool, twin.ResplitDelay, e.log)
	feats.OnEdit(func(layer string, bbox *[4]float64) {
		if layer == twin.BuildingLayer {
			resplit.Changed(bbox)
		}
	})
	go resplit.Run(ctx)
	var offset *float64
	if off, ok := cfg.Twin.Offset(); ok {
		offset = &off
	}
	ter, err := terrain.New(pool, cfg.Terrain, offset, e.log)
	if err != nil {
		return err
	}
	go ter.Run(ctx)
	tokens := auth.New(pool)
	go tokens.Run(ctx, e.log) // revocations reach this replica's cache at once
	metrics := prometheus.NewRegistry()
	lv, err := startLive(ctx, e, cfg, pool, metrics)
	if err != nil {
		return err
	}
	defer lv.stop(cfg.Server.ShutdownGrace)
	incidents := commandstore.NewStore(pool)
	incidents.OnChange(commandstore.Publisher(lv.hub))
	if lv.push != nil {
		lv.push.UseIncidents(incidents) // a reconnecting map is replayed the incidents it missed
	}
	intake := commandstore.NewIntake(incidents, cfg.Command, e.log)
	intake.UseAlarms(lv.watch)
	if err := intake.Check(ctx); err != nil {
		return err
	}
	go intake.Run(ctx, lv.hub.Stream())
	network := commandstore.NewNetwork(pool, catalog, cfg.Command, e.log)
	go network.Run(ctx) // rebuilt when a road layer changes
	var objects commandstore.LiveObjects
	if lv.hub != nil {
		objects = lv.hub
	}
	fires := commandstore.NewFireSpread(pool, lv.hub, catalog, cfg.Command, e.log)
	go fires.Run(ctx)
	ready, closeReady := readiness(pool)
	defer closeReady()
	srv := server.New(cfg.Server, server.Deps{
		Log:      e.log,
		Version:  version,
		Pool:     pool,
		ReadPool: readPool,
		Catalog:  catalog,
		Tiles:    tileSvc,
		Twin:     tw,
		Terrain:  ter,
		Ready:    ready,
		Tokens:   tokens,
		Features: feats,
		Viewer:   frontend.Files(),
		Live:     lv.hub,
		Watch:    lv.watch,
		Push:     lv.push,
		Command:  incidents,
		Fires:    commandstore.NewFires(pool, catalog, objects, network, cfg.Command),

		FireSpread: fires,
		Metrics:    metrics,

		DeviceCredentials: lv.creds,
	})
	return srv.Serve(ctx)
}

// readiness reports the database reachable and its schema current, over a connection of its own:
// a pool busy with heavy but healthy load must not make a load balancer pull the instance.
func readiness(pool *pgxpool.Pool) (check func(context.Context) error, closeConn func()) {
	var mu sync.Mutex
	var conn *pgx.Conn
	check = func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if conn == nil || conn.IsClosed() {
			c, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
			if err != nil {
				return fmt.Errorf("database unreachable: %w", err)
			}
			conn = c
		}
		if err := conn.Ping(ctx); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
			return fmt.Errorf("database unreachable: %w", err)
		}
		return migrations.Check(ctx, conn)
	}
	closeConn = func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			conn.Close(context.Background())
		}
	}
	return check, closeConn
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
