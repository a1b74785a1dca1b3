// Package oblique imports 3D city models into twin.model and its level-of-detail tree
// twin.model_node, which the twin package serves as the 3D Tiles tileset model-<name>:
//
//   - oblique photography as ContextCapture-style exports write it: a folder with metadata.xml (the
//     SRS as an EPSG code, ENU:lat,lon or WKT, and SRSOrigin) and Data/Tile_*/Tile_*.osgb PagedLOD
//     trees, read by importers/osgb. Each .osgb file becomes one tile with its in-file geometry as
//     textured glb content (twin/glb); its PagedLOD child files become the tile's children, and the
//     pixel-size ranges become geometric errors;
//   - OBJ models (importers/obj) with their MTL materials and textures, georeferenced by a
//     metadata.xml beside them or by an SRS and origin given on the command line;
//   - existing 3D Tiles tilesets (1.0 b3dm/i3dm/pnts/cmpt, 1.1 glb), stored tile by tile with their
//     content unchanged; implicit tiling (subtrees, availability, content templates) is expanded into
//     explicit tiles.
//
// Model coordinates become metres east, north and up of a frame at the source origin (exactly,
// through the SRS's projection for projected sources, with normal heights raised by the configured
// height offset to ellipsoidal heights); the frame's ENU→ECEF matrix is the model's root transform.
// Each tile's glb holds vertices relative to the tile's centre, whose offset is the tile's transform,
// and carries the tile as one feature (id = the twin.model_node row, layer twin.model_node) in
// EXT_structural_metadata. An import is one transaction: a bad file, an unknown SRS or a missing
// texture refuses it whole.
package oblique

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/osgb"
	"github.com/yitu-gis/yitu/twin/glb"
)

// Options georeference a model whose folder has no metadata.xml, and set heights.
type Options struct {
	// SRS and Origin replace a metadata.xml's: EPSG:4528, ENU:37.18,119.94 or WKT, and the point
	// the model's coordinates are relative to.
	SRS    string
	Origin [3]float64
	// HeightOffset turns the normal heights of a projected source into ellipsoidal heights
	// (twin.height_offset). ENU sources are ellipsoidal already. NaN: not configured — 0 is used
	// and the report says so.
	HeightOffset float64
}

// screenK is the pixels per radian-ish scale of a typical view (1080 pixels high, 60° field of
// view): K = H / (2 tan(fov/2)). It converts LOD distance ranges to geometric errors.
const screenK = 935.0

// cesiumSSE is the screen-space error at which 3D Tiles viewers refine (CesiumJS's default).
const cesiumSSE = 16.0

// georefFor resolves the georeference of a source: Options.SRS when given, else metadata.xml.
func georefFor(ctx context.Context, b *loader.Batch, metadata string, o Options) (*Georef, map[string]any, error) {
	asset := map[string]any{}
	srs, origin, where := o.SRS, o.Origin, "srs"
	if srs == "" {
		if metadata == "" {
			return nil, nil, invalid("srs", "no metadata.xml found and no SRS given: give --srs (EPSG:4528, ENU:lat,lon) and --origin")
		}
		md, err := ReadMetadata(metadata)
		if err != nil {
			return nil, nil, err
		}
		srs, origin, where = md.SRS, md.Origin, metadata+": <SRS>"
		asset["metadata"] = metadata
	}
	asset["srs"], asset["origin"] = srs, origin
	offset := o.HeightOffset
	if math.IsNaN(offset) {
		offset = 0
		if p, err := parseSRS(srs); err == nil && p.kind != srsENU {
			b.Warn("twin.height_offset is not configured: the model's normal heights are taken as ellipsoidal, so it sits about one geoid undulation (≈9 m in Laizhou) too low; set twin.height_offset (YITU_TWIN_HEIGHT_OFFSET)")
		}
	}
	asset["height_offset"] = offset
	g, err := newGeoref(ctx, b.Tx(), srs, origin, offset, where)
	if err != nil {
		return nil, nil, err
	}
	b.SetSourceCRS(clip(srs, 200))
	if g.Transformation != "" {
		b.Transformation(g.Transformation)
	}
	return g, asset, nil
}

// ImportOSGB imports a ContextCapture-style export folder, or one .osgb file with the PagedLOD tree
// below it, as one model.
func ImportOSGB(ctx context.Context, b *loader.Batch, path string, o Options) error {
	st, err := os.Stat(path)
	if err != nil {
		return invalid("path", "%v", err)
	}
	var roots []string
	var metadata, base string
	if st.IsDir() {
		metadata = filepath.Join(path, "metadata.xml")
		if _, err := os.Stat(metadata); err != nil {
			metadata = ""
		}
		base = filepath.Join(path, "Data")
		if roots, err = tileRoots(base); err != nil {
			return err
		}
	} else {
		metadata = findMetadata(filepath.Dir(path))
		base = filepath.Dir(path)
		roots = []string{path}
	}
	g, asset, err := georefFor(ctx, b, metadata, o)
	if err != nil {
		return err
	}
	asset["format"], asset["tiles"] = "osgb", len(roots)
	m, err := newModel(ctx, b, "oblique", g.SRS, g.RootTransform(), asset)
	if err != nil {
		return err
	}
	w := &osgbWalk{ctx: ctx, b: b, g: g, m: m, base: base, seen: map[string]bool{}}
	if len(roots) == 1 && !st.IsDir() {
		if _, _, err := w.visit(roots[0], 0, [3]float64{}, math.Inf(1), 0); err != nil {
			return err
		}
	} else {
		// A grouping root over the tiles, at the model frame's origin.
		rootID, err := m.nextID()
		if err != nil {
			return err
		}
		if err := m.insert(node{id: rootID, name: "Data", volume: emptyBox().volumeOr([3]float64{}), geometricError: 0}); err != nil {
			return err
		}
		all := emptyBox()
		maxErr := 0.0
		for i, r := range roots {
			sub, e, err := w.visit(r, rootID, [3]float64{}, math.Inf(1), i)
			if err != nil {
				return err
			}
			all.union(sub)
			maxErr = max(maxErr, e)
		}
		if err := m.update(rootID, all.volumeOr([3]float64{}), rootError(all, maxErr)); err != nil {
			return err
		}
	}
	return m.finish(b, frameExtent(g, m.bounds), asset)
}

// rootError is the geometric error of a grouping root: twice its children's, and at least a tenth
// of the model's extent, so that viewers descend into it from afar.
func rootError(all box, childErr float64) float64 {
	diag := 0.0
	if !all.empty() {
		d := [3]float64{all.max[0] - all.min[0], all.max[1] - all.min[1], all.max[2] - all.min[2]}
		diag = math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
	}
	return max(2*childErr, diag/10, 1)
}

// volumeOr is b's volume, or a one-metre box at origin when b is empty (a node without geometry).
func (b box) volumeOr(origin [3]float64) map[string][]float64 {
	if b.empty() {
		return map[string][]float64{"box": {0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5}}
	}
	return b.volume(origin)
}

// tileRoots lists Data/Tile_*/Tile_*.osgb: the root file of each tile folder.
func tileRoots(data string) ([]string, error) {
	entries, err := os.ReadDir(data)
	if err != nil {
		return nil, invalid("path", "not a ContextCapture export: %v (expected Data/Tile_*/Tile_*.osgb)", err)
	}
	var roots []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(data, e.Name(), e.Name()+".osgb")
		if _, err := os.Stat(p); err == nil {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		return nil, invalid("path", "%s holds no tile folder with its root file (Tile_x/Tile_x.osgb)", data)
	}
	slices.Sort(roots)
	return roots, nil
}

// osgbWalk builds the LOD tree depth first: a file's tile is written before its children, so each
// child can name its parent; a parent's bounding volume is widened to its subtree afterwards.
type osgbWalk struct {
	ctx  context.Context
	b    *loader.Batch
	g    *Georef
	m    *model
	base string          // node names are file paths relative to this, without .osgb
	seen map[string]bool // files already in the tree (a file referenced twice is a cycle)
}

// visit writes the tile of one .osgb file and, recursively, its child files. It returns the bounds
// of the subtree (model frame) and the tile's geometric error.
func (w *osgbWalk) visit(file string, parent int64, parentOrigin [3]float64, parentErr float64, order int) (box, float64, error) {
	w.seen[file] = true
	s, err := osgb.ReadFile(file)
	if err != nil {
		return box{}, 0, err
	}
	for _, msg := range s.Warnings {
		w.b.Warn(msg)
	}
	meshes, skipped, err := s.Meshes()
	if err != nil {
		return box{}, 0, err
	}
	if skipped > 0 {
		w.b.Warn(fmt.Sprintf("%s: %d geometries without triangles (points, lines) left out", file, skipped))
	}
	parts, err := osgbParts(meshes, filepath.Dir(file))
	if err != nil {
		return box{}, 0, fmt.Errorf("%s: %w", file, err)
	}
	bounds, err := georeference(w.ctx, w.g, parts)
	if err != nil {
		return box{}, 0, fmt.Errorf("%s: %w", file, err)
	}
	children, geomErr := pagedChildren(s, file, bounds)
	var kids []string
	for _, c := range children {
		switch {
		case w.seen[c]:
			w.b.Warn(fmt.Sprintf("%s: child tile %s is already in the tree; not followed again", file, c))
		default:
			if _, err := os.Stat(c); err != nil {
				w.b.Warn(fmt.Sprintf("%s: child tile %s is missing; this tile is shown at every distance", file, c))
				continue
			}
			kids = append(kids, c)
		}
	}
	if len(kids) == 0 {
		geomErr = 0
	}
	geomErr = min(geomErr, parentErr)
	id, err := w.m.nextID()
	if err != nil {
		return box{}, 0, err
	}
	origin := parentOrigin
	if !bounds.empty() {
		origin = bounds.center()
	}
	name := tileName(w.base, file)
	n := node{id: id, parent: parent, name: name, order: order, volume: bounds.volumeOr(origin), geometricError: geomErr,
		transform: translation(origin, parentOrigin)}
	if n.content, err = encodeGLB(parts, origin, tileFeature{nodeID: id, model: w.m.name, tile: name, dataset: w.m.datasetID}); err != nil {
		return box{}, 0, err
	}
	if n.content != nil {
		n.contentType = "glb"
	}
	if err := w.m.insert(n); err != nil {
		return box{}, 0, err
	}
	sub := bounds
	for i, c := range kids {
		cb, _, err := w.visit(c, id, origin, geomErr, i)
		if err != nil {
			return box{}, 0, err
		}
		sub.union(cb)
	}
	if sub != bounds {
		if err := w.m.update(id, sub.volumeOr(origin), geomErr); err != nil {
			return box{}, 0, err
		}
	}
	w.m.bounds.union(sub)
	return sub, geomErr, nil
}

func tileName(base, file string) string {
	rel, err := filepath.Rel(base, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(file)
	}
	return strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
}

// translation is the transform from a parent frame at parentOrigin to a child frame at origin
// (column-major), nil when they coincide.
func translation(origin, parentOrigin [3]float64) *[16]float64 {
	d := [3]float64{origin[0] - parentOrigin[0], origin[1] - parentOrigin[1], origin[2] - parentOrigin[2]}
	if d == [3]float64{} {
		return nil
	}
	return &[16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, d[0], d[1], d[2], 1}
}

// pagedChildren lists the child files of a scene's PagedLODs and the geometric error at which the
// file's tile gives way to them: OSG shows a finer child once the node's bounding sphere covers P
// pixels (or the eye comes closer than D), 3D Tiles once error·K/distance exceeds 16 pixels; equal
// switching distances give error = 16·2r/P (pixel-size ranges) or 16·D/K (distance ranges).
func pagedChildren(s *osgb.Scene, file string, bounds box) ([]string, float64) {
	var files []string
	geomErr := 0.0
	radius := 0.0
	if !bounds.empty() {
		d := [3]float64{bounds.max[0] - bounds.min[0], bounds.max[1] - bounds.min[1], bounds.max[2] - bounds.min[2]}
		radius = math.Sqrt(d[0]*d[0]+d[1]*d[1]+d[2]*d[2]) / 2
	}
	var walk func(n *osgb.Node)
	walk = func(n *osgb.Node) {
		if l := n.LOD; l != nil && l.Paged {
			r := radius
			if l.Radius > 0 {
				r = l.Radius
			}
			for i, f := range l.FileNames {
				if f == "" || i >= len(l.Ranges) {
					continue
				}
				p := filepath.Join(filepath.Dir(file), filepath.FromSlash(l.DatabasePath), filepath.FromSlash(strings.ReplaceAll(f, `\`, "/")))
				if !slices.Contains(files, p) {
					files = append(files, p)
				}
				var e float64
				if l.RangeMode == osgb.PixelSizeOnScreen {
					if px := float64(l.Ranges[i][0]); px > 0 {
						e = cesiumSSE * 2 * r / px
					}
				} else if d := float64(l.Ranges[i][1]); d > 0 && d < 1e29 {
					e = cesiumSSE * d / screenK
				}
				geomErr = max(geomErr, e)
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(s.Root)
	return files, geomErr
}

// osgbParts turns an OSGB file's meshes into parts with glb materials (unlit: photogrammetry
// textures carry their light), sharing images and materials within the file.
func osgbParts(meshes []*osgb.Mesh, dir string) ([]*part, error) {
	images := map[*osgb.Image]*glb.Image{}
	type matKey struct {
		img   *glb.Image
		color [4]float32
	}
	materials := map[matKey]*glb.Material{}
	var parts []*part
	for _, m := range meshes {
		var img *glb.Image
		if m.Texture != nil && m.UVs != nil {
			src := m.Texture.Image
			img = images[src]
			if img == nil {
				data, mime, err := src.Encoded(dir)
				if err != nil {
					return nil, err
				}
				img = &glb.Image{Name: src.FileName, MIMEType: mime, Data: data, Repeat: m.Texture.WrapS == glRepeat || m.Texture.WrapT == glRepeat}
				images[src] = img
			}
		}
		k := matKey{img, m.BaseColor}
		mat := materials[k]
		if mat == nil {
			mat = &glb.Material{BaseColor: m.BaseColor, Texture: img, Roughness: 1, Unlit: true}
			materials[k] = mat
		}
		p := &part{positions: m.Positions, normals: m.Normals, indices: m.Indices, material: mat}
		if img != nil {
			p.uvs = m.UVs
		}
		parts = append(parts, p)
	}
	return parts, nil
}

const glRepeat = 0x2901
