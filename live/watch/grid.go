package watch

import (
	"math"

	"github.com/paulmach/orb"
)

// fenceGrid indexes fences by the grid cells their extent covers: a point's candidates are the
// fences of its cell, tested exactly after. A fence wider than maxCells cells is kept in a list
// every lookup returns (a district boundary), so a few huge fences cannot bloat the grid.
type fenceGrid struct {
	size  float64
	cells map[[2]int32][]int64
	wide  []int64
}

const maxCells = 4096

func newFenceGrid(size float64) *fenceGrid {
	return &fenceGrid{size: size, cells: map[[2]int32][]int64{}}
}

func (g *fenceGrid) cell(lon, lat float64) [2]int32 {
	return [2]int32{int32(math.Floor(lon / g.size)), int32(math.Floor(lat / g.size))}
}

func (g *fenceGrid) add(f *Fence) {
	lo, hi := g.cell(f.bound.Min[0], f.bound.Min[1]), g.cell(f.bound.Max[0], f.bound.Max[1])
	if (int64(hi[0])-int64(lo[0])+1)*(int64(hi[1])-int64(lo[1])+1) > maxCells {
		g.wide = append(g.wide, f.ID)
		return
	}
	for x := lo[0]; x <= hi[0]; x++ {
		for y := lo[1]; y <= hi[1]; y++ {
			k := [2]int32{x, y}
			g.cells[k] = append(g.cells[k], f.ID)
		}
	}
}

// lookup returns the fences whose extent may hold p (a fresh slice).
func (g *fenceGrid) lookup(p orb.Point) []int64 {
	c := g.cells[g.cell(p[0], p[1])]
	out := make([]int64, 0, len(c)+len(g.wide))
	out = append(out, c...)
	return append(out, g.wide...)
}
