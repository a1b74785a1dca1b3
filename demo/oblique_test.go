package demo

import (
	"path/filepath"
	"testing"

	"github.com/yitu-gis/yitu/importers/osgb"
)

// sampleObliqueTiles are two small tiles of boxes, for tests.
func sampleObliqueTiles(x0, y0 float64) []ObliqueTile {
	var tiles []ObliqueTile
	for i := range 2 {
		t := ObliqueTile{I: i, J: 0}
		for k := range 3 {
			t.Blocks = append(t.Blocks, Box(x0+float64(i)*100+float64(k)*30, y0, 20, 15, 8, 10+float64(k)*6))
		}
		tiles = append(tiles, t)
	}
	return tiles
}

func TestWriteObliqueSet(t *testing.T) {
	// A relative folder, as `yitu demo` passes by default (.data/demo): osgconv runs elsewhere.
	t.Chdir(t.TempDir())
	dir := "oblique"
	if err := WriteObliqueSet(dir, "EPSG:4528", [3]float64{40493000, 4115000, 0}, sampleObliqueTiles(40493000, 4115000)); err != nil {
		t.Fatal(err)
	}
	root, err := osgb.ReadFile(filepath.Join(dir, "Data", "Tile_+000_+000", "Tile_+000_+000.osgb"))
	if err != nil {
		t.Fatal(err)
	}
	l := root.Root.LOD
	if root.Root.Class != "osg::PagedLOD" || l == nil || l.RangeMode != osgb.PixelSizeOnScreen || len(l.FileNames) != 2 || l.FileNames[1] != "Tile_+000_+000_L18_0.osgb" {
		t.Fatalf("root: %s %+v", root.Root.Class, l)
	}
	meshes, _, err := root.Meshes()
	if err != nil || len(meshes) == 0 || meshes[0].Texture == nil || meshes[0].Texture.Image.Storage != osgb.ImageInlineFile {
		t.Fatalf("coarse level: %v %v", meshes, err)
	}
	fine, err := osgb.ReadFile(filepath.Join(dir, "Data", "Tile_+000_+000", "Tile_+000_+000_L18_0.osgb"))
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := fine.Meshes()
	if err != nil || len(fm) == 0 {
		t.Fatal(err)
	}
	tris := 0
	for _, m := range fm {
		tris += len(m.Indices) / 3
	}
	if tris != 3*10 { // 3 boxes of 4 walls and a roof, two triangles each
		t.Errorf("fine level: %d triangles", tris)
	}
}
