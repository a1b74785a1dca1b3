package crs

import (
	"fmt"
	"math"
)

// ZoneGuess is what the coordinates of an unlabelled projected source suggest.
type ZoneGuess struct {
	Codes  []string // likely EPSG codes, best first
	Reason string   // for the message to the user
}

// GuessZone looks at the coordinate range of a source without a CRS and says which CGCS2000
// Gauss-Krüger zone it is likely in. An easting with a zone prefix (40 500 000) names its zone; one
// without (500 000) fits every zone, so the zone of homeLon (the county the server is set up for,
// Laizhou 119.94°E) comes first. It returns no codes when the range does not look like Gauss-Krüger.
func GuessZone(minX, minY, maxX, maxY, homeLon float64) ZoneGuess {
	rng := fmt.Sprintf("x %.3f … %.3f, y %.3f … %.3f", minX, maxX, minY, maxY)
	if math.IsNaN(minX+minY+maxX+maxY) || minX > maxX || minY > maxY {
		return ZoneGuess{Reason: "no coordinates"}
	}
	if minX >= -180 && maxX <= 180 && minY >= -90 && maxY <= 90 {
		return ZoneGuess{Codes: []string{"EPSG:4490", "gcj02"}, Reason: rng + " looks like longitude/latitude"}
	}
	// Northings in China run from about 2 000 km (Hainan, 18°N) to 6 000 km (Heilongjiang, 53°N).
	if minY < 1.5e6 || maxY > 6.2e6 {
		return ZoneGuess{Reason: rng + ": the y range is not a Gauss-Krüger northing in China (is x the northing? Chinese survey tables put northing in X)"}
	}
	zoneMin, zoneMax := math.Floor(minX/1e6), math.Floor(maxX/1e6)
	if zoneMin == zoneMax && zoneMin >= 13 && zoneMin <= 45 {
		z := int(zoneMin)
		if z >= 25 {
			return ZoneGuess{Codes: []string{fmt.Sprintf("EPSG:%d", 4513+z-25)},
				Reason: fmt.Sprintf("%s: the easting carries zone prefix %d (3-degree zone %d, central meridian %d°E)", rng, z, z, 3*z)}
		}
		if z <= 23 {
			return ZoneGuess{Codes: []string{fmt.Sprintf("EPSG:%d", 4491+z-13)},
				Reason: fmt.Sprintf("%s: the easting carries zone prefix %d (6-degree zone %d, central meridian %d°E)", rng, z, z, 6*z-3)}
		}
	}
	if minX > 100000 && maxX < 900000 {
		cm := 3 * math.Round(homeLon/3)
		codes := []string{fmt.Sprintf("EPSG:%d", 4534+int(cm-75)/3)}
		for _, d := range []float64{-3, 3} {
			if c := cm + d; c >= 75 && c <= 135 {
				codes = append(codes, fmt.Sprintf("EPSG:%d", 4534+int(c-75)/3))
			}
		}
		return ZoneGuess{Codes: codes, Reason: fmt.Sprintf(
			"%s: eastings without a zone prefix, so the zone cannot be read from them; near %.2f°E the 3-degree zone with central meridian %g°E is likely", rng, homeLon, cm)}
	}
	return ZoneGuess{Reason: rng + ": not Gauss-Krüger coordinates of a known zone"}
}
