package crs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Proj is a CRS outside Yitu's own registry that PROJ converts, through PostGIS: an EPSG code
// PostGIS's spatial_ref_sys holds, or a WKT (a .prj, a metadata.xml SRS) the registry does not
// recognise. It is the one path every importer takes for such CRSs, with one datum rule:
//
//   - a CRS on the CGCS2000 datum goes straight to EPSG:4490;
//   - any other datum goes through a transformation PROJ knows to WGS 84 (EPSG:4326) whose area of
//     use covers the data, and the result is taken as CGCS2000 (the two agree within centimetres,
//     far below the metre-level accuracy of such transformations);
//   - where PROJ knows none (Beijing 1954, Xi'an 1980 and their Gauss-Krüger zones, most local
//     grids), the import is refused: PROJ's fallback is a "ballpark" null datum shift, which puts the
//     data 50–200 m off. The user gives the shift as a 7-parameter local grid (see LocalGrid).
//
// An unbound Proj converts nothing (ToLonLat gives NaN, which the loader rejects); Bind samples the
// conversion over the data's extent with PostGIS and returns a CRS that interpolates it in Go.
type Proj struct {
	SRID int    // EPSG code in spatial_ref_sys, or 0
	WKT  string // the WKT when SRID is 0
	name string
}

// Querier runs a query: a pgx.Tx, pgx.Conn or pool.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Code is EPSG:<n>, or WKT:<name> for a WKT without a code.
func (p *Proj) Code() string {
	if p.SRID > 0 {
		return fmt.Sprintf("EPSG:%d", p.SRID)
	}
	return "WKT:" + p.Name()
}

// Name is the CRS's name from its WKT (known once bound) or its code.
func (p *Proj) Name() string {
	if p.name != "" {
		return p.name
	}
	if p.WKT != "" {
		if n, err := parseWKT(p.WKT); err == nil && n.name() != "" {
			return n.name()
		}
	}
	return fmt.Sprintf("EPSG:%d", p.SRID)
}

// Projected reports whether the WKT is of a projected CRS (an EPSG code is taken as projected until
// bound; Bind tells for sure).
func (p *Proj) Projected() bool {
	if p.WKT != "" {
		if n, err := parseWKT(p.WKT); err == nil {
			return strings.HasPrefix(n.key, "PROJ")
		}
	}
	return true
}

// ToLonLat of an unbound Proj is NaN: call Bind.
func (p *Proj) ToLonLat(x, y float64) (float64, float64) { return math.NaN(), math.NaN() }

// FromLonLat of an unbound Proj is NaN.
func (p *Proj) FromLonLat(lon, lat float64) (float64, float64) { return math.NaN(), math.NaN() }

// display names the CRS in messages: EPSG:4214 (Beijing 1954).
func (p *Proj) display() string {
	if p.SRID > 0 && p.name != "" {
		return fmt.Sprintf("EPSG:%d (%s)", p.SRID, p.name)
	}
	if p.SRID > 0 {
		return fmt.Sprintf("EPSG:%d", p.SRID)
	}
	return fmt.Sprintf("the CRS %q", p.Name())
}

// Operation is a coordinate operation PROJ chose, as projinfo --summary states it.
type Operation struct {
	Name     string
	Accuracy string // "1 m", "0 m", "unknown accuracy"
	Ballpark bool   // a null datum shift PROJ falls back to when it knows no transformation
	Area     string // area of use
}

// offshore reports whether the operation is for offshore areas only (such as Beijing 1954 to WGS 84
// (2), China - offshore - Huang Hai): PROJ picks it for coastal land by its bounding box, but its
// parameters were never meant for the land.
func (o Operation) offshore() bool {
	a := strings.ToLower(o.Area)
	return strings.Contains(a, "offshore") && !strings.Contains(a, "onshore")
}

// Bound is a Proj bound to an extent: the conversion to CGCS2000 lon/lat sampled by PostGIS on a grid
// over the extent (cells of at most 1 km or 0.01°) and interpolated bicubically, which stays below a
// millimetre. Points outside the extent give NaN.
type Bound struct {
	*Proj
	// Transformation states what was applied, for the import report.
	Transformation string
	projected      bool
	wkt            string // the CRS's WKT (spatial_ref_sys srtext, or the given WKT)
	x0, y0, dx, dy float64
	nx, ny         int
	lon, lat       []float64 // ny rows of nx
}

// Bind resolves c for data within extent (minX, minY, maxX, maxY in c's units): a CRS that is not a
// *Proj comes back as it is; a *Proj is checked against the datum rule (see Proj) and sampled.
func Bind(ctx context.Context, q Querier, c CRS, extent [4]float64) (CRS, error) {
	p, ok := c.(*Proj)
	if !ok {
		if b, ok := c.(*Bound); ok {
			p = b.Proj
		} else {
			return c, nil
		}
	}
	if q == nil {
		return nil, fmt.Errorf("%s is converted by PROJ in PostGIS, which a dry run does not use; import without --dry-run", p.Code())
	}
	return p.Bind(ctx, q, extent)
}

// Bind checks the datum rule for data within extent and samples the conversion (see Bound).
func (p *Proj) Bind(ctx context.Context, q Querier, extent [4]float64) (*Bound, error) {
	for _, v := range extent {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: the data has no finite extent to convert", p.Code())
		}
	}
	if extent[0] > extent[2] || extent[1] > extent[3] {
		return nil, fmt.Errorf("%s: the data's extent is unknown, so the datum shift cannot be chosen", p.Code())
	}
	b := &Bound{Proj: &Proj{SRID: p.SRID, WKT: p.WKT}}
	src, name, projected, wkt, err := p.describe(ctx, q)
	if err != nil {
		return nil, err
	}
	b.name, b.projected, b.wkt = name, projected, wkt
	// The sample grid: cells of at most 1 km (1000 units of a projected CRS) or 0.01°.
	cell := 1000.0
	if !b.projected {
		cell = 0.01
	}
	pad := cell / 100
	x0, y0, x1, y1 := extent[0]-pad, extent[1]-pad, extent[2]+pad, extent[3]+pad
	b.nx = int(math.Ceil((x1-x0)/cell)) + 1
	b.ny = int(math.Ceil((y1-y0)/cell)) + 1
	if b.nx < 2 {
		b.nx = 2
	}
	if b.ny < 2 {
		b.ny = 2
	}
	if b.nx*b.ny > 1_000_000 {
		return nil, fmt.Errorf("%s: the data spans %.0f × %.0f %s, too far for one conversion; import it in parts",
			b.display(), x1-x0, y1-y0, map[bool]string{true: "units", false: "degrees"}[b.projected])
	}
	b.dx, b.dy = (x1-x0)/float64(b.nx-1), (y1-y0)/float64(b.ny-1)
	// One more node on every side, for the cubic interpolation of the edge cells.
	b.x0, b.y0 = x0-b.dx, y0-b.dy
	b.nx, b.ny = b.nx+2, b.ny+2

	// Where the data lies, for PROJ's areas of use: the extent's corners through PostGIS.
	lon, lat, err := b.sample(ctx, q, 4326, [][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}, {(x0 + x1) / 2, (y0 + y1) / 2}})
	if err != nil {
		return nil, err
	}
	bbox := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i := range lon {
		bbox[0], bbox[1] = math.Min(bbox[0], lon[i]), math.Min(bbox[1], lat[i])
		bbox[2], bbox[3] = math.Max(bbox[2], lon[i]), math.Max(bbox[3], lat[i])
	}
	target := 4490
	op, skipped, err := chooseOperation(ctx, src, "EPSG:4490", bbox)
	if err != nil {
		return nil, err
	}
	if op.Ballpark {
		target = 4326
		var more []string
		if op, more, err = chooseOperation(ctx, src, "EPSG:4326", bbox); err != nil {
			return nil, err
		}
		skipped = append(skipped, more...)
	}
	if op.Ballpark {
		return nil, b.noTransformation(bbox, skipped)
	}
	b.Transformation = fmt.Sprintf("%s → EPSG:4490: %s (PROJ, accuracy %s)", b.display(), op.Name, op.Accuracy)
	if target == 4326 {
		b.Transformation = fmt.Sprintf("%s → EPSG:4326: %s (PROJ, accuracy %s); WGS 84 taken as CGCS2000 (EPSG:4490)",
			b.display(), op.Name, op.Accuracy)
	}
	pts := make([][2]float64, 0, b.nx*b.ny)
	for j := range b.ny {
		for i := range b.nx {
			pts = append(pts, [2]float64{b.x0 + float64(i)*b.dx, b.y0 + float64(j)*b.dy})
		}
	}
	if b.lon, b.lat, err = b.sample(ctx, q, target, pts); err != nil {
		return nil, err
	}
	return b, nil
}

// Geographic reports whether the CRS's coordinates are degrees (PostGIS's spatial_ref_sys says, for
// an EPSG code).
func (p *Proj) Geographic(ctx context.Context, q Querier) (bool, error) {
	_, _, projected, _, err := p.describe(ctx, q)
	return !projected, err
}

// describe finds the CRS in spatial_ref_sys (or parses its WKT): the source string for PROJ, its
// name, whether it is projected, and its WKT.
func (p *Proj) describe(ctx context.Context, q Querier) (src, name string, projected bool, wkt string, err error) {
	if p.SRID == 0 {
		n, err := parseWKT(p.WKT)
		if err != nil {
			return "", "", false, "", fmt.Errorf("the CRS WKT is not valid: %w", err)
		}
		return p.WKT, n.name(), strings.HasPrefix(n.key, "PROJ") || (strings.HasPrefix(n.key, "COMP") && n.child("PROJCS", "PROJCRS") != nil), p.WKT, nil
	}
	var srtext string
	err = q.QueryRow(ctx, `SELECT srtext FROM spatial_ref_sys WHERE srid = $1`, p.SRID).Scan(&srtext)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", false, "", fmt.Errorf("EPSG:%d is unknown: neither in Yitu's CRS registry nor in PostGIS's spatial_ref_sys", p.SRID)
	}
	if err != nil {
		return "", "", false, "", err
	}
	src = fmt.Sprintf("EPSG:%d", p.SRID)
	if n, err := parseWKT(srtext); err == nil {
		name, projected = n.name(), strings.HasPrefix(n.key, "PROJ") || (strings.HasPrefix(n.key, "COMP") && n.child("PROJCS", "PROJCRS") != nil)
	}
	return src, name, projected, srtext, nil
}

// sample converts points to lon/lat in target (4490 or 4326) with PostGIS ST_Transform.
func (b *Bound) sample(ctx context.Context, q Querier, target int, pts [][2]float64) (lon, lat []float64, err error) {
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p[0], p[1]
	}
	var from any = b.SRID
	point := `ST_SetSRID(ST_MakePoint(x, y), $3::int)`
	tr := `ST_Transform(` + point + `, $4::int)`
	if b.SRID == 0 {
		from = b.WKT
		tr = `ST_Transform(ST_MakePoint(x, y), $3::text, $4::int)`
	}
	err = q.QueryRow(ctx, `
		SELECT array_agg(ST_X(g) ORDER BY n), array_agg(ST_Y(g) ORDER BY n) FROM (
			SELECT `+tr+` AS g, n FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, n)) s`,
		xs, ys, from, target).Scan(&lon, &lat)
	if err != nil {
		return nil, nil, fmt.Errorf("converting from %s with PostGIS: %w", b.display(), err)
	}
	if len(lon) != len(pts) {
		return nil, nil, fmt.Errorf("converting from %s with PostGIS: %d points came back for %d", b.display(), len(lon), len(pts))
	}
	return lon, lat, nil
}

func (b *Bound) noTransformation(bbox [4]float64, skipped []string) error {
	ell, proj := b.sevenParameterHint()
	also := ""
	if len(skipped) > 0 {
		also = "; offshore-only ones are not used on land: " + strings.Join(skipped, "; ")
	}
	return fmt.Errorf("%s: PROJ knows no transformation from its datum to CGCS2000 or WGS 84 for data at %.4f…%.4f°E, %.4f…%.4f°N%s "+
		"(only a ballpark null datum shift, which would put every coordinate tens to hundreds of metres off), so nothing was imported. "+
		"Give the datum shift: --srs local:<grid.yaml> with method: 7-parameter, target: EPSG:4490, source: {ellipsoid: %s%s} "+
		"and the tx ty tz rx ry rz ds_ppm of your survey authority (or method: 4-parameter into a CGCS2000 zone)",
		b.display(), bbox[0], bbox[2], bbox[1], bbox[3], also, ell, proj)
}

// sevenParameterHint reads the ellipsoid and Transverse Mercator parameters of the CRS's WKT, to
// show the local grid a user would write.
func (b *Bound) sevenParameterHint() (ellipsoid, projection string) {
	ellipsoid = "<name, or a and f>"
	root, err := parseWKT(b.wkt)
	if err != nil {
		return ellipsoid, ""
	}
	var find func(n *wktNode, keys ...string) *wktNode
	find = func(n *wktNode, keys ...string) *wktNode {
		if c := n.child(keys...); c != nil {
			return c
		}
		for _, c := range n.children {
			if f := find(c, keys...); f != nil {
				return f
			}
		}
		return nil
	}
	if e := find(root, "SPHEROID", "ELLIPSOID"); e != nil {
		switch n := strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(e.name())); {
		case strings.Contains(n, "krassowsky") || strings.Contains(n, "krasovsky"):
			ellipsoid = "beijing54"
		case strings.Contains(n, "1975") || strings.Contains(n, "xian"):
			ellipsoid = "xian80"
		case len(e.nums) >= 2 && e.nums[1] != 0:
			ellipsoid = fmt.Sprintf("<name>, a: %g, f: 1/%g", e.nums[0], e.nums[1])
		}
	}
	if !b.projected {
		return ellipsoid, ""
	}
	params := map[string]float64{}
	var collect func(n *wktNode)
	collect = func(n *wktNode) {
		for _, c := range n.children {
			if c.key == "PARAMETER" && len(c.nums) > 0 {
				params[normParam(c.name())] = c.nums[0]
			}
			if c.key == "CONVERSION" {
				collect(c)
			}
		}
	}
	collect(root)
	if pc := root.child("PROJCS", "PROJCRS"); pc != nil { // inside a compound CRS
		collect(pc)
	}
	cm, okCM := params["central_meridian"]
	fe, okFE := params["false_easting"]
	if !okCM || !okFE {
		return ellipsoid, ", projection: {central_meridian: <°>, false_easting: <m>}"
	}
	return ellipsoid, fmt.Sprintf(", projection: {central_meridian: %g, false_easting: %.0f}", cm, fe)
}

// chooseOperation asks PROJ (projinfo, of the PROJ Debian package proj-bin, reading the same proj.db
// as PostGIS) which operation it uses from src to dst for data within bbox (lon/lat): the first of
// those whose area of use contains the data and whose grids are installed, as PROJ ranks them.
// Offshore-only operations are passed over (and listed in skipped).
func chooseOperation(ctx context.Context, src, dst string, bbox [4]float64) (op Operation, skipped []string, err error) {
	args := []string{"-s", src, "-t", dst, "--summary", "--spatial-test", "contains", "--grid-check", "discard_missing",
		"--bbox", fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", bbox[0], bbox[1], bbox[2], bbox[3])}
	out, err := exec.CommandContext(ctx, "projinfo", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Operation{}, nil, fmt.Errorf("projinfo %s → %s: %v: %s", src, dst, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return Operation{}, nil, fmt.Errorf("projinfo (Debian package proj-bin, run scripts/setup): %w", err)
	}
	for _, op := range parseOperations(string(out)) {
		if op.offshore() {
			skipped = append(skipped, fmt.Sprintf("%s (%s, for %s)", op.Name, op.Accuracy, op.Area))
			continue
		}
		return op, skipped, nil
	}
	return Operation{Name: "none", Accuracy: "unknown accuracy", Ballpark: true}, skipped, nil
}

// parseOperations reads projinfo --summary: "Candidate operations found: N" and a line per operation,
// "id, name, accuracy, area[, has ballpark transformation]".
func parseOperations(out string) []Operation {
	var ops []Operation
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "Candidate operations") || strings.HasPrefix(line, "Note:") {
			continue
		}
		parts := strings.SplitN(line, ", ", 4)
		if len(parts) < 3 {
			continue
		}
		area := ""
		if len(parts) > 3 {
			area = strings.TrimSuffix(parts[3], ", has ballpark transformation")
		}
		ops = append(ops, Operation{Name: parts[1], Accuracy: parts[2], Area: area,
			Ballpark: strings.Contains(line, "has ballpark transformation") || strings.Contains(parts[1], "Ballpark")})
	}
	return ops
}

// Code of a bound Proj is the Proj's.
func (b *Bound) Code() string { return b.Proj.Code() }

// Name is the CRS's name from spatial_ref_sys or its WKT.
func (b *Bound) Name() string { return b.Proj.Name() }

// Projected reports whether coordinates are projected.
func (b *Bound) Projected() bool { return b.projected }

// ToLonLat interpolates the sampled conversion (bicubic, Catmull-Rom: exact for quadratic variation,
// so the Transverse Mercator's curvature over a 1 km cell leaves far below a millimetre); NaN outside
// the bound extent.
func (b *Bound) ToLonLat(x, y float64) (float64, float64) {
	fx, fy := (x-b.x0)/b.dx, (y-b.y0)/b.dy
	if !(fx >= 1 && fy >= 1 && fx <= float64(b.nx-2) && fy <= float64(b.ny-2)) {
		return math.NaN(), math.NaN()
	}
	i, j := min(int(fx), b.nx-3), min(int(fy), b.ny-3)
	u, v := fx-float64(i), fy-float64(j)
	cubic := func(a []float64) float64 {
		var col [4]float64
		for r := range 4 {
			k := (j-1+r)*b.nx + i - 1
			col[r] = catmullRom(a[k], a[k+1], a[k+2], a[k+3], u)
		}
		return catmullRom(col[0], col[1], col[2], col[3], v)
	}
	return cubic(b.lon), cubic(b.lat)
}

func catmullRom(p0, p1, p2, p3, t float64) float64 {
	return p1 + 0.5*t*(p2-p0+t*(2*p0-5*p1+4*p2-p3+t*(3*(p1-p2)+p3-p0)))
}

// FromLonLat is not sampled: importers convert one way.
func (b *Bound) FromLonLat(lon, lat float64) (float64, float64) { return math.NaN(), math.NaN() }
