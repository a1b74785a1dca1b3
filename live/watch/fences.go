package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/yitu-gis/yitu/spatial"
)

// Fence is a stored fence.
type Fence struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Kind        string          `json:"kind"` // polygon, circle, corridor
	Geometry    json.RawMessage `json:"geometry"`
	RadiusM     *float64        `json:"radius_m,omitempty"`
	WidthM      *float64        `json:"width_m,omitempty"`
	Rules       []Rule          `json:"rules"`
	AppliesTo   AppliesTo       `json:"applies_to"`
	ValidFrom   *time.Time      `json:"valid_from,omitempty"`
	ValidTo     *time.Time      `json:"valid_to,omitempty"`
	SourceLayer string          `json:"source_layer,omitempty"`
	SourceID    string          `json:"source_id,omitempty"`
	Props       map[string]any  `json:"props,omitempty"`
	CreatedBy   string          `json:"created_by"`
	UpdatedAt   time.Time       `json:"updated_at"`

	area  orb.MultiPolygon // the shape matched
	bound orb.Bound
}

// Feature is the fence as a GeoJSON Feature (its geometry as given: the polygon, the circle's
// centre, the corridor's line).
func (f *Fence) Feature() map[string]any {
	props := map[string]any{"id": f.ID, "name": f.Name, "kind": f.Kind, "rules": f.Rules, "applies_to": f.AppliesTo,
		"created_by": f.CreatedBy, "updated_at": f.UpdatedAt}
	if f.RadiusM != nil {
		props["radius_m"] = *f.RadiusM
	}
	if f.WidthM != nil {
		props["width_m"] = *f.WidthM
	}
	if f.ValidFrom != nil {
		props["valid_from"] = f.ValidFrom
	}
	if f.ValidTo != nil {
		props["valid_to"] = f.ValidTo
	}
	if f.SourceLayer != "" {
		props["source_layer"], props["source_id"] = f.SourceLayer, f.SourceID
	}
	for k, v := range f.Props {
		if _, ok := props[k]; !ok {
			props[k] = v
		}
	}
	return map[string]any{"type": "Feature", "id": f.ID, "geometry": f.Geometry, "properties": props}
}

// active reports whether the fence is valid at t.
func (f *Fence) active(t time.Time) bool {
	return (f.ValidFrom == nil || !t.Before(*f.ValidFrom)) && (f.ValidTo == nil || t.Before(*f.ValidTo))
}

// Store keeps fences, group rules and alarms in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns the store over the pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// FenceFeature is the body of POST /live/fences (and PUT …/{id}): a GeoJSON Feature.
type FenceFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Name        string         `json:"name"`
		Rules       []Rule         `json:"rules"`
		AppliesTo   AppliesTo      `json:"applies_to"`
		RadiusM     *float64       `json:"radius_m"`
		WidthM      *float64       `json:"width_m"`
		ValidFrom   *time.Time     `json:"valid_from"`
		ValidTo     *time.Time     `json:"valid_to"`
		SourceLayer string         `json:"source_layer"`
		SourceID    string         `json:"source_id"`
		Props       map[string]any `json:"props"`
	} `json:"properties"`
}

// ParseFenceFeature decodes and checks a fence feature; unknown properties are errors.
func ParseFenceFeature(body []byte) (*FenceFeature, error) {
	var f FenceFeature
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, spatial.Invalid("body", "not a fence feature: %v", err)
	}
	if f.Type != "Feature" {
		return nil, spatial.Invalid("type", "a fence is a GeoJSON Feature, got type %q", f.Type)
	}
	p := &f.Properties
	if strings.TrimSpace(p.Name) == "" {
		return nil, spatial.Invalid("properties.name", "a fence needs a name")
	}
	if err := p.AppliesTo.check("properties.applies_to"); err != nil {
		return nil, err
	}
	if p.ValidFrom != nil && p.ValidTo != nil && !p.ValidTo.After(*p.ValidFrom) {
		return nil, spatial.Invalid("properties.valid_to", "the validity ends before it starts")
	}
	return &f, nil
}

// kind is the fence's kind from its geometry (or its source layer's).
func (f *FenceFeature) kind() (string, error) {
	p := &f.Properties
	if p.SourceLayer != "" {
		if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
			return "", spatial.Invalid("geometry", "give a geometry or a source_layer feature, not both")
		}
		if p.SourceID == "" {
			return "", spatial.Invalid("properties.source_id", "a fence from a layer names its feature (source_id)")
		}
		return "polygon", nil
	}
	var g struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(f.Geometry, &g); err != nil || g.Type == "" {
		return "", spatial.Invalid("geometry", "a fence needs a GeoJSON geometry (or properties.source_layer and source_id)")
	}
	switch g.Type {
	case "Polygon", "MultiPolygon":
		return "polygon", nil
	case "Point":
		if p.RadiusM == nil || *p.RadiusM <= 0 || *p.RadiusM > 100_000 {
			return "", spatial.Invalid("properties.radius_m", "a circle fence (a Point) needs radius_m between 0 and 100000")
		}
		return "circle", nil
	case "LineString", "MultiLineString":
		if p.WidthM == nil || *p.WidthM <= 0 || *p.WidthM > 10_000 {
			return "", spatial.Invalid("properties.width_m", "a corridor fence (a route line) needs width_m between 0 and 10000")
		}
		return "corridor", nil
	}
	return "", spatial.Invalid("geometry", "a fence is a Polygon, a Point with radius_m or a LineString with width_m, not a %s", g.Type)
}

const fenceColumns = `id, name, kind, ST_AsGeoJSON(geom, 7, 0), radius_m, width_m, rules, applies_to, valid_from, valid_to,
	coalesce(source_layer, ''), coalesce(source_id, ''), props, created_by, updated_at, ST_AsBinary(area)`

func scanFence(row pgx.Row) (*Fence, error) {
	f := &Fence{}
	var geom string
	var area []byte
	err := row.Scan(&f.ID, &f.Name, &f.Kind, &geom, &f.RadiusM, &f.WidthM, &f.Rules, &f.AppliesTo, &f.ValidFrom, &f.ValidTo,
		&f.SourceLayer, &f.SourceID, &f.Props, &f.CreatedBy, &f.UpdatedAt, &area)
	if err != nil {
		return nil, err
	}
	f.Geometry = json.RawMessage(geom)
	g, err := wkb.Unmarshal(area)
	if err != nil {
		return nil, fmt.Errorf("fence %d: its area: %w", f.ID, err)
	}
	mp, ok := g.(orb.MultiPolygon)
	if !ok {
		return nil, fmt.Errorf("fence %d: its area is a %s", f.ID, g.GeoJSONType())
	}
	f.area, f.bound = mp, mp.Bound()
	for i := range f.Rules {
		if err := f.Rules[i].check("rules", true, f.Kind); err != nil {
			return nil, fmt.Errorf("fence %d: %w", f.ID, err)
		}
	}
	if len(f.Props) == 0 {
		f.Props = nil
	}
	return f, nil
}

// Fences returns every fence, by id.
func (s *Store) Fences(ctx context.Context) ([]*Fence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+fenceColumns+` FROM live.fence ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Fence, error) { return scanFence(r) })
}

// Fence returns one fence.
func (s *Store) Fence(ctx context.Context, id int64) (*Fence, error) {
	f, err := scanFence(s.pool.QueryRow(ctx, `SELECT `+fenceColumns+` FROM live.fence WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("fence %d", id)
	}
	return f, err
}

// PutFence stores a fence (id 0: a new one) and returns it. source is the catalog layer the feature
// names in properties.source_layer (nil when it names none); its polygon becomes the fence's.
func (s *Store) PutFence(ctx context.Context, id int64, ff *FenceFeature, who string, source *spatial.Layer) (*Fence, error) {
	kind, err := ff.kind()
	if err != nil {
		return nil, err
	}
	p := &ff.Properties
	for i := range p.Rules {
		if err := p.Rules[i].check(fmt.Sprintf("properties.rules[%d]", i), true, kind); err != nil {
			return nil, err
		}
	}
	if p.Rules == nil {
		p.Rules = []Rule{}
	}
	props := p.Props
	if props == nil {
		props = map[string]any{}
	}
	geomSQL, args := "ST_SetSRID(ST_GeomFromGeoJSON($1), 4490)", []any{string(ff.Geometry)}
	if p.SourceLayer != "" {
		if source == nil || source.ID != p.SourceLayer || !source.IsTable() {
			return nil, spatial.Invalid("properties.source_layer", "%q is not a table layer of the catalog", p.SourceLayer)
		}
		if !strings.Contains(source.GeometryType, "Polygon") && source.GeometryType != "Geometry" {
			return nil, spatial.Invalid("properties.source_layer", "%s holds %s features; a fence needs polygons", source.ID, source.GeometryType)
		}
		geomSQL = fmt.Sprintf("(SELECT ST_Force2D(%s) FROM %s WHERE %s::text = $1 AND GeometryType(%s) IN ('POLYGON', 'MULTIPOLYGON'))",
			pgx.Identifier{source.GeometryColumn}.Sanitize(), pgx.Identifier{source.Schema, source.Table}.Sanitize(),
			pgx.Identifier{source.IDColumn}.Sanitize(), pgx.Identifier{source.GeometryColumn}.Sanitize())
		args = []any{p.SourceID}
	}
	n := len(args)
	ph := func(i int) string { return fmt.Sprintf("$%d", n+i) }
	args = append(args, p.Name, kind, p.RadiusM, p.WidthM, p.Rules, p.AppliesTo, p.ValidFrom, p.ValidTo,
		nullIfEmpty(p.SourceLayer), nullIfEmpty(p.SourceID), props, who)
	var sql string
	if id == 0 {
		sql = fmt.Sprintf(`INSERT INTO live.fence (geom, name, kind, radius_m, width_m, rules, applies_to, valid_from, valid_to,
			source_layer, source_id, props, created_by) SELECT g, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM (SELECT %s AS g) s
			WHERE g IS NOT NULL RETURNING id`,
			ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10), ph(11), ph(12), geomSQL)
	} else {
		args = append(args, id)
		sql = fmt.Sprintf(`UPDATE live.fence SET geom = s.g, name = %s, kind = %s, radius_m = %s, width_m = %s, rules = %s,
			applies_to = %s, valid_from = %s, valid_to = %s, source_layer = %s, source_id = %s, props = %s, created_by = %s
			FROM (SELECT %s AS g) s WHERE id = %s AND s.g IS NOT NULL RETURNING id`,
			ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10), ph(11), ph(12), geomSQL, ph(13))
	}
	var got int64
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&got); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			if id != 0 {
				return nil, spatial.NotFound("fence %d", id)
			}
			return nil, spatial.NotFound("feature %s of layer %s", p.SourceID, p.SourceLayer)
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code[:2] == "22" || pe.Code[:2] == "XX" || pe.Code == "23514") {
			return nil, spatial.Invalid("geometry", "the fence's geometry is not usable (a polygon that closes, a point, a line; SQLSTATE %s)", pe.Code)
		}
		return nil, err
	}
	return s.Fence(ctx, got)
}

// DeleteFence removes a fence; its open alarms are cleared by the engine.
func (s *Store) DeleteFence(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM live.fence WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return spatial.NotFound("fence %d", id)
	}
	return err
}

// GroupRule is a stored rule of a device group.
type GroupRule struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Rule      Rule      `json:"rule"`
	AppliesTo AppliesTo `json:"applies_to"`
	Enabled   bool      `json:"enabled"`
	CreatedBy string    `json:"created_by"`
}

// Rules returns the group rules, by id.
func (s *Store) Rules(ctx context.Context) ([]GroupRule, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, rule, applies_to, enabled, created_by FROM live.rule ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (GroupRule, error) {
		var g GroupRule
		if err := r.Scan(&g.ID, &g.Name, &g.Rule, &g.AppliesTo, &g.Enabled, &g.CreatedBy); err != nil {
			return g, err
		}
		return g, g.Rule.check("rule", false, "")
	})
}

// PutRule stores a group rule (ID 0: a new one) and returns its id.
func (s *Store) PutRule(ctx context.Context, g GroupRule, who string) (int64, error) {
	if strings.TrimSpace(g.Name) == "" {
		return 0, spatial.Invalid("name", "a rule needs a name")
	}
	if err := g.Rule.check("rule", false, ""); err != nil {
		return 0, err
	}
	if err := g.AppliesTo.check("applies_to"); err != nil {
		return 0, err
	}
	if g.ID == 0 {
		err := s.pool.QueryRow(ctx, `INSERT INTO live.rule (name, rule, applies_to, enabled, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			g.Name, g.Rule, g.AppliesTo, g.Enabled, who).Scan(&g.ID)
		return g.ID, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE live.rule SET name = $1, rule = $2, applies_to = $3, enabled = $4, created_by = $5 WHERE id = $6`,
		g.Name, g.Rule, g.AppliesTo, g.Enabled, who, g.ID)
	if err == nil && tag.RowsAffected() == 0 {
		return 0, spatial.NotFound("rule %d", g.ID)
	}
	return g.ID, err
}

// DeleteRule removes a group rule.
func (s *Store) DeleteRule(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM live.rule WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return spatial.NotFound("rule %d", id)
	}
	return err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
