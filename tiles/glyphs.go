package tiles

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"golang.org/x/sync/singleflight"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/yitu-gis/yitu/spatial"
)

// SDF glyphs as MapLibre expects them: 24 px glyphs, a 3 px buffer, distances up to 8 px encoded with
// the edge at 192 (cutoff 0.25) — the parameters of Mapbox's fontnik and TinySDF.
const (
	glyphSize   = 24
	glyphBuffer = 3
	glyphRadius = 8.0
	glyphCutoff = 0.25
)

// glyphs generates SDF glyph ranges from the fonts in a directory (Debian's fonts-noto-cjk: Noto Sans
// and Serif CJK, Regular and Bold), on demand, and keeps what it generated.
type glyphs struct {
	dir string

	scanOnce sync.Once
	faces    map[string]*sfnt.Font // "Noto Sans CJK SC Regular" → face
	names    []string
	scanErr  error

	mu     sync.Mutex
	ranges map[string][]byte // fontstack + start → PBF
	flight singleflight.Group
}

func newGlyphs(dir string) *glyphs { return &glyphs{dir: dir, ranges: map[string][]byte{}} }

// scan indexes the faces of every font file in the directory by "family style".
func (g *glyphs) scan() {
	g.faces = map[string]*sfnt.Font{}
	files, err := filepath.Glob(filepath.Join(g.dir, "*.tt[cf]"))
	otf, _ := filepath.Glob(filepath.Join(g.dir, "*.otf"))
	files = append(files, otf...)
	if err != nil || len(files) == 0 {
		g.scanErr = fmt.Errorf("no fonts in %s (install the Debian package fonts-noto-cjk, or set tiles.font_dir)", g.dir)
		return
	}
	var buf sfnt.Buffer
	for _, path := range files {
		f, err := os.Open(path) // kept open: faces read their glyphs from it
		if err != nil {
			continue
		}
		c, err := sfnt.ParseCollectionReaderAt(f)
		if err != nil {
			f.Close()
			continue
		}
		for i := range c.NumFonts() {
			face, err := c.Font(i)
			if err != nil {
				continue
			}
			family, _ := face.Name(&buf, sfnt.NameIDFamily)
			style, _ := face.Name(&buf, sfnt.NameIDSubfamily)
			if typo, err := face.Name(&buf, sfnt.NameIDTypographicFamily); err == nil && typo != "" {
				family = typo
			}
			if typo, err := face.Name(&buf, sfnt.NameIDTypographicSubfamily); err == nil && typo != "" {
				style = typo
			}
			name := strings.TrimSpace(family + " " + style)
			if _, dup := g.faces[name]; !dup && family != "" {
				g.faces[name] = face
				g.names = append(g.names, name)
			}
		}
	}
	slices.Sort(g.names)
}

// Fonts lists the font names that glyphs can be made of.
func (s *Service) Fonts() ([]string, error) {
	s.glyphs.scanOnce.Do(s.glyphs.scan)
	return s.glyphs.names, s.glyphs.scanErr
}

// Glyphs returns the SDF glyph PBF of a font stack (comma-separated font names; each code point is
// taken from the first font that has it) for the 256 code points from start.
func (s *Service) Glyphs(fontstack string, start int) ([]byte, error) {
	g := s.glyphs
	g.scanOnce.Do(g.scan)
	if g.scanErr != nil {
		return nil, g.scanErr
	}
	var faces []*sfnt.Font
	for name := range strings.SplitSeq(fontstack, ",") {
		if f, ok := g.faces[strings.TrimSpace(name)]; ok {
			faces = append(faces, f)
		}
	}
	if len(faces) == 0 {
		return nil, spatial.NotFound("no font of the stack %q is installed (there are %s)", fontstack, strings.Join(g.names, ", "))
	}
	k := fmt.Sprintf("%s/%d", fontstack, start)
	g.mu.Lock()
	b, ok := g.ranges[k]
	g.mu.Unlock()
	if ok {
		return b, nil
	}
	v, err, _ := g.flight.Do(k, func() (any, error) {
		b, err := glyphRange(fontstack, faces, start)
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		g.ranges[k] = b
		g.mu.Unlock()
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// glyphRange encodes the glyphs protobuf (fontstack name, range, glyphs with SDF bitmaps and metrics).
func glyphRange(name string, faces []*sfnt.Font, start int) ([]byte, error) {
	var glyphsMsg []byte
	var buf sfnt.Buffer
	ppem := fixed.I(glyphSize)
	for r := rune(start); r < rune(start+256); r++ {
		for _, face := range faces {
			gi, err := face.GlyphIndex(&buf, r)
			if err != nil || gi == 0 {
				continue
			}
			gl, err := renderGlyph(&buf, face, gi, ppem)
			if err != nil {
				return nil, fmt.Errorf("glyph U+%04X of %s: %w", r, name, err)
			}
			gl.id = uint32(r)
			glyphsMsg = protowire.AppendTag(glyphsMsg, 3, protowire.BytesType)
			glyphsMsg = protowire.AppendBytes(glyphsMsg, gl.marshal())
			break
		}
	}
	var stack []byte
	stack = protowire.AppendTag(stack, 1, protowire.BytesType)
	stack = protowire.AppendString(stack, name)
	stack = protowire.AppendTag(stack, 2, protowire.BytesType)
	stack = protowire.AppendString(stack, fmt.Sprintf("%d-%d", start, start+255))
	stack = append(stack, glyphsMsg...)
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	return protowire.AppendBytes(out, stack), nil
}

type sdfGlyph struct {
	id            uint32
	bitmap        []byte
	width, height uint32
	left, top     int32
	advance       uint32
}

func (g *sdfGlyph) marshal() []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(g.id))
	if len(g.bitmap) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, g.bitmap)
	}
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(g.width))
	b = protowire.AppendTag(b, 4, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(g.height))
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(g.left)))
	b = protowire.AppendTag(b, 6, protowire.VarintType)
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(g.top)))
	b = protowire.AppendTag(b, 7, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(g.advance))
}

// renderGlyph rasterizes a glyph at 24 px and turns it into a signed distance field.
func renderGlyph(buf *sfnt.Buffer, face *sfnt.Font, gi sfnt.GlyphIndex, ppem fixed.Int26_6) (*sdfGlyph, error) {
	bounds, adv, err := face.GlyphBounds(buf, gi, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	m, err := face.Metrics(buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	out := &sdfGlyph{advance: uint32(max(adv.Round(), 0))}
	minX, minY := bounds.Min.X.Floor(), bounds.Min.Y.Floor()
	maxX, maxY := bounds.Max.X.Ceil(), bounds.Max.Y.Ceil()
	w, h := maxX-minX, maxY-minY
	if w <= 0 || h <= 0 {
		return out, nil // a space: advance only
	}
	segs, err := face.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return nil, err
	}
	cw, ch := w+2*glyphBuffer, h+2*glyphBuffer
	ras := vector.NewRasterizer(cw, ch)
	ox, oy := float32(glyphBuffer-minX), float32(glyphBuffer-minY) // y grows downwards in both
	p := func(a fixed.Point26_6) (float32, float32) {
		return float32(a.X)/64 + ox, float32(a.Y)/64 + oy
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(p(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(p(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := p(s.Args[0])
			x2, y2 := p(s.Args[1])
			ras.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := p(s.Args[0])
			x2, y2 := p(s.Args[1])
			x3, y3 := p(s.Args[2])
			ras.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	ras.ClosePath()
	alpha := image.NewAlpha(image.Rect(0, 0, cw, ch))
	ras.Draw(alpha, alpha.Bounds(), image.Opaque, image.Point{})
	out.bitmap = sdf(alpha.Pix, cw, ch)
	out.width, out.height = uint32(w), uint32(h)
	out.left = int32(minX)
	out.top = int32(-minY) - int32(m.Ascent.Ceil()) // fontnik's convention: from the ascender line
	return out, nil
}

// sdf turns coverage (0–255) into a signed distance field with exact Euclidean distance transforms of
// the outside and the inside (Felzenszwalb & Huttenlocher), anti-aliased edges placed sub-pixel.
func sdf(cov []byte, w, h int) []byte { return sdfRadius(cov, w, h, glyphRadius) }

// sdfRadius is sdf with distances up to radius pixels encoded.
func sdfRadius(cov []byte, w, h int, radius float64) []byte {
	n := w * h
	outer, inner := make([]float64, n), make([]float64, n)
	for i, c := range cov {
		a := float64(c) / 255
		switch {
		case a >= 1:
			outer[i], inner[i] = 0, edtInf
		case a <= 0:
			outer[i], inner[i] = edtInf, 0
		default:
			d := 0.5 - a
			outer[i], inner[i] = math.Max(0, d)*math.Max(0, d), math.Max(0, -d)*math.Max(0, -d)
		}
	}
	edt(outer, w, h)
	edt(inner, w, h)
	out := make([]byte, n)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/radius+glyphCutoff))
		out[i] = byte(max(0, min(255, v)))
	}
	return out
}

// edtInf stands for "no edge in reach": large, but finite so that the arithmetic stays finite.
const edtInf = 1e20

// edt is the 2D squared Euclidean distance transform in place: columns, then rows.
func edt(grid []float64, w, h int) {
	size := max(w, h)
	f, d := make([]float64, size), make([]float64, size)
	v, z := make([]int, size), make([]float64, size+1)
	for x := range w {
		for y := range h {
			f[y] = grid[y*w+x]
		}
		edt1d(f, d, v, z, h)
		for y := range h {
			grid[y*w+x] = d[y]
		}
	}
	for y := range h {
		copy(f, grid[y*w:y*w+w])
		edt1d(f, d, v, z, w)
		copy(grid[y*w:y*w+w], d[:w])
	}
}

func edt1d(f, d []float64, v []int, z []float64, n int) {
	k := 0
	v[0] = 0
	z[0], z[1] = math.Inf(-1), math.Inf(1)
	for q := 1; q < n; q++ {
		var s float64
		for {
			r := v[k]
			s = ((f[q] + float64(q*q)) - (f[r] + float64(r*r))) / float64(2*q-2*r)
			if s <= z[k] && k > 0 {
				k--
				continue
			}
			break
		}
		k++
		v[k] = q
		z[k] = s
		z[k+1] = math.Inf(1)
	}
	k = 0
	for q := range n {
		for z[k+1] < float64(q) {
			k++
		}
		r := v[k]
		d[q] = float64((q-r)*(q-r)) + f[r]
	}
}
