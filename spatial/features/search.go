package features

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// searchColumns are the property names that name a feature: names (roads, places, buildings),
// annotation texts and addresses.
var searchColumns = []string{"name", "text", "address"}

// Hit is one search result.
type Hit struct {
	Layer string          `json:"collection"`
	ID    string          `json:"id"`
	Label string          `json:"label"`
	Field string          `json:"field"` // the property that matched
	Rank  int             `json:"rank"`  // 3 exact, 2 prefix, 1 contains, 0 similar
	Score float64         `json:"score"` // pg_trgm similarity
	Point json.RawMessage `json:"point"` // GeoJSON point on the feature (CRS84)
	BBox  []float64       `json:"bbox"`
}

// escapeLike escapes LIKE wildcards so the query is matched literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search finds named features across layers: exact matches first, then prefixes, then substrings,
// then pg_trgm similar names (typos, a missing character), best similarity first.
func (s *Store) Search(ctx context.Context, layers []*spatial.Layer, q string, limit int) ([]Hit, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, spatial.Invalid("q", "the search text is empty")
	}
	if len([]rune(q)) > 100 {
		return nil, spatial.Invalid("q", "the search text is longer than 100 characters")
	}
	if limit < 1 || limit > 100 {
		return nil, spatial.Invalid("limit", "must be between 1 and 100, got %d", limit)
	}
	a := args{q, escapeLike(q) + "%", "%" + escapeLike(q) + "%", limit}
	var branches []string
	for _, l := range layers {
		if !l.IsTable() {
			continue
		}
		for _, name := range searchColumns {
			i := propertyIndex(l, name)
			if i < 0 || l.Properties[i].Type != "string" {
				continue
			}
			c := col(name)
			g := col(l.GeometryColumn)
			branches = append(branches, fmt.Sprintf(`(SELECT %s::text AS layer, %s::text AS id, %s AS label, %s::text AS field,
				CASE WHEN %s = $1 THEN 3 WHEN %s ILIKE $2 THEN 2 WHEN %s ILIKE $3 THEN 1 ELSE 0 END AS rank,
				similarity(%s, $1) AS score, ST_AsGeoJSON(ST_PointOnSurface(%s), 8, 0) AS point,
				ARRAY[ST_XMin(%s), ST_YMin(%s), ST_XMax(%s), ST_YMax(%s)] AS bbox
				FROM %s t WHERE %s ILIKE $3 OR %s %% $1 ORDER BY rank DESC, score DESC LIMIT $4)`,
				a.add(l.ID), col(l.IDColumn), c, a.add(name), c, c, c, c, g, g, g, g, g, table(l), c, c))
		}
	}
	if len(branches) == 0 {
		return []Hit{}, nil
	}
	sql := "SELECT layer, id, label, field, rank, score, point, bbox FROM (" + strings.Join(branches, " UNION ALL ") +
		") s ORDER BY rank DESC, score DESC, length(label), layer, id LIMIT $4"
	rows, err := s.read.Query(ctx, sql, a...)
	if err != nil {
		return nil, queryError("search", err)
	}
	defer rows.Close()
	hits := []Hit{}
	for rows.Next() {
		var h Hit
		var score float32
		var point string
		if err := rows.Scan(&h.Layer, &h.ID, &h.Label, &h.Field, &h.Rank, &score, &point, &h.BBox); err != nil {
			return nil, err
		}
		h.Score = math.Round(float64(score)*1000) / 1000
		h.Point = json.RawMessage(point)
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError("search", err)
	}
	return hits, nil
}

// IdentifyTolerancePx is how far from the clicked pixel a feature may be and still be identified.
const IdentifyTolerancePx = 4

// Identify returns what lies at a point (CRS84) at zoom z across layers visible at that zoom, nearest
// first and points before lines before areas, at most perLayer per layer, as GeoJSON features each
// with a "collection" member. The tolerance is IdentifyTolerancePx pixels of a 512-pixel-tile map.
func (s *Store) Identify(ctx context.Context, layers []*spatial.Layer, lon, lat, z float64, perLayer int) ([][]byte, error) {
	if lon < -180 || lon > 180 || lat < -85 || lat > 85 || math.IsNaN(lon) || math.IsNaN(lat) {
		return nil, spatial.Invalid("lon", "lon %g, lat %g is not a point on the map", lon, lat)
	}
	if z < 0 || z > 24 || math.IsNaN(z) {
		return nil, spatial.Invalid("z", "must be between 0 and 24, got %g", z)
	}
	tol := IdentifyTolerancePx * 40075016.686 / (512 * math.Pow(2, z)) // EPSG:3857 units per pixel
	a := args{lon, lat, tol, perLayer}
	var branches []string
	for _, l := range layers {
		if !l.IsTable() || z < float64(l.MinZoom) { // drawn from min_zoom on, over-zoomed past max_zoom
			continue
		}
		tc := col(l.TileColumn)
		branches = append(branches, fmt.Sprintf(`(SELECT %s::int AS layer_rank, ST_Distance(%s, p.pt) AS d, ST_Dimension(%s) AS dim,
			'{"collection":' || to_json(%s::text)::text || ',' || substr(%s, 2) AS f
			FROM %s t, p WHERE ST_DWithin(%s, p.pt, $3) ORDER BY d LIMIT $4)`,
			a.add(len(branches)), tc, tc, a.add(l.ID), featureSQL(l, l.Properties, DefaultCRS()), table(l), tc))
	}
	if len(branches) == 0 {
		return nil, nil
	}
	sql := "WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4490), 3857) AS pt) SELECT f FROM (" +
		strings.Join(branches, " UNION ALL ") + ") s ORDER BY d, dim, layer_rank"
	rows, err := s.read.Query(ctx, sql, a...)
	if err != nil {
		return nil, queryError("identify", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		out = append(out, slices.Clone(rows.RawValues()[0]))
	}
	if err := rows.Err(); err != nil {
		return nil, queryError("identify", err)
	}
	return out, nil
}

// Extent is the bounding box of a layer's features (CRS84), nil when it has none. The planner's
// estimate serves where statistics exist; otherwise the exact extent, remembered for a minute. A table
// partitioned by dataset is estimated partition by partition: PostGIS reads the estimate from the
// root page of the table's GiST index, which a partitioned index does not have (it fails).
func (s *Store) Extent(ctx context.Context, l *spatial.Layer) (*[4]float64, error) {
	if !l.IsTable() {
		return nil, nil
	}
	if b, ok := s.extents.Get(l.ID); ok {
		return b, nil
	}
	rows, err := s.read.Query(ctx, `
		WITH leaves AS (
			SELECT n.nspname AS s, c.relname AS t FROM pg_partition_tree(to_regclass($1)) p
			JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.isleaf
			UNION ALL
			SELECT $2, $3 WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(to_regclass($1))))
		SELECT s, t, EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = s AND tablename = t AND attname = $4) FROM leaves`,
		table(l), l.Schema, l.Table, l.GeometryColumn)
	if err != nil {
		return nil, queryError(l.ID, err)
	}
	type leaf struct {
		Schema, Table string
		Stats         bool
	}
	leaves, err := pgx.CollectRows(rows, pgx.RowToStructByPos[leaf])
	if err != nil {
		return nil, queryError(l.ID, err)
	}
	g := pgx.Identifier{l.GeometryColumn}.Sanitize()
	parts := make([]string, 0, len(leaves))
	args := []any{l.GeometryColumn}
	for _, p := range leaves {
		if p.Stats {
			args = append(args, p.Schema, p.Table)
			parts = append(parts, fmt.Sprintf("SELECT ST_EstimatedExtent($%d, $%d, $1)::geometry", len(args)-1, len(args)))
		} else {
			parts = append(parts, "SELECT ST_Extent("+g+")::geometry FROM "+pgx.Identifier{p.Schema, p.Table}.Sanitize())
		}
	}
	var box []*float64
	if len(parts) == 0 { // a partitioned table without partitions
		s.extents.Add(l.ID, nil)
		return nil, nil
	}
	err = s.read.QueryRow(ctx, `WITH e AS (SELECT ST_Extent(b) AS b FROM (`+strings.Join(parts, " UNION ALL ")+`) u (b))
		SELECT ARRAY[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)] FROM e`, args...).Scan(&box)
	if err != nil {
		return nil, queryError(l.ID, err)
	}
	var out *[4]float64
	if len(box) == 4 && box[0] != nil {
		out = &[4]float64{*box[0], *box[1], *box[2], *box[3]}
	}
	s.extents.Add(l.ID, out)
	return out, nil
}
