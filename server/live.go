package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Roles of the live routes.
const (
	// RoleDevice may push positions and observations over HTTP (systems that push: a fleet platform,
	// a sensor gateway).
	RoleDevice = "device"
)

func (s *Server) liveRoutes() []apiRoute {
	return []apiRoute{
		{method: "GET", path: "/live/objects", id: "getLiveObjects", summary: "Live objects now, or at a past time 实时对象(或历史时刻状态)", params: []string{"bbox", "kind", "at", "lookback"}, responses: map[int]string{200: mediaGeoJSON, 400: ""}, handler: s.liveObjects},
		{method: "GET", path: "/live/objects/:id", id: "getLiveObject", summary: "One live object now 单个实时对象", responses: map[int]string{200: mediaGeoJSON, 404: ""}, handler: s.liveObject},
		{method: "GET", path: "/live/tracks/:id", id: "getTrack", summary: "A mover's track from history 历史轨迹", params: []string{"from", "to", "f-track"}, responses: map[int]string{200: mediaGeoJSON, 400: "", 404: ""}, handler: s.liveTrack},
		{method: "GET", path: "/live/observations/:sensor", id: "getObservations", summary: "A sensor's readings, downsampled 监测数据序列", params: []string{"from", "to", "points", "name"}, responses: map[int]string{200: mediaJSON, 400: "", 404: ""}, handler: s.liveSeries},
		{method: "POST", path: "/live/positions", id: "postPositions", summary: "Push positions (JSON array or NDJSON; role device) 推送定位", body: mediaJSON, responses: map[int]string{202: mediaJSON, 400: "", 401: "", 403: "", 503: ""}, handler: s.postPositions},
		{method: "POST", path: "/live/observations", id: "postObservations", summary: "Push sensor readings (JSON array or NDJSON; role device) 推送监测数据", body: mediaJSON, responses: map[int]string{202: mediaJSON, 400: "", 401: "", 403: "", 503: ""}, handler: s.postObservations},
		{method: "GET", path: "/live/devices", id: "getDevices", summary: "Registered devices the caller may see 设备列表", params: []string{"kind"}, responses: map[int]string{200: mediaJSON}, handler: s.devices},
		{method: "GET", path: "/live/devices/:id", id: "getDevice", summary: "One registered device 设备", responses: map[int]string{200: mediaJSON, 404: ""}, handler: s.device},
		{method: "POST", path: "/live/devices", id: "putDevice", summary: "Register or update a device (admin) 登记设备", body: mediaJSON, responses: map[int]string{201: mediaJSON, 400: "", 401: "", 403: ""}, handler: s.putDevice},
		{method: "DELETE", path: "/live/devices/:id", id: "deleteDevice", summary: "Remove a device (admin) 注销设备", responses: map[int]string{204: "", 401: "", 403: "", 404: ""}, handler: s.deleteDevice},
		{method: "GET", path: "/live/ws", id: "livePushWebSocket", summary: "Live changes pushed over WebSocket: send {\"subscribe\":{\"bbox\":[w,s,e,n],\"kinds\":[…],\"layers\":[…]}}, receive one JSON object a message, each with its type 实时推送", params: []string{"access_token"}, responses: map[int]string{101: "", 401: "", 404: "", 426: ""}, handler: s.liveWS},
		{method: "GET", path: "/live/sse", id: "livePushSSE", summary: "Live changes pushed as Server-Sent Events (the WebSocket's fallback) 实时推送(SSE)", params: []string{"bbox", "kinds", "layers", "last_event_id", "access_token"}, responses: map[int]string{200: mediaEventStream, 400: "", 401: "", 404: ""}, handler: s.liveSSE},
	}
}

// registerLive adds the live routes.
func (s *Server) registerLive() {
	if s.deps.Live == nil {
		return
	}
	s.wsUpgrade = s.newWSHandler()
	routes := s.liveRoutes()
	if s.deps.Watch != nil {
		routes = append(routes, s.watchRoutes()...)
	}
	s.addRoutes(routes)
}

// liveLayers is the caller's right to read each live layer (by the catalog, like every layer).
func (s *Server) liveLayers(c *fiber.Ctx) func(string) bool {
	p := principal(c)
	if s.deps.Catalog == nil {
		return func(string) bool { return p.Has(spatial.RoleAdmin) }
	}
	cat := s.deps.Catalog.Current()
	return func(layer string) bool {
		if layer == live.IncidentLayer { // incidents are the operation centre's: any signed-in caller, as /command/incidents
			return p.Subject != spatial.Anonymous.Subject
		}
		l, ok := cat.Layer(layer)
		return ok && l.CanRead(p)
	}
}

func parseKinds(v string) ([]live.Kind, error) {
	var out []live.Kind
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		kind := live.Kind(k)
		if !kind.Valid() && kind != live.KindHotspot {
			return nil, spatial.Invalid("kind", "%q is not a kind: vehicle, team, sensor, camera or hotspot", k)
		}
		out = append(out, kind)
	}
	return out, nil
}

// parseTime reads an RFC 3339 time (or a date) parameter; empty gives def.
func parseTime(c *fiber.Ctx, param string, def time.Time) (time.Time, error) {
	v := c.Query(param)
	if v == "" {
		return def, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, spatial.Invalid(param, "%q is not an RFC 3339 time (2026-12-04T08:00:00Z)", v)
}

func (s *Server) liveObjects(c *fiber.Ctx) error {
	f := live.Filter{Layer: s.liveLayers(c)}
	var err error
	if v := c.Query("bbox"); v != "" {
		b, err := parseNumbers("bbox", v, 4, 4)
		if err != nil {
			return err
		}
		if b[0] > b[2] || b[1] > b[3] {
			return spatial.Invalid("bbox", "west,south,east,north with west <= east and south <= north, got %q", v)
		}
		f.BBox = &[4]float64{b[0], b[1], b[2], b[3]}
	}
	if f.Kinds, err = parseKinds(c.Query("kind")); err != nil {
		return err
	}
	hub := s.deps.Live
	now := hub.Now()
	var objs []live.Object
	if c.Query("at") != "" {
		at, err := parseTime(c, "at", now)
		if err != nil {
			return err
		}
		lookback := 24 * time.Hour
		if v := c.Query("lookback"); v != "" {
			if lookback, err = time.ParseDuration(v); err != nil || lookback <= 0 || lookback > 31*24*time.Hour {
				return spatial.Invalid("lookback", "%q is not a duration up to 744h (say 30m or 24h)", v)
			}
		}
		if objs, err = hub.At(c.UserContext(), at, lookback, f); err != nil {
			return err
		}
		now = at
	} else {
		if c.Query("lookback") != "" {
			return spatial.Invalid("lookback", "given without at")
		}
		objs = hub.Objects(f)
	}
	fc := live.FeatureCollection{Type: "FeatureCollection", Features: make([]live.Feature, len(objs))}
	for i, o := range objs {
		fc.Features[i] = o.Feature(now, hub.StaleAfter())
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendJSON(c, mediaGeoJSON, fc)
}

// readableObject is one current object, or not found if the caller may not read its layer.
func (s *Server) readableObject(c *fiber.Ctx, id string) (live.Object, error) {
	o, ok := s.deps.Live.Object(id)
	if !ok || !s.liveLayers(c)(o.Layer) {
		return live.Object{}, spatial.NotFound("live object %q", id)
	}
	return o, nil
}

func (s *Server) liveObject(c *fiber.Ctx) error {
	o, err := s.readableObject(c, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendJSON(c, mediaGeoJSON, o.Feature(s.deps.Live.Now(), s.deps.Live.StaleAfter()))
}

// period reads from and to (default: the last 24 hours).
func period(c *fiber.Ctx, now time.Time) (from, to time.Time, err error) {
	if to, err = parseTime(c, "to", now); err != nil {
		return
	}
	if from, err = parseTime(c, "from", to.Add(-24*time.Hour)); err != nil {
		return
	}
	if !to.After(from) {
		err = spatial.Invalid("to", "the period ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return
}

func (s *Server) liveTrack(c *fiber.Ctx) error {
	id := c.Params("id")
	o, err := s.readableObject(c, id)
	if err != nil {
		return err
	}
	if o.Kind != live.KindVehicle && o.Kind != live.KindTeam {
		return spatial.Invalid("id", "%s is a %s: only vehicles and teams have tracks", id, o.Kind)
	}
	format := c.Query("f", "json")
	if format != "json" && format != "gpx" {
		return spatial.Invalid("f", "%q: use json (GeoJSON) or gpx", format)
	}
	from, to, err := period(c, s.deps.Live.Now())
	if err != nil {
		return err
	}
	pts, truncated, err := s.deps.Live.Track(c.UserContext(), id, from, to)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if format == "gpx" {
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.gpx"`, id))
		return sendGPX(c, o, pts)
	}
	coords := make([][3]float64, len(pts))
	times := make([]string, len(pts))
	speeds := make([]float64, len(pts))
	headings := make([]float64, len(pts))
	for i, p := range pts {
		coords[i] = [3]float64{p.Lon, p.Lat, p.Altitude}
		times[i] = p.Time.Format(time.RFC3339Nano)
		speeds[i], headings[i] = p.Speed, p.Heading
	}
	props := map[string]any{"id": id, "kind": o.Kind, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339),
		"count": len(pts), "truncated": truncated, "times": times, "speeds": speeds, "headings": headings}
	if o.Device != nil {
		props["plate"] = o.Device.Plate
	}
	var geom any
	switch len(pts) {
	case 0:
	case 1:
		geom = map[string]any{"type": "Point", "coordinates": coords[0]}
	default:
		geom = map[string]any{"type": "LineString", "coordinates": coords}
	}
	return sendJSON(c, mediaGeoJSON, map[string]any{"type": "FeatureCollection", "features": []any{
		map[string]any{"type": "Feature", "id": id, "geometry": geom, "properties": props}}})
}

// sendGPX writes a track as GPX 1.1 (time and elevation per point; speed and heading as extensions).
func sendGPX(c *fiber.Ctx, o live.Object, pts []live.TrackPoint) error {
	type trkpt struct {
		Lat     float64 `xml:"lat,attr"`
		Lon     float64 `xml:"lon,attr"`
		Ele     float64 `xml:"ele"`
		Time    string  `xml:"time"`
		Speed   float64 `xml:"extensions>speed_kmh"`
		Heading float64 `xml:"extensions>heading"`
	}
	name := o.ID
	if o.Device != nil && o.Device.Plate != "" {
		name = o.Device.Plate
	}
	doc := struct {
		XMLName xml.Name `xml:"gpx"`
		Version string   `xml:"version,attr"`
		Creator string   `xml:"creator,attr"`
		XMLNS   string   `xml:"xmlns,attr"`
		Name    string   `xml:"trk>name"`
		Points  []trkpt  `xml:"trk>trkseg>trkpt"`
	}{Version: "1.1", Creator: "Yitu", XMLNS: "http://www.topografix.com/GPX/1/1", Name: name}
	for _, p := range pts {
		doc.Points = append(doc.Points, trkpt{Lat: p.Lat, Lon: p.Lon, Ele: p.Altitude, Time: p.Time.Format(time.RFC3339Nano), Speed: p.Speed, Heading: p.Heading})
	}
	b, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/gpx+xml")
	return c.Send(append([]byte(xml.Header), b...))
}

func (s *Server) liveSeries(c *fiber.Ctx) error {
	sensor := c.Params("sensor")
	if _, err := s.readableObject(c, sensor); err != nil {
		return err
	}
	from, to, err := period(c, s.deps.Live.Now())
	if err != nil {
		return err
	}
	points := 500
	if v := c.Query("points"); v != "" {
		if points, err = strconv.Atoi(v); err != nil {
			return spatial.Invalid("points", "%q is not a whole number", v)
		}
	}
	series, err := s.deps.Live.ObservationSeries(c.UserContext(), sensor, c.Query("name"), from, to, points)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendJSON(c, mediaJSON, series)
}

// mayPush refuses a caller without the device (or admin) role.
func mayPush(c *fiber.Ctx) error {
	p := principal(c)
	if p.Has(RoleDevice) || p.Has(spatial.RoleAdmin) {
		return nil
	}
	return denied(p, "pushing live data needs the role "+RoleDevice)
}

// maxPushItems bounds one push request.
const maxPushItems = 10_000

// pushItems decodes a JSON array or NDJSON (one JSON object a line) of items.
func pushItems[T any](c *fiber.Ctx) ([]T, error) {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil, spatial.Invalid("body", "empty: send a JSON array or NDJSON, one item a line")
	}
	var items []T
	if body[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&items); err != nil {
			return nil, spatial.Invalid("body", "not a JSON array of items: %v", err)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for line := 1; sc.Scan(); line++ {
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var it T
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&it); err != nil {
				return nil, spatial.Invalid(fmt.Sprintf("line %d", line), "not a JSON object of the item: %v", err)
			}
			items = append(items, it)
		}
		if err := sc.Err(); err != nil {
			return nil, spatial.Invalid("body", "%v", err)
		}
	}
	if len(items) > maxPushItems {
		return nil, spatial.Invalid("body", "%d items: at most %d a request", len(items), maxPushItems)
	}
	return items, nil
}

// pushedPosition is one item of POST /live/positions.
type pushedPosition struct {
	ID       string             `json:"id"`
	Time     *time.Time         `json:"time"`
	Lon      *float64           `json:"lon"`
	Lat      *float64           `json:"lat"`
	Altitude float64            `json:"altitude"`
	Speed    float64            `json:"speed"`   // km/h
	Heading  float64            `json:"heading"` // degrees from north
	Extra    map[string]float64 `json:"extra"`
}

// pushedObservation is one item of POST /live/observations.
type pushedObservation struct {
	Sensor string             `json:"sensor"`
	Time   *time.Time         `json:"time"`
	Value  *float64           `json:"value"`
	Values map[string]float64 `json:"values"`
	Unit   string             `json:"unit"`
}

func (s *Server) postPositions(c *fiber.Ctx) error {
	if err := mayPush(c); err != nil {
		return err
	}
	items, err := pushItems[pushedPosition](c)
	if err != nil {
		return err
	}
	cs := make([]live.Change, len(items))
	for i, it := range items {
		if it.ID == "" || it.Lon == nil || it.Lat == nil {
			return spatial.Invalid(fmt.Sprintf("item %d", i), "a position needs id, lon and lat")
		}
		cs[i] = live.Change{Type: live.ChangePosition, Object: it.ID, Source: "http",
			Position: &live.Position{Lon: *it.Lon, Lat: *it.Lat, Altitude: it.Altitude, Speed: it.Speed, Heading: it.Heading, Extra: it.Extra}}
		if it.Time != nil {
			cs[i].Time = *it.Time
		}
	}
	return s.accept(c, cs)
}

func (s *Server) postObservations(c *fiber.Ctx) error {
	if err := mayPush(c); err != nil {
		return err
	}
	items, err := pushItems[pushedObservation](c)
	if err != nil {
		return err
	}
	cs := make([]live.Change, len(items))
	for i, it := range items {
		values := it.Values
		if it.Value != nil {
			if values == nil {
				values = map[string]float64{}
			}
			values["value"] = *it.Value
		}
		if it.Sensor == "" || len(values) == 0 {
			return spatial.Invalid(fmt.Sprintf("item %d", i), "an observation needs sensor and value (or values)")
		}
		cs[i] = live.Change{Type: live.ChangeObservation, Object: it.Sensor, Source: "http",
			Observation: &live.Observation{Values: values, Unit: it.Unit}}
		if it.Time != nil {
			cs[i].Time = *it.Time
		}
	}
	return s.accept(c, cs)
}

// accept hands pushed changes to the hub: 202 when every one is accepted, 400 naming the one at
// fault (nothing taken), 503 with Retry-After while the history buffer is full.
func (s *Server) accept(c *fiber.Ctx, cs []live.Change) error {
	err := s.deps.Live.Accept(c.UserContext(), cs)
	switch {
	case err == nil:
		c.Status(fiber.StatusAccepted)
		return c.JSON(fiber.Map{"accepted": len(cs), "last_seq": cs[len(cs)-1].Seq})
	case errors.Is(err, live.ErrUnknownDevice):
		return spatial.Invalid("id", "%v", err)
	case errors.Is(err, live.ErrBufferFull):
		c.Set(fiber.HeaderRetryAfter, "30")
		return problemf(fiber.StatusServiceUnavailable, "", "the server holds too many changes the database has not taken yet; send again later")
	case errors.Is(err, live.ErrClosed):
		c.Set(fiber.HeaderRetryAfter, "5")
		return problemf(fiber.StatusServiceUnavailable, "", "the server is shutting down; send again")
	}
	return err
}

func (s *Server) devices(c *fiber.Ctx) error {
	kinds, err := parseKinds(c.Query("kind"))
	if err != nil {
		return err
	}
	list, err := live.NewRegistry(s.deps.Pool).List(c.UserContext(), kinds...)
	if err != nil {
		return err
	}
	may := s.liveLayers(c)
	out := []live.Device{}
	for _, d := range list {
		if may(d.Layer()) {
			out = append(out, d)
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"devices": out})
}

func (s *Server) device(c *fiber.Ctx) error {
	d, err := live.NewRegistry(s.deps.Pool).Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if !s.liveLayers(c)(d.Layer()) {
		return spatial.NotFound("device %q", d.ID)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(d)
}

// deviceRequest is the body of POST /live/devices: a device and, for a sensor, its MQTT password.
type deviceRequest struct {
	live.Device
	Password string `json:"password"`
}

func mayAdminister(c *fiber.Ctx, what string) error {
	if p := principal(c); !p.Has(spatial.RoleAdmin) {
		return denied(p, what+" needs the role admin")
	}
	return nil
}

func (s *Server) putDevice(c *fiber.Ctx) error {
	if err := mayAdminister(c, "registering devices"); err != nil {
		return err
	}
	var req deviceRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return spatial.Invalid("body", "not a device: %v", err)
	}
	if err := live.PutDevice(c.UserContext(), s.deps.Pool, req.Device, req.Password, s.deps.DeviceCredentials); err != nil {
		return err
	}
	// This replica's hub knows the device before the answer (others follow by NOTIFY), so a
	// position sent right after is accepted.
	if err := s.deps.Live.ReloadDevices(c.UserContext()); err != nil {
		return err
	}
	d, err := live.NewRegistry(s.deps.Pool).Get(c.UserContext(), req.ID)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	c.Location("/live/devices/" + d.ID)
	return c.JSON(d)
}

func (s *Server) deleteDevice(c *fiber.Ctx) error {
	if err := mayAdminister(c, "removing devices"); err != nil {
		return err
	}
	if err := live.RemoveDevice(c.UserContext(), s.deps.Pool, c.Params("id"), s.deps.DeviceCredentials); err != nil {
		return err
	}
	if err := s.deps.Live.ReloadDevices(c.UserContext()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
