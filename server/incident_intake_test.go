package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
)

// TestIncidentFromAlarm: a hazmat truck's emergency button, a real JT/T 808 frame over TCP, raises
// an alarm that the intake makes a hazmat incident of; the operator's map gets the incident over
// the push (an anonymous map does not); the button pressed again after the alarm cleared attaches
// to the same open incident; the loop is carried on by state names through the API.
func TestIncidentFromAlarm(t *testing.T) {
	c := newCity(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const phone = "013912345678"
	if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: phone, Kind: live.KindVehicle, Plate: "鲁F12345", UN: "1203", Carrier: "莱州危运"}); err != nil {
		t.Fatal(err)
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	intake := command.NewIntake(c.incidents, command.DefaultConfig(), slog.New(slog.DiscardHandler))
	go intake.Run(ctx, c.hub.Stream())
	gw := jt808.NewGateway(jt808.Config{}, c.hub, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	term, err := jt808.DialTerminal(ctx, ln.Addr().String(), phone, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	if _, err := term.Login(jt808.Register{Plate: "鲁F12345", PlateColor: 2}, ""); err != nil {
		t.Fatal(err)
	}
	opMap, anonMap := c.dialWS(t, c.operator, ""), c.dialWS(t, "", "")
	subscribe(t, opMap, `{"bbox":[119.9,37.1,120.0,37.2]}`)
	subscribe(t, anonMap, `{"bbox":[119.9,37.1,120.0,37.2]}`)
	readWS(t, opMap, until("snapshot", ""))
	readWS(t, anonMap, until("snapshot", ""))

	at := time.Now().Add(-time.Minute).Truncate(time.Second) // a second apart: JT/T 808 times are in seconds
	press := func(alarm uint32) {
		t.Helper()
		at = at.Add(time.Second)
		if _, err := term.Send(jt808.Location{Alarm: alarm, Lat: 37150000, Lon: 119950000, Speed: 300, Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	press(1)
	ms := readWS(t, opMap, func(ms []pushMsg) bool {
		for _, m := range ms {
			if in, ok := m["incident"].(map[string]any); ok && m["type"] == "incident" && in["source"] == "alarm" {
				return true
			}
		}
		return false
	})
	var incident map[string]any
	for _, m := range ms {
		if in, ok := m["incident"].(map[string]any); ok {
			incident = in
		}
	}
	if incident["type"] != "hazmat" || incident["state"] != "reported" || !strings.Contains(fmt.Sprint(incident["description"]), "承运单位 莱州危运，货物 UN1203") || incident["created_by"] != command.System || !strings.Contains(fmt.Sprint(incident["geometry"]), "119.95") {
		t.Errorf("the incident from the emergency alarm: %v", incident)
	}
	id := int64(incident["id"].(float64))

	// Released and pressed again: the alarm clears, a new one is raised and joins the same incident.
	waitFor(t, "the first alarm linked", func() bool {
		return c.count(t, `SELECT count(*) FROM command.incident_alarm WHERE incident_id = $1`, id) == 1
	})
	press(0)
	waitFor(t, "the alarm cleared", func() bool {
		return c.count(t, `SELECT count(*) FROM live.alarm WHERE kind = 'jt808_emergency' AND state = 'cleared'`) == 1
	})
	press(1)
	waitFor(t, "the second alarm attached", func() bool {
		return c.count(t, `SELECT count(*) FROM command.incident_alarm WHERE incident_id = $1`, id) == 2
	})
	if n := c.count(t, `SELECT count(*) FROM command.incident`); n != 1 {
		t.Errorf("%d incidents from one condition, want 1", n)
	}

	// The anonymous map saw the alarm's position but no incident.
	_ = anonMap.SetReadDeadline(time.Now().Add(time.Second))
	for {
		_, data, err := anonMap.ReadMessage()
		if err != nil {
			break
		}
		if bytes.Contains(data, []byte(`"type":"incident"`)) {
			t.Fatal("an anonymous map got an incident")
		}
	}

	path := fmt.Sprintf("/command/incidents/%d", id)
	act := func(token, body string) response {
		t.Helper()
		return c.do(t, "POST", path+"/transitions", token, body)
	}
	if r := act(c.operator, `{"to":"accepted","note":"已电话核实"}`); r.json(t)["state"] != "accepted" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if r := act(c.operator, `{"to":"dispatched","assignee":"消防救援大队"}`); r.json(t)["state"] != "dispatched" {
		t.Fatalf("dispatch: %d %s", r.status, r.body)
	}
	var steps []string
	for _, e := range c.do(t, "GET", path, c.operator, "").json(t)["timeline"].([]any) {
		ev := e.(map[string]any)
		steps = append(steps, fmt.Sprint(ev["action"], ":", ev["actor"]))
	}
	if got := strings.Join(steps, " "); got != "report:系统 attach:系统 accept:值班员 dispatch:值班员" {
		t.Errorf("the timeline: %s", got)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIncidentAttachments: a signed-in caller attaches files to an incident as a raw body or a
// multipart upload; they are listed, noted in the timeline and downloaded byte for byte; HTML is
// only ever a download; an anonymous caller, an empty file, an unknown incident and a body over
// the limit are refused.
func TestIncidentAttachments(t *testing.T) {
	c := newCity(t)
	in := c.do(t, "POST", "/command/incidents", c.operator, `{"type":"sensor","title":"井盖倾斜","geometry":{"type":"Point","coordinates":[119.95,37.18]}}`).json(t)
	base := fmt.Sprintf("%s/command/incidents/%v/attachments", c.base, in["id"])
	send := func(token, url, contentType string, body []byte) (int, []byte, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header
	}
	photo := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{7}, 5000)...)
	if code, body, _ := send(c.operator, base+"?name="+"现场照片.jpg", "application/octet-stream", photo); code != 201 || !strings.Contains(string(body), `"media_type":"image/jpeg"`) {
		t.Fatalf("a raw upload: %d %s", code, body)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", `C:\报告\处置报告.html`)
	fw.Write([]byte("<script>alert(1)</script>"))
	mw.Close()
	code, body, _ := send(c.operator, base, mw.FormDataContentType(), form.Bytes())
	if code != 201 || !strings.Contains(string(body), `"name":"处置报告.html"`) {
		t.Fatalf("a multipart upload: %d %s", code, body)
	}
	if code, _, _ := send("", base+"?name=x.txt", "text/plain", []byte("x")); code != 401 {
		t.Errorf("an anonymous upload: %d", code)
	}
	if code, _, _ := send(c.operator, base+"?name=x.txt", "text/plain", nil); code != 400 {
		t.Errorf("an empty file: %d", code)
	}
	if code, _, _ := send(c.operator, fmt.Sprintf("%s/command/incidents/99999/attachments?name=x.txt", c.base), "text/plain", []byte("x")); code != 404 {
		t.Errorf("an unknown incident: %d", code)
	}
	if code, _, _ := send("", base+"?name=big.bin", "application/octet-stream", make([]byte, 2<<20)); code != 413 && code != 401 {
		t.Errorf("an anonymous 2 MiB body: %d", code)
	}

	list := c.do(t, "GET", strings.TrimPrefix(base, c.base), c.operator, "").json(t)["attachments"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d attachments listed, want 2", len(list))
	}
	get := func(a any) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/%v", base, a.(map[string]any)["id"]), nil)
		req.Header.Set("Authorization", "Bearer "+c.operator)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get(list[0])
	if !bytes.Equal(b, photo) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("the photo: %d bytes, %v", len(b), resp.Header)
	}
	resp, _ = get(list[1])
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("HTML is not only a download: %v", resp.Header)
	}
	var steps []string
	for _, e := range c.do(t, "GET", fmt.Sprintf("/command/incidents/%v", in["id"]), c.operator, "").json(t)["timeline"].([]any) {
		steps = append(steps, fmt.Sprint(e.(map[string]any)["action"]))
	}
	if fmt.Sprint(steps) != "[report attach attach]" {
		t.Errorf("the timeline: %v", steps)
	}
}

// TestCompoundRisk: a fire whose spread perimeters (command.fire_perimeter) reach an approved hazmat
// route (a corridor fence) and a tailings dam (its sensors' place) raises one red alarm for each,
// which joins the fire's own incident instead of making new ones; when the newest perimeters no
// longer reach them, the alarms clear.
func TestCompoundRisk(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	fire := c.do(t, "POST", "/command/incidents", c.operator, `{"type":"forest_fire","title":"大基山火情","geometry":{"type":"Point","coordinates":[119.95,37.15]}}`).json(t)
	id := int64(fire["id"].(float64))
	if r := c.do(t, "POST", "/live/fences", c.editor, `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[119.90,37.16],[120.00,37.16]]},
		"properties":{"name":"G206 危化品通行路线","width_m":50,"rules":[{"kind":"off_route"}],"applies_to":{"kinds":["vehicle"]}}}`); r.status != 201 {
		t.Fatalf("the route: %d %s", r.status, r.body)
	}
	for i, lon := range []float64{119.951, 119.952} {
		if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: fmt.Sprint("dam-", i), Kind: live.KindSensor, SensorKind: "saturation_line",
			Group: "1号尾矿库", Lon: &lon, Lat: ptr(37.135)}); err != nil {
			t.Fatal(err)
		}
	}
	// Perimeters as the spread writes them: +1 h reaches the route (37.16), +2 h the dam (37.135).
	perimeter := func(hours, r float64) {
		mustExec(t, c.pool, `INSERT INTO command.fire_perimeter (incident_id, hours, geom) VALUES ($1, $2, ST_MakeEnvelope(119.95 - $3::float8, 37.15 - $3::float8, 119.95 + $3::float8, 37.15 + $3::float8, 4490))
			ON CONFLICT (incident_id, hours) DO UPDATE SET geom = EXCLUDED.geom`, id, hours, r)
	}
	perimeter(1, 0.012)
	perimeter(2, 0.02)
	intake := command.NewIntake(c.incidents, command.DefaultConfig(), slog.New(slog.DiscardHandler))
	intake.UseAlarms(c.watch)
	pass := func() {
		t.Helper()
		if err := intake.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.watch.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass()
	alarms := c.do(t, "GET", "/live/alarms?kind=compound", c.operator, "").json(t)
	var titles []string
	for _, a := range alarms["alarms"].([]any) {
		titles = append(titles, a.(map[string]any)["title"].(string))
	}
	if len(titles) != 2 || !strings.Contains(strings.Join(titles, "|"), "蔓延 1 小时内将到达危化品运输路线「G206 危化品通行路线」") ||
		!strings.Contains(strings.Join(titles, "|"), "蔓延 2 小时内将到达尾矿库「1号尾矿库」") {
		t.Fatalf("compound alarms: %v", titles)
	}
	if n := len(c.do(t, "GET", "/live/alarms?kind=compound", "", "").json(t)["alarms"].([]any)); n != 0 {
		t.Errorf("an anonymous caller sees %d compound alarms", n)
	}
	pass() // the intake takes the alarms: they join the fire
	if n := c.count(t, `SELECT count(*) FROM command.incident`); n != 1 {
		t.Errorf("%d incidents, want the fire's alone", n)
	}
	if n := c.count(t, `SELECT count(*) FROM command.incident_alarm WHERE incident_id = $1`, id); n != 2 {
		t.Errorf("%d alarms attached to the fire, want 2", n)
	}
	// The wind turned: the newest perimeters reach neither.
	perimeter(1, 0.005)
	perimeter(2, 0.008)
	pass()
	if n := c.count(t, `SELECT count(*) FROM live.alarm WHERE kind = 'compound' AND state IN ('raised', 'acknowledged')`); n != 0 {
		t.Errorf("%d compound alarms still open after the perimeters drew back", n)
	}
}

func ptr[T any](v T) *T { return &v }
