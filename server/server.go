// Package server is Yitu's HTTP edge (fiber v2): routes, problem+json errors, metrics, access logs and
// graceful shutdown. Handlers parse and validate, then call a domain package; this package holds no SQL.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/push"
	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/twin"
	"github.com/yitu-gis/yitu/twin/terrain"
)

// Config is the HTTP server's part of the configuration.
type Config struct {
	Addr          string        `yaml:"addr"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // how long in-flight requests may finish after SIGTERM
	ReadTimeout   time.Duration `yaml:"read_timeout"`
	IdleTimeout   time.Duration `yaml:"idle_timeout"`
	// WriteTimeout bounds the sending of an answer (event streams and WebSockets bound each write
	// instead): a client that does not read is disconnected then.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// ResponseMemory is how much of a feature page is held in memory while it is made before it is
	// sent (the rest goes to a temporary file): pages are made in full, so no database connection
	// waits on a client.
	ResponseMemory int `yaml:"response_memory"`
	// ClientConcurrency is how many requests one client (an IP address, and a token) may have in
	// progress at once; more answer 429. 0: no limit. Event streams and WebSockets do not count.
	ClientConcurrency int `yaml:"client_concurrency"`
	// ProxyHeader is the header a reverse proxy in front sets to the client's address (X-Real-IP,
	// X-Forwarded-For); empty: the connection's address is the client's. Set it only behind a proxy
	// that overwrites it, or any client can name itself anything.
	ProxyHeader string `yaml:"proxy_header"`
	// BodyLimit is the largest request body a route takes (bytes); EditBodyLimit that of the routes
	// that take data: feature edits and live pushes. A body is read only after the caller is
	// authenticated and only up to its route's limit (larger ones: 413 before they are read).
	BodyLimit     int `yaml:"body_limit"`
	EditBodyLimit int `yaml:"edit_body_limit"`
	// MetricsAddr serves /metrics on a listener of its own (e.g. 127.0.0.1:9464, for Prometheus on
	// an internal network) and not on Addr; MetricsRole, when set, lets only that role (or admin)
	// read /metrics on Addr. Both empty: /metrics is open on Addr.
	MetricsAddr string `yaml:"metrics_addr"`
	MetricsRole string `yaml:"metrics_role"`
	// CORSOrigins are the web origins other than the server's own whose pages may call the API
	// (https://portal.example.gov.cn; "*" for any); none: browsers keep other origins out.
	CORSOrigins []string `yaml:"cors_origins"`
}

// Deps are what the server is built from.
type Deps struct {
	Log     *slog.Logger
	Version string
	Pool    *pgxpool.Pool
	// ReadPool is a streaming replica of Pool that tiles and feature pages are read from (nil:
	// none); its replication lag is in /metrics.
	ReadPool *pgxpool.Pool
	Catalog  *spatial.CatalogStore
	Tiles    *tiles.Service // vector tiles, styles, glyphs, sprites, /events; nil: not served
	// Ready reports whether the server can serve: database reachable, schema current.
	Ready func(context.Context) error
	// Tokens authenticate "Authorization: Bearer" requests (nil: everyone is anonymous).
	Tokens *auth.Tokens
	// Features serves OGC API – Features, search and identify (nil: not served).
	Features *features.Store
	// Twin serves 3D Tiles (/3dtiles); nil: no 3D routes.
	Twin *twin.Service
	// Terrain serves heights and terrain tiles (/terrain); nil: no terrain routes.
	Terrain *terrain.Service
	// Live is the hub of live objects (/live/…); nil: no live routes.
	Live *live.Hub
	// Watch matches the live stream against fences and rules and keeps the alarms (/live/fences,
	// /live/rules, /live/alarms); nil: none of those routes.
	Watch *watch.Engine
	// Command keeps the incidents of the closed loop (/command/incidents; nil: not served).
	Command *command.Store
	// Fires answers the forest-fire command's questions: resources around a fire with ETAs, and
	// evacuation (/command/fires/…; nil: not served).
	Fires *command.Fires
	// FireSpread estimates forest fires' spread (/command/fires/{id}/spread; nil: not served).
	FireSpread *command.FireSpread
	// Push fans the hub's changes out to open maps (/live/ws, /live/sse); nil: those answer 404.
	Push *push.Broadcaster
	// DeviceCredentials sets sensors' MQTT credentials when devices are registered (nil: no broker).
	DeviceCredentials live.Credentials
	// Metrics is the Prometheus registry /metrics serves (nil: the server makes its own); other
	// components register their metrics on it.
	Metrics *prometheus.Registry
	// Viewer is the built one-map viewer (frontend.Files()), served under /map/; nil serves none.
	Viewer fs.FS
}

// Server is the HTTP edge.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	app     *fiber.App
	metrics *httpMetrics
	// stopping ends when shutdown begins (stop): long-lived responses (event streams, WebSockets)
	// end then, telling their clients to reconnect; closing is its Done channel.
	stopping context.Context
	stop     context.CancelFunc
	closing  <-chan struct{}
	// metricsHandler serves the Prometheus registry (on Addr or on MetricsAddr).
	metricsHandler fiber.Handler
	// wsUpgrade upgrades /live/ws (built once).
	wsUpgrade fiber.Handler
	// apiRoutes are the routes added with addRoutes, in order: the OpenAPI document lists them.
	apiRoutes []apiRoute
}

// New builds the server and its routes.
func New(cfg Config, deps Deps) *Server {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.EditBodyLimit <= 0 {
		cfg.EditBodyLimit = 32 << 20
	}
	if cfg.ResponseMemory <= 0 {
		cfg.ResponseMemory = 4 << 20
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Log}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.closing = s.stopping.Done()
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "yitu",
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           cfg.ReadTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		ProxyHeader:           cfg.ProxyHeader,
		// Bodies are streamed: fasthttp reads ahead at most preRead bytes before a handler runs,
		// and limitBody reads the rest, up to the route's limit, after authentication.
		StreamRequestBody:            true,
		BodyLimit:                    preRead,
		DisablePreParseMultipartForm: true,
		// Strings and bodies a handler reads (params, queries, headers) are copies, not views of
		// fasthttp's buffers that the connection's next request overwrites: a tile cache key made of
		// a path parameter changed under the cache's map (the same tile then had two entries and the
		// stale one outlived its purge), and a metric label of the method read "GETT".
		Immutable: true,
	})
	reg := deps.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if deps.Pool != nil {
		reg.MustRegister(newPoolCollector(deps.Pool))
		if deps.ReadPool != nil {
			reg.MustRegister(newReplicaCollector(deps.Pool, deps.ReadPool))
		}
	}
	s.metrics = newHTTPMetrics(reg)

	s.app.Use(requestid.New(requestid.Config{ContextKey: requestIDKey}))
	s.app.Use(s.observe)
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	if len(cfg.CORSOrigins) > 0 { // before authentication: a preflight carries no credentials
		s.app.Use(cors.New(cors.Config{
			AllowOrigins:  strings.Join(cfg.CORSOrigins, ","),
			AllowMethods:  "GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS",
			AllowHeaders:  "Authorization,Content-Type,Content-Crs,If-Match,If-None-Match,Last-Event-ID,Accept-Language",
			ExposeHeaders: "ETag,Location,Content-Crs,Link,Retry-After",
			MaxAge:        3600,
		}))
	}
	s.app.Use(s.authenticate)
	if cfg.ClientConcurrency > 0 {
		s.app.Use(newClientLimit(cfg.ClientConcurrency, func(per string) { s.metrics.limited.WithLabelValues(per).Inc() }).handler())
	}
	s.app.Use(s.limitBody)

	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	s.metricsHandler = adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.MetricsAddr == "" {
		s.app.Get("/metrics", func(c *fiber.Ctx) error {
			if r := cfg.MetricsRole; r != "" {
				if p := principal(c); !p.Has(r) && !p.Has(spatial.RoleAdmin) {
					return denied(p, "reading the metrics needs the role "+r)
				}
			}
			return s.metricsHandler(c)
		})
	}
	// The viewer first: a browser asking for / is sent to the map; API clients fall through.
	s.registerCatalog()
	s.registerViewer()
	if deps.Tiles != nil {
		s.tileRoutes()
	}
	s.registerFeatures()
	s.registerTwin()
	s.registerTerrain()
	s.registerGeology()
	s.registerLive()
	s.registerCommand()
	s.registerCommandStats()
	s.registerFires()
	s.registerFire()
	return s
}

// App is the fiber application, for tests (app.Test) and embedding.
func (s *Server) App() *fiber.App { return s.app }

// Serve listens on cfg.Addr until ctx ends, then stops accepting and gives in-flight requests
// cfg.ShutdownGrace to finish.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another server running there? choose one with --addr)", s.cfg.Addr, err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	s.log.Info("listening", "addr", ln.Addr().String(), "version", s.deps.Version)
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("cannot listen on %s for /metrics: %w (choose another with server.metrics_addr)", s.cfg.MetricsAddr, err)
		}
		m := fiber.New(fiber.Config{DisableStartupMessage: true})
		m.Get("/metrics", s.metricsHandler)
		s.log.Info("metrics listening", "addr", mln.Addr().String())
		go m.Listener(mln)
		defer m.Shutdown()
	}
	done := make(chan error, 1)
	go func() { done <- s.app.Listener(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	s.stop() // event streams and WebSockets end at once, telling their clients to reconnect (elsewhere)
	if err := s.app.ShutdownWithTimeout(s.cfg.ShutdownGrace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return <-done
}

const requestIDKey = "requestid"

const principalKey = "principal"

// principal is who makes the request; authentication middleware sets it, else anonymous.
func principal(c *fiber.Ctx) spatial.Principal {
	if p, ok := c.Locals(principalKey).(spatial.Principal); ok {
		return p
	}
	return spatial.Anonymous
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// observe is the outermost handler: it runs the error adapter itself (so the status is known), then
// records metrics and writes the access log line.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			s.log.Error("writing an error response", "err", herr)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "/" && c.Path() != "/" { // no route matched: keep raw paths out of the labels
		route = "unmatched"
	}
	elapsed := time.Since(start)
	method := c.Method()
	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "http",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int("bytes", bodySize(c)),
		slog.Duration("duration", elapsed),
		slog.String("remote", c.IP()),
	)
	return nil
}

// bodySize is the size of the response body, -1 for a streamed one (reading a stream's Body() would
// block until the stream ends: /events, streamed feature collections).
func bodySize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return -1
	}
	return len(c.Response().Body())
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", requestID(c), "path", c.Path(), "panic", e)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "alive", "version": s.deps.Version})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.deps.Ready == nil {
		return c.JSON(fiber.Map{"status": "ready"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	if err := s.deps.Ready(ctx); err != nil {
		return problemf(fiber.StatusServiceUnavailable, "", "not ready: "+err.Error())
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
