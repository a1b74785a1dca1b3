// Package geodesy converts between CGCS2000 geodetic coordinates (longitude, latitude in degrees,
// ellipsoidal height in metres), earth-centred earth-fixed coordinates (EPSG:4978) and local
// east-north-up frames: what 3D Tiles (tile transforms in ECEF) and the 3D importers (oblique
// models placed by an origin) need. The twin and the oblique importer share it.
package geodesy

import "math"

// The CGCS2000 ellipsoid (practically GRS80/WGS 84: the difference in f moves a point by 0.1 mm).
const (
	A  = 6378137.0
	F  = 1 / 298.257222101
	E2 = F * (2 - F)
)

// ECEF converts geodetic longitude and latitude (degrees) and ellipsoidal height (metres) to
// earth-centred, earth-fixed coordinates.
func ECEF(lon, lat, h float64) [3]float64 {
	λ, φ := lon*math.Pi/180, lat*math.Pi/180
	sφ, cφ := math.Sincos(φ)
	sλ, cλ := math.Sincos(λ)
	n := A / math.Sqrt(1-E2*sφ*sφ)
	return [3]float64{(n + h) * cφ * cλ, (n + h) * cφ * sλ, (n*(1-E2) + h) * sφ}
}

// Geodetic converts ECEF to longitude, latitude (degrees) and ellipsoidal height (Bowring's method,
// sub-millimetre near the earth's surface).
func Geodetic(p [3]float64) (lon, lat, h float64) {
	x, y, z := p[0], p[1], p[2]
	b := A * (1 - F)
	ep2 := (A*A - b*b) / (b * b)
	r := math.Hypot(x, y)
	θ := math.Atan2(z*A, r*b)
	sθ, cθ := math.Sincos(θ)
	φ := math.Atan2(z+ep2*b*sθ*sθ*sθ, r-E2*A*cθ*cθ*cθ)
	sφ, cφ := math.Sincos(φ)
	n := A / math.Sqrt(1-E2*sφ*sφ)
	if math.Abs(cφ) > 1e-9 {
		h = r/cφ - n
	} else {
		h = math.Abs(z)/math.Abs(sφ) - n*(1-E2)
	}
	return math.Atan2(y, x) * 180 / math.Pi, φ * 180 / math.Pi, h
}

// Frame is a local east-north-up frame at a geodetic point: it converts geodetic coordinates to
// metres east, north and up of its origin and back, and gives the ENU → ECEF matrix that 3D Tiles
// wants as a tile transform.
type Frame struct {
	Lon, Lat, H     float64    // the origin, geodetic
	Origin          [3]float64 // the origin, ECEF
	East, North, Up [3]float64 // unit axes in ECEF
}

// NewFrame returns the east-north-up frame at a point.
func NewFrame(lon, lat, h float64) *Frame {
	λ, φ := lon*math.Pi/180, lat*math.Pi/180
	sφ, cφ := math.Sincos(φ)
	sλ, cλ := math.Sincos(λ)
	return &Frame{
		Lon: lon, Lat: lat, H: h,
		Origin: ECEF(lon, lat, h),
		East:   [3]float64{-sλ, cλ, 0},
		North:  [3]float64{-sφ * cλ, -sφ * sλ, cφ},
		Up:     [3]float64{cφ * cλ, cφ * sλ, sφ},
	}
}

// ENU returns a point's offset from the frame origin in metres (east, north, up), exactly (through ECEF).
func (f *Frame) ENU(lon, lat, h float64) (e, n, u float64) {
	p := ECEF(lon, lat, h)
	d := [3]float64{p[0] - f.Origin[0], p[1] - f.Origin[1], p[2] - f.Origin[2]}
	return dot(d, f.East), dot(d, f.North), dot(d, f.Up)
}

// Geodetic converts a point of the frame (east, north, up) back to longitude, latitude and height.
func (f *Frame) Geodetic(p [3]float64) (lon, lat, h float64) {
	return Geodetic([3]float64{
		f.Origin[0] + p[0]*f.East[0] + p[1]*f.North[0] + p[2]*f.Up[0],
		f.Origin[1] + p[0]*f.East[1] + p[1]*f.North[1] + p[2]*f.Up[1],
		f.Origin[2] + p[0]*f.East[2] + p[1]*f.North[2] + p[2]*f.Up[2],
	})
}

// Matrix is the column-major ENU → ECEF transform (3D Tiles' tile.transform).
func (f *Frame) Matrix() [16]float64 {
	return [16]float64{
		f.East[0], f.East[1], f.East[2], 0,
		f.North[0], f.North[1], f.North[2], 0,
		f.Up[0], f.Up[1], f.Up[2], 0,
		f.Origin[0], f.Origin[1], f.Origin[2], 1,
	}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
