package crs

import "math"

// GCJ02 is the offset coordinate system of Chinese web maps (GCJ-02, "火星坐标": AMap/Gaode, Tencent,
// Google in China). Its forward offset from WGS 84 is the published formula (hundreds of metres, varying
// smoothly); the inverse solves it by fixed-point iteration to below a micrometre. Outside China the
// offset is zero, as the maps have it.
type GCJ02 struct{}

func (GCJ02) Code() string    { return "gcj02" }
func (GCJ02) Name() string    { return "GCJ-02 (国测局坐标, 火星坐标)" }
func (GCJ02) Projected() bool { return false }

// ToLonLat removes the offset: GCJ-02 to CGCS2000/WGS 84.
func (GCJ02) ToLonLat(x, y float64) (float64, float64) { return GCJ02ToWGS84(x, y) }

// FromLonLat adds the offset: CGCS2000/WGS 84 to GCJ-02.
func (GCJ02) FromLonLat(lon, lat float64) (float64, float64) { return WGS84ToGCJ02(lon, lat) }

// The Krasovsky ellipsoid the GCJ-02 formula is written on.
const (
	gcjA  = 6378245.0
	gcjE2 = 0.00669342162296594323
)

func outOfChina(lon, lat float64) bool {
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

// WGS84ToGCJ02 adds the GCJ-02 offset.
func WGS84ToGCJ02(lon, lat float64) (float64, float64) {
	if outOfChina(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjDelta(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 removes the GCJ-02 offset: it finds the WGS 84 point whose GCJ-02 image is the given
// point (fixed-point iteration; the offset changes by less than 1e-5 of itself per metre, so each step
// gains about five digits).
func GCJ02ToWGS84(lon, lat float64) (float64, float64) {
	if outOfChina(lon, lat) {
		return lon, lat
	}
	wLon, wLat := lon, lat
	for range 20 {
		gLon, gLat := WGS84ToGCJ02(wLon, wLat)
		dLon, dLat := gLon-lon, gLat-lat
		wLon, wLat = wLon-dLon, wLat-dLat
		if math.Abs(dLon) < 1e-12 && math.Abs(dLat) < 1e-12 {
			break
		}
	}
	return wLon, wLat
}

func gcjDelta(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105, lat-35
	common := (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	dLat = -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + common +
		(20*math.Sin(y*math.Pi)+40*math.Sin(y/3*math.Pi))*2/3 + (160*math.Sin(y/12*math.Pi)+320*math.Sin(y*math.Pi/30))*2/3
	dLon = 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + common +
		(20*math.Sin(x*math.Pi)+40*math.Sin(x/3*math.Pi))*2/3 + (150*math.Sin(x/12*math.Pi)+300*math.Sin(x/30*math.Pi))*2/3
	rad := lat / 180 * math.Pi
	magic := 1 - gcjE2*math.Sin(rad)*math.Sin(rad)
	sq := math.Sqrt(magic)
	dLat = dLat * 180 / ((gcjA * (1 - gcjE2)) / (magic * sq) * math.Pi)
	dLon = dLon * 180 / (gcjA / sq * math.Cos(rad) * math.Pi)
	return dLon, dLat
}
