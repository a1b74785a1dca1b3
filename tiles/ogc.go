package tiles

import (
	"context"
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/spatial"
)

// Link is an OGC API link.
type Link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// MatrixSetDef is an OGC Two Dimensional Tile Matrix Set (2.0) in JSON.
type MatrixSetDef struct {
	ID                string          `json:"id"`
	Title             string          `json:"title"`
	Description       string          `json:"description,omitempty"`
	URI               string          `json:"uri,omitempty"`
	CRS               string          `json:"crs"`
	OrderedAxes       []string        `json:"orderedAxes"`
	WellKnownScaleSet string          `json:"wellKnownScaleSet,omitempty"`
	TileMatrices      []TileMatrixDef `json:"tileMatrices"`
}

// TileMatrixDef is one zoom level of a tile matrix set.
type TileMatrixDef struct {
	ID               string     `json:"id"`
	ScaleDenominator float64    `json:"scaleDenominator"`
	CellSize         float64    `json:"cellSize"`
	CornerOfOrigin   string     `json:"cornerOfOrigin"`
	PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
	TileWidth        int        `json:"tileWidth"`
	TileHeight       int        `json:"tileHeight"`
	MatrixWidth      int        `json:"matrixWidth"`
	MatrixHeight     int        `json:"matrixHeight"`
}

// Definition is the grid as an OGC tile matrix set document.
func (g *Grid) Definition() *MatrixSetDef {
	d := &MatrixSetDef{ID: g.ID, Title: g.TitleZh + " " + g.TitleEn, CRS: g.CRS}
	origin := [2]float64{-mercatorHalf, mercatorHalf}
	if g.mercator {
		d.URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
		d.OrderedAxes = []string{"E", "N"}
		d.WellKnownScaleSet = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"
	} else {
		d.Description = "CGCS2000 (EPSG:4490) longitude/latitude tiles of 256×256 pixels as the national map service " +
			"Tianditu lays them out: level 1 is two tiles of 180° by 180°, each level halves the tile."
		d.OrderedAxes = []string{"Lat", "Lon"}
		origin = [2]float64{90, -180}
	}
	for z := g.MinZoom; z <= g.MaxZoom; z++ {
		cell, scale := g.CellSize(z)
		cols, rows := g.MatrixSize(z)
		d.TileMatrices = append(d.TileMatrices, TileMatrixDef{ID: strconv.Itoa(z), ScaleDenominator: scale, CellSize: cell,
			CornerOfOrigin: "topLeft", PointOfOrigin: origin, TileWidth: 256, TileHeight: 256, MatrixWidth: cols, MatrixHeight: rows})
	}
	return d
}

// MatrixSetList is the /tileMatrixSets document.
func MatrixSetList(base string) map[string]any {
	var sets []map[string]any
	for _, g := range Grids() {
		sets = append(sets, map[string]any{"id": g.ID, "title": g.TitleZh + " " + g.TitleEn, "crs": g.CRS,
			"links": []Link{{Href: base + "/tileMatrixSets/" + g.ID, Rel: "self", Type: "application/json"}}})
	}
	return map[string]any{"tileMatrixSets": sets,
		"links": []Link{{Href: base + "/tileMatrixSets", Rel: "self", Type: "application/json"}}}
}

// TilesetList is /collections/{ids}/tiles: the tilesets of a (composite) collection, one per grid.
func (s *Service) TilesetList(layers []string, p spatial.Principal, base string) (map[string]any, error) {
	c := s.cur.Load()
	for _, id := range layers {
		if _, err := c.resolve(id, p); err != nil {
			return nil, err
		}
	}
	coll := base + "/collections/" + strings.Join(layers, ",") + "/tiles"
	var sets []map[string]any
	for _, g := range Grids() {
		sets = append(sets, map[string]any{
			"title": strings.Join(layers, ",") + " " + g.ID, "dataType": "vector", "crs": g.CRS,
			"tileMatrixSetURI": g.Definition().URI,
			"links": []Link{
				{Href: coll + "/" + g.ID, Rel: "self", Type: "application/json"},
				{Href: base + "/tileMatrixSets/" + g.ID, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: "application/json"},
				{Href: coll + "/" + g.ID + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: "application/vnd.mapbox-vector-tile", Templated: true},
			},
		})
	}
	return map[string]any{"tilesets": sets, "links": []Link{{Href: coll, Rel: "self", Type: "application/json"}}}, nil
}

// Tileset is /collections/{ids}/tiles/{tms}: the tileset's metadata with the limits of its matrices
// around the data.
func (s *Service) Tileset(ctx context.Context, layers []string, g *Grid, p spatial.Principal, base string) (map[string]any, error) {
	c := s.cur.Load()
	minZoom, maxZoom := 24, 0
	var ls []map[string]any
	for _, id := range layers {
		src, err := c.resolve(id, p)
		if err != nil {
			return nil, err
		}
		props := map[string]any{}
		for _, prop := range src.layer.Properties {
			props[prop.Name] = map[string]any{"title": prop.TitleZh, "description": prop.TitleEn, "type": jsonSchemaType(prop.Type)}
		}
		ls = append(ls, map[string]any{"id": id, "title": src.layer.TitleZh, "description": src.layer.TitleEn, "dataType": "vector",
			"geometryType": src.layer.GeometryType, "minTileMatrix": strconv.Itoa(max(src.minZoom, g.MinZoom)),
			"maxTileMatrix":    strconv.Itoa(min(src.maxZoom, g.MaxZoom)),
			"propertiesSchema": map[string]any{"type": "object", "properties": props}})
		minZoom, maxZoom = min(minZoom, src.minZoom), max(maxZoom, src.maxZoom)
	}
	minZoom, maxZoom = max(minZoom, g.MinZoom), min(maxZoom, g.MaxZoom)
	bounds, err := s.DataBounds(ctx)
	if err != nil {
		return nil, err
	}
	var limits []map[string]any
	for z := minZoom; z <= maxZoom; z++ {
		x0, y0, x1, y1, ok := g.Range(z, bounds, 0)
		if ok {
			limits = append(limits, map[string]any{"tileMatrix": strconv.Itoa(z), "minTileRow": y0, "maxTileRow": y1, "minTileCol": x0, "maxTileCol": x1})
		}
	}
	coll := base + "/collections/" + strings.Join(layers, ",") + "/tiles/" + g.ID
	return map[string]any{
		"title": strings.Join(layers, ","), "dataType": "vector", "crs": g.CRS,
		"tileMatrixSetURI": g.Definition().URI, "tileMatrixSetLimits": limits, "layers": ls,
		"boundingBox": map[string]any{"lowerLeft": [2]float64{bounds[0], bounds[1]}, "upperRight": [2]float64{bounds[2], bounds[3]},
			"crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		"links": []Link{
			{Href: coll, Rel: "self", Type: "application/json"},
			{Href: base + "/tileMatrixSets/" + g.ID, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: "application/json"},
			{Href: coll + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: "application/vnd.mapbox-vector-tile", Templated: true},
		},
	}, nil
}

func jsonSchemaType(t string) string {
	switch t {
	case "integer", "number", "boolean", "string", "object":
		return t
	}
	return "string"
}
