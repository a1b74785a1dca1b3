package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
)

// Where the test fires burn: the hills south-east of the fixture's town.
const (
	fireLon = 119.95
	fireLat = 37.15
)

// reportFire reports a forest fire at a GeoJSON geometry and returns its id.
func (c *city) reportFire(t *testing.T, geometry string) int64 {
	t.Helper()
	r := c.do(t, "POST", "/command/incidents", c.operator, fmt.Sprintf(`{"type":"forest_fire","title":"大基山林区起火","geometry":%s}`, geometry))
	if r.status != 201 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	return int64(r.json(t)["id"].(float64))
}

// spread asks for a fire's spread and expects 200.
func (c *city) spread(t *testing.T, id int64, query string) map[string]any {
	t.Helper()
	r := c.do(t, "GET", fmt.Sprintf("/command/fires/%d/spread?%s", id, query), c.operator, "")
	if r.status != 200 {
		t.Fatalf("spread of %d ?%s: %d %s", id, query, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, mediaGeoJSON) {
		t.Errorf("Content-Type %q", ct)
	}
	return r.json(t)
}

// TestFireSpreadEndToEnd: a forest fire reported through the incidents API, its spread asked with
// a west wind: three perimeters (+1, +2, +3 h) that nest, grow and lie downwind, stored in
// command.fire_perimeter, armed as hazard fences that a fire team driving into the +1 h perimeter
// trips; asked again with another wind, the rows and fences are replaced, not added to.
func TestFireSpreadEndToEnd(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: "013900000077", Kind: live.KindTeam, Name: "森林消防一中队"}); err != nil {
		t.Fatal(err)
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	id := c.reportFire(t, fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, fireLon, fireLat))
	doc := c.spread(t, id, "wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=8")

	fs := featuresOf(t, doc)
	if len(fs) != 3 {
		t.Fatalf("%d perimeters, want 3", len(fs))
	}
	sp := doc["spread"].(map[string]any)
	head := sp["head_rate"].(float64)
	t.Logf("GR2, 5 m/s west wind, 8 %%: head %.1f, back %.2f, flank %.2f m/min, L/B %.2f, %.0f kW/m, flames %.1f m",
		head, sp["back_rate"], sp["flank_rate"], sp["length_to_breadth"], sp["fireline_intensity"], sp["flame_length"])
	if w := doc["weather"].(map[string]any); w["source"] != "request" || w["wind_speed"] != 5.0 || w["moisture_source"] != "request" {
		t.Errorf("weather: %v", w)
	}
	if tr := doc["terrain"].(map[string]any); tr["source"] != "flat" || !strings.Contains(fmt.Sprint(tr["note"]), "flat") {
		t.Errorf("terrain: %v", tr)
	}
	if math.Abs(sp["direction"].(float64)-90) > 1e-6 || doc["fuel_source"] != "request" {
		t.Errorf("a west wind drives the head east: %v", sp["direction"])
	}
	var geoms []string
	for i, f := range fs {
		p := f["properties"].(map[string]any)
		g, _ := json.Marshal(f["geometry"])
		geoms = append(geoms, string(g))
		if p["hours"] != float64(i+1) || p["model"] != "rothermel" || p["fuel_model"] != "GR2" || p["rate_unit"] != "m/min" || p["weather"] == nil {
			t.Errorf("perimeter %d: %v", i, p)
		}
		if n := len(f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)); n != 73 {
			t.Errorf("perimeter %d has %d vertices, want 72 and the closing one", i, n)
		}
	}
	// Nested and growing, oriented downwind: each contains the one before and the fire; each
	// reaches further east than west, the head about head_rate × time from the fire.
	var nested, ok bool
	err := c.pool.QueryRow(ctx, `
		WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4490) a, ST_SetSRID(ST_GeomFromGeoJSON($2), 4490) b, ST_SetSRID(ST_GeomFromGeoJSON($3), 4490) c,
		                  ST_SetSRID(ST_MakePoint($4, $5), 4490) f)
		SELECT ST_Contains(b, a) AND ST_Contains(c, b) AND ST_Contains(a, f) AND ST_Area(a) < ST_Area(b) AND ST_Area(b) < ST_Area(c),
		       ST_XMax(a) - $4 > 3 * ($4 - ST_XMin(a)) AND ST_Y(ST_Centroid(c)) BETWEEN $5 - 0.0001 AND $5 + 0.0001
		FROM g`, geoms[0], geoms[1], geoms[2], fireLon, fireLat).Scan(&nested, &ok)
	if err != nil || !nested || !ok {
		t.Errorf("perimeters nested %v, downwind %v (%v)", nested, ok, err)
	}
	var headM float64
	if err := c.pool.QueryRow(ctx, `SELECT ST_Distance(ST_SetSRID(ST_MakePoint($1, $2), 4490)::geography, ST_SetSRID(ST_MakePoint(ST_XMax(geom), $2), 4490)::geography)
		FROM command.fire_perimeter WHERE incident_id = $3 AND hours = 3`, fireLon, fireLat, id).Scan(&headM); err != nil {
		t.Fatal(err)
	}
	if math.Abs(headM-head*180) > 0.01*head*180 {
		t.Errorf("the +3 h head is %.0f m from the fire, want %.0f", headM, head*180)
	}

	// Stored: three rows with what they were computed from.
	if n := c.count(t, `SELECT count(*) FROM command.fire_perimeter WHERE incident_id = $1 AND ST_SRID(geom) = 4490 AND GeometryType(geom) = 'POLYGON'
		AND weather->>'wind_direction' = '270' AND weather->>'moisture' = '8' AND model->>'fuel_model' = 'GR2'
		AND (model->>'head_rate')::float8 > 0 AND model->'request'->>'fuel_model' = 'GR2'`, id); n != 3 {
		t.Errorf("%d rows of command.fire_perimeter, want 3", n)
	}
	// Armed: three fences, named by the hours, an enter rule for every device kind.
	fences := func() []int64 {
		rows, _ := c.pool.Query(ctx, `SELECT id FROM live.fence WHERE props->>'fire_incident' = $1 ORDER BY (props->>'hours')::float8`, fmt.Sprint(id))
		var ids []int64
		for rows.Next() {
			var f int64
			rows.Scan(&f)
			ids = append(ids, f)
		}
		return ids
	}
	first := fences()
	start := time.Now()
	doc = c.spread(t, id, "wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=8") // the same again
	t.Logf("a spread computed, stored and armed in %v", time.Since(start))
	if len(first) != 3 || fmt.Sprint(doc["fences"]) != fmt.Sprint(toAny(first)) {
		t.Fatalf("fences %v, answered %v", first, doc["fences"])
	}
	var name, rules, applies string
	c.pool.QueryRow(ctx, `SELECT name, rules::text, applies_to::text FROM live.fence WHERE id = $1`, first[0]).Scan(&name, &rules, &applies)
	if !strings.HasPrefix(name, "火场蔓延 +1h") || !strings.Contains(rules, `"enter"`) || !strings.Contains(rules, `"red"`) ||
		!strings.Contains(applies, `"team"`) || !strings.Contains(applies, `"sensor"`) {
		t.Errorf("the +1 h fence: %s %s %s", name, rules, applies)
	}

	// A fire team driving into the +1 h perimeter (half way to its head) raises the alarm of that fence.
	inLon := fireLon + head*30/(111320*math.Cos(fireLat*math.Pi/180))
	alarms := func(fence int64) int {
		return c.count(t, `SELECT count(*) FROM live.alarm WHERE fence_id = $1 AND object = '013900000077' AND kind = 'enter' AND state = 'raised'`, fence)
	}
	at := time.Now()
	waitLive(t, func() bool { // the watch reloads its fences on their NOTIFY; the team reports every second
		at = at.Add(time.Second)
		c.postPositions(t, at, "013900000077", inLon, fireLat)
		time.Sleep(100 * time.Millisecond)
		return alarms(first[0]) == 1
	})
	var level, title string
	c.pool.QueryRow(ctx, `SELECT level, title FROM live.alarm WHERE fence_id = $1`, first[0]).Scan(&level, &title)
	if level != "red" || !strings.Contains(title, "火场蔓延 +1h") {
		t.Errorf("the alarm: %s %q", level, title)
	}

	// Recomputed with the same weather (as a sensor's new reading would): the team still inside keeps
	// its alarm, not one cleared and another raised.
	var alarmID string
	c.pool.QueryRow(ctx, `SELECT id FROM live.alarm WHERE fence_id = $1 AND state = 'raised'`, first[0]).Scan(&alarmID)
	c.spread(t, id, "wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=8")
	for range 5 {
		at = at.Add(time.Second)
		c.postPositions(t, at, "013900000077", inLon, fireLat)
		time.Sleep(100 * time.Millisecond)
	}
	if n := c.count(t, `SELECT count(*) FROM live.alarm WHERE object = '013900000077' AND fence_id = $1`, first[0]); n != 1 ||
		c.count(t, `SELECT count(*) FROM live.alarm WHERE id = $1 AND state = 'raised'`, alarmID) != 1 {
		t.Errorf("the alarm of the +1 h fence after recomputing: %d alarms, %s still raised: %v", n, alarmID, c.count(t, `SELECT count(*) FROM live.alarm WHERE id = $1 AND state = 'raised'`, alarmID) == 1)
	}

	// Asked again with a north wind: the head turns south; the rows are replaced and the fences
	// changed in place (an alarm of a device that stays inside goes on), and the watch matches
	// against the new perimeters: the team 1 km east, inside the old +3 h but none of the new,
	// leaves every alarm; 150 m south of the fire it is inside the new +1 h again.
	doc = c.spread(t, id, "wind_speed=5&wind_direction=0&fuel_model=GR2&moisture=8")
	if d := doc["spread"].(map[string]any)["direction"].(float64); math.Abs(d-180) > 1e-6 {
		t.Errorf("a north wind drives the head south: %v", d)
	}
	if n := c.count(t, `SELECT count(*) FROM command.fire_perimeter WHERE incident_id = $1 AND weather->>'wind_direction' = '0'`, id); n != 3 {
		t.Errorf("%d rows after recomputing, want 3", n)
	}
	if second := fences(); fmt.Sprint(second) != fmt.Sprint(first) ||
		c.count(t, `SELECT count(*) FROM live.fence WHERE id = ANY($1) AND ST_Y(ST_Centroid(area)) < $2`, first, fireLat) != 3 {
		t.Errorf("fences after recomputing: %v (before %v), or not moved south", second, first)
	}
	if n := c.count(t, `SELECT count(*) FROM live.fence WHERE name LIKE '火场蔓延%'`); n != 3 {
		t.Errorf("%d fire fences, want 3", n)
	}
	openAlarms := func() int {
		return c.count(t, `SELECT count(*) FROM live.alarm WHERE object = '013900000077' AND state IN ('raised', 'acknowledged')`)
	}
	waitLive(t, func() bool {
		at = at.Add(time.Second)
		c.postPositions(t, at, "013900000077", fireLon+1000/(111320*math.Cos(fireLat*math.Pi/180)), fireLat)
		time.Sleep(100 * time.Millisecond)
		return openAlarms() == 0
	})
	waitLive(t, func() bool {
		at = at.Add(time.Second)
		c.postPositions(t, at, "013900000077", fireLon, fireLat-150/111320.0)
		time.Sleep(100 * time.Millisecond)
		return alarms(first[0]) == 1
	})

	// A fire reported as an area grows from its whole edge.
	area := c.reportFire(t, fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]v,%[2]v],[%[3]v,%[2]v],[%[3]v,%[4]v],[%[1]v,%[4]v],[%[1]v,%[2]v]]]}`,
		fireLon+0.02, fireLat, fireLon+0.025, fireLat+0.004))
	doc = c.spread(t, area, "wind_speed=3&wind_direction=180&fuel_model=TL3&moisture=6")
	if doc["origin"] != "polygon" {
		t.Errorf("origin: %v", doc["origin"])
	}
	if n := c.count(t, `SELECT count(*) FROM command.fire_perimeter p JOIN command.incident i ON i.id = p.incident_id
		WHERE i.id = $1 AND ST_Contains(p.geom, i.geom) AND ST_YMax(p.geom) > ST_YMax(i.geom) + 2 * (ST_YMin(i.geom) - ST_YMin(p.geom))`, area); n != 3 {
		t.Errorf("%d perimeters of the area contain it and lie downwind (north), want 3", n)
	}

	// The first fire turns out a false report: rejected, its fences go and the team's alarms clear;
	// its spread is no longer computed.
	if r := c.do(t, "POST", fmt.Sprintf("/command/incidents/%d/transitions", id), c.operator, `{"action":"reject","note":"误报: 烧荒"}`); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if n := c.count(t, `SELECT count(*) FROM live.fence WHERE props->>'fire_incident' = $1`, fmt.Sprint(id)); n != 0 {
		t.Errorf("%d fences of a rejected fire", n)
	}
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM live.alarm WHERE object = '013900000077' AND state IN ('raised', 'acknowledged')`) == 0
	})
	if p := c.do(t, "GET", fmt.Sprintf("/command/fires/%d/spread?wind_speed=5&wind_direction=0&fuel_model=GR2", id), c.operator, "").problem(t, 409); !strings.Contains(p.Detail, "rejected") {
		t.Errorf("spread of a rejected fire: %s", p.Detail)
	}
}

func toAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, v := range ids {
		out[i] = float64(v)
	}
	return out
}

// TestFireSpreadSensorTerrainAndRecompute: without wind in the request the nearest weather
// sensor's latest readings are used (and said so); a DEM under the fire gives the slope and
// aspect; a new reading of that sensor, and a move of the fire, recompute the spread by themselves.
func TestFireSpreadSensorTerrainAndRecompute(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	lon, lat := fireLon+0.01, fireLat+0.005
	if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: "wx-daji", Kind: live.KindSensor, SensorKind: "weather", Name: "大基山气象站", Lon: &lon, Lat: &lat}); err != nil {
		t.Fatal(err)
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	observe := func(speed, from float64) {
		t.Helper()
		if r := c.do(t, "POST", "/live/observations", c.device, fmt.Sprintf(`[{"sensor":"wx-daji","values":{"wind_speed":%v,"wind_direction":%v,"fuel_moisture":7,"temperature":24,"humidity":30}}]`, speed, from)); r.status != 202 {
			t.Fatalf("observations: %d %s", r.status, r.body)
		}
	}
	observe(4, 270)
	waitLive(t, func() bool { o, ok := c.hub.Object("wx-daji"); return ok && o.Values["wind_speed"] == 4 })
	// A DEM in the Gauss-Krüger zone of the fire (EPSG:4549), 10 m pixels, rising 2 m a pixel eastward:
	// a slope of atan(0.2) = 11.31° facing west.
	mustExec(t, c.pool, `
		WITH o AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4490), 4549) p)
		INSERT INTO terrain.dem (dataset_id, rast)
		SELECT 1, ST_MapAlgebra(ST_AddBand(ST_MakeEmptyRaster(200, 200, ST_X(p) - 1000, ST_Y(p) + 1000, 10, -10, 0, 0, 4549), '32BF'::text, 0, -9999),
		                        1, '32BF', '100 + [rast.x] * 2.0')
		FROM o`, fireLon, fireLat)
	// And another DEM, in lon/lat, far away: DEMs of several CRSs are each sampled in their own.
	mustExec(t, c.pool, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ('招远 DEM', 'terrain', 'geotiff', 'zhaoyuan.tif', 'z', 'EPSG:4490', 'test')`)
	mustExec(t, c.pool, `INSERT INTO terrain.dem (dataset_id, rast)
		SELECT 2, ST_AddBand(ST_MakeEmptyRaster(100, 100, 120.3, 37.4, 0.0001, -0.0001, 0, 0, 4490), '32BF'::text, 500, -9999)`)

	id := c.reportFire(t, fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, fireLon, fireLat))
	doc := c.spread(t, id, "fuel_model=SH5")
	w := doc["weather"].(map[string]any)
	if w["source"] != "sensor" || w["sensor"] != "wx-daji" || w["wind_speed"] != 4.0 || w["wind_direction"] != 270.0 || w["moisture_source"] != "sensor" ||
		w["sensor_distance_m"].(float64) < 900 || w["sensor_distance_m"].(float64) > 1100 {
		t.Errorf("weather from the sensor: %v", w)
	}
	tr := doc["terrain"].(map[string]any)
	if tr["source"] != "dem" || math.Abs(tr["slope"].(float64)-11.31) > 0.1 || math.Abs(tr["aspect"].(float64)-270) > 0.5 {
		t.Errorf("terrain from the DEM: %v", tr)
	}
	far := c.reportFire(t, `{"type":"Point","coordinates":[120.305,37.395]}`)
	if tr := c.spread(t, far, "fuel_model=GR1&wind_speed=2&wind_direction=0")["terrain"].(map[string]any); tr["source"] != "dem" || tr["slope"] != 0.0 ||
		!strings.Contains(fmt.Sprint(tr["note"]), "elevation 500") {
		t.Errorf("terrain from the lon/lat DEM: %v", tr)
	}
	// West wind and an upslope to the east push the same way.
	if d := doc["spread"].(map[string]any)["direction"].(float64); math.Abs(d-90) > 0.5 {
		t.Errorf("direction %v, want 90", d)
	}
	// Wang's model on the same ground and weather.
	wang := c.spread(t, id, "fuel_model=SH5&model=wang")
	if s := wang["spread"].(map[string]any); s["model"] != "wang" || math.Abs(s["direction"].(float64)-90) > 0.5 || s["head_rate"].(float64) <= s["back_rate"].(float64) {
		t.Errorf("wang: %v", s)
	}
	c.spread(t, id, "fuel_model=SH5") // back to Rothermel for what follows

	// The sensor reports a south wind: the spread is recomputed by itself, heading north.
	observe(6, 180)
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM command.fire_perimeter WHERE incident_id = $1 AND weather->>'wind_direction' = '180'
			AND model->>'model' = 'rothermel'`, id) == 3
	})
	// The fire is moved 1 km north: recomputed around its new place.
	mustExec(t, c.pool, `UPDATE command.incident SET geom = ST_SetSRID(ST_MakePoint($1, $2), 4490) WHERE id = $3`, fireLon, fireLat+0.009, id)
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM command.fire_perimeter WHERE incident_id = $1 AND hours = 1
			AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($2, $3), 4490))`, id, fireLon, fireLat+0.009) == 1
	})
}

// TestFireSpreadBadInput: every bad request is a problem naming what is wrong.
func TestFireSpreadBadInput(t *testing.T) {
	c := newCity(t)
	id := c.reportFire(t, fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, fireLon, fireLat))
	get := func(path string) response { t.Helper(); return c.do(t, "GET", path, c.operator, "") }
	ok := fmt.Sprintf("/command/fires/%d/spread?wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=8", id)

	c.get(t, ok).problem(t, 401)
	get("/command/fires/999999/spread?wind_speed=5&wind_direction=270&fuel_model=GR2").problem(t, 404)
	get("/command/fires/abc/spread").problem(t, 404)
	hazmat := c.do(t, "POST", "/command/incidents", c.operator, `{"type":"hazmat","title":"危化品车辆泄漏","geometry":{"type":"Point","coordinates":[119.95,37.15]}}`).json(t)
	if p := get(fmt.Sprintf("/command/fires/%v/spread?wind_speed=5&wind_direction=270&fuel_model=GR2", hazmat["id"])).problem(t, 400); !strings.Contains(p.Detail, "not a forest_fire") {
		t.Errorf("a hazmat incident: %s", p.Detail)
	}
	nowhere := c.do(t, "POST", "/command/incidents", c.operator, `{"type":"forest_fire","title":"群众报火(位置不详)"}`).json(t)
	if p := get(fmt.Sprintf("/command/fires/%v/spread?wind_speed=5&wind_direction=270&fuel_model=GR2", nowhere["id"])).problem(t, 400); !strings.Contains(p.Detail, "no position") {
		t.Errorf("a fire without a position: %s", p.Detail)
	}
	for _, c2 := range []struct {
		query, param, says string
	}{
		{"fuel_model=GR2&moisture=8", "wind_speed", "wind_direction"},                                   // no weather, no sensor
		{"wind_speed=5&fuel_model=GR2", "wind_direction", "direction"},                                  // half the wind
		{"wind_speed=5&wind_direction=270&fuel_model=XX9", "fuel_model", "GR1, GR2"},                    // unknown: the codes listed
		{"wind_speed=5&wind_direction=270&fuel_model=NB3", "fuel_model", "non-burnable"},                // non-burnable
		{"wind_speed=5&wind_direction=270", "fuel_model", "no fuel layer"},                              // none, and no fuel layer
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=80", "moisture", "1 to 60"},           // out of range
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=wet", "moisture", "not a number"},     // not a number
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&moisture=40", "moisture", "does not burn"},     // past extinction
		{"wind_speed=500&wind_direction=270&fuel_model=GR2", "wind_speed", "0 to 60"},                   // a hurricane
		{"wind_speed=5&wind_direction=400&fuel_model=GR2", "wind_direction", "0 to 360"},                //
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&moisture_herb=5", "moisture_herb", "30 to"},    //
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&slope=30%25", "aspect", "faces"},               // slope without aspect
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&slope=steep&aspect=90", "slope", "percentage"}, //
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&model=mcarthur", "model", "rothermel or wang"}, //
		{"wind_speed=5&wind_direction=270&fuel_model=GR2&model=wang&humidity=140", "humidity", "0 to 100"},
		{"wind_speed=1&wind_direction=270&fuel_model=GR2&model=wang&humidity=100&temperature=-10", "model", "R0"},
	} {
		p := get(fmt.Sprintf("/command/fires/%d/spread?%s", id, c2.query)).problem(t, 400)
		if p.Parameter != c2.param || !strings.Contains(p.Detail, c2.says) {
			t.Errorf("?%s: parameter %q, detail %q; want %s saying %q", c2.query, p.Parameter, p.Detail, c2.param, c2.says)
		}
	}
	if n := c.count(t, `SELECT count(*) FROM command.fire_perimeter`); n != 0 {
		t.Errorf("refused requests stored %d perimeters", n)
	}
	// A slope given as a percentage, with its aspect, on ground without a DEM.
	doc := c.spread(t, id, "wind_speed=0&wind_direction=0&fuel_model=TU1&moisture=6&slope=30%25&aspect=90")
	if tr := doc["terrain"].(map[string]any); tr["source"] != "request" || math.Abs(tr["slope"].(float64)-16.70) > 0.01 ||
		math.Abs(doc["spread"].(map[string]any)["direction"].(float64)-270) > 1e-6 {
		t.Errorf("slope from the request: %v, direction %v", tr, doc["spread"].(map[string]any)["direction"])
	}
}

// TestFireSpreadFuelLayer: with command.fuel_layer set, a fire inside one of its polygons takes
// that polygon's fuel model; a fire outside every one, with no fuel model asked, is refused.
func TestFireSpreadFuelLayer(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	mustExec(t, c.pool, `CREATE TABLE basemap.fuel (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, fuel_model text,
		geom geometry(Polygon, 4490) NOT NULL, geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED)`)
	mustExec(t, c.pool, `INSERT INTO basemap.fuel (fuel_model, geom) VALUES ('TL8', ST_MakeEnvelope($1 - 0.01, $2 - 0.01, $1 + 0.01, $2 + 0.01, 4490))`, fireLon, fireLat)
	mustExec(t, c.pool, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type, properties)
		VALUES ('basemap.fuel', '可燃物类型', 'Fuel models', 'reference', 'basemap', 'fuel', 'Polygon',
		'[{"name":"fuel_model","title_zh":"燃料模型","title_en":"Fuel model","type":"string"}]')`)
	if err := c.catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	fires := command.NewFireSpread(c.pool, nil, c.catalog, command.Config{FuelLayer: "basemap.fuel"}, nil)
	in := c.reportFire(t, fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, fireLon, fireLat))
	w, d := 4.0, 90.0
	res, err := fires.Spread(ctx, in, command.SpreadRequest{WindSpeed: &w, WindDirection: &d}, "test")
	if err != nil || res.Spread.FuelModel != "TL8" || res.FuelSource != "layer basemap.fuel" || res.Weather.MoistureSource != "default" {
		t.Fatalf("a fire in the fuel layer: %v %+v", err, res)
	}
	out := c.reportFire(t, fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, fireLon+0.05, fireLat))
	if _, err := fires.Spread(ctx, out, command.SpreadRequest{WindSpeed: &w, WindDirection: &d}, "test"); err == nil ||
		!strings.Contains(err.Error(), "outside the fuel layer basemap.fuel") || !strings.Contains(err.Error(), "fuel_model") {
		t.Errorf("a fire outside the fuel layer: %v", err)
	}
	if res, err := fires.Spread(ctx, out, command.SpreadRequest{FuelModel: "GR1", WindSpeed: &w, WindDirection: &d}, "test"); err != nil || res.Spread.FuelModel != "GR1" {
		t.Errorf("the same fire with a fuel model: %v", err)
	}
}
