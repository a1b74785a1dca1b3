package command

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Radius limits of the resources and evacuation around a fire (metres).
const (
	DefaultRadius = 10000
	MaxRadius     = 50000
)

// LiveObjects are the live objects as they are now (the hub).
type LiveObjects interface {
	Objects(f live.Filter) []live.Object
}

// Fires answers the forest-fire command's questions about one fire: what is around it and who gets
// there first (Resources), and which villages must leave, to where, and whether a team is there
// before the fire (Evacuation).
type Fires struct {
	pool    *pgxpool.Pool
	catalog *spatial.CatalogStore
	live    LiveObjects
	net     *Network
	cfg     Config
}

// NewFires returns the fire command over the pool, the catalog (layers named in cfg), the live
// objects (teams, cameras; nil: their last positions are read from live.object_state) and the road
// network.
func NewFires(pool *pgxpool.Pool, catalog *spatial.CatalogStore, objects LiveObjects, net *Network, cfg Config) *Fires {
	return &Fires{pool: pool, catalog: catalog, live: objects, net: net, cfg: cfg}
}

// Network is the road network the fire command routes over.
func (f *Fires) Network() *Network { return f.net }

// Feature is a GeoJSON feature.
type Feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// FeatureCollection is the answer: features sorted as the question asks, with what it is about.
type FeatureCollection struct {
	Type     string        `json:"type"`
	Incident int64         `json:"incident"`
	RadiusM  float64       `json:"radius_m"`
	Network  *NetworkState `json:"network,omitempty"`
	// Notes say what could not be shown and why (a layer missing, a team off the roads).
	Notes    []string  `json:"notes"`
	Features []Feature `json:"features"`
}

// fireSite is the incident the questions are about.
type fireSite struct {
	id       int64
	typ      string
	at       Place
	geometry json.RawMessage
}

// site reads incident id, which must be located, and a forest fire unless anyType.
func (f *Fires) site(ctx context.Context, id int64, anyType bool) (*fireSite, error) {
	var typ string
	var lon, lat *float64
	var g *string
	err := f.pool.QueryRow(ctx, `SELECT type, ST_X(p), ST_Y(p), ST_AsGeoJSON(geom, 7)
		FROM command.incident, LATERAL (SELECT CASE WHEN geom IS NULL THEN NULL ELSE ST_PointOnSurface(geom) END p) x WHERE id = $1`, id).
		Scan(&typ, &lon, &lat, &g)
	if errNoRows(err) {
		return nil, spatial.NotFound("incident %d", id)
	}
	if err != nil {
		return nil, err
	}
	if typ != "forest_fire" && !anyType {
		return nil, fmt.Errorf("incident %d is a %s incident, not a forest_fire: %w", id, typ, spatial.ErrConflict)
	}
	if lon == nil {
		return nil, fmt.Errorf("%s %d has no location: report where it is first: %w", typ, id, spatial.ErrConflict)
	}
	return &fireSite{id: id, typ: typ, at: Place{*lon, *lat}, geometry: json.RawMessage(*g)}, nil
}

func checkRadius(radius float64) error {
	if math.IsNaN(radius) || radius <= 0 || radius > MaxRadius {
		return spatial.Invalid("radius", "%g: metres, above 0 and at most %d", radius, MaxRadius)
	}
	return nil
}

// place is a feature of a catalog layer or a live object, with where it is.
type place struct {
	category string
	id       string
	name     string
	at       Place
	distance float64
	geometry json.RawMessage
	props    map[string]any
}

func (p place) feature() Feature {
	props := map[string]any{"category": p.category, "id": p.id, "name": p.name, "distance_m": math.Round(p.distance)}
	for k, v := range p.props {
		props[k] = v
	}
	return Feature{Type: "Feature", Geometry: p.geometry, Properties: props}
}

// layerPlaces reads the features of a configured layer within radius of at that p may read.
// A layer that is not configured, not in the catalog or not readable gives a note instead.
func (f *Fires) layerPlaces(ctx context.Context, key, id, category string, at Place, radius float64, p spatial.Principal, extra map[string][]string) ([]place, string, error) {
	if id == "" {
		return nil, fmt.Sprintf("no %s: command.%s is not set", category, key), nil
	}
	l, ok := f.catalog.Current().Layer(id)
	if !ok || !l.IsTable() || !l.CanRead(p) {
		return nil, fmt.Sprintf("no %s: the layer %s (command.%s) is not in the catalog", category, id, key), nil
	}
	cols := []string{attrExpr(l, "t", nameAttributes)}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range extra {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range names {
		cols = append(cols, attrExpr(l, "t", extra[k]))
	}
	g := "t." + pgx.Identifier{l.GeometryColumn}.Sanitize()
	sql := fmt.Sprintf(`SELECT t.%s::text, %s, ST_AsGeoJSON(%s, 7), ST_X(pt), ST_Y(pt), ST_Distance(%s::geography, $1::geometry::geography)
		FROM %s t, LATERAL (SELECT ST_PointOnSurface(%s) pt) x
		WHERE %s && ST_Expand($1::geometry, $3::float8) AND ST_DWithin(%s::geography, $1::geometry::geography, $2::float8)`,
		pgx.Identifier{l.IDColumn}.Sanitize(), strings.Join(cols, ", "), g, g,
		pgx.Identifier{l.Schema, l.Table}.Sanitize(), g, g, g)
	rows, err := f.pool.Query(ctx, sql, pointWKB(at), radius, degrees(radius, at.Lat))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", id, err)
	}
	defer rows.Close()
	var out []place
	for rows.Next() {
		var pl place
		var name *string
		var g string
		vals := make([]*string, len(names))
		dst := []any{&pl.id, &name}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		dst = append(dst, &g, &pl.at.Lon, &pl.at.Lat, &pl.distance)
		if err := rows.Scan(dst...); err != nil {
			return nil, "", err
		}
		pl.category, pl.geometry, pl.props = category, json.RawMessage(g), map[string]any{"layer": id}
		if name != nil {
			pl.name = *name
		}
		for i, k := range names {
			if vals[i] != nil {
				pl.props[k] = *vals[i]
			} else {
				pl.props[k] = nil
			}
		}
		out = append(out, pl)
	}
	return out, "", rows.Err()
}

// pointWKB is a point as EWKT for a geometry parameter.
func pointWKB(p Place) string {
	return fmt.Sprintf("SRID=4490;POINT(%s %s)", num(p.Lon), num(p.Lat))
}

func num(v float64) string { return fmt.Sprintf("%.9g", v) }

// degrees is a radius in metres as degrees of longitude at lat (the larger), for a bounding box.
func degrees(m, lat float64) float64 {
	return m / (111320 * math.Max(math.Cos(lat*math.Pi/180), 0.01))
}

// metres is the geodesic distance of two places (haversine, good to 0.5% here).
func metres(a, b Place) float64 {
	const r = 6371008.8
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dla, dlo := la2-la1, (b.Lon-a.Lon)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// teams are the fire teams with a position, and cameras and watchtowers, within radius of at.
func (f *Fires) devices(ctx context.Context, at Place, radius float64, p spatial.Principal) (teams, cams []place, err error) {
	type dev struct {
		d   live.Device
		pos Place
	}
	var devs []dev
	readable := func(layer string) bool {
		l, ok := f.catalog.Current().Layer(layer)
		return !ok || l.CanRead(p)
	}
	if f.live != nil {
		d := degrees(radius, at.Lat)
		box := [4]float64{at.Lon - d, at.Lat - d, at.Lon + d, at.Lat + d}
		for _, o := range f.live.Objects(live.Filter{BBox: &box, Kinds: []live.Kind{live.KindTeam, live.KindCamera}, Layer: readable}) {
			if o.Device == nil || !o.HasPos {
				continue
			}
			devs = append(devs, dev{*o.Device, Place{o.Position.Lon, o.Position.Lat}})
		}
	} else {
		rows, err := f.pool.Query(ctx, `SELECT d.id, d.kind, coalesce(d.name, ''), coalesce(d.vehicle_kind, ''), d.view_direction, coalesce(d.stream_url, ''),
				coalesce(s.lon, ST_X(d.geom)), coalesce(s.lat, ST_Y(d.geom)), d.props
			FROM live.device d LEFT JOIN live.object_state s ON s.id = d.id
			WHERE d.kind IN ('team', 'camera') AND coalesce(s.lon, ST_X(d.geom)) IS NOT NULL`)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var v dev
			var kind string
			if err := rows.Scan(&v.d.ID, &kind, &v.d.Name, &v.d.VehicleKind, &v.d.ViewDirection, &v.d.StreamURL, &v.pos.Lon, &v.pos.Lat, &v.d.Props); err != nil {
				return nil, nil, err
			}
			v.d.Kind = live.Kind(kind)
			if readable(v.d.Layer()) {
				devs = append(devs, v)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	for _, v := range devs {
		dist := metres(at, v.pos)
		if dist > radius {
			continue
		}
		pl := place{id: v.d.ID, name: v.d.Name, at: v.pos, distance: dist, props: map[string]any{},
			geometry: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`, num(v.pos.Lon), num(v.pos.Lat)))}
		switch v.d.Kind {
		case live.KindTeam:
			if v.d.VehicleKind != "" && !slices.Contains(f.cfg.TeamKinds, v.d.VehicleKind) {
				continue
			}
			pl.category = "team"
			teams = append(teams, pl)
		case live.KindCamera:
			pl.category = "camera"
			if watchtower(v.d) {
				pl.category = "watchtower"
			}
			pl.props["stream_url"] = nilIfEmpty(v.d.StreamURL)
			pl.props["view_direction"] = v.d.ViewDirection
			cams = append(cams, pl)
		}
	}
	return teams, cams, nil
}

// watchtower tells a forest watchtower (瞭望塔) from a camera: by its props (type or kind
// watchtower), its id (tower-…) or its name.
func watchtower(d live.Device) bool {
	for _, k := range []string{"type", "kind", "camera_kind"} {
		if v, ok := d.Props[k].(string); ok && (v == "watchtower" || v == "瞭望塔") {
			return true
		}
	}
	return strings.HasPrefix(strings.ToLower(d.ID), "tower") || strings.Contains(d.Name, "瞭望")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func minutes(s float64) float64 { return math.Round(s/6) / 10 }

// answer starts the answer of an incident's resources or a fire's evacuation: the radius checked,
// the incident's site (a forest fire unless anyType), and a collection with the road network's state.
func (f *Fires) answer(ctx context.Context, id int64, radius float64, anyType bool) (*fireSite, *FeatureCollection, error) {
	if err := checkRadius(radius); err != nil {
		return nil, nil, err
	}
	fr, err := f.site(ctx, id, anyType)
	if err != nil {
		return nil, nil, err
	}
	state, err := f.net.Ensure(ctx)
	if err != nil {
		return nil, nil, err
	}
	return fr, &FeatureCollection{Type: "FeatureCollection", Incident: id, RadiusM: radius, Network: &state, Notes: []string{}}, nil
}

// Resources answers GET /command/fires/{id}/resources (IncidentResources answers
// /command/incidents/{id}/resources, for any located incident: a hazmat leak, a mine alarm): every team, water source, watchtower, camera,
// depot and firebreak within radius metres of the incident, nearest first, each team with its ETA
// over the road network and its route (category route).
func (f *Fires) Resources(ctx context.Context, id int64, radius float64, p spatial.Principal) (*FeatureCollection, error) {
	return f.resources(ctx, id, radius, p, false)
}

// IncidentResources is Resources around any located incident.
func (f *Fires) IncidentResources(ctx context.Context, id int64, radius float64, p spatial.Principal) (*FeatureCollection, error) {
	return f.resources(ctx, id, radius, p, true)
}

func (f *Fires) resources(ctx context.Context, id int64, radius float64, p spatial.Principal, anyType bool) (*FeatureCollection, error) {
	fr, fc, err := f.answer(ctx, id, radius, anyType)
	if err != nil {
		return nil, err
	}
	teams, cams, err := f.devices(ctx, fr.at, radius, p)
	if err != nil {
		return nil, err
	}
	var all []place
	for _, l := range []struct{ key, id, category string }{
		{"water_layer", f.cfg.WaterLayer, "water_source"},
		{"depot_layer", f.cfg.DepotLayer, "depot"},
		{"firebreak_layer", f.cfg.FirebreakLayer, "firebreak"},
	} {
		ps, note, err := f.layerPlaces(ctx, l.key, l.id, l.category, fr.at, radius, p, nil)
		if err != nil {
			return nil, err
		}
		if note != "" {
			fc.Notes = append(fc.Notes, note)
		}
		all = append(all, ps...)
	}
	all = append(all, cams...)
	// Teams: ETA to the incident over the roads.
	target, dest := "the fire", "火场"
	if fr.typ != "forest_fire" {
		target, dest = "the incident", "事发地"
	}
	from := make([]Place, len(teams))
	for i, t := range teams {
		from[i] = t.at
	}
	routes, err := f.net.Routes(ctx, from, []Place{fr.at}, true)
	if err != nil {
		return nil, err
	}
	var routeFeatures []place
	for i := range teams {
		t := &teams[i]
		r, ok := routes[[2]int{i, 0}]
		if !ok {
			t.props["eta_min"] = nil
			t.props["unreachable"] = fmt.Sprintf("no road connects %s with %s (within %g m of a road at both ends)", t.name, target, f.cfg.SnapMax)
			fc.Notes = append(fc.Notes, fmt.Sprintf("team %s (%s): no ETA, it cannot reach %s over the roads", t.name, t.id, target))
			continue
		}
		t.props["eta_min"] = minutes(r.Seconds)
		t.props["road_m"] = math.Round(r.RoadM)
		t.props["offroad_m"] = math.Round(r.OffroadM)
		routeFeatures = append(routeFeatures, place{category: "route", id: "route-" + t.id, name: t.name + " → " + dest, distance: t.distance,
			geometry: r.Geometry, props: map[string]any{"team": t.id, "eta_min": minutes(r.Seconds), "road_m": math.Round(r.RoadM), "offroad_m": math.Round(r.OffroadM)}})
	}
	all = append(all, teams...)
	all = append(all, routeFeatures...)
	slices.SortStableFunc(all, func(a, b place) int {
		return cmp.Or(cmp.Compare(a.distance, b.distance), cmp.Compare(a.category, b.category), cmp.Compare(a.id, b.id))
	})
	fc.Features = make([]Feature, 0, len(all))
	for _, pl := range all {
		fc.Features = append(fc.Features, pl.feature())
	}
	return fc, nil
}

// hourPerimeter is one hour's spread estimate (a row of command.fire_perimeter).
type hourPerimeter struct {
	hours float64
	wkt   string
}

// Evacuation answers GET /command/fires/{id}/evacuation: the villages at risk — inside a spread
// perimeter (arrival_hours: the first hour whose perimeter holds the village), or within radius
// while the fire has none — each with the nearest shelter over the roads (outside every perimeter)
// and its route (category evacuation_route), and the first team to reach the village against the
// fire's arrival (team_first). Sorted by arrival, then distance.
func (f *Fires) Evacuation(ctx context.Context, id int64, radius float64, p spatial.Principal) (*FeatureCollection, error) {
	fr, fc, err := f.answer(ctx, id, radius, false)
	if err != nil {
		return nil, err
	}
	rows, err := f.pool.Query(ctx, `SELECT hours, ST_AsEWKT(geom) FROM command.fire_perimeter WHERE incident_id = $1 ORDER BY hours`, id)
	if err != nil {
		return nil, err
	}
	perims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hourPerimeter, error) {
		var pm hourPerimeter
		var h float32
		err := r.Scan(&h, &pm.wkt)
		pm.hours, _ = strconv.ParseFloat(strconv.FormatFloat(float64(h), 'g', -1, 32), 64) // 0.02, not 0.0199999996
		return pm, err
	})
	if err != nil {
		return nil, err
	}
	// Villages: with perimeters, those inside the largest (wherever it reaches); without, those
	// within radius.
	search := radius
	if len(perims) > 0 {
		var reach float64
		if err := f.pool.QueryRow(ctx, `SELECT max(ST_Distance($1::geometry::geography, d.geom::geography))
			FROM command.fire_perimeter, LATERAL ST_DumpPoints(geom) d WHERE incident_id = $2`,
			pointWKB(fr.at), id).Scan(&reach); err != nil {
			return nil, err
		}
		search = math.Max(reach+1, 1)
	} else {
		fc.Notes = append(fc.Notes, fmt.Sprintf("no spread perimeter for fire %d yet: every village within %g m is listed, arrival_hours unknown", id, radius))
	}
	villages, note, err := f.layerPlaces(ctx, "village_layer", f.cfg.VillageLayer, "village", fr.at, search, p,
		map[string][]string{"population": {"population", "人口", "pop", "人口数", "户籍人口"}})
	if err != nil {
		return nil, err
	}
	if note != "" {
		return nil, fmt.Errorf("%s: %w", note, spatial.ErrConflict)
	}
	shelters, note, err := f.layerPlaces(ctx, "shelter_layer", f.cfg.ShelterLayer, "shelter", fr.at, MaxRadius, p, nil)
	if err != nil {
		return nil, err
	}
	if note != "" {
		fc.Notes = append(fc.Notes, note)
	}
	// Arrival of the fire, and shelters out of its way.
	if len(perims) > 0 {
		var at []place
		for _, v := range villages {
			for _, pm := range perims {
				if inside, err := f.contains(ctx, pm.wkt, v.at); err != nil {
					return nil, err
				} else if inside {
					v.props["arrival_hours"] = pm.hours
					at = append(at, v)
					break
				}
			}
		}
		villages = at
		last := perims[len(perims)-1]
		var safe []place
		for _, s := range shelters {
			if inside, err := f.contains(ctx, last.wkt, s.at); err != nil {
				return nil, err
			} else if !inside {
				safe = append(safe, s)
			} else {
				fc.Notes = append(fc.Notes, fmt.Sprintf("shelter %s lies inside the fire's %g-hour perimeter: not used", s.name, last.hours))
			}
		}
		shelters = safe
	} else {
		for i := range villages {
			villages[i].props["arrival_hours"] = nil
		}
	}
	if len(shelters) == 0 {
		fc.Notes = append(fc.Notes, "no shelter to evacuate to")
	}
	vs := make([]Place, len(villages))
	for i, v := range villages {
		vs[i] = v.at
	}
	ss := make([]Place, len(shelters))
	for i, s := range shelters {
		ss[i] = s.at
	}
	toShelter, err := f.net.Routes(ctx, vs, ss, true)
	if err != nil {
		return nil, err
	}
	through, err := f.throughFire(ctx, id, villages, toShelter)
	if err != nil {
		return nil, err
	}
	teams, _, err := f.devices(ctx, fr.at, MaxRadius, p)
	if err != nil {
		return nil, err
	}
	ts := make([]Place, len(teams))
	for i, t := range teams {
		ts[i] = t.at
	}
	teamTo, err := f.net.Routes(ctx, ts, vs, false)
	if err != nil {
		return nil, err
	}
	var out []place
	for i := range villages {
		v := &villages[i]
		v.props["shelter"], v.props["shelter_id"], v.props["shelter_eta_min"] = nil, nil, nil
		// The fastest route that keeps out of what burns before the village does; else the fastest,
		// and it says through which hour's perimeter it runs.
		best, bestThrough := -1, math.Inf(1)
		for j := range shelters {
			r, ok := toShelter[[2]int{i, j}]
			if !ok {
				continue
			}
			via := math.Inf(1)
			if h, ok := through[[2]int{i, j}]; ok {
				via = h
			}
			if best < 0 || safer(via, bestThrough, r.Seconds, toShelter[[2]int{i, best}].Seconds) {
				best, bestThrough = j, via
			}
		}
		if best >= 0 {
			r := toShelter[[2]int{i, best}]
			v.props["shelter"], v.props["shelter_id"], v.props["shelter_eta_min"] = shelters[best].name, shelters[best].id, minutes(r.Seconds)
			var thru any
			if !math.IsInf(bestThrough, 1) {
				thru = bestThrough
				fc.Notes = append(fc.Notes, fmt.Sprintf("village %s: every way to a shelter runs through the fire's %g-hour perimeter, before the fire reaches the village", v.name, bestThrough))
			}
			out = append(out, place{category: "evacuation_route", id: "evacuation-" + v.id, name: v.name + " → " + shelters[best].name,
				distance: v.distance, geometry: r.Geometry, props: map[string]any{"village": v.id, "shelter": shelters[best].id,
					"eta_min": minutes(r.Seconds), "road_m": math.Round(r.RoadM), "arrival_hours": v.props["arrival_hours"], "through_fire_hours": thru}})
		} else if len(shelters) > 0 {
			fc.Notes = append(fc.Notes, fmt.Sprintf("village %s: no shelter can be reached over the roads", v.name))
		}
		v.props["first_team"], v.props["first_team_id"], v.props["first_team_eta_min"], v.props["team_first"] = nil, nil, nil, nil
		first := -1
		for j := range teams {
			if r, ok := teamTo[[2]int{j, i}]; ok && (first < 0 || r.Seconds < teamTo[[2]int{first, i}].Seconds) {
				first = j
			}
		}
		if first >= 0 {
			eta := teamTo[[2]int{first, i}].Seconds
			v.props["first_team"], v.props["first_team_id"], v.props["first_team_eta_min"] = teams[first].name, teams[first].id, minutes(eta)
			if h, ok := v.props["arrival_hours"].(float64); ok {
				v.props["team_first"] = eta < h*3600
			}
		} else {
			fc.Notes = append(fc.Notes, fmt.Sprintf("village %s: no team can reach it over the roads", v.name))
		}
		if pop, ok := v.props["population"].(string); ok {
			var n float64
			if _, err := fmt.Sscan(pop, &n); err == nil {
				v.props["population"] = n
			}
		}
		out = append(out, *v)
	}
	arrival := func(pl place) float64 {
		if h, ok := pl.props["arrival_hours"].(float64); ok {
			return h
		}
		return math.Inf(1)
	}
	slices.SortStableFunc(out, func(a, b place) int {
		return cmp.Or(cmp.Compare(arrival(a), arrival(b)), cmp.Compare(a.distance, b.distance),
			cmp.Compare(b.category, a.category), cmp.Compare(a.id, b.id))
	})
	fc.Features = make([]Feature, 0, len(out))
	for _, pl := range out {
		fc.Features = append(fc.Features, pl.feature())
	}
	return fc, nil
}

func (f *Fires) contains(ctx context.Context, ewkt string, p Place) (bool, error) {
	var in bool
	err := f.pool.QueryRow(ctx, `SELECT ST_Covers($1::geometry, $2::geometry)`, ewkt, pointWKB(p)).Scan(&in)
	return in, err
}

// safer orders two evacuation routes: one that runs through no perimeter the fire reaches before
// the village (through: +Inf) first, then the later such perimeter, then the faster.
func safer(through, than, seconds, thanSeconds float64) bool {
	if through != than {
		return through > than
	}
	return seconds < thanSeconds
}

// throughFire gives, for each village's route to each shelter, the earliest spread perimeter the
// route crosses among those the fire reaches before the village (arrival_hours); routes that cross
// none, and villages without an arrival, are not in the map.
func (f *Fires) throughFire(ctx context.Context, id int64, villages []place, routes map[[2]int]Route) (map[[2]int]float64, error) {
	out := map[[2]int]float64{}
	var vi, sj []int32
	var hours []float64
	var lines []string
	for k, r := range routes {
		h, ok := villages[k[0]].props["arrival_hours"].(float64)
		if !ok || r.Geometry == nil {
			continue
		}
		vi, sj, hours, lines = append(vi, int32(k[0])), append(sj, int32(k[1])), append(hours, h), append(lines, string(r.Geometry))
	}
	if len(lines) == 0 {
		return out, nil
	}
	rows, err := f.pool.Query(ctx, `SELECT r.v, r.s, min(p.hours)
		FROM unnest($2::int[], $3::int[], $4::float8[], $5::text[]) r(v, s, arrival, line)
		JOIN command.fire_perimeter p ON p.incident_id = $1 AND p.hours < r.arrival::real
			AND ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(r.line), 4490))
		GROUP BY r.v, r.s`, id, vi, sj, hours, lines)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v, s int32
		var h float32
		if err := rows.Scan(&v, &s, &h); err != nil {
			return nil, err
		}
		out[[2]int{int(v), int(s)}], _ = strconv.ParseFloat(strconv.FormatFloat(float64(h), 'g', -1, 32), 64)
	}
	return out, rows.Err()
}
