// Package demo generates the demo city: a Laizhou-like town centre around 119.94°E 37.18°N written as
// survey files in the real exchange formats — a CASS-style 1:500 DXF base map in EPSG:4528 (Chinese
// annotations as GBK bytes, code page ANSI_936), CJJ 61 pipe point and segment tables (CSV, GBK) and
// the district boundary (GeoJSON) — and imports them through the importers, so the out-of-the-box
// city takes the same path real data takes. The same seed gives the same bytes.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/yitu-gis/yitu/spatial/crs"
)

// Centre of the town (lon/lat CGCS2000).
const (
	CentreLon = 119.94
	CentreLat = 37.18
)

// Options size the city.
type Options struct {
	Seed int64
	// Blocks is the number of street blocks along each side of the grid; 0 = 36, a town centre of
	// about 3.6 km × 3.6 km with some 25,000 buildings and 2,600 road segments.
	Blocks int
}

const (
	pitch        = 100.0 // metres between street centrelines
	localWidth   = 14.0
	arterialStep = 4 // every 4th street is an arterial road
	arterialW    = 30.0
)

// city is the generated town in EPSG:4528 coordinates (x easting with the zone prefix, y northing).
type city struct {
	o      Options
	rng    *rand.Rand
	x0, y0 float64 // south-west street intersection
	n      int     // blocks per side
	river  int     // the block row the river takes
	parks  map[[2]int]bool
	hills  []hill
	ewName []string // names of east-west streets, by row
	nsName []string // names of north-south streets, by column
	roads  []road
	photo  map[[2]int][]building // buildings of the blocks the oblique set covers (oblique.go)
	layout []placed              // the buildings, laid out on first use (forEachBuilding)
}

type hill struct{ x, y, h, sigma float64 }

type road struct {
	x0, y0, x1, y1 float64
	name           string
	arterial       bool
	ns             bool // runs north-south
	i, j           int  // grid node at the start
}

func newCity(o Options) *city {
	if o.Blocks == 0 {
		o.Blocks = 36
	}
	gk := crs.EPSG(4528)
	cx, cy := gk.FromLonLat(CentreLon, CentreLat)
	c := &city{o: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed_1a12)), n: o.Blocks}
	half := float64(c.n) * pitch / 2
	c.x0, c.y0 = math.Round(cx-half), math.Round(cy-half)
	c.river = c.n / 3
	c.parks = map[[2]int]bool{}
	// A hill park in the south-east (like 福禄山) and a smaller one in the north-east.
	hx, hy := c.x0+float64(c.n)*pitch*0.78, c.y0+float64(c.n)*pitch*0.2
	c.hills = []hill{{hx, hy, 42, 230}, {c.x0 + float64(c.n)*pitch*0.8, c.y0 + float64(c.n)*pitch*0.82, 24, 140}}
	for _, h := range c.hills {
		r := int(math.Ceil(h.sigma * 1.3 / pitch))
		hi, hj := int((h.x-c.x0)/pitch), int((h.y-c.y0)/pitch)
		for i := hi - r; i <= hi+r; i++ {
			for j := hj - r; j <= hj+r; j++ {
				if i >= 0 && j >= 0 && i < c.n && j < c.n && math.Hypot(float64(i-hi), float64(j-hj)) <= float64(r) {
					c.parks[[2]int{i, j}] = true
				}
			}
		}
	}
	// A square park by the centre (人民广场).
	c.parks[[2]int{c.n / 2, c.n / 2}] = true
	c.names()
	c.buildRoads()
	return c
}

var ewBases = []string{"文化", "府前", "光州", "玉海", "鲁信", "新华", "永安", "政通", "寒同", "和平", "兴隆", "育才",
	"东莱", "掖城", "南阳", "北苑", "文峰", "云峰", "金城", "银海", "朱桥", "沙河", "三山", "海港", "莱山", "太平",
	"明珠", "宏安", "步行", "振兴", "繁荣", "富强", "胜利", "建设", "团结", "青年", "学府", "书院", "长安", "迎宾"}

var nsBases = []string{"文昌", "掖县", "莱州", "府东", "府西", "环城", "光明", "崇文", "尚德", "仁和", "礼贤", "孝义",
	"忠信", "德政", "怀远", "望海", "观澜", "临海", "滨河", "湖光", "山海", "翠屏", "青云", "紫荆", "丁香", "海棠",
	"牡丹", "芙蓉", "玉兰", "桂花", "石榴", "葡萄", "苹果", "樱桃", "杏林", "梨园", "枣园", "柳泉", "松涛", "竹韵"}

// names gives every street its name: east-west streets are 街, split into 东街/西街 at the central
// axis; north-south ones are 路, split into 北路/南路 at the river.
func (c *city) names() {
	c.ewName = make([]string, c.n+1)
	c.nsName = make([]string, c.n+1)
	for j := 0; j <= c.n; j++ {
		base := ewBases[j%len(ewBases)]
		if j >= len(ewBases) {
			base += fmt.Sprint(j / len(ewBases))
		}
		c.ewName[j] = base
	}
	for i := 0; i <= c.n; i++ {
		base := nsBases[i%len(nsBases)]
		if i >= len(nsBases) {
			base += fmt.Sprint(i / len(nsBases))
		}
		c.nsName[i] = base
	}
}

func (c *city) gx(i int) float64 { return c.x0 + float64(i)*pitch }
func (c *city) gy(j int) float64 { return c.y0 + float64(j)*pitch }

func arterial(k int) bool { return k%arterialStep == 0 }

func width(k int) float64 {
	if arterial(k) {
		return arterialW
	}
	return localWidth
}

// buildRoads makes one segment per block edge.
func (c *city) buildRoads() {
	mid := c.n / 2
	for j := 0; j <= c.n; j++ {
		for i := 0; i < c.n; i++ {
			side := "东街"
			if i < mid {
				side = "西街"
			}
			c.roads = append(c.roads, road{x0: c.gx(i), y0: c.gy(j), x1: c.gx(i + 1), y1: c.gy(j),
				name: c.ewName[j] + side, arterial: arterial(j), i: i, j: j})
		}
	}
	for i := 0; i <= c.n; i++ {
		for j := 0; j < c.n; j++ {
			side := "北路"
			if j < c.river {
				side = "南路"
			}
			c.roads = append(c.roads, road{x0: c.gx(i), y0: c.gy(j), x1: c.gx(i), y1: c.gy(j + 1),
				name: c.nsName[i] + side, arterial: arterial(i), ns: true, i: i, j: j})
		}
	}
}

// ground is the terrain height (1985 national height datum, metres): a coastal plain rising gently to
// the south, with the two hills.
func (c *city) ground(x, y float64) float64 {
	h := 6 + (c.y0+float64(c.n)*pitch-y)*0.002
	for _, hl := range c.hills {
		d2 := (x-hl.x)*(x-hl.x) + (y-hl.y)*(y-hl.y)
		h += hl.h * math.Exp(-d2/(2*hl.sigma*hl.sigma))
	}
	return h
}

func (c *city) inRiver(j int) bool { return j == c.river }

// building is one footprint with its label.
type building struct {
	xy        []float64
	structure string
	floors    int
	code      string
}

// blockBuildings lays out the buildings of block (i, j).
func (c *city) blockBuildings(i, j int) []building {
	x0 := c.gx(i) + width(i)/2 + 3
	x1 := c.gx(i+1) - width(i+1)/2 - 3
	y0 := c.gy(j) + width(j)/2 + 3
	y1 := c.gy(j+1) - width(j+1)/2 - 3
	rows := 3
	if y1-y0 < 60 {
		rows = 2
	}
	cols := 5 + c.rng.IntN(4)
	onArterial := arterial(i) || arterial(i+1) || arterial(j) || arterial(j+1)
	core := abs(i-c.n/2) < c.n/6 && abs(j-c.n/2) < c.n/6
	var out []building
	cw, rh := (x1-x0)/float64(cols), (y1-y0)/float64(rows)
	for r := 0; r < rows; r++ {
		for k := 0; k < cols; k++ {
			if c.rng.Float64() < 0.06 { // a yard, a parking lot
				continue
			}
			gap := 1.5 + c.rng.Float64()*2
			w := cw - gap - c.rng.Float64()
			h := rh - gap - c.rng.Float64()*4
			if w < 5 || h < 5 {
				continue
			}
			bx := x0 + float64(k)*cw + (cw-w)/2 + (c.rng.Float64()-0.5)*1.0
			by := y0 + float64(r)*rh + (rh-h)/2 + (c.rng.Float64()-0.5)*1.0
			b := building{code: "141101"}
			b.structure, b.floors = c.storeys(onArterial, core)
			if c.rng.Float64() < 0.12 { // an L-shaped house
				nx, ny := w*(0.45+0.2*c.rng.Float64()), h*(0.45+0.2*c.rng.Float64())
				b.xy = []float64{bx, by, bx + w, by, bx + w, by + ny, bx + nx, by + ny, bx + nx, by + h, bx, by + h}
			} else {
				b.xy = []float64{bx, by, bx + w, by, bx + w, by + h, bx, by + h}
			}
			for q := range b.xy {
				b.xy[q] = math.Round(b.xy[q]*1000) / 1000
			}
			out = append(out, b)
		}
	}
	return out
}

// storeys draws a building's structure and floor count: concrete towers along arterial roads,
// brick houses in the old core.
func (c *city) storeys(onArterial, core bool) (string, int) {
	p := c.rng.Float64()
	switch {
	case onArterial && p < 0.6:
		return "砼", 6 + c.rng.IntN(13)
	case onArterial:
		return "混", 3 + c.rng.IntN(4)
	case core && p < 0.5:
		return "砖", 1 + c.rng.IntN(2)
	case core && p < 0.6:
		return "木", 1
	case p < 0.45:
		return "混", 2 + c.rng.IntN(4)
	case p < 0.75:
		return "砖", 1 + c.rng.IntN(3)
	case p < 0.85:
		return "简", 1
	default:
		return "砼", 4 + c.rng.IntN(4)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// boundary is the district outline (EPSG:4528): the grid with a margin, corners cut.
func (c *city) boundary() []float64 {
	m := 150.0
	w := float64(c.n) * pitch
	x0, y0, x1, y1 := c.x0-m, c.y0-m, c.x0+w+m, c.y0+w+m
	cut := 400.0
	return []float64{x0 + cut, y0, x1 - cut/2, y0, x1, y0 + cut/2, x1, y1 - cut, x1 - cut, y1,
		x0 + cut/3, y1, x0, y1 - cut/3, x0, y0 + cut, x0 + cut, y0}
}
