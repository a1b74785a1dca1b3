package geology

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Inclined holes. A survey table (测斜表: 钻孔编号, 测点深度, 方位角 and 顶角 or 倾角) gives a hole's
// direction at stations along it: the azimuth clockwise from grid north of the holes' CRS (坐标方位角)
// and the inclination from the vertical (顶角; 0° straight down) or the dip below the horizontal (倾角;
// its sign ignored, 90° straight down). Between stations the hole follows the minimum-curvature arc
// (the circular arc tangent to both stations' directions, the industry's standard method); above
// the first station it keeps the first station's direction, below the last the last's. Depths in
// the layer table are measured along the hole; a layer's elevation is its collar less the true
// vertical depth there, and its position is where the path is at that depth. Holes without a survey
// are vertical.

// station is a survey station: measured depth (m), inclination from the vertical and azimuth from
// grid north (radians).
type station struct {
	md, inc, azi float64
	t            *table
	r            row
}

// trace is a hole's path: its stations and the offsets from the collar (east, north, down; metres)
// at each.
type trace struct {
	st  []station
	pos [][3]float64
}

// tangent is the unit direction (east, north, down) of inclination inc and azimuth azi.
func tangent(inc, azi float64) [3]float64 {
	si, ci := math.Sincos(inc)
	sa, ca := math.Sincos(azi)
	return [3]float64{si * sa, si * ca, ci}
}

// newTrace builds the path through stations sorted by depth (at least one).
func newTrace(st []station) *trace {
	if st[0].md > 0 {
		st = append([]station{{md: 0, inc: st[0].inc, azi: st[0].azi}}, st...)
	}
	tr := &trace{st: st, pos: make([][3]float64, len(st))}
	for i := 1; i < len(st); i++ {
		tr.pos[i] = tr.along(i-1, st[i].md-st[i-1].md)
	}
	return tr
}

// along is the position s metres past station i on the arc toward station i+1 (or straight on
// past the last station).
func (tr *trace) along(i int, s float64) [3]float64 {
	p, t1 := tr.pos[i], tangent(tr.st[i].inc, tr.st[i].azi)
	if i+1 == len(tr.st) {
		return add3(p, t1, s)
	}
	t2 := tangent(tr.st[i+1].inc, tr.st[i+1].azi)
	l := tr.st[i+1].md - tr.st[i].md
	beta := math.Acos(max(-1, min(1, t1[0]*t2[0]+t1[1]*t2[1]+t1[2]*t2[2]))) // the dogleg
	if beta < 1e-9 {
		return add3(p, t1, s)
	}
	// The arc of radius l/β from t1 turning toward t2: at angle θ = β·s/l it has moved r·sin θ along
	// t1 and r·(1 − cos θ) along the unit normal toward t2.
	r, th := l/beta, beta*s/l
	sb := math.Sin(beta)
	var nrm [3]float64
	for k := range 3 {
		nrm[k] = (t2[k] - math.Cos(beta)*t1[k]) / sb
	}
	return add3(add3(p, t1, r*math.Sin(th)), nrm, r*(1-math.Cos(th)))
}

func add3(a, b [3]float64, s float64) [3]float64 {
	return [3]float64{a[0] + s*b[0], a[1] + s*b[1], a[2] + s*b[2]}
}

// at is the offset (east, north, down) from the collar at measured depth md.
func (tr *trace) at(md float64) [3]float64 {
	if tr == nil {
		return [3]float64{0, 0, md}
	}
	i, _ := slices.BinarySearchFunc(tr.st, md, func(s station, md float64) int { return cmp.Compare(s.md, md) })
	// tr.st[i-1].md < md ≤ tr.st[i].md
	if i < len(tr.st) && tr.st[i].md == md {
		return tr.pos[i]
	}
	i = max(i-1, 0)
	return tr.along(i, md-tr.st[i].md)
}

// points is the path from measured depth from to to: its ends, the stations between them and
// points at most step metres apart.
func (tr *trace) points(from, to, step float64) [][3]float64 {
	if tr == nil {
		return [][3]float64{tr.at(from), tr.at(to)}
	}
	breaks := []float64{from}
	for _, s := range tr.st {
		if s.md > from && s.md < to {
			breaks = append(breaks, s.md)
		}
	}
	breaks = append(breaks, to)
	out := [][3]float64{tr.at(from)}
	for i := 1; i < len(breaks); i++ {
		a, b := breaks[i-1], breaks[i]
		n := max(1, int(math.Ceil((b-a)/step)))
		for k := 1; k <= n; k++ {
			out = append(out, tr.at(a+(b-a)*float64(k)/float64(n)))
		}
	}
	return out
}

// vertical: every station points straight down.
func (tr *trace) vertical() bool {
	return tr == nil || !slices.ContainsFunc(tr.st, func(s station) bool { return s.inc > 1e-9 })
}

// readSurvey reads a survey table's stations into their holes; a bad row rejects its hole.
func (im *importer) readSurvey(t *table) {
	at := cAt
	for _, k := range []string{cAt, cDepth, cTop} {
		if t.has(k) {
			at = k
			break
		}
	}
	for _, r := range t.rows {
		h := im.holeOf(t, r, "survey station")
		if h == nil {
			continue
		}
		no := h.no
		bad := func(format string, args ...any) {
			im.reject(t, r, no, "hole %s: survey station: "+format, append([]any{no}, args...)...)
			h.bad = true
		}
		md, err := num(t.get(r, at))
		if md == nil && err == nil && t.isHoles() {
			md = new(float64) // a hole table's direction of a straight hole: at the collar
		}
		if err != nil || md == nil || *md < 0 {
			bad("测点深度 (station depth) %s", why(md, err, "is negative"))
			continue
		}
		az, err := num(t.get(r, cAzimuth))
		if err != nil || az == nil || *az < 0 || *az > 360 {
			bad("方位角 (azimuth) %s", why(az, err, "is outside 0–360°"))
			continue
		}
		var inc *float64
		if t.has(cInclination) {
			inc, err = num(t.get(r, cInclination))
			if err != nil || inc == nil || *inc < 0 || *inc > 90 {
				bad("顶角 (inclination from the vertical) %s", why(inc, err, "is outside 0–90° (a hole that rises)"))
				continue
			}
		} else {
			dip, err := num(t.get(r, cDip))
			if err != nil || dip == nil || math.Abs(*dip) > 90 {
				bad("倾角 (dip below the horizontal) %s", why(dip, err, "is outside −90–90°"))
				continue
			}
			v := 90 - math.Abs(*dip)
			inc = &v
		}
		h.stations = append(h.stations, station{md: *md, inc: *inc * math.Pi / 180, azi: *az * math.Pi / 180, t: t, r: r})
	}
}

func why(v *float64, err error, outside string) string {
	switch {
	case err != nil:
		return err.Error()
	case v == nil:
		return "is missing"
	}
	return fmt.Sprintf("%g %s", *v, outside)
}

// traceHoles builds the path of each surveyed hole; two stations at one depth must agree.
func (im *importer) traceHoles() {
	for _, h := range im.order {
		if h.bad || len(h.stations) == 0 {
			continue
		}
		st := h.stations
		slices.SortStableFunc(st, func(a, b station) int { return cmp.Compare(a.md, b.md) })
		out := st[:1]
		for _, s := range st[1:] {
			p := out[len(out)-1]
			if s.md != p.md {
				out = append(out, s)
				continue
			}
			if math.Abs(s.inc-p.inc) > 1e-9 || (s.inc > 1e-9 && math.Abs(s.azi-p.azi) > 1e-9) {
				im.reject(s.t, s.r, h.no, "hole %s: two survey stations at %.2f m disagree (%s)", h.no, s.md, p.t.ref(p.r))
				h.bad = true
				break
			}
		}
		if !h.bad {
			h.path = newTrace(out)
		}
	}
}
