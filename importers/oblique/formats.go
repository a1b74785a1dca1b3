package oblique

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/yitu-gis/yitu/importers/loader"
)

// The import formats of this package for the importers registry (yitu import <path>).
type (
	// OSGB is a ContextCapture-style export folder (metadata.xml, Data/Tile_*/Tile_*.osgb) or one
	// .osgb file with the PagedLOD tree below it.
	OSGB struct{}
	// OBJ is an OBJ file or a folder of OBJ tiles, with MTL materials and textures.
	OBJ struct{}
	// Tileset is an existing 3D Tiles tileset: a tileset.json or a folder holding one.
	Tileset struct{}
)

func (OSGB) Name() string              { return "osgb" }
func (OBJ) Name() string               { return "obj" }
func (Tileset) Name() string           { return "3dtiles" }
func (OSGB) Kind(loader.Source) string { return "oblique" }
func (OSGB) AnyEPSG()                  {} // any SRS PostGIS knows, and ENU frames
func (OBJ) AnyEPSG()                   {}
func (OBJ) Kind(loader.Source) string  { return "oblique" }
func (Tileset) Kind(loader.Source) string {
	return "tileset"
}

// osgbMagic is the OpenSceneGraph binary header.
var osgbMagic = []byte{0xA1, 0x0E, 0x91, 0x6C, 0x45, 0x45, 0xFB, 0x1A}

// Sniff: an .osgb file by its header; a folder with Data/Tile_x/Tile_x.osgb.
func (OSGB) Sniff(path string, head []byte) bool {
	if head != nil {
		return bytes.HasPrefix(head, osgbMagic)
	}
	_, err := tileRoots(filepath.Join(path, "Data"))
	return err == nil
}

// Sniff: a file named .obj whose first statements are OBJ's; a folder of .obj files.
func (OBJ) Sniff(path string, head []byte) bool {
	if head != nil {
		return strings.EqualFold(filepath.Ext(path), ".obj") && looksLikeOBJ(head)
	}
	files, err := objFiles(path)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(files[0])
	return err == nil && looksLikeOBJ(b[:min(len(b), 4096)])
}

func looksLikeOBJ(head []byte) bool {
	seen := 0
	for _, line := range strings.Split(string(head), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "v", "vt", "vn", "f", "o", "g", "s", "mtllib", "usemtl":
			seen++
		default:
			return false
		}
		if seen >= 3 {
			break
		}
	}
	return seen > 0
}

// Sniff: a JSON file with a tileset's asset and root; a folder holding tileset.json.
func (Tileset) Sniff(path string, head []byte) bool {
	if head == nil {
		b, err := os.ReadFile(filepath.Join(path, "tileset.json"))
		if err != nil {
			return false
		}
		head = b[:min(len(b), 4096)]
	}
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	return bytes.HasPrefix(h, []byte("{")) && bytes.Contains(head, []byte(`"asset"`)) &&
		(bytes.Contains(head, []byte(`"geometricError"`)) || bytes.Contains(head, []byte(`"root"`)))
}

// options turns the import's flags into Options: --srs and --origin, and the height offset.
func options(src loader.Source) Options {
	o := Options{SRS: src.SRS}
	if o.SRS == "" && src.CRS != nil {
		o.SRS = src.CRS.Code()
	}
	if src.Origin != nil {
		o.Origin = *src.Origin
	}
	o.HeightOffset = math.NaN() // not configured: georefFor warns where it matters
	if src.HeightOffset != nil {
		o.HeightOffset = *src.HeightOffset
	}
	return o
}

func (OSGB) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return ImportOSGB(ctx, b, src.Path, options(src))
}

func (OBJ) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return ImportOBJ(ctx, b, src.Path, options(src))
}

func (Tileset) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	if src.SRS != "" || src.Origin != nil {
		return fmt.Errorf("a 3D Tiles tileset carries its own georeference (ECEF); --srs and --origin do not apply")
	}
	return ImportTileset(ctx, b, src.Path)
}
