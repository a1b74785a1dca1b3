package live

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"
)

// Object is a live object's state at a moment: a copy, safe to keep.
type Object struct {
	ID    string
	Kind  Kind
	Layer string
	// Time is the time of the object's last report of what it is for (device clock, UTC): a mover's
	// fix, a sensor's reading; LastSeen that of anything it sent (an authentication, a state report).
	Time     time.Time
	LastSeen time.Time
	Received time.Time
	HasPos   bool
	Position Position // movers: the last fix; sensors, cameras: the fixed place
	Values   map[string]float64
	Unit     string
	State    map[string]any
	Event    string
	Device   *Device  // nil for hotspots
	Hotspot  *Hotspot // hotspots
}

func (o *object) snapshot() Object {
	out := Object{ID: o.id, Kind: o.kind, Layer: o.layer, Time: o.reportTime(), LastSeen: o.time, Received: o.received, HasPos: o.hasPos,
		Position: o.pos, Values: maps.Clone(o.vals), Unit: o.unit, State: maps.Clone(o.state), Event: o.event,
		Device: o.dev, Hotspot: o.hotspot}
	out.Position.Extra = maps.Clone(o.pos.Extra)
	return out
}

// reportTime is the time of the last report of what the object is for: a mover's fix, a sensor's
// reading (else of anything).
func (o *object) reportTime() time.Time {
	switch o.kind {
	case KindVehicle, KindTeam, KindHotspot:
		return o.times[0]
	case KindSensor:
		if !o.times[1].IsZero() {
			return o.times[1]
		}
	}
	return o.time
}

// Filter selects live objects.
type Filter struct {
	BBox  *[4]float64 // lon/lat west, south, east, north; objects without a position are left out
	Kinds []Kind      // none: every kind
	// Layer reports whether a layer may be read (the caller's rights); nil: every layer.
	Layer func(layer string) bool
}

func (f *Filter) match(o *object) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, o.kind) {
		return false
	}
	if f.BBox != nil {
		b := f.BBox
		if !o.hasPos || o.pos.Lon < b[0] || o.pos.Lon > b[2] || o.pos.Lat < b[1] || o.pos.Lat > b[3] {
			return false
		}
	}
	return f.Layer == nil || f.Layer(o.layer)
}

// Objects returns the current state of the objects the filter selects, by id.
func (h *Hub) Objects(f Filter) []Object {
	var out []Object
	h.mu.RLock()
	if f.BBox != nil {
		b := f.BBox
		h.grid.search(b[0], b[1], b[2], b[3], func(id string) {
			if o := h.objects[id]; o != nil && f.match(o) {
				out = append(out, o.snapshot())
			}
		})
	} else {
		for _, o := range h.objects {
			if f.match(o) {
				out = append(out, o.snapshot())
			}
		}
	}
	h.mu.RUnlock()
	sortObjects(out)
	return out
}

func sortObjects(out []Object) {
	slices.SortFunc(out, func(a, b Object) int { return cmp.Compare(a.ID, b.ID) })
}

// Object returns one object's current state.
func (h *Hub) Object(id string) (Object, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	o := h.objects[id]
	if o == nil {
		return Object{}, false
	}
	return o.snapshot(), true
}

// StaleAfter is how long an object may go without reporting before it is shown stale.
func (h *Hub) StaleAfter() time.Duration { return h.cfg.StaleAfter }

// Now is the hub's clock.
func (h *Hub) Now() time.Time { return h.now() }

// Feature is a GeoJSON Feature of a live object.
type Feature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Geometry   *PointGeometry `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// PointGeometry is a GeoJSON Point.
type PointGeometry struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

// FeatureCollection is a GeoJSON FeatureCollection.
type FeatureCollection struct {
	Type     string    `json:"type"`
	Features []Feature `json:"features"`
}

// Feature is the object as GeoJSON: id, kind, layer, time (RFC 3339, UTC), age_s and stale (against
// now), and what its kind has: speed (km/h) and heading for movers, the device's registry fields,
// a sensor's values, a hotspot's detection.
func (o Object) Feature(now time.Time, staleAfter time.Duration) Feature {
	p := map[string]any{"id": o.ID, "kind": o.Kind, "layer": o.Layer, "time": nil}
	if !o.Time.IsZero() {
		p["time"] = o.Time.UTC().Format(time.RFC3339Nano)
	}
	if o.LastSeen.After(o.Time) {
		p["last_seen"] = o.LastSeen.UTC().Format(time.RFC3339Nano)
	}
	if o.Kind != KindCamera && o.Kind != KindHotspot { // those report nothing to go stale
		age := now.Sub(o.Time)
		if !o.Time.IsZero() {
			p["age_s"] = math.Round(max(age, 0).Seconds())
		}
		p["stale"] = o.Time.IsZero() || age > staleAfter
	}
	if o.Kind == KindVehicle || o.Kind == KindTeam {
		p["speed"] = round1(o.Position.Speed)
		p["heading"] = round1(o.Position.Heading)
		p["altitude"] = round1(o.Position.Altitude)
		if o.Position.Alarm != 0 {
			p["alarm"] = o.Position.Alarm
		}
		if o.Position.Status != 0 {
			p["status"] = o.Position.Status
		}
		if len(o.Position.Extra) > 0 {
			p["extra"] = o.Position.Extra
		}
	}
	if d := o.Device; d != nil {
		set := func(k, v string) {
			if v != "" {
				p[k] = v
			}
		}
		set("name", d.Name)
		set("plate", d.Plate)
		set("carrier", d.Carrier)
		set("vehicle_kind", d.VehicleKind)
		set("un", d.UN)
		set("hazard_class", d.HazardClass)
		set("sensor_kind", d.SensorKind)
		set("owner", d.Owner)
		set("group", d.Group)
		set("stream_url", d.StreamURL)
		if d.ViewDirection != nil {
			p["view_direction"] = *d.ViewDirection
		}
		if d.PlateColor != 0 {
			p["plate_color"] = d.PlateColor
		}
	}
	if len(o.Values) > 0 {
		p["values"] = o.Values
		if v, ok := o.Values["value"]; ok {
			p["value"] = v
		}
	}
	if u := o.Unit; u != "" {
		p["unit"] = u
	} else if o.Device != nil && o.Device.Unit != "" {
		p["unit"] = o.Device.Unit
	}
	if len(o.State) > 0 {
		p["state"] = o.State
	}
	if hs := o.Hotspot; hs != nil {
		p["instrument"], p["satellite"], p["confidence"] = hs.Instrument, hs.Satellite, hs.Confidence
		p["frp"], p["brightness"], p["source"] = hs.FRP, hs.Brightness, hs.Source
	}
	f := Feature{Type: "Feature", ID: o.ID, Properties: p}
	if o.HasPos {
		f.Geometry = &PointGeometry{Type: "Point", Coordinates: [2]float64{o.Position.Lon, o.Position.Lat}}
	}
	return f
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
