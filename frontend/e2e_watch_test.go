package frontend_test

import (
	"context"
	"testing"
)

// TestWatchInBrowser runs the watch side of the viewer (issue 14) in headless Chromium against a real
// `yitu serve` with live objects fed through the HTTP API: a link with place, bearing, layers and
// mode opens that view; a pushed position moves the truck with no polling of /live/objects (it
// arrives over the WebSocket); a fence violation raises an alarm that appears in the panel with a
// beep, and the acknowledgement from the panel is stored; an editor draws a polygon fence that GET
// /live/fences then holds; the replay at a past time shows the truck where it was then. The states
// the browser left are checked in the database afterwards.
func TestWatchInBrowser(t *testing.T) {
	pool, base, exp := liveCity(t)
	runBrowserScript(t, "e2e/watch.mjs", "watch", base, exp)
	ctx := context.Background()

	// What the page did is in the database: the fence it drew, the alarm it acknowledged.
	var fences int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.fence WHERE name = '浏览器绘制围栏' AND GeometryType(geom) = 'POLYGON' AND rules @> '[{"kind":"enter"}]'`).Scan(&fences); err != nil {
		t.Fatal(err)
	}
	if fences != 1 {
		t.Errorf("%d polygon fences named 浏览器绘制围栏 with an enter rule in live.fence, want 1", fences)
	}
	var state, by, note string
	err := pool.QueryRow(ctx, `SELECT a.state, coalesce(e.who, ''), coalesce(e.note, '') FROM live.alarm a JOIN live.alarm_event e ON e.alarm_id = a.id AND e.event = 'acknowledged'
		WHERE a.kind = 'enter' AND a.object = $1`, exp.Live.Truck.ID).Scan(&state, &by, &note)
	if err != nil {
		t.Fatalf("no acknowledged enter alarm of the truck in live.alarm: %v", err)
	}
	if state != "acknowledged" || note != "已派员核查" {
		t.Errorf("the truck's enter alarm is %s, acknowledged by %q with note %q", state, by, note)
	}
}
