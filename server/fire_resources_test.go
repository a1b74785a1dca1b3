package server

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
)

// haversine metres, as the fire command measures (good to 0.5% here).
func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	la1, la2 := lat1*math.Pi/180, lat2*math.Pi/180
	dla, dlo := la2-la1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// fireCity is the fixture city with the fire command's layers (water sources, depots, firebreaks,
// villages, shelters), a fire team on 府前西街, one on the lone 光州街, a watchtower and a camera.
func fireCity(t *testing.T) *city {
	t.Helper()
	c := newCity(t)
	ctx := context.Background()
	for _, l := range []struct{ table, title, cols, geom, rows string }{
		{"water_sources", "消防水源", "name text, capacity_m3 real", "Point", `('文化东路消防栓', 0, 'POINT(119.9450 37.1837)'), ('南阳河取水点', 5000, 'POINT(119.9300 37.1700)')`},
		{"fire_depots", "防火物资库", "name text", "Point", `('城区物资库', 'POINT(119.9398 37.1795)')`},
		{"firebreaks", "防火隔离带", "name text", "LineString", `('东山隔离带', 'LINESTRING(119.9480 37.1820, 119.9480 37.1860)')`},
		{"villages", "村庄", "name text, population integer", "Point", `('东山村', 420, 'POINT(119.9468 37.1838)'), ('后山村', 180, 'POINT(119.9420 37.1850)'), ('远村', 90, 'POINT(119.9400 37.1900)')`},
		{"shelters", "避险场所", "name text, capacity integer", "Point", `('府前广场', 2000, 'POINT(119.9396 37.1797)'), ('山脚学校', 500, 'POINT(119.9460 37.1836)')`},
	} {
		mustExec(t, c.pool, fmt.Sprintf(`CREATE TABLE reference.%s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %s,
			geom geometry(%s, 4490) NOT NULL, geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED)`, l.table, l.cols, l.geom))
		cols := "name, capacity_m3"
		switch l.table {
		case "fire_depots", "firebreaks":
			cols = "name"
		case "villages":
			cols = "name, population"
		case "shelters":
			cols = "name, capacity"
		}
		rows := strings.ReplaceAll(l.rows, "'POINT", "ST_GeomFromText('POINT")
		rows = strings.ReplaceAll(rows, "'LINESTRING", "ST_GeomFromText('LINESTRING")
		rows = strings.ReplaceAll(rows, ")')", ")', 4490))")
		mustExec(t, c.pool, fmt.Sprintf(`INSERT INTO reference.%s (%s, geom) VALUES %s`, l.table, cols, rows))
		mustExec(t, c.pool, `INSERT INTO catalog.layer (id, title_zh, title_en, theme, schema_name, table_name, geometry_type, properties)
			VALUES ($1, $2, $3, 'reference', 'reference', $3, $4, '[{"name":"name","title_zh":"名称","title_en":"Name","type":"string"}]')`,
			"reference."+l.table, l.title, l.table, l.geom)
	}
	if err := c.catalog.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if p := c.catalog.Current().Problems; len(p) > 0 {
		t.Fatalf("catalog problems: %v", p)
	}
	view := 45.0
	tlon, tlat, clon, clat := 119.9470, 37.1860, 119.9420, 37.1836
	reg := live.NewRegistry(c.pool)
	for _, d := range []live.Device{
		{ID: "013805350001", Kind: live.KindTeam, VehicleKind: "fire_team", Name: "森林消防一中队"},
		{ID: "013805350002", Kind: live.KindTeam, VehicleKind: "fire_team", Name: "森林消防二中队"},
		{ID: "013805350003", Kind: live.KindTeam, VehicleKind: "patrol", Name: "巡逻队"},
		{ID: "tower-01", Kind: live.KindCamera, Name: "森林防火瞭望塔1号", Lon: &tlon, Lat: &tlat, ViewDirection: &view, StreamURL: "rtsp://media/tower-01"},
		{ID: "cam-001", Kind: live.KindCamera, Name: "路口视频监控001", Lon: &clon, Lat: &clat, StreamURL: "rtsp://media/cam-001"},
	} {
		if err := reg.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pos := func(id string, lon, lat float64) live.Change {
		return live.Change{Type: live.ChangePosition, Object: id, Time: now, Source: "http", Position: &live.Position{Lon: lon, Lat: lat}}
	}
	if err := c.hub.Accept(ctx, []live.Change{
		pos("013805350001", 119.9395, 37.1800), // on 府前西街, south of 文化东路
		pos("013805350002", 119.9325, 37.1750), // on 光州街, which meets no other road
		pos("013805350003", 119.9400, 37.1835), // not a fire team
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func reportFire(t *testing.T, c *city, typ string, lon, lat float64) int64 {
	t.Helper()
	r := c.do(t, "POST", "/command/incidents", c.operator, fmt.Sprintf(`{"type":%q,"title":"东山林区起火","geometry":{"type":"Point","coordinates":[%v,%v]}}`, typ, lon, lat))
	if r.status != 201 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	return int64(r.json(t)["id"].(float64))
}

func byCategory(fs []map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, f := range fs {
		p := f["properties"].(map[string]any)
		out[p["category"].(string)] = append(out[p["category"].(string)], p)
	}
	return out
}

// TestFireResources: around a reported forest fire, every resource within the radius, nearest
// first; the fire team's ETA over the roads as computed by hand (府前西街 at 30 km/h, 文化东路 at
// 40 km/h, then 71 m on foot at 4 km/h) with its route; the team on a road that meets no other has
// no ETA, and says so; the watchtower and the camera carry their stream and view direction.
func TestFireResources(t *testing.T) {
	c := fireCity(t)
	fireLon, fireLat := 119.9470, 37.1840
	id := reportFire(t, c, "forest_fire", fireLon, fireLat)
	path := fmt.Sprintf("/command/fires/%d/resources", id)
	c.get(t, path).problem(t, 401)
	r := c.do(t, "GET", path+"?radius=3000", c.operator, "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("resources: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	doc := r.json(t)
	fs := featuresOf(t, doc)
	last := -1.0
	for _, f := range fs {
		p := f["properties"].(map[string]any)
		d := p["distance_m"].(float64)
		if d < last {
			t.Errorf("not sorted by distance: %v after %v", p, last)
		}
		last = d
		for _, k := range []string{"id", "name", "distance_m", "category"} {
			if _, ok := p[k]; !ok {
				t.Errorf("%v lacks %s", p, k)
			}
		}
	}
	cat := byCategory(fs)
	count := func(k string) int { return len(cat[k]) }
	if count("team") != 2 || count("route") != 1 || count("water_source") != 2 || count("depot") != 1 || count("firebreak") != 1 ||
		count("watchtower") != 1 || count("camera") != 1 {
		t.Errorf("categories: %v", func() map[string]int {
			m := map[string]int{}
			for k, v := range cat {
				m[k] = len(v)
			}
			return m
		}())
	}
	want := team1ETA(fireLon, fireLat)
	for _, tm := range cat["team"] {
		switch tm["id"] {
		case "013805350001":
			if eta, _ := tm["eta_min"].(float64); math.Abs(eta-want) > want*0.01 {
				t.Errorf("team 1's ETA: %v min, want %.2f", tm["eta_min"], want)
			}
		case "013805350002":
			if tm["eta_min"] != nil || !strings.Contains(fmt.Sprint(tm["unreachable"]), "no road connects") {
				t.Errorf("the team on the lone road: %v", tm)
			}
		default:
			t.Errorf("not a fire team: %v", tm)
		}
	}
	if rt := cat["route"]; len(rt) == 1 && (rt[0]["team"] != "013805350001" || rt[0]["eta_min"] == nil) {
		t.Errorf("the route: %v", rt[0])
	}
	for _, f := range fs {
		if p := f["properties"].(map[string]any); p["category"] == "route" {
			g := f["geometry"].(map[string]any)
			coords := g["coordinates"].([]any)
			if g["type"] != "LineString" || len(coords) < 4 {
				t.Errorf("the route's geometry: %v", g)
			}
			start, end := coords[0].([]any), coords[len(coords)-1].([]any)
			if start[0] != 119.9395 || start[1] != 37.18 || end[0] != fireLon || end[1] != fireLat {
				t.Errorf("the route runs %v → %v, want from the team to the fire", start, end)
			}
		}
	}
	if w := cat["watchtower"]; len(w) == 1 && (w[0]["stream_url"] != "rtsp://media/tower-01" || w[0]["view_direction"] != 45.0) {
		t.Errorf("the watchtower: %v", w[0])
	}
	if cm := cat["camera"]; len(cm) == 1 && (cm[0]["stream_url"] != "rtsp://media/cam-001" || cm[0]["view_direction"] != nil) {
		t.Errorf("the camera: %v", cm[0])
	}
	if notes := fmt.Sprint(doc["notes"]); !strings.Contains(notes, "森林消防二中队") {
		t.Errorf("the notes do not say which team cannot get there: %s", notes)
	}
	// A smaller radius: only what is within it.
	for _, f := range featuresOf(t, c.do(t, "GET", path+"?radius=300", c.operator, "").json(t)) {
		if p := f["properties"].(map[string]any); p["distance_m"].(float64) > 300 {
			t.Errorf("beyond 300 m: %v", p)
		}
	}
}

// team1ETA is fire team 1's ETA in minutes to lon, lat, by hand: 府前西街 from 37.1800 up to 文化东路
// (37.1835) at 30 km/h, 文化东路 east to its end (119.9465) at 40 km/h, then on foot at 4 km/h.
func team1ETA(lon, lat float64) float64 {
	north := haversine(119.9395, 37.1800, 119.9395, 37.1835)
	east := haversine(119.9395, 37.1835, 119.9465, 37.1835)
	foot := haversine(119.9465, 37.1835, lon, lat)
	return (north/(30/3.6) + east/(40/3.6) + foot/(4/3.6)) / 60
}

// TestIncidentResources: around a hazmat leak, /command/incidents/{id}/resources answers as for a
// fire — the fire team's ETA over the roads to the leak, its route to 事发地, the cameras — while the
// fire routes keep to forest fires.
func TestIncidentResources(t *testing.T) {
	c := fireCity(t)
	lon, lat := 119.9470, 37.1840
	spill := reportFire(t, c, "hazmat", lon, lat)
	path := fmt.Sprintf("/command/incidents/%d/resources", spill)
	c.get(t, path).problem(t, 401)
	r := c.do(t, "GET", path+"?radius=3000", c.operator, "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("resources: %d %s", r.status, r.body)
	}
	cat := byCategory(featuresOf(t, r.json(t)))
	want := team1ETA(lon, lat)
	var eta float64
	for _, tm := range cat["team"] {
		if tm["id"] == "013805350001" {
			eta, _ = tm["eta_min"].(float64)
		}
	}
	if math.Abs(eta-want) > want*0.01 {
		t.Errorf("team 1's ETA to the leak: %v min, want %.2f", eta, want)
	}
	if rt := cat["route"]; len(rt) != 1 || rt[0]["name"] != "森林消防一中队 → 事发地" {
		t.Errorf("routes %v", rt)
	}
	if len(cat["camera"]) != 1 {
		t.Errorf("cameras %v", cat["camera"])
	}
	c.do(t, "GET", fmt.Sprintf("/command/fires/%d/resources", spill), c.operator, "").problem(t, 409)
	c.do(t, "GET", "/command/incidents/999999/resources", c.operator, "").problem(t, 404)
}

// TestFireEvacuation: villages inside the spread perimeters by the hour the fire reaches them,
// each with the nearest shelter over the roads outside the perimeters, the route there, and the
// first team against the fire (team_first); without perimeters, the villages within the radius.
func TestFireEvacuation(t *testing.T) {
	c := fireCity(t)
	id := reportFire(t, c, "forest_fire", 119.9470, 37.1840)
	// 0.02 h (72 s) reaches 东山村, 1 h 后山村 (and the school shelter), 远村 lies outside.
	box := func(x0, y0, x1, y1 float64) string {
		return fmt.Sprintf("POLYGON((%v %v, %v %v, %v %v, %v %v, %v %v))", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
	}
	for _, p := range []struct {
		h    float64
		wkt  string
		desc string
	}{{0.02, box(119.9466, 37.1837, 119.9474, 37.1844), ""}, {0.5, box(119.9400, 37.1825, 119.9415, 37.1845), "a tongue west over 文化东路"},
		{1, box(119.9410, 37.1830, 119.9480, 37.1860), ""}, {2, box(119.9405, 37.1828, 119.9485, 37.1865), ""}} {
		mustExec(t, c.pool, `INSERT INTO command.fire_perimeter (incident_id, hours, geom) VALUES ($1, $2, ST_GeomFromText($3, 4490))`, id, p.h, p.wkt)
	}
	// A shelter north-east, off the road's end: slower to reach from 后山村 than 府前广场, but its way
	// keeps out of the half-hour perimeter that lies across 后山村's way west.
	mustExec(t, c.pool, `INSERT INTO reference.shelters (name, capacity, geom) VALUES ('东山广场', 800, ST_GeomFromText('POINT(119.9465 37.1870)', 4490))`)
	path := fmt.Sprintf("/command/fires/%d/evacuation", id)
	c.get(t, path).problem(t, 401)
	doc := c.do(t, "GET", path, c.operator, "").json(t)
	fs := featuresOf(t, doc)
	var villages []map[string]any
	routes := 0
	for _, f := range fs {
		p := f["properties"].(map[string]any)
		switch p["category"] {
		case "village":
			villages = append(villages, p)
		case "evacuation_route":
			routes++
			if g := f["geometry"].(map[string]any); g["type"] != "LineString" {
				t.Errorf("an evacuation route's geometry: %v", g)
			}
		default:
			t.Errorf("category %v", p["category"])
		}
	}
	if len(villages) != 2 || routes != 2 {
		t.Fatalf("%d villages and %d routes, want 2 and 2: %s", len(villages), routes, doc)
	}
	east, back := villages[0], villages[1]
	if east["name"] != "东山村" || east["arrival_hours"] != 0.02 || east["population"] != 420.0 || back["name"] != "后山村" || back["arrival_hours"] != 1.0 {
		t.Errorf("villages by arrival: %v, %v", east, back)
	}
	if east["shelter"] != "府前广场" || east["shelter_eta_min"] == nil {
		t.Errorf("东山村 evacuates to %v (%v min), want 府前广场 (the fastest; the school lies in the fire's path)", east["shelter"], east["shelter_eta_min"])
	}
	if back["shelter"] != "东山广场" || back["shelter_eta_min"].(float64) < 5 {
		t.Errorf("后山村 evacuates to %v (%v min), want 东山广场 (府前广场 is faster, through the half-hour perimeter)", back["shelter"], back["shelter_eta_min"])
	}
	for _, f := range fs {
		if p := f["properties"].(map[string]any); p["category"] == "evacuation_route" && p["through_fire_hours"] != nil {
			t.Errorf("a route through the fire: %v", p)
		}
	}
	for _, v := range villages {
		if v["first_team"] != "森林消防一中队" || v["first_team_eta_min"] == nil {
			t.Errorf("%s: first team %v in %v min", v["name"], v["first_team"], v["first_team_eta_min"])
		}
	}
	if east["team_first"] != false || back["team_first"] != true {
		t.Errorf("team first: 东山村 %v (fire in 1.2 min, team in %v), 后山村 %v (fire in 60 min)", east["team_first"], east["first_team_eta_min"], back["team_first"])
	}
	if !strings.Contains(fmt.Sprint(doc["notes"]), "山脚学校") {
		t.Errorf("notes: %v", doc["notes"])
	}
	// Without 东山广场 the only way runs through the half-hour perimeter, and says so.
	mustExec(t, c.pool, `DELETE FROM reference.shelters WHERE name = '东山广场'`)
	doc = c.do(t, "GET", path, c.operator, "").json(t)
	for _, f := range featuresOf(t, doc) {
		if p := f["properties"].(map[string]any); p["category"] == "evacuation_route" && p["village"] == back["id"] &&
			(p["shelter"] != east["shelter_id"] || p["through_fire_hours"] != 0.5) {
			t.Errorf("后山村's only way: %v", p)
		}
	}
	if !strings.Contains(fmt.Sprint(doc["notes"]), "后山村: every way to a shelter runs through the fire's 0.5-hour perimeter") {
		t.Errorf("notes: %v", doc["notes"])
	}

	// Another fire, no perimeter yet: the villages within the radius, arrival unknown.
	other := reportFire(t, c, "forest_fire", 119.9400, 37.1895)
	doc = c.do(t, "GET", fmt.Sprintf("/command/fires/%d/evacuation?radius=800", other), c.operator, "").json(t)
	names := []string{}
	for _, f := range featuresOf(t, doc) {
		if p := f["properties"].(map[string]any); p["category"] == "village" {
			names = append(names, p["name"].(string))
			if p["arrival_hours"] != nil || p["team_first"] != nil {
				t.Errorf("without a perimeter: %v", p)
			}
		}
	}
	if fmt.Sprint(names) != "[远村 后山村]" {
		t.Errorf("villages within 800 m, nearest first: %v", names)
	}
}

// TestFireBadInput: an unknown incident is 404, an incident that is no forest fire 409, a radius
// out of range or not a number 400, and with no roads the problem names the road layer.
func TestFireBadInput(t *testing.T) {
	c := fireCity(t)
	ctx := context.Background()
	fire := reportFire(t, c, "forest_fire", 119.9470, 37.1840)
	spill := reportFire(t, c, "hazmat", 119.9470, 37.1840)
	for _, route := range []string{"resources", "evacuation"} {
		get := func(path string) response { return c.do(t, "GET", path, c.operator, "") }
		get(fmt.Sprintf("/command/fires/999999/%s", route)).problem(t, 404)
		get(fmt.Sprintf("/command/fires/abc/%s", route)).problem(t, 404)
		if p := get(fmt.Sprintf("/command/fires/%d/%s", spill, route)).problem(t, 409); !strings.Contains(p.Detail, "not a forest_fire") {
			t.Errorf("a hazmat incident: %s", p.Detail)
		}
		for _, q := range []string{"0", "-5", "50001", "abc", "NaN"} {
			if p := get(fmt.Sprintf("/command/fires/%d/%s?radius=%s", fire, route, q)).problem(t, 400); p.Parameter != "radius" {
				t.Errorf("radius=%s: %+v", q, p)
			}
		}
	}
	mustExec(t, c.pool, `DELETE FROM basemap.road`)
	if err := c.fires.Network().MarkStale(ctx); err != nil {
		t.Fatal(err)
	}
	p := c.do(t, "GET", fmt.Sprintf("/command/fires/%d/resources", fire), c.operator, "").problem(t, 409)
	if !strings.Contains(p.Detail, "no road network") || !strings.Contains(p.Detail, "basemap.road") {
		t.Errorf("no roads: %s", p.Detail)
	}
}

// TestFireNetworkFollowsRoadEdits: a road drawn through the features API (an edit, announced on
// yitu_change) is in the road network within seconds, without a request asking: the team on the
// lone 光州街 can reach the fire once a road joins it to 府前西街.
func TestFireNetworkFollowsRoadEdits(t *testing.T) {
	c := fireCity(t)
	ctx := context.Background()
	id := reportFire(t, c, "forest_fire", 119.9470, 37.1840)
	wait := func(edges int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := c.fires.Network().State(ctx)
			if err == nil && st.BuiltAt != nil && !st.Stale && st.Edges == edges {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the network: %+v (%v), want %d edges", st, err, edges)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(4) // 文化东路, 府前西街 cut at their junction, 光州街
	road := `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.9350,37.1750],[119.9395,37.1795]]},
		"properties":{"name":"光州连接路","grade":"支路"}}`
	if r := c.do(t, "POST", "/collections/basemap.road/items", c.surveyor, road, "Content-Type", "application/geo+json"); r.status != 201 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	wait(5)
	for _, f := range featuresOf(t, c.do(t, "GET", fmt.Sprintf("/command/fires/%d/resources", id), c.operator, "").json(t)) {
		if p := f["properties"].(map[string]any); p["id"] == "013805350002" && p["eta_min"] == nil {
			t.Errorf("the team on 光州街 after the new road: %v", p)
		}
	}
}
