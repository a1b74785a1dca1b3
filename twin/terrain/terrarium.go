package terrain

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
)

// Terrarium tiles: 256×256 PNG in WebMercatorQuad, each pixel the normal height at its centre
// encoded as (R·256 + G + B/256) − 32768 metres; places without a DEM are 0 m.

const (
	terrariumSize = 256
	mercatorHalf  = 20037508.342789244
)

// TerrariumMaxZoom is the deepest Terrarium level worth serving: where a pixel is about the finest
// DEM's cell (MapLibre overzooms beyond it).
func (s *Service) TerrariumMaxZoom(ctx context.Context) (int, error) {
	return s.maxZoom(ctx, 2*mercatorHalf/terrariumSize, 17)
}

func (s *Service) maxZoom(ctx context.Context, size0 float64, limit int) (int, error) {
	dems, err := s.DEMs(ctx)
	if err != nil {
		return 0, err
	}
	if s.cfg.MaxZoom > 0 {
		limit = s.cfg.MaxZoom
	}
	z := 0
	for _, d := range dems {
		if d.Resolution > 0 {
			z = max(z, int(math.Ceil(math.Log2(size0/d.Resolution))))
		}
	}
	return min(max(z, 0), limit), nil
}

// CheckTile validates z/x/y of a tile matrix with cols×rows tiles at level 0 doubling per level.
func checkTile(z, x, y, cols0, rows0, maxZ int) error {
	if z < 0 || z > maxZ {
		return fmt.Errorf("zoom %d is outside 0–%d", z, maxZ)
	}
	if x < 0 || x >= cols0<<z || y < 0 || y >= rows0<<z {
		return fmt.Errorf("tile %d/%d/%d does not exist (x 0–%d, y 0–%d)", z, x, y, cols0<<z-1, rows0<<z-1)
	}
	return nil
}

// Terrarium returns the Terrarium PNG of WebMercatorQuad tile z/x/y (y from the north).
func (s *Service) Terrarium(ctx context.Context, z, x, y int) (Content, error) {
	if err := checkTile(z, x, y, 1, 1, 24); err != nil {
		return Content{}, invalid(err)
	}
	return s.cached(ctx, fmt.Sprintf("t/%d/%d/%d", z, x, y), func() (Content, error) {
		size := 2 * mercatorHalf / float64(int(1)<<z)
		px := size / terrariumSize
		minx, maxy := -mercatorHalf+float64(x)*size, mercatorHalf-float64(y)*size
		g := Grid{SRID: 3857, X0: minx + px/2, Y0: maxy - px/2, DX: px, DY: px, W: terrariumSize, H: terrariumSize,
			LonLat: [4]float64{mercLon(minx), mercLat(maxy - size), mercLon(minx + size), mercLat(maxy)}}
		hs, _, err := s.Heights(ctx, g)
		if err != nil {
			return Content{}, err
		}
		b, err := EncodeTerrarium(hs, terrariumSize, terrariumSize)
		if err != nil {
			return Content{}, err
		}
		return Content{Data: b, Type: "image/png"}, nil
	})
}

// EncodeTerrarium writes heights (row-major, NaN = none, written as 0 m) as a Terrarium PNG.
func EncodeTerrarium(hs []float64, w, h int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, v := range hs {
		if math.IsNaN(v) {
			v = 0
		}
		v = math.Max(-32768, math.Min(v, 32767.99)) + 32768
		r := math.Floor(v / 256)
		g := math.Floor(v - r*256)
		b := math.Floor((v - r*256 - g) * 256)
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = uint8(r), uint8(g), uint8(b), 255
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeTerrarium is the height of a Terrarium pixel.
func DecodeTerrarium(r, g, b uint8) float64 {
	return float64(r)*256 + float64(g) + float64(b)/256 - 32768
}

func mercLon(x float64) float64 { return x / mercatorHalf * 180 }
func mercLat(y float64) float64 {
	return (2*math.Atan(math.Exp(y/mercatorHalf*math.Pi)) - math.Pi/2) * 180 / math.Pi
}
