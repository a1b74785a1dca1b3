package oblique

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/yitu-gis/yitu/twin/glb"
)

// part is a triangle mesh with one material, read from a source file: positions relative to the
// source origin until georeference turns them into the model frame (east, north, up metres).
type part struct {
	positions [][3]float64
	normals   [][3]float32 // or nil
	uvs       [][2]float32 // glTF convention, or nil
	indices   []uint32
	material  *glb.Material
}

// box is an axis-aligned box in the model frame.
type box struct{ min, max [3]float64 }

func emptyBox() box {
	return box{[3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}}
}

func (b box) empty() bool { return b.min[0] > b.max[0] }

func (b *box) add(p [3]float64) {
	for k := range 3 {
		b.min[k], b.max[k] = min(b.min[k], p[k]), max(b.max[k], p[k])
	}
}

func (b *box) union(o box) {
	if !o.empty() {
		b.add(o.min)
		b.add(o.max)
	}
}

func (b box) center() [3]float64 {
	return [3]float64{(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2}
}

// volume is the 3D Tiles bounding volume of b in a frame whose origin is at origin.
func (b box) volume(origin [3]float64) map[string][]float64 {
	c := b.center()
	h := [3]float64{}
	for k := range 3 {
		h[k] = max((b.max[k]-b.min[k])/2, 0.01) // a flat box still has some thickness
	}
	return map[string][]float64{"box": {c[0] - origin[0], c[1] - origin[1], c[2] - origin[2], h[0], 0, 0, 0, h[1], 0, 0, 0, h[2]}}
}

// georeference converts the parts' positions (and normals) to the model frame, in one batch, and
// returns their bounds. Normals turn with the map: the local Jacobian at the parts' centre, taken by
// converting three points one metre off it along with the vertices.
func georeference(ctx context.Context, g *Georef, parts []*part) (box, error) {
	n := 0
	src := emptyBox()
	for _, p := range parts {
		n += len(p.positions)
		for _, v := range p.positions {
			src.add(v)
		}
	}
	bounds := emptyBox()
	if n == 0 {
		return bounds, nil
	}
	c := src.center()
	all := make([][3]float64, 0, n+4)
	for _, p := range parts {
		all = append(all, p.positions...)
	}
	all = append(all, c, [3]float64{c[0] + 1, c[1], c[2]}, [3]float64{c[0], c[1] + 1, c[2]}, [3]float64{c[0], c[1], c[2] + 1})
	if err := g.ToLocal(ctx, all); err != nil {
		return bounds, err
	}
	o := all[n]
	var jac [3][3]float64 // columns: images of the unit axes
	for k := range 3 {
		q := all[n+1+k]
		jac[k] = [3]float64{q[0] - o[0], q[1] - o[1], q[2] - o[2]}
	}
	i := 0
	for _, p := range parts {
		copy(p.positions, all[i:i+len(p.positions)])
		i += len(p.positions)
		for _, v := range p.positions {
			bounds.add(v)
		}
		for j, nv := range p.normals {
			x, y, z := float64(nv[0]), float64(nv[1]), float64(nv[2])
			r := [3]float64{}
			for k := range 3 {
				r[k] = jac[0][k]*x + jac[1][k]*y + jac[2][k]*z
			}
			l := math.Sqrt(r[0]*r[0] + r[1]*r[1] + r[2]*r[2])
			if l > 0 {
				p.normals[j] = [3]float32{float32(r[0] / l), float32(r[1] / l), float32(r[2] / l)}
			}
		}
	}
	return bounds, nil
}

// tileFeature describes the one feature a model tile's glb carries: the twin.model_node row.
type tileFeature struct {
	nodeID  int64
	model   string
	tile    string
	dataset int64
}

// encodeGLB writes the parts as a glb in the frame of a tile whose origin is at origin (model
// frame), y-up, with the tile as one feature (id, layer, model, tile) in EXT_structural_metadata.
func encodeGLB(parts []*part, origin [3]float64, f tileFeature) ([]byte, error) {
	table := &glb.PropertyTable{Class: "model_tile", Name: "模型瓦片 Model tile", Count: 1, Properties: []glb.Property{
		{Name: "id", Title: "编号 id", Strings: []string{strconv.FormatInt(f.nodeID, 10)}},
		{Name: "layer", Title: "图层 layer", Strings: []string{"twin.model_node"}},
		{Name: "model", Title: "模型 model", Strings: []string{f.model}},
		{Name: "tile", Title: "瓦片 tile", Strings: []string{f.tile}},
		{Name: "dataset", Title: "数据集 dataset", Strings: []string{strconv.FormatInt(f.dataset, 10)}},
	}}
	mesh := &glb.Mesh{Name: f.tile}
	for _, p := range parts {
		if len(p.indices) == 0 {
			continue
		}
		prim := &glb.Primitive{Indices: p.indices, UVs: p.uvs, Material: p.material, Table: table,
			Positions: make([][3]float32, len(p.positions)), FeatureIDs: make([]uint32, len(p.positions))}
		for i, v := range p.positions {
			prim.Positions[i] = glb.YUp(v[0]-origin[0], v[1]-origin[1], v[2]-origin[2])
		}
		if p.normals != nil {
			prim.Normals = make([][3]float32, len(p.normals))
			for i, nv := range p.normals {
				prim.Normals[i] = glb.YUp(float64(nv[0]), float64(nv[1]), float64(nv[2]))
			}
		}
		mesh.Primitives = append(mesh.Primitives, prim)
	}
	if len(mesh.Primitives) == 0 {
		return nil, nil
	}
	b, err := glb.Marshal(&glb.Model{Nodes: []*glb.Node{{Name: f.tile, Mesh: mesh}}})
	if err != nil {
		return nil, fmt.Errorf("tile %s: %w", f.tile, err)
	}
	return b, nil
}
