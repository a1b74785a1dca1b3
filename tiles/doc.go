// Package tiles serves the catalog's layers as Mapbox Vector Tiles.
//
// Each layer's tile SQL is compiled once when the catalog loads (and again on every catalog reload):
// identifiers quoted with pgx.Identifier, the tile bound as parameters to ST_TileEnvelope, the indexed
// EPSG:3857 column filtered with && on an envelope widened by the layer's buffer, and ST_AsMVT encoding
// in the database. pgx prepares each statement once per connection. A composite tile queries its layers
// in parallel, each within the layer's time budget, and concatenates the layers (an MVT is a sequence of
// layers, so concatenation is a valid tile).
//
// Low zooms read generalized materialized views (tiles.generalized names them per layer and zoom band),
// refreshed after an import changes their sources, so a county-wide tile stays small and fast.
//
// Tiles are cached gzipped in memory (a byte-bounded LRU) and optionally on disk; concurrent misses for
// one tile run one query; a data change (a yitu_change notification from any replica) purges exactly the
// tiles its bounding box touches and is passed on to viewers.
//
// The package also builds TileJSON 3.0, OGC API – Tiles tile matrix sets (WebMercatorQuad and a CGCS2000
// geographic grid in the national map service's layout), the one-map MapLibre style, SDF glyphs from the
// Noto CJK fonts, a sprite sheet, and PMTiles archives.
package tiles
