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

// ObliqueBlock is one building of the oblique set: an extruded rectangle in the set's SRS.
type ObliqueBlock struct {
	X, Y   float64 // south-west corner: easting, northing (metres)
	W, D   float64 // extent east and north (metres)
	Ground float64 // ground height
	Height float64 // above the ground
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
		b[0], b[1], b[2] = min(b[0], k.X), min(b[1], k.Y), min(b[2], k.Ground)
		b[3], b[4], b[5] = max(b[3], k.X+k.W), max(b[4], k.Y+k.D), max(b[5], k.Ground+k.Height)
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
	fmt.Fprint(w, "vt 0 0\nvt 1 0\nvt 1 0.75\nvt 0 0.75\nvt 0 0.8\nvt 1 0.8\nvt 1 1\nvt 0 1\n")
	v := 0
	for _, k := range blocks {
		x0, y0, z0 := k.X-origin[0], k.Y-origin[1], k.Ground-origin[2]
		x1, y1, z1 := x0+k.W, y0+k.D, z0+k.Height
		corners := [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
		for _, c := range corners {
			fmt.Fprintf(w, "v %.3f %.3f %.3f\n", c[0], c[1], z0)
		}
		for _, c := range corners {
			fmt.Fprintf(w, "v %.3f %.3f %.3f\n", c[0], c[1], z1)
		}
		for s := range 4 { // walls, counter-clockwise seen from outside
			a, b := v+1+s, v+1+(s+1)%4
			fmt.Fprintf(w, "f %d/1 %d/2 %d/3 %d/4\n", a, b, b+4, a+4)
		}
		fmt.Fprintf(w, "f %d/5 %d/6 %d/7 %d/8\n", v+5, v+6, v+7, v+8) // roof
		v += 8
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
