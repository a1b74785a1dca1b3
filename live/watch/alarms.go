package watch

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// newAlarmID is a time-ordered id: milliseconds and 32 random bits, hex.
func newAlarmID(t time.Time) string {
	var r [4]byte
	rand.Read(r[:])
	return fmt.Sprintf("%011x%08x", t.UnixMilli(), binary.BigEndian.Uint32(r[:]))
}

const alarmColumns = `id, key, kind, object, coalesce(layer, ''), fence_id, coalesce(rule, ''), level, state, title,
	raised_at, updated_at, cleared_at, lon, lat, coalesce(ack_by, ''), ack_at, coalesce(ack_note, ''), evidence, detail`

func scanAlarm(row pgx.Row) (live.Alarm, error) {
	var a live.Alarm
	err := row.Scan(&a.ID, &a.Key, &a.Kind, &a.Object, &a.Layer, &a.Fence, &a.Rule, &a.Level, &a.State, &a.Title,
		&a.Time, &a.Updated, &a.Cleared, &a.Lon, &a.Lat, &a.AckBy, &a.AckAt, &a.AckNote, &a.Evidence, &a.Detail)
	a.Time, a.Updated = a.Time.UTC(), a.Updated.UTC()
	if len(a.Detail) == 0 {
		a.Detail = nil
	}
	return a, err
}

// insertRaised stores a newly raised alarm. When the condition is open already (another replica
// raised it first) nothing is stored and the open alarm is returned with won false.
func (s *Store) insertRaised(ctx context.Context, a *live.Alarm) (won bool, open live.Alarm, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO live.alarm (id, key, kind, object, layer, fence_id, rule, level, state, title,
				raised_at, updated_at, lon, lat, evidence, detail)
			VALUES ($1, $2, $3, $4, nullif($5, ''), $6, nullif($7, ''), $8, 'raised', $9, $10, $10, $11, $12, $13, $14)
			ON CONFLICT (key) WHERE state IN ('raised', 'acknowledged') DO NOTHING`,
			a.ID, a.Key, a.Kind, a.Object, a.Layer, a.Fence, a.Rule, a.Level, a.Title, a.Time, a.Lon, a.Lat, evidenceOf(a), detailOf(a))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			open, err = scanAlarm(tx.QueryRow(ctx, `SELECT `+alarmColumns+` FROM live.alarm WHERE key = $1 AND state IN ('raised', 'acknowledged')`, a.Key))
			return err
		}
		won = true
		return addEvent(ctx, tx, a.ID, a.Time, "raised", "", "", a.Level, "raised", map[string]any{"evidence": evidenceOf(a)})
	})
	return
}

func evidenceOf(a *live.Alarm) []live.Evidence {
	if a.Evidence == nil {
		return []live.Evidence{}
	}
	return a.Evidence
}

func detailOf(a *live.Alarm) map[string]any {
	if a.Detail == nil {
		return map[string]any{}
	}
	return a.Detail
}

func addEvent(ctx context.Context, tx pgx.Tx, id string, t time.Time, event, who, note, level, state string, data any) error {
	_, err := tx.Exec(ctx, `INSERT INTO live.alarm_event (alarm_id, time, event, who, note, level, state, data)
		VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7, $8)`, id, t, event, who, note, level, state, data)
	return err
}

// update stores an open alarm's new level and evidence (an event when the level changed).
func (s *Store) update(ctx context.Context, a *live.Alarm, levelChanged bool) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE live.alarm SET level = $2, title = $3, updated_at = $4, lon = $5, lat = $6, evidence = $7, detail = $8
			WHERE id = $1 AND state IN ('raised', 'acknowledged')`, a.ID, a.Level, a.Title, a.Updated, a.Lon, a.Lat, evidenceOf(a), detailOf(a))
		if err != nil || tag.RowsAffected() == 0 || !levelChanged {
			return err
		}
		return addEvent(ctx, tx, a.ID, a.Updated, "updated", "", "", a.Level, a.State, map[string]any{"level": a.Level})
	})
}

// clear ends an open alarm's condition: raised → cleared, acknowledged → closed. It reports whether
// this call changed it (another replica may have cleared it first) and the state it left.
func (s *Store) clear(ctx context.Context, a *live.Alarm) (changed bool, state string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE live.alarm SET state = CASE state WHEN 'raised' THEN 'cleared' ELSE 'closed' END,
				cleared_at = $2, updated_at = $2, evidence = $3
			WHERE id = $1 AND state IN ('raised', 'acknowledged') RETURNING state`, a.ID, *a.Cleared, evidenceOf(a)).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		changed = true
		return addEvent(ctx, tx, a.ID, *a.Cleared, state, "", "", a.Level, state, nil)
	})
	return
}

// ack acknowledges an alarm: raised → acknowledged, cleared → closed. An alarm already acknowledged
// or closed is a conflict.
func (s *Store) ack(ctx context.Context, id, who, note string, at time.Time) (live.Alarm, error) {
	var a live.Alarm
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlarm(tx.QueryRow(ctx, `SELECT `+alarmColumns+` FROM live.alarm WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return spatial.NotFound("alarm %q", id)
		}
		if err != nil {
			return err
		}
		next := map[string]string{live.AlarmRaised: live.AlarmAcknowledged, live.AlarmCleared: live.AlarmClosed}[a.State]
		if next == "" {
			return fmt.Errorf("alarm %s is %s already (by %s): %w", id, a.State, a.AckBy, spatial.ErrConflict)
		}
		a.State, a.AckBy, a.AckNote, a.AckAt, a.Updated = next, who, note, &at, at
		if _, err := tx.Exec(ctx, `UPDATE live.alarm SET state = $2, ack_by = $3, ack_note = nullif($4, ''), ack_at = $5, updated_at = $5 WHERE id = $1`,
			id, next, who, note, at); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, at, "acknowledged", who, note, a.Level, next, nil)
	})
	return a, err
}

// OpenAlarms are the alarms whose condition lasts.
func (s *Store) OpenAlarms(ctx context.Context) ([]live.Alarm, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alarmColumns+` FROM live.alarm WHERE state IN ('raised', 'acknowledged')`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Alarm, error) { return scanAlarm(r) })
}

// AlarmFilter selects alarms.
type AlarmFilter struct {
	States, Kinds, Levels []string
	BBox                  *[4]float64
	From, To              *time.Time // raised within
	Object                string
	Limit                 int
	Layer                 func(string) bool // the caller's rights; alarms of layers it may not read are left out
}

// Alarms returns alarms, newest first.
func (s *Store) Alarms(ctx context.Context, f AlarmFilter) ([]live.Alarm, error) {
	where := []string{"true"}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.States) > 0 {
		where = append(where, "state = ANY("+arg(f.States)+")")
	}
	if len(f.Kinds) > 0 {
		where = append(where, "kind = ANY("+arg(f.Kinds)+")")
	}
	if len(f.Levels) > 0 {
		where = append(where, "level = ANY("+arg(f.Levels)+")")
	}
	if f.Object != "" {
		where = append(where, "object = "+arg(f.Object))
	}
	if f.From != nil {
		where = append(where, "raised_at >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "raised_at < "+arg(*f.To))
	}
	if b := f.BBox; b != nil {
		where = append(where, fmt.Sprintf("lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s", arg(b[0]), arg(b[2]), arg(b[1]), arg(b[3])))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alarmColumns+` FROM live.alarm WHERE `+strings.Join(where, " AND ")+
		` ORDER BY raised_at DESC, id DESC LIMIT `+arg(limit*2), args...)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Alarm, error) { return scanAlarm(r) })
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(a live.Alarm) bool { return f.Layer != nil && !f.Layer(a.Layer) })
	return out[:min(len(out), limit)], nil
}

// AlarmEvent is one entry of an alarm's timeline.
type AlarmEvent struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	Who   string    `json:"who,omitempty"`
	Note  string    `json:"note,omitempty"`
	Level string    `json:"level"`
	State string    `json:"state"`
	Data  any       `json:"data,omitempty"`
}

// Alarm returns one alarm and its timeline, oldest first.
func (s *Store) Alarm(ctx context.Context, id string) (live.Alarm, []AlarmEvent, error) {
	a, err := scanAlarm(s.pool.QueryRow(ctx, `SELECT `+alarmColumns+` FROM live.alarm WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil, spatial.NotFound("alarm %q", id)
	}
	if err != nil {
		return a, nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT time, event, coalesce(who, ''), coalesce(note, ''), level, state, data
		FROM live.alarm_event WHERE alarm_id = $1 ORDER BY time, received_at`, id)
	if err != nil {
		return a, nil, err
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlarmEvent, error) {
		var e AlarmEvent
		err := r.Scan(&e.Time, &e.Event, &e.Who, &e.Note, &e.Level, &e.State, &e.Data)
		e.Time = e.Time.UTC()
		return e, err
	})
	return a, evs, err
}

// AlarmEventsSince returns the alarm changes recorded (received) at or after t, oldest first, each as
// the alarm with the level and state of that change and Updated its time, at most limit+1: the
// replay of a push client that reconnects (push.AlarmHistory).
func (s *Store) AlarmEventsSince(ctx context.Context, t time.Time, limit int) ([]live.Alarm, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.received_at, e.event, e.level, e.state, a.*
		FROM live.alarm_event e CROSS JOIN LATERAL (SELECT `+alarmColumns+` FROM live.alarm WHERE id = e.alarm_id) a
		WHERE e.received_at >= $1 ORDER BY e.received_at LIMIT $2`, t, limit+1)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Alarm, error) {
		var (
			rt               time.Time
			ev, level, state string
			a                live.Alarm
		)
		err := r.Scan(&rt, &ev, &level, &state, &a.ID, &a.Key, &a.Kind, &a.Object, &a.Layer, &a.Fence, &a.Rule, &a.Level, &a.State, &a.Title,
			&a.Time, &a.Updated, &a.Cleared, &a.Lon, &a.Lat, &a.AckBy, &a.AckAt, &a.AckNote, &a.Evidence, &a.Detail)
		a.Event, a.Level, a.State, a.Updated = ev, level, state, rt.UTC()
		a.Time = a.Time.UTC()
		return a, err
	})
}
