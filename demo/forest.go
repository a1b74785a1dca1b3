package demo

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/yitu-gis/yitu/spatial/crs"
)

// The forest-fire command's layers around the south-eastern hill (where the FIRMS fire burns), as the
// forestry bureau hands them over: GeoJSON in CGCS2000 lon/lat, one file per layer. The county and
// village roads into the hills go to the base map's roads (with their class in grade), the rest to
// reference layers the fire command is configured with (command.*_layer).
const (
	ForestFolder = "forest"

	ForestRoadsDataset = "林区道路 forest roads"
	VillagesDataset    = "村庄 villages"
	SheltersDataset    = "避险场所 shelters"
	WaterDataset       = "消防水源 water_sources"
	DepotsDataset      = "防火物资库 fire_depots"
	FirebreaksDataset  = "防火隔离带 firebreaks"

	forestRoadsFile  = "forest_roads.geojson"
	villagesFile     = "villages.geojson"
	sheltersFile     = "shelters.geojson"
	waterSourcesFile = "water_sources.geojson"
	fireDepotsFile   = "fire_depots.geojson"
	firebreaksFile   = "firebreaks.geojson"
)

// ForestFile is one generated layer and the dataset it is imported as.
type ForestFile struct {
	Path, Dataset, As string
}

type forestFeature struct {
	props map[string]any
	kind  string      // Point, LineString
	xy    [][]float64 // EPSG:4528 metres
}

// forest is the fire command's world around the hill, in EPSG:4528 metres.
func (c *city) forest() map[string][]forestFeature {
	h := c.hills[0]              // the hill of the FIRMS fire
	ex, sy := c.gx(c.n), c.gy(0) // the town's east edge and south edge
	node := func(i, j int) []float64 { return []float64{c.gx(i), c.gy(j)} }
	hi, hj := int((h.x-c.x0)/pitch), int((h.y-c.y0)/pitch)
	pt := func(x, y float64) [][]float64 { return [][]float64{{x, y}} }
	road := func(name, grade string, pts ...[]float64) forestFeature {
		return forestFeature{props: map[string]any{"name": name, "grade": grade}, kind: "LineString", xy: pts}
	}
	village := func(name string, pop int, x, y float64) forestFeature {
		return forestFeature{props: map[string]any{"name": name, "population": pop, "town": "文昌路街道"}, kind: "Point", xy: pt(x, y)}
	}
	named := func(name, kind string, x, y float64, more ...any) forestFeature {
		p := map[string]any{"name": name, "type": kind}
		for i := 0; i+1 < len(more); i += 2 {
			p[more[i].(string)] = more[i+1]
		}
		return forestFeature{props: p, kind: "Point", xy: pt(x, y)}
	}
	jE := min(hj, c.n)
	return map[string][]forestFeature{
		forestRoadsFile: {
			// East from the town's edge at the hill's row: a county road over the ridge to the villages.
			road("莱山线", "X012", node(c.n, jE), []float64{ex + 500, c.gy(jE) - 60}, []float64{ex + 1100, c.gy(jE) - 140}, []float64{ex + 1800, c.gy(jE) - 320}),
			// South from below the hill: a township road into the valley, a village road across.
			road("寒同山线", "Y005", node(hi, 0), []float64{c.gx(hi) + 80, sy - 450}, []float64{c.gx(hi) + 260, sy - 900}, []float64{c.gx(hi) + 600, sy - 1500}),
			road("南坡村道", "村道", []float64{c.gx(hi) + 80, sy - 450}, []float64{c.gx(hi) + 600, sy - 420}, []float64{c.gx(hi) + 1100, sy - 380}),
			// A fire access road up the hill's flank from the east edge.
			road("福禄山防火通道", "防火通道", []float64{ex + 500, c.gy(jE) - 60}, []float64{ex + 300, c.gy(jE) - 420}, []float64{ex + 100, sy - 200}),
		},
		villagesFile: {
			village("东山村", 860, ex+520, c.gy(jE)-20),
			village("石门村", 430, ex+1120, c.gy(jE)-180),
			village("朱家庄", 1260, ex+1820, c.gy(jE)-360),
			village("南山村", 520, c.gx(hi)+120, sy-470),
			village("寒同村", 740, c.gx(hi)+620, sy-1520),
			village("西坡村", 310, c.gx(hi)+1110, sy-410),
			village("福禄山村", 280, h.x+160, h.y-170),
		},
		sheltersFile: {
			named("文昌路街道第一中学", "school", c.gx(c.n/2)+50, c.gy(c.n/2+4)+50, "capacity", 3000),
			named("人民广场", "square", c.gx(c.n/2)+50, c.gy(c.n/2)+50, "capacity", 8000),
			named("城南体育馆", "gym", c.gx(c.n/2+4)+50, c.gy(2)+50, "capacity", 2500),
			named("朱桥镇避险安置点", "shelter", ex+1900, c.gy(jE)-300, "capacity", 1500),
		},
		waterSourcesFile: {
			named("福禄山塘坝", "reservoir", h.x-260, h.y-300, "capacity_m3", 12000),
			named("南坡蓄水池", "tank", c.gx(hi)+300, sy-430, "capacity_m3", 400),
			named("东山村消防水池", "tank", ex+560, c.gy(jE)+30, "capacity_m3", 200),
			named("南阳河取水点", "river", c.gx(hi)-200, c.gy(c.river)+50, "capacity_m3", 0),
			named("文化东街消火栓", "hydrant", c.gx(hi-3), c.gy(hj+4)+8),
		},
		fireDepotsFile: {
			named("莱州市森林防火物资储备库", "depot", c.gx(hi-6)+50, c.gy(2)+50, "items", "风力灭火机60台、二号工具300把、水泵8台"),
			named("东山防火物资点", "depot", ex+540, c.gy(jE)+60, "items", "风力灭火机10台、灭火水枪20支"),
		},
		firebreaksFile: {
			{props: map[string]any{"name": "福禄山南坡隔离带", "width_m": 20}, kind: "LineString",
				xy: [][]float64{{h.x - 400, h.y - 380}, {h.x, h.y - 430}, {h.x + 420, h.y - 360}}},
			{props: map[string]any{"name": "福禄山东坡隔离带", "width_m": 20}, kind: "LineString",
				xy: [][]float64{{h.x + 430, h.y - 300}, {h.x + 470, h.y + 50}, {h.x + 400, h.y + 380}}},
		},
	}
}

// writeForest writes the forest layers into dir/forest and returns them with their datasets.
func (c *city) writeForest(dir string) ([]ForestFile, error) {
	gk := crs.EPSG(4528)
	layers := c.forest()
	if err := os.MkdirAll(filepath.Join(dir, ForestFolder), 0o755); err != nil {
		return nil, err
	}
	out := []ForestFile{
		{forestRoadsFile, ForestRoadsDataset, "basemap"},
		{villagesFile, VillagesDataset, "reference"},
		{sheltersFile, SheltersDataset, "reference"},
		{waterSourcesFile, WaterDataset, "reference"},
		{fireDepotsFile, DepotsDataset, "reference"},
		{firebreaksFile, FirebreaksDataset, "reference"},
	}
	for i, f := range out {
		path := filepath.Join(dir, ForestFolder, f.Path)
		var feats []any
		for _, ft := range layers[f.Path] {
			coords := make([][2]json.Number, len(ft.xy))
			for k, p := range ft.xy {
				lon, lat := gk.ToLonLat(p[0], p[1])
				coords[k] = [2]json.Number{num7(lon), num7(lat)}
			}
			var g any = map[string]any{"type": "LineString", "coordinates": coords}
			if ft.kind == "Point" {
				g = map[string]any{"type": "Point", "coordinates": coords[0]}
			}
			feats = append(feats, map[string]any{"type": "Feature", "properties": ft.props, "geometry": g})
		}
		fc := map[string]any{"type": "FeatureCollection", "features": feats}
		if err := writeFile(path, func(w *bufio.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			return enc.Encode(fc)
		}); err != nil {
			return nil, err
		}
		out[i].Path = path
	}
	return out, nil
}
