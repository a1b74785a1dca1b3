package tiles

type glyphs struct{ dir string }

func newGlyphs(dir string) *glyphs { return &glyphs{dir: dir} }

// Glyphs returns the SDF glyph PBF of a font stack for the 256 code points from start.
func (s *Service) Glyphs(fontstack string, start int) ([]byte, error) { return nil, nil }
