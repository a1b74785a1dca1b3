package dem

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/importers/loader"
)

// DefaultCell is the cell size, in metres, of a DEM built from a base map's contours when --cell is
// not given: 1 m, the usual DEM grid of a 1:500 base map (contours every 0.5–1 m, spot heights some
// 15 m apart on the map; CH/T 9008.2: 1:500–1:2000 DEMs at 0.5–2 m).
const DefaultCell = 1.0

// MaxCells is the largest grid a contour DEM may have: past it the import asks for a larger --cell.
const MaxCells = 64 << 20

// NoData is the height of the cells of a contour DEM outside its data's convex hull.
const NoData = -32768

// Contour is one contour line of a drawing, in its projected CRS.
type Contour struct {
	XY    []float64 // x0, y0, x1, y1, …
	Z     float64   // its elevation
	Where string    // the entity, for messages: "LWPOLYLINE on layer DGX, line 1234"
}

// SpotHeight is one spot height (or a control point with its height) of a drawing.
type SpotHeight struct {
	X, Y, Z float64
	Where   string
}

// Samples are what a DEM is interpolated from: the contours and spot heights of a drawing, in the
// projected CRS SRID.
type Samples struct {
	Source   string // the drawing, for messages
	SRID     int
	Contours []Contour
	Spots    []SpotHeight // a height of 0 is a height missing unless the rest lie near sea level
	Cell     float64      // metres; 0 = DefaultCell
}

// ContourSummary is the contour part of the report (loader.Report.Details["contours"]).
type ContourSummary struct {
	Method       string     `json:"method"`
	Cell         float64    `json:"cell"`
	Contours     int        `json:"contours"`
	Levels       int        `json:"levels"`   // distinct contour elevations
	Interval     float64    `json:"interval"` // the commonest step between neighbouring levels
	SpotHeights  int        `json:"spot_heights"`
	Vertices     int        `json:"vertices"` // contour vertices after densification
	Densify      float64    `json:"densify"`  // the largest gap between two vertices of a contour, metres
	ContourRange [2]float64 `json:"contour_range"`
}

// FromContours interpolates a DEM from s and imports it through the same path as a GeoTIFF: a TIN
// (Delaunay triangulation of the contour vertices, densified to one every cell along each line, and
// of the spot heights) with heights linear inside each triangle, by GDAL (gdal_grid -a linear),
// cells outside the convex hull of the data left nodata. It refuses a drawing without contours and
// spot heights, with contours missing their elevation, or with heights in other units than metres.
func FromContours(ctx context.Context, b *loader.Batch, src loader.Source, s Samples) error {
	cell := s.Cell
	if cell == 0 {
		cell = DefaultCell
	}
	if !(cell > 0) || math.IsInf(cell, 0) {
		return fmt.Errorf("%s: cell size %v: it must be a positive number of metres", s.Source, cell)
	}
	sum, err := check(&s)
	if err != nil {
		return err
	}
	sum.Cell = cell
	if err := projected(ctx, b, s); err != nil {
		return err
	}

	// The grid: cell-aligned, covering every sample.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	for _, c := range s.Contours {
		for i := 0; i+1 < len(c.XY); i += 2 {
			grow(c.XY[i], c.XY[i+1])
		}
	}
	for _, p := range s.Spots {
		grow(p.X, p.Y)
	}
	x0, y0 := math.Floor(minX/cell)*cell, math.Floor(minY/cell)*cell
	cols, rows := int(math.Ceil((maxX-x0)/cell)), int(math.Ceil((maxY-y0)/cell))
	cols, rows = max(cols, 1), max(rows, 1)
	if float64(cols)*float64(rows) > MaxCells {
		return fmt.Errorf("%s: the contours and spot heights span %.0f × %.0f m: %d × %d cells of %g m is more than %d; give a larger --cell (or are the coordinates not in metres?)",
			s.Source, maxX-minX, maxY-minY, cols, rows, cell, MaxCells)
	}

	tmp, err := os.MkdirTemp("", "yitu-contours-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	csvPath := filepath.Join(tmp, "samples.csv")
	// GDAL's triangulation loses centimetres to coordinates of 10⁷ m (an easting with its zone
	// prefix): the samples are gridded relative to the grid's corner and placed afterwards.
	n, err := writeSamples(csvPath, s, cell, x0, y0)
	if err != nil {
		return err
	}
	sum.Vertices, sum.Densify = n-len(s.Spots), cell
	vrt := filepath.Join(tmp, "samples.vrt")
	if err := os.WriteFile(vrt, []byte(`<OGRVRTDataSource><OGRVRTLayer name="samples"><SrcDataSource>`+csvPath+
		`</SrcDataSource><SrcLayer>samples</SrcLayer><GeometryType>wkbPoint25D</GeometryType><GeometryField encoding="PointFromColumns" x="x" y="y" z="z"/></OGRVRTLayer></OGRVRTDataSource>`), 0o644); err != nil {
		return err
	}
	tif := filepath.Join(tmp, strings.TrimSuffix(filepath.Base(s.Source), filepath.Ext(s.Source))+"-dem.tif")
	args := []string{"-q", "-l", "samples", "-a", fmt.Sprintf("linear:radius=0:nodata=%d", NoData), "-ot", "Float32",
		"-txe", "0", ftoa(float64(cols) * cell), "-tye", ftoa(float64(rows) * cell), "0", "-outsize", strconv.Itoa(cols), strconv.Itoa(rows),
		"-a_srs", fmt.Sprintf("EPSG:%d", s.SRID), "-of", "GTiff", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", vrt, tif}
	cmd := exec.CommandContext(ctx, "gdal_grid", args...)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return errors.New("gdal_grid is not installed (Debian package gdal-bin; scripts/setup installs it)")
		}
		return fmt.Errorf("%s: GDAL cannot interpolate the contours (gdal_grid): %v: %s", s.Source, err, strings.TrimSpace(string(out)))
	}
	cmd = exec.CommandContext(ctx, "gdal_edit.py", "-a_ullr", ftoa(x0), ftoa(y0+float64(rows)*cell), ftoa(x0+float64(cols)*cell), ftoa(y0), tif)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: placing the interpolated DEM (gdal_edit.py -a_ullr): %v: %s", s.Source, err, strings.TrimSpace(string(out)))
	}
	sum.Method = fmt.Sprintf("TIN: Delaunay triangulation of %d contour vertices (densified to at most %g m apart) and %d spot heights, heights linear inside each triangle (gdal_grid -a linear:radius=0); cells outside the convex hull nodata",
		sum.Vertices, cell, sum.SpotHeights)
	rule := fmt.Sprintf("heights of the drawing's contours and spot heights (%s): normal heights (1985 national height datum), stored unchanged", s.Source)
	g := src
	g.Path, g.Files, g.SRS, g.CRS = tif, nil, "", nil // the GeoTIFF carries EPSG:SRID
	if err := importRaster(ctx, b, g, rule); err != nil {
		return fmt.Errorf("%s: the DEM interpolated from its contours: %w", s.Source, err)
	}
	b.Count("contours", sum.Contours)
	b.Count("spot heights", sum.SpotHeights)
	b.Detail("contours", sum)
	b.Warn("DEM from contours: " + sum.Method)
	return nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// check refuses samples a DEM cannot be built from and describes the rest.
func check(s *Samples) (*ContourSummary, error) {
	name := s.Source
	if len(s.Contours) == 0 && len(s.Spots) == 0 {
		return nil, fmt.Errorf("%s: no contours (等高线: layer DGX or 等高线, CASS codes 201101–201104) and no spot heights (高程点: layer GCD, code 202101): nothing to build a DEM from", name)
	}
	// A height of 0 is a missing height (Z 0, no elevation group 38, no height attribute) unless the
	// drawing's other heights lie near sea level (a coastline's 0 m contour).
	const seaLevel = 5.0
	zc, zs := 0, 0
	low := math.Inf(1)
	for _, c := range s.Contours {
		if c.Z == 0 {
			zc++
		} else {
			low = min(low, c.Z)
		}
	}
	for _, p := range s.Spots {
		if p.Z == 0 {
			zs++
		} else {
			low = min(low, p.Z)
		}
	}
	switch {
	case zc == len(s.Contours) && zs == len(s.Spots):
		return nil, fmt.Errorf("%s: none of its %d contours and %d spot heights has an elevation (all Z 0, no elevation group 38, no height attribute): there are no heights to build a DEM from",
			name, len(s.Contours), len(s.Spots))
	case zc > 0 && zc == len(s.Contours):
		return nil, fmt.Errorf("%s: none of its %d contours has an elevation (all Z 0, no elevation group 38), while its spot heights do: give the contours their heights", name, zc)
	case zc+zs > 0 && low > seaLevel:
		var what []string
		if zc > 0 {
			what = append(what, fmt.Sprintf("%d of its %d contours", zc, len(s.Contours)))
		}
		if zs > 0 {
			what = append(what, fmt.Sprintf("%d of its %d spot heights", zs, len(s.Spots)))
		}
		return nil, fmt.Errorf("%s: %s have elevation 0 while the others lie at %g m and above: their heights are missing (Z 0, no elevation group 38, no height attribute)",
			name, strings.Join(what, " and "), low)
	}
	sum := &ContourSummary{Contours: len(s.Contours), SpotHeights: len(s.Spots)}
	const lowest, highest = -500.0, 9000.0
	levels := map[float64]bool{}
	cmin, cmax := math.Inf(1), math.Inf(-1)
	for _, c := range s.Contours {
		if c.Z < lowest || c.Z > highest || math.IsNaN(c.Z) {
			return nil, fmt.Errorf("%s: contour %s at elevation %g: not a height in metres (millimetres? centimetres?)", name, c.Where, c.Z)
		}
		if len(c.XY) < 4 {
			return nil, fmt.Errorf("%s: contour %s has fewer than two vertices", name, c.Where)
		}
		levels[c.Z] = true
		cmin, cmax = min(cmin, c.Z), max(cmax, c.Z)
	}
	for _, p := range s.Spots {
		if p.Z < lowest || p.Z > highest || math.IsNaN(p.Z) {
			return nil, fmt.Errorf("%s: spot height %s of %g: not a height in metres (millimetres? centimetres?)", name, p.Where, p.Z)
		}
	}
	sum.Levels = len(levels)
	if len(s.Contours) > 0 {
		sum.ContourRange = [2]float64{cmin, cmax}
		var ls []float64
		for z := range levels {
			ls = append(ls, z)
		}
		sort.Float64s(ls)
		steps := map[float64]int{}
		for i := 1; i < len(ls); i++ {
			steps[math.Round((ls[i]-ls[i-1])*100)/100]++
		}
		best := 0
		for st, k := range steps {
			if k > best || k == best && st < sum.Interval {
				sum.Interval, best = st, k
			}
		}
	}
	// Spot heights and contours in different units (one in metres, the other in decimetres or
	// millimetres): most spot heights then lie far outside the contours' range (more than half are
	// refused; some on a plain well below the lowest contour are not).
	if len(s.Contours) > 0 && len(s.Spots) > 0 {
		pad := max(10, cmax-cmin, 5*sum.Interval)
		out := 0
		for _, p := range s.Spots {
			if p.Z < cmin-pad || p.Z > cmax+pad {
				out++
			}
		}
		if out*2 > len(s.Spots) {
			zs := make([]float64, len(s.Spots))
			for i, p := range s.Spots {
				zs[i] = p.Z
			}
			sort.Float64s(zs)
			return nil, fmt.Errorf("%s: %d of its %d spot heights (%g to %g, median %g) lie far outside the contours' elevations (%g to %g): the two are in different units or datums",
				name, out, len(s.Spots), zs[0], zs[len(zs)-1], zs[len(zs)/2], cmin, cmax)
		}
	}
	// Three points not on one line make the smallest TIN.
	if !spread(s) {
		return nil, fmt.Errorf("%s: its %d contours and %d spot heights lie on one line or point: no surface can be built from them", name, len(s.Contours), len(s.Spots))
	}
	return sum, nil
}

// spread reports whether the samples span an area (three of them not on one line).
func spread(s *Samples) bool {
	var pts [][2]float64
	for _, c := range s.Contours {
		for i := 0; i+1 < len(c.XY); i += 2 {
			pts = append(pts, [2]float64{c.XY[i], c.XY[i+1]})
		}
	}
	for _, p := range s.Spots {
		pts = append(pts, [2]float64{p.X, p.Y})
	}
	if len(pts) < 3 {
		return false
	}
	a := pts[0]
	far, d := -1, 0.0
	for i, p := range pts {
		if dd := math.Hypot(p[0]-a[0], p[1]-a[1]); dd > d {
			far, d = i, dd
		}
	}
	if far < 0 || d == 0 {
		return false
	}
	b := pts[far]
	for _, p := range pts {
		// distance of p from the line a–b
		if math.Abs((b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]))/d > 1e-3 {
			return true
		}
	}
	return false
}

// projected refuses a CRS that is not projected in metres: cells of --cell metres need one.
func projected(ctx context.Context, b *loader.Batch, s Samples) error {
	tx := b.Tx()
	if tx == nil {
		return nil
	}
	var proj4 string
	if err := tx.QueryRow(ctx, `SELECT coalesce(proj4text, '') FROM spatial_ref_sys WHERE srid = $1`, s.SRID).Scan(&proj4); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s: EPSG:%d is not in PostGIS's spatial_ref_sys: a DEM cannot be stored in it", s.Source, s.SRID)
		}
		return err
	}
	if strings.Contains(proj4, "+proj=longlat") {
		return fmt.Errorf("%s: its coordinates are longitudes and latitudes (EPSG:%d): a DEM is interpolated from contours in a projected CRS in metres (CGCS2000 Gauss-Krüger, EPSG:4549 or EPSG:4528)", s.Source, s.SRID)
	}
	if u := unitsOf(proj4); u != "m" {
		return fmt.Errorf("%s: EPSG:%d is in %s, not metres: a contour DEM's cells are metres; reproject the drawing to a metre CRS (CGCS2000 Gauss-Krüger)", s.Source, s.SRID, u)
	}
	return nil
}

func unitsOf(proj4 string) string {
	for _, f := range strings.Fields(proj4) {
		if u, ok := strings.CutPrefix(f, "+units="); ok {
			return u
		}
		if strings.HasPrefix(f, "+to_meter=") {
			return "units of " + strings.TrimPrefix(f, "+to_meter=") + " m"
		}
	}
	return "m"
}

// writeSamples writes the samples as x,y,z rows: every contour vertex and, between two vertices
// more than cell apart, points every cell along the segment (so that no triangle spans a long
// straight stretch of one contour), then the spot heights, relative to (ox, oy). Repeated points
// are written once.
func writeSamples(path string, s Samples, cell, ox, oy float64) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	w.WriteString("x,y,z\n")
	seen := map[[2]float64]bool{}
	n := 0
	put := func(x, y, z float64) {
		k := [2]float64{math.Round(x * 1000), math.Round(y * 1000)}
		if seen[k] {
			return
		}
		seen[k] = true
		n++
		w.WriteString(ftoa(x - ox))
		w.WriteByte(',')
		w.WriteString(ftoa(y - oy))
		w.WriteByte(',')
		w.WriteString(ftoa(z))
		w.WriteByte('\n')
	}
	for _, c := range s.Contours {
		for i := 0; i+1 < len(c.XY); i += 2 {
			x, y := c.XY[i], c.XY[i+1]
			put(x, y, c.Z)
			if i+3 < len(c.XY) {
				nx, ny := c.XY[i+2], c.XY[i+3]
				k := int(math.Ceil(math.Hypot(nx-x, ny-y) / cell))
				for j := 1; j < k; j++ {
					t := float64(j) / float64(k)
					put(x+t*(nx-x), y+t*(ny-y), c.Z)
				}
			}
		}
	}
	for _, p := range s.Spots {
		put(p.X, p.Y, p.Z)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, f.Close()
}
