package tiles

import (
	"fmt"
	"math"
)

// Grid is a tile matrix set: how a tile's (z, x, y) maps onto the ground. Two are served:
// WebMercatorQuad (EPSG:3857, the web's grid, queried on the indexed geom_3857 column) and
// CGCS2000Quad (EPSG:4490 longitude/latitude, laid out as the national map service Tianditu lays its
// "c" grid: level 1 is 2×1 tiles of 180°, each level halves the tile), queried on the 4490 column.
type Grid struct {
	ID      string
	TitleZh string
	TitleEn string
	CRS     string // OGC CRS URI
	// MinZoom and MaxZoom bound the tile matrices (Tianditu's levels start at 1).
	MinZoom, MaxZoom int
	mercator         bool
}

// Tile is one tile of a grid.
type Tile struct {
	Z, X, Y int
}

func (t Tile) String() string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }

// Grids served, by id.
var (
	WebMercatorQuad = &Grid{ID: "WebMercatorQuad", TitleZh: "Web 墨卡托四叉树", TitleEn: "Google Maps Compatible for the World",
		CRS: "http://www.opengis.net/def/crs/EPSG/0/3857", MinZoom: 0, MaxZoom: 24, mercator: true}
	CGCS2000Quad = &Grid{ID: "CGCS2000Quad", TitleZh: "CGCS2000 经纬度格网（天地图布局）", TitleEn: "CGCS2000 geographic grid (Tianditu layout)",
		CRS: "http://www.opengis.net/def/crs/EPSG/0/4490", MinZoom: 1, MaxZoom: 21}
)

// Grids lists the tile matrix sets in the order they are advertised.
func Grids() []*Grid { return []*Grid{WebMercatorQuad, CGCS2000Quad} }

// GridByID finds a tile matrix set.
func GridByID(id string) (*Grid, bool) {
	for _, g := range Grids() {
		if g.ID == id {
			return g, true
		}
	}
	return nil, false
}

// Mercator reports whether the grid is Web Mercator.
func (g *Grid) Mercator() bool { return g.mercator }

// MatrixSize is the number of columns and rows at zoom z.
func (g *Grid) MatrixSize(z int) (cols, rows int) {
	if g.mercator {
		return 1 << z, 1 << z
	}
	return 1 << z, 1 << (z - 1)
}

// Check validates a tile against the grid, naming the parameter at fault.
func (g *Grid) Check(t Tile) (param string, err error) {
	if t.Z < g.MinZoom || t.Z > g.MaxZoom {
		return "z", fmt.Errorf("zoom %d is outside %d–%d of %s", t.Z, g.MinZoom, g.MaxZoom, g.ID)
	}
	cols, rows := g.MatrixSize(t.Z)
	if t.X < 0 || t.X >= cols {
		return "x", fmt.Errorf("column %d is outside 0–%d at zoom %d of %s", t.X, cols-1, t.Z, g.ID)
	}
	if t.Y < 0 || t.Y >= rows {
		return "y", fmt.Errorf("row %d is outside 0–%d at zoom %d of %s", t.Y, rows-1, t.Z, g.ID)
	}
	return "", nil
}

// Bounds is the tile's extent in the grid's CRS: metres for Web Mercator, degrees for CGCS2000.
func (g *Grid) Bounds(t Tile) (minx, miny, maxx, maxy float64) {
	if g.mercator {
		size := 2 * mercatorHalf / float64(int(1)<<t.Z)
		minx = -mercatorHalf + float64(t.X)*size
		maxy = mercatorHalf - float64(t.Y)*size
		return minx, maxy - size, minx + size, maxy
	}
	size := 180 / float64(int(1)<<(t.Z-1))
	minx = -180 + float64(t.X)*size
	maxy = 90 - float64(t.Y)*size
	return minx, maxy - size, minx + size, maxy
}

// LonLatBounds is the tile's extent in longitude and latitude.
func (g *Grid) LonLatBounds(t Tile) [4]float64 {
	minx, miny, maxx, maxy := g.Bounds(t)
	if !g.mercator {
		return [4]float64{minx, miny, maxx, maxy}
	}
	x0, y0 := mercatorToLonLat(minx, miny)
	x1, y1 := mercatorToLonLat(maxx, maxy)
	return [4]float64{x0, y0, x1, y1}
}

// Range is the span of tiles at zoom z that a lon/lat box touches, widened by margin (a fraction
// of a tile, for the buffer a neighbouring tile draws around itself). ok is false when none.
func (g *Grid) Range(z int, bbox [4]float64, margin float64) (minX, minY, maxX, maxY int, ok bool) {
	cols, rows := g.MatrixSize(z)
	fx0, fy1 := g.fraction(z, bbox[0], bbox[1]) // lower left: largest row
	fx1, fy0 := g.fraction(z, bbox[2], bbox[3])
	clamp := func(v float64, n int) int { return min(max(int(math.Floor(v)), 0), n-1) }
	minX, maxX = clamp(fx0-margin, cols), clamp(fx1+margin, cols)
	minY, maxY = clamp(fy0-margin, rows), clamp(fy1+margin, rows)
	if fx1+margin < 0 || fx0-margin >= float64(cols) || fy1+margin < 0 || fy0-margin >= float64(rows) {
		return 0, 0, 0, 0, false
	}
	return minX, minY, maxX, maxY, true
}

// fraction is the fractional tile column and row of a lon/lat point at zoom z.
func (g *Grid) fraction(z int, lon, lat float64) (fx, fy float64) {
	cols, rows := g.MatrixSize(z)
	if g.mercator {
		lat = max(min(lat, 85.0511287798066), -85.0511287798066)
		x := (lon + 180) / 360
		s := math.Sin(lat * math.Pi / 180)
		y := 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
		return x * float64(cols), y * float64(rows)
	}
	return (lon + 180) / 360 * float64(cols), (90 - lat) / 180 * float64(rows)
}

// Center is the tile containing a lon/lat point at zoom z.
func (g *Grid) At(z int, lon, lat float64) Tile {
	fx, fy := g.fraction(z, lon, lat)
	cols, rows := g.MatrixSize(z)
	return Tile{Z: z, X: min(max(int(fx), 0), cols-1), Y: min(max(int(fy), 0), rows-1)}
}

const mercatorHalf = 20037508.342789244

func mercatorToLonLat(x, y float64) (lon, lat float64) {
	lon = x / mercatorHalf * 180
	lat = math.Atan(math.Sinh(y/mercatorHalf*math.Pi)) * 180 / math.Pi
	return lon, lat
}

// CellSize is the size of a pixel (of a 256-pixel tile) at zoom z in the grid's CRS units, and the
// OGC scale denominator (0.28 mm pixels) at zoom z.
func (g *Grid) CellSize(z int) (cell, scaleDenominator float64) {
	if g.mercator {
		cell = 2 * mercatorHalf / 256 / float64(int(1)<<z)
		return cell, cell / 0.00028
	}
	cell = 180.0 / 256 / float64(int(1)<<(z-1))
	metresPerDegree := 2 * math.Pi * 6378137 / 360
	return cell, cell * metresPerDegree / 0.00028
}
