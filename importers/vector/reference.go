package vector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
)

// ReferenceSchema holds one table per imported reference layer.
const ReferenceSchema = "reference"

type refColumn struct {
	column, field, ogrType string
}

// referenceWriter writes a layer into its own table reference.<name> with the layer's attribute
// columns, and registers the table in catalog.layer (theme reference) for tiles, features and the
// layer tree. The table belongs to the dataset: replacing or deleting the dataset drops it.
type referenceWriter struct {
	b     *loader.Batch
	l     Layer
	name  string // table name
	title string
	cols  []refColumn
	w     *loader.TableWriter
	types map[string]int
	vals  []any
}

func newReferenceWriter(ctx context.Context, b *loader.Batch, l Layer, multi bool) (*referenceWriter, error) {
	ds := b.Options().Dataset
	base, title := slug(ds), ds
	if multi {
		base, title = base+"_"+slug(l.Name), ds+" · "+l.Name
	}
	r := &referenceWriter{b: b, l: l, name: base, title: title, types: map[string]int{}}
	fields := slices.Clone(l.Fields)
	if l.FID != "" && !slices.ContainsFunc(fields, func(f Field) bool { return f.Name == l.FID }) {
		fields = append([]Field{{Name: l.FID, Type: "Integer64"}}, fields...)
	}
	used := map[string]bool{"id": true, "dataset_id": true, "geom": true, "geom_3857": true}
	for _, f := range fields {
		c := columnName(f.Name, used)
		r.cols = append(r.cols, refColumn{column: c, field: f.Name, ogrType: f.Type})
	}
	if tx := b.Tx(); tx != nil {
		for i := 2; ; i++ {
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", ident(ReferenceSchema, r.name).Sanitize()).Scan(&exists); err != nil {
				return nil, err
			}
			if !exists {
				break
			}
			r.name = fmt.Sprintf("%s_%d", base, i)
		}
		if err := r.create(ctx, tx); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(r.cols)+1)
	for _, c := range r.cols {
		names = append(names, c.column)
	}
	r.w = b.Table(l.Name, ident(ReferenceSchema, r.name), append(names, "geom"))
	r.vals = make([]any, len(names)+1)
	return r, nil
}

// columnName keeps a field's name (Chinese included) as its column, within PostgreSQL's 63 bytes,
// renaming the few that collide with Yitu's own columns or each other.
func columnName(field string, used map[string]bool) string {
	c := strings.TrimSpace(field)
	if c == "" {
		c = "field"
	}
	for len(c) > 55 {
		_, size := utf8.DecodeLastRuneInString(c)
		c = c[:len(c)-size]
	}
	base := c
	if used[strings.ToLower(c)] {
		c = base + "_src"
	}
	for i := 2; used[strings.ToLower(c)]; i++ {
		c = fmt.Sprintf("%s_%d", base, i)
	}
	used[strings.ToLower(c)] = true
	return c
}

func pgType(ogrType string) string {
	switch ogrType {
	case "Integer":
		return "integer"
	case "Integer64":
		return "bigint"
	case "Real":
		return "double precision"
	case "Integer(Boolean)":
		return "boolean"
	}
	return "text"
}

func propType(ogrType string) string {
	switch ogrType {
	case "Integer", "Integer64":
		return "integer"
	case "Real":
		return "number"
	case "Integer(Boolean)":
		return "boolean"
	}
	return "string"
}

func (r *referenceWriter) create(ctx context.Context, tx pgx.Tx) error {
	t := ident(ReferenceSchema, r.name).Sanitize()
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE TABLE %s (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"+
		"  dataset_id bigint NOT NULL REFERENCES catalog.dataset (id) ON DELETE CASCADE", t)
	for _, c := range r.cols {
		fmt.Fprintf(&ddl, ",\n  %s %s", pgx.Identifier{c.column}.Sanitize(), pgType(c.ogrType))
	}
	gt := "Geometry"
	if strings.HasPrefix(r.l.Geometry, "3D ") {
		gt = "GeometryZ"
	}
	fmt.Fprintf(&ddl, ",\n  geom geometry(%s, 4490),\n  geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Force2D(ST_Transform(geom, 3857))) STORED\n)", gt)
	if _, err := tx.Exec(ctx, ddl.String()); err != nil {
		return fmt.Errorf("creating reference table %s: %w", t, err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("COMMENT ON TABLE %s IS %s", t, quoteLiteral(r.title))); err != nil {
		return err
	}
	r.b.Own(ident(ReferenceSchema, r.name))
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (r *referenceWriter) add(_ int, f Feature, ewkb []byte) (string, error) {
	for i, c := range r.cols {
		v, ok := jsonValue(f.Properties[c.field], c.ogrType)
		if !ok {
			return fmt.Sprintf("attribute %s = %v is not a %s", c.field, f.Properties[c.field], c.ogrType), nil
		}
		r.vals[i] = v
	}
	if ewkb == nil {
		r.vals[len(r.cols)] = nil
	} else {
		r.vals[len(r.cols)] = ewkb
	}
	if err := r.w.Add(r.vals...); err != nil {
		if ge, ok := err.(*loader.GeometryError); ok {
			return ge.Err.Error(), nil
		}
		return "", err
	}
	if f.Geometry != nil {
		r.types[geomType(f.Geometry)]++
	}
	return "", nil
}

func geomType(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return "Point"
	case *geom.MultiPoint:
		return "MultiPoint"
	case *geom.LineString, *geom.MultiLineString:
		return "MultiLineString"
	case *geom.Polygon, *geom.MultiPolygon:
		return "MultiPolygon"
	}
	return "Geometry"
}

func (r *referenceWriter) finish(ctx context.Context) error {
	tx := r.b.Tx()
	if tx == nil {
		return nil
	}
	t := ident(ReferenceSchema, r.name).Sanitize()
	for _, col := range []string{"geom", "geom_3857"} {
		if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE INDEX ON %s USING gist (%s)", t, col)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE INDEX ON %s (dataset_id)", t)); err != nil {
		return err
	}
	gt := "Geometry"
	if len(r.types) == 1 {
		for k := range r.types {
			gt = k
		}
	}
	var props []map[string]string
	for _, c := range r.cols {
		props = append(props, map[string]string{"name": c.column, "title_zh": c.field, "title_en": c.field, "type": propType(c.ogrType)})
	}
	pj, _ := json.Marshal(props)
	if props == nil {
		pj = []byte("[]")
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO catalog.layer (id, title_zh, title_en, theme, sort_order, schema_name, table_name, geometry_type,
		                           min_zoom, properties, dataset_id, description)
		VALUES ($1, $2, $3, 'reference', 0, $4, $5, $6, 0, $7, $8, $9)`,
		ReferenceSchema+"."+r.name, r.title, r.title, ReferenceSchema, r.name, gt, pj, r.b.DatasetID(),
		fmt.Sprintf("%s (%s)", r.b.Options().Source, r.l.Name))
	if err != nil {
		return fmt.Errorf("registering layer %s.%s: %w", ReferenceSchema, r.name, err)
	}
	return nil
}
