package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/spatial/auth"
)

// TestIncidentClosedLoop: an incident reported, accepted, dispatched (deadline by type), supervised,
// handled, resolved and evaluated, each by its role, with an immutable timeline; illegal transitions
// answer 409 naming the legal ones; of two concurrent transitions on one version one wins and the
// other is told; a duplicate is merged; an overdue incident is found by the filter.
func TestIncidentClosedLoop(t *testing.T) {
	c := newCity(t)
	ctx := context.Background()
	tokens := auth.New(c.pool)
	dept, _ := tokens.Create(ctx, "森林消防一中队", []string{"department"}, "", time.Hour)
	sup, _ := tokens.Create(ctx, "督办员", []string{"supervisor"}, "", time.Hour)

	c.get(t, "/command/incidents").problem(t, 401)
	report := `{"type":"forest_fire","title":"大基山林区起火","description":"瞭望塔发现烟点","geometry":{"type":"Point","coordinates":[119.95,37.15]}}`
	c.do(t, "POST", "/command/incidents", "", report).problem(t, 401)
	r := c.do(t, "POST", "/command/incidents", c.operator, report)
	if r.status != 201 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	in := r.json(t)
	id := int64(in["id"].(float64))
	if in["state"] != "reported" || fmt.Sprint(in["actions"]) != "[accept merge reject]" || in["created_by"] != "值班员" {
		t.Errorf("a new incident: %v", in)
	}
	path := fmt.Sprintf("/command/incidents/%d/transitions", id)
	act := func(token, body string) response { t.Helper(); return c.do(t, "POST", path, token, body) }

	act(c.planner, `{"action":"accept"}`).problem(t, 403)
	act(c.operator, `{"action":"fly"}`).problem(t, 400)
	if p := act(c.operator, `{"to":"dispatched","assignee":"一中队"}`).problem(t, 409); !strings.Contains(p.Detail, "legal now: accept (→ accepted), merge (→ merged), reject (→ rejected)") ||
		fmt.Sprint(p.Legal) != "[accepted merged rejected]" {
		t.Errorf("an illegal transition: %s, legal %v", p.Detail, p.Legal)
	}
	act(c.operator, `{"to":"burning"}`).problem(t, 400)
	act(c.operator, `{"to":"accepted","action":"reject"}`).problem(t, 400)
	if r := act(c.operator, `{"to":"accepted","note":"已核实","where":[119.94,37.18]}`); r.status != 200 || r.json(t)["state"] != "accepted" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	act(c.operator, `{"action":"dispatch"}`).problem(t, 400)
	if p := act(c.operator, fmt.Sprintf(`{"to":"dispatched","assignee":"一中队","deadline":%q}`, time.Now().Add(-time.Minute).Format(time.RFC3339))).problem(t, 400); p.Parameter != "deadline" || !strings.Contains(p.Detail, "past") {
		t.Errorf("a deadline in the past: %+v", p)
	}
	r = act(c.operator, `{"action":"dispatch","assignee":"森林消防一中队","note":"立即出动"}`)
	if r.status != 200 || r.json(t)["state"] != "dispatched" {
		t.Fatalf("dispatch: %d %s", r.status, r.body)
	}
	deadline, _ := time.Parse(time.RFC3339, r.json(t)["deadline"].(string))
	if d := time.Until(deadline); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("a forest fire's deadline is an hour after dispatch, got %v", d)
	}
	if r := act(sup, `{"action":"supervise","note":"请加快"}`); r.status != 200 || r.json(t)["supervised"] != true {
		t.Errorf("supervise: %d %s", r.status, r.body)
	}

	// Two department screens start handling at once, both from the version they saw.
	version := int(c.do(t, "GET", fmt.Sprintf("/command/incidents/%d", id), c.operator, "").json(t)["incident"].(map[string]any)["version"].(float64))
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() { codes[i] = act(dept, fmt.Sprintf(`{"action":"handle","version":%d}`, version)).status })
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Errorf("two concurrent transitions on one version: %v, want one 200 and one 409", codes)
	}
	act(dept, `{"action":"resolve","note":"明火已扑灭"}`)
	act(sup, `{"action":"evaluate"}`).problem(t, 400)
	if r := act(sup, `{"action":"evaluate","score":4}`); r.status != 200 || r.json(t)["state"] != "evaluated" || fmt.Sprint(r.json(t)["actions"]) != "[]" {
		t.Errorf("evaluate: %d %s", r.status, r.body)
	}
	if p := act(c.operator, `{"action":"accept"}`).problem(t, 409); !strings.Contains(p.Detail, "closed") {
		t.Errorf("an action on a closed incident: %s", p.Detail)
	}

	detail := c.do(t, "GET", fmt.Sprintf("/command/incidents/%d", id), c.operator, "").json(t)
	var steps []string
	for _, e := range detail["timeline"].([]any) {
		ev := e.(map[string]any)
		steps = append(steps, fmt.Sprintf("%s:%s", ev["action"], ev["actor"]))
	}
	if got := strings.Join(steps, " "); got != "report:值班员 accept:值班员 dispatch:值班员 supervise:督办员 handle:森林消防一中队 resolve:森林消防一中队 evaluate:督办员" {
		t.Errorf("the timeline: %s", got)
	}
	if _, err := c.pool.Exec(ctx, `UPDATE command.incident_event SET note = 'x'`); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("an event changed: %v", err)
	}

	// A duplicate merged; an overdue incident found.
	dup := c.do(t, "POST", "/command/incidents", c.operator, strings.Replace(report, "起火", "冒烟", 1)).json(t)
	dupPath := fmt.Sprintf("/command/incidents/%v/transitions", dup["id"])
	if r := c.do(t, "POST", dupPath, c.operator, fmt.Sprintf(`{"action":"merge","merged_into":%d}`, id)); r.status != 200 || r.json(t)["state"] != "merged" {
		t.Errorf("merge: %d %s", r.status, r.body)
	}
	late := c.do(t, "POST", "/command/incidents", c.operator, `{"type":"hazmat","title":"危化品车辆停靠禁停区"}`).json(t)
	latePath := fmt.Sprintf("/command/incidents/%v/transitions", late["id"])
	c.do(t, "POST", latePath, c.operator, `{"action":"accept"}`)
	// Dispatched three hours ago with a deadline an hour ago: the store's clock says when it acts.
	c.incidents.SetClock(func() time.Time { return time.Now().Add(-3 * time.Hour) })
	c.do(t, "POST", latePath, c.operator, fmt.Sprintf(`{"action":"dispatch","assignee":"交警大队","deadline":%q}`, time.Now().Add(-time.Hour).Format(time.RFC3339)))
	c.incidents.SetClock(time.Now)
	list := c.do(t, "GET", "/command/incidents?overdue=true", c.operator, "").json(t)["incidents"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != late["id"] || list[0].(map[string]any)["overdue"] != true {
		t.Errorf("overdue incidents: %v", list)
	}
	if n := len(c.do(t, "GET", "/command/incidents?type=forest_fire&state=evaluated,merged", c.operator, "").json(t)["incidents"].([]any)); n != 2 {
		t.Errorf("%d forest fire incidents evaluated or merged, want 2", n)
	}
}
