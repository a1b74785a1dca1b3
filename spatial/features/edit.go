package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// Feature is one feature as GeoJSON text with its entity tag.
type Feature struct {
	JSON []byte
	ETag string // strong, quoted: "…"
}

// etagSQL is the entity tag of row t: a hash of every column, so any change (by this API, an import
// or SQL) changes it.
const etagSQL = `'"' || md5(t::text) || '"'`

// featureID parses a feature id of the layer's id column; a malformed one names no feature.
func featureID(l *spatial.Layer, id string) (any, error) {
	c, _ := l.Column(l.IDColumn)
	if strings.Contains(c.PGType, "int") {
		v, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, spatial.NotFound("feature %q of %s", id, l.ID)
		}
		return v, nil
	}
	return id, nil
}

// Item reads one feature in crs.
func (s *Store) Item(ctx context.Context, l *spatial.Layer, id string, crs CRS, properties []string) (Feature, error) {
	if !l.IsTable() {
		return Feature{}, spatial.Invalid("collectionId", "%s is served as tiles only", l.ID)
	}
	if crs.URI == "" {
		crs = DefaultCRS()
	}
	key, err := featureID(l, id)
	if err != nil {
		return Feature{}, err
	}
	props, err := selectedProperties(l, properties)
	if err != nil {
		return Feature{}, err
	}
	var f Feature
	err = s.pool.QueryRow(ctx, "SELECT "+featureSQL(l, props, crs)+", "+etagSQL+" FROM "+table(l)+" t WHERE "+col(l.IDColumn)+" = $1", key).
		Scan(&f.JSON, &f.ETag)
	if errors.Is(err, pgx.ErrNoRows) {
		return Feature{}, spatial.NotFound("feature %q of %s", id, l.ID)
	}
	if err != nil {
		return Feature{}, queryError(l.ID, err)
	}
	return f, nil
}

// Edit is a change to one feature (OGC API – Features Part 4).
type Edit struct {
	Layer   *spatial.Layer
	ID      string // replace, update, delete
	Body    []byte // a GeoJSON Feature (create, replace) or a JSON merge patch of one (update)
	CRS     CRS    // of the body's geometry (Content-Crs), default CRS84
	IfMatch string // an entity tag the feature must have, or "" (or "*")
	Actor   spatial.Principal
}

// incoming is a GeoJSON feature as a client sends it.
type incoming struct {
	Type       string                     `json:"type"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func parseFeature(body []byte, patch bool) (incoming, error) {
	var f incoming
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&f); err != nil {
		return f, spatial.Invalid("body", "not a GeoJSON feature: %v", err)
	}
	if !patch && f.Type != "Feature" {
		return f, spatial.Invalid("body", `a GeoJSON feature has "type": "Feature", got %q`, f.Type)
	}
	if !patch && (len(f.Geometry) == 0 || string(f.Geometry) == "null") {
		return f, spatial.Invalid("geometry", "the feature has no geometry")
	}
	return f, nil
}

// geomType reads "geometry(MultiPolygon,4490)" or "geometry(PointZ,4490)".
var geomType = regexp.MustCompile(`^geometry\((\w+?)(Z?M?),\d+\)$`)

// geometryInput is the SQL reading the bound GeoJSON geometry into the layer's column type.
func geometryInput(l *spatial.Layer, crs CRS, placeholder string) string {
	g := crs.geometryIn("ST_GeomFromGeoJSON(" + placeholder + "::text)")
	c, _ := l.Column(l.GeometryColumn)
	m := geomType.FindStringSubmatch(c.PGType)
	if m == nil {
		return g
	}
	if strings.HasPrefix(m[1], "Multi") {
		g = "ST_Multi(" + g + ")"
	}
	if strings.Contains(m[2], "Z") {
		g = "ST_Force3D(" + g + ")"
	} else {
		g = "ST_Force2D(" + g + ")"
	}
	return g
}

// writable checks the property names of a body against the layer's exposed properties.
func writable(l *spatial.Layer, props map[string]json.RawMessage) ([]string, error) {
	names := make([]string, 0, len(props))
	for n := range props {
		if n == l.IDColumn || n == l.GeometryColumn || n == l.TileColumn {
			return nil, spatial.Invalid(n, "property %q of %s is not writable", n, l.ID)
		}
		if propertyIndex(l, n) < 0 {
			return nil, spatial.Invalid(n, "unknown property %q of %s; its properties are %s", n, l.ID, propertyNames(l))
		}
		names = append(names, n)
	}
	return names, nil
}

// rowJSON is the audit image of row t.
const rowJSON = "to_jsonb(t) - 'geom_3857'"

// boxSQL is the bounding box of row t's geometry.
func boxSQL(l *spatial.Layer) string {
	g := col(l.GeometryColumn)
	return fmt.Sprintf("ARRAY[ST_XMin(%s), ST_YMin(%s), ST_XMax(%s), ST_YMax(%s)]", g, g, g, g)
}

// Create inserts a feature and returns its id and entity tag.
func (s *Store) Create(ctx context.Context, e Edit) (string, string, error) {
	l := e.Layer
	f, err := parseFeature(e.Body, false)
	if err != nil {
		return "", "", err
	}
	names, err := writable(l, f.Properties)
	if err != nil {
		return "", "", err
	}
	if err := s.checkGeometry(ctx, l, e.CRS, f.Geometry); err != nil {
		return "", "", err
	}
	var id, etag string
	err = s.edit(ctx, e, "create", func(tx pgx.Tx, a *args) (string, error) {
		cols := []string{pgx.Identifier{l.GeometryColumn}.Sanitize()}
		vals := []string{geometryInput(l, e.CRS, a.add(string(f.Geometry)))}
		if _, ok := l.Column("dataset_id"); ok {
			ds, err := editDataset(ctx, tx, l, e.Actor)
			if err != nil {
				return "", err
			}
			cols = append(cols, `"dataset_id"`)
			vals = append(vals, a.add(ds))
		}
		for _, n := range names {
			cols = append(cols, pgx.Identifier{n}.Sanitize())
			vals = append(vals, "v."+pgx.Identifier{n}.Sanitize())
		}
		rec := a.add(propsJSON(f.Properties))
		return "INSERT INTO " + table(l) + " AS t (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(vals, ", ") +
			" FROM jsonb_populate_record(NULL::" + table(l) + ", " + rec + "::jsonb) v" +
			" RETURNING " + col(l.IDColumn) + "::text, " + etagSQL + ", NULL::jsonb, " + rowJSON + ", " + boxSQL(l), nil
	}, &id, &etag)
	return id, etag, err
}

// Replace replaces a feature's geometry and properties (absent properties become null).
func (s *Store) Replace(ctx context.Context, e Edit) (string, error) {
	f, err := parseFeature(e.Body, false)
	if err != nil {
		return "", err
	}
	all := make(map[string]json.RawMessage, len(e.Layer.Properties))
	for _, p := range e.Layer.Properties {
		all[p.Name] = json.RawMessage("null")
	}
	if _, err := writable(e.Layer, f.Properties); err != nil {
		return "", err
	}
	for n, v := range f.Properties {
		all[n] = v
	}
	f.Properties = all
	return s.update(ctx, e, f, "replace")
}

// Update applies a JSON merge patch (RFC 7396) to a feature: the properties it names and, when it
// has one, the geometry.
func (s *Store) Update(ctx context.Context, e Edit) (string, error) {
	f, err := parseFeature(e.Body, true)
	if err != nil {
		return "", err
	}
	if string(f.Geometry) == "null" {
		return "", spatial.Invalid("geometry", "a feature of %s cannot lose its geometry", e.Layer.ID)
	}
	return s.update(ctx, e, f, "update")
}

func (s *Store) update(ctx context.Context, e Edit, f incoming, action string) (string, error) {
	l := e.Layer
	names, err := writable(l, f.Properties)
	if err != nil {
		return "", err
	}
	key, err := featureID(l, e.ID)
	if err != nil {
		return "", err
	}
	if len(f.Geometry) > 0 {
		if err := s.checkGeometry(ctx, l, e.CRS, f.Geometry); err != nil {
			return "", err
		}
	}
	var etag string
	err = s.edit(ctx, e, action, func(tx pgx.Tx, a *args) (string, error) {
		var sets []string
		if len(f.Geometry) > 0 {
			sets = append(sets, pgx.Identifier{l.GeometryColumn}.Sanitize()+" = "+geometryInput(l, e.CRS, a.add(string(f.Geometry))))
		}
		for _, n := range names {
			sets = append(sets, pgx.Identifier{n}.Sanitize()+" = v."+pgx.Identifier{n}.Sanitize())
		}
		if len(sets) == 0 {
			return "", spatial.Invalid("body", "the patch changes nothing")
		}
		rec := a.add(propsJSON(f.Properties))
		return "UPDATE " + table(l) + " AS t SET " + strings.Join(sets, ", ") +
			" FROM jsonb_populate_record(NULL::" + table(l) + ", " + rec + "::jsonb) v WHERE " + col(l.IDColumn) + " = " + a.add(key) +
			" RETURNING " + col(l.IDColumn) + "::text, " + etagSQL + ", NULL::jsonb, " + rowJSON + ", " + boxSQL(l), nil
	}, nil, &etag)
	return etag, err
}

// Delete removes a feature.
func (s *Store) Delete(ctx context.Context, e Edit) error {
	l := e.Layer
	key, err := featureID(l, e.ID)
	if err != nil {
		return err
	}
	return s.edit(ctx, e, "delete", func(tx pgx.Tx, a *args) (string, error) {
		return "DELETE FROM " + table(l) + " AS t WHERE " + col(l.IDColumn) + " = " + a.add(key) +
			" RETURNING " + col(l.IDColumn) + "::text, NULL::text, NULL::jsonb, NULL::jsonb, NULL::float8[]", nil
	}, nil, nil)
}

func propsJSON(props map[string]json.RawMessage) string {
	b, _ := json.Marshal(props) // raw messages re-marshal as they are
	return string(b)
}

// edit runs one change in a transaction: the precondition on the current row (locked), the statement,
// the audit row and the change notification that purges the tiles it touches.
func (s *Store) edit(ctx context.Context, e Edit, action string, build func(pgx.Tx, *args) (string, error), id, etag *string) error {
	l := e.Layer
	if !l.IsTable() {
		return spatial.Invalid("collectionId", "%s is served as tiles only and cannot be edited", l.ID)
	}
	if e.CRS.URI == "" {
		e.CRS = DefaultCRS()
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	var before []byte
	var beforeBox []float64
	if action != "create" {
		key, err := featureID(l, e.ID)
		if err != nil {
			return err
		}
		var cur string
		err = tx.QueryRow(ctx, "SELECT "+etagSQL+", "+rowJSON+", "+boxSQL(l)+" FROM "+table(l)+" t WHERE "+col(l.IDColumn)+" = $1 FOR UPDATE", key).
			Scan(&cur, &before, &beforeBox)
		if errors.Is(err, pgx.ErrNoRows) {
			return spatial.NotFound("feature %q of %s", e.ID, l.ID)
		}
		if err != nil {
			return queryError(l.ID, err)
		}
		if e.IfMatch != "" && !matches(e.IfMatch, cur) {
			return fmt.Errorf("feature %s of %s has entity tag %s, not %s (it changed since it was read): %w", e.ID, l.ID, cur, e.IfMatch, spatial.ErrPrecondition)
		}
	}
	var a args
	sql, err := build(tx, &a)
	if err != nil {
		return err
	}
	var gotID, gotETag *string
	var ignored, after []byte
	var afterBox []float64
	if err := tx.QueryRow(ctx, sql, a...).Scan(&gotID, &gotETag, &ignored, &after, &afterBox); err != nil {
		return queryError(l.ID, err)
	}
	if gotID != nil && id != nil {
		*id = *gotID
	}
	if gotETag != nil && etag != nil {
		*etag = *gotETag
	}
	featureKey := e.ID
	if gotID != nil {
		featureKey = *gotID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO catalog.feature_audit (layer_id, feature_id, action, actor, before, after)
		VALUES ($1, $2, $3, $4, $5, $6)`, l.ID, featureKey, action, e.Actor.Subject, before, after); err != nil {
		return err
	}
	bbox := union(beforeBox, afterBox)
	if err := spatial.NotifyChange(ctx, tx, spatial.Change{Layers: []string{l.ID}, BBox: bbox, Dataset: l.DatasetID, Reason: "edit"}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.forgetCounts(l.ID)
	if s.onEdit != nil {
		s.onEdit(l.ID, bbox)
	}
	return nil
}

// matches reports whether an If-Match header value admits the current entity tag.
func matches(ifMatch, cur string) bool {
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == cur {
			return true
		}
	}
	return false
}

func union(a, b []float64) *[4]float64 {
	var out *[4]float64
	for _, x := range [][]float64{a, b} {
		if len(x) != 4 {
			continue
		}
		if out == nil {
			out = &[4]float64{x[0], x[1], x[2], x[3]}
			continue
		}
		out[0], out[1], out[2], out[3] = min(out[0], x[0]), min(out[1], x[1]), max(out[2], x[2]), max(out[3], x[3])
	}
	return out
}

// editDataset is the catalog.dataset that features created through the API belong to: the layer's
// own dataset for a per-dataset layer, else one "ogcapi:<layer>" dataset per layer.
func editDataset(ctx context.Context, tx pgx.Tx, l *spatial.Layer, actor spatial.Principal) (int64, error) {
	if l.DatasetID != 0 {
		return l.DatasetID, nil
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO catalog.dataset (name, kind, format, source, source_hash, source_crs, imported_by)
		VALUES ($1, $2, 'ogcapi', 'OGC API – Features edits', '', 'EPSG:4490', $3)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`, "ogcapi:"+l.ID, l.Theme, actor.Subject).Scan(&id)
	return id, err
}

// forgetCounts drops the cached numberMatched and extent of a layer after an edit.
func (s *Store) forgetCounts(layer string) {
	s.extents.Remove(layer)
	for _, k := range s.counts.Keys() {
		if strings.HasPrefix(k, layer+"\x00") {
			s.counts.Remove(k)
		}
	}
}
