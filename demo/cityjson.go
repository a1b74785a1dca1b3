package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
)

// CityJSONFile is the demo city's CIM: the core blocks as LoD2 buildings in CityJSON 2.0.
const CityJSONFile = "laizhou_core_lod2.city.json"

// CIMDataset is its dataset name (served as the 3D tileset cim-<name>).
const CIMDataset = "laizhou-core-lod2"

// cimBlocks is how many blocks around the centre (each way) the LoD2 model covers: 3 × 3 blocks.
const cimBlocks = 1

// placed is a building of the layout with its block.
type placed struct {
	i, j int
	b    building
}

// forEachBuilding calls f for every building of the base map, block by block, in the order the DXF
// writes them. The layout draws from the city's random source, so the first call lays the town out
// and keeps it; later calls (the CityJSON core block) replay the same buildings.
func (c *city) forEachBuilding(f func(i, j int, b building)) {
	if c.layout == nil {
		c.layout = []placed{}
		for j := 0; j < c.n; j++ {
			if c.inRiver(j) {
				continue
			}
			for i := 0; i < c.n; i++ {
				if c.parks[[2]int{i, j}] {
					continue
				}
				for _, bd := range c.blockBuildings(i, j) {
					c.layout = append(c.layout, placed{i, j, bd})
				}
			}
		}
	}
	for _, p := range c.layout {
		f(p.i, p.j, p.b)
	}
}

// writeCityJSON writes the core blocks' buildings, the same footprints as the base map's, as LoD2 solids: gable roofs on rectangular brick
// and wooden houses, flat roofs on the rest, with ground, wall and roof surfaces, on the terrain.
// Heights are normal heights (the survey's); coordinates EPSG:4528 with a CityJSON transform.
func (c *city) writeCityJSON(w *bufio.Writer) (int, error) {
	mid := c.n / 2
	type vkey [3]int64
	var verts [][3]int64
	index := map[vkey]int{}
	tx, ty := math.Round(c.x0), math.Round(c.y0)
	vertex := func(x, y, z float64) int {
		k := vkey{int64(math.Round((x - tx) * 1000)), int64(math.Round((y - ty) * 1000)), int64(math.Round(z * 1000))}
		if i, ok := index[k]; ok {
			return i
		}
		verts = append(verts, k)
		index[k] = len(verts) - 1
		return len(verts) - 1
	}
	objects := map[string]any{}
	n := 0
	c.forEachBuilding(func(i, j int, b building) {
		if abs(i-mid) > cimBlocks || abs(j-mid) > cimBlocks {
			return
		}
		n++
		id := fmt.Sprintf("LZ-%02d-%02d-%03d", i, j, n)
		xy := b.xy
		k := len(xy) / 2
		cx, cy := centroid(xy)
		z0 := math.Round(c.ground(cx, cy)*100) / 100
		eave := z0 + 3.0*float64(b.floors)
		var shells [][][]int // surfaces (one ring each) of the solid's shell
		var sem []int        // semantic surface per shell surface: 0 ground, 1 wall, 2 roof
		ring := func(pts ...[3]float64) []int {
			r := make([]int, len(pts))
			for q, p := range pts {
				r[q] = vertex(p[0], p[1], p[2])
			}
			return r
		}
		// Ground: clockwise seen from above (its normal points down).
		var ground [][3]float64
		for q := k - 1; q >= 0; q-- {
			ground = append(ground, [3]float64{xy[2*q], xy[2*q+1], z0})
		}
		shells = append(shells, [][]int{ring(ground...)})
		sem = append(sem, 0)
		gable := k == 4 && (b.structure == "砖" || b.structure == "木")
		ridge := eave
		if gable {
			// Ridge along the longer side, 0.3 × the span high.
			w, h := xy[2]-xy[0], xy[5]-xy[3]
			ridge = eave + 0.3*math.Min(w, h)
			x0, y0, x1, y1 := xy[0], xy[1], xy[4], xy[5]
			if w >= h { // ridge east-west
				ym := (y0 + y1) / 2
				shells = append(shells,
					[][]int{ring([3]float64{x0, y0, z0}, [3]float64{x1, y0, z0}, [3]float64{x1, y0, eave}, [3]float64{x0, y0, eave})},
					[][]int{ring([3]float64{x1, y0, z0}, [3]float64{x1, y1, z0}, [3]float64{x1, y1, eave}, [3]float64{x1, ym, ridge}, [3]float64{x1, y0, eave})},
					[][]int{ring([3]float64{x1, y1, z0}, [3]float64{x0, y1, z0}, [3]float64{x0, y1, eave}, [3]float64{x1, y1, eave})},
					[][]int{ring([3]float64{x0, y1, z0}, [3]float64{x0, y0, z0}, [3]float64{x0, y0, eave}, [3]float64{x0, ym, ridge}, [3]float64{x0, y1, eave})},
					[][]int{ring([3]float64{x0, y0, eave}, [3]float64{x1, y0, eave}, [3]float64{x1, ym, ridge}, [3]float64{x0, ym, ridge})},
					[][]int{ring([3]float64{x1, y1, eave}, [3]float64{x0, y1, eave}, [3]float64{x0, ym, ridge}, [3]float64{x1, ym, ridge})})
			} else { // ridge north-south
				xm := (x0 + x1) / 2
				shells = append(shells,
					[][]int{ring([3]float64{x0, y0, z0}, [3]float64{x1, y0, z0}, [3]float64{x1, y0, eave}, [3]float64{xm, y0, ridge}, [3]float64{x0, y0, eave})},
					[][]int{ring([3]float64{x1, y0, z0}, [3]float64{x1, y1, z0}, [3]float64{x1, y1, eave}, [3]float64{x1, y0, eave})},
					[][]int{ring([3]float64{x1, y1, z0}, [3]float64{x0, y1, z0}, [3]float64{x0, y1, eave}, [3]float64{xm, y1, ridge}, [3]float64{x1, y1, eave})},
					[][]int{ring([3]float64{x0, y1, z0}, [3]float64{x0, y0, z0}, [3]float64{x0, y0, eave}, [3]float64{x0, y1, eave})},
					[][]int{ring([3]float64{x1, y0, eave}, [3]float64{x1, y1, eave}, [3]float64{xm, y1, ridge}, [3]float64{xm, y0, ridge})},
					[][]int{ring([3]float64{x0, y1, eave}, [3]float64{x0, y0, eave}, [3]float64{xm, y0, ridge}, [3]float64{xm, y1, ridge})})
			}
			sem = append(sem, 1, 1, 1, 1, 2, 2)
		} else {
			for q := range k {
				p, r := q, (q+1)%k
				shells = append(shells, [][]int{ring([3]float64{xy[2*p], xy[2*p+1], z0}, [3]float64{xy[2*r], xy[2*r+1], z0},
					[3]float64{xy[2*r], xy[2*r+1], eave}, [3]float64{xy[2*p], xy[2*p+1], eave})})
				sem = append(sem, 1)
			}
			var roof [][3]float64
			for q := range k {
				roof = append(roof, [3]float64{xy[2*q], xy[2*q+1], eave})
			}
			shells = append(shells, [][]int{ring(roof...)})
			sem = append(sem, 2)
		}
		roofType := "1000" // flat (CityGML roofType code list)
		if gable {
			roofType = "1030"
		}
		objects[id] = map[string]any{
			"type": "Building",
			"attributes": map[string]any{
				"storeysAboveGround": b.floors,
				"measuredHeight":     math.Round((ridge-z0)*100) / 100,
				"roofType":           roofType,
				"function":           "住宅",
				"结构":                 b.structure,
				"地址":                 fmt.Sprintf("莱州市%s %d号", c.ewName[j], n),
			},
			"geometry": []any{map[string]any{
				"type":       "Solid",
				"lod":        "2.2",
				"boundaries": [][][][]int{shells},
				"semantics": map[string]any{
					"surfaces": []map[string]string{{"type": "GroundSurface"}, {"type": "WallSurface"}, {"type": "RoofSurface"}},
					"values":   [][]int{sem},
				},
			}},
		}
	})
	doc := map[string]any{
		"type":    "CityJSON",
		"version": "2.0",
		"transform": map[string]any{
			"scale":     []float64{0.001, 0.001, 0.001},
			"translate": []float64{tx, ty, 0},
		},
		"metadata": map[string]any{
			"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/4528",
			"title":           "莱州演示城区 核心区 LoD2 建筑模型",
		},
		"CityObjects": objects,
		"vertices":    verts,
	}
	enc := json.NewEncoder(w)
	return n, enc.Encode(doc)
}
