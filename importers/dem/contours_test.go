package dem_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/demo"
	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/spatial/pgtest"
	"github.com/yitu-gis/yitu/twin/terrain"
	"github.com/yitu-gis/yitu/twin/terrain/terraintest"
)

// contourPlane is a 400 m × 300 m sloping plane near Laizhou in EPSG:4528 (GK zone 40, easting
// with the zone prefix): 20 m at its south-west corner, rising 3 cm per metre east and 4 north.
var contourPlane = terraintest.Plane{SRID: 4528, X0: 40494000, Y0: 4114000, Cell: 1, Cols: 400, Rows: 300, H0: 20, GX: 0.03, GY: 0.04}

// errorStats compares the heights of a DEM with a known surface at n random points of the
// rectangle (x0, y0)–(x1, y1): in the stored cells (each against the surface at its cell's
// centre) and through the terrain service (bilinear between cell centres, what /terrain serves).
// It returns the worst and root-mean-square differences of both and the share of points with a
// height.
type errorStats struct {
	cellMax, cellRMS, servedMax, servedRMS float64
	covered                                float64
}

func compare(t *testing.T, pool *pgxpool.Pool, dataset string, srid int, surface func(x, y float64) float64, x0, y0, x1, y1 float64, n int, skip func(x, y float64) bool) errorStats {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(18, 500))
	var st errorStats
	var cells, served, seen int
	for range n {
		x, y := x0+rng.Float64()*(x1-x0), y0+rng.Float64()*(y1-y0)
		if skip != nil && skip(x, y) {
			continue
		}
		seen++
		var v, cx, cy *float64
		err := pool.QueryRow(ctx, `
			SELECT ST_Value(rast, pt), ST_RasterToWorldCoordX(rast, c, r) + ST_ScaleX(rast) / 2, ST_RasterToWorldCoordY(rast, c, r) + ST_ScaleY(rast) / 2
			FROM terrain.dem d JOIN catalog.dataset ds ON ds.id = d.dataset_id,
			     LATERAL (SELECT ST_SetSRID(ST_Point($1, $2), $3) AS pt) p,
			     LATERAL (SELECT ST_WorldToRasterCoordX(rast, pt) AS c, ST_WorldToRasterCoordY(rast, pt) AS r) cr
			WHERE ds.name = $4 AND d.overview = 1 AND ST_Intersects(rast, pt) AND ST_Value(rast, pt) IS NOT NULL`, x, y, srid, dataset).Scan(&v, &cx, &cy)
		if err != nil {
			continue // nodata: outside the data's hull
		}
		cells++
		d := math.Abs(*v - surface(*cx, *cy))
		st.cellMax, st.cellRMS = max(st.cellMax, d), st.cellRMS+d*d
	}
	st.covered = float64(cells) / float64(max(seen, 1))
	st.cellRMS = math.Sqrt(st.cellRMS / float64(max(cells, 1)))

	// The served heights, on a grid of points placed off the cell centres.
	svc, err := terrain.New(pool, terrain.DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ll [4]float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, $5), 4490) e) t`,
		x0, y0, x1, y1, srid).Scan(&ll[0], &ll[1], &ll[2], &ll[3]); err != nil {
		t.Fatal(err)
	}
	// Spaced under a cell (0.93 m, 0.87 m), so that the full-resolution cells are sampled, or, over
	// a large DEM, 600 samples a side (what a terrain tile of that size reads).
	g := terrain.Grid{SRID: srid, X0: x0 + 0.37, Y0: y1 - 0.61, DX: max(0.93, (x1-x0)/600), DY: max(0.87, (y1-y0)/600), LonLat: ll}
	g.W, g.H = int((x1-x0-0.37)/g.DX), int((y1-y0-0.61)/g.DY)
	hs, _, err := svc.Heights(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for j := range g.H {
		for i := range g.W {
			h := hs[j*g.W+i]
			x, y := g.X0+float64(i)*g.DX, g.Y0-float64(j)*g.DY
			if math.IsNaN(h) || skip != nil && skip(x, y) {
				continue
			}
			served++
			d := math.Abs(h - surface(x, y))
			st.servedMax, st.servedRMS = max(st.servedMax, d), st.servedRMS+d*d
		}
	}
	st.servedRMS = math.Sqrt(st.servedRMS / float64(max(served, 1)))
	if cells == 0 || served == 0 {
		t.Fatalf("%s: no heights: %d cells, %d served samples", dataset, cells, served)
	}
	t.Logf("%s: %d random points in cells (%.0f%% inside the hull): worst %.6f m, RMS %.6f m; %d served samples (bilinear): worst %.6f m, RMS %.6f m",
		dataset, cells, 100*st.covered, st.cellMax, st.cellRMS, served, st.servedMax, st.servedRMS)
	return st
}

// TestContourPlane: the contours (every metre) and nine spot heights of a known plane, drawn in a
// CASS-style DXF, come back through yitu import --as dem as a DEM whose cells match the plane
// within a centimetre (a TIN reproduces a plane exactly; what is left is float32 rounding), and
// cells outside the convex hull of the data are nodata.
func TestContourPlane(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	p := contourPlane
	var d terraintest.Drawing
	p.Contours(&d, 1, 9)
	path := d.Write(t, t.TempDir(), "plane")
	rep, err := terraintest.Import(t, pool, path, "plane", importers.Request{As: "dem", SRS: "EPSG:4528"})
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Details["dem"].(*dem.Summary)
	cs := rep.Details["contours"].(*dem.ContourSummary)
	if rep.Kind != "dem" || rep.Format != "dxf" || sum.SRID != 4528 || sum.ResolutionX != 1 || cs.Contours != 23 || cs.SpotHeights != 9 || cs.Interval != 1 ||
		!strings.Contains(cs.Method, "Delaunay") || !strings.Contains(sum.VerticalRule, "plane.dxf") {
		t.Errorf("report: kind %s format %s, dem %+v, contours %+v", rep.Kind, rep.Format, sum, cs)
	}
	w, h := float64(p.Cols)*p.Cell, float64(p.Rows)*p.Cell
	// Within the hull: between the lowest and the highest contour (21 m, 43 m), 2 m (two cells)
	// from them and from the rectangle's edges. Within a cell of the hull's edge the served heights
	// lean on the cells that have one (twin/terrain's bilinear), up to a cell's rise away.
	inside := func(x, y float64) bool {
		z := p.Height(x, y)
		return x > p.X0+2 && x < p.X0+w-2 && y > p.Y0+2 && y < p.Y0+h-2 && z > 21.1 && z < 42.9
	}
	st := compare(t, pool, "plane", p.SRID, p.Height, p.X0, p.Y0, p.X0+w, p.Y0+h, 500, func(x, y float64) bool { return !inside(x, y) })
	if st.cellMax > 0.01 || st.servedMax > 0.01 || st.covered < 0.999 {
		t.Errorf("plane: %+v, want every height within 1 cm and the whole hull covered", st)
	}
	// The south-west corner lies below the lowest contour (21 m) and beyond every spot height:
	// outside the hull, no height.
	var v *float64
	if err := pool.QueryRow(ctx, `SELECT ST_Value(rast, ST_SetSRID(ST_Point($1, $2), 4528)) FROM terrain.dem WHERE overview = 1 AND ST_Intersects(rast, ST_SetSRID(ST_Point($1, $2), 4528))`,
		p.X0+0.5, p.Y0+0.5).Scan(&v); err != nil || v != nil {
		t.Errorf("the corner outside the hull: %v (%v), want nodata", v, err)
	}
	// A coarser grid with --cell.
	rep, err = terraintest.Import(t, pool, path, "plane5", importers.Request{As: "dem", SRS: "EPSG:4528", Cell: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sum := rep.Details["dem"].(*dem.Summary); sum.ResolutionX != 5 || sum.Width != 80 || sum.Height != 60 {
		t.Errorf("--cell 5: %+v", sum)
	}
}

// TestContourSpotLabels: spot heights of a drawing flattened to Z 0 take their heights from the
// numbers written beside them (TEXT on layer GCD, 1.2 m to the right, two decimals).
func TestContourSpotLabels(t *testing.T) {
	pool := pgtest.New(t)
	p := contourPlane
	var d terraintest.Drawing
	p.Contours(&d, 1, 0)
	w, h := float64(p.Cols)*p.Cell, float64(p.Rows)*p.Cell
	for i := range 3 {
		for j := range 3 {
			x, y := p.X0+w*(float64(i)+0.5)/3, p.Y0+h*(float64(j)+0.5)/3
			d.Spot(x, y, 0)
			d.Text("GCD", x+1.2, y-0.5, fmt.Sprintf("%.2f", p.Height(x, y)))
		}
	}
	rep, err := terraintest.Import(t, pool, d.Write(t, t.TempDir(), "flat"), "flat", importers.Request{As: "dem", SRS: "EPSG:4528"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Warnings, func(s string) bool { return strings.HasPrefix(s, "9 of 9 spot heights drawn at Z 0 took their height") }) {
		t.Errorf("warnings %q", rep.Warnings)
	}
	inside := func(x, y float64) bool {
		z := p.Height(x, y)
		return x > p.X0+2 && x < p.X0+w-2 && y > p.Y0+2 && y < p.Y0+h-2 && z > 21.1 && z < 42.9
	}
	st := compare(t, pool, "flat", p.SRID, p.Height, p.X0, p.Y0, p.X0+w, p.Y0+h, 300, func(x, y float64) bool { return !inside(x, y) })
	if st.cellMax > 0.01 {
		t.Errorf("flat: %+v, want every height within 1 cm (labels of two decimals)", st)
	}
}

// TestContourCone: concentric contour rings (every metre, 360 vertices each) of a cone 60 m high
// with a 10 % slope, and a spot height on its top, give a DEM within a few centimetres of the cone
// (the TIN's chords cut the rings' curve; next to the apex the cone's kink is rounded off).
func TestContourCone(t *testing.T) {
	pool := pgtest.New(t)
	cx, cy, top, slope := 40494200.0, 4114200.0, 60.0, 0.1
	cone := func(x, y float64) float64 { return top - slope*math.Hypot(x-cx, y-cy) }
	var d terraintest.Drawing
	for z := 41.0; z < top; z++ {
		r := (top - z) / slope
		var ring []float64
		for k := range 360 {
			a := 2 * math.Pi * float64(k) / 360
			ring = append(ring, cx+r*math.Cos(a), cy+r*math.Sin(a))
		}
		d.Contour(z, true, ring...)
	}
	d.Spot(cx, cy, top)
	path := d.Write(t, t.TempDir(), "cone")
	if _, err := terraintest.Import(t, pool, path, "cone", importers.Request{As: "dem", SRS: "EPSG:4528"}); err != nil {
		t.Fatal(err)
	}
	// Inside the outermost ring (r 190 m), the apex's own cells (r < 3 m) left out.
	skip := func(x, y float64) bool { r := math.Hypot(x-cx, y-cy); return r > 189 || r < 3 }
	st := compare(t, pool, "cone", 4528, cone, cx-190, cy-190, cx+190, cy+190, 500, skip)
	if st.cellMax > 0.03 || st.servedMax > 0.03 || st.covered < 0.99 {
		t.Errorf("cone: %+v, want every height within 3 cm", st)
	}
}

// TestContourRefusals: a drawing without contours and spot heights, with contours lacking their
// elevation, with spot heights in other units than the contours', or in longitude/latitude is
// refused, saying what is missing, and nothing is written.
func TestContourRefusals(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	dir := t.TempDir()
	p := contourPlane
	square := []float64{p.X0, p.Y0, p.X0 + 20, p.Y0, p.X0 + 20, p.Y0 + 20, p.X0, p.Y0 + 20}

	var none terraintest.Drawing
	none.Polyline("JMD", "141101", 0, true, square...)
	var flat terraintest.Drawing // contours drawn at elevation 0
	for i := range 10 {
		y := p.Y0 + 10*float64(i)
		flat.Contour(0, false, p.X0, y, p.X0+100, y)
	}
	var some terraintest.Drawing // a few contours drawn at elevation 0 among others at 20 m and above
	p.Contours(&some, 1, 0)
	for i := range 10 {
		y := p.Y0 + 10*float64(i)
		some.Contour(0, false, p.X0, y, p.X0+100, y)
	}
	var dm terraintest.Drawing // spot heights in decimetres
	p.Contours(&dm, 1, 0)
	for i := range 9 {
		x, y := p.X0+40*float64(i+1), p.Y0+30*float64(i+1)
		dm.Spot(x, y, 10*p.Height(x, y))
	}
	var mm terraintest.Drawing // everything in millimetres
	for i := range 10 {
		y := p.Y0 + 10*float64(i)
		mm.Contour(20000+1000*float64(i), false, p.X0, y, p.X0+100, y)
	}
	var deg terraintest.Drawing // longitudes and latitudes
	for i := range 5 {
		y := 37.1 + 0.001*float64(i)
		deg.Contour(20+float64(i), false, 119.9, y, 119.91, y)
	}
	for _, c := range []struct {
		name, srs string
		d         *terraintest.Drawing
		want      string
	}{
		{"none", "EPSG:4528", &none, "no contours (等高线"},
		{"flat", "EPSG:4528", &flat, "has an elevation"},
		{"some", "EPSG:4528", &some, "10 of its 33 contours have elevation 0"},
		{"decimetres", "EPSG:4528", &dm, "different units"},
		{"millimetres", "EPSG:4528", &mm, "not a height in metres"},
		{"degrees", "EPSG:4490", &deg, "longitudes and latitudes"},
	} {
		path := c.d.Write(t, dir, c.name)
		_, err := terraintest.Import(t, pool, path, c.name, importers.Request{As: "dem", SRS: c.srs})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name+".dxf") {
			t.Errorf("%s: %v, want a refusal naming the file and saying %q", c.name, err, c.want)
			continue
		}
		t.Logf("%s: %v", c.name, err)
	}
	var datasets, blocks int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM catalog.dataset), (SELECT count(*) FROM terrain.dem)`).Scan(&datasets, &blocks); err != nil || datasets != 0 || blocks != 0 {
		t.Errorf("after the refusals: %d datasets, %d DEM blocks (%v), want none", datasets, blocks, err)
	}
	// --cell is for a DEM from contours only.
	tif := contourPlane
	tif.Cell, tif.Cols, tif.Rows = 10, 20, 10
	if _, err := terraintest.Import(t, pool, tif.Write(t, dir, "grid"), "grid", importers.Request{Cell: 2}); err == nil || !strings.Contains(err.Error(), "--cell") {
		t.Errorf("--cell on an ASCII grid: %v", err)
	}
}

// TestContourDemo: the demo city's 1:500 base map (contours every metre on its two hill parks,
// spot heights every 50 m along the streets) imported with --as dem gives a DEM close to the
// ground the drawing was made from. The demo draws its contours as rings of each hill alone, 4 %
// wobbly and without the plain's slope, so they stray from the ground by up to a metre or so: the
// differences measure the drawing more than the interpolation (2 m cells: RMS 0.26 m, worst 1.6 m).
func TestContourDemo(t *testing.T) {
	pool := pgtest.New(t)
	o := demo.Options{}
	files, err := demo.Generate(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := terraintest.Import(t, pool, files.BaseMap, "demo", importers.Request{As: "dem", SRS: demo.SourceCRS, Cell: 2})
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Details["dem"].(*dem.Summary)
	cs := rep.Details["contours"].(*dem.ContourSummary)
	t.Logf("demo: %d contours, %d spot heights, %d×%d cells of %g m, heights %.2f to %.2f m", cs.Contours, cs.SpotHeights, sum.Width, sum.Height, sum.ResolutionX, sum.MinHeight, sum.MaxHeight)
	if sum.SRID != 4528 || cs.Contours == 0 || cs.SpotHeights == 0 || cs.Interval != 1 {
		t.Errorf("demo: %+v %+v", sum, cs)
	}
	ground := demo.Ground(o)
	var x0, y0, x1, y1 float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(ST_Envelope(rast)) e FROM terrain.dem WHERE overview = 1) t`).Scan(&x0, &y0, &x1, &y1); err != nil {
		t.Fatal(err)
	}
	st := compare(t, pool, "demo", 4528, ground, x0, y0, x1, y1, 2000, nil)
	if st.cellRMS > 0.4 || st.servedRMS > 0.4 || st.cellMax > 2.5 || st.covered < 0.99 {
		t.Errorf("demo: %+v, want the heights within 0.4 m RMS (2.5 m at worst) of the ground", st)
	}
}
