package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWatchRoutes: fences drawn through /live/fences by an editor (refused for others, bad ones named),
// a truck entering one raises an alarm that /live/alarms lists with its evidence and timeline, an
// operator acknowledges it (twice is a conflict), the fence from a catalog layer's feature, group
// rules, and the engine following fence changes without restart.
func TestWatchRoutes(t *testing.T) {
	c := newCity(t)
	if r := c.do(t, "POST", "/live/devices", c.admin, `{"id":"013912345678","kind":"vehicle","plate":"鲁F12345","un":"1203","hazard_class":"3"}`); r.status != 201 {
		t.Fatalf("POST /live/devices: %d %s", r.status, r.body)
	}
	waitLive(t, func() bool { _, ok := c.hub.Device("013912345678"); return ok })

	fence := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.940,37.180],[119.946,37.180],[119.946,37.184],[119.940,37.184],[119.940,37.180]]]},
		"properties":{"name":"文化小区","rules":[{"kind":"enter","level":"red"},{"kind":"speed","max_kmh":20}],"applies_to":{"kinds":["vehicle"]}}}`
	c.do(t, "POST", "/live/fences", "", fence).problem(t, 401)
	c.do(t, "POST", "/live/fences", c.planner, fence).problem(t, 403)
	for _, bad := range []struct{ body, param string }{
		{`{"type":"Feature","geometry":{"type":"Point","coordinates":[119.94,37.18]},"properties":{"name":"x"}}`, "properties.radius_m"},
		{`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.94,37.18],[119.95,37.18]]},"properties":{"name":"x","rules":[{"kind":"off_route"}]}}`, "properties.width_m"},
		{`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.94,37.18],[119.95,37.18],[119.95,37.19],[119.94,37.18]]]},"properties":{"name":""}}`, "properties.name"},
		{`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.94,37.18],[119.95,37.18],[119.95,37.19],[119.94,37.18]]]},"properties":{"name":"x","rules":[{"kind":"teleport"}]}}`, "properties.rules[0]"},
		{`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.94,37.18],[119.95,37.18],[119.95,37.19],[119.94,37.18]]]},"properties":{"name":"x","rules":[{"kind":"threshold","levels":{"red":1}}]}}`, "properties.rules[0]"},
		{`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[119.94,37.18],[119.95,37.18],[119.95,37.19],[119.94,37.18]]]},"properties":{"name":"x","colour":"red"}}`, "body"},
	} {
		if p := c.do(t, "POST", "/live/fences", c.editor, bad.body).problem(t, 400); p.Parameter != bad.param {
			t.Errorf("parameter %q, want %q: %s", p.Parameter, bad.param, p.Detail)
		}
	}
	r := c.do(t, "POST", "/live/fences", c.editor, fence)
	if r.status != 201 {
		t.Fatalf("POST /live/fences: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"]
	if g := r.json(t)["geometry"].(map[string]any); g["crs"] != nil || g["type"] != "Polygon" {
		t.Errorf("a fence's geometry is plain GeoJSON (no crs member): %v", g)
	}
	circle := c.do(t, "POST", "/live/fences", c.editor, `{"type":"Feature","geometry":{"type":"Point","coordinates":[119.95,37.19]},
		"properties":{"name":"加油站","radius_m":200,"rules":[{"kind":"dwell","seconds":600}]}}`)
	if circle.status != 201 {
		t.Fatalf("a circle fence: %d %s", circle.status, circle.body)
	}
	fromLayer := c.do(t, "POST", "/live/fences", c.editor, `{"type":"Feature","geometry":null,
		"properties":{"name":"1号楼","source_layer":"basemap.building","source_id":"1","rules":[{"kind":"enter"}]}}`)
	if fromLayer.status != 201 || fromLayer.json(t)["geometry"].(map[string]any)["type"] != "MultiPolygon" {
		t.Fatalf("a fence from a building: %d %s", fromLayer.status, fromLayer.body)
	}
	c.do(t, "POST", "/live/fences", c.editor, `{"type":"Feature","geometry":null,"properties":{"name":"x","source_layer":"basemap.building","source_id":"999999"}}`).problem(t, 404)
	if n := len(featuresOf(t, c.getJSON(t, "/live/fences", mediaGeoJSON))); n != 3 {
		t.Errorf("%d fences listed, want 3", n)
	}
	// The engine follows the new fences (NOTIFY) without a restart.
	waitLive(t, func() bool {
		fs, _ := c.watch.Store().Fences(t.Context())
		return len(fs) == 3
	})

	// A truck driving into the zone too fast: an enter alarm and a speed alarm.
	var alarmID string
	waitLive(t, func() bool {
		push := fmt.Sprintf(`[{"id":"013912345678","time":%q,"lon":119.943,"lat":37.182,"speed":35}]`, time.Now().UTC().Format(time.RFC3339Nano))
		if r := c.do(t, "POST", "/live/positions", c.device, push); r.status != 202 {
			t.Fatalf("push: %d %s", r.status, r.body)
		}
		list := c.get(t, "/live/alarms?state=raised&kind=enter").json(t)["alarms"].([]any)
		if len(list) == 0 {
			return false
		}
		a := list[0].(map[string]any)
		alarmID = a["id"].(string)
		return a["object"] == "013912345678" && a["level"] == "red" && a["fence"] == id
	})
	speed := c.get(t, "/live/alarms?kind=speed&level=orange").json(t)["alarms"].([]any)
	if len(speed) != 1 {
		t.Errorf("%d speed alarms", len(speed))
	}
	detail := c.get(t, "/live/alarms/"+alarmID).json(t)
	a := detail["alarm"].(map[string]any)
	if ev := a["evidence"].([]any); len(ev) == 0 || ev[0].(map[string]any)["lon"] != 119.943 || !strings.Contains(a["title"].(string), "鲁F12345") {
		t.Errorf("the alarm: %v", a)
	}
	if tl := detail["timeline"].([]any); len(tl) != 1 || tl[0].(map[string]any)["event"] != "raised" {
		t.Errorf("its timeline: %v", tl)
	}
	c.get(t, "/live/alarms?state=burning").problem(t, 400)
	c.get(t, "/live/alarms?state=ack").problem(t, 400) // a part of a state's name is none
	c.get(t, "/live/alarms?level=e").problem(t, 400)

	// Acknowledge: an operator may, others may not; twice is a conflict naming the state.
	c.do(t, "POST", "/live/alarms/"+alarmID+"/ack", c.planner, `{"note":"x"}`).problem(t, 403)
	r = c.do(t, "POST", "/live/alarms/"+alarmID+"/ack", c.operator, `{"note":"已联系司机"}`)
	if r.status != 200 || r.json(t)["state"] != "acknowledged" || r.json(t)["ack_by"] != "值班员" {
		t.Fatalf("ack: %d %s", r.status, r.body)
	}
	if p := c.do(t, "POST", "/live/alarms/"+alarmID+"/ack", c.operator, `{}`).problem(t, 409); !strings.Contains(p.Detail, "acknowledged") {
		t.Errorf("a second ack: %s", p.Detail)
	}
	c.do(t, "POST", "/live/alarms/nope/ack", c.operator, `{}`).problem(t, 404)

	// Leaving the zone closes the acknowledged alarm.
	waitLive(t, func() bool {
		push := fmt.Sprintf(`[{"id":"013912345678","time":%q,"lon":119.960,"lat":37.182,"speed":15}]`, time.Now().UTC().Format(time.RFC3339Nano))
		c.do(t, "POST", "/live/positions", c.device, push)
		got := c.get(t, "/live/alarms/"+alarmID).json(t)["alarm"].(map[string]any)
		return got["state"] == "closed"
	})

	// Group rules.
	c.do(t, "POST", "/live/rules", c.planner, `{"name":"x","rule":{"kind":"offline","seconds":60}}`).problem(t, 403)
	if p := c.do(t, "POST", "/live/rules", c.editor, `{"name":"x","rule":{"kind":"enter"}}`).problem(t, 400); !strings.Contains(p.Detail, "fence") {
		t.Errorf("an enter rule without a fence: %s", p.Detail)
	}
	r = c.do(t, "POST", "/live/rules", c.editor, `{"name":"水位","rule":{"kind":"threshold","levels":{"yellow":2.5,"red":3.2}},"applies_to":{"sensor_kinds":["water_level"]}}`)
	if r.status != 201 {
		t.Fatalf("POST /live/rules: %d %s", r.status, r.body)
	}
	if rules := c.do(t, "GET", "/live/rules", c.operator, "").json(t)["rules"].([]any); len(rules) != 1 {
		t.Errorf("%d rules", len(rules))
	}

	// Replace and delete a fence.
	path := fmt.Sprintf("/live/fences/%v", id)
	r = c.do(t, "PUT", path, c.editor, strings.Replace(fence, "文化小区", "文化小区（扩）", 1))
	if r.status != 200 || r.json(t)["properties"].(map[string]any)["name"] != "文化小区（扩）" {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
	if r := c.do(t, "DELETE", path, c.editor, ""); r.status != 204 {
		t.Errorf("DELETE: %d", r.status)
	}
	c.get(t, path).problem(t, 404)
}
