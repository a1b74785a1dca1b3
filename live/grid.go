package live

import "math"

// grid is the hub's spatial index of current positions: a uniform grid of lon/lat cells, each holding
// the ids of the objects in it. A move is a delete from one cell's set and an add to another's (no
// rebalancing, no allocation once the cells exist), and a bbox query visits the cells the box
// covers. Cells of 0.01° (about 1 km) keep a county's few thousand objects a handful per cell; a
// box wider than the occupied cells is answered by walking the occupied cells instead.
type grid struct {
	size  float64
	cells map[cellKey]map[string]struct{}
}

type cellKey struct{ x, y int32 }

func newGrid(size float64) *grid {
	return &grid{size: size, cells: map[cellKey]map[string]struct{}{}}
}

func (g *grid) key(lon, lat float64) cellKey {
	return cellKey{int32(math.Floor(lon / g.size)), int32(math.Floor(lat / g.size))}
}

// move puts id at (lon, lat), taking it from the cell it was in (had: whether it had a position).
func (g *grid) move(id string, had bool, oldLon, oldLat, lon, lat float64) {
	nk := g.key(lon, lat)
	if had {
		ok := g.key(oldLon, oldLat)
		if ok == nk {
			return
		}
		g.remove(id, oldLon, oldLat)
	}
	c := g.cells[nk]
	if c == nil {
		c = map[string]struct{}{}
		g.cells[nk] = c
	}
	c[id] = struct{}{}
}

func (g *grid) remove(id string, lon, lat float64) {
	k := g.key(lon, lat)
	if c := g.cells[k]; c != nil {
		delete(c, id)
		if len(c) == 0 {
			delete(g.cells, k)
		}
	}
}

// search calls fn with the ids in the cells that intersect the box (a superset of the objects in
// it: the caller tests each position).
func (g *grid) search(minLon, minLat, maxLon, maxLat float64, fn func(id string)) {
	lo, hi := g.key(minLon, minLat), g.key(maxLon, maxLat)
	if span := (int64(hi.x) - int64(lo.x) + 1) * (int64(hi.y) - int64(lo.y) + 1); span > int64(len(g.cells)) {
		for k, c := range g.cells {
			if k.x >= lo.x && k.x <= hi.x && k.y >= lo.y && k.y <= hi.y {
				for id := range c {
					fn(id)
				}
			}
		}
		return
	}
	for x := lo.x; x <= hi.x; x++ {
		for y := lo.y; y <= hi.y; y++ {
			for id := range g.cells[cellKey{x, y}] {
				fn(id)
			}
		}
	}
}
