// Package fire estimates how a forest fire spreads on the surface: Rothermel's (1972) model with
// Albini's (1976) changes as Andrews (2018, RMRS-GTR-371) lays it out, over the 40 fuel models of
// Scott & Burgan (2005) and the 13 of Anderson (1982), or the empirical model of 王正非 (Wang
// Zhengfei) used in Chinese forest-fire practice. A spread is a head, a backing and a flanking rate,
// a length-to-breadth ratio and a direction; Ellipse draws the perimeter after some time with the
// ignition at the ellipse's rear focus. Pure computation: no database, no clock.
//
// Units at this package's edge are SI (m/s, m/min, %, degrees, kW/m, m); the model runs in the
// US customary units its tables and coefficients are published in.
package fire

import (
	"fmt"
	"math"
	"strings"
)

// Models.
const (
	Rothermel = "rothermel"
	Wang      = "wang"
)

// Moisture is fuel moisture in percent of dry weight. Zero fields take defaults: 10-h is the 1-h
// plus 1, 100-h the 1-h plus 2, live herbaceous 60, live woody 90 (Scott & Burgan's moisture
// scenario D1L2 for the live part, a dry early fire season).
type Moisture struct {
	OneHour     float64 `json:"one_hour"`
	TenHour     float64 `json:"ten_hour"`
	HundredHour float64 `json:"hundred_hour"`
	LiveHerb    float64 `json:"live_herbaceous"`
	LiveWoody   float64 `json:"live_woody"`
}

// Defaults of the live moistures.
const (
	DefaultLiveHerb  = 60.0
	DefaultLiveWoody = 90.0
)

// WithDefaults fills the zero fields.
func (m Moisture) WithDefaults() Moisture {
	if m.TenHour == 0 {
		m.TenHour = m.OneHour + 1
	}
	if m.HundredHour == 0 {
		m.HundredHour = m.OneHour + 2
	}
	if m.LiveHerb == 0 {
		m.LiveHerb = DefaultLiveHerb
	}
	if m.LiveWoody == 0 {
		m.LiveWoody = DefaultLiveWoody
	}
	return m
}

// Canopy shelters the surface from the wind (BehavePlus's wind adjustment factor). Zero: open.
type Canopy struct {
	Cover      float64 `json:"cover"`       // fraction of the ground covered, 0–1
	Height     float64 `json:"height"`      // m
	CrownRatio float64 `json:"crown_ratio"` // crown length / tree height, 0–1
}

// Input is what a spread is computed from.
type Input struct {
	Model     string   // Rothermel (default) or Wang
	FuelModel string   // GR2, TL8, 4 …
	WindSpeed float64  // m/s at 10 m above the ground (or 20 ft, WindAt20ft)
	WindFrom  float64  // degrees clockwise from north the wind blows from
	Moisture  Moisture // %: OneHour is required
	Slope     float64  // degrees
	Aspect    float64  // degrees clockwise from north the slope faces (downhill)

	WindAt20ft   bool     // WindSpeed is the 20-ft (6.1 m) wind, not the 10-m one
	MidflameWind *float64 // m/s: given directly, no adjustment
	Canopy       Canopy
	// NoWindLimit turns off the limit on the effective wind speed.
	NoWindLimit bool

	// The Wang model's weather: air temperature °C and relative humidity % (defaults 20 and 40).
	Temperature, Humidity *float64
	Wang                  WangConfig // zero: DefaultWang
}

// Spread is the result.
type Spread struct {
	Model     string `json:"model"`
	FuelModel string `json:"fuel_model"`
	FuelName  string `json:"fuel_name"`
	// Rates of spread, m/min: at the head, at the back, and of the flanks (half the ellipse's
	// width per unit time).
	HeadRate  float64 `json:"head_rate"`
	BackRate  float64 `json:"back_rate"`
	FlankRate float64 `json:"flank_rate"`
	// LengthToBreadth is the ellipse's length over its width; Eccentricity follows from it.
	LengthToBreadth float64 `json:"length_to_breadth"`
	Eccentricity    float64 `json:"eccentricity"`
	// Direction is the azimuth of the head (degrees clockwise from north): the direction of the
	// vector sum of the wind's and the slope's effects.
	Direction         float64  `json:"direction"`
	FirelineIntensity float64  `json:"fireline_intensity"` // kW/m, at the head
	FlameLength       float64  `json:"flame_length"`       // m, at the head (Byram)
	ReactionIntensity float64  `json:"reaction_intensity"` // kW/m²
	HeatPerArea       float64  `json:"heat_per_area"`      // kJ/m²
	NoWindNoSlopeRate float64  `json:"no_wind_no_slope_rate"`
	MidflameWind      float64  `json:"midflame_wind"`             // m/s
	WindAdjustment    float64  `json:"wind_adjustment_factor"`    // midflame / 20-ft wind
	EffectiveWind     float64  `json:"effective_wind"`            // m/s
	WindLimited       bool     `json:"wind_limited"`              // the effective wind was capped
	DeadHerbTransfer  float64  `json:"herbaceous_cured_fraction"` // of the live herbaceous load
	Moisture          Moisture `json:"moisture"`
}

// InvalidInput names an input that is out of range.
type InvalidInput struct{ Param, Detail string }

func (e *InvalidInput) Error() string { return e.Param + ": " + e.Detail }

func invalid(param, format string, args ...any) error {
	return &InvalidInput{Param: param, Detail: fmt.Sprintf(format, args...)}
}

// Unit conversions.
const (
	ftPerM        = 1 / 0.3048
	msToFtMin     = 60 * ftPerM // m/s → ft/min
	ftMinToMMin   = 0.3048      // ft/min → m/min
	btuFt2MinToKW = 1.055056 / 0.09290304 / 60
	btuFtSToKWM   = 1.055056 / 0.3048
	btuFt2ToKJM2  = 1.055056 / 0.09290304
	windAt20ftOf  = 1 / 1.15 // 10-m wind → 20-ft wind (Lawson & Armitage 2008; BehavePlus, FARSITE)
)

func (in *Input) check() (Moisture, error) {
	if !finite(in.WindSpeed, in.WindFrom, in.Slope, in.Aspect) {
		return Moisture{}, invalid("wind_speed", "not a number")
	}
	if in.WindSpeed < 0 || in.WindSpeed > 60 {
		return Moisture{}, invalid("wind_speed", "%g m/s: give 0 to 60 m/s (the 10-m wind)", in.WindSpeed)
	}
	if in.Slope < 0 || in.Slope >= 85 {
		return Moisture{}, invalid("slope", "%g°: give 0 to 85 degrees", in.Slope)
	}
	if t := in.Temperature; t != nil && (!finite(*t) || *t < -50 || *t > 60) {
		return Moisture{}, invalid("temperature", "%g °C: give -50 to 60", *t)
	}
	if h := in.Humidity; h != nil && (!finite(*h) || *h < 0 || *h > 100) {
		return Moisture{}, invalid("humidity", "%g %%: give 0 to 100", *h)
	}
	m := in.Moisture.WithDefaults()
	for _, c := range []struct {
		name     string
		v, lo, h float64
	}{{"moisture", m.OneHour, 1, 60}, {"moisture_10h", m.TenHour, 1, 60}, {"moisture_100h", m.HundredHour, 1, 60},
		{"moisture_herb", m.LiveHerb, 30, 300}, {"moisture_woody", m.LiveWoody, 30, 300}} {
		if !finite(c.v) || c.v < c.lo || c.v > c.h {
			return m, invalid(c.name, "%g %%: give %g to %g %% of dry weight", c.v, c.lo, c.h)
		}
	}
	return m, nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Compute estimates the spread.
func Compute(in Input) (Spread, error) {
	fm, err := Lookup(in.FuelModel)
	if err != nil {
		return Spread{}, err
	}
	mo, err := in.check()
	if err != nil {
		return Spread{}, err
	}
	switch strings.ToLower(in.Model) {
	case "", Rothermel:
		return rothermel(in, fm, mo), nil
	case Wang:
		return wang(in, fm, mo), nil
	}
	return Spread{}, invalid("model", "%q: use rothermel or wang", in.Model)
}

// WindAdjustment is the ratio of the midflame wind to the 20-ft wind (Albini & Baughman 1979 as
// BehavePlus applies it): unsheltered from the fuel bed depth, sheltered from the canopy.
func WindAdjustment(depthFt float64, c Canopy) float64 {
	crownFraction := c.CrownRatio * c.Cover / 3
	hFt := c.Height * ftPerM
	if c.Cover > 0 && crownFraction >= 0.05 && hFt >= 6 {
		return 0.555 / (math.Sqrt(crownFraction*hFt) * math.Log((20+0.36*hFt)/(0.13*hFt)))
	}
	if depthFt <= 0 {
		return 1
	}
	return 1.83 / math.Log((20+0.36*depthFt)/(0.13*depthFt))
}

// LengthToBreadth is Anderson's (1983) ratio for an effective midflame wind in m/s, at most 8.
func LengthToBreadth(u float64) float64 {
	lb := 0.936*math.Exp(0.2566*u) + 0.461*math.Exp(-0.1548*u) - 0.397
	return math.Min(8, math.Max(1, lb))
}

func rothermel(in Input, fm *FuelModel, mo Moisture) Spread {
	b := newBed(fm, mo)
	s := Spread{Model: Rothermel, FuelModel: fm.Code, FuelName: fm.Name, Moisture: mo}
	if fm.LoadHerb > 0 && fm.Dynamic {
		s.DeadHerbTransfer = round(b.deadHerb/fm.LoadHerb, 3)
	}
	// Midflame wind, ft/min.
	u20 := in.WindSpeed * msToFtMin
	if !in.WindAt20ft {
		u20 *= windAt20ftOf
	}
	waf := WindAdjustment(fm.Depth, in.Canopy)
	mid := waf * u20
	if in.MidflameWind != nil {
		mid, waf = *in.MidflameWind*msToFtMin, 0
	}
	// Vector sum of the wind's and the slope's factors: the wind pushes towards where it blows,
	// the slope upslope (opposite the aspect).
	phiW := b.phiWind(mid)
	phiS := b.phiSlope(math.Tan(in.Slope * math.Pi / 180))
	windTo := rad(in.WindFrom + 180)
	up := rad(in.Aspect + 180)
	x := phiW*math.Sin(windTo) + phiS*math.Sin(up)
	y := phiW*math.Cos(windTo) + phiS*math.Cos(up)
	phiE := math.Hypot(x, y)
	dir := math.Atan2(x, y)
	if phiE < 1e-12 {
		dir = windTo
	}
	ue := b.windOf(phiE)
	// The wind limit, as revised by Andrews, Cruz & Rothermel (2013): U ≤ 96.8 I_R^(1/3) ft/min.
	if limit := 96.8 * math.Cbrt(b.ir); !in.NoWindLimit && ue > limit {
		ue, phiE, s.WindLimited = limit, b.phiWind(limit), true
	}
	head := b.r0 * (1 + phiE)
	lb := LengthToBreadth(ue / msToFtMin)
	e := math.Sqrt(lb*lb-1) / lb
	back := head * (1 - e) / (1 + e)
	flank := (head + back) / (2 * lb)
	ha := b.ir * 384 / math.Max(b.sigma, 1) // heat per unit area, BTU/ft² (residence time 384/σ min)
	ib := ha * head / 60                    // BTU/ft/s

	s.HeadRate, s.BackRate, s.FlankRate = head*ftMinToMMin, back*ftMinToMMin, flank*ftMinToMMin
	s.LengthToBreadth, s.Eccentricity = lb, e
	s.Direction = deg(dir)
	s.FirelineIntensity = ib * btuFtSToKWM
	s.FlameLength = 0.45 * math.Pow(ib, 0.46) * 0.3048
	s.ReactionIntensity = b.ir * btuFt2MinToKW
	s.HeatPerArea = ha * btuFt2ToKJM2
	s.NoWindNoSlopeRate = b.r0 * ftMinToMMin
	s.MidflameWind, s.WindAdjustment, s.EffectiveWind = mid/msToFtMin, waf, ue/msToFtMin
	return s
}

func rad(d float64) float64 { return d * math.Pi / 180 }

// deg is an angle in radians as a compass azimuth in [0, 360).
func deg(r float64) float64 {
	d := math.Mod(r*180/math.Pi, 360)
	if d < 0 {
		d += 360
	}
	return d
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// Ellipse is the perimeter after minutes, n vertices (closed, counter-clockwise), as east and north
// offsets in metres from the ignition, which is the ellipse's rear focus: the head is HeadRate ×
// minutes ahead in Direction, the back BackRate × minutes behind.
func (s Spread) Ellipse(minutes float64, n int) [][2]float64 {
	a := (s.HeadRate + s.BackRate) * minutes / 2
	b := a / s.LengthToBreadth
	off := a - s.BackRate*minutes // centre ahead of the ignition
	th := rad(s.Direction)
	hx, hy := math.Sin(th), math.Cos(th) // towards the head
	rx, ry := math.Cos(th), -math.Sin(th)
	ring := make([][2]float64, 0, n+1)
	for k := range n {
		phi := 2 * math.Pi * float64(k) / float64(n)
		u, v := off+a*math.Cos(phi), -b*math.Sin(phi)
		ring = append(ring, [2]float64{u*hx + v*rx, u*hy + v*ry})
	}
	return append(ring, ring[0])
}
