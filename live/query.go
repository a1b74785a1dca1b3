package live

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// TrackPoint is one fix of a track.
type TrackPoint struct {
	Time     time.Time `json:"time"`
	Lon      float64   `json:"lon"`
	Lat      float64   `json:"lat"`
	Altitude float64   `json:"altitude"`
	Speed    float64   `json:"speed"`
	Heading  float64   `json:"heading"`
	Alarm    uint32    `json:"alarm,omitempty"`
}

// MaxTrackPoints bounds one track answer; a longer period is asked for in parts.
const MaxTrackPoints = 100_000

// Track returns an object's fixes from history with from <= time < to, oldest first, at most
// MaxTrackPoints (truncated says there were more).
func (h *Hub) Track(ctx context.Context, id string, from, to time.Time) (pts []TrackPoint, truncated bool, err error) {
	if !to.After(from) {
		return nil, false, spatial.Invalid("to", "the period ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	rows, err := h.pool.Query(ctx, `SELECT time, lon, lat, coalesce(altitude, 0), coalesce(speed, 0), coalesce(heading, 0), alarm
		FROM live.position WHERE object_id = $1 AND time >= $2 AND time < $3 ORDER BY time LIMIT $4`, id, from, to, MaxTrackPoints+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p           TrackPoint
			alt, sp, hd float32
			alarm       int64
		)
		if err := rows.Scan(&p.Time, &p.Lon, &p.Lat, &alt, &sp, &hd, &alarm); err != nil {
			return nil, false, err
		}
		p.Time, p.Altitude, p.Speed, p.Heading, p.Alarm = p.Time.UTC(), float64(alt), float64(sp), float64(hd), uint32(alarm)
		pts = append(pts, p)
	}
	if len(pts) > MaxTrackPoints {
		return pts[:MaxTrackPoints], true, rows.Err()
	}
	return pts, false, rows.Err()
}

// At returns the state of every object at a past time t, from history: each mover's last fix and
// each sensor's last readings within lookback before t, cameras at their place, and the hotspots
// acquired within the hotspot window before t. The registry is today's (a device removed since is
// absent).
func (h *Hub) At(ctx context.Context, t time.Time, lookback time.Duration, f Filter) ([]Object, error) {
	devs := *h.devices.Load()
	var out []Object
	keep := func(o Object) {
		obj := object{id: o.ID, kind: o.Kind, layer: o.Layer, hasPos: o.HasPos, pos: o.Position}
		if f.match(&obj) {
			out = append(out, o)
		}
	}
	rows, err := h.pool.Query(ctx, `SELECT d.id, p.time, p.received_at, p.lon, p.lat, coalesce(p.altitude, 0), coalesce(p.speed, 0),
			coalesce(p.heading, 0), p.alarm, p.status
		FROM live.device d CROSS JOIN LATERAL (
			SELECT * FROM live.position p WHERE p.object_id = d.id AND p.time <= $1 AND p.time > $2
			ORDER BY p.time DESC LIMIT 1) p
		WHERE d.kind IN ('vehicle', 'team')`, t, t.Add(-lookback))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			o             Object
			alt, sp, hd   float32
			alarm, status int64
		)
		if err := rows.Scan(&o.ID, &o.Time, &o.Received, &o.Position.Lon, &o.Position.Lat, &alt, &sp, &hd, &alarm, &status); err != nil {
			rows.Close()
			return nil, err
		}
		d := devs[o.ID]
		if d == nil {
			continue
		}
		o.Kind, o.Layer, o.Device, o.HasPos = d.Kind, d.Layer(), d, true
		o.Time, o.Received = o.Time.UTC(), o.Received.UTC()
		o.Position.Altitude, o.Position.Speed, o.Position.Heading = float64(alt), float64(sp), float64(hd)
		o.Position.Alarm, o.Position.Status = uint32(alarm), uint32(status)
		keep(o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = h.pool.Query(ctx, `SELECT d.id, o.time, o.vals
		FROM live.device d CROSS JOIN LATERAL (
			SELECT max(time) AS time, jsonb_object_agg(name, value) AS vals FROM (
				SELECT DISTINCT ON (name) name, value, time FROM live.observation
				WHERE sensor_id = d.id AND time <= $1 AND time > $2 ORDER BY name, time DESC) last) o
		WHERE d.kind = 'sensor' AND o.time IS NOT NULL`, t, t.Add(-lookback))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for rows.Next() {
		var o Object
		if err := rows.Scan(&o.ID, &o.Time, &o.Values); err != nil {
			rows.Close()
			return nil, err
		}
		d := devs[o.ID]
		if d == nil {
			continue
		}
		seen[o.ID] = true
		o.Kind, o.Layer, o.Device, o.Time, o.Received = d.Kind, d.Layer(), d, o.Time.UTC(), o.Time.UTC()
		if d.Lon != nil {
			o.HasPos, o.Position = true, Position{Lon: *d.Lon, Lat: *d.Lat}
		}
		keep(o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range devs {
		if d.Kind != KindCamera || d.Lon == nil || d.CreatedAt.After(t) || seen[d.ID] {
			continue
		}
		keep(Object{ID: d.ID, Kind: d.Kind, Layer: d.Layer(), Device: d, Time: d.CreatedAt.UTC(), Received: d.CreatedAt.UTC(),
			HasPos: true, Position: Position{Lon: *d.Lon, Lat: *d.Lat}})
	}
	hs, err := h.hotspotsBetween(ctx, t.Add(-h.cfg.HotspotWindow), t)
	if err != nil {
		return nil, err
	}
	for _, o := range hs {
		keep(o)
	}
	sortObjects(out)
	return out, nil
}

func (h *Hub) hotspotsBetween(ctx context.Context, from, to time.Time) ([]Object, error) {
	rows, err := h.pool.Query(ctx, `SELECT id, time, imported_at, lon, lat, instrument, satellite, coalesce(confidence, ''),
		coalesce(brightness, 0), coalesce(frp, 0), coalesce(daynight, ''), source
		FROM live.hotspot WHERE time > $1 AND time <= $2 AND imported_at <= $2 + interval '1 day' ORDER BY id`, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Object, error) {
		var (
			id int64
			o  Object
			hs Hotspot
		)
		err := row.Scan(&id, &o.Time, &o.Received, &hs.Lon, &hs.Lat, &hs.Instrument, &hs.Satellite, &hs.Confidence,
			&hs.Brightness, &hs.FRP, &hs.DayNight, &hs.Source)
		o.ID, o.Kind, o.Layer, o.HasPos, o.Hotspot = HotspotID(id), KindHotspot, LayerOf(KindHotspot, ""), true, &hs
		o.Position = Position{Lon: hs.Lon, Lat: hs.Lat}
		o.Time, o.Received = o.Time.UTC(), o.Received.UTC()
		return o, err
	})
}

// SeriesPoint is one point of an observation series: a reading, or the mean of the readings in a
// bucket with their min, max and count when the series is downsampled.
type SeriesPoint struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
	Min   float64   `json:"min"`
	Max   float64   `json:"max"`
	Count int       `json:"count"`
}

// Series is a sensor's readings of one value over a period.
type Series struct {
	Sensor string        `json:"sensor"`
	Name   string        `json:"name"`  // the value's name ("value" for single-valued sensors)
	Names  []string      `json:"names"` // every value the sensor reported in the period
	Unit   string        `json:"unit,omitempty"`
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Bucket string        `json:"bucket,omitempty"` // the downsampling bucket (Go duration), when downsampled
	Points []SeriesPoint `json:"points"`
}

// ObservationSeries returns a sensor's readings of name ("" = "value" if it has one, else the first
// name) with from <= time < to, at most points of them: raw readings when there are no more,
// otherwise means over equal time buckets (with min, max and count), oldest first.
func (h *Hub) ObservationSeries(ctx context.Context, sensor, name string, from, to time.Time, points int) (Series, error) {
	d, ok := h.Device(sensor)
	if !ok || d.Kind != KindSensor {
		return Series{}, spatial.NotFound("sensor %q", sensor)
	}
	if !to.After(from) {
		return Series{}, spatial.Invalid("to", "the period ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if points < 2 || points > 10_000 {
		return Series{}, spatial.Invalid("points", "%d points: ask for 2 to 10000", points)
	}
	s := Series{Sensor: sensor, From: from.UTC(), To: to.UTC(), Points: []SeriesPoint{}, Names: []string{}}
	var unit *string
	if err := h.pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT name ORDER BY name), '{}'), max(unit)
		FROM live.observation WHERE sensor_id = $1 AND time >= $2 AND time < $3`, sensor, from, to).Scan(&s.Names, &unit); err != nil {
		return s, err
	}
	if unit != nil {
		s.Unit = *unit
	} else {
		s.Unit = d.Unit
	}
	switch {
	case name != "":
		s.Name = name
	case len(s.Names) == 0 || slices.Contains(s.Names, "value"):
		s.Name = "value"
	default:
		s.Name = s.Names[0]
	}
	var n int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM live.observation WHERE sensor_id = $1 AND name = $2 AND time >= $3 AND time < $4`,
		sensor, s.Name, from, to).Scan(&n); err != nil {
		return s, err
	}
	var (
		rows pgx.Rows
		err  error
	)
	if n <= points {
		rows, err = h.pool.Query(ctx, `SELECT time, value, value, value, 1 FROM live.observation
			WHERE sensor_id = $1 AND name = $2 AND time >= $3 AND time < $4 ORDER BY time`, sensor, s.Name, from, to)
	} else {
		bucket := to.Sub(from) / time.Duration(points)
		bucket = max(bucket.Round(time.Second), time.Second)
		for to.Sub(from)/bucket > time.Duration(points) {
			bucket += time.Second
		}
		s.Bucket = bucket.String()
		rows, err = h.pool.Query(ctx, `SELECT date_bin($5::interval, time, $3::timestamptz) AS b, avg(value), min(value), max(value), count(*)
			FROM live.observation WHERE sensor_id = $1 AND name = $2 AND time >= $3 AND time < $4
			GROUP BY b ORDER BY b`, sensor, s.Name, from, to, fmt.Sprintf("%d seconds", int64(bucket/time.Second)))
	}
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var p SeriesPoint
		if err := rows.Scan(&p.Time, &p.Value, &p.Min, &p.Max, &p.Count); err != nil {
			return s, err
		}
		p.Time = p.Time.UTC()
		s.Points = append(s.Points, p)
	}
	return s, rows.Err()
}
