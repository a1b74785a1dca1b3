package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial"
)

// Roles of the watch routes.
const (
	// RoleEditor may draw and edit fences and rules.
	RoleEditor = "editor"
	// RoleOperator works the alarms: acknowledges them.
	RoleOperator = "operator"
)

func (s *Server) watchRoutes() []apiRoute {
	return []apiRoute{
		{method: "GET", path: "/live/fences", id: "getFences", summary: "Fences 电子围栏", responses: map[int]string{200: mediaGeoJSON}, handler: s.fences},
		{method: "POST", path: "/live/fences", id: "postFence", summary: "Create a fence (role editor) 新建围栏", body: mediaGeoJSON, responses: map[int]string{201: mediaGeoJSON, 400: "", 401: "", 403: ""}, handler: s.putFence},
		{method: "GET", path: "/live/fences/:id", id: "getFence", summary: "One fence 围栏", responses: map[int]string{200: mediaGeoJSON, 404: ""}, handler: s.fence},
		{method: "PUT", path: "/live/fences/:id", id: "putFence", summary: "Replace a fence (role editor) 修改围栏", body: mediaGeoJSON, responses: map[int]string{200: mediaGeoJSON, 400: "", 401: "", 403: "", 404: ""}, handler: s.putFence},
		{method: "DELETE", path: "/live/fences/:id", id: "deleteFence", summary: "Delete a fence (role editor) 删除围栏", responses: map[int]string{204: "", 401: "", 403: "", 404: ""}, handler: s.deleteFence},
		{method: "GET", path: "/live/rules", id: "getRules", summary: "Rules of device groups 预警规则", responses: map[int]string{200: mediaJSON}, handler: s.rules},
		{method: "POST", path: "/live/rules", id: "postRule", summary: "Create a group rule (role editor) 新建规则", body: mediaJSON, responses: map[int]string{201: mediaJSON, 400: "", 401: "", 403: ""}, handler: s.postRule},
		{method: "DELETE", path: "/live/rules/:id", id: "deleteRule", summary: "Delete a group rule (role editor) 删除规则", responses: map[int]string{204: "", 401: "", 403: "", 404: ""}, handler: s.deleteRule},
		{method: "GET", path: "/live/alarms", id: "getAlarms", summary: "Alarms, newest first 报警列表", params: []string{"state", "alarm-kind", "level", "bbox", "from", "to", "object", "alarm-limit"}, responses: map[int]string{200: mediaJSON, 400: ""}, handler: s.alarms},
		{method: "GET", path: "/live/alarms/:id", id: "getAlarm", summary: "One alarm with its timeline 报警详情", responses: map[int]string{200: mediaJSON, 404: ""}, handler: s.alarm},
		{method: "POST", path: "/live/alarms/:id/ack", id: "ackAlarm", summary: "Acknowledge an alarm (role operator) 确认报警", body: mediaJSON, responses: map[int]string{200: mediaJSON, 401: "", 403: "", 404: "", 409: ""}, handler: s.ackAlarm},
	}
}

func mayEdit(c *fiber.Ctx, what string) error {
	if p := principal(c); !p.Has(RoleEditor) && !p.Has(spatial.RoleAdmin) {
		return denied(p, what+" needs the role "+RoleEditor)
	}
	return nil
}

func (s *Server) canReadFences(c *fiber.Ctx) bool { return s.liveLayers(c)("live.fence") }

func (s *Server) fences(c *fiber.Ctx) error {
	if !s.canReadFences(c) {
		return denied(principal(c), "reading fences needs the read roles of layer live.fence")
	}
	list, err := s.deps.Watch.Store().Fences(c.UserContext())
	if err != nil {
		return err
	}
	fs := make([]any, len(list))
	for i, f := range list {
		fs[i] = f.Feature()
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendJSON(c, mediaGeoJSON, map[string]any{"type": "FeatureCollection", "features": fs})
}

func fenceID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return 0, spatial.NotFound("fence %q", c.Params("id"))
	}
	return id, nil
}

func (s *Server) fence(c *fiber.Ctx) error {
	id, err := fenceID(c)
	if err != nil {
		return err
	}
	if !s.canReadFences(c) {
		return spatial.NotFound("fence %d", id)
	}
	f, err := s.deps.Watch.Store().Fence(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendJSON(c, mediaGeoJSON, f.Feature())
}

// putFence creates (POST) or replaces (PUT) a fence.
func (s *Server) putFence(c *fiber.Ctx) error {
	if err := mayEdit(c, "drawing fences"); err != nil {
		return err
	}
	var id int64
	if c.Method() == fiber.MethodPut {
		var err error
		if id, err = fenceID(c); err != nil {
			return err
		}
	}
	ff, err := watch.ParseFenceFeature(c.Body())
	if err != nil {
		return err
	}
	var source *spatial.Layer
	if name := ff.Properties.SourceLayer; name != "" && s.deps.Catalog != nil {
		if l, ok := s.deps.Catalog.Current().Layer(name); ok && l.CanRead(principal(c)) {
			source = l
		}
	}
	f, err := s.deps.Watch.Store().PutFence(c.UserContext(), id, ff, principal(c).Subject, source)
	if err != nil {
		return err
	}
	if id == 0 {
		c.Status(fiber.StatusCreated)
		c.Location("/live/fences/" + strconv.FormatInt(f.ID, 10))
	}
	return sendJSON(c, mediaGeoJSON, f.Feature())
}

func (s *Server) deleteFence(c *fiber.Ctx) error {
	if err := mayEdit(c, "deleting fences"); err != nil {
		return err
	}
	id, err := fenceID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Watch.Store().DeleteFence(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) rules(c *fiber.Ctx) error {
	if principal(c).Subject == spatial.Anonymous.Subject {
		return denied(principal(c), "reading the rules needs signing in")
	}
	list, err := s.deps.Watch.Store().Rules(c.UserContext())
	if err != nil {
		return err
	}
	if list == nil {
		list = []watch.GroupRule{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"rules": list})
}

func (s *Server) postRule(c *fiber.Ctx) error {
	if err := mayEdit(c, "writing rules"); err != nil {
		return err
	}
	var g watch.GroupRule
	g.Enabled = true
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return spatial.Invalid("body", "not a rule {\"name\", \"rule\": {\"kind\": …}, \"applies_to\": {…}}: %v", err)
	}
	g.ID = 0
	id, err := s.deps.Watch.Store().PutRule(c.UserContext(), g, principal(c).Subject)
	if err != nil {
		return err
	}
	g.ID, g.CreatedBy = id, principal(c).Subject
	c.Status(fiber.StatusCreated)
	return c.JSON(g)
}

func (s *Server) deleteRule(c *fiber.Ctx) error {
	if err := mayEdit(c, "deleting rules"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return spatial.NotFound("rule %q", c.Params("id"))
	}
	if err := s.deps.Watch.Store().DeleteRule(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// placeAndPeriod reads the optional bbox, from and to of a list's filter.
func placeAndPeriod(c *fiber.Ctx) (bbox *[4]float64, from, to *time.Time, err error) {
	if v := c.Query("bbox"); v != "" {
		b, err := parseNumbers("bbox", v, 4, 4)
		if err != nil {
			return nil, nil, nil, err
		}
		bbox = &[4]float64{b[0], b[1], b[2], b[3]}
	}
	for _, t := range []struct {
		param string
		dst   **time.Time
	}{{"from", &from}, {"to", &to}} {
		if c.Query(t.param) != "" {
			v, err := parseTime(c, t.param, time.Time{})
			if err != nil {
				return nil, nil, nil, err
			}
			*t.dst = &v
		}
	}
	return bbox, from, to, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) alarms(c *fiber.Ctx) error {
	f := watch.AlarmFilter{States: splitList(c.Query("state")), Kinds: splitList(c.Query("kind")), Levels: splitList(c.Query("level")),
		Object: c.Query("object"), Layer: s.liveLayers(c)}
	for _, st := range f.States {
		if !slices.Contains([]string{"raised", "acknowledged", "cleared", "closed"}, st) {
			return spatial.Invalid("state", "%q: use raised, acknowledged, cleared or closed", st)
		}
	}
	for _, l := range f.Levels {
		if !slices.Contains([]string{"blue", "yellow", "orange", "red"}, l) {
			return spatial.Invalid("level", "%q: use blue, yellow, orange or red", l)
		}
	}
	var err error
	if f.BBox, f.From, f.To, err = placeAndPeriod(c); err != nil {
		return err
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return spatial.Invalid("limit", "%q: 1 to 1000", v)
		}
		f.Limit = n
	}
	list, err := s.deps.Watch.Store().Alarms(c.UserContext(), f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"alarms": list})
}

func (s *Server) alarm(c *fiber.Ctx) error {
	a, timeline, err := s.deps.Watch.Store().Alarm(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !s.liveLayers(c)(a.Layer) {
		return spatial.NotFound("alarm %q", a.ID)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"alarm": a, "timeline": timeline})
}

func (s *Server) ackAlarm(c *fiber.Ctx) error {
	p := principal(c)
	if !p.Has(RoleOperator) && !p.Has(spatial.RoleAdmin) {
		return denied(p, "acknowledging alarms needs the role "+RoleOperator)
	}
	a, _, err := s.deps.Watch.Store().Alarm(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !s.liveLayers(c)(a.Layer) {
		return spatial.NotFound("alarm %q", a.ID)
	}
	var body struct {
		Note string `json:"note"`
	}
	if b := bytes.TrimSpace(c.Body()); len(b) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return spatial.Invalid("body", "{\"note\": \"…\"}: %v", err)
		}
	}
	got, err := s.deps.Watch.Ack(c.UserContext(), a.ID, p.Subject, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(got)
}
