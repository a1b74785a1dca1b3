package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/command"
)

// TestCommandStats: the cockpit's figures from incidents whose events happened at known times (the
// events inserted with chosen times: they are immutable once written), checked exactly: counts by
// state, overdue and supervised, the median, 90th percentile and longest time of each stage, the
// hourly series of the last day, open alarms by level and devices online by kind; the type, period
// and layer filters; anonymous callers are refused.
func TestCommandStats(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	store := command.NewStore(c.pool)

	// Incidents reported through the store, then taken through their stages by events at chosen
	// seconds after the report.
	type step struct {
		action, to string
		after      int // seconds after the report
	}
	incident := func(typ, title string, hoursAgo int, state string, steps ...step) int64 {
		t.Helper()
		in, err := store.Report(ctx, command.Report{Type: typ, Title: title}, "值班员")
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c.pool, `UPDATE command.incident SET created_at = now() - make_interval(hours => $2), state = $3 WHERE id = $1`, in.ID, hoursAgo, state)
		from := "reported"
		for _, s := range steps {
			mustExec(t, c.pool, `INSERT INTO command.incident_event (incident_id, action, from_state, to_state, actor, at)
				SELECT $1, $2, $3, $4, 'test', at + make_interval(secs => $5) FROM command.incident_event WHERE incident_id = $1 AND action = 'report'`,
				in.ID, s.action, from, s.to, s.after)
			from = s.to
		}
		return in.ID
	}
	incident("forest_fire", "A", 5, "evaluated", step{"accept", "accepted", 60}, step{"dispatch", "dispatched", 180}, step{"handle", "handling", 480},
		step{"resolve", "resolved", 1080}, step{"evaluate", "evaluated", 1380})
	incident("forest_fire", "B", 2, "resolved", step{"accept", "accepted", 120}, step{"dispatch", "dispatched", 420}, step{"handle", "handling", 600},
		step{"resolve", "resolved", 2400})
	overdue := incident("forest_fire", "C", 1, "dispatched", step{"accept", "accepted", 300}, step{"supervise", "accepted", 320}, step{"dispatch", "dispatched", 360})
	mustExec(t, c.pool, `UPDATE command.incident SET deadline = now() - interval '1 minute', supervised = true WHERE id = $1`, overdue)
	incident("forest_fire", "E", 1, "reported")
	incident("forest_fire", "F", 1, "rejected", step{"reject", "rejected", 45})
	incident("hazmat", "D", 1, "accepted", step{"accept", "accepted", 30})

	// Alarms of the live layers, and devices, some reporting lately.
	mustExec(t, c.pool, `INSERT INTO live.alarm (id, key, kind, object, layer, level, state, title, raised_at, updated_at) VALUES
		('a1', 'k1', 'enter', 'hz1', 'live.hazmat', 'red', 'raised', '进入禁行区', now() - interval '1 hour', now()),
		('a2', 'k2', 'threshold', 's1', 'live.sensor', 'orange', 'acknowledged', '水位超限', now() - interval '2 hours', now()),
		('a3', 'k3', 'threshold', 's2', 'live.sensor', 'yellow', 'cleared', '水位超限', now() - interval '2 hours', now()),
		('a4', 'k4', 'offline', 't1', 'live.team', 'red', 'raised', '离线', now() - interval '30 hours', now())`)
	mustExec(t, c.pool, `INSERT INTO live.device (id, kind, vehicle_kind) VALUES
		('hz1', 'vehicle', 'hazmat'), ('hz2', 'vehicle', 'hazmat'), ('s1', 'sensor', NULL), ('s2', 'sensor', NULL), ('cam1', 'camera', NULL), ('t1', 'team', NULL)`)
	mustExec(t, c.pool, `INSERT INTO live.object_state (id, kind, layer, time) VALUES
		('hz1', 'vehicle', 'live.hazmat', now() - interval '1 minute'), ('s1', 'sensor', 'live.sensor', now() - interval '1 hour'),
		('s2', 'sensor', 'live.sensor', now() - interval '30 seconds'), ('t1', 'team', 'live.team', now() - interval '2 minutes')`)

	get := func(query string) command.Stats {
		t.Helper()
		r := c.do(t, "GET", "/command/stats"+query, c.operator, "")
		if r.status != 200 {
			t.Fatalf("GET /command/stats%s: %d %s", query, r.status, r.body)
		}
		var st command.Stats
		if err := json.Unmarshal(r.body, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	stage := func(st command.Stats, name string) string {
		for _, s := range st.Stages {
			if s.Stage == name {
				if s.Count == 0 {
					return "0"
				}
				return fmt.Sprintf("%d %g %g %g", s.Count, *s.Median, *s.P90, *s.Max)
			}
		}
		return "missing"
	}

	c.get(t, "/command/stats").problem(t, 401)
	c.do(t, "GET", "/command/stats?layer=live.fence", c.operator, "").problem(t, 400)
	c.do(t, "GET", "/command/stats?from=yesterday", c.operator, "").problem(t, 400)

	fire := get("?type=forest_fire")
	if got := fmt.Sprint(fire.ByState); got != "map[accepted:0 dispatched:1 evaluated:1 handling:0 merged:0 rejected:1 reported:1 resolved:1]" {
		t.Errorf("forest fires by state: %s", got)
	}
	if fire.Total != 5 || fire.Open != 2 || fire.Overdue != 1 || fire.Supervised != 1 {
		t.Errorf("forest fires: total %d, open %d, overdue %d, supervised %d; want 5, 2, 1, 1", fire.Total, fire.Open, fire.Overdue, fire.Supervised)
	}
	// Each stage: count, median, p90 (interpolated), max, in seconds.
	for name, want := range map[string]string{
		"reported_accepted":   "3 120 264 300",    // 60, 120, 300
		"accepted_dispatched": "3 120 264 300",    // 120, 300, 60 (the supervision between does not end the stage)
		"dispatched_handling": "2 240 288 300",    // 300, 180
		"handling_resolved":   "2 1200 1680 1800", // 600, 1800
		"resolved_evaluated":  "1 300 300 300",
		"reported_resolved":   "2 1740 2268 2400", // 1080, 2400
	} {
		if got := stage(fire, name); got != want {
			t.Errorf("forest fires, stage %s: %s, want %s", name, got, want)
		}
	}
	if len(fire.Stages) != 6 || fire.Stages[0].Stage != "reported_accepted" || fire.Stages[5].Stage != "reported_resolved" {
		t.Errorf("the stages are not in the loop's order: %+v", fire.Stages)
	}

	all := get("")
	if all.Total != 6 || all.Open != 3 || all.ByState["accepted"] != 1 {
		t.Errorf("all incidents: total %d, open %d, accepted %d; want 6, 3, 1", all.Total, all.Open, all.ByState["accepted"])
	}
	if got := stage(all, "reported_accepted"); got != "4 90 246 300" { // 30, 60, 120, 300
		t.Errorf("all incidents, reported→accepted: %s", got)
	}

	// Created in the last three hours: A is out.
	recent := get("?type=forest_fire&from=" + url.QueryEscape(time.Now().Add(-3*time.Hour).Format(time.RFC3339)))
	if recent.Total != 4 || recent.ByState["evaluated"] != 0 || stage(recent, "reported_accepted") != "2 210 282 300" || stage(recent, "resolved_evaluated") != "0" {
		t.Errorf("forest fires of the last 3 hours: total %d, %v, reported→accepted %s, resolved→evaluated %s",
			recent.Total, recent.ByState, stage(recent, "reported_accepted"), stage(recent, "resolved_evaluated"))
	}

	// The last 24 hours, oldest first, ending with the current hour.
	if len(all.Hours) != 24 {
		t.Fatalf("%d hours, want 24", len(all.Hours))
	}
	hour := func(ago int) time.Time {
		var h time.Time
		if err := c.pool.QueryRow(ctx, `SELECT date_trunc('hour', now() - make_interval(hours => $1))`, ago).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h.UTC()
	}
	if last := all.Hours[23].Hour; !last.Equal(hour(0)) {
		t.Errorf("the last hour is %v, want %v", last, hour(0))
	}
	want := map[time.Time][2]int{hour(5): {1, 0}, hour(2): {1, 2}, hour(1): {4, 1}} // incidents, alarms
	sum := [2]int{}
	for _, h := range all.Hours {
		sum[0] += h.Incidents
		sum[1] += h.Alarms
		if w, ok := want[h.Hour]; ok && (h.Incidents != w[0] || h.Alarms != w[1]) {
			t.Errorf("hour %v: %d incidents, %d alarms; want %d, %d", h.Hour, h.Incidents, h.Alarms, w[0], w[1])
		}
	}
	if sum != [2]int{6, 3} { // the alarm raised 30 hours ago is not in the last day
		t.Errorf("the last 24 hours: %d incidents and %d alarms, want 6 and 3", sum[0], sum[1])
	}
	if fmt.Sprint(all.Alarms) != "{3 map[blue:0 orange:1 red:2 yellow:0]}" {
		t.Errorf("open alarms: %+v", all.Alarms)
	}
	if got := fmt.Sprint(all.Devices); got != "[{camera 1 0} {sensor 1 1} {team 1 0} {vehicle 1 1}]" {
		t.Errorf("devices (kind, online, offline): %s", got)
	}

	// Only the hazmat layer's alarms and devices; only hazmat incidents.
	hz := get("?type=hazmat&layer=live.hazmat")
	if hz.Total != 1 || hz.ByState["accepted"] != 1 || stage(hz, "reported_accepted") != "1 30 30 30" {
		t.Errorf("hazmat incidents: %d, %v, %s", hz.Total, hz.ByState, stage(hz, "reported_accepted"))
	}
	if fmt.Sprint(hz.Alarms) != "{1 map[blue:0 orange:0 red:1 yellow:0]}" || fmt.Sprint(hz.Devices) != "[{vehicle 1 1}]" {
		t.Errorf("the hazmat layer: alarms %+v, devices %v", hz.Alarms, hz.Devices)
	}
	n := 0
	for _, h := range hz.Hours {
		n += h.Alarms
	}
	if n != 1 {
		t.Errorf("%d hazmat alarms in the last day, want 1", n)
	}

	// Who the caller is, for the viewer's buttons.
	me := c.do(t, "GET", "/auth/me", c.operator, "").json(t)
	if me["subject"] != "值班员" || fmt.Sprint(me["roles"]) != "[operator]" || me["signed_in"] != true {
		t.Errorf("/auth/me: %v", me)
	}
	if me := c.get(t, "/auth/me").json(t); me["signed_in"] != false {
		t.Errorf("/auth/me anonymous: %v", me)
	}
}
