package osgb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// GL pixel formats and types an osg::Image may carry.
const (
	glRGB            = 0x1907
	glRGBA           = 0x1908
	glLuminance      = 0x1909
	glLuminanceAlpha = 0x190A
	glAlpha          = 0x1906
	glRed            = 0x1903
	glBGR            = 0x80E0
	glBGRA           = 0x80E1
	glUnsignedByte   = 0x1401
	glDXT1           = 0x83F0 // GL_COMPRESSED_RGB_S3TC_DXT1_EXT
	glDXT1A          = 0x83F1 // GL_COMPRESSED_RGBA_S3TC_DXT1_EXT
	glDXT3           = 0x83F2
	glDXT5           = 0x83F3
)

// Encoded returns the image as a file that a glTF can carry — JPEG or PNG bytes and their MIME
// type — so that texture coordinate (s, t) of the scene maps to glTF (s, 1-t). Embedded or
// referenced JPEG and PNG files are returned unchanged (OSG flips them when it loads them);
// inline pixel data, DXT blocks and DDS files are decoded and written as PNG with their first row
// at the bottom, as OpenGL uploads them. dir resolves a referenced file name.
func (im *Image) Encoded(dir string) ([]byte, string, error) {
	switch im.Storage {
	case ImageInlineFile:
		return EncodeTexture(im.File, im.FileName+" (embedded)")
	case ImageInlineData:
		img, err := im.decodePixels()
		if err != nil {
			return nil, "", err
		}
		return encodePNG(img)
	default:
		if im.FileName == "" {
			return nil, "", fmt.Errorf("texture image has no data and no file name")
		}
		p := im.FileName
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, filepath.FromSlash(p))
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", fmt.Errorf("texture image %s: %w", p, err)
		}
		return EncodeTexture(b, p)
	}
}

// EncodeTexture returns an image file's bytes as a glTF texture: JPEG and PNG unchanged, DDS
// (DXT1/3/5, RGB(A)) decoded to PNG with its first row at the bottom. name is used in errors.
func EncodeTexture(b []byte, name string) ([]byte, string, error) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return b, "image/jpeg", nil
	case len(b) >= 8 && bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")):
		return b, "image/png", nil
	case len(b) >= 4 && string(b[:4]) == "DDS ":
		img, err := decodeDDS(b)
		if err != nil {
			return nil, "", fmt.Errorf("texture image %s: %w", name, err)
		}
		return encodePNG(img)
	}
	return nil, "", fmt.Errorf("texture image %s: not a JPEG, PNG or DDS file", name)
}

func encodePNG(img image.Image) ([]byte, string, error) {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "image/png", nil
}

// decodePixels turns inline pixel data into an image, row 0 at the bottom.
func (im *Image) decodePixels() (*image.NRGBA, error) {
	w, h := int(im.Width), int(im.Height)
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, fmt.Errorf("texture image %q: size %dx%d", im.FileName, w, h)
	}
	switch im.PixelFormat {
	case glDXT1, glDXT1A, glDXT3, glDXT5:
		return decodeDXT(uint32(im.PixelFormat), im.Pixels, w, h, im.FileName)
	}
	if im.DataType != glUnsignedByte {
		return nil, fmt.Errorf("texture image %q: pixel data type 0x%X is not supported (only GL_UNSIGNED_BYTE)", im.FileName, im.DataType)
	}
	var comps int
	switch im.PixelFormat {
	case glRGB, glBGR:
		comps = 3
	case glRGBA, glBGRA:
		comps = 4
	case glLuminance, glAlpha, glRed:
		comps = 1
	case glLuminanceAlpha:
		comps = 2
	default:
		return nil, fmt.Errorf("texture image %q: pixel format 0x%X is not supported", im.FileName, im.PixelFormat)
	}
	pack := int(im.Packing)
	if pack <= 0 {
		pack = 1
	}
	stride := (w*comps + pack - 1) / pack * pack
	if len(im.Pixels) < stride*(h-1)+w*comps {
		return nil, fmt.Errorf("texture image %q: %d bytes of pixel data for %dx%d", im.FileName, len(im.Pixels), w, h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		src := im.Pixels[y*stride:]
		dst := img.Pix[(h-1-y)*img.Stride:]
		for x := range w {
			s := src[x*comps:]
			var c [4]uint8
			switch im.PixelFormat {
			case glRGB:
				c = [4]uint8{s[0], s[1], s[2], 255}
			case glBGR:
				c = [4]uint8{s[2], s[1], s[0], 255}
			case glRGBA:
				c = [4]uint8{s[0], s[1], s[2], s[3]}
			case glBGRA:
				c = [4]uint8{s[2], s[1], s[0], s[3]}
			case glLuminance, glRed:
				c = [4]uint8{s[0], s[0], s[0], 255}
			case glAlpha:
				c = [4]uint8{255, 255, 255, s[0]}
			case glLuminanceAlpha:
				c = [4]uint8{s[0], s[0], s[0], s[1]}
			}
			copy(dst[x*4:], c[:])
		}
	}
	return img, nil
}

// decodeDXT decodes S3TC blocks (4×4 texels; 8 bytes for DXT1, 16 for DXT3/5), row 0 at the bottom.
func decodeDXT(format uint32, data []byte, w, h int, name string) (*image.NRGBA, error) {
	bw, bh := (w+3)/4, (h+3)/4
	blockSize := 16
	if format == glDXT1 || format == glDXT1A {
		blockSize = 8
	}
	if len(data) < bw*bh*blockSize {
		return nil, fmt.Errorf("texture image %q: %d bytes of DXT data for %dx%d", name, len(data), w, h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	var texels [16][4]uint8
	for by := range bh {
		for bx := range bw {
			b := data[(by*bw+bx)*blockSize:]
			switch format {
			case glDXT1, glDXT1A:
				colorBlock(b, true, &texels)
			case glDXT3:
				colorBlock(b[8:], false, &texels)
				for i := range 16 {
					a := b[i/2] >> (4 * (i % 2)) & 0xF
					texels[i][3] = a<<4 | a
				}
			case glDXT5:
				colorBlock(b[8:], false, &texels)
				alphaBlock(b, &texels)
			}
			for i := range 16 {
				x, y := bx*4+i%4, by*4+i/4
				if x >= w || y >= h {
					continue
				}
				copy(img.Pix[(h-1-y)*img.Stride+x*4:], texels[i][:])
			}
		}
	}
	return img, nil
}

func rgb565(v uint16) [4]uint8 {
	r, g, b := uint8(v>>11&31), uint8(v>>5&63), uint8(v&31)
	return [4]uint8{r<<3 | r>>2, g<<2 | g>>4, b<<3 | b>>2, 255}
}

// colorBlock decodes the 8-byte colour part of a block: two RGB565 endpoints and 2-bit indices.
// In DXT1, c0 <= c1 selects the three-colour mode whose fourth entry is transparent black.
func colorBlock(b []byte, dxt1 bool, out *[16][4]uint8) {
	v0, v1 := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:])
	var pal [4][4]uint8
	pal[0], pal[1] = rgb565(v0), rgb565(v1)
	if v0 > v1 || !dxt1 {
		for c := range 3 {
			pal[2][c] = uint8((2*int(pal[0][c]) + int(pal[1][c])) / 3)
			pal[3][c] = uint8((int(pal[0][c]) + 2*int(pal[1][c])) / 3)
		}
		pal[2][3], pal[3][3] = 255, 255
	} else {
		for c := range 3 {
			pal[2][c] = uint8((int(pal[0][c]) + int(pal[1][c])) / 2)
		}
		pal[2][3] = 255
		pal[3] = [4]uint8{0, 0, 0, 0}
	}
	idx := binary.LittleEndian.Uint32(b[4:])
	for i := range 16 {
		out[i] = pal[idx>>(2*i)&3]
	}
}

// alphaBlock decodes DXT5's 8-byte alpha part: two endpoints and 3-bit indices.
func alphaBlock(b []byte, out *[16][4]uint8) {
	a0, a1 := int(b[0]), int(b[1])
	var pal [8]uint8
	pal[0], pal[1] = uint8(a0), uint8(a1)
	if a0 > a1 {
		for i := 1; i < 7; i++ {
			pal[i+1] = uint8(((7-i)*a0 + i*a1) / 7)
		}
	} else {
		for i := 1; i < 5; i++ {
			pal[i+1] = uint8(((5-i)*a0 + i*a1) / 5)
		}
		pal[6], pal[7] = 0, 255
	}
	var bits uint64
	for i := range 6 {
		bits |= uint64(b[2+i]) << (8 * i)
	}
	for i := range 16 {
		out[i][3] = pal[bits>>(3*i)&7]
	}
}

// decodeDDS decodes the top level of a DDS file: DXT1/DXT3/DXT5 or uncompressed 24/32-bit RGB(A).
func decodeDDS(b []byte) (*image.NRGBA, error) {
	if len(b) < 128 || binary.LittleEndian.Uint32(b[4:]) != 124 {
		return nil, fmt.Errorf("DDS header is truncated")
	}
	h, w := int(binary.LittleEndian.Uint32(b[12:])), int(binary.LittleEndian.Uint32(b[16:]))
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, fmt.Errorf("DDS size %dx%d", w, h)
	}
	pfFlags := binary.LittleEndian.Uint32(b[80:])
	data := b[128:]
	if pfFlags&0x4 != 0 { // DDPF_FOURCC
		switch fourCC := string(b[84:88]); fourCC {
		case "DXT1":
			return decodeDXT(glDXT1, data, w, h, "")
		case "DXT3":
			return decodeDXT(glDXT3, data, w, h, "")
		case "DXT5":
			return decodeDXT(glDXT5, data, w, h, "")
		default:
			return nil, fmt.Errorf("DDS compression %q is not supported", fourCC)
		}
	}
	bits := int(binary.LittleEndian.Uint32(b[88:]))
	if pfFlags&0x40 == 0 || (bits != 24 && bits != 32) { // DDPF_RGB
		return nil, fmt.Errorf("DDS pixel format (flags 0x%X, %d bits) is not supported", pfFlags, bits)
	}
	masks := [4]uint32{binary.LittleEndian.Uint32(b[92:]), binary.LittleEndian.Uint32(b[96:]), binary.LittleEndian.Uint32(b[100:]), binary.LittleEndian.Uint32(b[104:])}
	if pfFlags&0x1 == 0 { // no DDPF_ALPHAPIXELS
		masks[3] = 0
	}
	bpp := bits / 8
	if len(data) < w*h*bpp {
		return nil, fmt.Errorf("DDS has %d bytes of pixel data for %dx%d", len(data), w, h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			p := data[(y*w+x)*bpp:]
			var v uint32
			for i := range bpp {
				v |= uint32(p[i]) << (8 * i)
			}
			var c color.NRGBA
			c.R, c.G, c.B, c.A = maskByte(v, masks[0]), maskByte(v, masks[1]), maskByte(v, masks[2]), 255
			if masks[3] != 0 {
				c.A = maskByte(v, masks[3])
			}
			img.SetNRGBA(x, h-1-y, c)
		}
	}
	return img, nil
}

// maskByte extracts an 8-bit channel from a pixel through its bit mask.
func maskByte(v, mask uint32) uint8 {
	if mask == 0 {
		return 0
	}
	shift := 0
	for mask>>shift&1 == 0 {
		shift++
	}
	width := 0
	for mask>>(shift+width)&1 == 1 {
		width++
	}
	c := (v & mask) >> shift
	if width >= 8 {
		return uint8(c >> (width - 8))
	}
	return uint8(c * 255 / (1<<width - 1))
}
