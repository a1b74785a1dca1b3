package tiles

import (
	"context"
	"fmt"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
)

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one MVT layer of a tile source.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
	// Yitu's additions, for viewers that label layers for people.
	TitleZh      string `json:"title_zh,omitempty"`
	TitleEn      string `json:"title_en,omitempty"`
	GeometryType string `json:"geometry_type,omitempty"`
}

// TileJSON describes a (composite) tile source. tileURL is the tile URL template with {z}/{x}/{y}.
func (s *Service) TileJSON(ctx context.Context, layers []string, p spatial.Principal, tileURL string) (*TileJSON, error) {
	c := s.cur.Load()
	tj := &TileJSON{TileJSON: "3.0.0", Name: strings.Join(layers, ","), Scheme: "xyz", Tiles: []string{tileURL},
		MinZoom: 24, MaxZoom: 0, Attribution: "一图 Yitu", VectorLayers: []VectorLayer{}}
	var titles []string
	for _, id := range layers {
		src, err := c.resolve(id, p)
		if err != nil {
			return nil, err
		}
		l := src.layer
		vl := VectorLayer{ID: l.ID, Description: l.Description, MinZoom: src.minZoom, MaxZoom: src.maxZoom,
			Fields: map[string]string{}, TitleZh: l.TitleZh, TitleEn: l.TitleEn, GeometryType: l.GeometryType}
		for _, prop := range l.Properties {
			vl.Fields[prop.Name] = fmt.Sprintf("%s %s (%s)", prop.TitleZh, prop.TitleEn, prop.Type)
			if prop.TileMinZoom > src.minZoom {
				vl.Fields[prop.Name] = fmt.Sprintf("%s %s (%s, z%d+)", prop.TitleZh, prop.TitleEn, prop.Type, prop.TileMinZoom)
			}
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		tj.MinZoom, tj.MaxZoom = min(tj.MinZoom, src.minZoom), max(tj.MaxZoom, src.maxZoom)
		titles = append(titles, l.TitleZh+" "+l.TitleEn)
	}
	tj.Description = strings.Join(titles, "; ")
	bounds, err := s.DataBounds(ctx)
	if err != nil {
		return nil, err
	}
	tj.Bounds = bounds
	tj.Center = [3]float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(max(tj.MinZoom, min(14, tj.MaxZoom)))}
	return tj, nil
}

// DataBounds is the lon/lat extent of every imported dataset (the whole world before any import).
func (s *Service) DataBounds(ctx context.Context) ([4]float64, error) {
	var b [4]*float64
	err := s.pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(bbox) AS e FROM catalog.dataset) d`).Scan(&b[0], &b[1], &b[2], &b[3])
	if err != nil {
		return [4]float64{}, fmt.Errorf("reading the data extent: %w", err)
	}
	if b[0] == nil {
		return [4]float64{-180, -85.0511287798066, 180, 85.0511287798066}, nil
	}
	return [4]float64{*b[0], *b[1], *b[2], *b[3]}, nil
}
