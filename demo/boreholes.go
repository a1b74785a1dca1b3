package demo

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/yitu-gis/yitu/spatial/crs"
)

// The demo's engineering geological survey under the town centre: 25 boreholes on a jittered grid
// about 70 m apart, in the common Chinese layout as two GBK tables (钻孔表: 孔号, X northing, Y
// easting with the zone prefix, 孔口高程, 孔深; 分层表: 孔号, 层底深度, 地层编号, 地层名称, 岩性描述),
// and the site's stratum legend (a --map YAML). Five strata over granite, as on the Laizhou coastal
// plain: fill, silty clay, silt (pinching out to the north-east), fine sand, strongly weathered
// granite (where the holes end). The two corner holes were drilled 15° off the vertical toward the
// site's middle: a third table (测斜表: 孔号, 测点深度, 方位角, 顶角) says so, and their depths are
// measured along the hole.
const (
	BoreholeFolder  = "laizhou_boreholes"
	StrataFile      = "laizhou_strata.yaml"
	BoreholeDataset = "莱州演示城区 工程地质钻孔"
	BoreholeCount   = 25
	// InclinedHoles are the corner holes ZK01 and ZK25, drilled InclinedAngle degrees off the vertical.
	InclinedHoles = 2
	InclinedAngle = 15.0
)

var demoStrata = []struct{ code, name, lith string }{
	{"①", "素填土", "杂色，松散，稍湿，以黏性土为主，含少量碎石、砖块"},
	{"②", "粉质黏土", "黄褐色，可塑，含铁锰氧化物结核"},
	{"③", "粉土", "灰黄色，稍密，湿，摇振反应迅速"},
	{"④", "细砂", "灰白色，中密，饱和，主要矿物成分为石英、长石"},
	{"⑤", "强风化花岗岩", "灰白色，结构大部分破坏，岩芯呈砂土状，手捏易碎"},
}

// writeBoreholes writes the two tables into dir/laizhou_boreholes and the legend beside it.
func (c *city) writeBoreholes(dir string) (folder, legend string, err error) {
	folder = filepath.Join(dir, BoreholeFolder)
	legend = filepath.Join(dir, StrataFile)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", "", err
	}
	rng := rand.New(rand.NewPCG(uint64(c.o.Seed), 0xb0_4e_40_1e))
	gk := crs.EPSG(4528)
	cx, cy := gk.FromLonLat(CentreLon, CentreLat)
	type hole struct {
		no           string
		x, y, collar float64
		depth        float64
		bottoms      []float64 // depth of each stratum's bottom along the hole; NaN: absent
		azimuth      float64   // of an inclined hole (inclination InclinedAngle); NaN: vertical
	}
	var holes []hole
	const side, spacing = 5, 70.0
	for j := range side {
		for i := range side {
			x := cx + (float64(i)-2)*spacing + (rng.Float64()-0.5)*16
			y := cy + (float64(j)-2)*spacing + (rng.Float64()-0.5)*16
			u, v := (x-cx)/150, (y-cy)/150 // about −1 … 1 over the site
			collar := c.ground(x, y) + (rng.Float64()-0.5)*0.3
			depth := math.Round((28+rng.Float64()*6)*10) / 10
			fill := 1.2 + 0.8*math.Sin(3*u+1) + 0.3*rng.Float64()
			clay := fill + 4.5 + 1.5*math.Cos(2*v) + u
			silt := clay + math.Max(0, 2.8-1.8*(u+v)) // thins to nothing in the north-east
			sand := silt + 5 + 1.2*math.Sin(2*u-v)
			bot := []float64{fill, clay, silt, sand, depth}
			if silt-clay < 0.3 {
				bot[2] = math.NaN()
			}
			az, along := math.NaN(), 1.0
			if corner := (i == 0 && j == 0) || (i == side-1 && j == side-1); corner {
				// Toward the middle; vertical depths are measured along the hole, 1/cos longer.
				az, along = math.Mod(math.Atan2(cx-x, cy-y)*180/math.Pi+360, 360), 1/math.Cos(InclinedAngle*math.Pi/180)
				depth = math.Round(depth*along*10) / 10
			}
			for k := range bot {
				bot[k] = math.Round(min(bot[k]*along, depth)*10) / 10
			}
			holes = append(holes, hole{no: fmt.Sprintf("ZK%02d", len(holes)+1), x: x, y: y, collar: collar, depth: depth, bottoms: bot, azimuth: az})
		}
	}
	var holeRows, layerRows, surveyRows [][]string
	for _, h := range holes {
		holeRows = append(holeRows, []string{h.no, f3(h.y), f3(h.x), f3(h.collar), fmt.Sprintf("%.1f", h.depth), "莱州市勘察测绘院"})
		for k, b := range h.bottoms {
			if !math.IsNaN(b) {
				layerRows = append(layerRows, []string{h.no, fmt.Sprintf("%.1f", b), demoStrata[k].code, demoStrata[k].name, demoStrata[k].lith})
			}
		}
		if !math.IsNaN(h.azimuth) {
			for _, at := range []float64{0, h.depth} {
				surveyRows = append(surveyRows, []string{h.no, fmt.Sprintf("%.1f", at), fmt.Sprintf("%.1f", h.azimuth), fmt.Sprintf("%g", InclinedAngle)})
			}
		}
	}
	for _, t := range []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{"钻孔表.csv", []string{"孔号", "X(m)", "Y(m)", "孔口高程(m)", "孔深(m)", "勘察单位"}, holeRows},
		{"分层表.csv", []string{"孔号", "层底深度(m)", "地层编号", "地层名称", "岩性描述"}, layerRows},
		{"测斜表.csv", []string{"孔号", "测点深度(m)", "方位角(°)", "顶角(°)"}, surveyRows},
	} {
		if err := writeFile(filepath.Join(folder, t.name), func(w *bufio.Writer) error {
			cw, closer := gbkCSV(w)
			cw.Write(t.header)
			cw.WriteAll(t.rows)
			if err := cw.Error(); err != nil {
				return err
			}
			return closer.Close()
		}); err != nil {
			return "", "", err
		}
	}
	err = writeFile(legend, func(w *bufio.Writer) error {
		fmt.Fprintln(w, "# 莱州演示城区 地层表 (the site's strata, top to bottom); yitu import --map takes it")
		fmt.Fprintln(w, "strata:")
		colors := []string{"#9c6b4e", "#c8a165", "#e3c98b", "#f2dc6b", "#d27a7a"}
		for k, s := range demoStrata {
			fmt.Fprintf(w, "  - {code: %q, name: %s, color: %q}\n", s.code, s.name, colors[k])
		}
		fmt.Fprintln(w, "cell: 4")
		return nil
	})
	return folder, legend, err
}
