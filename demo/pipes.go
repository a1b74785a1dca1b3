package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// pipeType describes how a CJJ 61 pipe type is laid under the roads.
type pipeType struct {
	code     string
	offset   float64 // from the road centreline (metres; scaled down on local streets)
	gravity  bool
	depth    float64 // base depth (top of pipe, or inner bottom for gravity pipes)
	owner    string
	material [2]string // arterial, local
	burial   string
	pressure string
	local    bool // also under local streets
}

var pipeTypes = []pipeType{
	{code: "JS", offset: 5, depth: 1.3, owner: "莱州市供水有限公司", material: [2]string{"球墨铸铁", "PE"}, burial: "直埋", pressure: "0.4MPa", local: true},
	{code: "YS", offset: -4, gravity: true, depth: 1.8, owner: "莱州市排水管理处", material: [2]string{"钢筋混凝土", "钢筋混凝土"}, burial: "直埋", local: true},
	{code: "WS", offset: -1.5, gravity: true, depth: 2.2, owner: "莱州市排水管理处", material: [2]string{"钢筋混凝土", "HDPE"}, burial: "直埋", local: true},
	{code: "RQ", offset: 7, depth: 1.1, owner: "莱州港华燃气有限公司", material: [2]string{"钢", "PE"}, burial: "直埋", pressure: "0.2MPa"},
	{code: "DL", offset: -7, depth: 0.9, owner: "国网莱州市供电公司", material: [2]string{"铜", "铜"}, burial: "排管", pressure: "10kV"},
	{code: "TX", offset: 2.5, depth: 0.8, owner: "中国联通莱州分公司", material: [2]string{"PVC", "PVC"}, burial: "管块", local: true},
	{code: "RL", offset: 3.5, depth: 1.6, owner: "莱州市热力有限公司", material: [2]string{"钢", "钢"}, burial: "管沟", pressure: "1.6MPa"},
	{code: "GY", offset: 9, depth: 1.5, owner: "莱州经济开发区管委会", material: [2]string{"钢", "钢"}, burial: "直埋", pressure: "1.0MPa"},
}

// pipePoint is one surveyed point (管线点).
type pipePoint struct {
	no        string
	typ       *pipeType
	x, y      float64 // easting, northing (EPSG:4528)
	ground    float64
	depth     float64
	appendage string
	wellDepth float64
	cover     string
	road      string
	degree    int
}

// pipeSegment is one surveyed segment (管线段).
type pipeSegment struct {
	typ         *pipeType
	from, to    *pipePoint
	d0, d1      float64
	diameter    int
	section     string
	material    string
	cables      int
	holes, used int
	year        int
	road        string
}

type pipeNet struct {
	points   []*pipePoint
	segments []*pipeSegment
}

// pipes lays the networks under the roads: a point at every junction and mid-block, per type.
func (c *city) pipes() *pipeNet {
	net := &pipeNet{}
	serial := map[string]int{}
	nodes := map[string]*pipePoint{} // type/i/j/kind
	point := func(t *pipeType, key string, x, y float64, road string, mid bool) *pipePoint {
		if p := nodes[t.code+key]; p != nil {
			return p
		}
		serial[t.code]++
		p := &pipePoint{no: fmt.Sprintf("%s%05d", t.code, serial[t.code]), typ: t, x: round3(x), y: round3(y), road: road}
		p.ground = round3(c.ground(p.x, p.y))
		p.depth = round3(t.depth + c.rng.Float64()*0.3)
		switch {
		case t.gravity || t.code == "DL" || t.code == "TX" || t.code == "RL":
			if !mid || t.gravity {
				p.appendage = "检修井"
				p.wellDepth = round3(p.depth + 0.3 + c.rng.Float64()*0.4)
				p.cover = "Φ700"
				if t.code == "DL" || t.code == "TX" {
					p.cover = "800X600"
				}
			}
		case t.code == "JS":
			if !mid {
				p.appendage = "阀门"
				p.wellDepth = round3(p.depth + 0.5)
				p.cover = "Φ600"
			} else if c.rng.Float64() < 0.4 {
				p.appendage = "消火栓"
			}
		case t.code == "RQ" && !mid && c.rng.Float64() < 0.3:
			p.appendage = "阀门"
		}
		nodes[t.code+key] = p
		net.points = append(net.points, p)
		return p
	}
	for ri := range c.roads {
		r := &c.roads[ri]
		if (r.ns && c.inRiver(r.j)) || (!r.ns && false) {
			// north-south roads cross the river on bridges: pipes run on them too
		}
		for ti := range pipeTypes {
			t := &pipeTypes[ti]
			if !r.arterial && !t.local {
				if !(t.code == "DL" && (r.i+r.j)%2 == 0) {
					continue
				}
			}
			if t.code == "RL" && (r.i/arterialStep+r.j/arterialStep)%2 == 1 {
				continue
			}
			if t.code == "GY" && !(r.arterial && r.j < c.n/4 && r.i < c.n/3) {
				continue
			}
			off := t.offset
			if !r.arterial {
				off *= 0.45
			}
			// points at the two junctions (shared by the roads meeting there) and mid-block
			ox, oy := off, off
			a := point(t, fmt.Sprintf("/%d/%d", r.i, r.j), r.x0+ox, r.y0+oy, r.name, false)
			ei, ej := r.i+1, r.j
			if r.ns {
				ei, ej = r.i, r.j+1
			}
			b := point(t, fmt.Sprintf("/%d/%d", ei, ej), r.x1+ox, r.y1+oy, r.name, false)
			mx, my := (r.x0+r.x1)/2, (r.y0+r.y1)/2
			if r.ns {
				mx += off
			} else {
				my += off
			}
			m := point(t, fmt.Sprintf("/%d/%d/%v", r.i, r.j, r.ns), mx, my, r.name, true)
			for _, pair := range [][2]*pipePoint{{a, m}, {m, b}} {
				net.segments = append(net.segments, c.segment(t, pair[0], pair[1], r))
				pair[0].degree++
				pair[1].degree++
			}
		}
	}
	return net
}

func (c *city) segment(t *pipeType, p, q *pipePoint, r *road) *pipeSegment {
	s := &pipeSegment{typ: t, from: p, to: q, road: r.name, year: 1992 + c.rng.IntN(32)}
	k := 1
	if r.arterial {
		k = 0
	}
	s.material = t.material[k]
	s.d0, s.d1 = p.depth, q.depth
	if t.gravity {
		// flow downhill; the inner bottom falls at least 0.3 % along the flow
		if q.ground > p.ground {
			s.from, s.to = q, p
		}
		g0, g1 := s.from.ground, s.to.ground
		l := math.Hypot(s.to.x-s.from.x, s.to.y-s.from.y)
		s.d0 = s.from.depth
		s.d1 = round3(max(s.to.depth, s.d0+0.003*l-(g0-g1)+0.01))
	}
	switch t.code {
	case "JS":
		s.diameter = pick(c, r.arterial, []int{300, 400, 500, 600}, []int{100, 150, 200})
	case "YS":
		s.diameter = pick(c, r.arterial, []int{800, 1000, 1200, 1500}, []int{400, 500, 600})
	case "WS":
		s.diameter = pick(c, r.arterial, []int{500, 600, 800}, []int{300, 400})
	case "RQ":
		s.diameter = pick(c, r.arterial, []int{200, 250, 300}, []int{110, 160})
	case "RL":
		s.diameter = pick(c, true, []int{300, 400, 500}, nil)
	case "GY":
		s.diameter = 150
	case "DL":
		s.section = "1000X800"
		if !r.arterial {
			s.section = "600X400"
		}
		s.cables = 3 + c.rng.IntN(6)
	case "TX":
		s.section = "400X300"
		s.holes = 12
		if !r.arterial {
			s.holes = 6
		}
		s.used = 1 + c.rng.IntN(s.holes)
	}
	return s
}

func pick(c *city, arterial bool, big, small []int) int {
	if arterial || len(small) == 0 {
		return big[c.rng.IntN(len(big))]
	}
	return small[c.rng.IntN(len(small))]
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func gbkCSV(w io.Writer) (*csv.Writer, io.Closer) {
	tw := transform.NewWriter(w, simplifiedchinese.GBK.NewEncoder())
	cw := csv.NewWriter(tw)
	cw.UseCRLF = true
	return cw, tw
}

// writePoints writes the CJJ 61 point table (管线点成果表). X is the northing, Y the easting with the
// zone prefix, as Chinese survey tables have them.
func (n *pipeNet) writePoints(w io.Writer) error {
	cw, closer := gbkCSV(w)
	cw.Write([]string{"物探点号", "管线类型", "特征", "附属物", "X", "Y", "地面高程", "埋深", "井深", "井盖规格", "道路名称", "权属单位"})
	for _, p := range n.points {
		feature := "直线点"
		switch {
		case p.degree == 1:
			feature = "预留口"
		case p.degree == 3:
			feature = "三通"
		case p.degree >= 4:
			feature = "四通"
		}
		well := ""
		if p.wellDepth > 0 {
			well = f3(p.wellDepth)
		}
		cw.Write([]string{p.no, p.typ.code, feature, p.appendage, f3(p.y), f3(p.x), f3(p.ground), f3(p.depth), well, p.cover, p.road, p.typ.owner})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return closer.Close()
}

// writeSegments writes the CJJ 61 segment table (管线段成果表).
func (n *pipeNet) writeSegments(w io.Writer) error {
	cw, closer := gbkCSV(w)
	cw.Write([]string{"起点点号", "终点点号", "起点埋深", "终点埋深", "管径", "断面尺寸", "材质", "埋设方式", "压力", "电缆条数", "总孔数", "已用孔数", "流向", "建设年代", "权属单位", "道路名称"})
	itoa := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	for _, s := range n.segments {
		flow := ""
		if s.typ.gravity {
			flow = "起点→终点"
		}
		cw.Write([]string{s.from.no, s.to.no, f3(s.d0), f3(s.d1), itoa(s.diameter), s.section, s.material, s.typ.burial,
			s.typ.pressure, itoa(s.cables), itoa(s.holes), itoa(s.used), flow, strconv.Itoa(s.year), s.typ.owner, s.road})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return closer.Close()
}
