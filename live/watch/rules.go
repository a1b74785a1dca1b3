// Package watch watches the hub's stream: fences and rules matched in memory against every
// accepted change, off the ingest path, and the alarms they raise, one per condition, stored with
// their timeline and put back onto the stream for push and incidents.
package watch

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/spatial"
)

// Rule kinds.
const (
	RuleEnter     = "enter"      // fence: the object entered (the alarm lasts while it is inside)
	RuleExit      = "exit"       // fence: the object left (lasts while it is outside)
	RuleInside    = "inside"     // fence: the object is inside during the rule's time window (school hours, night)
	RuleDwell     = "dwell"      // fence: inside longer than seconds
	RuleSpeed     = "speed"      // fence or group: faster than max_kmh
	RuleStop      = "stop"       // group (or fence): stopped longer than seconds outside the allowed fences
	RuleOffRoute  = "off_route"  // corridor fence: the object is off its approved route
	RuleOffline   = "offline"    // group: no report for seconds
	RuleThreshold = "threshold"  // group: a sensor value past its blue/yellow/orange/red levels
	RuleRate      = "rate"       // group: a value changing faster than rate_per_hour
	RuleEscalate  = "escalation" // group: count points of one group at at_level within window_seconds → the group at the next level
)

// RuleKinds are the rule kinds, for error messages.
var RuleKinds = []string{RuleEnter, RuleExit, RuleInside, RuleDwell, RuleSpeed, RuleStop, RuleOffRoute, RuleOffline, RuleThreshold, RuleRate, RuleEscalate}

// fenceKinds are the rule kinds a fence may carry.
var fenceKinds = []string{RuleEnter, RuleExit, RuleInside, RuleDwell, RuleSpeed, RuleStop, RuleOffRoute}

// Rule is one rule of a fence or a device group.
type Rule struct {
	Kind    string  `json:"kind"`
	Level   string  `json:"level,omitempty"`   // the alarm's level (default by kind)
	Title   string  `json:"title,omitempty"`   // for people; default from the kind and fence
	MaxKmh  float64 `json:"max_kmh,omitempty"` // speed
	Seconds float64 `json:"seconds,omitempty"` // dwell, stop, offline
	Window  *Window `json:"window,omitempty"`  // the rule holds only within this (inside: required)
	// Threshold and rate: which value ("value" when omitted), the levels it alarms at, and whether
	// falling below them is the danger (a phreatic line's burial depth, a water level too low).
	Value  string             `json:"value,omitempty"`
	Levels map[string]float64 `json:"levels,omitempty"`
	Below  bool               `json:"below,omitempty"`
	// Clear is the margin the value must come back past a level before the alarm drops (hysteresis).
	Clear       float64 `json:"clear,omitempty"`
	RatePerHour float64 `json:"rate_per_hour,omitempty"`
	// Escalation: Count points of one group at AtLevel or above within WindowSeconds.
	Count         int     `json:"count,omitempty"`
	AtLevel       string  `json:"at_level,omitempty"`
	WindowSeconds float64 `json:"window_seconds,omitempty"`
	// Stop: fences where stopping is allowed (depots, car parks).
	AllowedFences []int64 `json:"allowed_fences,omitempty"`
}

// Window is a recurring time window in China Standard Time: days of the week (1 Monday … 7 Sunday;
// none: every day) and a span of the day, which may pass midnight (22:00–06:00).
type Window struct {
	Days     []int  `json:"days,omitempty"`
	From     string `json:"from"` // "07:30"
	To       string `json:"to"`   // "17:30"
	from, to int    // minutes of the day
}

var cst = time.FixedZone("CST", 8*3600)

// Contains reports whether t is inside the window.
func (w *Window) Contains(t time.Time) bool {
	if w == nil {
		return true
	}
	l := t.In(cst)
	m := l.Hour()*60 + l.Minute()
	day := int(l.Weekday())
	if day == 0 {
		day = 7
	}
	if w.from > w.to && m < w.to { // the part after midnight belongs to the day before
		day = day - 1
		if day == 0 {
			day = 7
		}
	}
	if len(w.Days) > 0 && !slices.Contains(w.Days, day) {
		return false
	}
	if w.from <= w.to {
		return m >= w.from && m < w.to
	}
	return m >= w.from || m < w.to
}

func parseClock(s string) (int, bool) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 24 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return h*60 + m, true
}

// AppliesTo says which objects a fence or rule watches; empty: every vehicle and team (fences) or
// every device (rules).
type AppliesTo struct {
	Kinds        []live.Kind `json:"kinds,omitempty"`
	IDs          []string    `json:"ids,omitempty"`
	Groups       []string    `json:"groups,omitempty"`
	VehicleKinds []string    `json:"vehicle_kinds,omitempty"`
	SensorKinds  []string    `json:"sensor_kinds,omitempty"`
}

func (a *AppliesTo) empty() bool {
	return len(a.Kinds)+len(a.IDs)+len(a.Groups)+len(a.VehicleKinds)+len(a.SensorKinds) == 0
}

// matches reports whether the rule applies to a device; movers only unless kinds say otherwise.
func (a *AppliesTo) matches(d *live.Device, moversByDefault bool) bool {
	if d == nil {
		return false
	}
	if a.empty() {
		return !moversByDefault || d.Kind == live.KindVehicle || d.Kind == live.KindTeam
	}
	return (len(a.Kinds) == 0 || slices.Contains(a.Kinds, d.Kind)) &&
		(len(a.IDs) == 0 || slices.Contains(a.IDs, d.ID)) &&
		(len(a.Groups) == 0 || slices.Contains(a.Groups, d.Group)) &&
		(len(a.VehicleKinds) == 0 || slices.Contains(a.VehicleKinds, d.VehicleKind)) &&
		(len(a.SensorKinds) == 0 || slices.Contains(a.SensorKinds, d.SensorKind))
}

func (a *AppliesTo) check(param string) error {
	for _, k := range a.Kinds {
		if !k.Valid() {
			return spatial.Invalid(param, "%q is not a device kind (vehicle, team, sensor, camera)", k)
		}
	}
	return nil
}

// defaultLevel is a rule kind's alarm level when the rule names none.
func defaultLevel(kind string) string {
	switch kind {
	case RuleEnter, RuleExit, RuleOffRoute, RuleSpeed:
		return live.LevelOrange
	case RuleOffline, RuleStop, RuleDwell, RuleInside:
		return live.LevelYellow
	}
	return live.LevelBlue
}

// check validates a rule; onFence says whether it belongs to a fence (of the given kind).
func (r *Rule) check(param string, onFence bool, fenceKind string) error {
	if !slices.Contains(RuleKinds, r.Kind) {
		return spatial.Invalid(param, "unknown rule kind %q; the kinds are %s", r.Kind, strings.Join(RuleKinds, ", "))
	}
	if onFence && !slices.Contains(fenceKinds, r.Kind) {
		return spatial.Invalid(param, "a %s rule belongs to a device group (/live/rules), not to a fence; a fence takes %s", r.Kind, strings.Join(fenceKinds, ", "))
	}
	if !onFence && slices.Contains([]string{RuleEnter, RuleExit, RuleInside, RuleDwell, RuleOffRoute}, r.Kind) {
		return spatial.Invalid(param, "a %s rule needs a fence: give it in the fence's properties.rules", r.Kind)
	}
	if r.Kind == RuleOffRoute && fenceKind != "corridor" {
		return spatial.Invalid(param, "off_route needs a corridor fence (a route line with properties.width_m)")
	}
	if r.Level == "" {
		r.Level = defaultLevel(r.Kind)
	}
	if !slices.Contains(live.Levels, r.Level) {
		return spatial.Invalid(param, "level %q: use blue, yellow, orange or red", r.Level)
	}
	if r.Window != nil {
		var ok1, ok2 bool
		r.Window.from, ok1 = parseClock(r.Window.From)
		r.Window.to, ok2 = parseClock(r.Window.To)
		if !ok1 || !ok2 || r.Window.from == r.Window.to {
			return spatial.Invalid(param, "window %q–%q: give from and to as hh:mm, different", r.Window.From, r.Window.To)
		}
		for _, d := range r.Window.Days {
			if d < 1 || d > 7 {
				return spatial.Invalid(param, "window day %d: 1 (Monday) to 7 (Sunday)", d)
			}
		}
	}
	switch r.Kind {
	case RuleSpeed:
		if r.MaxKmh <= 0 {
			return spatial.Invalid(param, "a speed rule needs max_kmh > 0")
		}
	case RuleDwell, RuleStop, RuleOffline:
		if r.Seconds <= 0 {
			return spatial.Invalid(param, "a %s rule needs seconds > 0", r.Kind)
		}
	case RuleInside:
		if r.Window == nil {
			return spatial.Invalid(param, "an inside rule needs a window (days, from, to)")
		}
	case RuleThreshold:
		if len(r.Levels) == 0 {
			return spatial.Invalid(param, "a threshold rule needs levels, e.g. {\"yellow\": 2.5, \"red\": 3.2}")
		}
		prev := ""
		for _, l := range live.Levels {
			v, ok := r.Levels[l]
			if !ok {
				continue
			}
			if prev != "" && (!r.Below && v <= r.Levels[prev] || r.Below && v >= r.Levels[prev]) {
				return spatial.Invalid(param, "the %s level %g must be %s the %s level %g", l, v, map[bool]string{false: "above", true: "below"}[r.Below], prev, r.Levels[prev])
			}
			prev = l
		}
		for l := range r.Levels {
			if !slices.Contains(live.Levels, l) {
				return spatial.Invalid(param, "level %q: use blue, yellow, orange or red", l)
			}
		}
	case RuleRate:
		if r.RatePerHour <= 0 {
			return spatial.Invalid(param, "a rate rule needs rate_per_hour > 0")
		}
	case RuleEscalate:
		if r.Count < 2 || r.WindowSeconds <= 0 || !slices.Contains(live.Levels, r.AtLevel) || r.AtLevel == live.LevelRed {
			return spatial.Invalid(param, "an escalation needs count ≥ 2, window_seconds > 0 and at_level blue, yellow or orange (the group goes one level up)")
		}
	}
	return nil
}

func levelIndex(l string) int { return slices.Index(live.Levels, l) }

// kindTitles name rule kinds for people.
var kindTitles = map[string]string{
	RuleEnter: "驶入", RuleExit: "驶离", RuleInside: "时段内在区域内", RuleDwell: "区域内停留超时", RuleSpeed: "超速",
	RuleStop: "违规停车", RuleOffRoute: "偏离核定路线", RuleOffline: "离线", RuleThreshold: "监测值超限",
	RuleRate: "变化速率超限", RuleEscalate: "多点联动预警",
}
