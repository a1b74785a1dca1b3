package server

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLiveRoutes: devices registered through /live/devices (admin), positions and readings pushed
// over HTTP (device role), then read back: current objects by bbox and kind, one object, a track
// (GeoJSON and GPX), the state at a past time and a downsampled series; rights per layer.
func TestLiveRoutes(t *testing.T) {
	c := newCity(t)
	for _, body := range []string{
		`{"id":"013912345678","kind":"vehicle","plate":"鲁F12345","un":"1203","hazard_class":"3","carrier":"莱州危运"}`,
		`{"id":"013900000002","kind":"vehicle","plate":"鲁F00002","vehicle_kind":"patrol"}`,
		`{"id":"wl-001","kind":"sensor","sensor_kind":"water_level","unit":"m","lon":119.941,"lat":37.181}`,
	} {
		if r := c.do(t, "POST", "/live/devices", c.admin, body, "Content-Type", "application/json"); r.status != 201 {
			t.Fatalf("POST /live/devices: %d %s", r.status, r.body)
		}
	}
	c.do(t, "POST", "/live/devices", "", `{"id":"x","kind":"sensor"}`).problem(t, 401)
	c.do(t, "POST", "/live/devices", c.planner, `{"id":"x","kind":"sensor"}`).problem(t, 403)
	p := c.do(t, "POST", "/live/devices", c.admin, `{"id":"x y","kind":"sensor"}`).problem(t, 400)
	if p.Parameter != "id" {
		t.Errorf("a bad device id: parameter %q (%s)", p.Parameter, p.Detail)
	}
	waitLive(t, func() bool { _, ok := c.hub.Device("wl-001"); return ok }) // the registry reaches the hub by NOTIFY

	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var ndjson strings.Builder
	for i := range 30 {
		fmt.Fprintf(&ndjson, `{"id":"013912345678","time":%q,"lon":%.4f,"lat":37.1800,"speed":36.5,"heading":90}`+"\n",
			t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), 119.9400+float64(i)*0.0001)
	}
	r := c.do(t, "POST", "/live/positions", c.device, ndjson.String(), "Content-Type", "application/x-ndjson")
	if r.status != 202 || r.json(t)["accepted"] != float64(30) {
		t.Fatalf("POST /live/positions: %d %s", r.status, r.body)
	}
	r = c.do(t, "POST", "/live/positions", c.device, fmt.Sprintf(`[{"id":"013900000002","time":%q,"lon":119.95,"lat":37.19}]`, t0.Format(time.RFC3339)))
	if r.status != 202 {
		t.Fatalf("POST /live/positions (array): %d %s", r.status, r.body)
	}
	var obs strings.Builder
	obs.WriteString("[")
	for i := range 60 {
		if i > 0 {
			obs.WriteString(",")
		}
		fmt.Fprintf(&obs, `{"sensor":"wl-001","time":%q,"value":%d}`, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), i)
	}
	obs.WriteString("]")
	if r := c.do(t, "POST", "/live/observations", c.device, obs.String()); r.status != 202 {
		t.Fatalf("POST /live/observations: %d %s", r.status, r.body)
	}

	// Refusals name what is wrong; nothing of a refused request is taken.
	c.do(t, "POST", "/live/positions", "", `[{"id":"013912345678","lon":1,"lat":2}]`).problem(t, 401)
	c.do(t, "POST", "/live/positions", c.planner, `[{"id":"013912345678","lon":1,"lat":2}]`).problem(t, 403)
	if p := c.do(t, "POST", "/live/positions", c.device, `[{"id":"nobody","lon":119,"lat":37}]`).problem(t, 400); !strings.Contains(p.Detail, "nobody") {
		t.Errorf("unknown device: %s", p.Detail)
	}
	if p := c.do(t, "POST", "/live/positions", c.device, "{\"id\":\"013912345678\",\"lon\":119,\"lat\":37}\n{\"id\":\n").problem(t, 400); p.Parameter != "line 2" {
		t.Errorf("bad NDJSON: parameter %q, %s", p.Parameter, p.Detail)
	}
	if p := c.do(t, "POST", "/live/positions", c.device, `[{"id":"013912345678","lon":119,"lat":37},{"id":"013912345678","lon":919,"lat":37}]`).problem(t, 400); p.Parameter != "change 1" {
		t.Errorf("a bad second position: parameter %q, %s", p.Parameter, p.Detail)
	}
	if p := c.do(t, "POST", "/live/observations", c.device, `[{"sensor":"wl-001","valu":1}]`).problem(t, 400); !strings.Contains(p.Detail, "valu") {
		t.Errorf("an unknown field: %s", p.Detail)
	}

	// Now.
	doc := c.getJSON(t, "/live/objects?bbox=119.93,37.17,119.96,37.20&kind=vehicle", mediaGeoJSON)
	fs := featuresOf(t, doc)
	if len(fs) != 2 {
		t.Fatalf("vehicles in the box: %d", len(fs))
	}
	truck := fs[1]["properties"].(map[string]any) // by id: 013900000002, 013912345678
	if truck["id"] != "013912345678" || truck["kind"] != "vehicle" || truck["speed"] != 36.5 || truck["un"] != "UN1203" ||
		truck["time"] != t0.Add(29*time.Minute).Format(time.RFC3339) || truck["stale"] != true {
		t.Errorf("the truck: %v", truck)
	}
	if coords := fs[1]["geometry"].(map[string]any)["coordinates"].([]any); coords[0] != 119.9429 {
		t.Errorf("the truck is at %v", coords)
	}
	if fs := featuresOf(t, c.getJSON(t, "/live/objects?bbox=119.9,37.0,119.92,37.1", mediaGeoJSON)); len(fs) != 0 {
		t.Errorf("%d objects in an empty box", len(fs))
	}
	one := c.getJSON(t, "/live/objects/wl-001", mediaGeoJSON)
	if pr := one["properties"].(map[string]any); pr["value"] != float64(59) || pr["unit"] != "m" {
		t.Errorf("the sensor: %v", pr)
	}
	c.get(t, "/live/objects/nobody").problem(t, 404)
	if p := c.get(t, "/live/objects?kind=boat").problem(t, 400); p.Parameter != "kind" {
		t.Errorf("kind=boat: %+v", p)
	}
	c.get(t, "/live/objects?bbox=1,2,3").problem(t, 400)

	// History: wait for the batch to be written.
	waitLive(t, func() bool {
		return c.count(t, `SELECT count(*) FROM live.position WHERE object_id = '013912345678'`) == 30 &&
			c.count(t, `SELECT count(*) FROM live.observation`) == 60
	})
	q := url.Values{"from": {t0.Add(10 * time.Minute).Format(time.RFC3339)}, "to": {t0.Add(20 * time.Minute).Format(time.RFC3339)}}
	tr := featuresOf(t, c.getJSON(t, "/live/tracks/013912345678?"+q.Encode(), mediaGeoJSON))
	props := tr[0]["properties"].(map[string]any)
	if tr[0]["geometry"].(map[string]any)["type"] != "LineString" || props["count"] != float64(10) ||
		props["times"].([]any)[0] != t0.Add(10*time.Minute).Format(time.RFC3339) {
		t.Errorf("track: %v", props)
	}
	q.Set("f", "gpx")
	r = c.get(t, "/live/tracks/013912345678?"+q.Encode())
	var gpx struct {
		Points []struct {
			Lat  float64 `xml:"lat,attr"`
			Time string  `xml:"time"`
		} `xml:"trk>trkseg>trkpt"`
	}
	if err := xml.Unmarshal(r.body, &gpx); err != nil || r.header.Get("Content-Type") != "application/gpx+xml" || len(gpx.Points) != 10 || gpx.Points[0].Lat != 37.18 {
		t.Errorf("GPX: %v, %s, %d points", err, r.header.Get("Content-Type"), len(gpx.Points))
	}
	c.get(t, "/live/tracks/wl-001").problem(t, 400)
	c.get(t, "/live/tracks/013912345678?from=yesterday").problem(t, 400)

	at := featuresOf(t, c.getJSON(t, "/live/objects?at="+url.QueryEscape(t0.Add(15*time.Minute+30*time.Second).Format(time.RFC3339)), mediaGeoJSON))
	seen := map[string]map[string]any{}
	for _, f := range at {
		pr := f["properties"].(map[string]any)
		seen[pr["id"].(string)] = pr
	}
	if pr := seen["013912345678"]; pr == nil || pr["time"] != t0.Add(15*time.Minute).Format(time.RFC3339) {
		t.Errorf("the truck at T: %v", pr)
	}
	if pr := seen["wl-001"]; pr == nil || pr["value"] != float64(15) {
		t.Errorf("the sensor at T: %v", pr)
	}

	series := c.getJSON(t, "/live/observations/wl-001?points=6&from="+url.QueryEscape(t0.Format(time.RFC3339))+"&to="+url.QueryEscape(t0.Add(time.Hour).Format(time.RFC3339)), mediaJSON)
	pts := series["points"].([]any)
	if len(pts) != 6 || pts[0].(map[string]any)["value"] != 4.5 || series["unit"] != "m" {
		t.Errorf("series: %v", series)
	}

	// Rights: a restricted hazmat layer is invisible to those without its role.
	mustExec(t, c.pool, `UPDATE catalog.layer SET read_roles = '{planner}' WHERE id = 'live.hazmat'`)
	waitLive(t, func() bool {
		l, ok := c.catalog.Current().Layer("live.hazmat")
		return ok && strings.Join(l.ReadRoles, ",") == "planner"
	})
	anon := featuresOf(t, c.getJSON(t, "/live/objects", mediaGeoJSON))
	for _, f := range anon {
		if f["properties"].(map[string]any)["layer"] == "live.hazmat" {
			t.Error("an anonymous caller sees a hazmat truck")
		}
	}
	c.get(t, "/live/objects/013912345678").problem(t, 404)
	c.get(t, "/live/tracks/013912345678").problem(t, 404)
	r = c.do(t, "GET", "/live/objects/013912345678", c.planner, "")
	if r.status != 200 {
		t.Errorf("a planner reading the truck: %d", r.status)
	}
	devs := c.get(t, "/live/devices").json(t)["devices"].([]any)
	for _, d := range devs {
		if d.(map[string]any)["id"] == "013912345678" {
			t.Error("the device list shows an anonymous caller a hazmat truck")
		}
		if _, ok := d.(map[string]any)["auth_code"]; ok {
			t.Error("the device list shows an auth code")
		}
	}

	// Removing a device.
	c.do(t, "DELETE", "/live/devices/013900000002", c.planner, "").problem(t, 403)
	if r := c.do(t, "DELETE", "/live/devices/013900000002", c.admin, ""); r.status != 204 {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	c.do(t, "DELETE", "/live/devices/013900000002", c.admin, "").problem(t, 404)
}

func waitLive(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
