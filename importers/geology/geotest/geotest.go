// Package geotest writes borehole tables with a known layer geometry (planar stratum boundaries)
// for tests and benchmarks of the geology import, the stratum model, its tileset and sections.
package geotest

import (
	"fmt"
	"math"
	"strings"

	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// Plane is z = A + B·east + C·north, metres, east and north of a site's centre.
type Plane struct{ A, B, C float64 }

// At is the plane's height at a point of the site.
func (p Plane) At(e, n float64) float64 { return p.A + p.B*e + p.C*n }

// Site is a set of holes over planar stratum boundaries.
type Site struct {
	Lon, Lat float64 // the centre
	Ground   Plane
	Strata   []Stratum // top to bottom
	Holes    [][2]float64
	Depth    float64 // every hole's depth below its collar, ending in the last stratum
}

// Stratum is a stratum with its bottom plane.
type Stratum struct {
	Code, Name string
	Bottom     Plane
}

// Laizhou is a site of n×n holes spacing metres apart (jittered deterministically) under the centre
// of Laizhou, with four strata whose bottoms are tilted planes.
func Laizhou(n int, spacing float64) *Site {
	s := &Site{Lon: 119.942, Lat: 37.177, Ground: Plane{12, 0.004, -0.003}, Depth: 30,
		Strata: []Stratum{
			{"①", "素填土", Plane{10.5, 0.002, -0.001}},
			{"②", "粉质黏土", Plane{4, -0.01, 0.006}},
			{"③", "细砂", Plane{-3, 0.008, 0.01}},
			{"④", "强风化花岗岩", Plane{-40, 0, 0}},
		}}
	half := float64(n-1) * spacing / 2
	for j := range n {
		for i := range n {
			k := float64(i*7+j*13) / 10
			s.Holes = append(s.Holes, [2]float64{float64(i)*spacing - half + 3*math.Sin(k), float64(j)*spacing - half + 3*math.Cos(k)})
		}
	}
	return s
}

// Planes are the site's ground and its strata's bottoms, top to bottom.
func (s *Site) Planes() []Plane {
	out := []Plane{s.Ground}
	for _, st := range s.Strata {
		out = append(out, st.Bottom)
	}
	return out
}

// Frame is the site's east-north-up frame.
func (s *Site) Frame() *geodesy.Frame { return geodesy.NewFrame(s.Lon, s.Lat, 0) }

// CSV writes the site in the common Chinese layout, one sheet: 钻孔编号, X (north), Y (east) in
// CGCS2000 / 3-degree Gauss-Krüger CM 120°E (EPSG:4549), 孔口高程, 孔深, then per layer row
// 层顶深度, 层底深度, 地层编号, 地层名称, 岩性描述.
func (s *Site) CSV() string {
	var b strings.Builder
	b.WriteString("钻孔编号,X(m),Y(m),孔口高程(m),孔深(m),层顶深度(m),层底深度(m),地层编号,地层名称,岩性描述\n")
	for i := range s.Holes {
		for _, l := range s.Layers(i) {
			fmt.Fprintf(&b, "%s,%.3f,%.3f,%.3f,%.2f,%.3f,%.3f,%s,%s,%s\n", l.Hole, l.X, l.Y, l.Collar, s.Depth, l.Top, l.Base, l.Code, l.Name, l.Name+"，稍湿")
		}
	}
	return b.String()
}

// Row is one layer row of a hole.
type Row struct {
	Hole         string
	X, Y, Collar float64
	Top, Base    float64
	Code, Name   string
}

// Layers returns the rows of hole i: the strata it passes, down to its depth.
func (s *Site) Layers(i int) []Row {
	fr := s.Frame()
	gk, _ := crs.Lookup("EPSG:4549")
	e, n := s.Holes[i][0], s.Holes[i][1]
	lon, lat, _ := fr.Geodetic([3]float64{e, n, 0})
	east, north := gk.FromLonLat(lon, lat)
	collar := s.Ground.At(e, n)
	var out []Row
	top := 0.0
	for _, st := range s.Strata {
		base := min(collar-st.Bottom.At(e, n), s.Depth)
		if base <= top+1e-6 {
			continue
		}
		out = append(out, Row{Hole: fmt.Sprintf("ZK%03d", i+1), X: north, Y: east, Collar: collar, Top: top, Base: base, Code: st.Code, Name: st.Name})
		top = base
		if top >= s.Depth {
			break
		}
	}
	return out
}

// Inclined writes the site's holes drilled straight at inclination inc from the vertical and grid
// azimuth azi (degrees), each Depth metres long: the one-sheet layout of CSV, with depths measured
// along the hole, and a survey table (钻孔编号, 测点深度, 方位角, 顶角) of two stations per hole. It
// returns the depths along hole i where it crosses each stratum's bottom plane too (the grid and
// the site's east-north frame differ by the meridian convergence, a few hundredths of a degree).
func (s *Site) Inclined(inc, azi float64) (holes, survey string) {
	si, ci := math.Sincos(inc * math.Pi / 180)
	sa, ca := math.Sincos(azi * math.Pi / 180)
	fr := s.Frame()
	gk, _ := crs.Lookup("EPSG:4549")
	var hb, sb strings.Builder
	hb.WriteString("钻孔编号,X(m),Y(m),孔口高程(m),孔深(m),层顶深度(m),层底深度(m),地层编号,地层名称,岩性描述\n")
	sb.WriteString("钻孔编号,测点深度,方位角,顶角\n")
	for i, p := range s.Holes {
		e, n := p[0], p[1]
		lon, lat, _ := fr.Geodetic([3]float64{e, n, 0})
		east, north := gk.FromLonLat(lon, lat)
		collar := s.Ground.At(e, n)
		no := fmt.Sprintf("ZK%03d", i+1)
		top := 0.0
		for _, st := range s.Strata {
			// collar − md·cos i = plane(e + md·sin i·sin a, n + md·sin i·cos a)
			md := (collar - st.Bottom.At(e, n)) / (ci + si*(st.Bottom.B*sa+st.Bottom.C*ca))
			base := min(md, s.Depth)
			if base <= top+1e-6 {
				continue
			}
			fmt.Fprintf(&hb, "%s,%.3f,%.3f,%.3f,%.2f,%.4f,%.4f,%s,%s,%s\n", no, north, east, collar, s.Depth, top, base, st.Code, st.Name, st.Name)
			top = base
			if top >= s.Depth {
				break
			}
		}
		fmt.Fprintf(&sb, "%s,0,%g,%g\n%s,%g,%g,%g\n", no, azi, inc, no, s.Depth, azi, inc)
	}
	return hb.String(), sb.String()
}
