package command

import (
	"time"

	"github.com/yitu-gis/yitu/command/fire"
	"github.com/yitu-gis/yitu/live"
)

// Config is the command section of yitu.yaml: where incidents come from (the intake) and where the
// forest-fire command's roads and resources are in the catalog.
type Config struct {
	// AlarmLevels are the levels at which an alarm becomes an incident; a terminal's emergency alarm
	// (JT/T 808 bit 0) and a group's escalation always do.
	AlarmLevels []string `yaml:"alarm_levels"`
	// HotspotMask is a catalog polygon layer of known static heat sources (steel works, kilns, power
	// plants): a satellite hotspot within HotspotMaskMargin of one makes no incident.
	HotspotMask       string  `yaml:"hotspot_mask"`
	HotspotMaskMargin float64 `yaml:"hotspot_mask_margin_m"`
	// Hotspots closer than HotspotDistance (metres) and HotspotWindow (time) to a detection of a
	// cluster join it, across passes and satellites.
	HotspotDistance float64       `yaml:"hotspot_distance_m"`
	HotspotWindow   time.Duration `yaml:"hotspot_window"`
	// Every is how often the intake looks for new alarms, hotspots and passed deadlines when the hub
	// has not woken it.
	Every time.Duration `yaml:"every"`

	// RoadLayers are the catalog layers the road network is built from (lines; polygons are left
	// out). Their class attribute is the first of grade, 等级, 道路等级, highway, fclass, class, type
	// found as a column or in props.
	RoadLayers     []string `yaml:"road_layers"`
	WaterLayer     string   `yaml:"water_layer"`     // water sources: ponds, reservoirs, hydrants (水源)
	DepotLayer     string   `yaml:"depot_layer"`     // fire-fighting material depots (物资库)
	FirebreakLayer string   `yaml:"firebreak_layer"` // firebreaks (防火隔离带)
	VillageLayer   string   `yaml:"village_layer"`   // villages with a population attribute (村庄)
	ShelterLayer   string   `yaml:"shelter_layer"`   // evacuation shelters (避险场所)
	// TeamKinds are the vehicle kinds of team devices that are fire teams; a team device without a
	// vehicle kind counts too.
	TeamKinds []string `yaml:"team_kinds"`
	// OffroadSpeed is how fast one gets from a position to the nearest road, and from the road to
	// the fire or village, in km/h (on foot through the forest).
	OffroadSpeed float64 `yaml:"offroad_speed"`
	// SnapTolerance joins road ends closer than this (metres) into one vertex; SnapMax is the
	// farthest a place may be from a road and still be reached over it (metres).
	SnapTolerance float64 `yaml:"snap_tolerance"`
	SnapMax       float64 `yaml:"snap_max"`

	// The fire spread (/command/fires/{id}/spread).

	// FuelLayer is a catalog polygon layer whose features carry a fuel model code (FuelAttribute,
	// default fuel_model): it gives the fuel model of a fire whose spread request names none.
	FuelLayer     string `yaml:"fuel_layer"`
	FuelAttribute string `yaml:"fuel_attribute"`
	// WeatherRadiusKm: the farthest a weather sensor may be from a fire to give its wind (default 30).
	WeatherRadiusKm float64 `yaml:"weather_radius_km"`
	// WeatherMaxAge: the oldest reading of wind a spread is computed from (default 3h).
	WeatherMaxAge time.Duration `yaml:"weather_max_age"`
	// FenceTTL: how long the hazard fences of a spread estimate stay armed when it is not recomputed
	// (default 6h).
	FenceTTL time.Duration `yaml:"fence_ttl"`
	// RecomputeEvery: the least time between two recomputations of a fire on new readings of its
	// weather sensor (default 1m; a move of the fire is recomputed at once).
	RecomputeEvery time.Duration `yaml:"recompute_every"`
	// Wang holds the coefficients of 王正非's model (model=wang); zero: as commonly cited.
	Wang fire.WangConfig `yaml:"wang"`
}

// DefaultConfig is the configuration the demo city is served with.
func DefaultConfig() Config {
	return Config{
		AlarmLevels:       []string{live.LevelOrange, live.LevelRed},
		HotspotMaskMargin: 500, // a VIIRS pixel is 375 m, a MODIS one 1 km; geolocation is good to about a pixel
		HotspotDistance:   1500,
		HotspotWindow:     24 * time.Hour,
		Every:             15 * time.Second,

		RoadLayers:     []string{"basemap.road"},
		WaterLayer:     "reference.water_sources",
		DepotLayer:     "reference.fire_depots",
		FirebreakLayer: "reference.firebreaks",
		VillageLayer:   "reference.villages",
		ShelterLayer:   "reference.shelters",
		TeamKinds:      []string{"fire_team"},
		OffroadSpeed:   4,
		SnapTolerance:  1,
		SnapMax:        3000,
	}
}
