package tiles

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/vector"
)

// SpriteSheet is a sprite image and its index (MapLibre's sprite format).
type SpriteSheet struct {
	PNG   []byte
	Index []byte
}

// spriteIcon is a map symbol of the one-map style. Icons are SDF (the style colours them: a valve on
// a gas line is magenta, on a water main blue, after CJJ 61), drawn on a 16-pixel grid.
type spriteIcon struct {
	name string
	draw func(r *vector.Rasterizer, s float32) // s: pixels per grid unit
}

func circle(r *vector.Rasterizer, cx, cy, rad float32) {
	const n = 24
	for i := 0; i <= n; i++ {
		a := float64(i) / n * 2 * math.Pi
		x, y := cx+rad*float32(math.Cos(a)), cy+rad*float32(math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

func poly(r *vector.Rasterizer, s float32, pts ...float32) {
	r.MoveTo(pts[0]*s, pts[1]*s)
	for i := 2; i+1 < len(pts); i += 2 {
		r.LineTo(pts[i]*s, pts[i+1]*s)
	}
	r.ClosePath()
}

// The icons, on a 16 × 16 grid (y down). Rings are drawn as two circles of opposite direction.
var spriteIcons = []spriteIcon{
	{"pipe_point", func(r *vector.Rasterizer, s float32) { circle(r, 8*s, 8*s, 4*s) }},
	{"manhole", func(r *vector.Rasterizer, s float32) { // 检修井: a ring
		circle(r, 8*s, 8*s, 6.5*s)
		ringHole(r, 8*s, 8*s, 4*s)
	}},
	{"valve", func(r *vector.Rasterizer, s float32) { // 阀门: a bow tie
		poly(r, s, 2, 3, 8, 8, 2, 13)
		poly(r, s, 14, 3, 8, 8, 14, 13)
	}},
	{"hydrant", func(r *vector.Rasterizer, s float32) { // 消防栓: a circle with a bar
		circle(r, 8*s, 9*s, 5*s)
		poly(r, s, 7, 1, 9, 1, 9, 5, 7, 5)
	}},
	{"control_point", func(r *vector.Rasterizer, s float32) { // 控制点: a triangle
		poly(r, s, 8, 1.5, 14.5, 13.5, 1.5, 13.5)
	}},
	{"elevation_point", func(r *vector.Rasterizer, s float32) { circle(r, 8*s, 8*s, 2*s) }}, // 高程点
	{"square", func(r *vector.Rasterizer, s float32) { poly(r, s, 3, 3, 13, 3, 13, 13, 3, 13) }},
}

// ringHole cuts a hole: a circle traced the other way round (nonzero winding).
func ringHole(r *vector.Rasterizer, cx, cy, rad float32) {
	const n = 24
	for i := 0; i <= n; i++ {
		a := -float64(i) / n * 2 * math.Pi
		x, y := cx+rad*float32(math.Cos(a)), cy+rad*float32(math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

type spriteEntry struct {
	Width      int  `json:"width"`
	Height     int  `json:"height"`
	X          int  `json:"x"`
	Y          int  `json:"y"`
	PixelRatio int  `json:"pixelRatio"`
	SDF        bool `json:"sdf"`
}

// sprites holds the sheets, made on first use.
type sprites struct {
	once  [2]sync.Once
	sheet [2]*SpriteSheet
	err   [2]error
}

// Sprite returns the one-map sprite sheet at a pixel ratio (1 or 2).
func (s *Service) Sprite(scale int) (*SpriteSheet, error) {
	scale = min(max(scale, 1), 2)
	sp := &s.sprites
	sp.once[scale-1].Do(func() { sp.sheet[scale-1], sp.err[scale-1] = buildSprite(scale) })
	return sp.sheet[scale-1], sp.err[scale-1]
}

func buildSprite(scale int) (*SpriteSheet, error) {
	const grid, pad = 16, 4 // the SDF needs room around the shape
	cell := (grid + 2*pad) * scale
	img := image.NewNRGBA(image.Rect(0, 0, cell*len(spriteIcons), cell))
	index := map[string]spriteEntry{}
	for i, icon := range spriteIcons {
		sub := vector.NewRasterizer(cell, cell)
		icon.draw(sub, float32(scale))
		alpha := image.NewAlpha(image.Rect(0, 0, cell, cell))
		// Draw offset by the padding.
		off := image.NewAlpha(image.Rect(0, 0, cell, cell))
		sub.Draw(off, off.Bounds(), image.Opaque, image.Point{})
		for y := 0; y < cell-pad*scale; y++ {
			for x := 0; x < cell-pad*scale; x++ {
				alpha.Pix[(y+pad*scale)*cell+x+pad*scale] = off.Pix[y*cell+x]
			}
		}
		field := sdfRadius(alpha.Pix, cell, cell, float64(pad*scale))
		for y := range cell {
			for x := range cell {
				img.SetNRGBA(i*cell+x, y, color.NRGBA{0, 0, 0, field[y*cell+x]})
			}
		}
		index[icon.name] = spriteEntry{Width: cell, Height: cell, X: i * cell, Y: 0, PixelRatio: scale, SDF: true}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	idx, err := json.Marshal(index)
	if err != nil {
		return nil, err
	}
	return &SpriteSheet{PNG: buf.Bytes(), Index: idx}, nil
}
