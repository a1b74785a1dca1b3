package tiles

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// decodedGlyph is a glyph read back from the PBF.
type decodedGlyph struct {
	id, width, height, advance uint64
	left, top                  int64
	bitmap                     []byte
}

// decodeGlyphs reads a glyphs PBF: the stack's name and range, and its glyphs.
func decodeGlyphs(t *testing.T, b []byte) (name, rng string, glyphs map[uint64]decodedGlyph) {
	t.Helper()
	glyphs = map[uint64]decodedGlyph{}
	fields := func(b []byte, each func(num protowire.Number, typ protowire.Type, v []byte, n uint64)) {
		for len(b) > 0 {
			num, typ, l := protowire.ConsumeTag(b)
			if l < 0 {
				t.Fatal("bad tag")
			}
			b = b[l:]
			switch typ {
			case protowire.BytesType:
				v, l := protowire.ConsumeBytes(b)
				if l < 0 {
					t.Fatal("bad bytes")
				}
				each(num, typ, v, 0)
				b = b[l:]
			case protowire.VarintType:
				v, l := protowire.ConsumeVarint(b)
				if l < 0 {
					t.Fatal("bad varint")
				}
				each(num, typ, nil, v)
				b = b[l:]
			default:
				t.Fatalf("unexpected wire type %v", typ)
			}
		}
	}
	fields(b, func(num protowire.Number, _ protowire.Type, stack []byte, _ uint64) {
		if num != 1 {
			t.Fatalf("top-level field %d", num)
		}
		fields(stack, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
			switch num {
			case 1:
				name = string(v)
			case 2:
				rng = string(v)
			case 3:
				var g decodedGlyph
				fields(v, func(num protowire.Number, _ protowire.Type, bv []byte, n uint64) {
					switch num {
					case 1:
						g.id = n
					case 2:
						g.bitmap = bv
					case 3:
						g.width = n
					case 4:
						g.height = n
					case 5:
						g.left = protowire.DecodeZigZag(n)
					case 6:
						g.top = protowire.DecodeZigZag(n)
					case 7:
						g.advance = n
					}
				})
				glyphs[g.id] = g
			}
		})
	})
	return name, rng, glyphs
}

func TestGlyphsCJK(t *testing.T) {
	s := &Service{glyphs: newGlyphs(DefaultConfig().FontDir)}
	fonts, err := s.Fonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Noto Sans CJK SC Regular", "Noto Sans CJK SC Bold"} {
		found := false
		for _, f := range fonts {
			found = found || f == want
		}
		if !found {
			t.Fatalf("font %q not found among %v", want, fonts)
		}
	}
	const stack = "Noto Sans CJK SC Regular,Noto Sans Regular"
	b, err := s.Glyphs(stack, 0x4e00) // 一 … covers 中 (U+4E2D)
	if err != nil {
		t.Fatal(err)
	}
	name, rng, gs := decodeGlyphs(t, b)
	if name != stack || rng != "19968-20223" || len(gs) < 250 {
		t.Fatalf("stack %q range %q with %d glyphs", name, rng, len(gs))
	}
	zhong := gs[0x4e2d]
	if zhong.advance != 24 || zhong.width < 16 || zhong.height < 18 || len(zhong.bitmap) != int((zhong.width+6)*(zhong.height+6)) {
		t.Fatalf("中: %+v", zhong)
	}
	// The SDF: 0 far outside, 192 at the edge, high inside. The vertical stroke of 中 runs through
	// the middle column; the corners are outside.
	w := int(zhong.width + 6)
	mid := zhong.bitmap[(int(zhong.height+6)/2)*w+w/2]
	corner := zhong.bitmap[0]
	if mid < 200 || corner > 60 {
		t.Errorf("中 SDF: centre %d, corner %d", mid, corner)
	}
	// ASCII: a space has an advance and no bitmap; 'A' has both.
	b, err = s.Glyphs(stack, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, gs = decodeGlyphs(t, b)
	if sp := gs[' ']; sp.advance == 0 || len(sp.bitmap) != 0 {
		t.Errorf("space: %+v", sp)
	}
	if a := gs['A']; a.width == 0 || a.top <= -24 || a.top > 5 {
		t.Errorf("A: %+v", a)
	}
	if _, err := s.Glyphs("Comic Sans", 0); err == nil {
		t.Error("a missing font gave glyphs")
	}
}
