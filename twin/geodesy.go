package twin

import "math"

// CGCS2000 ellipsoid (practically GRS80/WGS84: the difference in f moves a point by 0.1 mm).
const (
	ellA  = 6378137.0
	ellF  = 1 / 298.257222101
	ellE2 = ellF * (2 - ellF)
)

// ecef converts geodetic longitude and latitude (degrees) and ellipsoidal height (metres) to
// earth-centred, earth-fixed coordinates (EPSG:4978).
func ecef(lon, lat, h float64) [3]float64 {
	λ, φ := lon*math.Pi/180, lat*math.Pi/180
	sφ, cφ := math.Sincos(φ)
	sλ, cλ := math.Sincos(λ)
	n := ellA / math.Sqrt(1-ellE2*sφ*sφ)
	return [3]float64{(n + h) * cφ * cλ, (n + h) * cφ * sλ, (n*(1-ellE2) + h) * sφ}
}

// frame is a local east-north-up frame at a point: it converts geodetic coordinates to metres east,
// north and up of its origin, and gives the ENU → ECEF matrix that 3D Tiles wants as a tile transform.
type frame struct {
	origin          [3]float64 // ECEF
	east, north, up [3]float64 // unit axes in ECEF
	lon, lat, h     float64    // the origin, geodetic
}

func newFrame(lon, lat, h float64) *frame {
	λ, φ := lon*math.Pi/180, lat*math.Pi/180
	sφ, cφ := math.Sincos(φ)
	sλ, cλ := math.Sincos(λ)
	return &frame{
		origin: ecef(lon, lat, h),
		east:   [3]float64{-sλ, cλ, 0},
		north:  [3]float64{-sφ * cλ, -sφ * sλ, cφ},
		up:     [3]float64{cφ * cλ, cφ * sλ, sφ},
		lon:    lon, lat: lat, h: h,
	}
}

// enu returns the point's offset from the frame origin in metres (east, north, up), exactly (through ECEF).
func (f *frame) enu(lon, lat, h float64) (e, n, u float64) {
	p := ecef(lon, lat, h)
	d := [3]float64{p[0] - f.origin[0], p[1] - f.origin[1], p[2] - f.origin[2]}
	return dot(d, f.east), dot(d, f.north), dot(d, f.up)
}

// matrix is the column-major ENU → ECEF transform.
func (f *frame) matrix() [16]float64 {
	return [16]float64{
		f.east[0], f.east[1], f.east[2], 0,
		f.north[0], f.north[1], f.north[2], 0,
		f.up[0], f.up[1], f.up[2], 0,
		f.origin[0], f.origin[1], f.origin[2], 1,
	}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// mul multiplies column-major 4x4 matrices: a·b.
func mul(a, b [16]float64) [16]float64 {
	var c [16]float64
	for col := range 4 {
		for row := range 4 {
			var s float64
			for k := range 4 {
				s += a[k*4+row] * b[col*4+k]
			}
			c[col*4+row] = s
		}
	}
	return c
}

// rigidInverse inverts a rotation + translation matrix (column-major).
func rigidInverse(m [16]float64) [16]float64 {
	// R^T and -R^T t
	var r [16]float64
	for i := range 3 {
		for j := range 3 {
			r[j*4+i] = m[i*4+j]
		}
	}
	t := [3]float64{m[12], m[13], m[14]}
	for i := range 3 {
		r[12+i] = -(r[i]*t[0] + r[4+i]*t[1] + r[8+i]*t[2])
	}
	r[15] = 1
	return r
}

// identity is the 4x4 identity matrix.
func identity() [16]float64 { return [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1} }
