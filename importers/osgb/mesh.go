package osgb

import (
	"fmt"
	"math"
)

// Mesh is a triangle mesh with one material, flattened from a scene: transforms applied, state
// inherited down the graph.
type Mesh struct {
	Name      string
	Positions [][3]float64
	Normals   [][3]float32 // per vertex, or nil
	Colors    [][4]float32 // per vertex, or nil
	// UVs are texture coordinates of unit 0 in glTF convention (origin at the image's top left,
	// which is (s, 1-t) of OSG's), or nil.
	UVs       [][2]float32
	Indices   []uint32 // triangles, counter-clockwise
	BaseColor [4]float32
	Texture   *Texture // unit 0, or nil
}

// Meshes flattens the geometry this file shows: every Geode below the root, through groups,
// transforms and the in-file children of (Paged)LODs — the child files of a PagedLOD are not
// followed. Geometries without triangles (points, lines) are left out and counted in skipped.
func (s *Scene) Meshes() (meshes []*Mesh, skipped int, err error) {
	identity := [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	budget := s.budget
	if budget <= 0 {
		budget = math.MaxInt
	}
	var walk func(n *Node, m [16]float64, state *StateSet, path string) error
	walk = func(n *Node, m [16]float64, state *StateSet, path string) error {
		path += " > " + n.Class
		if n.StateSet != nil {
			state = merge(state, n.StateSet)
		}
		if n.Matrix != nil {
			m = mul(*n.Matrix, m)
		}
		for i, g := range n.Drawables {
			budget -= g.Vertices.Len()
			for _, p := range g.Primitives {
				budget -= len(p.Indices) + len(p.Lengths) + int(max(p.Count, 0))
			}
			if budget < 0 {
				return fmt.Errorf("%s: geometries shared by reference expand beyond 8 elements per byte of the file", s.File)
			}
			mesh, err := g.mesh(m, merge(state, g.StateSet))
			if err != nil {
				return fmt.Errorf("%s%s > osg::Geometry #%d %q: %w", s.File, path, i, g.Name, err)
			}
			if mesh == nil {
				skipped++
				continue
			}
			meshes = append(meshes, mesh)
		}
		for _, c := range visibleChildren(n) {
			if err := walk(c, m, state, path); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(s.Root, identity, nil, ""); err != nil {
		return nil, 0, err
	}
	return meshes, skipped, nil
}

// visibleChildren are the children whose geometry belongs to this file's level of detail: all of a
// group's; a PagedLOD's in-file children; of a plain LOD's children, the coarsest.
func visibleChildren(n *Node) []*Node {
	if n.LOD == nil || n.LOD.Paged || len(n.Children) <= 1 || len(n.LOD.Ranges) < len(n.Children) {
		return n.Children
	}
	best := 0
	for i := range n.Children {
		r, b := n.LOD.Ranges[i], n.LOD.Ranges[best]
		if n.LOD.RangeMode == PixelSizeOnScreen && r[0] < b[0] || n.LOD.RangeMode != PixelSizeOnScreen && r[1] > b[1] {
			best = i
		}
	}
	return n.Children[best : best+1]
}

// merge returns parent state overridden by child state.
func merge(parent, child *StateSet) *StateSet {
	if child == nil {
		return parent
	}
	if parent == nil {
		return child
	}
	out := *parent
	if child.Material != nil {
		out.Material = child.Material
	}
	if len(child.Textures) > 0 {
		out.Textures = append([]*Texture(nil), parent.Textures...)
		for i, t := range child.Textures {
			if t == nil {
				continue
			}
			for len(out.Textures) <= i {
				out.Textures = append(out.Textures, nil)
			}
			out.Textures[i] = t
		}
	}
	return &out
}

// mul returns a·b for OSG's row-vector matrices (a applied first).
func mul(a, b [16]float64) [16]float64 {
	var r [16]float64
	for i := range 4 {
		for j := range 4 {
			for k := range 4 {
				r[i*4+j] += a[i*4+k] * b[k*4+j]
			}
		}
	}
	return r
}

func (g *Geometry) mesh(m [16]float64, state *StateSet) (*Mesh, error) {
	v := g.Vertices
	if v.Len() == 0 {
		return nil, nil
	}
	if v.Size < 2 {
		return nil, fmt.Errorf("vertex array %s has %d components", v.Class, v.Size)
	}
	idx, err := g.Triangles()
	if err != nil {
		return nil, err
	}
	if len(idx) == 0 {
		return nil, nil
	}
	n := v.Len()
	mesh := &Mesh{Name: g.Name, Indices: idx, BaseColor: [4]float32{1, 1, 1, 1}, Positions: make([][3]float64, n)}
	for i := range n {
		p := v.Data[i*v.Size:]
		z := 0.0
		if v.Size > 2 {
			z = p[2]
		}
		x, y := p[0], p[1]
		mesh.Positions[i] = [3]float64{
			x*m[0] + y*m[4] + z*m[8] + m[12],
			x*m[1] + y*m[5] + z*m[9] + m[13],
			x*m[2] + y*m[6] + z*m[10] + m[14],
		}
	}
	if a := perVertex(g.Normals, n, 3); a != nil {
		mesh.Normals = make([][3]float32, n)
		for i := range n {
			x, y, z := a[i*3], a[i*3+1], a[i*3+2]
			nx, ny, nz := x*m[0]+y*m[4]+z*m[8], x*m[1]+y*m[5]+z*m[9], x*m[2]+y*m[6]+z*m[10]
			l := math.Sqrt(nx*nx + ny*ny + nz*nz)
			if l == 0 || math.IsNaN(l) || math.IsInf(l, 0) {
				nx, ny, nz, l = 0, 0, 1, 1
			}
			mesh.Normals[i] = [3]float32{float32(nx / l), float32(ny / l), float32(nz / l)}
		}
	}
	if a := perVertex(g.Colors, n, 4); a != nil {
		scale := 1.0
		if g.Colors.Class == "osg::Vec4ubArray" || g.Colors.Class == "osg::Vec3ubArray" {
			scale = 1.0 / 255
		}
		mesh.Colors = make([][4]float32, n)
		for i := range n {
			mesh.Colors[i] = [4]float32{float32(a[i*4] * scale), float32(a[i*4+1] * scale), float32(a[i*4+2] * scale), float32(a[i*4+3] * scale)}
		}
	}
	if state != nil {
		if state.Material != nil {
			mesh.BaseColor = state.Material.Diffuse
		}
		if len(state.Textures) > 0 && state.Textures[0] != nil && state.Textures[0].Image != nil && len(g.TexCoords) > 0 {
			if a := perVertex(g.TexCoords[0], n, 2); a != nil {
				mesh.Texture = state.Textures[0]
				mesh.UVs = make([][2]float32, n)
				for i := range n {
					mesh.UVs[i] = [2]float32{float32(a[i*2]), float32(1 - a[i*2+1])}
				}
			}
		}
	}
	return mesh, nil
}

// perVertex returns an attribute as n elements of size components (padding a missing alpha with 1),
// or nil when the array does not bind per vertex or overall.
func perVertex(a *Array, n, size int) []float64 {
	if a == nil || a.Len() == 0 {
		return nil
	}
	var src func(i int) []float64
	switch {
	case a.Len() == n && (a.Binding == BindPerVertex || a.Binding == BindUndefined):
		src = func(i int) []float64 { return a.Data[i*a.Size : (i+1)*a.Size] }
	case a.Binding == BindOverall:
		src = func(int) []float64 { return a.Data[:a.Size] }
	default:
		return nil
	}
	out := make([]float64, n*size)
	for i := range n {
		e := src(i)
		for c := range size {
			switch {
			case c < len(e):
				out[i*size+c] = e[c]
			case c == 3:
				out[i*size+c] = 1
			}
		}
	}
	return out
}

// Triangles returns the triangle list of the geometry's primitive sets (strips, fans, quads and
// polygons triangulated, points and lines left out), with every index checked against the
// vertex array.
func (g *Geometry) Triangles() ([]uint32, error) {
	n := g.Vertices.Len()
	var out []uint32
	for pi, p := range g.Primitives {
		seq, err := p.sequences(n)
		if err != nil {
			return nil, fmt.Errorf("primitive set #%d: %w", pi, err)
		}
		for _, s := range seq {
			for _, i := range s {
				if int(i) >= n {
					return nil, fmt.Errorf("primitive set #%d: index %d outside the %d vertices", pi, i, n)
				}
			}
			out = appendTriangles(out, p.Mode, s)
		}
	}
	return out, nil
}

// sequences returns the vertex index sequences a primitive set draws (one per DrawArrayLengths
// length, else one); n is the number of vertices.
func (p *Primitive) sequences(n int) ([][]uint32, error) {
	span := func(first, count int64) ([]uint32, error) {
		if first < 0 || count < 0 || first+count > int64(n) {
			return nil, fmt.Errorf("%s range first=%d count=%d outside the %d vertices", p.Kind, first, count, n)
		}
		s := make([]uint32, count)
		for i := range s {
			s[i] = uint32(first) + uint32(i)
		}
		return s, nil
	}
	switch p.Kind {
	case "DrawElements":
		return [][]uint32{p.Indices}, nil
	case "DrawArrays":
		s, err := span(int64(p.First), int64(p.Count))
		return [][]uint32{s}, err
	default:
		var out [][]uint32
		first := int64(p.First)
		for _, l := range p.Lengths {
			s, err := span(first, int64(l))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			first += int64(l)
		}
		return out, nil
	}
}

func appendTriangles(out []uint32, mode int32, s []uint32) []uint32 {
	tri := func(a, b, c uint32) {
		if a != b && b != c && a != c { // degenerate triangles (strip stitching) draw nothing
			out = append(out, a, b, c)
		}
	}
	switch mode {
	case ModeTriangles:
		for i := 0; i+2 < len(s); i += 3 {
			tri(s[i], s[i+1], s[i+2])
		}
	case ModeTriangleStrip:
		for i := 2; i < len(s); i++ {
			if i%2 == 0 {
				tri(s[i-2], s[i-1], s[i])
			} else {
				tri(s[i-1], s[i-2], s[i])
			}
		}
	case ModeTriangleFan, ModePolygon:
		for i := 2; i < len(s); i++ {
			tri(s[0], s[i-1], s[i])
		}
	case ModeQuads:
		for i := 0; i+3 < len(s); i += 4 {
			tri(s[i], s[i+1], s[i+2])
			tri(s[i], s[i+2], s[i+3])
		}
	case ModeQuadStrip:
		for i := 0; i+3 < len(s); i += 2 {
			tri(s[i], s[i+1], s[i+3])
			tri(s[i], s[i+3], s[i+2])
		}
	}
	return out
}
