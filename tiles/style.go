package tiles

import (
	"context"

	"github.com/yitu-gis/yitu/spatial"
)

// Style is the one-map MapLibre style for p.
func (s *Service) Style(ctx context.Context, p spatial.Principal, base string) (map[string]any, error) {
	return nil, nil
}
