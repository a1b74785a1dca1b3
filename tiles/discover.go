package tiles

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// discovered is a table found in a configured schema that the catalog does not describe.
type discovered struct {
	layer     *spatial.Layer
	transform bool // no EPSG:3857 column: the 4490 column is transformed per tile
}

const discoverSQL = `
	SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	       coalesce(postgis_typmod_srid(a.atttypmod), 0) AS srid
	FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND NOT c.relispartition AND n.nspname = ANY($1)
	ORDER BY n.nspname, c.relname, a.attnum`

// discover lists the tables of the given schemas that have a geometry column in EPSG:3857 or 4490 and
// are not catalog layers, as layers readable by everyone (the configuration that names the schemas
// says so). Every column but the geometries is exposed.
func discover(ctx context.Context, db spatial.Querier, c *spatial.Catalog, schemas []string) ([]discovered, error) {
	if len(schemas) == 0 {
		return nil, nil
	}
	rows, err := db.Query(ctx, discoverSQL, schemas)
	if err != nil {
		return nil, fmt.Errorf("discovering tables in %v: %w", schemas, err)
	}
	type col struct {
		schema, table string
		spatial.Column
		srid int
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		err := r.Scan(&c.schema, &c.table, &c.Name, &c.PGType, &c.NotNull, &c.srid)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("discovering tables in %v: %w", schemas, err)
	}
	tables := map[string]bool{}
	for _, l := range c.Layers() {
		if l.IsTable() {
			tables[l.Schema+"."+l.Table] = true
		}
	}
	var out []discovered
	for i := 0; i < len(cols); {
		j := i
		for j < len(cols) && cols[j].schema == cols[i].schema && cols[j].table == cols[i].table {
			j++
		}
		group := cols[i:j]
		i = j
		schema, table := group[0].schema, group[0].table
		id := schema + "." + table
		if tables[id] {
			continue
		}
		if _, taken := c.Layer(id); taken {
			continue
		}
		l := &spatial.Layer{ID: id, TitleZh: table, TitleEn: table, Theme: "discovered", Kind: "table",
			Schema: schema, Table: table, GeometryType: "Geometry", MinZoom: 0, MaxZoom: 22,
			Extent: 4096, Buffer: 64, ReadRoles: []string{spatial.RolePublic}}
		d := discovered{layer: l}
		for _, c := range group {
			l.Columns = append(l.Columns, c.Column)
			switch {
			case strings.HasPrefix(c.PGType, "geometry") && c.srid == 3857 && l.TileColumn == "":
				l.TileColumn = c.Name
			case strings.HasPrefix(c.PGType, "geometry") && c.srid == 4490 && l.GeometryColumn == "":
				l.GeometryColumn = c.Name
			}
		}
		if l.TileColumn == "" && l.GeometryColumn == "" {
			continue
		}
		if l.TileColumn == "" {
			l.TileColumn, d.transform = l.GeometryColumn, true
		}
		for _, c := range l.Columns {
			if strings.HasPrefix(c.PGType, "geometry") {
				continue
			}
			if l.IDColumn == "" && (c.Name == "id" || c.Name == "gid" || c.Name == "fid") {
				l.IDColumn = c.Name
			}
			l.Properties = append(l.Properties, spatial.Property{Name: c.Name, TitleZh: c.Name, TitleEn: c.Name, Type: propertyType(c.PGType)})
		}
		if l.IDColumn == "" {
			if len(l.Properties) == 0 {
				continue
			}
			l.IDColumn = l.Properties[0].Name
		}
		l.Properties = slices.DeleteFunc(l.Properties, func(p spatial.Property) bool { return p.Name == l.IDColumn && isIntegerType(typeOf(l, p.Name)) })
		out = append(out, d)
	}
	return out, nil
}

func typeOf(l *spatial.Layer, column string) string {
	c, _ := l.Column(column)
	return c.PGType
}

// propertyType maps a PostgreSQL type to the catalog's property types.
func propertyType(pgType string) string {
	switch {
	case isIntegerType(pgType):
		return "integer"
	case pgType == "real" || pgType == "double precision" || strings.HasPrefix(pgType, "numeric"):
		return "number"
	case pgType == "boolean":
		return "boolean"
	case strings.HasPrefix(pgType, "timestamp") || pgType == "date":
		return "datetime"
	case pgType == "jsonb" || pgType == "json":
		return "object"
	}
	return "string"
}
