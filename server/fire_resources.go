package server

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/spatial"
)

// The forest-fire command on the one map (package command, Fires): what is around a fire and who
// gets there first, and which villages must leave, to where, before the fire arrives.
func (s *Server) fireRoutes() []apiRoute {
	problems := map[int]string{400: "", 401: "", 404: "", 409: ""}
	with := func(ok string) map[int]string {
		m := map[int]string{200: ok}
		for k, v := range problems {
			m[k] = v
		}
		return m
	}
	return []apiRoute{
		{method: "GET", path: "/command/fires/:id/resources", id: "getFireResources",
			summary: "Resources around a forest fire, nearest first: teams with their ETA and route over the roads, water sources, watchtowers, cameras, depots, firebreaks (signed in) 火场周边资源与到达时间",
			params:  []string{"fire-radius"}, responses: with(mediaGeoJSON), handler: s.fireResources},
		{method: "GET", path: "/command/incidents/:id/resources", id: "getIncidentResources",
			summary: "Resources around any located incident (a hazmat leak, a mine alarm), nearest first: fire teams with their ETA and route over the roads, water sources, cameras, depots (signed in) 事发地周边资源与到达时间",
			params:  []string{"fire-radius"}, responses: with(mediaGeoJSON), handler: s.incidentResources},
		{method: "GET", path: "/command/fires/:id/evacuation", id: "getFireEvacuation",
			summary: "Villages at risk by the fire's arrival, each with the nearest shelter over the roads, the route, and the first team to get there (signed in) 受威胁村庄与疏散",
			params:  []string{"fire-radius"}, responses: with(mediaGeoJSON), handler: s.fireEvacuation},
	}
}

func (s *Server) registerFires() {
	if s.deps.Fires == nil {
		return
	}
	s.addRoutes(s.fireRoutes())
}

// fireQuery reads the fire's id and the radius (metres, default command.DefaultRadius).
func fireQuery(c *fiber.Ctx, what string) (int64, float64, error) {
	if err := signedIn(c, what); err != nil {
		return 0, 0, err
	}
	id, err := incidentID(c)
	if err != nil {
		return 0, 0, err
	}
	radius := float64(command.DefaultRadius)
	if q := c.Query("radius"); q != "" {
		if radius, err = strconv.ParseFloat(q, 64); err != nil {
			return 0, 0, spatial.Invalid("radius", "%q is not a number of metres", q)
		}
	}
	return id, radius, nil
}

func (s *Server) fireResources(c *fiber.Ctx) error {
	return s.fireAnswer(c, "reading a fire's resources", s.deps.Fires.Resources)
}

func (s *Server) incidentResources(c *fiber.Ctx) error {
	return s.fireAnswer(c, "reading an incident's resources", s.deps.Fires.IncidentResources)
}

func (s *Server) fireEvacuation(c *fiber.Ctx) error {
	return s.fireAnswer(c, "reading a fire's evacuation", s.deps.Fires.Evacuation)
}

// fireAnswer answers a question about an incident (its id, ?radius) with a feature collection.
func (s *Server) fireAnswer(c *fiber.Ctx, what string, ask func(context.Context, int64, float64, spatial.Principal) (*command.FeatureCollection, error)) error {
	id, radius, err := fireQuery(c, what)
	if err != nil {
		return err
	}
	fc, err := ask(c.UserContext(), id, radius, principal(c))
	if err != nil {
		return err
	}
	return sendJSON(c, mediaGeoJSON, fc)
}
