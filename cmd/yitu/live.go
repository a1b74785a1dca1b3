package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/firms"
	"github.com/yitu-gis/yitu/live/jt808"
	"github.com/yitu-gis/yitu/live/mqtt"
	"github.com/yitu-gis/yitu/live/push"
	"github.com/yitu-gis/yitu/live/watch"
)

// liveParts are the live half of a serving process: the hub, its front ends and the push to maps.
type liveParts struct {
	hub     *live.Hub
	push    *push.Broadcaster
	creds   live.Credentials
	gateway *jt808.Gateway // nil without jt808.addr
	watch   *watch.Engine
	log     *slog.Logger

	stopFront  context.CancelFunc
	wg         sync.WaitGroup // the front ends (gateways, MQTT client, FIRMS poller) and the push
	stopHub    context.CancelFunc
	hubWG      sync.WaitGroup // the hub's Run
	closeCreds func()
}

// startLive starts the hub and its front ends. The hub outlives ctx: when ctx ends the front ends
// stop taking data, and stop then writes what the hub holds.
func startLive(ctx context.Context, e *env, cfg Config, pool *pgxpool.Pool, reg prometheus.Registerer) (*liveParts, error) {
	hub := live.NewHub(cfg.Live, pool, e.log, reg)
	if err := hub.Start(ctx); err != nil {
		return nil, err
	}
	lp := &liveParts{hub: hub, log: e.log}
	ctx, lp.stopFront = context.WithCancel(ctx)
	hctx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	lp.stopHub = stopHub
	lp.hubWG.Go(func() { hub.Run(hctx) })
	// The push follows the hub's stream until the front ends stop: then it closes every map's
	// connection (WebSocket close 1001, the SSE stream ends), so none holds the HTTP shutdown up.
	watchStore := watch.NewStore(pool)
	lp.push = push.New(cfg.Push, push.Deps{Hub: hub, History: hub, Alarms: watchStore, Log: e.log, Metrics: reg})
	lp.wg.Go(func() { lp.push.Run(ctx) })
	if cfg.JT808.Addr != "" {
		// Listen now, so that a taken port stops the server at start, as the HTTP address does.
		ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.JT808.Addr)
		if err != nil {
			lp.stop(time.Second)
			return nil, fmt.Errorf("jt808: cannot listen on %s: %w (choose another with --jt808-addr or jt808.addr)", cfg.JT808.Addr, err)
		}
		gw := jt808.NewGateway(jt808.Config{Addr: cfg.JT808.Addr, IdleTimeout: cfg.JT808.IdleTimeout, AuthTimeout: cfg.JT808.AuthTimeout}, hub, e.log, reg)
		lp.gateway = gw
		lp.wg.Go(func() {
			if err := gw.Serve(ctx, ln); err != nil {
				e.log.Error("jt808: the gateway stopped", "err", err)
			}
		})
	}
	var terminals watch.Terminals // acknowledging an emergency alarm tells the terminal (0x8203)
	if lp.gateway != nil {
		terminals = lp.gateway
	}
	lp.watch = watch.NewEngine(hub, watchStore, terminals, e.log, reg)
	if err := lp.watch.Start(ctx); err != nil {
		lp.stop(time.Second)
		return nil, err
	}
	lp.hubWG.Go(func() { lp.watch.Run(hctx) })
	creds, closeCreds, err := brokerCredentials(cfg)
	if err != nil {
		lp.stop(time.Second)
		return nil, err
	}
	lp.creds, lp.closeCreds = creds, closeCreds
	if cfg.MQTT.URL != "" {
		client := mqtt.New(mqtt.Config{URL: cfg.MQTT.URL, ClientID: cfg.MQTT.ClientID, Topic: cfg.MQTT.Topic, SharedGroup: cfg.MQTT.SharedGroup}, hub, e.log, reg)
		lp.wg.Go(func() {
			if err := client.Run(ctx); err != nil {
				e.log.Error("mqtt: the client stopped", "err", err)
			}
		})
	}
	if cfg.FIRMS.URL != "" {
		p := firms.NewPoller(cfg.FIRMS.URL, cfg.FIRMS.Every, &http.Client{Timeout: 2 * time.Minute},
			func(ctx context.Context, recs []firms.Record) error {
				n, err := live.AddHotspots(ctx, pool, firms.Records(recs))
				if err == nil && n > 0 {
					e.log.Info("firms: new hotspots", "new", n, "rows", len(recs))
				}
				return err
			}, e.log)
		e.log.Info("firms: polling", "url", firms.Redact(cfg.FIRMS.URL), "every", cfg.FIRMS.Every)
		lp.wg.Go(func() { _ = p.Run(ctx) })
	}
	return lp, nil
}

// stop stops the front ends and waits for them, stops the hub's loops and writes what it holds,
// within grace (the rest is spooled for the next start).
func (lp *liveParts) stop(grace time.Duration) {
	lp.stopFront()
	lp.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if lp.watch != nil { // the alarm changes made so far are stored before the hub stops
		if err := lp.watch.Flush(ctx); err != nil {
			lp.log.Error("watch: alarm changes not stored at shutdown", "err", err)
		}
	}
	lp.stopHub()
	lp.hubWG.Wait()
	if err := lp.hub.Close(ctx); err != nil {
		lp.log.Error("live: closing", "err", err)
	}
	if lp.closeCreds != nil {
		lp.closeCreds()
	}
}

// brokerCredentials is the MQTT broker's dynamic security, for sensors' credentials (connected on
// first use); nil without a broker.
func brokerCredentials(cfg Config) (live.Credentials, func(), error) {
	if cfg.MQTT.URL == "" {
		return nil, func() {}, nil
	}
	a := &lazyAdmin{url: cfg.MQTT.URL}
	return a, a.close, nil
}

// lazyAdmin connects to the broker's dynamic security when a device first needs it, so that a broker
// that is down does not keep the server from starting.
type lazyAdmin struct {
	url string
	mu  sync.Mutex
	a   *mqtt.Admin
}

func (l *lazyAdmin) admin() (*mqtt.Admin, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a == nil {
		a, err := mqtt.NewAdmin(l.url)
		if err != nil {
			return nil, err
		}
		l.a = a
	}
	return l.a, nil
}

func (l *lazyAdmin) AddDevice(ctx context.Context, id, password string) error {
	a, err := l.admin()
	if err != nil {
		return err
	}
	return a.AddDevice(ctx, id, password)
}

func (l *lazyAdmin) RemoveDevice(ctx context.Context, id string) error {
	a, err := l.admin()
	if err != nil {
		return err
	}
	return a.RemoveDevice(ctx, id)
}

func (l *lazyAdmin) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a != nil {
		l.a.Close()
	}
}
