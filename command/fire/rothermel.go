package fire

import "math"

// Constants of Rothermel's model (Andrews 2018, RMRS-GTR-371, table 2): oven-dry particle density
// lb/ft³, total and effective mineral content.
const (
	rhoP = 32.0
	sT   = 0.0555
	sE   = 0.010
)

// particle is one fuel component: load lb/ft², SAV 1/ft, moisture fraction, heat BTU/lb.
type particle struct{ w, sav, m, h float64 }

// bed is what Rothermel's model makes of a fuel bed under a moisture: the no-wind, no-slope rate
// of spread and what the wind and slope factors need.
type bed struct {
	ir       float64 // reaction intensity, BTU/ft²/min
	r0       float64 // no-wind no-slope rate of spread, ft/min
	beta     float64 // packing ratio
	ratio    float64 // β / β_op
	sigma    float64 // characteristic SAV, 1/ft
	c, b, e  float64 // wind factor coefficients
	mxLive   float64 // live moisture of extinction, fraction
	deadHerb float64 // live herbaceous load transferred to dead, lb/ft²
}

// sizeClass is the Albini (1976) SAV subclass used to weight net loads.
func sizeClass(sav float64) int {
	switch {
	case sav >= 1200:
		return 0
	case sav >= 192:
		return 1
	case sav >= 96:
		return 2
	case sav >= 48:
		return 3
	case sav >= 16:
		return 4
	}
	return 5
}

// category holds the weighted properties of the dead or the live fuels.
type category struct {
	area, sav, m, h, wn float64
}

func weigh(ps []particle) (category, []float64) {
	var c category
	a := make([]float64, len(ps))
	for i, p := range ps {
		if p.w > 0 && p.sav > 0 {
			a[i] = p.w * p.sav / rhoP
			c.area += a[i]
		}
	}
	if c.area == 0 {
		return c, a
	}
	var g [6]float64
	for i, p := range ps {
		f := a[i] / c.area
		a[i] = f
		c.sav += f * p.sav
		c.m += f * p.m
		c.h += f * p.h
		if f > 0 {
			g[sizeClass(p.sav)] += f
		}
	}
	for i, p := range ps {
		if a[i] > 0 {
			c.wn += g[sizeClass(p.sav)] * p.w * (1 - sT)
		}
	}
	return c, a
}

// moistureDamping is η_M for a moisture and its moisture of extinction.
func moistureDamping(m, mx float64) float64 {
	if mx <= 0 {
		return 0
	}
	r := m / mx
	if r >= 1 {
		return 0
	}
	return 1 - 2.59*r + 5.11*r*r - 3.52*r*r*r
}

// newBed runs the fuel-and-moisture part of the model: dynamic transfer, weighting, reaction
// intensity, propagating flux ratio, heat sink, and R0.
func newBed(fm *FuelModel, mo Moisture) bed {
	m1, m10, m100, mh, mw := mo.OneHour/100, mo.TenHour/100, mo.HundredHour/100, mo.LiveHerb/100, mo.LiveWoody/100
	herb, deadHerb := fm.LoadHerb, 0.0
	if fm.Dynamic && herb > 0 {
		// Scott & Burgan (2005): cured from fully green at 120 % to fully cured at 30 %.
		cured := math.Min(1, math.Max(0, (120-mo.LiveHerb)/90))
		deadHerb, herb = herb*cured, herb*(1-cured)
	}
	dead := []particle{{fm.Load1, fm.SAV1, m1, fm.Heat}, {fm.Load10, sav10, m10, fm.Heat}, {fm.Load100, sav100, m100, fm.Heat},
		{deadHerb, fm.SAVHerb, m1, fm.Heat}}
	live := []particle{{herb, fm.SAVHerb, mh, fm.Heat}, {fm.LoadWoody, fm.SAVWoody, mw, fm.Heat}}
	cd, fd := weigh(dead)
	cl, fl := weigh(live)
	total := cd.area + cl.area
	b := bed{deadHerb: deadHerb}
	if total == 0 || fm.Depth <= 0 {
		return b
	}
	wd, wl := cd.area/total, cl.area/total
	b.sigma = wd*cd.sav + wl*cl.sav
	var load float64
	for _, p := range dead {
		load += p.w
	}
	for _, p := range live {
		load += p.w
	}
	rhoB := load / fm.Depth
	b.beta = rhoB / rhoP
	betaOp := 3.348 * math.Pow(b.sigma, -0.8189)
	b.ratio = b.beta / betaOp
	aa := 133 * math.Pow(b.sigma, -0.7913)
	s15 := math.Pow(b.sigma, 1.5)
	gammaMax := s15 / (495 + 0.0594*s15)
	gamma := gammaMax * math.Pow(b.ratio, aa) * math.Exp(aa*(1-b.ratio))

	// Live fuel moisture of extinction (Albini 1976).
	var fineDead, fineDeadM, fineLive float64
	for _, p := range dead {
		if p.w > 0 && p.sav > 0 {
			x := p.w * math.Exp(-138/p.sav)
			fineDead += x
			fineDeadM += x * p.m
		}
	}
	for _, p := range live {
		if p.w > 0 && p.sav > 0 {
			fineLive += p.w * math.Exp(-500/p.sav)
		}
	}
	b.mxLive = fm.MxDead
	if fineLive > 0 && fineDead > 0 {
		mfd := fineDeadM / fineDead
		b.mxLive = math.Max(fm.MxDead, 2.9*(fineDead/fineLive)*(1-mfd/fm.MxDead)-0.226)
	}
	etaS := math.Min(1, 0.174*math.Pow(sE, -0.19))
	b.ir = gamma * (cd.wn*cd.h*moistureDamping(cd.m, fm.MxDead) + cl.wn*cl.h*moistureDamping(cl.m, b.mxLive)) * etaS

	xi := math.Exp((0.792+0.681*math.Sqrt(b.sigma))*(b.beta+0.1)) / (192 + 0.2595*b.sigma)
	var sink float64
	for i, p := range dead {
		if fd[i] > 0 {
			sink += wd * fd[i] * math.Exp(-138/p.sav) * (250 + 1116*p.m)
		}
	}
	for i, p := range live {
		if fl[i] > 0 {
			sink += wl * fl[i] * math.Exp(-138/p.sav) * (250 + 1116*p.m)
		}
	}
	sink *= rhoB
	if sink > 0 {
		b.r0 = b.ir * xi / sink
	}
	b.c = 7.47 * math.Exp(-0.133*math.Pow(b.sigma, 0.55))
	b.b = 0.02526 * math.Pow(b.sigma, 0.54)
	b.e = 0.715 * math.Exp(-3.59e-4*b.sigma)
	return b
}

// phiWind is the wind factor for a midflame wind in ft/min.
func (b *bed) phiWind(u float64) float64 {
	if u <= 0 {
		return 0
	}
	return b.c * math.Pow(u, b.b) * math.Pow(b.ratio, -b.e)
}

// windOf is the (effective) wind speed in ft/min whose wind factor is phi.
func (b *bed) windOf(phi float64) float64 {
	if phi <= 0 {
		return 0
	}
	return math.Pow(phi*math.Pow(b.ratio, b.e)/b.c, 1/b.b)
}

// phiSlope is the slope factor for a slope steepness (tan).
func (b *bed) phiSlope(tan float64) float64 {
	return 5.275 * math.Pow(b.beta, -0.3) * tan * tan
}
