package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/jackc/pgx/v5/pgxpool"
)

// roads is the demo city's road network as a graph: nodes where segments meet, edges along them.
type roads struct {
	nodes []node
	edges []edge
}

type node struct {
	lon, lat float64
	out      []int // edges leaving the node
}

// edge is a road segment walked from node a to node b along pts (lon/lat).
type edge struct {
	a, b     int
	pts      [][2]float64
	length   float64 // metres
	limit    float64 // km/h
	arterial bool
}

// loadRoads reads basemap.road into a graph. Segments meeting within about 0.1 m share a node.
func loadRoads(ctx context.Context, pool *pgxpool.Pool) (*roads, error) {
	rows, err := pool.Query(ctx, `SELECT coalesce(grade, ''), ST_AsGeoJSON((ST_Dump(ST_Force2D(geom))).geom, 7) FROM basemap.road`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	r := &roads{}
	index := map[[2]int64]int{}
	nodeAt := func(p [2]float64) int {
		k := [2]int64{int64(math.Round(p[0] * 1e6)), int64(math.Round(p[1] * 1e6))}
		if i, ok := index[k]; ok {
			return i
		}
		r.nodes = append(r.nodes, node{lon: p[0], lat: p[1]})
		index[k] = len(r.nodes) - 1
		return len(r.nodes) - 1
	}
	for rows.Next() {
		var grade, gj string
		if err := rows.Scan(&grade, &gj); err != nil {
			return nil, err
		}
		var g struct {
			Type        string       `json:"type"`
			Coordinates [][2]float64 `json:"coordinates"`
		}
		if err := json.Unmarshal([]byte(gj), &g); err != nil || g.Type != "LineString" || len(g.Coordinates) < 2 {
			continue
		}
		limit, arterial := 30.0, false
		switch grade {
		case "快速路":
			limit, arterial = 70, true
		case "主干路":
			limit, arterial = 50, true
		case "次干路":
			limit = 40
		}
		a, b := nodeAt(g.Coordinates[0]), nodeAt(g.Coordinates[len(g.Coordinates)-1])
		if a == b {
			continue
		}
		length := 0.0
		for i := 1; i < len(g.Coordinates); i++ {
			length += metres(g.Coordinates[i-1], g.Coordinates[i])
		}
		rev := make([][2]float64, len(g.Coordinates))
		for i, p := range g.Coordinates {
			rev[len(rev)-1-i] = p
		}
		for _, e := range []edge{{a: a, b: b, pts: g.Coordinates}, {a: b, b: a, pts: rev}} {
			e.length, e.limit, e.arterial = length, limit, arterial
			r.edges = append(r.edges, e)
			r.nodes[e.a].out = append(r.nodes[e.a].out, len(r.edges)-1)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(r.edges) == 0 {
		return nil, fmt.Errorf("the database has no roads (basemap.road): load the demo city first (yitu demo)")
	}
	return r, nil
}

// metres is the distance between two lon/lat points (equirectangular: fine across a town).
func metres(p, q [2]float64) float64 {
	const R = 6371008.8
	lat := (p[1] + q[1]) / 2 * math.Pi / 180
	dx := (q[0] - p[0]) * math.Pi / 180 * math.Cos(lat) * R
	dy := (q[1] - p[1]) * math.Pi / 180 * R
	return math.Hypot(dx, dy)
}

// bearing is the heading from p to q, degrees clockwise from north.
func bearing(p, q [2]float64) float64 {
	lat := (p[1] + q[1]) / 2 * math.Pi / 180
	dx := (q[0] - p[0]) * math.Cos(lat)
	dy := q[1] - p[1]
	h := math.Atan2(dx, dy) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h
}

// next picks the edge to take after arriving over edge from: not back the way it came unless the
// road ends, arterials preferred when arterial.
func (r *roads) next(from int, rng *rand.Rand, arterial bool) int {
	e := r.edges[from]
	out := r.nodes[e.b].out
	var choices []int
	for _, o := range out {
		if r.edges[o].b != e.a {
			choices = append(choices, o)
		}
	}
	if len(choices) == 0 {
		return out[0] // a dead end: turn round
	}
	if arterial {
		var art []int
		for _, o := range choices {
			if r.edges[o].arterial {
				art = append(art, o)
			}
		}
		if len(art) > 0 && rng.Float64() < 0.8 {
			choices = art
		}
	}
	return choices[rng.IntN(len(choices))]
}

// walker moves along the graph.
type walker struct {
	r        *roads
	edge     int
	seg      int     // index of the segment of the edge's polyline it is on
	along    float64 // metres along that segment
	arterial bool    // prefers arterials
	// route, when set, is the approved route: its edges walked in order, then back.
	route   []int
	routeAt int
	routeFw bool
	// leave makes the walker leave the route at the next node and wander (off) until comeBack,
	// when it walks back the way it came (queue) and goes on along the route.
	leave, comeBack, off bool
	trail                []int // the edges walked off the route; the first is the route edge it left from
	queue                []int // edges to take next, before anything else
}

// position is the walker's point and heading.
func (w *walker) position() (lon, lat, heading float64) {
	e := &w.r.edges[w.edge]
	p, q := e.pts[w.seg], e.pts[w.seg+1]
	d := metres(p, q)
	f := 0.0
	if d > 0 {
		f = math.Min(w.along/d, 1)
	}
	return p[0] + (q[0]-p[0])*f, p[1] + (q[1]-p[1])*f, bearing(p, q)
}

// advance moves the walker metres along the network.
func (w *walker) advance(m float64, rng *rand.Rand) {
	for m > 0 {
		e := &w.r.edges[w.edge]
		d := metres(e.pts[w.seg], e.pts[w.seg+1])
		if w.along+m < d {
			w.along += m
			return
		}
		m -= d - w.along
		w.along = 0
		w.seg++
		if w.seg < len(e.pts)-1 {
			continue
		}
		w.seg = 0
		w.edge = w.nextEdge(rng)
	}
}

// nextEdge is the edge to take at the node the walker has reached. Edges come in pairs (a road
// walked forwards, then backwards), so e^1 is e reversed.
func (w *walker) nextEdge(rng *rand.Rand) int {
	if len(w.queue) > 0 {
		e := w.queue[0]
		w.queue = w.queue[1:]
		return e
	}
	switch {
	case w.off && w.comeBack:
		w.off, w.comeBack = false, false
		for i := len(w.trail) - 1; i >= 1; i-- {
			w.queue = append(w.queue, w.trail[i]^1)
		}
		w.trail = nil
		if len(w.queue) > 0 {
			return w.nextEdge(rng)
		}
	case w.off:
		nx := w.r.next(w.edge, rng, false)
		w.trail = append(w.trail, nx)
		return nx
	case len(w.route) > 0 && w.leave:
		w.leave, w.off = false, true
		nx := w.r.next(w.edge, rng, false)
		w.trail = []int{w.edge, nx}
		return nx
	}
	if len(w.route) == 0 {
		return w.r.next(w.edge, rng, w.arterial)
	}
	if w.routeFw {
		if w.routeAt+1 < len(w.route) {
			w.routeAt++
			return w.route[w.routeAt]
		}
		w.routeFw = false
		return w.route[w.routeAt] ^ 1
	}
	if w.routeAt > 0 {
		w.routeAt--
		return w.route[w.routeAt] ^ 1
	}
	w.routeFw = true
	return w.route[0]
}

// limit is the speed limit where the walker is.
func (w *walker) limit() float64 { return w.r.edges[w.edge].limit }

// routeLine is the approved route's line (lon/lat), for the device's registry entry.
func (w *walker) routeLine() [][2]float64 {
	var out [][2]float64
	for i, e := range w.route {
		pts := w.r.edges[e].pts
		if i > 0 {
			pts = pts[1:]
		}
		out = append(out, pts...)
	}
	return out
}

// makeRoute walks n edges from a random arterial edge, preferring arterials, without repeating one.
func (r *roads) makeRoute(rng *rand.Rand, n int) []int {
	start := rng.IntN(len(r.edges))
	for i := 0; i < 50 && !r.edges[start].arterial; i++ {
		start = rng.IntN(len(r.edges))
	}
	route := []int{start}
	seen := map[int]bool{start: true, start ^ 1: true}
	for len(route) < n {
		nx := r.next(route[len(route)-1], rng, true)
		if seen[nx] {
			break
		}
		seen[nx], seen[nx^1] = true, true
		route = append(route, nx)
	}
	return route
}
