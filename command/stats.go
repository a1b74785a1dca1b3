package command

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// The cockpit's figures (数字驾驶舱): incidents by state, overdue and supervised; how long each stage
// of the closed loop took, from the immutable events; incidents and alarms per hour over the last
// day; open alarms by level and devices online by kind.

var (
	//go:embed sql/stats_states.sql
	statsStatesSQL string
	//go:embed sql/stats_stages.sql
	statsStagesSQL string
	//go:embed sql/stats_hours.sql
	statsHoursSQL string
	//go:embed sql/stats_live.sql
	statsAlarmsSQL string
	//go:embed sql/stats_devices.sql
	statsDevicesSQL string
)

// States lists every state of an incident, in the order of the loop.
var States = []string{Reported, Accepted, Dispatched, Handling, Resolved, Evaluated, Rejected, Merged}

// Stages are the spans of the loop whose durations are measured, in order: each from the first event
// of one action to the first of the next; reported_resolved is the whole of it.
var Stages = []struct{ Name, From, To string }{
	{"reported_accepted", "report", "accept"},
	{"accepted_dispatched", "accept", "dispatch"},
	{"dispatched_handling", "dispatch", "handle"},
	{"handling_resolved", "handle", "resolve"},
	{"resolved_evaluated", "resolve", "evaluate"},
	{"reported_resolved", "report", "resolve"},
}

// StatsFilter selects what the figures count.
type StatsFilter struct {
	// Types of incidents (none: all).
	Types []string
	// From and To bound when incidents were created, for the counts by state and the stage times
	// (nil: open-ended). The hourly series is always the last 24 hours.
	From, To *time.Time
	// Layers are the live layers whose alarms and devices count (the caller's readable ones).
	Layers []string
	// OnlineWithin: a device that reported within this long is online (default 5 minutes).
	OnlineWithin time.Duration
}

// Stats are the cockpit's figures.
type Stats struct {
	At    time.Time `json:"at"` // the database's clock when they were counted
	Types []string  `json:"types"`
	// ByState counts incidents in each state (every state present, zeros too).
	ByState map[string]int `json:"by_state"`
	// Open counts those not closed (reported, accepted, dispatched, handling); Overdue those
	// dispatched or handling past their deadline; Supervised those a supervisor has pressed.
	Open       int          `json:"open"`
	Overdue    int          `json:"overdue"`
	Supervised int          `json:"supervised"`
	Total      int          `json:"total"`
	Stages     []StageStats `json:"stages"`
	// Hours are the last 24 hours, oldest first, each with the incidents reported and the alarms
	// raised in it.
	Hours   []HourCount  `json:"hours"`
	Alarms  AlarmCounts  `json:"alarms"`
	Devices []DeviceKind `json:"devices"`
}

// StageStats are the durations of one stage, in seconds (nil when no incident went through it).
type StageStats struct {
	Stage  string   `json:"stage"`
	From   string   `json:"from"` // the action that starts it
	To     string   `json:"to"`   // the action that ends it
	Count  int      `json:"count"`
	Median *float64 `json:"median_s"`
	P90    *float64 `json:"p90_s"`
	Max    *float64 `json:"max_s"`
}

// HourCount is one hour of the last day.
type HourCount struct {
	Hour      time.Time `json:"hour"`
	Incidents int       `json:"incidents"`
	Alarms    int       `json:"alarms"`
}

// AlarmCounts are the open alarms (raised or acknowledged) by level (every level present).
type AlarmCounts struct {
	Open    int            `json:"open"`
	ByLevel map[string]int `json:"by_level"`
}

// DeviceKind counts the registered devices of a kind.
type DeviceKind struct {
	Kind    string `json:"kind"`
	Online  int    `json:"online"`
	Offline int    `json:"offline"`
}

// Stats counts the cockpit's figures.
func (s *Store) Stats(ctx context.Context, f StatsFilter) (*Stats, error) {
	var types any
	if len(f.Types) > 0 {
		types = f.Types
	}
	within := f.OnlineWithin
	if within <= 0 {
		within = 5 * time.Minute
	}
	layers := f.Layers
	if layers == nil {
		layers = []string{}
	}
	st := &Stats{Types: f.Types, ByState: map[string]int{}, Stages: []StageStats{}, Hours: []HourCount{}, Devices: []DeviceKind{},
		Alarms: AlarmCounts{ByLevel: map[string]int{"red": 0, "orange": 0, "yellow": 0, "blue": 0}}}
	if st.Types == nil {
		st.Types = []string{}
	}
	for _, state := range States {
		st.ByState[state] = 0
	}
	// One snapshot for all the figures.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&st.At); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, statsStatesSQL, types, f.From, f.To)
	if err != nil {
		return nil, fmt.Errorf("incidents by state: %w", err)
	}
	var state string
	var n, overdue, supervised int
	_, err = pgx.ForEachRow(rows, []any{&state, &n, &overdue, &supervised}, func() error {
		st.ByState[state] = n
		st.Total += n
		st.Overdue += overdue
		st.Supervised += supervised
		switch state {
		case Reported, Accepted, Dispatched, Handling:
			st.Open += n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("incidents by state: %w", err)
	}

	stages := map[string]StageStats{}
	rows, err = tx.Query(ctx, statsStagesSQL, types, f.From, f.To)
	if err != nil {
		return nil, fmt.Errorf("stage times: %w", err)
	}
	var stage string
	var median, p90, mx float64
	_, err = pgx.ForEachRow(rows, []any{&stage, &n, &median, &p90, &mx}, func() error {
		// Seconds to the millisecond: interpolation leaves float noise (246.00000000000003).
		m, p, x := ms(median), ms(p90), ms(mx)
		stages[stage] = StageStats{Count: n, Median: &m, P90: &p, Max: &x}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stage times: %w", err)
	}
	for _, sg := range Stages {
		v := stages[sg.Name]
		v.Stage, v.From, v.To = sg.Name, sg.From, sg.To
		st.Stages = append(st.Stages, v)
	}

	rows, err = tx.Query(ctx, statsHoursSQL, types, layers)
	if err != nil {
		return nil, fmt.Errorf("hourly counts: %w", err)
	}
	var h HourCount
	_, err = pgx.ForEachRow(rows, []any{&h.Hour, &h.Incidents, &h.Alarms}, func() error {
		h.Hour = h.Hour.UTC()
		st.Hours = append(st.Hours, h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hourly counts: %w", err)
	}

	rows, err = tx.Query(ctx, statsAlarmsSQL, layers)
	if err != nil {
		return nil, fmt.Errorf("open alarms: %w", err)
	}
	var level string
	_, err = pgx.ForEachRow(rows, []any{&level, &n}, func() error {
		st.Alarms.ByLevel[level] = n
		st.Alarms.Open += n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open alarms: %w", err)
	}

	rows, err = tx.Query(ctx, statsDevicesSQL, layers, within)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	var d DeviceKind
	_, err = pgx.ForEachRow(rows, []any{&d.Kind, &d.Online, &d.Offline}, func() error {
		st.Devices = append(st.Devices, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return st, tx.Commit(ctx)
}

func ms(s float64) float64 { return math.Round(s*1000) / 1000 }
