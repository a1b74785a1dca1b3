package crs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LocalGrid is a local survey coordinate system (城建坐标系, 独立坐标系) defined by a transformation to a
// named CRS, read from a YAML file:
//
//	# 4-parameter (plane similarity) into a projected CRS
//	name: 莱州城建坐标系
//	method: 4-parameter
//	target: EPSG:4528
//	dx: 40500012.345          # metres: E = dx + k (x cos θ − y sin θ)
//	dy: 4112345.678           #         N = dy + k (x sin θ + y cos θ)
//	rotation_arcsec: 12.5     # θ, counter-clockwise (or rotation_deg)
//	scale_ppm: 3.2            # k = 1 + ppm·1e-6 (or scale: 1.0000032)
//
//	# 7-parameter (Bursa-Wolf) from another datum into CGCS2000
//	name: 西安80 3度带 120°E
//	method: 7-parameter
//	target: EPSG:4490         # geographic: CGCS2000 (4490) or WGS 84 (4326)
//	source:
//	  ellipsoid: xian80       # cgcs2000, wgs84, xian80, beijing54, or a and f
//	  projection:             # omit when the source coordinates are longitude/latitude
//	    central_meridian: 120
//	    false_easting: 500000
//	tx: -15.2  # metres
//	ty: 120.3
//	tz: 45.1
//	rx: 0.32   # arcseconds
//	ry: -1.2
//	rz: 2.1
//	ds_ppm: -3.4
//	convention: coordinate-frame   # (default, the 布尔莎 form of Chinese practice, EPSG 9607) or position-vector (EPSG 9606)
//
// Coordinates are easting (x), northing (y).
type LocalGrid struct {
	path string
	Def  LocalGridDef

	// 4-parameter
	target   CRS
	cos, sin float64 // k cos θ, k sin θ

	// 7-parameter
	srcEll  Ellipsoid
	srcProj *TransverseMercator
	dstEll  Ellipsoid
	helmert [7]float64 // tx ty tz (m), rx ry rz (rad, position-vector sign), ds (scale − 1)
}

// LocalGridDef is the YAML form of a local grid.
type LocalGridDef struct {
	Name           string  `yaml:"name"`
	Method         string  `yaml:"method"`
	Target         string  `yaml:"target"`
	DX             float64 `yaml:"dx"`
	DY             float64 `yaml:"dy"`
	RotationArcsec float64 `yaml:"rotation_arcsec"`
	RotationDeg    float64 `yaml:"rotation_deg"`
	Scale          float64 `yaml:"scale"`
	ScalePPM       float64 `yaml:"scale_ppm"`
	Source         *struct {
		Ellipsoid  string  `yaml:"ellipsoid"`
		A          float64 `yaml:"a"`
		F          float64 `yaml:"f"`
		Projection *struct {
			CentralMeridian float64  `yaml:"central_meridian"`
			FalseEasting    *float64 `yaml:"false_easting"`
			FalseNorthing   float64  `yaml:"false_northing"`
			Scale           float64  `yaml:"scale"`
		} `yaml:"projection"`
	} `yaml:"source"`
	TX         float64 `yaml:"tx"`
	TY         float64 `yaml:"ty"`
	TZ         float64 `yaml:"tz"`
	RX         float64 `yaml:"rx"`
	RY         float64 `yaml:"ry"`
	RZ         float64 `yaml:"rz"`
	DSPPM      float64 `yaml:"ds_ppm"`
	Convention string  `yaml:"convention"`
}

// LoadLocalGrid reads a local grid definition file.
func LoadLocalGrid(path string) (*LocalGrid, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("local grid: %w", err)
	}
	g, err := ParseLocalGrid(b)
	if err != nil {
		return nil, fmt.Errorf("local grid %s: %w", path, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	g.path = path
	return g, nil
}

// ParseLocalGrid parses a local grid definition (see LocalGrid).
func ParseLocalGrid(b []byte) (*LocalGrid, error) {
	var d LocalGridDef
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("not a valid local grid definition: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	g := &LocalGrid{Def: d}
	if d.Name == "" {
		return nil, errors.New("name is missing")
	}
	vals := []float64{d.DX, d.DY, d.RotationArcsec, d.RotationDeg, d.Scale, d.ScalePPM, d.TX, d.TY, d.TZ, d.RX, d.RY, d.RZ, d.DSPPM}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("parameters must be finite numbers")
		}
	}
	switch strings.ToLower(strings.ReplaceAll(d.Method, "_", "-")) {
	case "4-parameter", "4-param", "4", "四参数":
		return g, g.init4()
	case "7-parameter", "7-param", "7", "七参数", "bursa-wolf":
		return g, g.init7()
	default:
		return nil, fmt.Errorf("method %q: use 4-parameter or 7-parameter", d.Method)
	}
}

func (g *LocalGrid) init4() error {
	d := g.Def
	t, err := Lookup(d.Target)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if !t.Projected() {
		return fmt.Errorf("target %s: a 4-parameter transformation lands in a projected CRS (such as EPSG:4528), not in degrees", t.Code())
	}
	if _, proj := t.(*Proj); proj {
		return fmt.Errorf("target %s: a 4-parameter transformation lands in a CGCS2000 zone of the registry (EPSG:4491–4554)", t.Code())
	}
	if _, local := t.(*LocalGrid); local {
		return errors.New("target: a local grid cannot target another local grid")
	}
	k := 1.0
	switch {
	case d.Scale != 0 && d.ScalePPM != 0:
		return errors.New("give scale or scale_ppm, not both")
	case d.Scale != 0:
		k = d.Scale
	case d.ScalePPM != 0:
		k = 1 + d.ScalePPM*1e-6
	}
	if !(k > 0 && k < 1e5) {
		return fmt.Errorf("scale %g must be positive (1 + a few ppm for a survey grid; larger to place a schematic drawing such as an EPANET network)", k)
	}
	theta := d.RotationDeg*math.Pi/180 + d.RotationArcsec*math.Pi/(180*3600)
	if d.RotationDeg != 0 && d.RotationArcsec != 0 {
		return errors.New("give rotation_deg or rotation_arcsec, not both")
	}
	g.target = t
	g.cos, g.sin = k*math.Cos(theta), k*math.Sin(theta)
	return nil
}

func (g *LocalGrid) init7() error {
	d := g.Def
	if d.Source == nil {
		return errors.New("a 7-parameter grid needs source: with its ellipsoid")
	}
	switch {
	case d.Source.A != 0 || d.Source.F != 0:
		if !(d.Source.A > 6e6 && d.Source.A < 7e6 && d.Source.F > 0 && d.Source.F < 0.01) {
			return fmt.Errorf("source ellipsoid a=%g f=%g is implausible (f is the flattening, e.g. 1/298.257)", d.Source.A, d.Source.F)
		}
		g.srcEll = Ellipsoid{"custom", d.Source.A, d.Source.F}
	default:
		e, ok := ellipsoidBy[strings.ToLower(strings.ReplaceAll(d.Source.Ellipsoid, " ", ""))]
		if !ok {
			return fmt.Errorf("source ellipsoid %q: use cgcs2000, wgs84, xian80, beijing54, or give a and f", d.Source.Ellipsoid)
		}
		g.srcEll = e
	}
	if p := d.Source.Projection; p != nil {
		fe := 500000.0
		if p.FalseEasting != nil {
			fe = *p.FalseEasting
		}
		k := p.Scale
		if k == 0 {
			k = 1
		}
		if p.CentralMeridian < -180 || p.CentralMeridian > 180 {
			return fmt.Errorf("central_meridian %g is not a longitude", p.CentralMeridian)
		}
		g.srcProj = NewTransverseMercator(g.srcEll, p.CentralMeridian, k, fe, p.FalseNorthing)
	}
	switch t, _ := Lookup(d.Target); {
	case t != nil && t.Code() == "EPSG:4490":
		g.dstEll = CGCS2000
	case t != nil && t.Code() == "EPSG:4326":
		g.dstEll = WGS84
	default:
		return fmt.Errorf("target %q: a 7-parameter transformation lands in EPSG:4490 (CGCS2000) or EPSG:4326", d.Target)
	}
	sec := math.Pi / (180 * 3600)
	rx, ry, rz := d.RX*sec, d.RY*sec, d.RZ*sec
	switch strings.ToLower(d.Convention) {
	case "", "coordinate-frame", "coordinate_frame", "9607":
		rx, ry, rz = -rx, -ry, -rz // stored in the position-vector sense
	case "position-vector", "position_vector", "9606":
	default:
		return fmt.Errorf("convention %q: use coordinate-frame or position-vector", d.Convention)
	}
	if math.Abs(d.TX)+math.Abs(d.TY)+math.Abs(d.TZ) > 2000 || math.Abs(d.DSPPM) > 1000 || math.Abs(d.RX)+math.Abs(d.RY)+math.Abs(d.RZ) > 600 {
		return errors.New("7 parameters out of the range of datum shifts (translations over 2 km, rotations over 10′ or scale over 1000 ppm): check units (metres, arcseconds, ppm)")
	}
	g.helmert = [7]float64{d.TX, d.TY, d.TZ, rx, ry, rz, d.DSPPM * 1e-6}
	return nil
}

// Code is local:<absolute path of the definition>.
func (g *LocalGrid) Code() string { return "local:" + g.path }

// Name is the grid's name from its file.
func (g *LocalGrid) Name() string { return g.Def.Name }

// Projected reports whether the grid's coordinates are metres.
func (g *LocalGrid) Projected() bool { return g.target != nil || g.srcProj != nil }

// ToLonLat converts local coordinates to CGCS2000 longitude/latitude.
func (g *LocalGrid) ToLonLat(x, y float64) (float64, float64) {
	if g.target != nil {
		e := g.Def.DX + g.cos*x - g.sin*y
		n := g.Def.DY + g.sin*x + g.cos*y
		return g.target.ToLonLat(e, n)
	}
	lon, lat := x, y
	if g.srcProj != nil {
		lon, lat = g.srcProj.Inverse(x, y)
	}
	X, Y, Z := toGeocentric(g.srcEll, lon, lat, 0)
	X, Y, Z = helmert(g.helmert, X, Y, Z, 1)
	lon, lat, _ = fromGeocentric(g.dstEll, X, Y, Z)
	return lon, lat
}

// FromLonLat converts CGCS2000 longitude/latitude to local coordinates.
func (g *LocalGrid) FromLonLat(lon, lat float64) (float64, float64) {
	if g.target != nil {
		e, n := g.target.FromLonLat(lon, lat)
		e, n = e-g.Def.DX, n-g.Def.DY
		k2 := g.cos*g.cos + g.sin*g.sin
		return (g.cos*e + g.sin*n) / k2, (-g.sin*e + g.cos*n) / k2
	}
	X, Y, Z := toGeocentric(g.dstEll, lon, lat, 0)
	X, Y, Z = helmert(g.helmert, X, Y, Z, -1)
	lon, lat, _ = fromGeocentric(g.srcEll, X, Y, Z)
	if g.srcProj != nil {
		return g.srcProj.Forward(lon, lat)
	}
	return lon, lat
}

// helmert applies a position-vector Helmert transformation (sign −1: its inverse, to first order,
// which for datum-shift sized rotations is exact to far below a millimetre).
func helmert(p [7]float64, x, y, z, sign float64) (float64, float64, float64) {
	tx, ty, tz, rx, ry, rz, ds := sign*p[0], sign*p[1], sign*p[2], sign*p[3], sign*p[4], sign*p[5], sign*p[6]
	if sign < 0 {
		x, y, z = x+tx, y+ty, z+tz
		m := 1 + ds
		return m * (x - rz*y + ry*z), m * (rz*x + y - rx*z), m * (-ry*x + rx*y + z)
	}
	m := 1 + ds
	return tx + m*(x-rz*y+ry*z), ty + m*(rz*x+y-rx*z), tz + m*(-ry*x+rx*y+z)
}

func toGeocentric(e Ellipsoid, lon, lat, h float64) (x, y, z float64) {
	phi, lam := lat*math.Pi/180, lon*math.Pi/180
	e2 := e.e2()
	sinPhi := math.Sin(phi)
	n := e.A / math.Sqrt(1-e2*sinPhi*sinPhi)
	return (n + h) * math.Cos(phi) * math.Cos(lam), (n + h) * math.Cos(phi) * math.Sin(lam), (n*(1-e2) + h) * sinPhi
}

func fromGeocentric(e Ellipsoid, x, y, z float64) (lon, lat, h float64) {
	e2 := e.e2()
	p := math.Hypot(x, y)
	lam := math.Atan2(y, x)
	phi := math.Atan2(z, p*(1-e2))
	var n float64
	for range 10 {
		sinPhi := math.Sin(phi)
		n = e.A / math.Sqrt(1-e2*sinPhi*sinPhi)
		h = p/math.Cos(phi) - n
		next := math.Atan2(z, p*(1-e2*n/(n+h)))
		if math.Abs(next-phi) < 1e-14 {
			phi = next
			break
		}
		phi = next
	}
	return lam * 180 / math.Pi, phi * 180 / math.Pi, h
}
