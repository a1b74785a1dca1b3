// Package terraintest writes synthetic DEMs with known heights and imports DEMs, for the tests of
// the terrain and of the code that uses it.
package terraintest

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
)

// Plane is a synthetic DEM whose heights are a plane in a projected CRS: at (x, y) the height is
// H0 + GX·(x − X0) + GY·(y − Y0). Bilinear interpolation reproduces a plane exactly, so every
// sample of it has a known height.
type Plane struct {
	SRID       int
	X0, Y0     float64 // lower-left corner of the grid
	Cell       float64
	Cols, Rows int
	H0, GX, GY float64
	NoData     [][2]int // (col, row from the top) cells left without a height
	WithoutPRJ bool     // write no .prj (a DEM without CRS)
	AllNoData  bool
	PRJ        string // WKT of the .prj (default: from gdalsrsinfo)
}

// Laizhou is a 6 km × 3 km sloping plane near Laizhou in CGCS2000 / 3-degree GK CM 120E.
func Laizhou() Plane {
	return Plane{SRID: 4549, X0: 495000, Y0: 4114000, Cell: 10, Cols: 600, Rows: 300, H0: 100, GX: 0.01, GY: 0.02}
}

// Height is the plane's height at x, y.
func (p Plane) Height(x, y float64) float64 { return p.H0 + p.GX*(x-p.X0) + p.GY*(y-p.Y0) }

// Write writes the DEM as an ESRI ASCII grid (with its .prj) in dir and returns its path.
func (p Plane) Write(t testing.TB, dir, name string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "ncols %d\nnrows %d\nxllcorner %.3f\nyllcorner %.3f\ncellsize %g\nNODATA_value -9999\n", p.Cols, p.Rows, p.X0, p.Y0, p.Cell)
	nodata := map[[2]int]bool{}
	for _, c := range p.NoData {
		nodata[c] = true
	}
	for r := range p.Rows {
		y := p.Y0 + (float64(p.Rows-r)-0.5)*p.Cell
		for c := range p.Cols {
			if c > 0 {
				b.WriteByte(' ')
			}
			if p.AllNoData || nodata[[2]int{c, r}] {
				b.WriteString("-9999")
				continue
			}
			fmt.Fprintf(&b, "%.4f", p.Height(p.X0+(float64(c)+0.5)*p.Cell, y))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, name+".asc")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if !p.WithoutPRJ {
		wkt := p.PRJ
		if wkt == "" {
			out, err := execOutput("gdalsrsinfo", "-o", "wkt_esri", "--single-line", fmt.Sprintf("EPSG:%d", p.SRID))
			if err != nil {
				t.Fatalf("gdalsrsinfo: %v", err)
			}
			wkt = strings.TrimSpace(out)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".prj"), []byte(wkt), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// Import imports a DEM file as dataset name and returns its report; the error is the import's.
func Import(t testing.TB, pool *pgxpool.Pool, path, name string, req importers.Request) (*loader.Report, error) {
	t.Helper()
	req.Path, req.Dataset = path, name
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), req, nil)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		t.Fatalf("import of %s: %d results", path, len(res))
	}
	return res[0].Report, res[0].Err
}

// MustImport imports a DEM and fails the test if it is refused.
func MustImport(t testing.TB, pool *pgxpool.Pool, path, name string) *loader.Report {
	t.Helper()
	rep, err := Import(t, pool, path, name, importers.Request{})
	if err != nil {
		t.Fatalf("import of %s: %v", path, err)
	}
	return rep
}

func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}

// Drawing is a minimal CASS-style ASCII DXF: contours (LWPOLYLINE with their elevation in group
// 38, code 201101 in XDATA SOUTH) and spot heights (POINT with the height as Z, code 202101), for
// DEMs interpolated from contours.
type Drawing struct {
	b      strings.Builder
	handle int
}

func (d *Drawing) entity(typ, layer, sub string) {
	d.handle++
	fmt.Fprintf(&d.b, "  0\n%s\n  5\n%X\n100\nAcDbEntity\n  8\n%s\n100\n%s\n", typ, d.handle, layer, sub)
}

// Polyline draws a polyline on layer with a CASS code ("" none) at elevation z.
func (d *Drawing) Polyline(layer, code string, z float64, closed bool, xy ...float64) {
	d.entity("LWPOLYLINE", layer, "AcDbPolyline")
	flag := 0
	if closed {
		flag = 1
	}
	fmt.Fprintf(&d.b, " 90\n%d\n 70\n%d\n 38\n%.4f\n", len(xy)/2, flag, z)
	for i := 0; i+1 < len(xy); i += 2 {
		fmt.Fprintf(&d.b, " 10\n%.4f\n 20\n%.4f\n", xy[i], xy[i+1])
	}
	if code != "" {
		fmt.Fprintf(&d.b, "1001\nSOUTH\n1000\n%s\n", code)
	}
}

// Contour draws a contour (layer DGX, code 201101) at elevation z.
func (d *Drawing) Contour(z float64, closed bool, xy ...float64) {
	d.Polyline("DGX", "201101", z, closed, xy...)
}

// Spot draws a spot height (layer GCD, code 202101) with its height as Z.
func (d *Drawing) Spot(x, y, z float64) {
	d.entity("POINT", "GCD", "AcDbPoint")
	fmt.Fprintf(&d.b, " 10\n%.4f\n 20\n%.4f\n 30\n%.4f\n1001\nSOUTH\n1000\n202101\n", x, y, z)
}

// Text writes a text on layer at x, y.
func (d *Drawing) Text(layer string, x, y float64, text string) {
	d.entity("TEXT", layer, "AcDbText")
	fmt.Fprintf(&d.b, " 10\n%.4f\n 20\n%.4f\n 30\n0.0\n 40\n1.0\n  1\n%s\n", x, y, text)
}

// Write writes the drawing as dir/name.dxf and returns its path.
func (d *Drawing) Write(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name+".dxf")
	s := "  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1015\n  9\n$INSUNITS\n 70\n6\n  0\nENDSEC\n  0\nSECTION\n  2\nENTITIES\n" +
		d.b.String() + "  0\nENDSEC\n  0\nEOF\n"
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Contours draws the plane's contours every interval metres across its extent (straight lines
// from edge to edge) and spot heights at n points of a regular lattice inside it.
func (p Plane) Contours(d *Drawing, interval float64, n int) {
	w, h := float64(p.Cols)*p.Cell, float64(p.Rows)*p.Cell
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
		z := p.Height(p.X0+c[0], p.Y0+c[1])
		lo, hi = min(lo, z), max(hi, z)
	}
	for z := math.Ceil(lo/interval) * interval; z < hi; z += interval {
		// The line H0 + GX·dx + GY·dy = z, cut by the rectangle's four edges.
		var pts []float64
		add := func(dx, dy float64) {
			if dx < -1e-9 || dx > w+1e-9 || dy < -1e-9 || dy > h+1e-9 {
				return
			}
			for i := 0; i+1 < len(pts); i += 2 {
				if math.Abs(pts[i]-dx) < 1e-6 && math.Abs(pts[i+1]-dy) < 1e-6 {
					return
				}
			}
			pts = append(pts, dx, dy)
		}
		if p.GY != 0 {
			add(0, (z-p.H0)/p.GY)
			add(w, (z-p.H0-p.GX*w)/p.GY)
		}
		if p.GX != 0 {
			add((z-p.H0)/p.GX, 0)
			add((z-p.H0-p.GY*h)/p.GX, h)
		}
		if len(pts) < 4 {
			continue
		}
		d.Contour(z, false, p.X0+pts[0], p.Y0+pts[1], p.X0+pts[2], p.Y0+pts[3])
	}
	k := int(math.Ceil(math.Sqrt(float64(n))))
	for i := range k {
		for j := range k {
			if i*k+j >= n {
				return
			}
			x, y := p.X0+w*(float64(i)+0.5)/float64(k), p.Y0+h*(float64(j)+0.5)/float64(k)
			d.Spot(x, y, p.Height(x, y))
		}
	}
}
