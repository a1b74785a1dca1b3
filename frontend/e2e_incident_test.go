package frontend_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial/auth"
)

// commandExpect is what the incident and cockpit script needs besides the city: a token for each role
// of the closed loop.
type commandExpect struct {
	expectations
	Operator   string `json:"operator"`   // 值班员: accepts and dispatches
	Department string `json:"department"` // 森林消防一中队: handles and resolves
	Supervisor string `json:"supervisor"` // 督办员: evaluates
}

// TestIncidentInBrowser runs the command side of the viewer (issue 15) in headless Chromium against a
// real `yitu serve`: an operator reports a forest fire by clicking the map and it is drawn there; the
// operator accepts and dispatches it, the fire team handles and resolves it, a supervisor evaluates
// it, each signed in with their own token and working only through the incident panel's buttons
// (each sees only the buttons of their role), and the timeline shows every step with its actor; an
// action made illegal meanwhile shows the server's 409 message naming the legal ones; the cockpit
// (/cockpit) renders its Chinese text and its figures and charts show what GET /command/stats says.
// The closed loop the browser drove is checked in the database afterwards.
func TestIncidentInBrowser(t *testing.T) {
	pool, base, exp := liveCity(t)
	ctx := context.Background()
	tokens := auth.New(pool)
	x := commandExpect{expectations: exp}
	for _, tk := range []struct {
		dst           *string
		subject, role string
	}{{&x.Operator, "值班员", "operator"}, {&x.Department, "森林消防一中队", "department"}, {&x.Supervisor, "督办员", "supervisor"}} {
		var err error
		if *tk.dst, err = tokens.Create(ctx, tk.subject, []string{tk.role}, "incident browser test", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	runBrowserScript(t, "e2e/incident.mjs", "incident", base, x)

	rows, err := pool.Query(ctx, `SELECT e.action || ':' || e.actor FROM command.incident i JOIN command.incident_event e ON e.incident_id = i.id
		WHERE i.title = '浏览器上报林区冒烟' AND i.type = 'forest_fire' AND GeometryType(i.geom) = 'POINT' ORDER BY e.id`)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := "report:值班员 accept:值班员 dispatch:值班员 handle:森林消防一中队 resolve:森林消防一中队 evaluate:督办员"
	if got := strings.Join(steps, " "); got != want {
		t.Errorf("the incident the browser reported went through %q, want %q", got, want)
	}
}
