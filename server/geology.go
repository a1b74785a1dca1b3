package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin"
)

// registerGeology adds GET /twin/section: the geological section (剖面) along a polyline, as GeoJSON
// in (distance, elevation) or, with f=svg, as a 2D profile drawing.
func (s *Server) registerGeology() {
	if s.deps.Twin == nil {
		return
	}
	s.addRoutes([]apiRoute{{method: "GET", path: "/twin/section", id: "getSection",
		summary: "Geological section along a line: strata, boreholes and pipes 地质剖面", params: []string{"line", "buffer", "f-section"},
		responses: map[int]string{200: mediaGeoJSON, 400: "", 404: ""}, handler: s.section}})
}

// sectionParams are the query of /twin/section, parsed and checked.
type sectionParams struct {
	line   [][2]float64
	buffer float64
	svg    bool
}

const maxSectionVertices = 500

func parseSection(c *fiber.Ctx) (sectionParams, error) {
	var p sectionParams
	raw := strings.TrimSpace(c.Query("line"))
	if raw == "" {
		return p, spatial.Invalid("line", "give the section line as lon,lat,lon,lat,… (at least two points, CGCS2000 longitude/latitude)")
	}
	parts := strings.Split(raw, ",")
	if len(parts)%2 != 0 || len(parts) < 4 {
		return p, spatial.Invalid("line", "%q: an even number of at least four numbers (lon,lat,lon,lat,…)", raw)
	}
	if len(parts)/2 > maxSectionVertices {
		return p, spatial.Invalid("line", "%d vertices; at most %d", len(parts)/2, maxSectionVertices)
	}
	for i := 0; i < len(parts); i += 2 {
		lon, err1 := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		lat, err2 := strconv.ParseFloat(strings.TrimSpace(parts[i+1]), 64)
		if err1 != nil || err2 != nil || math.IsNaN(lon+lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return p, spatial.Invalid("line", "vertex %d (%s,%s) is not a longitude,latitude", i/2+1, parts[i], parts[i+1])
		}
		p.line = append(p.line, [2]float64{lon, lat})
	}
	p.buffer = 50
	if v := c.Query("buffer"); v != "" {
		b, err := strconv.ParseFloat(v, 64)
		if err != nil || b < 0 || b > 1000 || math.IsNaN(b) {
			return p, spatial.Invalid("buffer", "%q is not a distance in metres from 0 to 1000", v)
		}
		p.buffer = b
	}
	switch f := c.Query("f"); f {
	case "", "json", "geojson":
	case "svg":
		p.svg = true
	default:
		return p, spatial.Invalid("f", "%q: json or svg", f)
	}
	return p, nil
}

func (s *Server) section(c *fiber.Ctx) error {
	p, err := parseSection(c)
	if err != nil {
		return err
	}
	pipes := true
	if s.deps.Catalog != nil {
		cat, who := s.deps.Catalog.Current(), principal(c)
		for _, id := range twin.Layers("geology") {
			if l, ok := cat.Layer(id); ok && !l.CanRead(who) {
				return spatial.NotFound("the geological model") // as if absent
			}
		}
		if l, ok := cat.Layer("pipeline.segment"); ok && !l.CanRead(who) {
			pipes = false
		}
	}
	sec, err := s.deps.Twin.Section(c.UserContext(), p.line, p.buffer, pipes)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderVary, fiber.HeaderAuthorization)
	if p.svg {
		c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
		return c.Send(sec.SVG())
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	return c.JSON(sec.GeoJSON(), "application/geo+json")
}
