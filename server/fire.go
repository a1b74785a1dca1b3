package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/spatial"
)

// The forest-fire command's spread estimate (package command, FireSpread): /command/fires/{id}/spread.
func (s *Server) spreadRoutes() []apiRoute {
	return []apiRoute{
		{method: "GET", path: "/command/fires/:id/spread", id: "getFireSpread",
			summary: "Estimate a forest fire's spread 1, 2 and 3 hours ahead (Rothermel or 王正非), store the perimeters and arm them as hazard fences 火场蔓延预测",
			params: []string{"fire-model", "fuel_model", "wind_speed", "wind_direction", "moisture", "moisture_10h", "moisture_100h",
				"moisture_herb", "moisture_woody", "slope", "aspect", "temperature", "humidity"},
			responses: map[int]string{200: mediaGeoJSON, 400: "", 401: "", 404: "", 409: ""}, handler: s.fireSpread},
	}
}

// fireParameters describes the query parameters of the fire routes.
func fireParameters() map[string]map[string]any {
	num := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": map[string]any{"type": "number"}}
	}
	return map[string]map[string]any{
		"fire-model": {"name": "model", "in": "query", "required": false, "description": "The spread model: rothermel (default) or wang (王正非).",
			"schema": map[string]any{"type": "string", "enum": []string{"rothermel", "wang"}, "default": "rothermel"}},
		"fuel_model": {"name": "fuel_model", "in": "query", "required": false, "schema": map[string]any{"type": "string"},
			"description": "Scott & Burgan fuel model (GR1–GR9, GS1–GS4, SH1–SH9, TU1–TU5, TL1–TL9, SB1–SB4) or Anderson 1–13; default: the configured fuel layer's under the fire."},
		"wind_speed":     num("wind_speed", "Wind speed at 10 m, m/s (with wind_direction; default: the nearest weather sensor's latest reading)."),
		"wind_direction": num("wind_direction", "Direction the wind blows from, degrees clockwise from north."),
		"moisture":       num("moisture", "1-h dead fuel moisture, % (default: the weather sensor's fuel_moisture, else 8)."),
		"moisture_10h":   num("moisture_10h", "10-h dead fuel moisture, % (default: 1-h + 1)."),
		"moisture_100h":  num("moisture_100h", "100-h dead fuel moisture, % (default: 1-h + 2)."),
		"moisture_herb":  num("moisture_herb", "Live herbaceous moisture, % (default 60; below 120 the grass cures into dead fuel)."),
		"moisture_woody": num("moisture_woody", "Live woody moisture, % (default 90)."),
		"slope": {"name": "slope", "in": "query", "required": false, "schema": map[string]any{"type": "string"},
			"description": "Slope in degrees, or a percentage with a % sign (30%25); used where no DEM (terrain.dem) covers the fire."},
		"aspect":      num("aspect", "Direction the slope faces (downhill), degrees clockwise from north."),
		"temperature": num("temperature", "Air temperature, °C (model wang; default: the sensor's, else 20)."),
		"humidity":    num("humidity", "Relative humidity, % (model wang; default: the sensor's, else 40)."),
	}
}

// registerFire adds the fire spread route.
func (s *Server) registerFire() {
	if s.deps.FireSpread == nil {
		return
	}
	s.addRoutes(s.spreadRoutes())
}

// spreadRequest parses the query of a spread request.
func spreadRequest(c *fiber.Ctx) (command.SpreadRequest, error) {
	r := command.SpreadRequest{Model: c.Query("model"), FuelModel: c.Query("fuel_model")}
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"wind_speed", &r.WindSpeed}, {"wind_direction", &r.WindDirection}, {"moisture", &r.Moisture}, {"moisture_10h", &r.Moisture10h},
		{"moisture_100h", &r.Moisture100h}, {"moisture_herb", &r.MoistureHerb}, {"moisture_woody", &r.MoistureWoody},
		{"aspect", &r.Aspect}, {"temperature", &r.Temperature}, {"humidity", &r.Humidity}} {
		v := strings.TrimSpace(c.Query(p.name))
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return r, spatial.Invalid(p.name, "%q is not a number", v)
		}
		*p.dst = &f
	}
	if v := strings.TrimSpace(c.Query("slope")); v != "" {
		pct := strings.HasSuffix(v, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(v, "%"), "°"), "deg")), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return r, spatial.Invalid("slope", "%q is not a slope: degrees (16.7) or a percentage (30%%)", v)
		}
		if pct {
			f = math.Atan(f/100) * 180 / math.Pi
		}
		r.Slope = &f
	}
	if r.Moisture != nil && (*r.Moisture < 1 || *r.Moisture > 60) {
		return r, spatial.Invalid("moisture", "%g %%: the 1-h dead fuel moisture is 1 to 60 %% of dry weight", *r.Moisture)
	}
	return r, nil
}

// fireSpread answers GET /command/fires/{id}/spread: a FeatureCollection of the perimeters
// (Polygons, EPSG:4490 lon/lat) at +1, +2 and +3 h, each with the rates, the length-to-breadth
// ratio, the direction, the weather and the model; the collection says where the weather, the
// fuel model and the slope came from, and the hazard fences armed.
func (s *Server) fireSpread(c *fiber.Ctx) error {
	if err := signedIn(c, "estimating a fire's spread"); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	req, err := spreadRequest(c)
	if err != nil {
		return err
	}
	res, err := s.deps.FireSpread.Spread(c.UserContext(), id, req, principal(c).Subject)
	if err != nil {
		return err
	}
	sp := res.Spread
	round := func(v float64, places int) float64 { p := math.Pow(10, float64(places)); return math.Round(v*p) / p }
	features := make([]map[string]any, len(res.Perimeters))
	for i, p := range res.Perimeters {
		props := map[string]any{
			"incident": res.Incident, "hours": p.Hours, "model": sp.Model, "fuel_model": sp.FuelModel,
			"head_rate": round(sp.HeadRate, 3), "back_rate": round(sp.BackRate, 3), "flank_rate": round(sp.FlankRate, 3),
			"rate_unit": "m/min", "length_to_breadth": round(sp.LengthToBreadth, 3), "direction": round(sp.Direction, 1),
			"head_distance_m": round(sp.HeadRate*60*p.Hours, 1), "fireline_intensity": round(sp.FirelineIntensity, 1),
			"flame_length": round(sp.FlameLength, 2), "weather": res.Weather, "terrain": res.Terrain,
		}
		if i < len(res.Fences) {
			props["fence"] = res.Fences[i]
		}
		features[i] = map[string]any{"type": "Feature", "id": p.Hours,
			"geometry": map[string]any{"type": "Polygon", "coordinates": p.Geometry}, "properties": props}
	}
	return c.JSON(fiber.Map{
		"type": "FeatureCollection", "features": features,
		"incident": res.Incident, "title": res.Title, "computed_at": res.ComputedAt,
		"srs":     "EPSG:4490",
		"spread":  sp,
		"weather": res.Weather, "terrain": res.Terrain, "fuel_source": res.FuelSource, "origin": res.Origin,
		"fences": res.Fences, "notes": res.Notes,
	}, mediaGeoJSON)
}
