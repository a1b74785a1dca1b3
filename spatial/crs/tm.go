package crs

import "math"

// Ellipsoid is a reference ellipsoid: semi-major axis and flattening.
type Ellipsoid struct {
	Name string
	A, F float64
}

// Ellipsoids the registry knows by name (local grids name them in YAML).
var (
	CGCS2000    = Ellipsoid{"CGCS2000", 6378137, 1 / 298.257222101}
	WGS84       = Ellipsoid{"WGS84", 6378137, 1 / 298.257223563}
	Xian80      = Ellipsoid{"Xian80", 6378140, 1 / 298.257}  // IAG 1975, 1980 西安坐标系
	Beijing54   = Ellipsoid{"Beijing54", 6378245, 1 / 298.3} // Krasovsky 1940, 1954 北京坐标系
	ellipsoidBy = map[string]Ellipsoid{"cgcs2000": CGCS2000, "wgs84": WGS84, "xian80": Xian80, "beijing54": Beijing54}
)

func (e Ellipsoid) e2() float64 { return e.F * (2 - e.F) }

// TransverseMercator is a Gauss-Krüger (transverse Mercator) projection, computed with Krüger's
// series to sixth order in the third flattening (Karney 2011): nanometre accuracy within the few
// degrees of a zone, millimetres tens of degrees out.
type TransverseMercator struct {
	Ellipsoid       Ellipsoid
	CentralMeridian float64 // degrees
	Scale           float64 // k0
	FalseEasting    float64 // metres, including a zone prefix (40 500 000 for zone 40)
	FalseNorthing   float64

	n, e, aHat  float64 // third flattening, eccentricity, rectifying radius × k0
	alpha, beta [6]float64
}

// NewTransverseMercator prepares the series for an ellipsoid and zone.
func NewTransverseMercator(el Ellipsoid, cm, k0, fe, fn float64) *TransverseMercator {
	t := &TransverseMercator{Ellipsoid: el, CentralMeridian: cm, Scale: k0, FalseEasting: fe, FalseNorthing: fn}
	n := el.F / (2 - el.F)
	n2, n3, n4, n5, n6 := n*n, n*n*n, n*n*n*n, n*n*n*n*n, n*n*n*n*n*n
	t.n = n
	t.e = math.Sqrt(el.e2())
	t.aHat = k0 * el.A / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t.alpha = [6]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	t.beta = [6]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return t
}

// Forward projects longitude/latitude (degrees) to easting/northing (metres).
func (t *TransverseMercator) Forward(lon, lat float64) (e, n float64) {
	phi := lat * math.Pi / 180
	lam := (lon - t.CentralMeridian) * math.Pi / 180
	sinPhi := math.Sin(phi)
	tau := math.Sinh(math.Atanh(sinPhi) - t.e*math.Atanh(t.e*sinPhi))
	xi1 := math.Atan2(tau, math.Cos(lam))
	eta1 := math.Atanh(math.Sin(lam) / math.Sqrt(1+tau*tau))
	xi, eta := xi1, eta1
	for j, a := range t.alpha {
		k := 2 * float64(j+1)
		xi += a * math.Sin(k*xi1) * math.Cosh(k*eta1)
		eta += a * math.Cos(k*xi1) * math.Sinh(k*eta1)
	}
	return t.FalseEasting + t.aHat*eta, t.FalseNorthing + t.aHat*xi
}

// Inverse unprojects easting/northing (metres) to longitude/latitude (degrees).
func (t *TransverseMercator) Inverse(e, n float64) (lon, lat float64) {
	xi := (n - t.FalseNorthing) / t.aHat
	eta := (e - t.FalseEasting) / t.aHat
	xi1, eta1 := xi, eta
	for j, b := range t.beta {
		k := 2 * float64(j+1)
		xi1 -= b * math.Sin(k*xi) * math.Cosh(k*eta)
		eta1 -= b * math.Cos(k*xi) * math.Sinh(k*eta)
	}
	sinhEta, cosXi := math.Sinh(eta1), math.Cos(xi1)
	tau1 := math.Sin(xi1) / math.Hypot(sinhEta, cosXi)
	lam := math.Atan2(sinhEta, cosXi)
	tau := t.tauFromTau1(tau1)
	return t.CentralMeridian + lam*180/math.Pi, math.Atan(tau) * 180 / math.Pi
}

// tauFromTau1 solves tan φ from the conformal tan φ' by Newton's method (Karney 2011, eq. 19–21).
func (t *TransverseMercator) tauFromTau1(tau1 float64) float64 {
	e2 := t.e * t.e
	tau := tau1
	for range 10 {
		s1 := math.Sqrt(1 + tau*tau)
		sigma := math.Sinh(t.e * math.Atanh(t.e*tau/s1))
		taui := tau*math.Sqrt(1+sigma*sigma) - sigma*s1
		d := (tau1 - taui) / math.Sqrt(1+taui*taui) * (1 + (1-e2)*tau*tau) / ((1 - e2) * s1)
		tau += d
		if math.Abs(d) < 1e-14 {
			break
		}
	}
	return tau
}
