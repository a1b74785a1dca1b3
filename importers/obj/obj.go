// Package obj reads Wavefront OBJ models with their MTL material libraries and textures: the
// exchange format of photogrammetry and modelling tools for textured city blocks. A model is read
// into triangle meshes, one per material, with vertices shared within a mesh.
//
// A material library or texture that the files name but that is missing is an error naming the
// file, the line and the missing path, never a silently untextured model.
package obj

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Model is an OBJ file's meshes and materials.
type Model struct {
	File      string
	Meshes    []*Mesh // one per (group, material) run of faces, in file order
	Materials map[string]*Material
	Warnings  []string
}

// Mesh is a triangle mesh with one material; Normals and UVs are per vertex or nil.
type Mesh struct {
	Name      string // the o/g name in effect
	Material  *Material
	Positions [][3]float64
	Normals   [][3]float32
	UVs       [][2]float32 // glTF convention: (u, 1-v) of the OBJ's texture coordinates
	Indices   []uint32     // triangles
}

// Material is an MTL material.
type Material struct {
	Name     string
	Diffuse  [3]float32 // Kd
	Ambient  [3]float32 // Ka
	Emissive [3]float32 // Ke
	Opacity  float32    // d, or 1 - Tr
	// Texture is the diffuse map (map_Kd) as an absolute path; the file exists.
	Texture string
}

// Error is a problem in a file at a line. Missing is set when the problem is a file that the
// line names but that does not exist (the error then wraps ErrMissing).
type Error struct {
	File    string
	Line    int
	Msg     string
	Missing string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrMissing is wrapped by errors for a material library or texture that does not exist.
var ErrMissing = errors.New("file not found")

func (e *Error) Unwrap() error {
	if e.Missing != "" {
		return ErrMissing
	}
	return nil
}

// ReadFile reads an OBJ file and the material libraries and textures it names.
func ReadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read parses an OBJ; name is its path (material libraries are resolved beside it).
func Read(name string, r io.Reader) (*Model, error) {
	p := &parser{model: &Model{File: name, Materials: map[string]*Material{}}, dir: filepath.Dir(name)}
	if err := p.parse(r); err != nil {
		return nil, err
	}
	return p.model, nil
}

type vertexKey struct{ v, vt, vn int }

type parser struct {
	model     *Model
	dir       string
	line      int
	v         [][3]float64
	vt        [][2]float32
	vn        [][3]float32
	group     string
	material  *Material
	mesh      *Mesh
	vertexMap map[vertexKey]uint32
}

func (p *parser) fail(format string, args ...any) error {
	return &Error{File: p.model.File, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var cont []byte
	for sc.Scan() {
		p.line++
		text := sc.Bytes()
		if n := len(text); n > 0 && text[n-1] == '\\' { // line continuation
			cont = append(cont, text[:n-1]...)
			cont = append(cont, ' ')
			continue
		}
		if cont != nil {
			text = append(cont, text...)
			cont = nil
		}
		if err := p.statement(text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return p.fail("%v", err)
	}
	kept := p.model.Meshes[:0]
	for _, m := range p.model.Meshes {
		if len(m.Indices) > 0 {
			kept = append(kept, m)
		}
	}
	p.model.Meshes = kept
	return nil
}

func (p *parser) statement(text []byte) error {
	if i := bytes.IndexByte(text, '#'); i >= 0 {
		text = text[:i]
	}
	fields := strings.Fields(string(text))
	if len(fields) == 0 {
		return nil
	}
	args := fields[1:]
	switch fields[0] {
	case "v":
		f, err := p.floats(args, 3, 3)
		if err != nil {
			return err
		}
		p.v = append(p.v, [3]float64{f[0], f[1], f[2]})
	case "vt":
		f, err := p.floats(args, 1, 2)
		if err != nil {
			return err
		}
		p.vt = append(p.vt, [2]float32{float32(f[0]), float32(f[1])})
	case "vn":
		f, err := p.floats(args, 3, 3)
		if err != nil {
			return err
		}
		l := math.Sqrt(f[0]*f[0] + f[1]*f[1] + f[2]*f[2])
		if l == 0 {
			l = 1
		}
		p.vn = append(p.vn, [3]float32{float32(f[0] / l), float32(f[1] / l), float32(f[2] / l)})
	case "f":
		return p.face(args)
	case "o", "g":
		name := strings.Join(args, " ")
		if name != p.group {
			p.group = name
			p.mesh = nil
		}
	case "usemtl":
		name := strings.Join(args, " ")
		m, ok := p.model.Materials[name]
		if !ok {
			return p.fail("usemtl %s: no such material in the material libraries (mtllib) read so far", name)
		}
		if m != p.material {
			p.material = m
			p.mesh = nil
		}
	case "mtllib":
		// file names may contain spaces; try the whole rest first, then each word
		rest := strings.Join(args, " ")
		if _, err := os.Stat(filepath.Join(p.dir, rest)); err == nil || len(args) == 1 {
			return p.mtllib(rest)
		}
		for _, a := range args {
			if err := p.mtllib(a); err != nil {
				return err
			}
		}
	case "l", "p", "s", "vp", "cstype", "deg", "curv", "surf", "mg", "usemap", "maplib", "bevel",
		"c_interp", "d_interp", "lod", "shadow_obj", "trace_obj", "ctech", "stech", "parm", "trim",
		"hole", "scrv", "sp", "end", "con", "step", "bmat":
	default:
		if len(p.model.Warnings) < 20 {
			p.model.Warnings = append(p.model.Warnings, fmt.Sprintf("%s line %d: unknown statement %q ignored", p.model.File, p.line, fields[0]))
		}
	}
	return nil
}

func (p *parser) floats(args []string, min, max int) ([]float64, error) {
	if len(args) < min {
		return nil, p.fail("expected %d numbers, found %d", min, len(args))
	}
	n := min
	if len(args) >= max {
		n = max
	} else {
		n = len(args)
	}
	out := make([]float64, max)
	for i := range n {
		f, err := strconv.ParseFloat(args[i], 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, p.fail("%q is not a number", args[i])
		}
		out[i] = f
	}
	return out, nil
}

// face adds a polygon, triangulated as a fan, to the current mesh.
func (p *parser) face(args []string) error {
	if len(args) < 3 {
		return p.fail("a face needs at least 3 vertices, found %d", len(args))
	}
	if p.mesh == nil {
		p.mesh = &Mesh{Name: p.group, Material: p.material}
		p.model.Meshes = append(p.model.Meshes, p.mesh)
		p.vertexMap = map[vertexKey]uint32{}
	}
	corners := make([]uint32, len(args))
	for i, a := range args {
		k, err := p.corner(a)
		if err != nil {
			return err
		}
		idx, ok := p.vertexMap[k]
		if !ok {
			idx = p.addVertex(k)
			p.vertexMap[k] = idx
		}
		corners[i] = idx
	}
	m := p.mesh
	for i := 2; i < len(corners); i++ {
		a, b, c := corners[0], corners[i-1], corners[i]
		if a != b && b != c && a != c {
			m.Indices = append(m.Indices, a, b, c)
		}
	}
	return nil
}

// corner parses v, v/vt, v//vn or v/vt/vn into 0-based indices (-1 for absent).
func (p *parser) corner(s string) (vertexKey, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return vertexKey{}, p.fail("face vertex %q has more than 3 parts", s)
	}
	k := vertexKey{-1, -1, -1}
	dst := []*int{&k.v, &k.vt, &k.vn}
	counts := []int{len(p.v), len(p.vt), len(p.vn)}
	what := []string{"vertex", "texture coordinate", "normal"}
	for i, part := range parts {
		if part == "" {
			if i == 0 {
				return k, p.fail("face vertex %q has no vertex index", s)
			}
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n == 0 {
			return k, p.fail("face vertex %q: %q is not an index", s, part)
		}
		if n < 0 {
			n += counts[i]
		} else {
			n--
		}
		if n < 0 || n >= counts[i] {
			return k, p.fail("face vertex %q: %s %s does not exist (%d defined so far)", s, what[i], part, counts[i])
		}
		*dst[i] = n
	}
	return k, nil
}

func (p *parser) addVertex(k vertexKey) uint32 {
	m := p.mesh
	idx := uint32(len(m.Positions))
	m.Positions = append(m.Positions, p.v[k.v])
	// A mesh has normals (or UVs) only if all its vertices do; the first vertex decides, and a later
	// vertex without them gets zeros (normals) or (0,0).
	if k.vn >= 0 && (idx == 0 || m.Normals != nil) {
		m.Normals = append(m.Normals, p.vn[k.vn])
	} else if m.Normals != nil {
		m.Normals = append(m.Normals, [3]float32{0, 0, 1})
	}
	if k.vt >= 0 && (idx == 0 || m.UVs != nil) {
		t := p.vt[k.vt]
		m.UVs = append(m.UVs, [2]float32{t[0], 1 - t[1]})
	} else if m.UVs != nil {
		m.UVs = append(m.UVs, [2]float32{0, 1})
	}
	return idx
}
