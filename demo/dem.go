package demo

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// DEMFile is the demo city's DEM: a GeoTIFF of its ground (the coastal plain and the two hill
// parks, the heights the base map's contours and spot heights come from), normal heights.
const DEMFile = "laizhou_dem.tif"

// DEM grid: demCell metres, demMargin metres beyond the outer streets.
const (
	demCell   = 5.0
	demMargin = 500.0
)

// writeDEM writes the ground as an ESRI ASCII grid and has GDAL turn it into a tiled, compressed
// GeoTIFF in EPSG:4528 (the CRS of the base map). It returns the number of cells.
func (c *city) writeDEM(path string) (int, error) {
	x0, y0 := c.x0-demMargin, c.y0-demMargin
	size := float64(c.n)*pitch + 2*demMargin
	n := int(size / demCell)
	asc := strings.TrimSuffix(path, ".tif") + ".asc"
	err := writeFile(asc, func(w *bufio.Writer) error {
		fmt.Fprintf(w, "ncols %d\nnrows %d\nxllcorner %.1f\nyllcorner %.1f\ncellsize %g\nNODATA_value -9999\n", n, n, x0, y0, demCell)
		for r := range n {
			y := y0 + (float64(n-r)-0.5)*demCell
			for col := range n {
				if col > 0 {
					w.WriteByte(' ')
				}
				w.WriteString(fmt.Sprintf("%.2f", c.ground(x0+(float64(col)+0.5)*demCell, y)))
			}
			w.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	defer os.Remove(asc)
	cmd := exec.CommandContext(context.Background(), "gdal_translate", "-q", "-of", "GTiff", "-a_srs", SourceCRS, "-ot", "Float32",
		"-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3", asc, path)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("writing %s with gdal_translate (Debian package gdal-bin): %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	return n * n, nil
}

// WriteDEM writes only the demo city's DEM (what Generate writes as DEMFile), for benchmarks and
// tests of the terrain. It returns the number of cells.
func WriteDEM(path string, o Options) (int, error) {
	if o.Blocks == 0 {
		o.Blocks = 36
	}
	return newCity(o).writeDEM(path)
}

// HillTop is where the top of the demo city's larger hill park is (EPSG:4528 x, y).
func HillTop(o Options) (x, y float64) {
	if o.Blocks == 0 {
		o.Blocks = 36
	}
	h := newCity(o).hills[0]
	return h.x, h.y
}

// Ground is the demo city's terrain: the normal height at x, y (EPSG:4528) that its DEM, contours
// and spot heights are all drawn from, for tests that check what is built from them.
func Ground(o Options) func(x, y float64) float64 {
	if o.Blocks == 0 {
		o.Blocks = 36
	}
	return newCity(o).ground
}
