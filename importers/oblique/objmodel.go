package oblique

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/obj"
	"github.com/yitu-gis/yitu/importers/osgb"
	"github.com/yitu-gis/yitu/twin/glb"
)

// ImportOBJ imports an OBJ file, or a folder of OBJ files (one tile each), with their materials and
// textures as one model. Coordinates are z-up (east, north, up) relative to the origin of a
// metadata.xml beside the files (or up to two folders above), or of Options.SRS and Origin.
func ImportOBJ(ctx context.Context, b *loader.Batch, path string, o Options) error {
	st, err := os.Stat(path)
	if err != nil {
		return invalid("path", "%v", err)
	}
	files := []string{path}
	dir := filepath.Dir(path)
	if st.IsDir() {
		dir = path
		if files, err = objFiles(path); err != nil {
			return err
		}
	}
	// Read every file first: a missing MTL or texture refuses the import before anything is written.
	models := make([]*obj.Model, len(files))
	for i, f := range files {
		if models[i], err = obj.ReadFile(f); err != nil {
			return err
		}
		for _, w := range models[i].Warnings {
			b.Warn(w)
		}
	}
	g, asset, err := georefFor(ctx, b, findMetadata(dir), o)
	if err != nil {
		return err
	}
	asset["format"], asset["files"] = "obj", len(files)
	m, err := newModel(ctx, b, "obj", g.SRS, g.RootTransform(), asset)
	if err != nil {
		return err
	}
	images := map[string]*glb.Image{}
	var parent int64
	if len(files) > 1 {
		if parent, err = m.nextID(); err != nil {
			return err
		}
		if err := m.insert(node{id: parent, name: filepath.Base(dir), volume: emptyBox().volumeOr([3]float64{})}); err != nil {
			return err
		}
	}
	for i, f := range files {
		parts, err := objParts(models[i], images)
		if err != nil {
			return err
		}
		bounds, err := georeference(ctx, g, parts)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		id, err := m.nextID()
		if err != nil {
			return err
		}
		origin := bounds.center()
		if bounds.empty() {
			origin = [3]float64{}
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		n := node{id: id, parent: parent, name: name, order: i, volume: bounds.volumeOr(origin), transform: translation(origin, [3]float64{})}
		if n.content, err = encodeGLB(parts, origin, tileFeature{nodeID: id, model: m.name, tile: name, dataset: m.datasetID}); err != nil {
			return err
		}
		if n.content == nil {
			return invalid(f, "the OBJ has no faces")
		}
		n.contentType = "glb"
		if err := m.insert(n); err != nil {
			return err
		}
		m.bounds.union(bounds)
	}
	if parent != 0 {
		if err := m.update(parent, m.bounds.volumeOr([3]float64{}), rootError(m.bounds, 0)); err != nil {
			return err
		}
	}
	return m.finish(b, frameExtent(g, m.bounds), asset)
}

func objFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, invalid("path", "%v", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".obj") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, invalid("path", "%s holds no .obj file", dir)
	}
	slices.Sort(files)
	return files, nil
}

// objParts turns an OBJ's meshes into parts. Textured materials are unlit (photographs carry their
// light); plain colours are lit. Texture images are shared across the files of one import.
func objParts(model *obj.Model, images map[string]*glb.Image) ([]*part, error) {
	materials := map[*obj.Material]*glb.Material{}
	var parts []*part
	for _, mesh := range model.Meshes {
		mat := &glb.Material{BaseColor: [4]float32{0.8, 0.8, 0.8, 1}, Roughness: 1}
		if src := mesh.Material; src != nil {
			if materials[src] == nil {
				mm := &glb.Material{Name: src.Name, Roughness: 1,
					BaseColor: [4]float32{src.Diffuse[0], src.Diffuse[1], src.Diffuse[2], src.Opacity}}
				if src.Texture != "" {
					img := images[src.Texture]
					if img == nil {
						data, err := os.ReadFile(src.Texture)
						if err != nil {
							return nil, fmt.Errorf("%s: material %s: %w", model.File, src.Name, err)
						}
						enc, mime, err := osgb.EncodeTexture(data, src.Texture)
						if err != nil {
							return nil, fmt.Errorf("%s: material %s: %w", model.File, src.Name, err)
						}
						img = &glb.Image{Name: filepath.Base(src.Texture), MIMEType: mime, Data: enc, Repeat: true}
						images[src.Texture] = img
					}
					mm.Texture, mm.Unlit = img, true
					mm.BaseColor = [4]float32{1, 1, 1, src.Opacity}
				}
				materials[src] = mm
			}
			mat = materials[src]
		}
		if mat.Texture != nil && mesh.UVs == nil { // faces without texture coordinates: the colour alone
			plain := *mat
			plain.Texture, plain.Unlit = nil, false
			mat = &plain
		}
		p := &part{positions: mesh.Positions, normals: mesh.Normals, indices: mesh.Indices, material: mat}
		if mat.Texture != nil {
			p.uvs = mesh.UVs
		}
		parts = append(parts, p)
	}
	return parts, nil
}
