package tiles

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
)

// source is one catalog layer compiled for tiles: the SQL of each zoom band in each grid.
type source struct {
	layer            *spatial.Layer
	minZoom, maxZoom int // effective: the layer's own zooms widened by its generalized bands
	bands            []band
	function         string // function layers: SELECT f($1, $2, $3, $4)
}

// band is the SQL that serves zooms minZoom–maxZoom of a layer, from the layer's own table or from a
// generalized view.
type band struct {
	minZoom, maxZoom int
	table            string // schema.table, for messages
	mercator         string // $1 z, $2 x, $3 y, $4 layer name
	geographic       string // $1–$4 tile bounds, $5–$8 query bounds (4490), $9 layer name
	columns          string // the table's columns, comma-separated (a CQL2 filter may name only these)
	tileColumn       string
	geomColumn       string
}

// filterMarker stands where a CQL2 filter's condition goes in a band's SQL.
const filterMarker = "/*filter*/"

// withFilter returns the band's SQL for a grid with a CQL2 filter's condition, and the filter's
// arguments, numbered after the band's own.
func (b *band) withFilter(l *spatial.Layer, f *cql2.Filter, mercator bool) (string, []any, error) {
	sql, first, col, srid := b.mercator, 5, b.tileColumn, 3857
	if !mercator {
		sql, first, col, srid = b.geographic, 10, b.geomColumn, 4490
	}
	schema := cql2.ForLayer(l, col, srid)
	have := strings.Split(b.columns, ",")
	for name, q := range schema.Queryables {
		if q.Type != cql2.TypeGeometry && !slices.Contains(have, q.Column) {
			delete(schema.Queryables, name) // not in this zoom's generalized table
		}
	}
	cond, args, err := f.Compile(schema, first)
	if err != nil {
		return "", nil, err
	}
	return strings.Replace(sql, filterMarker, " AND ("+cond+")", 1), args, nil
}

// bandAt returns the band serving zoom z, if any.
func (s *source) bandAt(z int) (*band, bool) {
	for i := range s.bands {
		if z >= s.bands[i].minZoom && z <= s.bands[i].maxZoom {
			return &s.bands[i], true
		}
	}
	return nil, false
}

// shape is what a tile query reads from a table.
type shape struct {
	table      pgx.Identifier
	id         string
	intID      bool   // the id column is an integer: it becomes the MVT feature id
	tileColumn string // EPSG:3857, indexed
	geomColumn string // SRID 4490, for the geographic grid ("" when the table has none)
	// transform: the table has no 3857 column; tileColumn is the 4490 column, transformed per tile
	// (discovered tables only; slower).
	transform  bool
	properties []string
	extent     int
	buffer     int
	cap        int
}

// generalization is a row of tiles.generalized.
type generalization struct {
	layer            string
	minZoom, maxZoom int
	schema, table    string
	columns          []string
}

func compileTable(l *spatial.Layer, gens []generalization, transform bool) (*source, error) {
	s := &source{layer: l, minZoom: l.MinZoom, maxZoom: l.MaxZoom}
	own := shape{
		table: pgx.Identifier{l.Schema, l.Table}, id: l.IDColumn, tileColumn: l.TileColumn,
		geomColumn: l.GeometryColumn, extent: l.Extent, buffer: l.Buffer, cap: l.FeatureCap, transform: transform,
	}
	if c, ok := l.Column(l.IDColumn); ok {
		own.intID = isIntegerType(c.PGType)
	}
	for _, p := range l.Properties {
		own.properties = append(own.properties, p.Name)
	}
	var ownColumns []string
	for _, c := range l.Columns {
		ownColumns = append(ownColumns, c.Name)
	}
	covered := map[int]bool{}
	for _, g := range gens {
		if g.layer != l.ID {
			continue
		}
		sh := own
		sh.table = pgx.Identifier{g.schema, g.table}
		sh.properties = slices.DeleteFunc(slices.Clone(own.properties), func(p string) bool { return !slices.Contains(g.columns, p) })
		if !slices.Contains(g.columns, sh.geomColumn) {
			sh.geomColumn = ""
		}
		for _, need := range []string{sh.id, sh.tileColumn} {
			if !slices.Contains(g.columns, need) {
				return nil, fmt.Errorf("layer %s: generalized table %s.%s has no column %q", l.ID, g.schema, g.table, need)
			}
		}
		s.bands = append(s.bands, sh.bands(l, g.minZoom, g.maxZoom, g.columns)...)
		for z := g.minZoom; z <= g.maxZoom; z++ {
			covered[z] = true
		}
		s.minZoom, s.maxZoom = min(s.minZoom, g.minZoom), max(s.maxZoom, g.maxZoom)
	}
	// The layer's own table serves its zooms that no generalized band covers.
	for z := l.MinZoom; z <= l.MaxZoom; {
		if covered[z] {
			z++
			continue
		}
		end := z
		for end < l.MaxZoom && !covered[end+1] {
			end++
		}
		s.bands = append(s.bands, own.bands(l, z, end, ownColumns)...)
		z = end + 1
	}
	slices.SortFunc(s.bands, func(a, b band) int { return a.minZoom - b.minZoom })
	return s, nil
}

func compileFunction(l *spatial.Layer) *source {
	fn := pgx.Identifier{l.Schema, l.Function}.Sanitize()
	return &source{layer: l, minZoom: l.MinZoom, maxZoom: l.MaxZoom,
		function: "SELECT " + fn + "($1::integer, $2::integer, $3::integer, $4::jsonb)"}
}

// bands are the bands serving zooms minZoom–maxZoom from a table: one, or one more from each zoom at
// which a property enters the tiles (its tile_min_zoom).
func (sh shape) bands(l *spatial.Layer, minZoom, maxZoom int, columns []string) []band {
	from := map[string]int{}
	for _, p := range l.Properties {
		from[p.Name] = p.TileMinZoom
	}
	var out []band
	for lo := minZoom; lo <= maxZoom; {
		hi := maxZoom
		for _, z := range from {
			if z > lo && z <= hi {
				hi = z - 1
			}
		}
		at := sh
		at.properties = slices.DeleteFunc(slices.Clone(sh.properties), func(p string) bool { return from[p] > lo })
		out = append(out, at.band(lo, hi, columns))
		lo = hi + 1
	}
	return out
}

func (sh shape) band(minZoom, maxZoom int, columns []string) band {
	b := band{
		minZoom: minZoom, maxZoom: maxZoom, table: strings.Join(sh.table, "."),
		mercator: sh.sql(true), columns: strings.Join(columns, ","), tileColumn: sh.tileColumn, geomColumn: sh.geomColumn,
	}
	if sh.geomColumn != "" {
		b.geographic = sh.sql(false)
	}
	return b
}

// sql builds the tile query. Identifiers come from the catalog (checked against the database) and are
// quoted; the tile is bound.
func (sh shape) sql(mercator bool) string {
	var cols []string
	idCol := pgx.Identifier{sh.id}.Sanitize()
	if sh.intID {
		cols = append(cols, idCol+" AS __id")
	} else if !slices.Contains(sh.properties, sh.id) {
		cols = append(cols, idCol)
	}
	for _, p := range sh.properties {
		if p != sh.id || !sh.intID {
			cols = append(cols, pgx.Identifier{p}.Sanitize())
		}
	}
	margin := strconv.FormatFloat(float64(sh.buffer)/float64(sh.extent), 'g', -1, 64)
	extent, buffer := strconv.Itoa(sh.extent), strconv.Itoa(sh.buffer)
	var geom, where, name string
	if mercator {
		tc := pgx.Identifier{sh.tileColumn}.Sanitize()
		env := "ST_TileEnvelope($1, $2, $3, margin => " + margin + ")"
		if sh.transform {
			geom = "ST_AsMVTGeom(ST_Transform(ST_Force2D(" + tc + "), 3857), ST_TileEnvelope($1, $2, $3), " + extent + ", " + buffer + ", true)"
			where = tc + " && ST_Transform(" + env + ", 4490)"
		} else {
			geom = "ST_AsMVTGeom(" + tc + ", ST_TileEnvelope($1, $2, $3), " + extent + ", " + buffer + ", true)"
			where = tc + " && " + env
		}
		name = "$4"
	} else {
		gc := pgx.Identifier{sh.geomColumn}.Sanitize()
		geom = "ST_AsMVTGeom(ST_Force2D(" + gc + "), ST_MakeEnvelope($1, $2, $3, $4, 4490), " + extent + ", " + buffer + ", true)"
		where = gc + " && ST_MakeEnvelope($5, $6, $7, $8, 4490)"
		name = "$9"
	}
	cols = append(cols, geom+" AS __geom")
	limit := ""
	if sh.cap > 0 {
		limit = " LIMIT " + strconv.Itoa(sh.cap)
	}
	idName := "NULL"
	if sh.intID {
		idName = "'__id'"
	}
	// ST_AsMVT leaves out the rows whose geometry ST_AsMVTGeom dropped (NULL). No outer "WHERE __geom IS
	// NOT NULL": PostgreSQL would flatten the subquery and compute ST_AsMVTGeom twice, once for the
	// filter and once for the row, which cost a third of a building layer's time.
	return "SELECT ST_AsMVT(q, " + name + "::text, " + extent + ", '__geom', " + idName + ") FROM (" +
		"SELECT " + strings.Join(cols, ", ") + " FROM " + sh.table.Sanitize() + " WHERE " + where + filterMarker + limit +
		") q"
}

func isIntegerType(pgType string) bool {
	return pgType == "integer" || pgType == "bigint" || pgType == "smallint"
}

// compiled is the catalog compiled for tiles: an immutable snapshot, replaced on every reload.
type compiled struct {
	catalog *spatial.Catalog
	sources map[string]*source
	order   []*source
	// problems are layers that could not be compiled (logged, left out).
	problems []error
}

const generalizedSQL = `
	SELECT g.layer_id, g.min_zoom, g.max_zoom, g.schema_name, g.table_name,
	       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attname IS NOT NULL), '{}')
	FROM tiles.generalized g
	LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(g.schema_name) || '.' || quote_ident(g.table_name))
	     AND a.attnum > 0 AND NOT a.attisdropped
	GROUP BY 1, 2, 3, 4, 5
	ORDER BY 1, 2`

// compile builds the tile sources of every layer of a catalog (and of the discovered tables).
func compile(ctx context.Context, db spatial.Querier, c *spatial.Catalog, found []discovered) (*compiled, error) {
	rows, err := db.Query(ctx, generalizedSQL)
	if err != nil {
		return nil, fmt.Errorf("reading tiles.generalized: %w", err)
	}
	gens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (generalization, error) {
		var g generalization
		err := r.Scan(&g.layer, &g.minZoom, &g.maxZoom, &g.schema, &g.table, &g.columns)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading tiles.generalized: %w", err)
	}
	out := &compiled{catalog: c, sources: map[string]*source{}}
	all := make([]discovered, 0, len(c.Layers())+len(found))
	for _, l := range c.Layers() {
		all = append(all, discovered{layer: l})
	}
	for _, d := range append(all, found...) {
		l := d.layer
		if _, dup := out.sources[l.ID]; dup {
			continue
		}
		var s *source
		if l.IsTable() {
			if s, err = compileTable(l, gens, d.transform); err != nil {
				out.problems = append(out.problems, err)
				continue
			}
		} else {
			s = compileFunction(l)
		}
		out.sources[l.ID] = s
		out.order = append(out.order, s)
	}
	return out, nil
}
