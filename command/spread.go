package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geo"

	"github.com/yitu-gis/yitu/command/fire"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// withDefaults fills the fire spread's settings left zero.
func (c Config) withDefaults() Config {
	if c.FuelAttribute == "" {
		c.FuelAttribute = "fuel_model"
	}
	if c.WeatherRadiusKm <= 0 {
		c.WeatherRadiusKm = 30
	}
	if c.WeatherMaxAge <= 0 {
		c.WeatherMaxAge = 3 * time.Hour
	}
	if c.FenceTTL <= 0 {
		c.FenceTTL = 6 * time.Hour
	}
	if c.RecomputeEvery <= 0 {
		c.RecomputeEvery = time.Minute
	}
	return c
}

// Names of the readings a weather sensor reports (live observation values).
const (
	ReadingWindSpeed     = "wind_speed"     // m/s at 10 m
	ReadingWindDirection = "wind_direction" // degrees the wind blows from
	ReadingFuelMoisture  = "fuel_moisture"  // % (1-h dead fuel), when the station measures it
	ReadingTemperature   = "temperature"    // °C
	ReadingHumidity      = "humidity"       // %
)

// DefaultMoisture is the 1-h dead fuel moisture (%) assumed when neither the request nor the
// weather sensor gives one: a dry spring afternoon in Shandong's hills.
const DefaultMoisture = 8.0

// SpreadRequest is what a spread is computed from; nil fields are taken from the weather sensor,
// the terrain, the fuel layer or defaults, and the answer says which.
type SpreadRequest struct {
	Model         string   `json:"model,omitempty"` // rothermel (default) or wang
	FuelModel     string   `json:"fuel_model,omitempty"`
	WindSpeed     *float64 `json:"wind_speed,omitempty"`     // m/s at 10 m
	WindDirection *float64 `json:"wind_direction,omitempty"` // degrees from
	Moisture      *float64 `json:"moisture,omitempty"`       // 1-h dead, %
	Moisture10h   *float64 `json:"moisture_10h,omitempty"`
	Moisture100h  *float64 `json:"moisture_100h,omitempty"`
	MoistureHerb  *float64 `json:"moisture_herb,omitempty"`
	MoistureWoody *float64 `json:"moisture_woody,omitempty"`
	Slope         *float64 `json:"slope,omitempty"`  // degrees
	Aspect        *float64 `json:"aspect,omitempty"` // degrees the slope faces
	Temperature   *float64 `json:"temperature,omitempty"`
	Humidity      *float64 `json:"humidity,omitempty"`
}

// Weather is the weather a spread was computed from, and where it came from.
type Weather struct {
	WindSpeed      float64       `json:"wind_speed"`
	WindDirection  float64       `json:"wind_direction"`
	Moisture       float64       `json:"moisture"`  // 1-h dead fuel, %
	Moistures      fire.Moisture `json:"moistures"` // every class, %, as used
	Temperature    *float64      `json:"temperature,omitempty"`
	Humidity       *float64      `json:"humidity,omitempty"`
	Source         string        `json:"source"` // request, sensor
	Sensor         string        `json:"sensor,omitempty"`
	SensorDistance float64       `json:"sensor_distance_m,omitempty"`
	ObservedAt     *time.Time    `json:"observed_at,omitempty"`
	MoistureSource string        `json:"moisture_source"` // request, sensor, default
}

// Terrain is the slope a spread was computed on.
type Terrain struct {
	Slope  float64 `json:"slope"`  // degrees
	Aspect float64 `json:"aspect"` // degrees the slope faces
	Source string  `json:"source"` // dem, request, flat
	Note   string  `json:"note,omitempty"`
}

// Perimeter is the estimated fire area some hours ahead.
type Perimeter struct {
	Hours    float64     `json:"hours"`
	Geometry orb.Polygon `json:"-"`
}

// SpreadResult is a fire's spread estimate, as stored.
type SpreadResult struct {
	Incident   int64         `json:"incident"`
	Title      string        `json:"title"`
	Spread     fire.Spread   `json:"spread"`
	FuelSource string        `json:"fuel_source"` // request, layer
	Weather    Weather       `json:"weather"`
	Terrain    Terrain       `json:"terrain"`
	Origin     string        `json:"origin"` // point, polygon
	Perimeters []Perimeter   `json:"-"`
	Fences     []int64       `json:"fences"`
	ComputedAt time.Time     `json:"computed_at"`
	Request    SpreadRequest `json:"request"`
	Notes      []string      `json:"notes"`
}

// FireSpread estimates how forest-fire incidents spread, stores the perimeters in
// command.fire_perimeter and arms them as hazard fences of the live watch; Run recomputes a fire
// when its position changes or its weather sensor reports.
type FireSpread struct {
	pool    *pgxpool.Pool
	hub     *live.Hub // nil: no weather sensors
	catalog *spatial.CatalogStore
	cfg     Config
	log     *slog.Logger

	mu     sync.Mutex
	bySens map[string][]int64 // weather sensor → the fires whose spread it gave the wind of
}

// NewFireSpread builds the service; hub and catalog may be nil (no weather sensors, no fuel layer).
func NewFireSpread(pool *pgxpool.Pool, hub *live.Hub, catalog *spatial.CatalogStore, cfg Config, log *slog.Logger) *FireSpread {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FireSpread{pool: pool, hub: hub, catalog: catalog, cfg: cfg.withDefaults(), log: log, bySens: map[string][]int64{}}
}

// Hours are the perimeters estimated, hours ahead.
var Hours = []float64{1, 2, 3}

// perimeterVertices is the number of vertices of an ellipse.
const perimeterVertices = 72

// FireType is the incident type of a forest fire.
const FireType = "forest_fire"

// closedStates are the states of an incident that is over: its fire no longer spreads, and its
// hazard fences are removed (migration 00060).
var closedStates = []string{Rejected, Merged, Resolved, Evaluated}

// Spread computes a fire's spread, replaces its perimeters and hazard fences, and returns them.
func (f *FireSpread) Spread(ctx context.Context, id int64, req SpreadRequest, who string) (*SpreadResult, error) {
	var typ, title, state string
	var geom []byte
	err := f.pool.QueryRow(ctx, `SELECT type, title, state, ST_AsBinary(ST_Force2D(geom)) FROM command.incident WHERE id = $1`, id).Scan(&typ, &title, &state, &geom)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("incident %d", id)
	}
	if err != nil {
		return nil, err
	}
	if typ != FireType {
		return nil, spatial.Invalid("id", "incident %d is a %s incident, not a %s: only fires spread", id, typ, FireType)
	}
	if slices.Contains(closedStates, state) {
		return nil, fmt.Errorf("incident %d is %s: a closed fire does not spread: %w", id, state, spatial.ErrConflict)
	}
	if geom == nil {
		return nil, spatial.Invalid("id", "incident %d has no position: report the fire's point or area first", id)
	}
	g, err := wkb.Unmarshal(geom)
	if err != nil {
		return nil, fmt.Errorf("incident %d: its geometry: %w", id, err)
	}
	origin, kind := originPoints(g)
	if len(origin) == 0 {
		return nil, spatial.Invalid("id", "incident %d has an empty geometry", id)
	}
	centre := centreOf(g)
	res := &SpreadResult{Incident: id, Title: title, Origin: kind, Request: req, Notes: []string{}}

	// Fuel model: the request's, else the fuel layer's.
	fuel := strings.TrimSpace(req.FuelModel)
	res.FuelSource = "request"
	if fuel == "" {
		if fuel, err = f.layerFuel(ctx, centre); err != nil {
			return nil, err
		}
		res.FuelSource = "layer " + f.cfg.FuelLayer
	}
	if _, err := fire.Lookup(fuel); err != nil {
		return nil, spatial.Invalid("fuel_model", "%v", err)
	}

	// Weather: the request's wind, else the nearest weather sensor's.
	w, err := f.weather(req, centre)
	if err != nil {
		return nil, err
	}
	res.Weather = w

	// Terrain: the DEM's slope, else the request's, else flat.
	res.Terrain, err = f.terrain(ctx, centre, req)
	if err != nil {
		return nil, err
	}
	if res.Terrain.Source == "dem" && req.Slope != nil {
		res.Notes = append(res.Notes, "the request's slope and aspect were not used: terrain.dem covers the fire")
	}

	in := fire.Input{Model: req.Model, FuelModel: fuel, WindSpeed: w.WindSpeed, WindFrom: w.WindDirection, Moisture: w.Moistures,
		Slope: res.Terrain.Slope, Aspect: res.Terrain.Aspect, Temperature: w.Temperature, Humidity: w.Humidity, Wang: f.cfg.Wang}
	s, err := fire.Compute(in)
	if err != nil {
		var bad *fire.InvalidInput
		if errors.As(err, &bad) {
			return nil, spatial.Invalid(bad.Param, "%s", bad.Detail)
		}
		return nil, spatial.Invalid("fuel_model", "%v", err)
	}
	if s.HeadRate < 0.01 && s.Model == fire.Wang {
		return nil, spatial.Invalid("model", "王正非's R0 is not above zero at %s °C and %s %% humidity: no spread to draw",
			orDefault(w.Temperature, "20"), orDefault(w.Humidity, "40"))
	}
	if s.HeadRate < 0.01 {
		return nil, spatial.Invalid("moisture", "at %g %% dead fuel moisture %s does not burn (its moisture of extinction is reached): no spread to draw",
			w.Moistures.OneHour, fuel)
	}
	res.Spread = s
	res.Weather.Moistures, res.Weather.Moisture = s.Moisture, s.Moisture.OneHour
	for _, h := range Hours {
		res.Perimeters = append(res.Perimeters, Perimeter{Hours: h, Geometry: perimeter(origin, s, h*60)})
	}
	if s.WindLimited {
		res.Notes = append(res.Notes, "the effective wind was capped at the wind limit (Andrews, Cruz & Rothermel 2013)")
	}
	res.Notes = append(res.Notes, "surface fire only: no crown fire, spotting, barriers or changes of fuel, slope and wind over the fire's area are modelled")
	if err := f.store(ctx, res, who); err != nil {
		return nil, err
	}
	f.follow(id, w.Sensor)
	return res, nil
}

func orDefault(v *float64, def string) string {
	if v == nil {
		return def
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// originPoints are the points a fire grows from: the point, or the vertices of its area.
func originPoints(g orb.Geometry) ([]orb.Point, string) {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}, "point"
	case orb.MultiPoint:
		return g, "point"
	}
	var pts []orb.Point
	var walk func(orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.LineString:
			pts = append(pts, g...)
		case orb.Ring:
			pts = append(pts, g...)
		case orb.Polygon:
			for _, r := range g {
				walk(r)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				walk(p)
			}
		case orb.MultiLineString:
			for _, l := range g {
				walk(l)
			}
		case orb.Collection:
			for _, x := range g {
				walk(x)
			}
		case orb.Point:
			pts = append(pts, g)
		}
	}
	walk(g)
	return pts, "polygon"
}

func centreOf(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	return g.Bound().Center()
}

// CGCS2000's ellipsoid.
const (
	ellA  = 6378137.0
	ellF  = 1 / 298.257222101
	ellE2 = ellF * (2 - ellF)
)

// metresPerDegree are the lengths of a degree of latitude and of longitude at a latitude, on the
// CGCS2000 ellipsoid (the local tangent plane: good to centimetres over a fire's few kilometres).
func metresPerDegree(lat float64) (perLat, perLon float64) {
	s := math.Sin(lat * math.Pi / 180)
	w := 1 - ellE2*s*s
	m := ellA * (1 - ellE2) / math.Pow(w, 1.5)
	n := ellA / math.Sqrt(w)
	return m * math.Pi / 180, n * math.Cos(lat*math.Pi/180) * math.Pi / 180
}

// perimeter grows the fire from each origin point by the spread's ellipse after minutes and takes
// the convex hull (for a point: the ellipse itself).
func perimeter(origin []orb.Point, s fire.Spread, minutes float64) orb.Polygon {
	ring := s.Ellipse(minutes, perimeterVertices)
	if len(origin) > 1 {
		// The hull of the ellipses grown from every vertex is that of those grown from the
		// vertices of the area's hull (the ellipse contains its focus, so the area is inside).
		origin = hull(origin)
		origin = origin[:len(origin)-1]
	}
	var pts []orb.Point
	for _, o := range origin {
		perLat, perLon := metresPerDegree(o[1])
		for _, q := range ring[:len(ring)-1] {
			pts = append(pts, orb.Point{round7(o[0] + q[0]/perLon), round7(o[1] + q[1]/perLat)})
		}
	}
	if len(origin) == 1 {
		return orb.Polygon{append(orb.Ring(pts), pts[0])}
	}
	return orb.Polygon{hull(pts)}
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

// hull is the convex hull (Andrew's monotone chain), closed and counter-clockwise.
func hull(pts []orb.Point) orb.Ring {
	pts = slices.Clone(pts)
	sort.Slice(pts, func(i, j int) bool {
		return pts[i][0] < pts[j][0] || pts[i][0] == pts[j][0] && pts[i][1] < pts[j][1]
	})
	cross := func(o, a, b orb.Point) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	var h []orb.Point
	for _, p := range pts {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return orb.Ring(h) // the last point is the first again
}

// layerFuel is the fuel model of the fuel layer's feature under the fire.
func (f *FireSpread) layerFuel(ctx context.Context, at orb.Point) (string, error) {
	if f.cfg.FuelLayer == "" || f.catalog == nil {
		return "", spatial.Invalid("fuel_model", "give the fuel model (no fuel layer is configured, command.fuel_layer): one of %s", strings.Join(fire.Codes(), ", "))
	}
	l, ok := f.catalog.Current().Layer(f.cfg.FuelLayer)
	if !ok || !l.IsTable() {
		return "", fmt.Errorf("command.fuel_layer %q is not a table layer of the catalog", f.cfg.FuelLayer)
	}
	if !slices.ContainsFunc(l.Columns, func(c spatial.Column) bool { return c.Name == f.cfg.FuelAttribute }) {
		return "", fmt.Errorf("command.fuel_layer %s has no column %q (command.fuel_attribute)", l.ID, f.cfg.FuelAttribute)
	}
	attr := pgx.Identifier{f.cfg.FuelAttribute}.Sanitize()
	gc := pgx.Identifier{l.GeometryColumn}.Sanitize()
	sql := fmt.Sprintf(`SELECT %s::text FROM %s WHERE ST_Intersects(%s, ST_SetSRID(ST_MakePoint($1, $2), 4490)) AND %s IS NOT NULL ORDER BY ST_Area(%s) LIMIT 1`,
		attr, pgx.Identifier{l.Schema, l.Table}.Sanitize(), gc, attr, gc)
	var code string
	err := f.pool.QueryRow(ctx, sql, at[0], at[1]).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", spatial.Invalid("fuel_model", "the fire at %.5f, %.5f lies outside the fuel layer %s: give the fuel model, one of %s",
			at[0], at[1], l.ID, strings.Join(fire.Codes(), ", "))
	}
	return strings.TrimSpace(code), err
}

// weather is the request's wind, else the latest readings of the nearest weather sensor.
func (f *FireSpread) weather(req SpreadRequest, at orb.Point) (Weather, error) {
	w := Weather{Temperature: req.Temperature, Humidity: req.Humidity}
	switch {
	case req.WindSpeed != nil && req.WindDirection != nil:
		w.Source, w.WindSpeed, w.WindDirection = "request", *req.WindSpeed, *req.WindDirection
	case req.WindSpeed != nil:
		return w, spatial.Invalid("wind_direction", "give the direction the wind blows from (degrees) with wind_speed")
	case req.WindDirection != nil:
		return w, spatial.Invalid("wind_speed", "give the wind speed (m/s at 10 m) with wind_direction")
	default:
		o, dist, ok := f.nearestWeather(at)
		if !ok {
			return w, spatial.Invalid("wind_speed", "give wind_speed (m/s at 10 m) and wind_direction (degrees from): no weather sensor within %g km reports %s and %s in the last %v",
				f.cfg.WeatherRadiusKm, ReadingWindSpeed, ReadingWindDirection, f.cfg.WeatherMaxAge)
		}
		t := o.Time
		w.Source, w.Sensor, w.SensorDistance, w.ObservedAt = "sensor", o.ID, math.Round(dist), &t
		w.WindSpeed, w.WindDirection = o.Values[ReadingWindSpeed], o.Values[ReadingWindDirection]
		if v, ok := o.Values[ReadingTemperature]; ok && w.Temperature == nil {
			w.Temperature = &v
		}
		if v, ok := o.Values[ReadingHumidity]; ok && w.Humidity == nil {
			w.Humidity = &v
		}
		if v, ok := o.Values[ReadingFuelMoisture]; ok && req.Moisture == nil {
			w.Moistures.OneHour, w.MoistureSource = v, "sensor"
		}
	}
	if !(w.WindDirection >= 0 && w.WindDirection <= 360) {
		return w, spatial.Invalid("wind_direction", "%g: give 0 to 360 degrees (the direction the wind blows from)", w.WindDirection)
	}
	w.WindDirection = math.Mod(w.WindDirection, 360)
	if req.Moisture != nil {
		w.Moistures.OneHour, w.MoistureSource = *req.Moisture, "request"
	}
	if w.MoistureSource == "" {
		w.Moistures.OneHour, w.MoistureSource = DefaultMoisture, "default"
	}
	for _, m := range []struct {
		v   *float64
		dst *float64
	}{{req.Moisture10h, &w.Moistures.TenHour}, {req.Moisture100h, &w.Moistures.HundredHour}, {req.MoistureHerb, &w.Moistures.LiveHerb}, {req.MoistureWoody, &w.Moistures.LiveWoody}} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	return w, nil
}

// nearestWeather is the nearest sensor reporting wind recently enough, and its distance in metres.
func (f *FireSpread) nearestWeather(at orb.Point) (live.Object, float64, bool) {
	if f.hub == nil {
		return live.Object{}, 0, false
	}
	now := f.hub.Now()
	var best live.Object
	bestD := f.cfg.WeatherRadiusKm * 1000
	found := false
	for _, o := range f.hub.Objects(live.Filter{Kinds: []live.Kind{live.KindSensor}}) {
		_, hasS := o.Values[ReadingWindSpeed]
		_, hasD := o.Values[ReadingWindDirection]
		if !o.HasPos || !hasS || !hasD || now.Sub(o.Time) > f.cfg.WeatherMaxAge {
			continue
		}
		if d := geo.Distance(at, orb.Point{o.Position.Lon, o.Position.Lat}); d <= bestD {
			best, bestD, found = o, d, true
		}
	}
	return best, bestD, found
}

// demSample is the distance (m) between the DEM samples a slope is taken from.
const demSample = 30.0

// terrain is the slope and aspect at the fire from terrain.dem (differences of bilinear samples
// 30 m east, west, north and south), else the request's, else flat.
func (f *FireSpread) terrain(ctx context.Context, at orb.Point, req SpreadRequest) (Terrain, error) {
	perLat, perLon := metresPerDegree(at[1])
	dx, dy := demSample/perLon, demSample/perLat
	lons := []float64{at[0], at[0] + dx, at[0] - dx, at[0], at[0]}
	lats := []float64{at[1], at[1], at[1], at[1] + dy, at[1] - dy}
	// The DEMs' CRSs, one per dataset (an imported DEM is one dataset in one CRS): a loose index
	// scan over the datasets, so the samples below are found through the tiles' spatial index.
	var srids []int32
	if err := f.pool.QueryRow(ctx, `
		WITH RECURSIVE ds AS (
		    (SELECT dataset_id FROM terrain.dem ORDER BY dataset_id LIMIT 1)
		    UNION ALL
		    SELECT (SELECT d.dataset_id FROM terrain.dem d WHERE d.dataset_id > ds.dataset_id ORDER BY d.dataset_id LIMIT 1)
		    FROM ds WHERE ds.dataset_id IS NOT NULL)
		SELECT coalesce(array_agg(DISTINCT (SELECT ST_SRID(d.rast) FROM terrain.dem d WHERE d.dataset_id = ds.dataset_id LIMIT 1)), '{}')
		FROM ds WHERE dataset_id IS NOT NULL`).Scan(&srids); err != nil {
		return Terrain{}, fmt.Errorf("finding the DEMs' CRSs: %w", err)
	}
	z := make([]*float64, len(lons))
	if len(srids) > 0 {
		rows, err := f.pool.Query(ctx, `
			SELECT (SELECT x.v FROM (
			            SELECT coalesce(ST_Value(d.rast, 1, q.p, true, 'bilinear'), ST_Value(d.rast, 1, q.p)) AS v
			            FROM unnest($3::int[]) r(srid)
			            CROSS JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4490), r.srid) AS p) q
			            JOIN terrain.dem d ON ST_ConvexHull(d.rast) && q.p AND ST_SRID(d.rast) = r.srid) x
			        WHERE x.v IS NOT NULL LIMIT 1)
			FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS s(lon, lat, i) ORDER BY s.i`, lons, lats, srids)
		if err != nil {
			return Terrain{}, fmt.Errorf("sampling terrain.dem: %w", err)
		}
		if z, err = pgx.CollectRows(rows, pgx.RowTo[*float64]); err != nil {
			return Terrain{}, fmt.Errorf("sampling terrain.dem: %w", err)
		}
	}
	diff := func(plus, minus *float64) (float64, bool) {
		switch {
		case plus != nil && minus != nil:
			return (*plus - *minus) / (2 * demSample), true
		case plus != nil:
			return (*plus - *z[0]) / demSample, true
		case minus != nil:
			return (*z[0] - *minus) / demSample, true
		}
		return 0, false
	}
	if z[0] != nil {
		dzdx, okx := diff(z[1], z[2])
		dzdy, oky := diff(z[3], z[4])
		if okx && oky {
			t := Terrain{Source: "dem", Slope: math.Atan(math.Hypot(dzdx, dzdy)) * 180 / math.Pi}
			if t.Slope > 1e-6 {
				// The slope faces downhill: against the gradient.
				t.Aspect = math.Mod(math.Atan2(-dzdx, -dzdy)*180/math.Pi+360, 360)
			}
			t.Slope, t.Aspect = math.Round(t.Slope*100)/100, math.Round(t.Aspect*10)/10
			t.Note = fmt.Sprintf("from terrain.dem: differences of bilinear samples %g m around the fire (elevation %.1f m)", demSample, *z[0])
			return t, nil
		}
	}
	switch {
	case req.Slope != nil && req.Aspect == nil && *req.Slope != 0:
		return Terrain{}, spatial.Invalid("aspect", "give the direction the slope faces (degrees) with slope")
	case req.Slope != nil:
		if *req.Slope < 0 || *req.Slope >= 85 {
			return Terrain{}, spatial.Invalid("slope", "%g°: give 0 to 85 degrees (or a percentage, slope=30%%)", *req.Slope)
		}
		t := Terrain{Source: "request", Slope: *req.Slope}
		if req.Aspect != nil {
			if *req.Aspect < 0 || *req.Aspect > 360 {
				return Terrain{}, spatial.Invalid("aspect", "%g: give 0 to 360 degrees", *req.Aspect)
			}
			t.Aspect = math.Mod(*req.Aspect, 360)
		}
		return t, nil
	}
	return Terrain{Source: "flat", Note: "no DEM (terrain.dem) covers the fire and the request gives no slope: assumed flat"}, nil
}

// fenceLevels are the alarm levels of the hazard fences, by hours ahead.
var fenceLevels = map[float64]string{1: live.LevelRed, 2: live.LevelOrange, 3: live.LevelYellow}

// FenceName is the name of a fire's hazard fence some hours ahead.
func FenceName(hours float64, id int64) string {
	return fmt.Sprintf("火场蔓延 +%gh（事件 %d）", hours, id)
}

// store replaces the fire's perimeters and hazard fences in one transaction (the watch reloads on
// its commit).
func (f *FireSpread) store(ctx context.Context, r *SpreadResult, who string) error {
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// One computation of a fire at a time; the later one's rows win.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(15, ($1 % 2147483647)::int)`, r.Incident); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&r.ComputedAt); err != nil {
		return err
	}
	weather, _ := json.Marshal(r.Weather)
	// model: the spread's figures at the top (model, fuel_model, head_rate m/min, length_to_breadth,
	// direction…), then where the inputs came from and the request, to recompute it.
	var model map[string]any
	b, _ := json.Marshal(r.Spread)
	if err := json.Unmarshal(b, &model); err != nil {
		return err
	}
	model["fuel_source"], model["terrain"], model["origin"], model["request"], model["notes"] = r.FuelSource, r.Terrain, r.Origin, r.Request, r.Notes
	if _, err := tx.Exec(ctx, `DELETE FROM command.fire_perimeter WHERE incident_id = $1`, r.Incident); err != nil {
		return err
	}
	// The fire's fences are changed in place, so an alarm of a device that stays inside one goes on
	// (the watch keys alarms by fence); those of hours no longer estimated go.
	rows, err := tx.Query(ctx, `SELECT (props->>'hours')::float8, id FROM live.fence WHERE props->>'fire_incident' = $1`, strconv.FormatInt(r.Incident, 10))
	if err != nil {
		return err
	}
	old := map[float64]int64{}
	var h float64
	var fid int64
	if _, err := pgx.ForEachRow(rows, []any{&h, &fid}, func() error { old[h] = fid; return nil }); err != nil {
		return err
	}
	r.Fences = r.Fences[:0]
	kinds := live.Kinds
	for _, p := range r.Perimeters {
		gj, err := geojsonPolygon(p.Geometry)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO command.fire_perimeter (incident_id, hours, geom, weather, model, computed_at)
			VALUES ($1, $2, ST_SetSRID(ST_GeomFromGeoJSON($3), 4490), $4, $5, $6)`, r.Incident, p.Hours, gj, weather, model, r.ComputedAt); err != nil {
			return fmt.Errorf("storing the +%gh perimeter: %w", p.Hours, err)
		}
		level := fenceLevels[p.Hours]
		if level == "" {
			level = live.LevelYellow
		}
		name := FenceName(p.Hours, r.Incident)
		rules := []map[string]any{{"kind": "enter", "level": level, "title": name}}
		props := map[string]any{"fire_incident": r.Incident, "hours": p.Hours, "computed_at": r.ComputedAt}
		args := []any{name, gj, rules, map[string]any{"kinds": kinds}, r.ComputedAt.Add(f.cfg.FenceTTL), props, who}
		id, ok := old[p.Hours]
		delete(old, p.Hours)
		sql := `INSERT INTO live.fence (name, kind, geom, rules, applies_to, valid_to, props, created_by)
			VALUES ($1, 'polygon', ST_SetSRID(ST_GeomFromGeoJSON($2), 4490), $3, $4, $5, $6, $7) RETURNING id`
		if ok {
			sql = `UPDATE live.fence SET name = $1, kind = 'polygon', geom = ST_SetSRID(ST_GeomFromGeoJSON($2), 4490), radius_m = NULL, width_m = NULL,
				rules = $3, applies_to = $4, valid_from = NULL, valid_to = $5, props = $6, created_by = $7 WHERE id = $8 RETURNING id`
			args = append(args, id)
		}
		if err := tx.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			return fmt.Errorf("arming the +%gh fence: %w", p.Hours, err)
		}
		r.Fences = append(r.Fences, id)
	}
	for _, id := range old {
		if _, err := tx.Exec(ctx, `DELETE FROM live.fence WHERE id = $1`, id); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func geojsonPolygon(p orb.Polygon) (string, error) {
	b, err := json.Marshal(map[string]any{"type": "Polygon", "coordinates": p})
	return string(b), err
}

// follow remembers which sensor gave a fire its wind.
func (f *FireSpread) follow(id int64, sensor string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s, ids := range f.bySens {
		f.bySens[s] = slices.DeleteFunc(ids, func(x int64) bool { return x == id })
		if len(f.bySens[s]) == 0 {
			delete(f.bySens, s)
		}
	}
	if sensor != "" {
		f.bySens[sensor] = append(f.bySens[sensor], id)
	}
}

// Recompute computes a fire's spread again from the request its last estimate was made from (its
// weather sensor's newest readings, its position now); false: it has none.
func (f *FireSpread) Recompute(ctx context.Context, id int64) (bool, error) {
	var raw []byte
	err := f.pool.QueryRow(ctx, `SELECT model->'request' FROM command.fire_perimeter WHERE incident_id = $1 ORDER BY hours LIMIT 1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var req SpreadRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return false, fmt.Errorf("fire %d: its stored request: %w", id, err)
	}
	_, err = f.Spread(ctx, id, req, "fire-spread")
	if errors.Is(err, spatial.ErrConflict) { // the fire is over: nothing more to follow
		f.follow(id, "")
		return false, nil
	}
	return true, err
}

// Run recomputes fires until ctx ends: a fire whose position changed (NOTIFY yitu_command
// fire_moved:<id>, migration 00060) within a second, and every fire whose wind came from a sensor
// that reported again, at most once per recompute_every (the newest reading then).
func (f *FireSpread) Run(ctx context.Context) {
	rows, err := f.pool.Query(ctx, `SELECT DISTINCT incident_id, weather->>'sensor' FROM command.fire_perimeter WHERE weather->>'sensor' IS NOT NULL`)
	if err == nil {
		type pair struct {
			ID     int64
			Sensor string
		}
		ps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pair])
		if err != nil {
			f.log.Warn("fire spread: loading the fires' weather sensors", "err", err)
		}
		for _, p := range ps {
			f.follow(p.ID, p.Sensor)
		}
	} else if ctx.Err() == nil {
		f.log.Warn("fire spread: loading the fires' weather sensors", "err", err)
	}
	var mu sync.Mutex
	pending := map[int64]bool{} // fire → moved (now) or only a new reading (throttled)
	last := map[int64]time.Time{}
	queue := func(moved bool, ids ...int64) {
		mu.Lock()
		for _, id := range ids {
			pending[id] = pending[id] || moved
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		spatial.Listener{Channel: "yitu_command", Coalesce: 50 * time.Millisecond,
			Notify: func(ctx context.Context, payloads []string) {
				for _, p := range payloads {
					if s, ok := strings.CutPrefix(p, "fire_moved:"); ok {
						if id, err := strconv.ParseInt(s, 10, 64); err == nil {
							queue(true, id)
						}
					}
				}
			}}.Run(ctx, f.pool, f.log)
	})
	if f.hub != nil {
		wg.Go(func() {
			sub := f.hub.Stream().Subscribe()
			defer sub.Close()
			for {
				cs, _ := sub.Next(ctx, 4096)
				if ctx.Err() != nil {
					return
				}
				f.mu.Lock()
				for _, c := range cs {
					if c.Type == live.ChangeObservation && !c.Late {
						queue(false, f.bySens[c.Object]...)
					}
				}
				f.mu.Unlock()
			}
		})
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		now := time.Now()
		var ids []int64
		mu.Lock()
		for _, id := range slices.Sorted(maps.Keys(pending)) {
			// A new reading waits out recompute_every since the last it caused; a move does not.
			if moved := pending[id]; moved || now.Sub(last[id]) >= f.cfg.RecomputeEvery {
				ids = append(ids, id)
				delete(pending, id)
				if !moved {
					last[id] = now
				}
			}
		}
		mu.Unlock()
		for _, id := range ids {
			if ok, err := f.Recompute(ctx, id); err != nil {
				f.log.Warn("fire spread: recomputing", "incident", id, "err", err)
			} else if ok {
				f.log.Info("fire spread: recomputed", "incident", id)
			}
		}
	}
}
