package live

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// persistEvery is how often the current state of the objects that changed is written to
// live.object_state (the live layers' tiles and features, and the hub's state after a restart).
const persistEvery = 2 * time.Second

func (h *Hub) persistLoop(ctx context.Context) {
	t := time.NewTicker(persistEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.expireHotspots()
		if err := h.persistState(ctx); err != nil && ctx.Err() == nil {
			h.log.Debug("live: writing the current state failed; retrying", "err", err)
		}
	}
}

// stateRow is an object's state as live.object_state has it.
type stateRow struct {
	id, kind, layer, name string
	time, received        time.Time
	lon, lat              *float64
	speed, heading, alt   *float64
	alarm, status         int64
	vals                  map[string]float64
	state                 map[string]any
}

// persistState writes the state of the objects that changed since the last call, and deletes the
// rows of removed devices.
func (h *Hub) persistState(ctx context.Context) error {
	h.mu.Lock()
	if len(h.dirty) == 0 && len(h.gone) == 0 {
		h.mu.Unlock()
		return nil
	}
	rows := make([]stateRow, 0, len(h.dirty))
	for id := range h.dirty {
		o := h.objects[id]
		if o == nil {
			continue
		}
		r := stateRow{id: o.id, kind: string(o.kind), layer: o.layer, time: o.reportTime(), received: o.received,
			alarm: int64(o.pos.Alarm), status: int64(o.pos.Status), vals: maps.Clone(o.vals), state: maps.Clone(o.state)}
		if o.dev != nil {
			r.name = o.dev.Name
			if r.name == "" {
				r.name = o.dev.Plate
			}
		}
		if o.hasPos {
			p := o.pos
			r.lon, r.lat = &p.Lon, &p.Lat
			if o.kind == KindVehicle || o.kind == KindTeam {
				r.speed, r.heading, r.alt = &p.Speed, &p.Heading, &p.Altitude
			}
		}
		rows = append(rows, r)
	}
	gone := make([]string, 0, len(h.gone))
	for id := range h.gone {
		gone = append(gone, id)
	}
	dirty, goneSet := h.dirty, h.gone
	h.dirty, h.gone = map[string]struct{}{}, map[string]struct{}{}
	h.mu.Unlock()

	err := pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		if len(gone) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM live.object_state WHERE id = ANY($1)`, gone); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		for _, r := range rows {
			var vals, state any
			if len(r.vals) > 0 {
				vals = r.vals
			}
			if len(r.state) > 0 {
				state = r.state
			}
			b.Queue(`INSERT INTO live.object_state (id, kind, layer, name, time, received_at, lon, lat, speed, heading, altitude, alarm, status, vals, state)
				VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
				ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, layer = EXCLUDED.layer, name = EXCLUDED.name,
					time = EXCLUDED.time, received_at = EXCLUDED.received_at, lon = EXCLUDED.lon, lat = EXCLUDED.lat,
					speed = EXCLUDED.speed, heading = EXCLUDED.heading, altitude = EXCLUDED.altitude, alarm = EXCLUDED.alarm,
					status = EXCLUDED.status, vals = EXCLUDED.vals, state = EXCLUDED.state`,
				r.id, r.kind, r.layer, r.name, nullTime(r.time), nullTime(r.received), r.lon, r.lat, r.speed, r.heading, r.alt, r.alarm, r.status, vals, state)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		// Try again next time, unless a newer change made the object dirty meanwhile anyway.
		h.mu.Lock()
		maps.Copy(h.dirty, dirty)
		for id := range goneSet {
			if h.objects[id] == nil {
				h.gone[id] = struct{}{}
			}
		}
		h.mu.Unlock()
	}
	return err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// loadState reads live.object_state into the hub at start.
func (h *Hub) loadState(ctx context.Context) error {
	rows, err := h.pool.Query(ctx, `SELECT id, time, received_at, lon, lat, coalesce(speed, 0), coalesce(heading, 0),
		coalesce(altitude, 0), alarm, status, vals, state FROM live.object_state`)
	if err != nil {
		return fmt.Errorf("loading the live state: %w", err)
	}
	defer rows.Close()
	devs := *h.devices.Load()
	h.mu.Lock()
	defer h.mu.Unlock()
	for rows.Next() {
		var (
			id            string
			t, rt         *time.Time
			lon, lat      *float64
			sp, hd, alt   float32
			alarm, status int64
			vals          map[string]float64
			state         map[string]any
		)
		if err := rows.Scan(&id, &t, &rt, &lon, &lat, &sp, &hd, &alt, &alarm, &status, &vals, &state); err != nil {
			return fmt.Errorf("loading the live state: %w", err)
		}
		d := devs[id]
		if d == nil {
			h.gone[id] = struct{}{}
			continue
		}
		o := h.objects[id]
		if o == nil {
			o = &object{id: id, kind: d.Kind, layer: d.Layer(), dev: d}
			h.objects[id] = o
		}
		if t != nil && rt != nil {
			o.time, o.received = t.UTC(), rt.UTC()
			o.times = [4]time.Time{o.time, o.time, o.time, o.time}
		}
		o.vals, o.state = vals, state
		if lon != nil && lat != nil {
			h.grid.move(id, o.hasPos, o.pos.Lon, o.pos.Lat, *lon, *lat)
			o.pos = Position{Lon: *lon, Lat: *lat, Speed: float64(sp), Heading: float64(hd), Altitude: float64(alt),
				Alarm: uint32(alarm), Status: uint32(status)}
			o.hasPos = true
		}
	}
	return rows.Err()
}

// loadHotspots brings the hotspots added since the last load (within HotspotWindow) into the hub and
// onto its stream: hotspots enter through live.hotspot, whoever wrote them (an import, the FIRMS
// poller of any replica), so every replica's hub has them.
func (h *Hub) loadHotspots(ctx context.Context) error {
	since := h.now().Add(-h.cfg.HotspotWindow)
	rows, err := h.pool.Query(ctx, `SELECT id, time, lon, lat, instrument, satellite, coalesce(confidence, ''),
		coalesce(brightness, 0), coalesce(frp, 0), coalesce(scan, 0), coalesce(track, 0), coalesce(daynight, ''),
		coalesce(version, ''), source FROM live.hotspot WHERE id > $1 AND time >= $2 ORDER BY id`, h.hotspotMax.Load()-hotspotSlack, since)
	if err != nil {
		return fmt.Errorf("loading hotspots: %w", err)
	}
	var cs []Change
	maxID := h.hotspotMax.Load()
	for rows.Next() {
		var (
			id int64
			t  time.Time
			hs Hotspot
		)
		if err := rows.Scan(&id, &t, &hs.Lon, &hs.Lat, &hs.Instrument, &hs.Satellite, &hs.Confidence, &hs.Brightness,
			&hs.FRP, &hs.Scan, &hs.Track, &hs.DayNight, &hs.Version, &hs.Source); err != nil {
			rows.Close()
			return fmt.Errorf("loading hotspots: %w", err)
		}
		maxID = max(maxID, id)
		cs = append(cs, Change{Type: ChangeHotspot, Object: HotspotID(id), Kind: KindHotspot, Layer: LayerOf(KindHotspot, ""),
			Time: t.UTC(), Source: "firms", Hotspot: &hs})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading hotspots: %w", err)
	}
	h.hotspotMax.Store(maxID)
	now := h.now().UTC()
	h.mu.Lock()
	cs = slices.DeleteFunc(cs, func(c Change) bool { return h.objects[c.Object] != nil })
	if len(cs) == 0 {
		h.mu.Unlock()
		return nil
	}
	for i := range cs {
		cs[i].Received = now
		h.apply(&cs[i])
	}
	h.stream.append(cs)
	h.mu.Unlock()
	h.metrics.accepted.WithLabelValues(string(ChangeHotspot), "firms").Add(float64(len(cs)))
	return nil
}

// hotspotSlack: each load reads back this many ids below the newest loaded, skipping those the hub
// has, so a row committed after one with a higher id (two writers at once) is not missed.
const hotspotSlack = 10_000

// HotspotID is the live object id of a live.hotspot row.
func HotspotID(id int64) string { return fmt.Sprintf("hotspot-%d", id) }

// expireHotspots drops hotspot objects older than the window (they stay in live.hotspot).
func (h *Hub) expireHotspots() {
	cut := h.now().Add(-h.cfg.HotspotWindow)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, o := range h.objects {
		if o.kind == KindHotspot && o.time.Before(cut) {
			h.remove(o)
		}
	}
}
