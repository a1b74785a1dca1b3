package demo

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ObliqueBlock is one building of the oblique set: an extruded footprint in the set's SRS.
type ObliqueBlock struct {
	Footprint [][2]float64 // easting, northing (metres), counter-clockwise, star-shaped from its first corner
	Ground    float64      // ground height
	Height    float64      // above the ground
}

// Box is a rectangular block with its south-west corner at x, y, w wide (east) and d deep (north).
func Box(x, y, w, d, ground, height float64) ObliqueBlock {
	return ObliqueBlock{Footprint: [][2]float64{{x, y}, {x + w, y}, {x + w, y + d}, {x, y + d}}, Ground: ground, Height: height}
}

// ObliqueTile is one tile of the set (ContextCapture's Tile_+xxx_+yyy) and its buildings.
type ObliqueTile struct {
	I, J   int
	Blocks []ObliqueBlock
}

// Name is the tile's ContextCapture name, Tile_+000_+001.
func (t ObliqueTile) Name() string { return fmt.Sprintf("Tile_%+04d_%+04d", t.I, t.J) }

// WriteObliqueSet writes a ContextCapture-style oblique photography export into dir: metadata.xml
// (srs, origin) and, per tile, Data/<tile>/<tile>.osgb — an osg::PagedLOD whose in-file child is the
// coarse model and whose paged child <tile>_L18_0.osgb holds the detailed one, with embedded JPEG
// textures, as ContextCapture writes them.
//
// Both levels are written as OBJ with MTL and JPEG and converted by OpenSceneGraph's osgconv, the
// coarse one wrapped in the PagedLOD in OSG's ASCII format and converted again, so the files are
// OpenSceneGraph's own binary serialisation (osgconv must be installed: scripts/setup).
func WriteObliqueSet(dir, srs string, origin [3]float64, tiles []ObliqueTile) error {
	if _, err := exec.LookPath("osgconv"); err != nil {
		return fmt.Errorf("the oblique set needs osgconv (Debian package openscenegraph, installed by scripts/setup): %w", err)
	}
	// osgconv runs in a work folder: the outputs need absolute paths.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "yitu-oblique-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	md := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n\t<!--Spatial Reference System-->\n\t<SRS>%s</SRS>\n\t<!--Origin in Spatial Reference System-->\n\t<SRSOrigin>%s,%s,%s</SRSOrigin>\n\t<Texture>\n\t\t<ColorSource>Visible</ColorSource>\n\t</Texture>\n</ModelMetadata>\n",
		srs, num(origin[0]), num(origin[1]), num(origin[2]))
	if err := os.MkdirAll(filepath.Join(dir, "Data"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metadata.xml"), []byte(md), 0o644); err != nil {
		return err
	}
	for _, t := range tiles {
		if err := writeObliqueTile(dir, work, origin, t); err != nil {
			return fmt.Errorf("oblique tile %s: %w", t.Name(), err)
		}
	}
	return nil
}

func num(v float64) string { return fmt.Sprintf("%.3f", v) }

func writeObliqueTile(dir, work string, origin [3]float64, t ObliqueTile) error {
	name := t.Name()
	tileDir := filepath.Join(dir, "Data", name)
	if err := os.MkdirAll(tileDir, 0o755); err != nil {
		return err
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	seed := h.Sum32()
	// detailed level: facades with windows, 256 px; coarse level: the same colours, 32 px, no roof detail
	fine, coarse := name+"_L18_0", name+"_L16"
	if err := writeBlocksOBJ(work, fine, origin, t.Blocks, facade(256, seed)); err != nil {
		return err
	}
	if err := osgconv(work, "-O", "noRotation WriteImageHint=IncludeFile", fine+".obj", filepath.Join(tileDir, fine+".osgb")); err != nil {
		return err
	}
	if err := writeBlocksOBJ(work, coarse, origin, t.Blocks, facade(32, seed)); err != nil {
		return err
	}
	if err := osgconv(work, "-O", "noRotation WriteImageHint=UseExternal", coarse+".obj", coarse+".osgt"); err != nil {
		return err
	}
	child, err := os.ReadFile(filepath.Join(work, coarse+".osgt"))
	if err != nil {
		return err
	}
	// the PagedLOD: centre and radius of the tile's buildings; ContextCapture switches to the finer
	// level when the sphere covers as many pixels as its radius in metres
	b := blocksBox(t.Blocks)
	c := [3]float64{(b[0]+b[3])/2 - origin[0], (b[1]+b[4])/2 - origin[1], (b[2]+b[5])/2 - origin[2]}
	r := math.Hypot(math.Hypot(b[3]-b[0], b[4]-b[1]), b[5]-b[2]) / 2
	wrapped, err := pagedLOD(child, c, r, r, fine+".osgb")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, name+".osgt"), wrapped, 0o644); err != nil {
		return err
	}
	return osgconv(work, "-O", "WriteImageHint=IncludeFile", name+".osgt", filepath.Join(tileDir, name+".osgb"))
}

func osgconv(dir string, args ...string) error {
	cmd := exec.Command("osgconv", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OSG_NOTIFY_LEVEL=WARN")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("osgconv %s: %v: %s", strings.Join(args, " "), err, out)
	}
	// osgconv can exit 0 without writing (an unwritable or misplaced output): check.
	target := args[len(args)-1]
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	if _, err := os.Stat(target); err != nil {
		return fmt.Errorf("osgconv %s wrote nothing: %s", strings.Join(args, " "), out)
	}
	return nil
}

// pagedLOD wraps the scene of an ASCII .osgt as the in-file child of an osg::PagedLOD whose second
// range pages in file.
func pagedLOD(osgt []byte, centre [3]float64, radius, pixels float64, file string) ([]byte, error) {
	i := bytes.Index(osgt, []byte("\nosg::"))
	if i < 0 || !bytes.HasPrefix(osgt, []byte("#Ascii Scene")) {
		return nil, fmt.Errorf("osgconv did not write an ASCII scene")
	}
	header, scene := osgt[:i+1], bytes.TrimSpace(osgt[i+1:])
	var b bytes.Buffer
	b.Write(header)
	fmt.Fprintf(&b, "osg::PagedLOD {\n  UniqueID 1000000 \n  CenterMode USER_DEFINED_CENTER \n  UserCenter %s %s %s %s \n", num(centre[0]), num(centre[1]), num(centre[2]), num(radius))
	fmt.Fprintf(&b, "  RangeMode PIXEL_SIZE_ON_SCREEN \n  RangeList 2 {\n    0 %s \n    %s 1e+30 \n  }\n", num(pixels), num(pixels))
	fmt.Fprintf(&b, "  RangeDataList 2 {\n    \"\" \n    %q \n  }\n  PriorityList 2 {\n    0 1 \n    0 1 \n  }\n  Children 1 {\n", file)
	for _, line := range strings.Split(string(scene), "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  }\n}\n")
	return b.Bytes(), nil
}

func blocksBox(blocks []ObliqueBlock) [6]float64 {
	b := [6]float64{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, k := range blocks {
		for _, p := range k.Footprint {
			b[0], b[1], b[3], b[4] = min(b[0], p[0]), min(b[1], p[1]), max(b[3], p[0]), max(b[4], p[1])
		}
		b[2], b[5] = min(b[2], k.Ground), max(b[5], k.Ground+k.Height)
	}
	return b
}

// writeBlocksOBJ writes the blocks as one textured OBJ (z up, relative to origin) with its MTL and
// JPEG: walls take the lower three quarters of the texture (facade), roofs the top strip.
func writeBlocksOBJ(dir, name string, origin [3]float64, blocks []ObliqueBlock, tex image.Image) error {
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, tex, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".jpg"), jp.Bytes(), 0o644); err != nil {
		return err
	}
	mtl := fmt.Sprintf("newmtl facade\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd %s.jpg\n", name)
	if err := os.WriteFile(filepath.Join(dir, name+".mtl"), []byte(mtl), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name+".obj"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# Yitu demo oblique tile %s\nmtllib %s.mtl\nusemtl facade\n", name, name)
	fmt.Fprint(w, "vt 0 0\nvt 1 0\nvt 1 0.75\nvt 0 0.75\n") // a wall: the facade
	v, vt := 0, 4
	for _, k := range blocks {
		n := len(k.Footprint)
		z0, z1 := k.Ground-origin[2], k.Ground+k.Height-origin[2]
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range k.Footprint {
			minX, minY, maxX, maxY = min(minX, p[0]), min(minY, p[1]), max(maxX, p[0]), max(maxY, p[1])
		}
		for _, z := range []float64{z0, z1} {
			for _, p := range k.Footprint {
				fmt.Fprintf(w, "v %.3f %.3f %.3f\n", p[0]-origin[0], p[1]-origin[1], z)
			}
		}
		for s := range n { // walls, counter-clockwise seen from outside
			a, b := v+1+s, v+1+(s+1)%n
			fmt.Fprintf(w, "f %d/1 %d/2 %d/3 %d/4\n", a, b, b+n, a+n)
		}
		// the roof: the top strip of the texture, stretched over the footprint's bounds
		for _, p := range k.Footprint {
			fmt.Fprintf(w, "vt %.4f %.4f\n", (p[0]-minX)/max(maxX-minX, 1e-9), 0.8+0.2*(p[1]-minY)/max(maxY-minY, 1e-9))
		}
		fmt.Fprint(w, "f")
		for s := range k.Footprint {
			fmt.Fprintf(w, " %d/%d", v+1+n+s, vt+1+s)
		}
		fmt.Fprintln(w)
		v += 2 * n
		vt += n
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// facade draws a facade texture: a wall colour from the seed, rows of windows, a roof strip on top.
func facade(size int, seed uint32) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	wall := color.RGBA{uint8(170 + seed%60), uint8(150 + seed/60%60), uint8(120 + seed/3600%60), 255}
	roof := color.RGBA{96, 92, 88, 255}
	glass := color.RGBA{70, 96, 120, 255}
	cell := max(size/8, 2)
	for y := range size {
		for x := range size {
			c := wall
			switch {
			case y < size/5: // image top: the roof strip (v 0.8–1)
				c = roof
			case size >= 64 && x%cell > cell/4 && x%cell < cell*3/4 && y%cell > cell/3 && y%cell < cell*5/6:
				c = glass
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// The demo city's oblique set covers three by two blocks west of the central square: the buildings
// the base map draws there, standing on the ground surface, one floor every 3 m, one tile a block.
const storey = 3.0

func (c *city) photoArea() (i0, j0 int) { return c.n/2 - 3, c.n/2 - 1 }

// photograph keeps the buildings of a block the oblique set covers (called as the base map draws them).
func (c *city) photograph(i, j int, bd building) {
	i0, j0 := c.photoArea()
	if i < i0 || i >= i0+3 || j < j0 || j >= j0+2 {
		return
	}
	if c.photo == nil {
		c.photo = map[[2]int][]building{}
	}
	c.photo[[2]int{i, j}] = append(c.photo[[2]int{i, j}], bd)
}

// writeOblique writes the oblique set of the photographed blocks (EPSG:4528, origin at the area's
// south-west street corner).
func (c *city) writeOblique(dir string) (tiles, buildings int, err error) {
	i0, j0 := c.photoArea()
	var set []ObliqueTile
	for j := j0; j < j0+2; j++ {
		for i := i0; i < i0+3; i++ {
			bds := c.photo[[2]int{i, j}]
			if len(bds) == 0 {
				continue
			}
			t := ObliqueTile{I: i - i0, J: j - j0}
			for _, b := range bds {
				fp := make([][2]float64, 0, len(b.xy)/2)
				for k := 0; k+1 < len(b.xy); k += 2 {
					fp = append(fp, [2]float64{b.xy[k], b.xy[k+1]})
				}
				cx, cy := centroid(b.xy)
				t.Blocks = append(t.Blocks, ObliqueBlock{Footprint: fp, Ground: math.Round(c.ground(cx, cy)*100) / 100, Height: float64(b.floors) * storey})
			}
			set = append(set, t)
			buildings += len(t.Blocks)
		}
	}
	if len(set) == 0 {
		return 0, 0, nil
	}
	return len(set), buildings, WriteObliqueSet(dir, SourceCRS, [3]float64{c.gx(i0), c.gy(j0), 0}, set)
}
