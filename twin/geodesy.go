package twin

import "github.com/yitu-gis/yitu/spatial/geodesy"

// frame is an east-north-up frame at a tile's centre (spatial/geodesy), with the twin's helpers
// that place footprints and 3D rings in it.
type frame struct{ *geodesy.Frame }

func newFrame(lon, lat, h float64) *frame { return &frame{geodesy.NewFrame(lon, lat, h)} }

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
