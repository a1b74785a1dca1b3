package tiles

// SpriteSheet is a sprite image and its index.
type SpriteSheet struct {
	PNG   []byte
	Index []byte
}

// Sprite returns the one-map sprite sheet at a pixel ratio (1 or 2).
func (s *Service) Sprite(scale int) (*SpriteSheet, error) { return nil, nil }
