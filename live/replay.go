package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// HistoryLateness bounds HistorySince by device time as well: changes timed more than this before t
// are left out, so that the query reads the day partitions around t and not the whole retention.
// Such a change (blind-area data a day old) never moves an object now: the hub takes it as late.
const HistoryLateness = 24 * time.Hour

// HistorySince returns the changes history holds that the hub received at or after t (received_at):
// positions, observations (one change per sensor and time), state reports and device events, and
// the hotspots stored since t; oldest first by Received, Kind and Layer from the registry (a device
// removed since is left out). It is for a client that reconnects after the stream's ring has moved
// on. Each table is read up to limit rows: a result longer than limit means there were more (the
// caller should not replay then). Changes still waiting for their batch are not in history yet; the
// ring has them.
func (h *Hub) HistorySince(ctx context.Context, t time.Time, limit int) ([]Change, error) {
	devs := *h.devices.Load()
	floor := t.Add(-HistoryLateness)
	var out []Change
	withDevice := func(c Change) {
		d := devs[c.Object]
		if d == nil {
			return
		}
		c.Kind, c.Layer, c.Time, c.Received = d.Kind, d.Layer(), c.Time.UTC(), c.Received.UTC()
		out = append(out, c)
	}

	rows, err := h.pool.Query(ctx, `SELECT time, object_id, lon, lat, coalesce(altitude, 0), coalesce(speed, 0), coalesce(heading, 0),
			alarm, status, extra, source, received_at
		FROM live.position WHERE received_at >= $1 AND time >= $2 ORDER BY received_at LIMIT $3`, t, floor, limit+1)
	if err != nil {
		return nil, fmt.Errorf("replaying positions: %w", err)
	}
	for rows.Next() {
		var (
			c            = Change{Type: ChangePosition, Position: &Position{}}
			p            = c.Position
			alt, sp, hd  float32
			alarm, state int64
			extra        []byte
		)
		if err := rows.Scan(&c.Time, &c.Object, &p.Lon, &p.Lat, &alt, &sp, &hd, &alarm, &state, &extra, &c.Source, &c.Received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("replaying positions: %w", err)
		}
		p.Altitude, p.Speed, p.Heading, p.Alarm, p.Status = float64(alt), float64(sp), float64(hd), uint32(alarm), uint32(state)
		if len(extra) > 0 {
			_ = json.Unmarshal(extra, &p.Extra) // written from a map[string]float64
		}
		withDevice(c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replaying positions: %w", err)
	}

	rows, err = h.pool.Query(ctx, `SELECT time, sensor_id, jsonb_object_agg(name, value), max(unit), source, received_at
		FROM live.observation WHERE received_at >= $1 AND time >= $2
		GROUP BY sensor_id, time, received_at, source ORDER BY received_at LIMIT $3`, t, floor, limit+1)
	if err != nil {
		return nil, fmt.Errorf("replaying observations: %w", err)
	}
	for rows.Next() {
		var (
			c      = Change{Type: ChangeObservation, Observation: &Observation{}}
			values []byte
			unit   *string
		)
		if err := rows.Scan(&c.Time, &c.Object, &values, &unit, &c.Source, &c.Received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("replaying observations: %w", err)
		}
		if err := json.Unmarshal(values, &c.Observation.Values); err != nil {
			rows.Close()
			return nil, fmt.Errorf("replaying observations: %w", err)
		}
		if unit != nil {
			c.Observation.Unit = *unit
		}
		withDevice(c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replaying observations: %w", err)
	}

	rows, err = h.pool.Query(ctx, `SELECT time, device_id, name, detail, source, received_at
		FROM live.device_event WHERE received_at >= $1 AND time >= $2 ORDER BY received_at LIMIT $3`, t, floor, limit+1)
	if err != nil {
		return nil, fmt.Errorf("replaying device events: %w", err)
	}
	for rows.Next() {
		var (
			c      Change
			name   string
			detail []byte
		)
		if err := rows.Scan(&c.Time, &c.Object, &name, &detail, &c.Source, &c.Received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("replaying device events: %w", err)
		}
		var m map[string]any
		if len(detail) > 0 {
			_ = json.Unmarshal(detail, &m)
		}
		if name == "state" { // a device's own state report (see history.write)
			c.Type, c.State = ChangeState, m
		} else {
			c.Type, c.Event = ChangeEvent, &Event{Name: name, Detail: m}
		}
		withDevice(c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replaying device events: %w", err)
	}

	rows, err = h.pool.Query(ctx, `SELECT id, time, lon, lat, instrument, satellite, coalesce(confidence, ''),
			coalesce(brightness, 0), coalesce(frp, 0), coalesce(scan, 0), coalesce(track, 0), coalesce(daynight, ''),
			coalesce(version, ''), source, imported_at
		FROM live.hotspot WHERE imported_at >= $1 AND time >= $2 ORDER BY imported_at LIMIT $3`, t, h.now().Add(-h.cfg.HotspotWindow), limit+1)
	if err != nil {
		return nil, fmt.Errorf("replaying hotspots: %w", err)
	}
	for rows.Next() {
		var (
			id int64
			hs Hotspot
			c  = Change{Type: ChangeHotspot, Kind: KindHotspot, Layer: LayerOf(KindHotspot, ""), Source: "firms"}
		)
		if err := rows.Scan(&id, &c.Time, &hs.Lon, &hs.Lat, &hs.Instrument, &hs.Satellite, &hs.Confidence, &hs.Brightness,
			&hs.FRP, &hs.Scan, &hs.Track, &hs.DayNight, &hs.Version, &hs.Source, &c.Received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("replaying hotspots: %w", err)
		}
		c.Object, c.Hotspot, c.Time, c.Received = HotspotID(id), &hs, c.Time.UTC(), c.Received.UTC()
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replaying hotspots: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Change) int { return a.Received.Compare(b.Received) })
	return out, nil
}
