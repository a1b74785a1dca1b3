package command

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/watch"
	"github.com/yitu-gis/yitu/spatial"
)

// alwaysIncident are the alarm kinds that become incidents at any level.
var alwaysIncident = []string{"jt808_emergency", "escalation"}

// openStates are the states of an incident still being worked.
var openStates = []string{Reported, Accepted, Dispatched, Handling}

// System is the actor of what the server does by itself.
const System = "系统"

// intakeLock serializes the intake across replicas (pg_try_advisory_xact_lock).
const intakeLock = 0x7969747563_01 // "yituc" 1

// Intake turns alarms and satellite hotspots into incidents and supervises those whose deadline
// passed. Every replica runs one; each pass takes a transaction-scoped advisory lock, so one works at
// a time, and each alarm and hotspot is taken once (their rows in command.incident_alarm and
// command.incident_hotspot).
type Intake struct {
	store  *Store
	cfg    Config
	log    *slog.Logger
	wake   chan struct{}
	alarms Holder
}

// Holder holds the alarms of conditions the intake watches (the watch engine).
type Holder interface {
	Hold(prefix string, conds []watch.Condition)
}

// UseAlarms makes the intake raise compound-risk alarms through h (a fire's spread reaching a
// hazmat route or a tailings dam).
func (in *Intake) UseAlarms(h Holder) { in.alarms = h }

// NewIntake returns the intake of the store.
func NewIntake(store *Store, cfg Config, log *slog.Logger) *Intake {
	d := DefaultConfig()
	if len(cfg.AlarmLevels) == 0 {
		cfg.AlarmLevels = d.AlarmLevels
	}
	if cfg.HotspotDistance <= 0 {
		cfg.HotspotDistance = d.HotspotDistance
	}
	if cfg.HotspotWindow <= 0 {
		cfg.HotspotWindow = d.HotspotWindow
	}
	if cfg.HotspotMaskMargin < 0 {
		cfg.HotspotMaskMargin = 0
	}
	if cfg.Every <= 0 {
		cfg.Every = d.Every
	}
	return &Intake{store: store, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
}

// Check validates the configuration against the catalog: the mask must be a polygon layer.
func (in *Intake) Check(ctx context.Context) error {
	for _, l := range in.cfg.AlarmLevels {
		if !slices.Contains(live.Levels, l) {
			return spatial.Invalid("command.alarm_levels", "%q is not an alarm level: use blue, yellow, orange or red", l)
		}
	}
	if in.cfg.HotspotMask == "" {
		return nil
	}
	_, err := in.maskTable(ctx)
	return err
}

// maskTable is the mask layer as a FROM item: m, with its geometry as m.geom.
func (in *Intake) maskTable(ctx context.Context) (string, error) {
	var schema, table, column, gtype string
	err := in.store.pool.QueryRow(ctx, `SELECT schema_name, table_name, geometry_column, geometry_type FROM catalog.layer WHERE id = $1`, in.cfg.HotspotMask).
		Scan(&schema, &table, &column, &gtype)
	if err == pgx.ErrNoRows {
		return "", spatial.Invalid("command.hotspot_mask", "there is no layer %q in the catalog", in.cfg.HotspotMask)
	}
	if err != nil {
		return "", err
	}
	if !strings.Contains(strings.ToLower(gtype), "polygon") {
		return "", spatial.Invalid("command.hotspot_mask", "layer %q holds %s, not polygons", in.cfg.HotspotMask, gtype)
	}
	return "(SELECT " + pgx.Identifier{column}.Sanitize() + " AS geom FROM " + pgx.Identifier{schema, table}.Sanitize() + ") m", nil
}

// Wake asks for a pass soon (an alarm was raised, hotspots arrived).
func (in *Intake) Wake() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// Run makes a pass every cfg.Every and whenever woken, until ctx ends. With a stream, it wakes on
// every alarm raised and every hotspot (the stream is a hint: the database says what to take).
func (in *Intake) Run(ctx context.Context, stream *live.Stream) {
	if stream != nil {
		sub := stream.Subscribe()
		defer sub.Close()
		go func() {
			for {
				cs, err := sub.Next(ctx, 256)
				if ctx.Err() != nil {
					return
				}
				if err != nil || slices.ContainsFunc(cs, func(c live.Change) bool {
					return c.Type == live.ChangeHotspot || c.Type == live.ChangeAlarm && c.Alarm != nil && c.Alarm.Event == "raised"
				}) {
					in.Wake()
				}
			}
		}()
	}
	t := time.NewTicker(in.cfg.Every)
	defer t.Stop()
	for {
		if err := in.Pass(ctx); err != nil && ctx.Err() == nil {
			in.log.Warn("command: intake pass failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-in.wake:
		}
	}
}

// Publisher puts every incident change onto the hub's stream (as live.ChangeIncident, in the layer
// live.IncidentLayer), whence the push sends it to every signed-in map and the outbox to the other
// replicas.
func Publisher(hub *live.Hub) func(*Incident) {
	return func(in *Incident) {
		if ch, ok := incidentChange(in); ok {
			hub.Publish([]live.Change{ch})
		}
	}
}

// incidentChange is an incident's state as a live change (the push's incident message).
func incidentChange(in *Incident) (live.Change, bool) {
	b, err := json.Marshal(in)
	if err != nil {
		return live.Change{}, false
	}
	return live.Change{Type: live.ChangeIncident, Object: "incident-" + strconv.FormatInt(in.ID, 10),
		Layer: live.IncidentLayer, Time: in.UpdatedAt, Source: "command", Incident: b}, true
}

// IncidentChangesSince returns the incidents changed at or after t as live changes (their state
// now, Received: when they last changed), oldest first, at most limit+1: what a map reconnecting
// to the live push missed once the stream's ring no longer holds it (push.IncidentHistory).
func (s *Store) IncidentChangesSince(ctx context.Context, t time.Time, limit int) ([]live.Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+incidentColumns+` FROM command.incident WHERE updated_at >= $1 ORDER BY updated_at, id LIMIT $2`, t, limit+1)
	if err != nil {
		return nil, err
	}
	ins, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Incident, error) { return scanIncident(r) })
	if err != nil {
		return nil, err
	}
	out := make([]live.Change, 0, len(ins))
	for _, in := range ins {
		if ch, ok := incidentChange(in); ok {
			ch.Received = in.UpdatedAt
			out = append(out, ch)
		}
	}
	return out, nil
}

// PassResult says what a pass did.
type PassResult struct {
	Alarms, Hotspots, Masked, Incidents, Supervised, Compound int
}

// Pass takes the new alarms and hotspots and supervises overdue incidents, once, unless another
// replica is making its pass (then it does nothing).
func (in *Intake) Pass(ctx context.Context) error {
	_, err := in.pass(ctx)
	return err
}

func (in *Intake) pass(ctx context.Context) (PassResult, error) {
	var r PassResult
	tx, err := in.store.pool.Begin(ctx)
	if err != nil {
		return r, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var mine bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(intakeLock)).Scan(&mine); err != nil || !mine {
		return r, err
	}
	now := in.store.now()
	var changed []int64
	ids, err := in.takeAlarms(ctx, tx, now, &r)
	if err != nil {
		return r, fmt.Errorf("alarms: %w", err)
	}
	changed = append(changed, ids...)
	if ids, err = in.takeHotspots(ctx, tx, now, &r); err != nil {
		return r, fmt.Errorf("hotspots: %w", err)
	}
	changed = append(changed, ids...)
	if ids, err = in.superviseOverdue(ctx, tx, now, &r); err != nil {
		return r, fmt.Errorf("supervision: %w", err)
	}
	changed = append(changed, ids...)
	if err := tx.Commit(ctx); err != nil {
		return r, err
	}
	if in.alarms != nil {
		conds, err := compoundRisks(ctx, in.store.pool)
		if err != nil {
			return r, fmt.Errorf("compound risks: %w", err)
		}
		in.alarms.Hold(compoundPrefix, conds)
		r.Compound = len(conds)
	}
	slices.Sort(changed)
	for _, id := range slices.Compact(changed) {
		if _, err := in.store.changed(ctx, id); err != nil {
			return r, err
		}
	}
	return r, nil
}

// alarmRow is an alarm to take, with what its device says about the incident's type.
type alarmRow struct {
	id, key, kind, level, title string
	raised                      time.Time
	lon, lat                    *float64
	devKind, vehicleKind        string
	sensorKind, group, un       string
	plate, carrier, class       string
}

// vehicleLine says which vehicle and cargo an alarm is about (empty for other objects).
func (a alarmRow) vehicleLine() string {
	var parts []string
	if a.plate != "" {
		parts = append(parts, "车牌 "+a.plate)
	}
	if a.carrier != "" {
		parts = append(parts, "承运单位 "+a.carrier)
	}
	if a.un != "" {
		cargo := "货物 UN" + strings.TrimPrefix(strings.ToUpper(a.un), "UN")
		if a.class != "" {
			cargo += "（第 " + a.class + " 类）"
		}
		parts = append(parts, cargo)
	}
	return strings.Join(parts, "，")
}

// takeAlarms makes an incident of each new alarm at an incident level, or attaches it to the open
// incident of its condition.
func (in *Intake) takeAlarms(ctx context.Context, tx pgx.Tx, now time.Time, r *PassResult) ([]int64, error) {
	rows, err := tx.Query(ctx, `
		SELECT a.id, a.key, a.kind, a.level, a.title, a.raised_at, a.lon, a.lat,
		       coalesce(d.kind, ''), coalesce(d.vehicle_kind, ''), coalesce(d.sensor_kind, ''), coalesce(d.group_name, ''), coalesce(d.un_number, ''),
		       coalesce(d.plate, ''), coalesce(d.carrier, ''), coalesce(d.hazard_class, '')
		FROM live.alarm a
		LEFT JOIN LATERAL (SELECT * FROM live.device d WHERE d.id = a.object OR d.group_name = a.object
		                   ORDER BY d.id = a.object DESC, d.id LIMIT 1) d ON true
		WHERE a.raised_at > $1::timestamptz - interval '1 day'
		  AND (a.level = ANY($2) OR a.kind = ANY($3))
		  AND NOT EXISTS (SELECT FROM command.incident_alarm ia WHERE ia.alarm_id = a.id)
		ORDER BY a.raised_at, a.id LIMIT 1000`, now, in.cfg.AlarmLevels, alwaysIncident)
	if err != nil {
		return nil, err
	}
	alarms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alarmRow, error) {
		var a alarmRow
		err := row.Scan(&a.id, &a.key, &a.kind, &a.level, &a.title, &a.raised, &a.lon, &a.lat,
			&a.devKind, &a.vehicleKind, &a.sensorKind, &a.group, &a.un, &a.plate, &a.carrier, &a.class)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	var changed []int64
	for _, a := range alarms {
		detail := map[string]any{"alarm": a.id, "kind": a.kind, "level": a.level}
		if a.un != "" || a.carrier != "" {
			detail["vehicle"] = map[string]any{"plate": a.plate, "carrier": a.carrier, "un_number": a.un, "hazard_class": a.class}
		}
		var id int64
		var state string
		err := tx.QueryRow(ctx, `SELECT id, state FROM command.incident
			WHERE (source = 'alarm' AND source_ref = $1 OR id = $3) AND state = ANY($2) ORDER BY id = $3 DESC LIMIT 1 FOR UPDATE`,
			a.key, openStates, fireOf(a.key)).Scan(&id, &state)
		switch {
		case err == pgx.ErrNoRows:
			var geom any
			if a.lon != nil && a.lat != nil {
				geom = fmt.Sprintf("POINT(%v %v)", *a.lon, *a.lat)
			}
			desc := fmt.Sprintf("告警 %s（%s，%s）于 %s 产生", a.title, a.kind, levelName(a.level), a.raised.In(beijing).Format("2006-01-02 15:04:05"))
			if v := a.vehicleLine(); v != "" {
				desc += "；" + v
			}
			if err := tx.QueryRow(ctx, `INSERT INTO command.incident (type, title, description, geom, source, source_ref, created_by, created_at, updated_at)
				VALUES ($1, $2, $3, ST_GeomFromText($4, 4490), 'alarm', $5, $6, $7, $7) RETURNING id`,
				a.incidentType(), a.title, desc, geom, a.key, System, now).Scan(&id); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, to_state, actor, note, detail, at)
				VALUES ($1, 'report', 'reported', $2, $3, $4, $5)`, id, System, desc, detail, now); err != nil {
				return nil, err
			}
			r.Incidents++
		case err != nil:
			return nil, err
		default:
			if err := attach(ctx, tx, id, state, "告警再次产生："+a.title, detail, now); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO command.incident_alarm (alarm_id, incident_id, attached_at) VALUES ($1, $2, $3)`, a.id, id, now); err != nil {
			return nil, err
		}
		r.Alarms++
		changed = append(changed, id)
	}
	return changed, nil
}

// attach records evidence that joined an open incident (an alarm of its condition, hotspots of its
// cluster) in its timeline; the state stays.
func attach(ctx context.Context, tx pgx.Tx, id int64, state, note string, detail map[string]any, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, from_state, to_state, actor, note, detail, at)
		VALUES ($1, 'attach', $2, $2, $3, $4, $5, $6)`, id, state, System, note, detail, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE command.incident SET updated_at = $2 WHERE id = $1`, id, now)
	return err
}

// incidentType is the type of incident an alarm makes, from its device.
func (a alarmRow) incidentType() string {
	switch {
	case a.devKind == string(live.KindVehicle) && (a.vehicleKind == "hazmat" || a.un != ""):
		return "hazmat"
	case a.devKind == string(live.KindTeam):
		return "team"
	case a.devKind == string(live.KindVehicle):
		return "vehicle"
	case a.devKind == string(live.KindSensor) && isMine(a.sensorKind, a.group):
		return "mine"
	case a.devKind == string(live.KindSensor):
		return "sensor"
	}
	return "other"
}

// isMine: a sensor of a mine or its tailings dam (by its kind or group).
func isMine(sensorKind, group string) bool {
	s := strings.ToLower(sensorKind + " " + group)
	for _, w := range []string{"tailings", "saturation", "dry_beach", "beach", "displacement", "mine", "尾矿", "浸润线", "干滩", "位移", "矿"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

var beijing = time.FixedZone("CST", 8*3600)

func levelName(l string) string {
	switch l {
	case live.LevelBlue:
		return "蓝色"
	case live.LevelYellow:
		return "黄色"
	case live.LevelOrange:
		return "橙色"
	case live.LevelRed:
		return "红色"
	}
	return l
}

// hotspot is a detection to cluster.
type hotspot struct {
	id       int64
	t        time.Time
	lon, lat float64
	label    string // instrument and satellite
	masked   string // why it makes no incident
}

// cluster is the detections of one fire: an open hotspot incident's, or a new one.
type cluster struct {
	incident int64 // 0: new
	state    string
	members  []hotspot
	added    []hotspot
}

// takeHotspots clusters the new detections: each joins the open hotspot incident with a detection
// within HotspotDistance and HotspotWindow of it, or starts a new forest-fire incident. Detections
// of low confidence or within the mask of static heat sources are taken without an incident.
func (in *Intake) takeHotspots(ctx context.Context, tx pgx.Tx, now time.Time, r *PassResult) ([]int64, error) {
	mask := "NULL::text"
	args := []any{now, in.cfg.HotspotWindow.Seconds()}
	if in.cfg.HotspotMask != "" {
		table, err := in.maskTable(ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, in.cfg.HotspotMaskMargin, in.cfg.HotspotMask)
		mask = `(SELECT 'mask:' || $4 FROM ` + table + `
			WHERE ST_DWithin(m.geom, h.geom, $3 / 50000.0) AND ST_DWithin(m.geom::geography, h.geom::geography, $3) LIMIT 1)`
	}
	rows, err := tx.Query(ctx, `
		SELECT h.id, h.time, h.lon, h.lat, h.instrument || ' ' || h.satellite,
		       CASE WHEN lower(coalesce(h.confidence, '')) IN ('l', 'low') OR (h.confidence ~ '^[0-9]+$' AND h.confidence::int < 30)
		            THEN 'low confidence ' || h.confidence ELSE `+mask+` END
		FROM live.hotspot h
		WHERE h.time > $1::timestamptz - make_interval(secs => $2 * 2)
		  AND NOT EXISTS (SELECT FROM command.incident_hotspot ih WHERE ih.hotspot_id = h.id)
		ORDER BY h.time, h.id LIMIT 10000`, args...)
	if err != nil {
		return nil, err
	}
	fresh, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hotspot, error) {
		var h hotspot
		var masked *string
		err := row.Scan(&h.id, &h.t, &h.lon, &h.lat, &h.label, &masked)
		if masked != nil {
			h.masked = *masked
		}
		return h, err
	})
	if err != nil || len(fresh) == 0 {
		return nil, err
	}
	rows, err = tx.Query(ctx, `
		SELECT i.id, i.state, h.id, h.time, h.lon, h.lat
		FROM command.incident i
		JOIN command.incident_hotspot ih ON ih.incident_id = i.id
		JOIN live.hotspot h ON h.id = ih.hotspot_id
		WHERE i.source = 'hotspot' AND i.state = ANY($1) AND h.time > $2::timestamptz - make_interval(secs => $3 * 2)
		ORDER BY i.id FOR UPDATE OF i`, openStates, now, in.cfg.HotspotWindow.Seconds())
	if err != nil {
		return nil, err
	}
	var clusters []*cluster
	var h hotspot
	var id int64
	var state string
	_, err = pgx.ForEachRow(rows, []any{&id, &state, &h.id, &h.t, &h.lon, &h.lat}, func() error {
		if n := len(clusters); n == 0 || clusters[n-1].incident != id {
			clusters = append(clusters, &cluster{incident: id, state: state})
		}
		c := clusters[len(clusters)-1]
		c.members = append(c.members, h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, h := range fresh {
		r.Hotspots++
		if h.masked != "" {
			r.Masked++
			if _, err := tx.Exec(ctx, `INSERT INTO command.incident_hotspot (hotspot_id, masked_by, taken_at) VALUES ($1, $2, $3)`, h.id, h.masked, now); err != nil {
				return nil, err
			}
			continue
		}
		var best *cluster
		bestD := math.Inf(1)
		for _, c := range clusters {
			for _, m := range c.members {
				if d := distanceM(h.lon, h.lat, m.lon, m.lat); d <= in.cfg.HotspotDistance && d < bestD && absDur(h.t.Sub(m.t)) <= in.cfg.HotspotWindow {
					best, bestD = c, d
				}
			}
		}
		if best == nil {
			best = &cluster{state: Reported}
			clusters = append(clusters, best)
		}
		best.members = append(best.members, h)
		best.added = append(best.added, h)
	}
	var changed []int64
	for _, c := range clusters {
		if len(c.added) == 0 {
			continue
		}
		ids := make([]int64, len(c.added))
		lons, lats := make([]float64, len(c.members)), make([]float64, len(c.members))
		for i, h := range c.added {
			ids[i] = h.id
		}
		for i, m := range c.members {
			lons[i], lats[i] = m.lon, m.lat
		}
		detail := map[string]any{"hotspots": ids}
		// The incident's place is its detections' hull (a point while there are fewer than three).
		const hull = `(SELECT CASE WHEN GeometryType(g) = 'POLYGON' THEN g ELSE ST_Centroid(g) END
			FROM (SELECT ST_ConvexHull(ST_Collect(ST_SetSRID(ST_MakePoint(x, y), 4490))) g FROM unnest($1::float8[], $2::float8[]) AS u(x, y)) s)`
		if c.incident == 0 {
			first := c.added[0]
			title := fmt.Sprintf("卫星火点 %d 处（%s）", len(c.added), first.label)
			desc := fmt.Sprintf("%s 首次探测于 %s", first.label, first.t.In(beijing).Format("2006-01-02 15:04"))
			if err := tx.QueryRow(ctx, `INSERT INTO command.incident (type, title, description, geom, source, source_ref, created_by, created_at, updated_at)
				VALUES ('forest_fire', $3, $4, `+hull+`, 'hotspot', 'hotspot:' || $5, $6, $7, $7) RETURNING id`,
				lons, lats, title, desc, strconv.FormatInt(first.id, 10), System, now).Scan(&c.incident); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, to_state, actor, note, detail, at)
				VALUES ($1, 'report', 'reported', $2, $3, $4, $5)`, c.incident, System, desc, detail, now); err != nil {
				return nil, err
			}
			r.Incidents++
		} else {
			if _, err := tx.Exec(ctx, `UPDATE command.incident SET geom = `+hull+` WHERE id = $3`, lons, lats, c.incident); err != nil {
				return nil, err
			}
			if err := attach(ctx, tx, c.incident, c.state, fmt.Sprintf("新增卫星火点 %d 处", len(c.added)), detail, now); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO command.incident_hotspot (hotspot_id, incident_id, taken_at)
			SELECT unnest($1::bigint[]), $2, $3`, ids, c.incident, now); err != nil {
			return nil, err
		}
		changed = append(changed, c.incident)
	}
	return changed, nil
}

// superviseOverdue raises supervision (督办) on every incident whose deadline passed while it is
// dispatched or being handled, once per deadline (a new dispatch sets a new one).
func (in *Intake) superviseOverdue(ctx context.Context, tx pgx.Tx, now time.Time, r *PassResult) ([]int64, error) {
	rows, err := tx.Query(ctx, `
		UPDATE command.incident i SET supervised = true, version = version + 1, updated_at = $1
		WHERE state IN ('dispatched', 'handling') AND deadline < $1
		  AND NOT EXISTS (SELECT FROM command.incident_event e WHERE e.incident_id = i.id AND e.action = 'supervise'
		                  AND (e.detail->>'overdue_deadline')::timestamptz = i.deadline)
		RETURNING id, state, deadline, assignee`, now)
	if err != nil {
		return nil, err
	}
	type due struct {
		id       int64
		state    string
		deadline time.Time
		assignee *string
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
		var d due
		err := row.Scan(&d.id, &d.state, &d.deadline, &d.assignee)
		return d, err
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i, d := range list {
		who := ""
		if d.assignee != nil {
			who = *d.assignee + " "
		}
		note := fmt.Sprintf("%s超过处置时限 %s，自动督办", who, d.deadline.In(beijing).Format("2006-01-02 15:04"))
		if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, from_state, to_state, actor, note, detail, at)
			VALUES ($1, 'supervise', $2, $2, $3, $4, $5, $6)`, d.id, d.state, System, note,
			map[string]any{"overdue_deadline": d.deadline.UTC().Format(time.RFC3339Nano), "automatic": true}, now); err != nil {
			return nil, err
		}
		ids[i] = d.id
		r.Supervised++
	}
	return ids, nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// distanceM is the great-circle distance in metres (CGCS2000's semi-major axis as the radius;
// plenty for clustering at a kilometre).
func distanceM(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6378137.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// Compound risks: a fire's spread perimeter (command.fire_perimeter) reaching an approved hazmat
// route (a corridor fence) or a tailings dam (the place of a mine sensor group) is one red alarm per
// fire and target, kept while the newest perimeters reach it, attached to the fire's incident.
const compoundPrefix = "compound:"

// fireOf is the fire incident of a compound alarm's key (0 for other keys).
func fireOf(key string) int64 {
	rest, ok := strings.CutPrefix(key, compoundPrefix+"fire")
	if !ok {
		return 0
	}
	id, _, _ := strings.Cut(rest, ":")
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// mineWords is isMine's list as a regular expression for SQL.
var mineWords = "(tailings|saturation|dry_beach|beach|displacement|mine|尾矿|浸润线|干滩|位移|矿)"

func compoundRisks(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]watch.Condition, error) {
	rows, err := db.Query(ctx, `
		WITH p AS (
			SELECT p.incident_id, p.hours, p.geom, i.title FROM command.fire_perimeter p
			JOIN command.incident i ON i.id = p.incident_id AND i.state = ANY($1)
		), dam AS (
			SELECT coalesce(nullif(group_name, ''), id) AS name, ST_Centroid(ST_Collect(geom)) AS g
			FROM live.device WHERE kind = 'sensor' AND geom IS NOT NULL
			  AND (coalesce(sensor_kind, '') || ' ' || coalesce(group_name, '')) ~* $2
			GROUP BY 1
		)
		SELECT * FROM (
			SELECT DISTINCT ON (p.incident_id, f.id) p.incident_id, p.hours, p.title, 'route', f.id::text, f.name, f.id,
			       ST_X(c), ST_Y(c)
			FROM p JOIN live.fence f ON f.kind = 'corridor' AND ST_Intersects(p.geom, f.area)
			CROSS JOIN LATERAL ST_PointOnSurface(ST_Intersection(p.geom, f.area)) c
			ORDER BY p.incident_id, f.id, p.hours
		) routes
		UNION ALL
		SELECT * FROM (
			SELECT DISTINCT ON (p.incident_id, dam.name) p.incident_id, p.hours, p.title, 'dam', dam.name, dam.name, NULL::bigint,
			       ST_X(dam.g), ST_Y(dam.g)
			FROM p JOIN dam ON ST_Intersects(p.geom, dam.g)
			ORDER BY p.incident_id, dam.name, p.hours
		) dams`, openStates, mineWords)
	if err != nil {
		return nil, err
	}
	var out []watch.Condition
	var (
		fire                     int64
		hours                    float32
		fireTitle, what, ref, nm string
		fence                    *int64
		lon, lat                 float64
	)
	_, err = pgx.ForEachRow(rows, []any{&fire, &hours, &fireTitle, &what, &ref, &nm, &fence, &lon, &lat}, func() error {
		target := "危化品运输路线"
		if what == "dam" {
			target = "尾矿库"
		}
		x, y := lon, lat
		out = append(out, watch.Condition{
			Key:  fmt.Sprintf("%sfire%d:%s:%s", compoundPrefix, fire, what, ref),
			Kind: "compound", Object: fmt.Sprintf("incident-%d", fire), Layer: live.IncidentLayer, Level: live.LevelRed,
			Title: fmt.Sprintf("%s 蔓延 %g 小时内将到达%s「%s」", fireTitle, hours, target, nm),
			Fence: fence, Lon: &x, Lat: &y,
			Detail: map[string]any{"fire_incident": fire, "hours": hours, "target": what, "target_name": nm},
		})
		return nil
	})
	return out, err
}
