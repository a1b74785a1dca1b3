package server

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/spatial"
)

// statsLayers are the live layers whose alarms and devices the cockpit counts.
var statsLayers = []string{"live.vehicle", "live.hazmat", "live.team", "live.sensor", "live.camera"}

// The cockpit's figures (GET /command/stats) and who the caller is (GET /auth/me, for the viewer to
// offer only the actions the caller's roles allow).
func (s *Server) registerCommandStats() {
	routes := []apiRoute{
		{method: "GET", path: "/auth/me", id: "getMe", summary: "The caller: subject and roles 当前用户", responses: map[int]string{200: mediaJSON}, handler: s.me},
	}
	if s.deps.Command != nil {
		routes = append(routes, apiRoute{method: "GET", path: "/command/stats", id: "getCommandStats",
			summary: "Cockpit figures: incidents by state, overdue, supervised, per-stage response times (median, p90, max), the last 24 hours, open alarms and devices online 驾驶舱统计",
			params:  []string{"incident-type", "from", "to", "live-layer"}, responses: map[int]string{200: mediaJSON, 400: "", 401: ""}, handler: s.commandStats})
	}
	s.addRoutes(routes)
}

func (s *Server) me(c *fiber.Ctx) error {
	p := principal(c)
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	return c.JSON(fiber.Map{"subject": p.Subject, "roles": roles, "signed_in": p.Subject != spatial.Anonymous.Subject})
}

func (s *Server) commandStats(c *fiber.Ctx) error {
	if err := signedIn(c, "reading the cockpit's figures"); err != nil {
		return err
	}
	f := command.StatsFilter{Types: splitList(c.Query("type"))}
	var err error
	if _, f.From, f.To, err = placeAndPeriod(c); err != nil {
		return err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return spatial.Invalid("to", "the period ends before it starts")
	}
	asked := splitList(c.Query("layer"))
	for _, l := range asked {
		if !slices.Contains(statsLayers, l) {
			return spatial.Invalid("layer", "%q: use some of %v", l, statsLayers)
		}
	}
	if len(asked) == 0 {
		asked = statsLayers
	}
	may := s.liveLayers(c)
	f.Layers = []string{}
	for _, l := range asked {
		if may(l) {
			f.Layers = append(f.Layers, l)
		}
	}
	if s.deps.Live != nil {
		f.OnlineWithin = s.deps.Live.StaleAfter()
	}
	st, err := s.deps.Command.Stats(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
