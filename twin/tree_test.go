package twin

import (
	"math"
	"testing"
)

// A tileset mixing far-apart datasets (buildings in Laizhou and in Bern) under a cap that would keep
// them all in the root: the tree splits by location first, so every tile's content lies within
// maxContentSpan of its frame's centre and its float32 vertices keep millimetres (one frame for both
// would put them 8,000 km out, rounded to 0.5 m).
func TestFarApartDatasetsSplitByLocation(t *testing.T) {
	var items []item
	for i, c := range [][2]float64{{119.94, 37.18}, {7.44, 46.95}} {
		for k := range 10 {
			x, y := c[0]+float64(k)*0.001, c[1]+float64(k)*0.0005
			items = append(items, item{id: int64(i*100 + k), x: x, y: y, box: [4]float64{x - 0.0002, y - 0.0001, x + 0.0002, y + 0.0001},
				zmin: 5, zmax: 20, weight: float64(k)})
		}
	}
	tr := buildTree(items, 100, 0)
	seen := map[int]bool{}
	contents := 0
	for _, nd := range tr.nodes {
		if len(nd.items) > 0 {
			contents++
		}
		for _, i := range nd.items {
			if seen[i] {
				t.Errorf("item %d in two tiles", i)
			}
			seen[i] = true
			b := items[i].box
			for _, p := range [][2]float64{{b[0], b[1]}, {b[2], b[3]}} {
				dx := (p[0] - nd.centre[0]) * 111320 * math.Cos(nd.centre[1]*math.Pi/180)
				dy := (p[1] - nd.centre[1]) * 110574
				if d := math.Hypot(dx, dy); d > maxContentSpan {
					t.Errorf("tile %s: item %d lies %.0f km from the frame centre", nd.key(), items[i].id, d/1000)
				}
			}
		}
	}
	if len(seen) != len(items) {
		t.Errorf("%d of %d items in tiles", len(seen), len(items))
	}
	if len(tr.root.items) != 0 || contents != 2 {
		t.Errorf("root keeps %d items, %d tiles have content; want the root empty and one content per place", len(tr.root.items), contents)
	}
}
