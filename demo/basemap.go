package demo

import (
	"fmt"
	"io"
	"math"
)

// Stats counts what the generator wrote.
type Stats struct {
	Buildings       int `json:"buildings"`
	Roads           int `json:"roads"`
	Annotations     int `json:"annotations"`
	Contours        int `json:"contours"`
	ElevationPoints int `json:"elevation_points"`
	ControlPoints   int `json:"control_points"`
	Water           int `json:"water"`
	Vegetation      int `json:"vegetation"`
	Facilities      int `json:"facilities"`
	Landforms       int `json:"landforms"`
	PipeFacilities  int `json:"pipe_facilities"`
	Boundaries      int `json:"boundaries"`
	CIMBuildings    int `json:"cim_buildings"` // LoD2 buildings in the CityJSON core block
	PipePoints      int `json:"pipe_points"`
	PipeSegments    int `json:"pipe_segments"`
	ObliqueTiles    int `json:"oblique_tiles"`     // tiles of the oblique set (two levels each)
	ObliqueBuilding int `json:"oblique_buildings"` // buildings the oblique set models
	DEMCells        int `json:"dem_cells"`         // cells of the DEM (demCell metres)
}

// Features is the number of base-map features in the DXF.
func (s Stats) Features() int {
	return s.Buildings + s.Roads + s.Annotations + s.Contours + s.ElevationPoints + s.ControlPoints + s.Water +
		s.Vegetation + s.Facilities + s.Landforms + s.PipeFacilities + s.Boundaries
}

var layers = []dxfLayer{{"0", 7}, {"JMD", 7}, {"DLSS", 1}, {"DLDW", 3}, {"SXSS", 4}, {"ZBTZ", 3}, {"DMTZ", 6},
	{"DGX", 32}, {"GCD", 7}, {"KZD", 1}, {"GXYZ", 5}, {"JJ", 6}, {"ZJ", 7}}

// Codes the demo writes (old CASS six-digit family codes: 13 control, 14 settlement, 15 standalone,
// 16 transport, 17 pipelines, 18 water, 19 boundaries, 20 landforms, 21 vegetation).
const (
	codeBuilding = "141101"
	codeRoad     = "164300"
	codeRiver    = "181101"
	codePond     = "186100"
	codePark     = "211500"
	codeTree     = "213500"
	codeLamp     = "155100"
	codeManhole  = "175100"
	codeBoundary = "191300"
	codeScarp    = "204201"
	codeContour  = "201101"
	codeIndex    = "201102"
	codeSpot     = "202101"
	codeControl  = "131400"
)

func symbols() []*dxfBlock {
	circle := func(r float64) func(d *dxfWriter, owner string) {
		return func(d *dxfWriter, owner string) {
			d.blockEntity("CIRCLE", owner, "AcDbCircle")
			d.pt(10, 0, 0, 0)
			d.num(40, r)
		}
	}
	return []*dxfBlock{
		{name: "*Model_Space"},
		{name: "*Paper_Space"},
		{name: "GC200", draw: circle(0.15)}, // spot height
		{name: "GC113", draw: func(d *dxfWriter, owner string) { // control point: a triangle
			d.blockEntity("LWPOLYLINE", owner, "AcDbPolyline")
			d.int(90, 3)
			d.int(70, 1)
			for _, p := range [][2]float64{{-0.9, -0.5}, {0.9, -0.5}, {0, 1.0}} {
				d.num(10, p[0])
				d.num(20, p[1])
			}
		}},
		{name: "GC170", draw: circle(0.5)},  // street lamp
		{name: "GC129", draw: circle(0.8)},  // tree
		{name: "GC300", draw: circle(0.35)}, // manhole cover
	}
}

// writeDXF writes the base map.
func (c *city) writeDXF(w io.Writer, net *pipeNet) (Stats, error) {
	var st Stats
	d := newDXFWriter(w)
	b := c.boundary()
	minX, minY, maxX, maxY := bounds(b)
	d.header(minX, minY, maxX, maxY)
	blocks := symbols()
	d.tables(layers, blocks)
	d.blocks(blocks)
	d.beginEntities()

	// Buildings, each followed by its label (砼6), as CASS draws them.
	c.forEachBuilding(func(i, j int, bd building) {
		c.photograph(i, j, bd) // the oblique set models a few blocks of these buildings
		d.polyline("JMD", bd.xy, true, 0, bd.code)
		cx, cy := centroid(bd.xy)
		d.text("JMD", cx, cy, 2.0, 0, fmt.Sprintf("%s%d", bd.structure, bd.floors), "")
		st.Buildings++
		st.Annotations++
	})
	// Roads: one centreline per block edge, each followed by its name.
	for _, r := range c.roads {
		d.polyline("DLSS", []float64{r.x0, r.y0, r.x1, r.y1}, false, 0, codeRoad)
		rot := 0.0
		if r.ns {
			rot = 90
		}
		h := 3.0
		if !r.arterial {
			h = 2.5
		}
		d.text("ZJ", (r.x0+r.x1)/2, (r.y0+r.y1)/2, h, rot, r.name, "")
		st.Roads++
		st.Annotations++
	}
	// The river (南阳河) takes one row of blocks, with its name; ponds in the parks.
	ry0, ry1 := c.gy(c.river)+width(c.river)/2+8, c.gy(c.river+1)-width(c.river+1)/2-8
	rx0, rx1 := minX+20, maxX-20
	var river []float64
	const steps = 64
	for k := 0; k <= steps; k++ {
		x := rx0 + (rx1-rx0)*float64(k)/steps
		river = append(river, x, ry0+6*math.Sin(float64(k)/5))
	}
	for k := steps; k >= 0; k-- {
		x := rx0 + (rx1-rx0)*float64(k)/steps
		river = append(river, x, ry1+6*math.Sin(float64(k)/4))
	}
	d.polyline("SXSS", roundAll(river), true, 0, codeRiver)
	d.text("ZJ", (rx0+rx1)/2+pitch/2, (ry0+ry1)/2, 5, 0, "南阳河", "")
	st.Water++
	st.Annotations++
	// Parks: the green area, a pond and trees.
	for _, key := range c.parkKeys() {
		i, j := key[0], key[1]
		x0, y0 := c.gx(i)+width(i)/2+2, c.gy(j)+width(j)/2+2
		x1, y1 := c.gx(i+1)-width(i+1)/2-2, c.gy(j+1)-width(j+1)/2-2
		d.polyline("ZBTZ", []float64{x0, y0, x1, y0, x1, y1, x0, y1}, true, 0, codePark)
		st.Vegetation++
		if (i+j)%3 == 0 {
			cx, cy := (x0+x1)/2, (y0+y1)/2
			var pond []float64
			for k := 0; k < 24; k++ {
				a := 2 * math.Pi * float64(k) / 24
				pond = append(pond, cx+14*math.Cos(a), cy+9*math.Sin(a))
			}
			d.polyline("SXSS", roundAll(pond), true, 0, codePond)
			st.Water++
		}
		for x := x0 + 6; x < x1-3; x += 16 {
			for y := y0 + 6; y < y1-3; y += 16 {
				tx, ty := x+c.rng.Float64()*4, y+c.rng.Float64()*4
				d.insert("ZBTZ", "GC129", round3(tx), round3(ty), 0, codeTree)
				st.Vegetation++
			}
		}
	}
	d.text("ZJ", c.gx(c.n/2)+pitch/2, c.gy(c.n/2)+pitch/2, 4, 0, "人民广场", "")
	st.Annotations++
	// Contours of the hills, every metre, index contours every five, and scarps on their flanks.
	for hi, hl := range c.hills {
		base := c.ground(hl.x, hl.y) - hl.h
		for level := math.Ceil(base + 0.5); level < base+hl.h; level++ {
			r := hl.sigma * math.Sqrt(2*math.Log(hl.h/(level-base)))
			var ring []float64
			for k := 0; k < 72; k++ {
				a := 2 * math.Pi * float64(k) / 72
				rr := r * (1 + 0.04*math.Sin(3*a+float64(hi)))
				ring = append(ring, hl.x+rr*math.Cos(a), hl.y+rr*math.Sin(a))
			}
			code := codeContour
			if int(level)%5 == 0 {
				code = codeIndex
			}
			d.polyline("DGX", roundAll(ring), true, level, code)
			st.Contours++
		}
		for k := 0; k < 6; k++ {
			a := float64(k) * math.Pi / 3
			r := hl.sigma * 0.8
			x, y := hl.x+r*math.Cos(a), hl.y+r*math.Sin(a)
			d.polyline("DMTZ", roundAll([]float64{x, y, x - 12*math.Sin(a), y + 12*math.Cos(a)}), false, 0, codeScarp)
			st.Landforms++
		}
	}
	// Spot heights at every junction and mid-block, and in the parks.
	for i := 0; i <= c.n; i++ {
		for j := 0; j <= c.n; j++ {
			for _, p := range [][2]float64{{c.gx(i) + 2, c.gy(j) + 2}, {c.gx(i) + pitch/2 + 1, c.gy(j) + 1}, {c.gx(i) + 1, c.gy(j) + pitch/2 + 1}} {
				if i == c.n && p[0] > c.gx(c.n)+3 || j == c.n && p[1] > c.gy(c.n)+3 {
					continue
				}
				z := round2(c.ground(p[0], p[1]))
				d.insert("GCD", "GC200", p[0], p[1], z, codeSpot, "GC", fmt.Sprintf("%.2f", z))
				st.ElevationPoints++
			}
		}
	}
	// Control points (一级导线点, 图根点) at every sixth junction.
	k := 0
	for i := 0; i <= c.n; i += 6 {
		for j := 0; j <= c.n; j += 6 {
			k++
			x, y := c.gx(i)-width(i)/2-1.5, c.gy(j)-width(j)/2-1.5
			grade := "图根点"
			name := fmt.Sprintf("T%03d", k)
			if (i/6+j/6)%2 == 0 {
				grade, name = "一级导线点", fmt.Sprintf("I%02d", k)
			}
			z := round2(c.ground(x, y))
			d.insert("KZD", "GC113", x, y, z, codeControl, "点名", name, "等级", grade, "高程", fmt.Sprintf("%.3f", z))
			st.ControlPoints++
		}
	}
	// Street lamps along the arterial roads.
	for _, r := range c.roads {
		if !r.arterial {
			continue
		}
		for _, f := range []float64{0.25, 0.75} {
			x, y := r.x0+(r.x1-r.x0)*f, r.y0+(r.y1-r.y0)*f
			if r.ns {
				x += arterialW/2 - 1
			} else {
				y += arterialW/2 - 1
			}
			d.insert("DLDW", "GC170", round3(x), round3(y), 0, codeLamp)
			st.Facilities++
		}
	}
	// Manhole covers of the pipe networks' wells.
	for _, p := range net.points {
		if p.appendage == "检修井" {
			d.insert("GXYZ", "GC300", p.x, p.y, 0, codeManhole)
			st.PipeFacilities++
		}
	}
	// The district boundary.
	d.polyline("JJ", b, true, 0, codeBoundary)
	st.Boundaries++
	d.text("ZJ", c.x0+100, c.y0+float64(c.n)*pitch+60, 6, 0, "文昌路街道", "")
	st.Annotations++
	return st, d.end()
}

func (c *city) parkKeys() [][2]int {
	var keys [][2]int
	for j := 0; j < c.n; j++ {
		for i := 0; i < c.n; i++ {
			if c.parks[[2]int{i, j}] && !c.inRiver(j) {
				keys = append(keys, [2]int{i, j})
			}
		}
	}
	return keys
}

// centroid is where a building's label goes: the middle of a rectangle, or of the wide lower part
// of an L-shaped house.
func centroid(xy []float64) (float64, float64) {
	if len(xy) > 8 {
		return round3((xy[0] + xy[2]) / 2), round3((xy[1] + xy[5]) / 2)
	}
	var cx, cy float64
	for i := 0; i+1 < len(xy); i += 2 {
		cx += xy[i]
		cy += xy[i+1]
	}
	n := float64(len(xy) / 2)
	return round3(cx / n), round3(cy / n)
}

func bounds(xy []float64) (minX, minY, maxX, maxY float64) {
	minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := 0; i+1 < len(xy); i += 2 {
		minX, maxX = min(minX, xy[i]), max(maxX, xy[i])
		minY, maxY = min(minY, xy[i+1]), max(maxY, xy[i+1])
	}
	return
}

func roundAll(xy []float64) []float64 {
	for i := range xy {
		xy[i] = round3(xy[i])
	}
	return xy
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
