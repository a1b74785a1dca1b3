package terrain

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial/raster"
)

// Sampling: a tile's sample points are transformed into a DEM's CRS by PostGIS at a coarse control
// grid (every controlStep samples, interpolated linearly between: the projection is smooth at that
// scale, well under a millimetre off), then interpolated bilinearly in Go between the four nearest
// cells of the DEM's blocks, which stay decoded in memory (an LRU of blocks) so that neighbouring
// tiles read them once.

const controlStep = 16

// block is one stored block, decoded: heights as float32, NaN for nodata.
type block struct {
	w, h int
	v    []float32
}

// demIndex places the blocks of one DEM on its grid of cells.
type demIndex struct {
	ulx, uly float64 // the DEM's upper-left corner (of the block at 0, 0)
	sx, sy   float64 // cell size (sy < 0 for north-up)
	bw, bh   int     // block size in cells (all blocks but the last of a row or column)
	rids     map[[2]int]int64
}

func (s *Service) index(ctx context.Context, d DEM, overview int) (*demIndex, error) {
	key := [2]int64{d.Dataset, int64(overview)}
	s.mu.Lock()
	ix := s.indexes[key]
	s.mu.Unlock()
	if ix != nil {
		return ix, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT rid, ST_UpperLeftX(rast), ST_UpperLeftY(rast), ST_ScaleX(rast), ST_ScaleY(rast), ST_Width(rast), ST_Height(rast)
		FROM terrain.dem WHERE dataset_id = $1 AND overview = $2`, d.Dataset, overview)
	if err != nil {
		return nil, fmt.Errorf("indexing DEM %q: %w", d.Name, err)
	}
	type b struct {
		rid          int64
		x, y, sx, sy float64
		w, h         int
	}
	var bs []b
	var r b
	_, err = pgx.ForEachRow(rows, []any{&r.rid, &r.x, &r.y, &r.sx, &r.sy, &r.w, &r.h}, func() error {
		bs = append(bs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing DEM %q: %w", d.Name, err)
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("DEM %q has no blocks", d.Name)
	}
	ix = &demIndex{ulx: math.Inf(1), uly: math.Inf(-1), sx: bs[0].sx, sy: bs[0].sy, rids: map[[2]int]int64{}}
	for _, x := range bs {
		ix.ulx, ix.uly = min(ix.ulx, x.x), max(ix.uly, x.y)
		ix.bw, ix.bh = max(ix.bw, x.w), max(ix.bh, x.h)
	}
	for _, x := range bs {
		bx := int(math.Round((x.x - ix.ulx) / (ix.sx * float64(ix.bw))))
		by := int(math.Round((x.y - ix.uly) / (ix.sy * float64(ix.bh))))
		ix.rids[[2]int{bx, by}] = x.rid
	}
	s.mu.Lock()
	if s.indexes != nil {
		s.indexes[key] = ix
	}
	s.mu.Unlock()
	return ix, nil
}

// blocks returns the decoded blocks by rid, reading the ones not in memory in one query.
func (s *Service) blocks(ctx context.Context, rids []int64) (map[int64]*block, error) {
	out := make(map[int64]*block, len(rids))
	var missing []int64
	for _, rid := range rids {
		if b, ok := s.blockCache.Get(rid); ok {
			out[rid] = b
		} else {
			missing = append(missing, rid)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT rid, ST_AsBinary(rast) FROM terrain.dem WHERE rid = ANY($1)`, missing)
	if err != nil {
		return nil, fmt.Errorf("reading DEM blocks: %w", err)
	}
	var rid int64
	var wkb []byte
	gen := s.gen.Load()
	_, err = pgx.ForEachRow(rows, []any{&rid, &wkb}, func() error {
		r, err := raster.Unmarshal(wkb)
		if err != nil {
			return fmt.Errorf("DEM block %d: %w", rid, err)
		}
		b := &block{w: r.Width, h: r.Height, v: make([]float32, len(r.Data))}
		for i := range r.Data {
			if v, ok := r.At(i%r.Width, i/r.Width); ok {
				b.v[i] = float32(v)
			} else {
				b.v[i] = float32(math.NaN())
			}
		}
		out[rid] = b
		if s.gen.Load() == gen {
			s.blockCache.Add(rid, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading DEM blocks: %w", err)
	}
	return out, nil
}

// transform converts points from one SRID to another in PostGIS.
func (s *Service) transform(ctx context.Context, from, to int, xs, ys []float64) ([]float64, []float64, error) {
	if from == to || (from == 4326 && to == 4490) || (from == 4490 && to == 4326) {
		// CGCS2000 and WGS 84 lon/lat agree within centimetres (PROJ does not shift between them either).
		return xs, ys, nil
	}
	var ox, oy []float64
	err := s.pool.QueryRow(ctx, `
		SELECT array_agg(ST_X(p) ORDER BY i), array_agg(ST_Y(p) ORDER BY i)
		FROM (SELECT i, ST_Transform(ST_SetSRID(ST_Point(x, y), $3::int), $4::int) AS p
		      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, i)) s`, xs, ys, from, to).Scan(&ox, &oy)
	if err != nil {
		return nil, nil, fmt.Errorf("transforming sample points from EPSG:%d to EPSG:%d: %w", from, to, err)
	}
	if len(ox) != len(xs) {
		return nil, nil, fmt.Errorf("transforming sample points: %d of %d came back", len(ox), len(xs))
	}
	return ox, oy, nil
}

// sampleDEM fills hs (NaN where still without a height) with the DEM's heights at the grid's
// points; any reports whether one was found. Only the grid's window over the DEM's extent (and a
// sample around it) is sampled: a grid far larger than the DEM (a world tile at zoom 0) has points
// outside the DEM's projection's domain, which PostGIS refuses to transform.
func (s *Service) sampleDEM(ctx context.Context, d DEM, g Grid, hs []float64) (bool, error) {
	i0, j0, w, h, ok := window(g, d.BBox)
	if !ok {
		return false, nil
	}
	if w == g.W && h == g.H {
		return s.sampleGrid(ctx, d, g, hs)
	}
	sub := g
	sub.X0, sub.Y0, sub.W, sub.H = g.X0+float64(i0)*g.DX, g.Y0-float64(j0)*g.DY, w, h
	part := make([]float64, w*h)
	for j := range h {
		copy(part[j*w:(j+1)*w], hs[(j0+j)*g.W+i0:])
	}
	any, err := s.sampleGrid(ctx, d, sub, part)
	if err != nil || !any {
		return false, err
	}
	for j := range h {
		copy(hs[(j0+j)*g.W+i0:(j0+j)*g.W+i0+w], part[j*w:(j+1)*w])
	}
	return true, nil
}

// window is the part of a grid (first column and row, width and height in samples) over a lon/lat
// box, with one sample more on each side; ok is false when none of the grid is. Grids in a CRS other
// than lon/lat or Web Mercator are taken whole.
func window(g Grid, bbox [4]float64) (i0, j0, w, h int, ok bool) {
	minx, miny, maxx, maxy := bbox[0], bbox[1], bbox[2], bbox[3]
	switch g.SRID {
	case 4326, 4490:
	case 3857:
		const r = 6378137.0
		merc := func(lat float64) float64 {
			lat = max(-85.06, min(85.06, lat)) * math.Pi / 180
			return r * math.Log(math.Tan(math.Pi/4+lat/2))
		}
		minx, maxx = r*minx*math.Pi/180, r*maxx*math.Pi/180
		miny, maxy = merc(miny), merc(maxy)
	default:
		return 0, 0, g.W, g.H, true
	}
	i0 = max(0, int(math.Floor((minx-g.X0)/g.DX))-1)
	i1 := min(g.W-1, int(math.Ceil((maxx-g.X0)/g.DX))+1)
	j0 = max(0, int(math.Floor((g.Y0-maxy)/g.DY))-1)
	j1 := min(g.H-1, int(math.Ceil((g.Y0-miny)/g.DY))+1)
	if i1 < i0 || j1 < j0 {
		return 0, 0, 0, 0, false
	}
	return i0, j0, i1 - i0 + 1, j1 - j0 + 1, true
}

// sampleGrid is sampleDEM over a grid whose points all transform into the DEM's CRS.
func (s *Service) sampleGrid(ctx context.Context, d DEM, g Grid, hs []float64) (bool, error) {
	// Control points: every controlStep samples and the last of each row and column.
	ci := controls(g.W)
	cj := controls(g.H)
	cx := make([]float64, 0, len(ci)*len(cj))
	cy := make([]float64, 0, len(ci)*len(cj))
	for _, j := range cj {
		for _, i := range ci {
			cx = append(cx, g.X0+float64(i)*g.DX)
			cy = append(cy, g.Y0-float64(j)*g.DY)
		}
	}
	tx, ty, err := s.transform(ctx, g.SRID, d.SRID, cx, cy)
	if err != nil {
		return false, err
	}
	// The coarsest copy of the DEM whose cells are no larger than the samples' spacing.
	overview := 1
	if len(ci) > 1 {
		spacing := math.Hypot(tx[1]-tx[0], ty[1]-ty[0]) / float64(ci[1]-ci[0])
		for _, f := range d.overviews {
			if float64(f)*d.cell <= spacing {
				overview = max(overview, f)
			}
		}
	}
	ix, err := s.index(ctx, d, overview)
	if err != nil {
		return false, err
	}
	// Every sample point in DEM cell coordinates (column, row of cell centres).
	n := g.W * g.H
	fc, fr := make([]float64, n), make([]float64, n)
	minC, minR, maxC, maxR := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for j := range g.H {
		a, ta := span(cj, j)
		for i := range g.W {
			b, tb := span(ci, i)
			at := func(jj, ii int) (float64, float64) {
				k := min(jj, len(cj)-1)*len(ci) + min(ii, len(ci)-1)
				return tx[k], ty[k]
			}
			x00, y00 := at(a, b)
			x01, y01 := at(a, b+1)
			x10, y10 := at(a+1, b)
			x11, y11 := at(a+1, b+1)
			x := (x00*(1-tb)+x01*tb)*(1-ta) + (x10*(1-tb)+x11*tb)*ta
			y := (y00*(1-tb)+y01*tb)*(1-ta) + (y10*(1-tb)+y11*tb)*ta
			c := (x-ix.ulx)/ix.sx - 0.5
			r := (y-ix.uly)/ix.sy - 0.5
			fc[j*g.W+i], fr[j*g.W+i] = c, r
			if !math.IsNaN(c) && !math.IsNaN(r) {
				minC, maxC, minR, maxR = min(minC, c), max(maxC, c), min(minR, r), max(maxR, r)
			}
		}
	}
	if math.IsInf(minC, 1) {
		return false, nil
	}
	// The blocks the points need.
	var rids []int64
	for by := floorDiv(int(math.Floor(minR)), ix.bh); by <= floorDiv(int(math.Floor(maxR))+1, ix.bh); by++ {
		for bx := floorDiv(int(math.Floor(minC)), ix.bw); bx <= floorDiv(int(math.Floor(maxC))+1, ix.bw); bx++ {
			if rid, ok := ix.rids[[2]int{bx, by}]; ok {
				rids = append(rids, rid)
			}
		}
	}
	if len(rids) == 0 {
		return false, nil
	}
	if len(rids) > 4096 {
		return false, fmt.Errorf("DEM %q: a tile would read %d blocks; ask a deeper zoom", d.Name, len(rids))
	}
	blocks, err := s.blocks(ctx, rids)
	if err != nil {
		return false, err
	}
	cell := func(c, r int) float64 {
		if c < 0 || r < 0 {
			return math.NaN()
		}
		rid, ok := ix.rids[[2]int{c / ix.bw, r / ix.bh}]
		if !ok {
			return math.NaN()
		}
		b := blocks[rid]
		if b == nil {
			return math.NaN()
		}
		cc, rr := c%ix.bw, r%ix.bh
		if cc >= b.w || rr >= b.h {
			return math.NaN()
		}
		return float64(b.v[rr*b.w+cc])
	}
	any := false
	for k := range n {
		if v := bilinear(cell, fc[k], fr[k]); !math.IsNaN(v) {
			hs[k] = v
			any = true
		}
	}
	return any, nil
}

// bilinear interpolates between the four cells around fractional cell-centre coordinates c, r; of
// those without a height it uses the others (at a DEM's edge and beside nodata), so a point within
// half a cell of a cell with a height has one.
func bilinear(cell func(c, r int) float64, c, r float64) float64 {
	c0, r0 := int(math.Floor(c)), int(math.Floor(r))
	tc, tr := c-float64(c0), r-float64(r0)
	var sum, wsum float64
	for _, k := range [4]struct {
		dc, dr int
		w      float64
	}{{0, 0, (1 - tc) * (1 - tr)}, {1, 0, tc * (1 - tr)}, {0, 1, (1 - tc) * tr}, {1, 1, tc * tr}} {
		if k.w == 0 {
			continue
		}
		v := cell(c0+k.dc, r0+k.dr)
		if math.IsNaN(v) {
			continue
		}
		sum += v * k.w
		wsum += k.w
	}
	if wsum < 0.25 { // under a quarter of the weight: beyond half a cell of any height
		return math.NaN()
	}
	return sum / wsum
}

func floorDiv(a, b int) int {
	if a < 0 {
		return -((-a + b - 1) / b)
	}
	return a / b
}

// controls are the control sample indices along a side of n samples.
func controls(n int) []int {
	var out []int
	for i := 0; i < n-1; i += controlStep {
		out = append(out, i)
	}
	return append(out, n-1)
}

// span finds the control interval holding sample i: its index and the position within it (0–1).
func span(ctrl []int, i int) (int, float64) {
	if len(ctrl) == 1 {
		return 0, 0
	}
	k := min(i/controlStep, len(ctrl)-2)
	return k, float64(i-ctrl[k]) / float64(ctrl[k+1]-ctrl[k])
}
