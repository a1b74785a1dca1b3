package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.OffroadSpeed <= 0 || c.OffroadSpeed > 50 {
		return fmt.Errorf("command.offroad_speed %g: give km/h between 0 and 50", c.OffroadSpeed)
	}
	if c.SnapTolerance < 0 || c.SnapTolerance > 50 {
		return fmt.Errorf("command.snap_tolerance %g: give metres between 0 and 50", c.SnapTolerance)
	}
	if c.SnapMax <= 0 {
		return fmt.Errorf("command.snap_max %g: give metres above 0", c.SnapMax)
	}
	return nil
}

// ErrNoNetwork is a road network that cannot be built: no road layer, or no roads in it.
var ErrNoNetwork = fmt.Errorf("no road network: %w", spatial.ErrConflict)

// Network is the road network of the fire command, in command.road_edge and road_vertex: built
// from the road layers, marked stale when one of them changes, rebuilt by the next request (or
// by Run, soon after the change). One replica builds at a time (an advisory lock); readers go on
// reading the previous network until the new one commits.
type Network struct {
	pool    *pgxpool.Pool
	catalog *spatial.CatalogStore
	cfg     Config
	log     *slog.Logger
	mu      sync.Mutex // one build at a time in this process
}

// NewNetwork returns the network over the pool; catalog resolves the road layers.
func NewNetwork(pool *pgxpool.Pool, catalog *spatial.CatalogStore, cfg Config, log *slog.Logger) *Network {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Network{pool: pool, catalog: catalog, cfg: cfg, log: log}
}

// NetworkState is what command.road_network says.
type NetworkState struct {
	Layers   []string   `json:"layers"`
	Edges    int        `json:"edges"`
	Vertices int        `json:"vertices"`
	BuiltAt  *time.Time `json:"built_at"`
	TookMS   *float32   `json:"took_ms,omitempty"`
	Stale    bool       `json:"stale"`
	Problem  *string    `json:"problem,omitempty"`
	// Components are the parts of the network no road joins; places snap to the largest first.
	Components int `json:"components"`
}

// State reads the network's state.
func (n *Network) State(ctx context.Context) (NetworkState, error) {
	var s NetworkState
	err := n.pool.QueryRow(ctx, `SELECT layers, edges, vertices, built_at, took_ms, stale, problem, components FROM command.road_network`).
		Scan(&s.Layers, &s.Edges, &s.Vertices, &s.BuiltAt, &s.TookMS, &s.Stale, &s.Problem, &s.Components)
	return s, err
}

// MarkStale says a road layer changed: the next Ensure rebuilds.
func (n *Network) MarkStale(ctx context.Context) error {
	_, err := n.pool.Exec(ctx, `UPDATE command.road_network SET stale = true`)
	return err
}

// Ensure builds the network if it is stale or was never built, and returns its state. A network
// that cannot be built is ErrNoNetwork, naming what is missing.
func (n *Network) Ensure(ctx context.Context) (NetworkState, error) {
	s, err := n.State(ctx)
	if err != nil {
		return s, err
	}
	if s.Stale || s.BuiltAt == nil {
		if s, err = n.Build(ctx, false); err != nil {
			return s, err
		}
	}
	if s.Edges == 0 {
		problem := "no roads"
		if s.Problem != nil {
			problem = *s.Problem
		}
		return s, fmt.Errorf("%s: %w", problem, ErrNoNetwork)
	}
	return s, nil
}

// roadLayer is a road layer resolved in the catalog: its table and the SQL of its class and name.
type roadLayer struct {
	id, table, idCol, geomCol, class, name string
}

// classAttributes are the attributes that may hold a road's class, in the order they are tried.
var classAttributes = []string{"grade", "等级", "道路等级", "highway", "fclass", "class", "type", "kind_road"}

// nameAttributes hold a feature's name.
var nameAttributes = []string{"name", "名称", "name_zh", "title"}

// attrExpr is the SQL of the first non-empty of the attributes, as a column of the layer or in its
// props (jsonb); "NULL" when the layer has none of them.
func attrExpr(l *spatial.Layer, alias string, attrs []string) string {
	var parts []string
	_, hasProps := l.Column("props")
	for _, a := range attrs {
		if c, ok := l.Column(a); ok && !strings.HasPrefix(c.PGType, "geometry") && c.PGType != "jsonb" {
			parts = append(parts, fmt.Sprintf("nullif(btrim(%s.%s::text), '')", alias, pgx.Identifier{a}.Sanitize()))
		}
	}
	if hasProps {
		if c, _ := l.Column("props"); c.PGType == "jsonb" {
			for _, a := range attrs {
				parts = append(parts, fmt.Sprintf("nullif(btrim(%s.props->>%s), '')", alias, quoteLiteral(a)))
			}
		}
	}
	if len(parts) == 0 {
		return "NULL::text"
	}
	return "coalesce(" + strings.Join(parts, ", ") + ")"
}

// quoteLiteral quotes a constant of this package (never request text) as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (n *Network) roadLayers() ([]roadLayer, []string) {
	cat := n.catalog.Current()
	var out []roadLayer
	var missing []string
	for _, id := range n.cfg.RoadLayers {
		l, ok := cat.Layer(id)
		if !ok || !l.IsTable() {
			missing = append(missing, id)
			continue
		}
		out = append(out, roadLayer{id: id, table: pgx.Identifier{l.Schema, l.Table}.Sanitize(),
			idCol: pgx.Identifier{l.IDColumn}.Sanitize(), geomCol: pgx.Identifier{l.GeometryColumn}.Sanitize(),
			class: attrExpr(l, "r", classAttributes), name: attrExpr(l, "r", nameAttributes)})
	}
	return out, missing
}

// classSQL normalises a class: lower case, trimmed; a Chinese route number stands for its class.
const classSQL = `CASE
	WHEN c ~* '^G[0-9]' THEN '国道' WHEN c ~* '^S[0-9]' THEN '省道' WHEN c ~* '^X[0-9]' THEN '县道'
	WHEN c ~* '^Y[0-9]' THEN '乡道' WHEN c ~* '^C[0-9]' THEN '村道' WHEN c ~* '^Z[0-9]' THEN '专用公路'
	ELSE lower(c) END`

// Build (re)builds the network from the road layers in one transaction. Unless force, a network
// that another replica rebuilt while this one waited for the lock is left as it is.
func (n *Network) Build(ctx context.Context, force bool) (NetworkState, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	start := time.Now()
	layers, missing := n.roadLayers()
	tx, err := n.pool.Begin(ctx)
	if err != nil {
		return NetworkState{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// A county's roads take longer to node than a request's statement may (database.statement_timeout).
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
		return NetworkState{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('command.road_network'))`); err != nil {
		return NetworkState{}, err
	}
	if !force {
		var stale, built bool
		if err := tx.QueryRow(ctx, `SELECT stale, built_at IS NOT NULL FROM command.road_network`).Scan(&stale, &built); err != nil {
			return NetworkState{}, err
		}
		if !stale && built {
			tx.Rollback(ctx)
			return n.State(ctx)
		}
	}
	// A statement in the transaction sees rows committed before it: the stale flag is cleared at
	// the start, so a change committed during the build marks it stale again.
	if _, err := tx.Exec(ctx, `UPDATE command.road_network SET stale = false`); err != nil {
		return NetworkState{}, err
	}
	ids := []string{}
	for _, l := range layers {
		ids = append(ids, l.id)
	}
	fail := func(problem string) (NetworkState, error) {
		if _, err := tx.Exec(ctx, `DELETE FROM command.road_edge`); err != nil {
			return NetworkState{}, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM command.road_vertex`); err != nil {
			return NetworkState{}, err
		}
		if _, err := tx.Exec(ctx, `UPDATE command.road_network SET layers = $1, edges = 0, vertices = 0, built_at = now(),
			took_ms = $2, problem = $3, components = 0, main_component = NULL`, ids, float32(time.Since(start).Seconds()*1000), problem); err != nil {
			return NetworkState{}, err
		}
		if err := tx.Commit(ctx); err != nil {
			return NetworkState{}, err
		}
		n.log.Warn("command: no road network", "problem", problem)
		return n.State(ctx)
	}
	if len(layers) == 0 {
		return fail(fmt.Sprintf("the road layer %s is not in the catalog (command.road_layers names the layers roads are read from)", strings.Join(missing, ", ")))
	}
	var src []string
	for _, l := range layers {
		src = append(src, fmt.Sprintf(`SELECT %s AS layer, r.%s::bigint AS road_id, %s AS name, %s AS class, r.%s AS geom FROM %s r`,
			quoteLiteral(l.id), l.idCol, l.name, l.class, l.geomCol, l.table))
	}
	tol := n.cfg.SnapTolerance / 111320 // degrees of latitude
	steps := []string{
		`CREATE TEMP TABLE road_src ON COMMIT DROP AS
		SELECT row_number() OVER () AS rid, s.layer, s.road_id, s.name, s.class, d.geom
		FROM (` + strings.Join(src, " UNION ALL ") + `) s,
		LATERAL ST_Dump(ST_Force2D(ST_CollectionExtract(s.geom, 2))) d
		WHERE NOT ST_IsEmpty(d.geom) AND ST_NPoints(d.geom) >= 2`,
		`CREATE INDEX ON road_src USING gist (geom)`,
		// Noding, line by line (one ST_Node over the whole collection grows faster than the
		// roads: 7 s for 20,000): each line cut where another crosses or touches it, then into its
		// straight segments, so that a place's fraction along an edge is its fraction of the travel
		// time too. Each piece keeps its road's attributes.
		`CREATE TEMP TABLE road_cut ON COMMIT DROP AS
		SELECT row_number() OVER () AS id, s.geom, r.layer, r.road_id, r.name, r.class
		FROM road_src r
		CROSS JOIN LATERAL (SELECT ST_Collect(x.geom) AS blade
			FROM road_src o, LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(r.geom, o.geom), 1)) x
			WHERE o.geom && r.geom AND o.rid <> r.rid AND ST_Intersects(o.geom, r.geom)
				AND NOT ST_DWithin(x.geom, ST_StartPoint(r.geom), 1e-9) AND NOT ST_DWithin(x.geom, ST_EndPoint(r.geom), 1e-9)) b
		CROSS JOIN LATERAL ST_Dump(CASE WHEN b.blade IS NULL OR ST_IsEmpty(b.blade) THEN r.geom
			ELSE ST_Split(ST_Snap(r.geom, b.blade, 1e-9), b.blade) END) d
		CROSS JOIN LATERAL ST_DumpSegments(d.geom) s
		WHERE ST_Length(s.geom) > 0`,
		// Vertices: the ends of the pieces, those within the tolerance of each other one.
		`CREATE TEMP TABLE road_end ON COMMIT DROP AS
		SELECT id, which, pt, ST_ClusterDBSCAN(pt, eps := ` + strconv.FormatFloat(tol, 'g', -1, 64) + `, minpoints := 1) OVER () AS cluster
		FROM (SELECT id, 0 AS which, ST_StartPoint(geom) pt FROM road_cut UNION ALL SELECT id, 1, ST_EndPoint(geom) FROM road_cut) e`,
		`DELETE FROM command.road_edge`,
		`DELETE FROM command.road_vertex`,
		`INSERT INTO command.road_vertex (id, geom)
		SELECT cluster + 1, ST_Centroid(ST_Collect(pt)) FROM road_end GROUP BY cluster`,
		`INSERT INTO command.road_edge (id, source, target, cost, reverse_cost, length_m, class, kmh, layer, road_id, name, geom)
		SELECT c.id, a.cluster + 1, b.cluster + 1, e.len / (sp.kmh / 3.6), e.len / (sp.kmh / 3.6), e.len, c.class, sp.kmh,
			c.layer, c.road_id, c.name, e.geom
		FROM road_cut c
		JOIN road_end a ON a.id = c.id AND a.which = 0
		JOIN road_end b ON b.id = c.id AND b.which = 1
		JOIN command.road_vertex va ON va.id = a.cluster + 1
		JOIN command.road_vertex vb ON vb.id = b.cluster + 1
		CROSS JOIN LATERAL (SELECT g AS geom, ST_Length(g::geography) AS len
			FROM ST_SetPoint(ST_SetPoint(c.geom, 0, va.geom), -1, vb.geom) g) e
		CROSS JOIN LATERAL (SELECT ` + classSQL + ` AS norm FROM (SELECT c.class AS c) x) k
		CROSS JOIN LATERAL (SELECT coalesce((SELECT kmh FROM command.road_speed WHERE class = k.norm),
			(SELECT kmh FROM command.road_speed WHERE class = '*'), 30) AS kmh) sp
		WHERE a.cluster <> b.cluster OR e.len > 0.5`,
	}
	for i, sql := range steps {
		t0 := time.Now()
		if _, err := tx.Exec(ctx, sql); err != nil {
			return NetworkState{}, fmt.Errorf("building the road network: %w", err)
		}
		n.log.Debug("command: road network build step", "step", i, "took", time.Since(t0))
	}
	var edges, vertices int
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM command.road_edge), (SELECT count(*) FROM command.road_vertex)`).Scan(&edges, &vertices); err != nil {
		return NetworkState{}, err
	}
	if edges == 0 {
		return fail(fmt.Sprintf("the road layer %s holds no road lines", strings.Join(ids, ", ")))
	}
	if _, err := tx.Exec(ctx, `UPDATE command.road_edge e SET component = c.component
		FROM pgr_connectedComponents('SELECT id, source, target, cost, reverse_cost FROM command.road_edge') c WHERE c.node = e.source`); err != nil {
		return NetworkState{}, fmt.Errorf("building the road network: its components: %w", err)
	}
	var components int
	var main int64
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(DISTINCT component) FROM command.road_edge),
		(SELECT component FROM command.road_edge GROUP BY component ORDER BY count(*) DESC, component LIMIT 1)`).Scan(&components, &main); err != nil {
		return NetworkState{}, err
	}
	var problem any
	if len(missing) > 0 {
		problem = fmt.Sprintf("the road layer %s is not in the catalog; built from %s", strings.Join(missing, ", "), strings.Join(ids, ", "))
	}
	if _, err := tx.Exec(ctx, `ANALYZE command.road_edge`); err != nil {
		return NetworkState{}, err
	}
	took := float32(time.Since(start).Seconds() * 1000)
	if _, err := tx.Exec(ctx, `UPDATE command.road_network SET layers = $1, edges = $2, vertices = $3, built_at = now(), took_ms = $4, problem = $5,
		components = $6, main_component = $7`, ids, edges, vertices, took, problem, components, main); err != nil {
		return NetworkState{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return NetworkState{}, err
	}
	n.log.Info("command: road network built", "layers", ids, "edges", edges, "vertices", vertices, "components", components, "took_ms", took)
	return n.State(ctx)
}

// Run follows data changes (yitu_change) until ctx ends: a change of a road layer marks the network
// stale and rebuilds it soon after (changes within a second are taken together). A (re)connection
// marks it stale too, as changes may have been missed, and builds it.
func (n *Network) Run(ctx context.Context) {
	rebuild := func(ctx context.Context) {
		if err := n.MarkStale(ctx); err != nil {
			n.log.Warn("command: marking the road network stale", "err", err)
			return
		}
		if _, err := n.Build(ctx, false); err != nil && ctx.Err() == nil {
			n.log.Warn("command: rebuilding the road network", "err", err)
		}
	}
	spatial.Listener{
		Channel:  spatial.ChangeChannel,
		Coalesce: time.Second,
		Connected: func(cctx context.Context) error {
			if err := n.MarkStale(cctx); err != nil {
				return err
			}
			go func() { // ready before the first request needs it
				if _, err := n.Build(ctx, false); err != nil && ctx.Err() == nil {
					n.log.Warn("command: building the road network", "err", err)
				}
			}()
			return nil
		},
		Notify: func(ctx context.Context, payloads []string) {
			for _, p := range payloads {
				ch, err := spatial.ParseChange(p)
				if err != nil {
					continue
				}
				if slices.ContainsFunc(ch.Layers, func(l string) bool { return slices.Contains(n.cfg.RoadLayers, l) }) {
					rebuild(ctx)
					return
				}
			}
		},
	}.Run(ctx, n.pool, n.log)
}

// Place is a point to route from or to (lon/lat, EPSG:4490).
type Place struct{ Lon, Lat float64 }

// Route is the fastest way between two places: over the road network, with the legs off the road
// at the start and end at Config.OffroadSpeed.
type Route struct {
	Seconds  float64 // total
	RoadM    float64 // metres on roads
	OffroadM float64 // metres to and from the road
	Geometry []byte  // GeoJSON LineString (nil unless asked for)
}

// snapped is a place on its nearest edge.
type snapped struct {
	edge     int64
	fraction float64
	offroadM float64
	ok       bool
}

// islandReach is how much farther than the nearest road the largest part of the network may be
// and still be where a place joins the roads: a gap in the survey's road lines (a piece of track
// that meets no other road) does not strand a team or a fire beside the town's roads.
const islandReach = 200.0

func (n *Network) snap(ctx context.Context, places []Place) ([]snapped, error) {
	lons, lats := make([]float64, len(places)), make([]float64, len(places))
	for i, p := range places {
		lons[i], lats[i] = p.Lon, p.Lat
	}
	rows, err := n.pool.Query(ctx, `SELECT p.i, e.main, e.id, ST_LineLocatePoint(e.geom, p.g), ST_Distance(e.geom::geography, p.g::geography)
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i)
		CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4490) g, u.i) p
		CROSS JOIN LATERAL (
			(SELECT false AS main, id, geom FROM command.road_edge ORDER BY geom <-> p.g LIMIT 1)
			UNION ALL
			(SELECT true, id, geom FROM command.road_edge WHERE component = (SELECT main_component FROM command.road_network)
				ORDER BY geom <-> p.g LIMIT 1)) e`, lons, lats)
	if err != nil {
		return nil, err
	}
	nearest := make([]snapped, len(places))
	main := make([]snapped, len(places))
	for rows.Next() {
		var i int
		var isMain bool
		var s snapped
		if err := rows.Scan(&i, &isMain, &s.edge, &s.fraction, &s.offroadM); err != nil {
			rows.Close()
			return nil, err
		}
		s.ok = s.offroadM <= n.cfg.SnapMax
		if isMain {
			main[i-1] = s
		} else {
			nearest[i-1] = s
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range nearest {
		if main[i].ok && main[i].offroadM <= nearest[i].offroadM+islandReach {
			nearest[i] = main[i]
		}
	}
	return nearest, nil
}

// Routes finds the fastest route from every place of from to every place of to. A pair with no
// route (no road within SnapMax, or no road between) is missing from the map. withGeometry adds
// each route's line.
func (n *Network) Routes(ctx context.Context, from, to []Place, withGeometry bool) (map[[2]int]Route, error) {
	out := map[[2]int]Route{}
	if len(from) == 0 || len(to) == 0 {
		return out, nil
	}
	all := append(slices.Clone(from), to...)
	snaps, err := n.snap(ctx, all)
	if err != nil {
		return nil, err
	}
	// Points are numbered 1… in the order of all; pgRouting names them by their negative number.
	var pts strings.Builder
	var starts, ends []int64
	for i, s := range snaps {
		if !s.ok {
			continue
		}
		if pts.Len() > 0 {
			pts.WriteString(", ")
		}
		// pgRouting 3.4 finds no path from or to a point at an edge's very end (fraction 0 or 1):
		// a nanometre inside it does.
		s.fraction = min(max(s.fraction, 1e-9), 1-1e-9)
		fmt.Fprintf(&pts, "(%d::bigint, %d::bigint, %s::float8, 'b'::char)", i+1, s.edge, strconv.FormatFloat(s.fraction, 'g', -1, 64))
		if i < len(from) {
			starts = append(starts, -int64(i+1))
		} else {
			ends = append(ends, -int64(i+1))
		}
	}
	if len(starts) == 0 || len(ends) == 0 {
		return out, nil
	}
	pointsSQL := "SELECT * FROM (VALUES " + pts.String() + ") p(pid, edge_id, fraction, side)"
	lons, lats := make([]float64, len(all)), make([]float64, len(all))
	for i, p := range all {
		lons[i], lats[i] = p.Lon, p.Lat
	}
	geomSQL := "NULL::text"
	if withGeometry {
		geomSQL = `ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_MakeLine(ARRAY[
			(SELECT g FROM place WHERE i = -t.start_pid), coalesce(t.line, (SELECT g FROM place WHERE i = -t.start_pid)), (SELECT g FROM place WHERE i = -t.end_pid)]), 1e-7), 7)`
	}
	rows, err := n.pool.Query(ctx, `WITH
		place AS (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4490) g FROM unnest($3::float8[], $4::float8[]) WITH ORDINALITY u(lon, lat, i)),
		pts AS (`+pointsSQL+`),
		path AS (SELECT * FROM pgr_withPoints('SELECT id, source, target, cost, reverse_cost FROM command.road_edge',
			$5, $1::bigint[], $2::bigint[], true, 'b', false)),
		step AS (SELECT p.*, lead(p.node) OVER (PARTITION BY p.start_pid, p.end_pid ORDER BY p.path_seq) AS next FROM path p),
		piece AS (
			SELECT s.start_pid, s.end_pid, s.path_seq, e.length_m * abs(f.t - f.f) AS m,
				CASE WHEN f.f <= f.t THEN ST_LineSubstring(e.geom, f.f, f.t) ELSE ST_Reverse(ST_LineSubstring(e.geom, f.t, f.f)) END AS g
			FROM step s JOIN command.road_edge e ON e.id = s.edge
			CROSS JOIN LATERAL (SELECT
				CASE WHEN s.node = e.source THEN 0 WHEN s.node = e.target THEN 1 ELSE (SELECT fraction FROM pts WHERE pid = -s.node) END AS f,
				CASE WHEN s.next = e.source THEN 0 WHEN s.next = e.target THEN 1 ELSE (SELECT fraction FROM pts WHERE pid = -s.next) END AS t) f),
		total AS (SELECT start_pid, end_pid, max(agg_cost) AS cost FROM path GROUP BY start_pid, end_pid),
		t AS (SELECT o.start_pid, o.end_pid, o.cost, coalesce(sum(pc.m), 0) AS m, ST_MakeLine(pc.g ORDER BY pc.path_seq) AS line
			FROM total o LEFT JOIN piece pc USING (start_pid, end_pid) GROUP BY o.start_pid, o.end_pid, o.cost)
		SELECT -t.start_pid, -t.end_pid, t.cost, t.m, `+geomSQL+` FROM t`, starts, ends, lons, lats, pointsSQL)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	defer rows.Close()
	walk := n.cfg.OffroadSpeed / 3.6
	for rows.Next() {
		var a, b int
		var cost, m float64
		var g *string
		if err := rows.Scan(&a, &b, &cost, &m, &g); err != nil {
			return nil, err
		}
		sa, sb := snaps[a-1], snaps[b-1]
		r := Route{Seconds: cost + (sa.offroadM+sb.offroadM)/walk, RoadM: m, OffroadM: sa.offroadM + sb.offroadM}
		if g != nil {
			r.Geometry = []byte(*g)
		}
		out[[2]int{a - 1, b - 1 - len(from)}] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	// pgRouting gives no row for a start and end at the same place.
	for i := range from {
		for j := range to {
			si, sj := snaps[i], snaps[len(from)+j]
			if _, ok := out[[2]int{i, j}]; !ok && si.ok && sj.ok && si.edge == sj.edge && si.fraction == sj.fraction {
				out[[2]int{i, j}] = Route{Seconds: (si.offroadM + sj.offroadM) / walk, OffroadM: si.offroadM + sj.offroadM}
			}
		}
	}
	return out, nil
}

// errNoRows tells "not found" apart.
func errNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
