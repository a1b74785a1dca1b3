package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/push"
	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/spatial/features"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// city is a running server over a small Laizhou-like fixture: buildings in a grid, named roads,
// annotations, pipe points with heights and a layer of dated events.
type city struct {
	base       string
	pool       *pgxpool.Pool
	dbURL      string
	surveyor   string // token with the surveyor role (may edit basemap.road)
	planner    string // token with the planner role (may read pipeline.segment)
	admin      string
	device     string // token with the device role (may push live data)
	hub        *live.Hub
	watch      *watch.Engine
	editor     string // token with the editor role (draws fences and rules)
	operator   string // token with the operator role (acknowledges alarms)
	push       *push.Broadcaster
	metrics    *prometheus.Registry
	catalog    *spatial.CatalogStore
	server     *Server
	incidents  *command.Store      // publishes every incident change on the hub, as yitu serve does
	fires      *command.Fires      // the forest-fire command over the fixture's roads
	fireSpread *command.FireSpread // the forest fires' spread estimates
	buildings  int
	// stop shuts the server down (as SIGTERM does) and returns what ServeListener returned.
	stop func() error
}

// Fixture geometry: buildings form a 6 × 5 grid of 40 m squares from (119.940, 37.180).
const (
	originLon = 119.940
	originLat = 37.180
	stepDeg   = 0.001
)

// cityOptions change the city's live configuration.
type cityOptions struct {
	live func(*live.Config)
	push func(*push.Config)
}

func newCity(t testing.TB) *city {
	t.Helper()
	return newCityWith(t, cityOptions{})
}

func newCityWith(t testing.TB, opt cityOptions) *city {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pool, dbURL := pgtest.NewWithURL(t)
	c := &city{pool: pool, dbURL: dbURL}
	mustExec(t, pool, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('莱州测试', 'basemap', 'dxf', 'test.dxf', 'x', 'EPSG:4528', 'test')`)
	mustExec(t, pool, `
		INSERT INTO basemap.building (dataset_id, code, name, floors, structure, height, address, geom)
		SELECT 1, '141101', '文化小区' || (i * 5 + j + 1) || '号楼', (i * 5 + j) % 9 + 1, CASE WHEN j % 2 = 0 THEN '砼' ELSE '砖' END,
		       ((i * 5 + j) % 9 + 1) * 3.0, '莱州市文化东路' || (i * 5 + j + 1) || '号',
		       ST_Multi(ST_MakeEnvelope($1::float8 + i * $3::float8, $2::float8 + j * $3::float8, $1::float8 + i * $3::float8 + 0.0004, $2::float8 + j * $3::float8 + 0.0004, 4490))
		FROM generate_series(0, 5) i, generate_series(0, 4) j`, originLon, originLat, stepDeg)
	c.buildings = 30
	mustExec(t, pool, `UPDATE basemap.building SET address = NULL, structure = NULL WHERE name = '文化小区30号楼'`)
	mustExec(t, pool, `
		INSERT INTO basemap.road (dataset_id, name, grade, width, geom) VALUES
		(1, '文化东路', '主干路', 24, ST_GeomFromText('LINESTRING(119.9395 37.1835, 119.9465 37.1835)', 4490)),
		(1, '府前西街', '次干路', 16, ST_GeomFromText('LINESTRING(119.9395 37.1795, 119.9395 37.1855)', 4490)),
		(1, '光州街', '支路', 9, ST_GeomFromText('LINESTRING(119.9300 37.1700, 119.9350 37.1750)', 4490))`)
	mustExec(t, pool, `
		INSERT INTO basemap.annotation (dataset_id, text, name, geom) VALUES
		(1, '莱州市人民政府', '莱州市人民政府', ST_SetSRID(ST_MakePoint(119.9420, 37.1820), 4490)),
		(1, '文峰路小学', '文峰路小学', ST_SetSRID(ST_MakePoint(119.9440, 37.1810), 4490))`)
	mustExec(t, pool, `
		INSERT INTO pipeline.point (dataset_id, point_no, pipe_type, feature, ground_elev, depth, road_name, geom) VALUES
		(1, 'JS1', 'JS', '三通', 12.5, 1.2, '文化东路', ST_SetSRID(ST_MakePoint(119.9410, 37.1835, 11.3), 4490)),
		(1, 'JS2', 'JS', '弯头', 12.7, 1.1, '文化东路', ST_SetSRID(ST_MakePoint(119.9430, 37.1835, 11.6), 4490))`)
	mustExec(t, pool, `
		INSERT INTO pipeline.segment (dataset_id, pipe_type, start_no, end_no, diameter_mm, material, geom) VALUES
		(1, 'JS', 'JS1', 'JS2', 300, '球墨铸铁', ST_GeomFromText('LINESTRING Z(119.9410 37.1835 11.3, 119.9430 37.1835 11.6)', 4490))`)
	// A layer with a datetime property, for datetime and the temporal functions.
	mustExec(t, pool, `
		CREATE TABLE basemap.event (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			name text, kind text, at timestamptz,
			geom geometry(Point, 4490) NOT NULL,
			geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED)`)
	mustExec(t, pool, `
		INSERT INTO basemap.event (name, kind, at, geom)
		SELECT '巡检' || d, CASE WHEN d % 2 = 0 THEN '巡检' ELSE '维修' END, timestamptz '2024-05-01 08:00+08' + d * interval '1 day',
		       ST_SetSRID(ST_MakePoint($1::float8 + d * 0.0005, $2::float8), 4490)
		FROM generate_series(0, 9) d`, originLon, originLat)
	mustExec(t, pool, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type, properties)
		VALUES ('basemap.event', '事件', 'Events', 'reference', 'basemap', 'event', 'Point',
		'[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"},{"name":"kind","title_zh":"类型","title_en":"Kind","type":"string"},{"name":"at","title_zh":"时间","title_en":"Time","type":"datetime"}]')`)
	mustExec(t, pool, `UPDATE catalog.layer SET write_roles = '{surveyor}' WHERE id = 'basemap.road'`)
	mustExec(t, pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'pipeline.segment'`)
	mustExec(t, pool, `ANALYZE`)

	log := slog.New(slog.DiscardHandler)
	store, err := spatial.NewCatalogStore(ctx, pool, log)
	if err != nil {
		t.Fatal(err)
	}
	if p := store.Current().Problems; len(p) > 0 {
		t.Fatalf("catalog problems: %v", p)
	}
	c.catalog = store
	go store.Run(ctx)
	tokens := auth.New(pool)
	for _, tk := range []struct {
		dst     *string
		subject string
		roles   []string
	}{{&c.surveyor, "wang", []string{"surveyor"}}, {&c.planner, "li", []string{"planner"}}, {&c.admin, "root", []string{"admin"}},
		{&c.device, "fleet", []string{"device"}}, {&c.editor, "赵工", []string{"editor"}}, {&c.operator, "值班员", []string{"operator"}}} {
		if *tk.dst, err = tokens.Create(ctx, tk.subject, tk.roles, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	lcfg := live.DefaultConfig()
	lcfg.SpoolDir = t.TempDir()
	if opt.live != nil {
		opt.live(&lcfg)
	}
	c.hub = live.NewHub(lcfg, pool, log, nil)
	if err := c.hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go c.hub.Run(ctx)
	c.watch = watch.NewEngine(c.hub, watch.NewStore(pool), nil, log, nil)
	if err := c.watch.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go c.watch.Run(ctx)
	c.fireSpread = command.NewFireSpread(pool, c.hub, store, command.Config{}, log)
	go c.fireSpread.Run(ctx)
	pcfg := push.DefaultConfig()
	if opt.push != nil {
		opt.push(&pcfg)
	}
	c.metrics = prometheus.NewRegistry()
	c.push = push.New(pcfg, push.Deps{Hub: c.hub, History: c.hub, Alarms: c.watch.Store(), Log: log, Metrics: c.metrics})
	// As in yitu serve, the push outlives the server: its maps end when the server stops, not before.
	pushCtx, pushCancel := context.WithCancel(context.Background())
	t.Cleanup(pushCancel)
	go c.push.Run(pushCtx)
	c.incidents = command.NewStore(pool)
	c.incidents.OnChange(command.Publisher(c.hub))
	c.push.UseIncidents(c.incidents)
	network := command.NewNetwork(pool, store, command.DefaultConfig(), log)
	go network.Run(ctx)
	c.fires = command.NewFires(pool, store, c.hub, network, command.DefaultConfig())
	srv := New(Config{}, Deps{Log: log, Version: "test", Pool: pool, Catalog: store, Tokens: tokens, Features: features.New(pool, log),
		Live: c.hub, Watch: c.watch, Push: c.push, Metrics: c.metrics, Command: c.incidents, Fires: c.fires, FireSpread: c.fireSpread})
	c.server = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln) }()
	var once sync.Once
	var served error
	c.stop = func() error {
		once.Do(func() { cancel(); served = <-done })
		return served
	}
	t.Cleanup(func() { c.stop() })
	c.base = "http://" + ln.Addr().String()
	return c
}

func mustExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", strings.TrimSpace(sql)[:min(60, len(strings.TrimSpace(sql)))], err)
	}
}

func (c *city) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d, %s): %v: %.300s", r.status, r.header.Get("Content-Type"), err, r.body)
	}
	return m
}

// do sends a request; token may be empty. Headers are name, value pairs.
func (c *city) do(t testing.TB, method, path, token string, body string, headers ...string) response {
	t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = c.base + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *city) get(t testing.TB, path string, headers ...string) response {
	t.Helper()
	return c.do(t, "GET", path, "", "", headers...)
}

// getJSON expects 200 with the content type and returns the document.
func (c *city) getJSON(t testing.TB, path, media string) map[string]any {
	t.Helper()
	r := c.get(t, path)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != media {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, media)
	}
	return r.json(t)
}

// problem expects a problem+json answer of the status and returns it.
func (r response) problem(t testing.TB, status int) Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// features returns the features of a FeatureCollection.
func featuresOf(t testing.TB, doc map[string]any) []map[string]any {
	t.Helper()
	if doc["type"] != "FeatureCollection" {
		t.Fatalf("type = %v, want FeatureCollection", doc["type"])
	}
	list, ok := doc["features"].([]any)
	if !ok {
		t.Fatalf("features is %T", doc["features"])
	}
	out := make([]map[string]any, len(list))
	for i, f := range list {
		out[i] = f.(map[string]any)
	}
	return out
}

// linkHref returns the href of the first link with rel (and type, when given), or "".
func linkHref(doc map[string]any, rel, typ string) string {
	links, _ := doc["links"].([]any)
	for _, l := range links {
		m := l.(map[string]any)
		if m["rel"] == rel && (typ == "" || m["type"] == typ) {
			return fmt.Sprint(m["href"])
		}
	}
	return ""
}
