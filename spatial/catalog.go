package spatial

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Property is an exposed column of a layer, with its titles for people.
type Property struct {
	Name    string `json:"name"`
	TitleZh string `json:"title_zh"`
	TitleEn string `json:"title_en"`
	Type    string `json:"type"` // string, integer, number, boolean, datetime, object
	// TileMinZoom is the zoom from which the property is in the layer's vector tiles (0: at every
	// zoom). Attributes only the close-up style and people read (labels at z17, remarks) stay out of
	// the overview tiles, which then cost the database a fraction; identify and the features API
	// always have them.
	TileMinZoom int `json:"tile_min_zoom,omitempty"`
}

// Column is a column of a table layer as the database has it.
type Column struct {
	Name    string
	PGType  string // format_type(): integer, text, real, geometry(MultiPolygon,4490), jsonb, ...
	NotNull bool
}

// Layer is one row of catalog.layer, checked against the database when the catalog loads.
type Layer struct {
	ID          string
	TitleZh     string
	TitleEn     string
	Description string
	Theme       string
	SortOrder   int

	Kind     string // table or function
	Schema   string
	Table    string // kind table
	Function string // kind function: f(z, x, y, params jsonb) returns bytea

	IDColumn       string
	GeometryColumn string // SRID 4490
	TileColumn     string // indexed EPSG:3857 copy
	GeometryType   string

	MinZoom, MaxZoom int
	Extent, Buffer   int
	FeatureCap       int // 0: no cap

	Properties []Property
	Style      json.RawMessage
	ReadRoles  []string
	WriteRoles []string
	DatasetID  int64 // 0: not a per-dataset layer
	UpdatedAt  time.Time

	// Columns of a table layer (every column, in table order), from the database.
	Columns []Column

	// Sources are the layers a derived layer is made from: those whose tables its view reads (a
	// view or materialized view, through any views between) and those tiles.derived names.
	Sources []string
	// readSets are the read roles of the layer and of all its sources, each of which a reader
	// needs one of (nil: ReadRoles alone).
	readSets [][]string
}

// IsTable reports whether the layer reads a table (else a function).
func (l *Layer) IsTable() bool { return l.Kind == "table" }

// CanRead reports whether p may read the layer.
// A derived layer is readable only by whoever may read every layer it is made from (the strictest
// rules win): a label taken from a restricted layer must not be readable through the label layer.
func (l *Layer) CanRead(p Principal) bool {
	if l.readSets == nil {
		return p.Any(l.ReadRoles)
	}
	for _, roles := range l.readSets {
		if !p.Any(roles) {
			return false
		}
	}
	return true
}

// CanWrite reports whether p may create, replace, update or delete the layer's features.
func (l *Layer) CanWrite(p Principal) bool {
	return len(l.WriteRoles) > 0 && p.Any(l.WriteRoles) || p.Has(RoleAdmin)
}

// Column returns the named column of a table layer.
func (l *Layer) Column(name string) (Column, bool) {
	i := slices.IndexFunc(l.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return Column{}, false
	}
	return l.Columns[i], true
}

// Title is the layer's title in a language (zh or en).
func (l *Layer) Title(lang string) string {
	if lang == "en" {
		return l.TitleEn
	}
	return l.TitleZh
}

// Catalog is an immutable snapshot of every layer. Replace it, never change it.
type Catalog struct {
	layers map[string]*Layer
	order  []*Layer
	// Problems are layers left out because the database does not match their row.
	Problems []error
	Loaded   time.Time
}

// Layer returns a layer by id.
func (c *Catalog) Layer(id string) (*Layer, bool) {
	l, ok := c.layers[id]
	return l, ok
}

// Layers returns every layer, ordered by theme and sort order.
func (c *Catalog) Layers() []*Layer { return c.order }

// Readable returns the layers p may read, in catalog order.
func (c *Catalog) Readable(p Principal) []*Layer {
	var out []*Layer
	for _, l := range c.order {
		if l.CanRead(p) {
			out = append(out, l)
		}
	}
	return out
}

// Querier runs queries: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadCatalog reads catalog.layer and checks every table layer against the database: a layer whose
// table, geometry column or exposed property does not exist is left out and listed in Problems.
func LoadCatalog(ctx context.Context, db Querier) (*Catalog, error) {
	rows, err := db.Query(ctx, `
		SELECT id, title_zh, title_en, coalesce(description, ''), theme, sort_order, kind, schema_name,
		       coalesce(table_name, ''), coalesce(function_name, ''), id_column, geometry_column, tile_column,
		       geometry_type, min_zoom, max_zoom, extent, buffer, coalesce(feature_cap, 0), properties,
		       style, read_roles, write_roles, coalesce(dataset_id, 0), updated_at
		FROM catalog.layer`)
	if err != nil {
		return nil, fmt.Errorf("reading catalog.layer: %w", err)
	}
	layers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Layer, error) {
		var l Layer
		var props []byte
		err := r.Scan(&l.ID, &l.TitleZh, &l.TitleEn, &l.Description, &l.Theme, &l.SortOrder, &l.Kind, &l.Schema,
			&l.Table, &l.Function, &l.IDColumn, &l.GeometryColumn, &l.TileColumn,
			&l.GeometryType, &l.MinZoom, &l.MaxZoom, &l.Extent, &l.Buffer, &l.FeatureCap, &props,
			&l.Style, &l.ReadRoles, &l.WriteRoles, &l.DatasetID, &l.UpdatedAt)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(props, &l.Properties); err != nil {
			return nil, fmt.Errorf("layer %s: properties: %w", l.ID, err)
		}
		return &l, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading catalog.layer: %w", err)
	}
	cols, err := tableColumns(ctx, db)
	if err != nil {
		return nil, err
	}
	c := &Catalog{layers: map[string]*Layer{}, Loaded: time.Now()}
	for _, l := range layers {
		if l.IsTable() {
			l.Columns = cols[l.Schema+"."+l.Table]
			if err := l.check(); err != nil {
				c.Problems = append(c.Problems, err)
				continue
			}
		}
		c.layers[l.ID] = l
		c.order = append(c.order, l)
	}
	if err := c.linkSources(ctx, db); err != nil {
		return nil, err
	}
	slices.SortFunc(c.order, func(a, b *Layer) int {
		return cmp.Or(cmp.Compare(themeRank(a.Theme), themeRank(b.Theme)), cmp.Compare(a.Theme, b.Theme),
			cmp.Compare(a.SortOrder, b.SortOrder), cmp.Compare(a.ID, b.ID))
	})
	return c, nil
}

// linkSources finds what each layer is derived from and gives it the read rules of all of it.
func (c *Catalog) linkSources(ctx context.Context, db Querier) error {
	// Tables (qualified names) a view or materialized view reads directly, and the layers
	// tiles.derived says a table is computed from.
	rows, err := db.Query(ctx, `
		SELECT DISTINCT vn.nspname || '.' || v.relname, sn.nspname || '.' || s.relname, false
		FROM pg_rewrite r
		JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
		     AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
		JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
		JOIN pg_class s ON s.oid = d.refobjid JOIN pg_namespace sn ON sn.oid = s.relnamespace
		WHERE s.relkind IN ('r', 'p', 'v', 'm', 'f') AND vn.nspname NOT IN ('pg_catalog', 'information_schema')
		UNION
		SELECT view_schema || '.' || view_name, unnest(sources), true
		FROM tiles.derived`)
	if err != nil {
		return fmt.Errorf("reading what views are made from: %w", err)
	}
	reads := map[string][]string{}    // table → tables it reads
	declared := map[string][]string{} // table → layers it is made from
	for rows.Next() {
		var table, src string
		var isLayer bool
		if err := rows.Scan(&table, &src, &isLayer); err != nil {
			rows.Close()
			return err
		}
		if isLayer {
			declared[table] = append(declared[table], src)
		} else {
			reads[table] = append(reads[table], src)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	layersOf := map[string][]string{} // table → layers serving it
	for _, l := range c.order {
		if l.IsTable() {
			t := l.Schema + "." + l.Table
			layersOf[t] = append(layersOf[t], l.ID)
		}
	}
	for _, l := range c.order {
		if !l.IsTable() {
			continue
		}
		seen := map[string]bool{}
		var walk func(table string)
		walk = func(table string) {
			if seen[table] {
				return
			}
			seen[table] = true
			for _, id := range declared[table] {
				if id != l.ID && !slices.Contains(l.Sources, id) {
					l.Sources = append(l.Sources, id)
				}
			}
			for _, src := range reads[table] {
				for _, id := range layersOf[src] {
					if id != l.ID && !slices.Contains(l.Sources, id) {
						l.Sources = append(l.Sources, id)
					}
				}
				walk(src)
			}
		}
		walk(l.Schema + "." + l.Table)
		slices.Sort(l.Sources)
	}
	// The read rules: the layer's own and, through sources of sources, every layer it is made from.
	// A source missing from the catalog (left out for a problem) cannot be checked: nobody but an
	// admin may read through it.
	for _, l := range c.order {
		if len(l.Sources) == 0 {
			continue
		}
		l.readSets = [][]string{l.ReadRoles}
		seen := map[string]bool{l.ID: true}
		queue := slices.Clone(l.Sources)
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if seen[id] {
				continue
			}
			seen[id] = true
			src, ok := c.layers[id]
			if !ok {
				l.readSets = append(l.readSets, nil)
				continue
			}
			l.readSets = append(l.readSets, src.ReadRoles)
			queue = append(queue, src.Sources...)
		}
	}
	return nil
}

// themeRank orders the layer tree: base map first, then pipelines, geology, 3D, reference, live
// objects, the scenarios.
func themeRank(theme string) int {
	if i := slices.Index([]string{"basemap", "pipeline", "geology", "twin", "reference", "live"}, theme); i >= 0 {
		return i
	}
	return 100
}

func (l *Layer) check() error {
	if len(l.Columns) == 0 {
		return fmt.Errorf("layer %s: table %s.%s does not exist", l.ID, l.Schema, l.Table)
	}
	for _, name := range []string{l.IDColumn, l.GeometryColumn, l.TileColumn} {
		if _, ok := l.Column(name); !ok {
			return fmt.Errorf("layer %s: table %s.%s has no column %q", l.ID, l.Schema, l.Table, name)
		}
	}
	for _, p := range l.Properties {
		if _, ok := l.Column(p.Name); !ok {
			return fmt.Errorf("layer %s: exposed property %q is not a column of %s.%s", l.ID, p.Name, l.Schema, l.Table)
		}
		if p.TileMinZoom < 0 || p.TileMinZoom > 24 {
			return fmt.Errorf("layer %s: property %q: tile_min_zoom %d is not a zoom (0–24)", l.ID, p.Name, p.TileMinZoom)
		}
	}
	return nil
}

// tableColumns lists the columns of every ordinary table in the database's non-system schemas.
func tableColumns(ctx context.Context, db Querier) (map[string][]Column, error) {
	rows, err := db.Query(ctx, `
		SELECT n.nspname || '.' || c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		ORDER BY 1, a.attnum`)
	if err != nil {
		return nil, fmt.Errorf("reading table columns: %w", err)
	}
	defer rows.Close()
	out := map[string][]Column{}
	for rows.Next() {
		var table string
		var c Column
		if err := rows.Scan(&table, &c.Name, &c.PGType, &c.NotNull); err != nil {
			return nil, err
		}
		out[table] = append(out[table], c)
	}
	return out, rows.Err()
}

// CatalogChannel is the NOTIFY channel catalog.layer's trigger signals on.
const CatalogChannel = "yitu_catalog"

// CatalogStore holds the current catalog and reloads it when catalog.layer changes (LISTEN, not
// polling), so a new layer appears on every replica without a restart.
type CatalogStore struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	cur  atomic.Pointer[Catalog]

	mu        sync.Mutex
	listeners []func(*Catalog)
}

// NewCatalogStore loads the catalog once.
func NewCatalogStore(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*CatalogStore, error) {
	s := &CatalogStore{pool: pool, log: log}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the catalog in force.
func (s *CatalogStore) Current() *Catalog { return s.cur.Load() }

// OnChange registers f to run after every reload with the new catalog.
func (s *CatalogStore) OnChange(f func(*Catalog)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, f)
}

// Reload reads the catalog now.
func (s *CatalogStore) Reload(ctx context.Context) error {
	c, err := LoadCatalog(ctx, s.pool)
	if err != nil {
		return err
	}
	for _, p := range c.Problems {
		s.log.Warn("catalog: layer left out", "err", p)
	}
	s.cur.Store(c)
	s.mu.Lock()
	ls := slices.Clone(s.listeners)
	s.mu.Unlock()
	for _, f := range ls {
		f(c)
	}
	return nil
}

// Run listens for catalog changes until ctx ends, reloading on each (a burst of changes, such as an
// import registering many layers, is coalesced into one reload). A lost connection is re-established,
// and the catalog reloaded then, since notifications may have been missed meanwhile.
func (s *CatalogStore) Run(ctx context.Context) {
	Listener{
		Channel:   CatalogChannel,
		Coalesce:  50 * time.Millisecond,
		Connected: s.Reload,
		Notify: func(ctx context.Context, _ []string) {
			if err := s.Reload(ctx); err != nil {
				s.log.Error("catalog: reload failed; keeping the previous catalog", "err", err)
			}
		},
	}.Run(ctx, s.pool, s.log)
}
