package fire

import (
	"math"
	"strings"
)

// WangConfig holds the coefficients of 王正非's model, R = R0 · Ks · Kw · Kφ, to be calibrated
// against local burns. As commonly cited (王正非 1983, 山火初始蔓延速度测算法):
//
//	R0 = A·T + B·V + C·(100 − RH) − D   (m/min; T air temperature °C, V wind force on the Beaufort
//	                                     scale, RH relative humidity %)
//	Kw = exp(Wind · V·cos θ)             (V the wind in m/s, θ between the direction and downwind)
//	Kφ = exp(SlopeA · (tan φ)^SlopeP)    (φ the slope along the direction; its inverse downhill)
//	Ks by fuel type (可燃物配置格局更正系数): grass 1.6, litter and understory 1.2, needle litter 0.8.
type WangConfig struct {
	A      float64            `yaml:"a"`
	B      float64            `yaml:"b"`
	C      float64            `yaml:"c"`
	D      float64            `yaml:"d"`
	Wind   float64            `yaml:"wind"`
	SlopeA float64            `yaml:"slope_a"`
	SlopeP float64            `yaml:"slope_p"`
	Ks     map[string]float64 `yaml:"ks"` // by fuel model code or group (GR, GS, SH, TU, TL, SB); else 1
}

// A zero coefficient takes its default (a model whose R0 has no temperature term is not one to
// calibrate to).

// DefaultWang are the coefficients as commonly cited.
func DefaultWang() WangConfig {
	return WangConfig{A: 0.03, B: 0.05, C: 0.01, D: 0.3, Wind: 0.1783, SlopeA: 3.533, SlopeP: 1.2,
		Ks: map[string]float64{"GR": 1.6, "GS": 1.2, "SH": 1.2, "TU": 1.2, "TL": 0.8, "SB": 1.2,
			"1": 1.6, "2": 1.6, "3": 1.6, "4": 1.2, "5": 1.2, "6": 1.2, "7": 1.2, "8": 0.8, "9": 0.8, "10": 1.2, "11": 1.2, "12": 1.2, "13": 1.2}}
}

// withDefaults fills the zero coefficients from DefaultWang; Ks adds to (and overrides) the default
// table.
func (w WangConfig) withDefaults() WangConfig {
	d := DefaultWang()
	for _, f := range []struct{ v, def *float64 }{{&w.A, &d.A}, {&w.B, &d.B}, {&w.C, &d.C}, {&w.D, &d.D}, {&w.Wind, &d.Wind},
		{&w.SlopeA, &d.SlopeA}, {&w.SlopeP, &d.SlopeP}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	for k, v := range w.Ks {
		d.Ks[strings.ToUpper(k)] = v
	}
	w.Ks = d.Ks
	return w
}

func (w WangConfig) ks(code string) float64 {
	if v, ok := w.Ks[code]; ok {
		return v
	}
	if len(code) > 2 {
		if v, ok := w.Ks[strings.ToUpper(code[:2])]; ok {
			return v
		}
	}
	return 1
}

// beaufort is the wind force on the Beaufort scale of a wind in m/s.
func beaufort(v float64) float64 {
	for i, top := range []float64{0.3, 1.6, 3.4, 5.5, 8.0, 10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7} {
		if v < top {
			return float64(i)
		}
	}
	return 12
}

func wang(in Input, fm *FuelModel, mo Moisture) Spread {
	w := in.Wang.withDefaults()
	t, rh := 20.0, 40.0
	if in.Temperature != nil {
		t = *in.Temperature
	}
	if in.Humidity != nil {
		rh = *in.Humidity
	}
	r0 := math.Max(0, w.A*t+w.B*beaufort(in.WindSpeed)+w.C*(100-rh)-w.D)
	ks := w.ks(fm.Code)
	tan := math.Tan(rad(in.Slope))
	windTo, up := rad(in.WindFrom+180), rad(in.Aspect+180)
	rate := func(dir float64) float64 {
		kw := math.Exp(w.Wind * in.WindSpeed * math.Cos(dir-windTo))
		ts := tan * math.Cos(dir-up)
		kphi := math.Exp(w.SlopeA * math.Pow(math.Abs(ts), w.SlopeP))
		if ts < 0 {
			kphi = 1 / kphi
		}
		return r0 * ks * kw * kphi
	}
	// The head is the fastest direction, to a tenth of a degree.
	best, head := 0.0, rate(0)
	for d := 0.1; d < 360; d += 0.1 {
		if r := rate(rad(d)); r > head {
			best, head = d, r
		}
	}
	back := rate(rad(best + 180))
	s := Spread{Model: Wang, FuelModel: fm.Code, FuelName: fm.Name, Moisture: mo, Direction: math.Mod(best, 360),
		HeadRate: head, BackRate: back, NoWindNoSlopeRate: r0 * ks, LengthToBreadth: 1}
	if head > 0 {
		s.Eccentricity = (head - back) / (head + back)
		s.LengthToBreadth = 1 / math.Sqrt(1-s.Eccentricity*s.Eccentricity)
	}
	s.FlankRate = (head + back) / (2 * s.LengthToBreadth)
	// Intensity from the fuel model's heat per unit area under Rothermel (Byram: I = H·R).
	ro := rothermel(in, fm, mo)
	s.ReactionIntensity, s.HeatPerArea = ro.ReactionIntensity, ro.HeatPerArea
	s.FirelineIntensity = s.HeatPerArea * head / 60
	if s.FirelineIntensity > 0 {
		s.FlameLength = 0.0775 * math.Pow(s.FirelineIntensity, 0.46)
	}
	s.MidflameWind, s.EffectiveWind = ro.MidflameWind, in.WindSpeed
	return s
}
