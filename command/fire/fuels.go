package fire

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FuelModel is a standard fire behaviour fuel model: loads by size class, surface-area-to-volume
// ratios, fuel bed depth, dead fuel moisture of extinction and heat content, in the US customary
// units the tables are published in.
type FuelModel struct {
	Code string // GR2, TL8, 4 (an Anderson model is its number)
	Name string
	// Loads, lb/ft²: dead 1-h, 10-h, 100-h; live herbaceous, live woody.
	Load1, Load10, Load100, LoadHerb, LoadWoody float64
	// Surface-area-to-volume ratios, 1/ft: dead 1-h, live herbaceous, live woody (10-h 109, 100-h 30).
	SAV1, SAVHerb, SAVWoody float64
	Depth                   float64 // fuel bed depth, ft
	MxDead                  float64 // dead fuel moisture of extinction, fraction
	Heat                    float64 // heat content, dead and live, BTU/lb
	Dynamic                 bool    // live herbaceous load is transferred to dead by curing (Scott & Burgan's dynamic models)
}

const (
	sav10  = 109.0 // 1/ft
	sav100 = 30.0
	tPerAc = 2000.0 / 43560.0 // US tons per acre → lb/ft²
)

// sb is a Scott & Burgan (2005) model, loads in t/ac as the table gives them.
func sb(code, name string, l1, l10, l100, herb, woody, s1, sHerb, sWoody, depth, mx float64) *FuelModel {
	return &FuelModel{Code: code, Name: name, Load1: l1 * tPerAc, Load10: l10 * tPerAc, Load100: l100 * tPerAc,
		LoadHerb: herb * tPerAc, LoadWoody: woody * tPerAc, SAV1: s1, SAVHerb: sHerb, SAVWoody: sWoody,
		Depth: depth, MxDead: mx / 100, Heat: 8000, Dynamic: herb > 0}
}

// anderson is one of Anderson's (1982) 13 models, loads in lb/ft² as Albini (1976) tabulates them;
// all static.
func anderson(n int, name string, l1, l10, l100, woody, s1, depth, mx float64) *FuelModel {
	return &FuelModel{Code: strconv.Itoa(n), Name: name, Load1: l1, Load10: l10, Load100: l100, LoadWoody: woody,
		SAV1: s1, SAVHerb: 1500, SAVWoody: 1500, Depth: depth, MxDead: mx, Heat: 8000}
}

// models are the 40 burnable models of Scott & Burgan (2005, RMRS-GTR-153, table 7) and the 13 of
// Anderson (1982, INT-GTR-122; parameters of Albini 1976), by code.
var models = map[string]*FuelModel{}

func init() {
	for _, m := range []*FuelModel{
		// Grass (GR): loads 1-h, 10-h, 100-h, live herb, live woody (t/ac); SAV 1-h, herb, woody (1/ft); depth ft; Mx %.
		sb("GR1", "Short, sparse dry climate grass", 0.10, 0, 0, 0.30, 0, 2200, 2000, 0, 0.4, 15),
		sb("GR2", "Low load, dry climate grass", 0.10, 0, 0, 1.00, 0, 2000, 1800, 0, 1.0, 15),
		sb("GR3", "Low load, very coarse, humid climate grass", 0.10, 0.40, 0, 1.50, 0, 1500, 1300, 0, 2.0, 30),
		sb("GR4", "Moderate load, dry climate grass", 0.25, 0, 0, 1.90, 0, 2000, 1800, 0, 2.0, 15),
		sb("GR5", "Low load, humid climate grass", 0.40, 0, 0, 2.50, 0, 1800, 1600, 0, 1.5, 40),
		sb("GR6", "Moderate load, humid climate grass", 0.10, 0, 0, 3.40, 0, 2200, 2000, 0, 1.5, 40),
		sb("GR7", "High load, dry climate grass", 1.00, 0, 0, 5.40, 0, 2000, 1800, 0, 3.0, 15),
		sb("GR8", "High load, very coarse, humid climate grass", 0.50, 1.00, 0, 7.30, 0, 1500, 1300, 0, 4.0, 30),
		sb("GR9", "Very high load, humid climate grass", 1.00, 1.00, 0, 9.00, 0, 1800, 1600, 0, 5.0, 40),
		// Grass-shrub (GS).
		sb("GS1", "Low load, dry climate grass-shrub", 0.20, 0, 0, 0.50, 0.65, 2000, 1800, 1800, 0.9, 15),
		sb("GS2", "Moderate load, dry climate grass-shrub", 0.50, 0.50, 0, 0.60, 1.00, 2000, 1800, 1800, 1.5, 15),
		sb("GS3", "Moderate load, humid climate grass-shrub", 0.30, 0.25, 0, 1.45, 1.25, 1800, 1600, 1600, 1.8, 40),
		sb("GS4", "High load, humid climate grass-shrub", 1.90, 0.30, 0.10, 3.40, 7.10, 1800, 1600, 1600, 2.1, 40),
		// Shrub (SH).
		sb("SH1", "Low load, dry climate shrub", 0.25, 0.25, 0, 0.15, 1.30, 2000, 1800, 1600, 1.0, 15),
		sb("SH2", "Moderate load, dry climate shrub", 1.35, 2.40, 0.75, 0, 3.85, 2000, 0, 1600, 1.0, 15),
		sb("SH3", "Moderate load, humid climate shrub", 0.45, 3.00, 0, 0, 6.20, 1600, 0, 1400, 2.4, 40),
		sb("SH4", "Low load, humid climate timber-shrub", 0.85, 1.15, 0.20, 0, 2.55, 2000, 1800, 1600, 3.0, 30),
		sb("SH5", "High load, dry climate shrub", 3.60, 2.10, 0, 0, 2.90, 750, 0, 1600, 6.0, 15),
		sb("SH6", "Low load, humid climate shrub", 2.90, 1.45, 0, 0, 1.40, 750, 0, 1600, 2.0, 30),
		sb("SH7", "Very high load, dry climate shrub", 3.50, 5.30, 2.20, 0, 3.40, 750, 0, 1600, 6.0, 15),
		sb("SH8", "High load, humid climate shrub", 2.05, 3.40, 0.85, 0, 4.35, 750, 0, 1600, 3.0, 40),
		sb("SH9", "Very high load, humid climate shrub", 4.50, 2.45, 0, 1.55, 7.00, 750, 1800, 1500, 4.4, 40),
		// Timber-understory (TU).
		sb("TU1", "Low load dry climate timber-grass-shrub", 0.20, 0.90, 1.50, 0.20, 0.90, 2000, 1800, 1600, 0.6, 20),
		sb("TU2", "Moderate load, humid climate timber-shrub", 0.95, 1.80, 1.25, 0, 0.20, 2000, 0, 1600, 1.0, 30),
		sb("TU3", "Moderate load, humid climate timber-grass-shrub", 1.10, 0.15, 0.25, 0.65, 1.10, 1800, 1600, 1400, 1.3, 30),
		sb("TU4", "Dwarf conifer with understory", 4.50, 0, 0, 0, 2.00, 2300, 0, 2000, 0.5, 12),
		sb("TU5", "Very high load, dry climate timber-shrub", 4.00, 4.00, 3.00, 0, 3.00, 1500, 0, 750, 1.0, 25),
		// Timber litter (TL).
		sb("TL1", "Low load compact conifer litter", 1.00, 2.20, 3.60, 0, 0, 2000, 0, 0, 0.2, 30),
		sb("TL2", "Low load broadleaf litter", 1.40, 2.30, 2.20, 0, 0, 2000, 0, 0, 0.2, 25),
		sb("TL3", "Moderate load conifer litter", 0.50, 2.20, 2.80, 0, 0, 2000, 0, 0, 0.3, 20),
		sb("TL4", "Small downed logs", 0.50, 1.50, 4.20, 0, 0, 2000, 0, 0, 0.4, 25),
		sb("TL5", "High load conifer litter", 1.15, 2.50, 4.40, 0, 0, 2000, 0, 0, 0.6, 25),
		sb("TL6", "Moderate load broadleaf litter", 2.40, 1.20, 1.20, 0, 0, 2000, 0, 0, 0.3, 25),
		sb("TL7", "Large downed logs", 0.30, 1.40, 8.10, 0, 0, 2000, 0, 0, 0.4, 25),
		sb("TL8", "Long-needle litter", 5.80, 1.40, 1.10, 0, 0, 1800, 0, 0, 0.3, 35),
		sb("TL9", "Very high load broadleaf litter", 6.65, 3.30, 4.15, 0, 0, 1800, 0, 0, 0.6, 35),
		// Slash-blowdown (SB).
		sb("SB1", "Low load activity fuel", 1.50, 3.00, 11.00, 0, 0, 2000, 0, 0, 1.0, 25),
		sb("SB2", "Moderate load activity fuel or low load blowdown", 4.50, 4.25, 4.00, 0, 0, 2000, 0, 0, 1.0, 25),
		sb("SB3", "High load activity fuel or moderate load blowdown", 5.50, 2.75, 3.00, 0, 0, 2000, 0, 0, 1.2, 25),
		sb("SB4", "High load blowdown", 5.25, 3.50, 5.25, 0, 0, 2000, 0, 0, 2.7, 25),
		// Anderson's 13: loads 1-h, 10-h, 100-h, live woody (lb/ft²); SAV 1-h; depth ft; Mx fraction.
		anderson(1, "Short grass", 0.034, 0, 0, 0, 3500, 1.0, 0.12),
		{Code: "2", Name: "Timber (grass and understory)", Load1: 0.092, Load10: 0.046, Load100: 0.023, LoadHerb: 0.023,
			SAV1: 3000, SAVHerb: 1500, SAVWoody: 1500, Depth: 1.0, MxDead: 0.15, Heat: 8000},
		anderson(3, "Tall grass", 0.138, 0, 0, 0, 1500, 2.5, 0.25),
		anderson(4, "Chaparral", 0.230, 0.184, 0.092, 0.230, 2000, 6.0, 0.20),
		anderson(5, "Brush", 0.046, 0.023, 0, 0.092, 2000, 2.0, 0.20),
		anderson(6, "Dormant brush, hardwood slash", 0.069, 0.115, 0.092, 0, 1750, 2.5, 0.25),
		anderson(7, "Southern rough", 0.052, 0.086, 0.069, 0.017, 1750, 2.5, 0.40),
		anderson(8, "Closed timber litter", 0.069, 0.046, 0.115, 0, 2000, 0.2, 0.30),
		anderson(9, "Hardwood litter", 0.134, 0.019, 0.007, 0, 2500, 0.2, 0.25),
		anderson(10, "Timber (litter and understory)", 0.138, 0.092, 0.230, 0.092, 2000, 1.0, 0.25),
		anderson(11, "Light logging slash", 0.069, 0.207, 0.253, 0, 1500, 1.0, 0.15),
		anderson(12, "Medium logging slash", 0.184, 0.644, 0.759, 0, 1500, 2.3, 0.20),
		anderson(13, "Heavy logging slash", 0.322, 1.058, 1.288, 0, 1500, 3.0, 0.25),
	} {
		models[m.Code] = m
	}
	models["GR6"].Heat = 9000 // the one standard model of another heat content
}

// Codes are the fuel model codes, Scott & Burgan's in their order (GR, GS, SH, TU, TL, SB), then
// Anderson's.
func Codes() []string {
	var sbc, an []string
	for c := range models {
		if _, err := strconv.Atoi(c); err == nil {
			an = append(an, c)
		} else {
			sbc = append(sbc, c)
		}
	}
	group := func(c string) int { return strings.Index("GRGSSHTUTLSB", c[:2]) }
	slices.SortFunc(sbc, func(a, b string) int {
		if g := group(a) - group(b); g != 0 {
			return g
		}
		return strings.Compare(a, b)
	})
	slices.SortFunc(an, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return append(sbc, an...)
}

// ErrNonBurnable is a non-burnable fuel model (NB1 urban, NB2 snow, NB3 agriculture, NB8 water,
// NB9 bare ground): no fire spreads there.
type ErrNonBurnable struct{ Code string }

func (e ErrNonBurnable) Error() string {
	return fmt.Sprintf("fuel model %s is non-burnable (urban, snow, agriculture, water or bare ground): no surface fire spreads", e.Code)
}

// ErrUnknownFuel is a code that names no standard fuel model.
type ErrUnknownFuel struct{ Code string }

func (e ErrUnknownFuel) Error() string {
	return fmt.Sprintf("unknown fuel model %q: use one of %s", e.Code, strings.Join(Codes(), ", "))
}

// Lookup finds a fuel model by code (case-insensitive; Anderson's as 1–13, FM1–FM13 or their
// Scott & Burgan numbers 1–13).
func Lookup(code string) (*FuelModel, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	c = strings.TrimPrefix(c, "FM")
	if strings.HasPrefix(c, "NB") {
		return nil, ErrNonBurnable{Code: c}
	}
	if m, ok := models[c]; ok {
		return m, nil
	}
	return nil, ErrUnknownFuel{Code: code}
}
