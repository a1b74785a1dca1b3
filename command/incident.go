// Package command carries incidents through the closed loop of the county's operation centre:
// 发现 reported → 受理 accepted (or rejected, or merged into another) → 分拨 dispatched to a department
// or team with a deadline → 处置 handling → 办结 resolved → 评估 evaluated, with 督办 supervision raised
// by a supervisor at any open stage. Every transition is an immutable event (who, when, where, note,
// detail); an illegal one is refused naming the legal ones; concurrent ones never lose one (the row
// is locked and versioned). Roles decide who may do what. HTTP routes are in server/.
package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
)

// States of an incident.
const (
	Reported   = "reported"
	Accepted   = "accepted"
	Rejected   = "rejected"
	Merged     = "merged"
	Dispatched = "dispatched"
	Handling   = "handling"
	Resolved   = "resolved"
	Evaluated  = "evaluated"
)

// Roles that work incidents (admin may do everything).
const (
	RoleOperator   = "operator"   // accepts, rejects, merges, dispatches (值班员)
	RoleDepartment = "department" // handles and resolves what it was dispatched (处置部门)
	RoleSupervisor = "supervisor" // supervises and evaluates (督办)
)

// moves are the legal transitions: state → action → next state.
var moves = map[string]map[string]string{
	Reported:   {"accept": Accepted, "reject": Rejected, "merge": Merged},
	Accepted:   {"dispatch": Dispatched, "supervise": Accepted},
	Dispatched: {"dispatch": Dispatched, "handle": Handling, "supervise": Dispatched},
	Handling:   {"resolve": Resolved, "supervise": Handling},
	Resolved:   {"evaluate": Evaluated},
}

// mayDo is the role each action needs.
var mayDo = map[string]string{
	"accept": RoleOperator, "reject": RoleOperator, "merge": RoleOperator, "dispatch": RoleOperator,
	"handle": RoleDepartment, "resolve": RoleDepartment,
	"supervise": RoleSupervisor, "evaluate": RoleSupervisor,
}

// actionTo is the action that leads to a state (the `to` of a transition); "supervised" is the
// supervision flag.
var actionTo = map[string]string{
	Accepted: "accept", Rejected: "reject", Merged: "merge", Dispatched: "dispatch", Handling: "handle",
	Resolved: "resolve", Evaluated: "evaluate", "supervised": "supervise",
}

// Normalize fills Action from To (`{"to":"accepted"}` is `{"action":"accept"}`); both given must agree.
func (t *Transition) Normalize() error {
	if t.To == "" {
		return nil
	}
	a, ok := actionTo[t.To]
	if !ok {
		return spatial.Invalid("to", "%q is not a state: use one of %s", t.To, strings.Join(slices.Sorted(maps.Keys(actionTo)), ", "))
	}
	if t.Action != "" && t.Action != a {
		return spatial.Invalid("action", "%q does not lead to %q (%s does)", t.Action, t.To, a)
	}
	t.Action = a
	return nil
}

// NeedsRole is the role an action needs (false: no such action).
func NeedsRole(action string) (string, bool) {
	r, ok := mayDo[action]
	return r, ok
}

// DefaultDeadlines are how long a dispatched incident of a type may take before it is overdue, when
// the dispatch names no deadline.
var DefaultDeadlines = map[string]time.Duration{
	"forest_fire": time.Hour, "hazmat": 2 * time.Hour, "mine": 2 * time.Hour, "sensor": 4 * time.Hour,
}

const defaultDeadline = 24 * time.Hour

// Incident is one incident as it stands.
type Incident struct {
	ID          int64           `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	State       string          `json:"state"`
	Geometry    json.RawMessage `json:"geometry"`
	Source      string          `json:"source"`
	SourceRef   *string         `json:"source_ref"`
	Assignee    *string         `json:"assignee"`
	Deadline    *time.Time      `json:"deadline"`
	Overdue     bool            `json:"overdue"`
	Supervised  bool            `json:"supervised"`
	MergedInto  *int64          `json:"merged_into"`
	Version     int             `json:"version"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Actions are what may be done next (whoever may do them).
	Actions []string `json:"actions"`
}

// Event is one step of an incident's timeline.
type Event struct {
	ID     int64           `json:"id"`
	Action string          `json:"action"`
	From   *string         `json:"from"`
	To     string          `json:"to"`
	Actor  string          `json:"actor"`
	Note   string          `json:"note"`
	Detail map[string]any  `json:"detail"`
	Where  json.RawMessage `json:"where"`
	At     time.Time       `json:"at"`
}

// Report is a new incident.
type Report struct {
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Geometry    json.RawMessage `json:"geometry"` // GeoJSON, lon/lat (EPSG:4490): a point or an area
	Source      string          `json:"source"`
	SourceRef   string          `json:"source_ref"`
}

// Transition is an action on an incident.
type Transition struct {
	Action string `json:"action"`
	To     string `json:"to"` // the state to go to, instead of the action (accepted, dispatched, …, supervised)
	Note   string `json:"note"`
	// Version, when given, must be the incident's current one (else 409): the caller acted on what
	// it saw.
	Version    int        `json:"version"`
	Assignee   string     `json:"assignee"`    // dispatch: the department or team
	Deadline   *time.Time `json:"deadline"`    // dispatch: default by type (DefaultDeadlines)
	MergedInto int64      `json:"merged_into"` // merge: the incident it duplicates
	Score      *int       `json:"score"`       // evaluate: 1–5
	Where      []float64  `json:"where"`       // lon, lat of the actor, when known
}

// Store keeps incidents in PostgreSQL.
type Store struct {
	pool     *pgxpool.Pool
	clock    atomic.Pointer[func() time.Time]
	onChange func(*Incident)
}

// NewStore returns a store over the pool.
func NewStore(pool *pgxpool.Pool) *Store {
	s := &Store{pool: pool}
	s.SetClock(time.Now)
	return s
}

// SetClock replaces the clock that deadlines and supervision go by (tests).
func (s *Store) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Store) now() time.Time { return (*s.clock.Load())() }

// OnChange is called with every incident after it was stored new or changed (the live push).
func (s *Store) OnChange(f func(*Incident)) { s.onChange = f }

// changed reads an incident back after a change and tells OnChange.
func (s *Store) changed(ctx context.Context, id int64) (*Incident, error) {
	in, _, err := s.Incident(ctx, id)
	if err == nil && s.onChange != nil {
		s.onChange(in)
	}
	return in, err
}

const incidentColumns = `id, type, title, description, state, ST_AsGeoJSON(geom, 7, 0), source, source_ref, assignee,
	deadline, coalesce(deadline < now() AND state IN ('dispatched', 'handling'), false), supervised, merged_into, version,
	created_by, created_at, updated_at`

func scanIncident(row pgx.Row) (*Incident, error) {
	var in Incident
	var geom *string
	if err := row.Scan(&in.ID, &in.Type, &in.Title, &in.Description, &in.State, &geom, &in.Source, &in.SourceRef, &in.Assignee,
		&in.Deadline, &in.Overdue, &in.Supervised, &in.MergedInto, &in.Version, &in.CreatedBy, &in.CreatedAt, &in.UpdatedAt); err != nil {
		return nil, err
	}
	in.Geometry = json.RawMessage("null")
	if geom != nil {
		in.Geometry = json.RawMessage(*geom)
	}
	in.Actions = slices.Sorted(maps.Keys(moves[in.State]))
	if in.Actions == nil {
		in.Actions = []string{}
	}
	return &in, nil
}

// Report stores a new incident (state reported) and its first event.
func (s *Store) Report(ctx context.Context, r Report, who string) (*Incident, error) {
	r.Type, r.Title = strings.TrimSpace(r.Type), strings.TrimSpace(r.Title)
	if r.Type == "" {
		return nil, spatial.Invalid("type", "an incident needs a type (forest_fire, hazmat, mine, sensor, other…)")
	}
	if r.Title == "" {
		return nil, spatial.Invalid("title", "an incident needs a title")
	}
	if r.Source == "" {
		r.Source = "manual"
	}
	var geom any
	if len(r.Geometry) > 0 && string(r.Geometry) != "null" {
		geom = string(r.Geometry)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO command.incident (type, title, description, geom, source, source_ref, created_by)
		VALUES ($1, $2, $3, CASE WHEN $4::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($4), 4490) END, $5, nullif($6, ''), $7)
		RETURNING id`, r.Type, r.Title, r.Description, geom, r.Source, r.SourceRef, who).Scan(&id)
	if err != nil {
		if isDataError(err) {
			return nil, spatial.Invalid("geometry", "not a GeoJSON geometry in lon/lat")
		}
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, to_state, actor, note)
		VALUES ($1, 'report', 'reported', $2, $3)`, id, who, r.Description); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return s.changed(ctx, id)
}

// Incident returns an incident and its timeline, oldest first.
func (s *Store) Incident(ctx context.Context, id int64) (*Incident, []Event, error) {
	in, err := scanIncident(s.pool.QueryRow(ctx, `SELECT `+incidentColumns+` FROM command.incident WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, spatial.NotFound("incident %d", id)
	}
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, action, from_state, to_state, actor, note, detail, coalesce(ST_AsGeoJSON(geom, 7, 0), 'null'), at
		FROM command.incident_event WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		var where string
		err := r.Scan(&e.ID, &e.Action, &e.From, &e.To, &e.Actor, &e.Note, &e.Detail, &where, &e.At)
		e.Where = json.RawMessage(where)
		return e, err
	})
	return in, events, err
}

// Filter selects incidents; zero fields select all.
type Filter struct {
	Types, States []string
	BBox          *[4]float64
	From, To      *time.Time // created
	Overdue       bool
	Limit         int
}

// Incidents lists incidents, newest first.
func (s *Store) Incidents(ctx context.Context, f Filter) ([]*Incident, error) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.Types) > 0 {
		conds = append(conds, "type = ANY("+arg(f.Types)+")")
	}
	if len(f.States) > 0 {
		conds = append(conds, "state = ANY("+arg(f.States)+")")
	}
	if b := f.BBox; b != nil {
		conds = append(conds, fmt.Sprintf("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4490)", arg(b[0]), arg(b[1]), arg(b[2]), arg(b[3])))
	}
	if f.From != nil {
		conds = append(conds, "created_at >= "+arg(*f.From))
	}
	if f.To != nil {
		conds = append(conds, "created_at < "+arg(*f.To))
	}
	if f.Overdue {
		conds = append(conds, "deadline < now() AND state IN ('dispatched', 'handling')")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+incidentColumns+` FROM command.incident`+where+` ORDER BY created_at DESC, id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Incident, error) { return scanIncident(r) })
}

// ErrIllegal is a transition the incident's state does not allow, or one made on a stale version.
var ErrIllegal = spatial.ErrConflict

// Transition applies an action for p. The incident's row is locked while it is checked and changed,
// so of two concurrent transitions both are applied in turn when both stay legal, and the second is
// refused (409, naming the state and the legal actions) when the first made it illegal.
func (s *Store) Transition(ctx context.Context, id int64, t Transition, p spatial.Principal) (*Incident, error) {
	if err := t.Normalize(); err != nil {
		return nil, err
	}
	role, known := mayDo[t.Action]
	if !known {
		return nil, spatial.Invalid("action", "%q: use one of %s", t.Action, strings.Join(slices.Sorted(maps.Keys(mayDo)), ", "))
	}
	if !p.Has(role) && !p.Has(spatial.RoleAdmin) {
		return nil, fmt.Errorf("%s needs the role %s: %w", t.Action, role, spatial.ErrForbidden)
	}
	if t.Where != nil && len(t.Where) != 2 {
		return nil, spatial.Invalid("where", "lon and lat, two numbers")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var state, typ string
	var version int
	err = tx.QueryRow(ctx, `SELECT state, type, version FROM command.incident WHERE id = $1 FOR UPDATE`, id).Scan(&state, &typ, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("incident %d", id)
	}
	if err != nil {
		return nil, err
	}
	next, ok := moves[state][t.Action]
	if !ok {
		return nil, illegal(id, state, fmt.Sprintf("%s is not possible", t.Action))
	}
	if t.Version != 0 && t.Version != version {
		return nil, illegal(id, state, fmt.Sprintf("it changed since version %d (now version %d): reload and act again", t.Version, version))
	}
	detail := map[string]any{}
	set := []string{"state = $2", "version = version + 1", "updated_at = now()"}
	args := []any{id, next}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	switch t.Action {
	case "dispatch":
		if strings.TrimSpace(t.Assignee) == "" {
			return nil, spatial.Invalid("assignee", "a dispatch names the department or team it goes to")
		}
		now := s.now()
		deadline := now.Add(defaultDeadline)
		if d, ok := DefaultDeadlines[typ]; ok {
			deadline = now.Add(d)
		}
		if t.Deadline != nil {
			if !t.Deadline.After(now) {
				return nil, spatial.Invalid("deadline", "%s is in the past (now %s)", t.Deadline.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
			}
			deadline = *t.Deadline
		}
		add("assignee", t.Assignee)
		add("deadline", deadline)
		detail["assignee"], detail["deadline"] = t.Assignee, deadline.UTC().Format(time.RFC3339)
	case "merge":
		if t.MergedInto == 0 || t.MergedInto == id {
			return nil, spatial.Invalid("merged_into", "the id of the incident this one duplicates")
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM command.incident WHERE id = $1)`, t.MergedInto).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			return nil, spatial.Invalid("merged_into", "there is no incident %d", t.MergedInto)
		}
		add("merged_into", t.MergedInto)
		detail["merged_into"] = t.MergedInto
	case "supervise":
		add("supervised", true)
	case "evaluate":
		if t.Score == nil || *t.Score < 1 || *t.Score > 5 {
			return nil, spatial.Invalid("score", "an evaluation scores the handling from 1 to 5")
		}
		detail["score"] = *t.Score
	}
	if _, err := tx.Exec(ctx, `UPDATE command.incident SET `+strings.Join(set, ", ")+` WHERE id = $1`, args...); err != nil {
		return nil, err
	}
	var where any
	if t.Where != nil {
		where = fmt.Sprintf("POINT(%v %v)", t.Where[0], t.Where[1])
	}
	if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, from_state, to_state, actor, note, detail, geom)
		VALUES ($1, $2, $3, $4, $5, $6, $7, ST_GeomFromText($8, 4490))`, id, t.Action, state, next, p.Subject, t.Note, detail, where); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return s.changed(ctx, id)
}

// illegal is the refusal of an action the incident's state does not allow: it names the state and
// the legal actions with the state each leads to, and carries those states (the problem's "legal").
func illegal(id int64, state, why string) error {
	actions := slices.Sorted(maps.Keys(moves[state]))
	what, states := "none: the incident is closed", []string{}
	if len(actions) > 0 {
		parts := make([]string, len(actions))
		for i, a := range actions {
			to := moves[state][a]
			if a == "supervise" {
				to = "supervised"
			}
			parts[i] = a + " (→ " + to + ")"
			states = append(states, to)
		}
		what = strings.Join(parts, ", ")
	}
	return &spatial.ConflictError{Reason: fmt.Sprintf("incident %d is %s: %s; legal now: %s", id, state, why, what), Legal: states}
}

func isDataError(err error) bool {
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && (strings.HasPrefix(pe.SQLState(), "22") || strings.HasPrefix(pe.SQLState(), "XX"))
}
