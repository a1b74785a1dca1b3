package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Terminals sends JT/T 808 platform messages: acknowledging a terminal's emergency alarm sends it
// 0x8203 (the gateway implements it; nil: no gateway).
type Terminals interface {
	AckAlarm(phone string, alarmBits uint32) error
}

// jt808Bits are the JT/T 808 alarm bits that become alarms: bit, name, level.
var jt808Bits = []struct {
	bit   uint
	kind  string
	title string
	level string
}{
	{0, "jt808_emergency", "紧急报警", live.LevelRed},
	{1, "jt808_overspeed", "终端超速报警", live.LevelYellow},
	{2, "jt808_fatigue", "疲劳驾驶", live.LevelYellow},
	{3, "jt808_danger", "危险预警", live.LevelOrange},
	{8, "jt808_power_cut", "终端主电源掉电", live.LevelOrange},
	{26, "jt808_theft", "车辆被盗", live.LevelRed},
	{29, "jt808_collision", "碰撞预警", live.LevelOrange},
	{30, "jt808_rollover", "侧翻预警", live.LevelRed},
}

// Engine matches the hub's stream against fences and rules in memory and keeps one alarm per
// condition. It runs on its own goroutine, off the ingest path; alarms are stored and published by
// a writer of its own, so a slow database never holds up matching.
type Engine struct {
	hub       *live.Hub
	store     *Store
	log       *slog.Logger
	terminals Terminals

	mu     sync.Mutex // guards everything below (the engine's goroutine, Tick, Ack, reloads)
	now    func() time.Time
	fences map[int64]*Fence
	grid   *fenceGrid
	routes []int64 // corridor fences with an off_route rule: matched wherever their objects are
	rules  []GroupRule
	objs   map[string]*objState
	open   map[string]*live.Alarm            // open alarms by condition key (change it through openPut, openDel)
	openBy map[string]int                    // how many alarms of each object are open
	esc    map[string]map[string]memberLevel // escalation rule key → member → its level

	writes  chan write
	pending atomic.Int64  // alarm changes queued and not yet stored
	matched atomic.Uint64 // the Seq of the last stream change matched
	metrics *metrics
}

// objState is what the engine remembers of one object.
type objState struct {
	inside   map[int64]time.Time // fence → since
	lastSeen time.Time
	hasPos   bool
	pos      live.Position
	posTime  time.Time
	stopped  time.Time            // zero: moving
	last     map[string][]reading // value name → the readings within a rate rule's window
}

type reading struct {
	v float64
	t time.Time
}

type memberLevel struct {
	level string
	at    time.Time
}

// write is an alarm change for the writer: stored, then published.
type write struct {
	a      live.Alarm
	op     string // raise, update, clear
	levelC bool
}

// NewEngine builds the engine; Start loads it, Run runs it.
func NewEngine(hub *live.Hub, store *Store, terminals Terminals, log *slog.Logger, reg prometheus.Registerer) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{hub: hub, store: store, log: log, terminals: terminals, now: time.Now,
		fences: map[int64]*Fence{}, grid: newFenceGrid(0.01), objs: map[string]*objState{}, open: map[string]*live.Alarm{}, openBy: map[string]int{},
		esc: map[string]map[string]memberLevel{}, writes: make(chan write, 100_000), metrics: newMetrics(reg)}
}

// Store is where the engine keeps fences, rules and alarms.
func (e *Engine) Store() *Store { return e.store }

// SetClock replaces the engine's clock (tests drive Tick with it).
func (e *Engine) SetClock(now func() time.Time) {
	e.mu.Lock()
	e.now = now
	e.mu.Unlock()
}

// Start loads fences, rules and the open alarms, then matches the hub's current state once: the
// conditions that hold keep (or get) their alarms, those that no longer hold are cleared.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.Reload(ctx); err != nil {
		return err
	}
	open, err := e.store.OpenAlarms(ctx)
	if err != nil {
		return fmt.Errorf("loading open alarms: %w", err)
	}
	e.mu.Lock()
	for i := range open {
		e.openPut(&open[i])
	}
	e.mu.Unlock()
	for _, o := range e.hub.Objects(live.Filter{}) {
		if o.HasPos && (o.Kind == live.KindVehicle || o.Kind == live.KindTeam) && !o.Time.IsZero() {
			p := o.Position
			e.Process(live.Change{Type: live.ChangePosition, Object: o.ID, Kind: o.Kind, Layer: o.Layer, Time: o.Time, Position: &p})
		}
	}
	return nil
}

// Reload reads fences and group rules again (a change takes effect without restart).
func (e *Engine) Reload(ctx context.Context) error {
	fences, err := e.store.Fences(ctx)
	if err != nil {
		return fmt.Errorf("loading fences: %w", err)
	}
	rules, err := e.store.Rules(ctx)
	if err != nil {
		return fmt.Errorf("loading rules: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fences = map[int64]*Fence{}
	e.grid = newFenceGrid(0.01)
	e.routes = nil
	for _, f := range fences {
		e.fences[f.ID] = f
		e.grid.add(f)
		if slices.ContainsFunc(f.Rules, func(r Rule) bool { return r.Kind == RuleOffRoute }) {
			e.routes = append(e.routes, f.ID)
		}
	}
	e.rules = slices.DeleteFunc(rules, func(g GroupRule) bool { return !g.Enabled })
	// Alarms of fences and rules that are gone end.
	for key, a := range e.open {
		if a.Fence != nil && e.fences[*a.Fence] == nil || a.Rule != "" && a.Fence == nil && !e.hasRule(a.Rule) {
			e.clearLocked(key, e.now(), "the fence or rule was removed")
		}
	}
	for _, o := range e.objs {
		for id := range o.inside {
			if e.fences[id] == nil {
				delete(o.inside, id)
			}
		}
	}
	return nil
}

func (e *Engine) hasRule(id string) bool {
	return slices.ContainsFunc(e.rules, func(g GroupRule) bool { return ruleID(g.ID) == id })
}

func ruleID(id int64) string { return "rule-" + strconv.FormatInt(id, 10) }

// Run follows the hub's stream until ctx ends, ticking timers every second and reloading on fence
// and rule changes; its writer stores and publishes alarms.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { e.writer(ctx) })
	wg.Go(func() {
		spatial.Listener{Channel: "yitu_live", Coalesce: 50 * time.Millisecond,
			Notify: func(ctx context.Context, payloads []string) {
				if slices.Contains(payloads, "fences") {
					if err := e.Reload(ctx); err != nil {
						e.log.Warn("watch: reloading fences and rules", "err", err)
					}
				}
			}}.Run(ctx, e.hub.Pool(), e.log)
	})
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				e.Tick()
			}
		}
	})
	sub := e.hub.Stream().Subscribe()
	defer sub.Close()
	for {
		cs, err := sub.Next(ctx, 4096)
		if ctx.Err() != nil {
			break
		}
		if errors.Is(err, live.ErrGap) {
			e.metrics.gaps.Inc()
			e.log.Warn("watch: fell behind the hub's stream; matching the current state again")
			e.resync()
		}
		start := time.Now()
		for i := range cs {
			e.Process(cs[i])
		}
		if len(cs) > 0 {
			e.matched.Store(cs[len(cs)-1].Seq)
			e.metrics.lag.Observe(time.Since(cs[len(cs)-1].Received).Seconds())
			e.metrics.batch.Observe(time.Since(start).Seconds())
		}
	}
	wg.Wait()
}

// resync matches every object's current position after a gap.
func (e *Engine) resync() {
	for _, o := range e.hub.Objects(live.Filter{}) {
		if o.HasPos && (o.Kind == live.KindVehicle || o.Kind == live.KindTeam) && !o.Time.IsZero() {
			p := o.Position
			e.Process(live.Change{Type: live.ChangePosition, Object: o.ID, Kind: o.Kind, Layer: o.Layer, Time: o.Time, Position: &p})
		}
	}
}

// Process matches one change.
func (e *Engine) Process(c live.Change) {
	if c.Late || c.Type == live.ChangeHotspot {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics.processed.Inc()
	if c.Type == live.ChangeAlarm {
		e.followAlarm(c.Alarm)
		return
	}
	d, ok := e.hub.Device(c.Object)
	if !ok {
		return
	}
	o := e.objs[c.Object]
	if o == nil {
		o = &objState{inside: map[int64]time.Time{}, last: map[string][]reading{}}
		e.objs[c.Object] = o
	}
	if c.Time.After(o.lastSeen) {
		o.lastSeen = c.Time
	}
	e.offline(&d, o, c.Time)
	switch c.Type {
	case live.ChangePosition:
		e.position(&d, o, c)
	case live.ChangeObservation:
		e.observation(&d, o, c)
	}
}

// followAlarm keeps the engine's open alarms in step with changes made elsewhere: an
// acknowledgement through another replica, an alarm another replica raised or cleared.
func (e *Engine) followAlarm(a *live.Alarm) {
	if a == nil {
		return
	}
	cur := e.open[a.Key]
	switch a.State {
	case live.AlarmRaised, live.AlarmAcknowledged:
		if cur == nil || cur.ID == a.ID {
			cp := *a
			e.openPut(&cp)
		}
	default:
		if cur != nil && cur.ID == a.ID {
			e.openDel(a.Key)
		}
	}
}

func evidenceOfPos(id string, t time.Time, p *live.Position) live.Evidence {
	lon, lat, sp := p.Lon, p.Lat, p.Speed
	return live.Evidence{Time: t, Object: id, Lon: &lon, Lat: &lat, Speed: &sp, Alarm: p.Alarm}
}

func name(d *live.Device) string {
	switch {
	case d.Plate != "":
		return d.Plate
	case d.Name != "":
		return d.Name
	}
	return d.ID
}

// position matches a fix against the fences and the movers' rules.
func (e *Engine) position(d *live.Device, o *objState, c live.Change) {
	p := c.Position
	t := c.Time
	pt := orb.Point{p.Lon, p.Lat}
	quiet := e.openBy[d.ID] == 0 // no alarm of this object is open
	var ev *live.Evidence
	evidence := func() *live.Evidence { // made when an alarm needs it
		if ev == nil {
			x := evidenceOfPos(d.ID, t, p)
			ev = &x
		}
		return ev
	}
	// Stopped: slower than 1 km/h since when.
	if p.Speed < 1 {
		if o.stopped.IsZero() {
			o.stopped = t
		}
	} else {
		o.stopped = time.Time{}
	}
	o.hasPos, o.pos, o.posTime = true, *p, t

	// Fences: candidates from the grid, and those it was inside (to see it leave).
	cands := e.grid.lookup(pt)
	for id := range o.inside {
		if !slices.Contains(cands, id) {
			cands = append(cands, id)
		}
	}
	// Corridors it must keep to (off_route) are checked wherever it is.
	for _, id := range e.routes {
		if f := e.fences[id]; !slices.Contains(cands, id) && f.AppliesTo.matches(d, true) {
			cands = append(cands, id)
		}
	}
	for _, id := range cands {
		f := e.fences[id]
		if f == nil || !f.AppliesTo.matches(d, true) {
			continue
		}
		in := f.active(t) && f.bound.Contains(pt) && planar.MultiPolygonContains(f.area, pt)
		since, was := o.inside[id]
		switch {
		case in && !was:
			o.inside[id], since = t, t
		case !in && was:
			delete(o.inside, id)
		}
		for i := range f.Rules {
			r := &f.Rules[i]
			var cond bool
			switch r.Kind {
			case RuleEnter, RuleInside:
				cond = in && r.Window.Contains(t)
			case RuleExit:
				cond = !in && (was || !quiet && e.open[fenceKey(r.Kind, f.ID, i, d.ID)] != nil) && r.Window.Contains(t)
			case RuleDwell:
				cond = in && t.Sub(since).Seconds() >= r.Seconds && r.Window.Contains(t)
			case RuleSpeed:
				cond = in && p.Speed > r.MaxKmh && r.Window.Contains(t)
			case RuleStop:
				cond = in && !o.stopped.IsZero() && t.Sub(o.stopped).Seconds() >= r.Seconds
			case RuleOffRoute:
				cond = !in && f.active(t)
			}
			if !cond && quiet { // nothing holds and nothing is open: the common case costs no key
				continue
			}
			spec := alarmSpec{key: fenceKey(r.Kind, f.ID, i, d.ID), kind: r.Kind, d: d, fence: &f.ID, level: r.Level, title: ruleTitle(r, d, f)}
			if r.Kind == RuleSpeed {
				spec.detail = map[string]any{"max_kmh": r.MaxKmh, "speed": p.Speed}
			}
			e.set(spec, cond, t, evidence())
		}
	}
	// Group rules for movers.
	for _, g := range e.rules {
		r := &g.Rule
		if (r.Kind != RuleSpeed && r.Kind != RuleStop) || !g.AppliesTo.matches(d, false) || (d.Kind != live.KindVehicle && d.Kind != live.KindTeam) {
			continue
		}
		var cond bool
		if r.Kind == RuleSpeed {
			cond = p.Speed > r.MaxKmh && r.Window.Contains(t)
		} else {
			cond = e.stoppedOutside(o, r, t)
		}
		if !cond && quiet {
			continue
		}
		spec := alarmSpec{key: groupKey(r.Kind, g.ID, d.ID), kind: r.Kind, d: d, rule: ruleID(g.ID), level: r.Level, title: ruleTitle(r, d, nil)}
		if r.Kind == RuleSpeed {
			spec.detail = map[string]any{"max_kmh": r.MaxKmh, "speed": p.Speed}
		}
		e.set(spec, cond, t, evidence())
	}
	// The terminal's own alarm bits.
	if (d.Kind == live.KindVehicle || d.Kind == live.KindTeam) && (p.Alarm != 0 || !quiet) {
		for _, b := range jt808Bits {
			key := b.kind + ":" + d.ID
			if p.Alarm&(1<<b.bit) == 0 && e.open[key] == nil {
				continue
			}
			spec := alarmSpec{key: key, kind: b.kind, d: d, level: b.level, title: name(d) + " " + b.title,
				detail: map[string]any{"alarm_bit": b.bit}}
			e.set(spec, p.Alarm&(1<<b.bit) != 0, t, evidence())
		}
	}
}

// stoppedOutside: stopped at least r.Seconds outside every allowed fence.
func (e *Engine) stoppedOutside(o *objState, r *Rule, t time.Time) bool {
	if o.stopped.IsZero() || t.Sub(o.stopped).Seconds() < r.Seconds {
		return false
	}
	for _, id := range r.AllowedFences {
		if _, in := o.inside[id]; in {
			return false
		}
	}
	return true
}

// observation matches a sensor reading against thresholds and rates.
func (e *Engine) observation(d *live.Device, o *objState, c live.Change) {
	t := c.Time
	for _, g := range e.rules {
		r := &g.Rule
		if !g.AppliesTo.matches(d, false) || (r.Kind != RuleThreshold && r.Kind != RuleRate) {
			continue
		}
		name := r.Value
		if name == "" {
			name = "value"
		}
		v, ok := c.Observation.Values[name]
		if !ok {
			continue
		}
		ev := live.Evidence{Time: t, Object: d.ID, Values: map[string]float64{name: v}}
		if d.Lon != nil {
			ev.Lon, ev.Lat = d.Lon, d.Lat
		}
		key := fmt.Sprintf("%s:%s:%s", r.Kind, ruleID(g.ID), d.ID)
		spec := alarmSpec{key: key, kind: r.Kind, d: d, rule: ruleID(g.ID)}
		switch r.Kind {
		case RuleThreshold:
			level := thresholdLevel(r, v, e.open[key])
			spec.level = level
			spec.title = fmt.Sprintf("%s %s %s预警", sensorName(d), name, levelTitle(level))
			spec.detail = map[string]any{"value": v, "name": name, "levels": r.Levels, "unit": c.Observation.Unit}
			e.set(spec, level != "", t, &ev)
			e.memberLevel(d, level, t, &ev)
		case RuleRate:
			// The change over the rule's window (default 30 minutes), from the oldest reading within it:
			// reading to reading, a sensor's noise would read as a rate.
			span := time.Duration(r.WindowSeconds * float64(time.Second))
			if span <= 0 {
				span = 30 * time.Minute
			}
			hist := append(o.last[name], reading{v, t})
			for len(hist) > 1 && t.Sub(hist[1].t) >= span {
				hist = hist[1:]
			}
			o.last[name] = hist
			first := hist[0]
			if t.Sub(first.t) < span/2 {
				continue // not enough of a baseline yet
			}
			rate := (v - first.v) / t.Sub(first.t).Hours()
			spec.level, spec.title = r.Level, fmt.Sprintf("%s %s变化速率超限", sensorName(d), name)
			spec.detail = map[string]any{"rate_per_hour": math.Round(rate*1000) / 1000, "limit": r.RatePerHour}
			e.set(spec, math.Abs(rate) > r.RatePerHour, t, &ev)
		}
	}
}

func sensorName(d *live.Device) string {
	if d.Name != "" {
		return d.Name
	}
	return d.ID
}

// thresholdLevel is the highest level the value is past, keeping an open alarm's level until the
// value is back past it by the rule's clear margin.
func thresholdLevel(r *Rule, v float64, open *live.Alarm) string {
	past := func(limit, margin float64) bool {
		if r.Below {
			return v <= limit+margin
		}
		return v >= limit-margin
	}
	level := ""
	for _, l := range live.Levels {
		lim, ok := r.Levels[l]
		if !ok {
			continue
		}
		margin := 0.0
		if open != nil && levelIndex(open.Level) >= levelIndex(l) {
			margin = r.Clear // hysteresis: a held level drops only past the margin
		}
		if past(lim, margin) {
			level = l
		}
	}
	return level
}

func levelTitle(l string) string {
	return map[string]string{live.LevelBlue: "蓝色", live.LevelYellow: "黄色", live.LevelOrange: "橙色", live.LevelRed: "红色"}[l]
}

// memberLevel records a group member's threshold level and matches the escalation rules of its group.
func (e *Engine) memberLevel(d *live.Device, level string, t time.Time, ev *live.Evidence) {
	if d.Group == "" {
		return
	}
	for _, g := range e.rules {
		r := &g.Rule
		if r.Kind != RuleEscalate || !g.AppliesTo.matches(d, false) {
			continue
		}
		rk := ruleID(g.ID) + "/" + d.Group
		m := e.esc[rk]
		if m == nil {
			m = map[string]memberLevel{}
			e.esc[rk] = m
		}
		cur, had := m[d.ID]
		switch {
		case level == "" || levelIndex(level) < levelIndex(r.AtLevel):
			delete(m, d.ID)
		case !had || levelIndex(cur.level) < levelIndex(r.AtLevel):
			m[d.ID] = memberLevel{level, t}
		default:
			m[d.ID] = memberLevel{level, cur.at}
		}
		e.escalate(&g, d, t, ev)
	}
}

// escalate raises the group's alarm one level above at_level when count members reached at_level
// within the window of each other and are still there; it lasts while count members stay there.
func (e *Engine) escalate(g *GroupRule, d *live.Device, t time.Time, ev *live.Evidence) {
	r := &g.Rule
	m := e.esc[ruleID(g.ID)+"/"+d.Group]
	key := fmt.Sprintf("%s:%s:%s", RuleEscalate, ruleID(g.ID), d.Group)
	cond := len(m) >= r.Count
	if cond && e.open[key] == nil {
		times := make([]time.Time, 0, len(m))
		for _, ml := range m {
			times = append(times, ml.at)
		}
		slices.SortFunc(times, time.Time.Compare)
		cond = false
		for i := 0; i+r.Count-1 < len(times); i++ {
			if times[i+r.Count-1].Sub(times[i]).Seconds() <= r.WindowSeconds {
				cond = true
				break
			}
		}
	}
	next := live.Levels[levelIndex(r.AtLevel)+1]
	members := slices.Sorted(maps.Keys(m))
	spec := alarmSpec{key: key, kind: RuleEscalate, object: d.Group, layer: d.Layer(), rule: ruleID(g.ID), level: next,
		title:  fmt.Sprintf("%s %d个监测点达到%s预警，升级为%s预警", d.Group, len(m), levelTitle(r.AtLevel), levelTitle(next)),
		detail: map[string]any{"group": d.Group, "members": members, "at_level": r.AtLevel}}
	e.set(spec, cond, t, ev)
}

// offline clears an object's offline alarms on a report.
func (e *Engine) offline(d *live.Device, o *objState, t time.Time) {
	for _, g := range e.rules {
		if g.Rule.Kind == RuleOffline && g.AppliesTo.matches(d, false) {
			key := fmt.Sprintf("%s:%s:%s", RuleOffline, ruleID(g.ID), d.ID)
			if e.open[key] != nil {
				e.set(alarmSpec{key: key}, false, t, nil)
			}
		}
	}
}

// Tick evaluates what time alone changes: offline, dwell, stops, time windows, fence validity.
func (e *Engine) Tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now().UTC()
	for id, o := range e.objs {
		d, ok := e.hub.Device(id)
		if !ok {
			delete(e.objs, id)
			continue
		}
		for _, g := range e.rules {
			r := &g.Rule
			if !g.AppliesTo.matches(&d, false) {
				continue
			}
			key := fmt.Sprintf("%s:%s:%s", r.Kind, ruleID(g.ID), d.ID)
			switch r.Kind {
			case RuleOffline:
				if o.lastSeen.IsZero() {
					continue
				}
				spec := alarmSpec{key: key, kind: RuleOffline, d: &d, rule: ruleID(g.ID), level: r.Level, title: ruleTitle(r, &d, nil),
					detail: map[string]any{"last_seen": o.lastSeen, "seconds": r.Seconds}}
				var ev *live.Evidence // where it was last seen
				if o.hasPos {
					last := evidenceOfPos(d.ID, o.posTime, &o.pos)
					ev = &last
				}
				e.set(spec, now.Sub(o.lastSeen).Seconds() >= r.Seconds, now, ev)
			case RuleStop:
				if o.hasPos && (d.Kind == live.KindVehicle || d.Kind == live.KindTeam) {
					ev := evidenceOfPos(d.ID, o.posTime, &o.pos)
					spec := alarmSpec{key: key, kind: RuleStop, d: &d, rule: ruleID(g.ID), level: r.Level, title: ruleTitle(r, &d, nil)}
					e.set(spec, e.stoppedOutside(o, r, now), now, &ev)
				}
			}
		}
		if !o.hasPos {
			continue
		}
		// Fence rules that time alone can start or end, in the fences it is inside (outside, only
		// a fix changes anything).
		for fid, since := range o.inside {
			f := e.fences[fid]
			if f == nil || !f.AppliesTo.matches(&d, true) {
				continue
			}
			in := f.active(now)
			if !in { // the fence's validity ended
				delete(o.inside, fid)
			}
			ev := evidenceOfPos(d.ID, o.posTime, &o.pos)
			for i := range f.Rules {
				r := &f.Rules[i]
				key := fmt.Sprintf("%s:f%d.%d:%s", r.Kind, f.ID, i, d.ID)
				spec := alarmSpec{key: key, kind: r.Kind, d: &d, fence: &f.ID, level: r.Level, title: ruleTitle(r, &d, f)}
				switch r.Kind {
				case RuleDwell:
					e.set(spec, in && now.Sub(since).Seconds() >= r.Seconds && r.Window.Contains(now), now, &ev)
				case RuleInside, RuleEnter:
					if r.Window != nil || !in {
						e.set(spec, in && r.Window.Contains(now), now, &ev)
					}
				case RuleStop:
					e.set(spec, in && !o.stopped.IsZero() && now.Sub(o.stopped).Seconds() >= r.Seconds, now, &ev)
				}
			}
		}
	}
}

// Condition is an alarm condition that another component watches (package command: a fire's
// spread reaching a hazmat route or a tailings dam): one alarm per Key, like the engine's own.
type Condition struct {
	Key, Kind, Object, Layer, Level, Title string
	Fence                                  *int64
	Lon, Lat                               *float64
	Detail                                 map[string]any
}

// Hold makes the open alarms whose keys start with prefix exactly those of conds: a condition not
// open is raised, an open one is updated (its level, title, detail), an open one not among conds is
// cleared. Of several replicas holding the same conditions, one stores each alarm and the others
// adopt it, as with the engine's own.
func (e *Engine) Hold(prefix string, conds []Condition) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now().UTC()
	want := make(map[string]bool, len(conds))
	for _, c := range conds {
		if !strings.HasPrefix(c.Key, prefix) {
			continue
		}
		want[c.Key] = true
		var ev *live.Evidence
		if e.open[c.Key] == nil && c.Lon != nil && c.Lat != nil {
			ev = &live.Evidence{Time: now, Object: c.Object, Lon: c.Lon, Lat: c.Lat}
		}
		e.set(alarmSpec{key: c.Key, kind: c.Kind, object: c.Object, layer: c.Layer, level: c.Level, title: c.Title,
			fence: c.Fence, detail: c.Detail}, true, now, ev)
	}
	for key := range e.open {
		if strings.HasPrefix(key, prefix) && !want[key] {
			e.clearLocked(key, now, "")
		}
	}
}

// alarmSpec describes the alarm a condition raises.
type alarmSpec struct {
	key, kind, rule, level, title string
	d                             *live.Device // the object (nil: object and layer given)
	object, layer                 string
	fence                         *int64
	detail                        map[string]any
}

// maxEvidence is how many positions or readings an alarm keeps (the first and the latest).
const maxEvidence = 20

// updateEvery: an open alarm's new evidence is stored at most this often unless its level changes.
const updateEvery = 10 * time.Second

// set raises, updates or clears the alarm of a condition; e.mu is held.
func (e *Engine) set(s alarmSpec, cond bool, t time.Time, ev *live.Evidence) {
	a := e.open[s.key]
	switch {
	case cond && a == nil:
		object, layer := s.object, s.layer
		if s.d != nil {
			object, layer = s.d.ID, s.d.Layer()
		}
		na := &live.Alarm{ID: newAlarmID(t), Key: s.key, Kind: s.kind, Object: object, Layer: layer, Fence: s.fence, Rule: s.rule,
			Level: s.level, State: live.AlarmRaised, Title: s.title, Time: t, Updated: t, Detail: s.detail, Event: "raised"}
		if ev != nil {
			na.Evidence = []live.Evidence{*ev}
			na.Lon, na.Lat = ev.Lon, ev.Lat
		} else if s.d != nil && s.d.Lon != nil {
			na.Lon, na.Lat = s.d.Lon, s.d.Lat
		}
		e.openPut(na)
		e.metrics.alarms.WithLabelValues("raised").Inc()
		e.queue(write{a: *na, op: "raise"})
	case cond:
		levelChanged := s.level != "" && s.level != a.Level
		if levelChanged {
			a.Level, a.Title = s.level, s.title
		}
		if s.detail != nil {
			a.Detail = s.detail
		}
		if ev != nil {
			if n := len(a.Evidence); n >= maxEvidence {
				a.Evidence = append(a.Evidence[:1], a.Evidence[n-maxEvidence+2:]...)
			}
			a.Evidence = append(a.Evidence, *ev)
			a.Lon, a.Lat = ev.Lon, ev.Lat
		}
		if levelChanged || t.Sub(a.Updated) >= updateEvery {
			a.Updated, a.Event = t, "updated"
			e.metrics.alarms.WithLabelValues("updated").Inc()
			e.queue(write{a: cloneAlarm(a), op: "update", levelC: levelChanged})
		}
	case a != nil:
		if ev != nil {
			a.Evidence = append(a.Evidence, *ev)
		}
		e.clearLocked(s.key, t, "")
	}
}

// openPut records an open alarm (replacing one of its key); e.mu is held.
func (e *Engine) openPut(a *live.Alarm) {
	if old := e.open[a.Key]; old != nil {
		e.openBy[old.Object]--
	}
	e.open[a.Key] = a
	e.openBy[a.Object]++
}

// openDel forgets an open alarm; e.mu is held.
func (e *Engine) openDel(key string) {
	if a := e.open[key]; a != nil {
		delete(e.open, key)
		if e.openBy[a.Object]--; e.openBy[a.Object] <= 0 {
			delete(e.openBy, a.Object)
		}
	}
}

func fenceKey(kind string, fence int64, rule int, object string) string {
	return kind + ":f" + strconv.FormatInt(fence, 10) + "." + strconv.Itoa(rule) + ":" + object
}

func groupKey(kind string, rule int64, object string) string {
	return kind + ":" + ruleID(rule) + ":" + object
}

// clearLocked ends an open alarm; e.mu is held.
func (e *Engine) clearLocked(key string, t time.Time, why string) {
	a := e.open[key]
	if a == nil {
		return
	}
	e.openDel(key)
	a.Cleared, a.Updated, a.Event = &t, t, "cleared"
	if a.State == live.AlarmAcknowledged {
		a.State = live.AlarmClosed
	} else {
		a.State = live.AlarmCleared
	}
	if why != "" {
		if a.Detail == nil {
			a.Detail = map[string]any{}
		}
		a.Detail["cleared_because"] = why
	}
	e.metrics.alarms.WithLabelValues("cleared").Inc()
	e.queue(write{a: cloneAlarm(a), op: "clear"})
}

func cloneAlarm(a *live.Alarm) live.Alarm {
	c := *a
	c.Evidence = slices.Clone(a.Evidence)
	c.Detail = maps.Clone(a.Detail)
	return c
}

// queue hands an alarm change to the writer. When the writer is far behind (the database away for
// long), matching waits for it rather than lose an alarm change.
func (e *Engine) queue(w write) {
	e.pending.Add(1)
	select {
	case e.writes <- w:
	default:
		e.metrics.writerFull.Inc()
		e.mu.Unlock()
		e.writes <- w
		e.mu.Lock()
	}
}

// writer stores alarm changes in order and publishes each onto the hub's stream once stored. Of
// two replicas raising the same condition, one stores it; the other adopts its id and leaves the
// publishing to it.
func (e *Engine) writer(ctx context.Context) {
	for {
		var w write
		select {
		case <-ctx.Done():
			return
		case w = <-e.writes:
		}
		for attempt := 0; ; attempt++ {
			publish, err := e.store1(ctx, &w)
			if err == nil {
				if publish {
					e.hub.Publish([]live.Change{{Type: live.ChangeAlarm, Object: w.a.Object, Layer: w.a.Layer,
						Time: w.a.Updated, Source: "watch", Alarm: &w.a}})
				}
				e.pending.Add(-1)
				break
			}
			if ctx.Err() != nil {
				return
			}
			if attempt == 0 {
				e.log.Warn("watch: storing an alarm failed; retrying", "alarm", w.a.ID, "op", w.op, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(time.Duration(attempt+1)*250*time.Millisecond, 5*time.Second)):
			}
		}
	}
}

// store1 stores one alarm change and says whether to publish it.
func (e *Engine) store1(ctx context.Context, w *write) (bool, error) {
	switch w.op {
	case "raise":
		won, open, err := e.store.insertRaised(ctx, &w.a)
		if err != nil || won {
			return won, err
		}
		// Another replica raised this condition: take its alarm.
		e.mu.Lock()
		if cur := e.open[w.a.Key]; cur != nil && cur.ID == w.a.ID {
			cp := open
			e.openPut(&cp)
		}
		e.mu.Unlock()
		return false, nil
	case "update":
		return true, e.store.update(ctx, &w.a, w.levelC)
	default:
		changed, state, err := e.store.clear(ctx, &w.a)
		if state != "" {
			w.a.State = state
		}
		return changed, err
	}
}

// Ack acknowledges an alarm (who, note) and publishes the change; a terminal's emergency alarm is
// confirmed to the terminal with JT/T 808 0x8203.
func (e *Engine) Ack(ctx context.Context, id, who, note string) (live.Alarm, error) {
	e.mu.Lock()
	now := e.now().UTC()
	e.mu.Unlock()
	a, err := e.store.ack(ctx, id, who, note, now)
	if err != nil {
		return a, err
	}
	a.Event = "acknowledged"
	e.mu.Lock()
	if cur := e.open[a.Key]; cur != nil && cur.ID == a.ID {
		cur.State, cur.AckBy, cur.AckAt, cur.AckNote = a.State, a.AckBy, a.AckAt, a.AckNote
	}
	e.mu.Unlock()
	e.hub.Publish([]live.Change{{Type: live.ChangeAlarm, Object: a.Object, Layer: a.Layer, Time: now, Source: "watch", Alarm: &a}})
	if a.Kind == "jt808_emergency" && e.terminals != nil {
		if err := e.terminals.AckAlarm(a.Object, 1<<0); err != nil {
			e.log.Info("watch: the terminal could not be told of the acknowledgement (0x8203)", "terminal", a.Object, "err", err)
		}
	}
	return a, nil
}

// Matched is the Seq of the last change of the hub's stream the engine has matched.
func (e *Engine) Matched() uint64 { return e.matched.Load() }

// Open returns the open alarms, by key (tests and the cockpit).
func (e *Engine) Open() []live.Alarm {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]live.Alarm, 0, len(e.open))
	for _, k := range slices.Sorted(maps.Keys(e.open)) {
		out = append(out, cloneAlarm(e.open[k]))
	}
	return out
}

// Flush waits until the writer has stored every alarm change queued so far (tests, shutdown).
func (e *Engine) Flush(ctx context.Context) error {
	for e.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func ruleTitle(r *Rule, d *live.Device, f *Fence) string {
	if r.Title != "" {
		return r.Title
	}
	t := name(d) + " " + kindTitles[r.Kind]
	if f != nil {
		t += "：" + f.Name
	}
	switch r.Kind {
	case RuleSpeed:
		t += fmt.Sprintf("（限速%g km/h）", r.MaxKmh)
	case RuleOffline, RuleDwell, RuleStop:
		t += fmt.Sprintf("（超过%s）", (time.Duration(r.Seconds) * time.Second).String())
	}
	return t
}
