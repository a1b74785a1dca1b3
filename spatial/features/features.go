// Package features reads and writes the features of catalog layers for OGC API – Features: paged,
// filtered GeoJSON built by PostGIS (ST_AsGeoJSON) and streamed row by row, single features with
// ETags, edits with optimistic locking and an audit trail, search over named features and identify.
package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
)

// Limits of the limit parameter.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// CountTTL is how long a numberMatched is reused for the same query (paging through a collection
// counts once); an edit through this store forgets the layer's counts at once.
const CountTTL = 5 * time.Second

// Store queries feature tables.
type Store struct {
	pool    *pgxpool.Pool
	read    *pgxpool.Pool // pages, search, identify and extents: pool, or a streaming replica (UseReplica)
	log     *slog.Logger
	counts  *expirable.LRU[string, int64]
	extents *expirable.LRU[string, *[4]float64]
	onEdit  func(layer string, bbox *[4]float64)
}

// OnEdit calls f after each committed edit with the layer and the lon/lat box the edit touched
// (before and after); f must not block.
func (s *Store) OnEdit(f func(layer string, bbox *[4]float64)) { s.onEdit = f }

// UseReplica reads pages, search, identify and extents from a streaming replica of the store's
// database; a Query with Fresh set, single features and every edit stay on the primary.
func (s *Store) UseReplica(read *pgxpool.Pool) { s.read = read }

// New returns a store over the pool.
func New(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, read: pool, log: log,
		counts:  expirable.NewLRU[string, int64](4096, nil, CountTTL),
		extents: expirable.NewLRU[string, *[4]float64](1024, nil, time.Minute)}
}

// Sort is one key of sortby.
type Sort struct {
	Property string
	Desc     bool
}

// Equal is a property=value query parameter.
type Equal struct {
	Property, Value string
}

// Near selects features within Radius metres of a point (CRS84), nearest first.
type Near struct {
	Lon, Lat, Radius float64
}

// Datetime is the datetime parameter: an instant (Start == End) or an interval with open ends nil.
type Datetime struct {
	Start, End *time.Time
}

// ParseDatetime reads an RFC 3339 instant or interval (a/b, ../b, a/.., a/, /b); dates stand for
// their whole day.
func ParseDatetime(s string) (*Datetime, error) {
	parse := func(v string, end bool) (*time.Time, error) {
		if v == "" || v == ".." {
			return nil, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return &t, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, spatial.Invalid("datetime", "%q is not an RFC 3339 date-time, a date or '..'", v)
		}
		if end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return &t, nil
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		start, err := parse(a, false)
		if err != nil || start == nil {
			return nil, spatial.Invalid("datetime", "%q is not an RFC 3339 date-time, a date or an interval", s)
		}
		end, _ := parse(a, true)
		return &Datetime{Start: start, End: end}, nil
	}
	start, err := parse(a, false)
	if err != nil {
		return nil, err
	}
	end, err := parse(b, true)
	if err != nil {
		return nil, err
	}
	if start != nil && end != nil && end.Before(*start) {
		return nil, spatial.Invalid("datetime", "the interval %q ends before it starts", s)
	}
	return &Datetime{Start: start, End: end}, nil
}

// Query selects a page of a layer's features.
type Query struct {
	Layer *spatial.Layer
	// Fresh reads the primary even when a replica is in use: a caller who edits the layer sees
	// its own edits at once, not after the replication lag.
	Fresh      bool
	Limit      int
	Offset     int
	BBox       []float64 // 4 or 6 numbers in BBoxCRS axis order
	BBoxCRS    CRS
	Datetime   *Datetime
	Equals     []Equal
	Filter     *cql2.Filter
	FilterCRS  CRS
	SortBy     []Sort
	Properties []string // nil: every exposed property
	CRS        CRS
	Near       *Near
}

// Page says what a written page held.
type Page struct {
	Returned int
	HasNext  bool
	// Matched is the number of features the query selects (exact; reused for CountTTL), -1 when
	// counting took longer than its budget.
	Matched int64
}

// table is the layer's table, quoted.
func table(l *spatial.Layer) string { return pgx.Identifier{l.Schema, l.Table}.Sanitize() }

func col(name string) string { return "t." + pgx.Identifier{name}.Sanitize() }

// layerSchema is the CQL2 schema of a layer's features (geometry in SRID 4490).
func layerSchema(l *spatial.Layer) cql2.Schema {
	s := cql2.ForLayer(l, l.GeometryColumn, 4490)
	s.Alias = "t"
	return s
}

// Queryables returns the queryables of a layer, for the /queryables document.
func Queryables(l *spatial.Layer) []cql2.Queryable {
	s := layerSchema(l)
	out := make([]cql2.Queryable, 0, len(s.Queryables))
	for _, n := range s.Names() {
		out = append(out, s.Queryables[n])
	}
	return out
}

// featureSQL is the SQL expression of one feature as GeoJSON text with the given properties.
func featureSQL(l *spatial.Layer, props []spatial.Property, crs CRS) string {
	var b strings.Builder
	b.WriteString(`'{"type":"Feature","id":' || to_json(`)
	b.WriteString(col(l.IDColumn))
	b.WriteString(`)::text || ',"geometry":' || coalesce(ST_AsGeoJSON(`)
	b.WriteString(crs.geometryOut(col(l.GeometryColumn)))
	fmt.Fprintf(&b, `, %d, 0), 'null') || ',"properties":' || `, crs.Digits)
	b.WriteString(propertiesSQL(props))
	b.WriteString(` || '}'`)
	return b.String()
}

// propertiesSQL builds the properties object; json_build_object takes at most 100 arguments, so
// larger sets are merged from chunks.
func propertiesSQL(props []spatial.Property) string {
	if len(props) == 0 {
		return `'{}'`
	}
	var chunks []string
	for i := 0; i < len(props); i += 50 {
		var parts []string
		for _, p := range props[i:min(i+50, len(props))] {
			parts = append(parts, quoteLiteral(p.Name), col(p.Name))
		}
		chunks = append(chunks, "jsonb_build_object("+strings.Join(parts, ", ")+")")
	}
	if len(chunks) == 1 {
		return "json_build_object" + strings.TrimPrefix(chunks[0], "jsonb_build_object") + "::text"
	}
	return "(" + strings.Join(chunks, " || ") + ")::text"
}

// quoteLiteral quotes a catalog property name (checked against the table's columns at load) as a
// SQL string literal for json_build_object keys.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// selectedProperties resolves the properties parameter.
func selectedProperties(l *spatial.Layer, names []string) ([]spatial.Property, error) {
	if names == nil {
		return l.Properties, nil
	}
	out := make([]spatial.Property, 0, len(names))
	for _, n := range names {
		i := propertyIndex(l, n)
		if i < 0 {
			return nil, spatial.Invalid("properties", "unknown property %q of %s; the properties are %s", n, l.ID, propertyNames(l))
		}
		out = append(out, l.Properties[i])
	}
	return out, nil
}

func propertyIndex(l *spatial.Layer, name string) int {
	for i, p := range l.Properties {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func propertyNames(l *spatial.Layer) string {
	names := make([]string, len(l.Properties))
	for i, p := range l.Properties {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// args collects bind arguments and hands out their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where compiles the selection of q (everything but paging and order) into conditions.
func where(q *Query, a *args) ([]string, error) {
	l := q.Layer
	geom := col(l.GeometryColumn)
	var conds []string
	if len(q.BBox) > 0 {
		b := q.BBox
		if len(b) == 6 {
			b = []float64{b[0], b[1], b[3], b[4]}
		}
		if len(b) != 4 {
			return nil, spatial.Invalid("bbox", "takes 4 or 6 numbers, got %d", len(q.BBox))
		}
		if q.BBoxCRS.URI == "" {
			q.BBoxCRS = DefaultCRS()
		}
		x1, y1, x2, y2 := b[0], b[1], b[2], b[3]
		if q.BBoxCRS.Flip {
			x1, y1, x2, y2 = y1, x1, y2, x2
		}
		if y1 > y2 || (x1 > x2 && q.BBoxCRS.SRID != 4490) {
			return nil, spatial.Invalid("bbox", "the lower corner %g,%g is above the upper corner %g,%g", b[0], b[1], b[2], b[3])
		}
		if x1 > x2 { // crosses the antimeridian: two boxes
			conds = append(conds, fmt.Sprintf("(%s && ST_MakeEnvelope(%s, %s, 180, %s, 4490) OR %s && ST_MakeEnvelope(-180, %s, %s, %s, 4490))",
				geom, a.add(x1), a.add(y1), a.add(y2), geom, a.add(y1), a.add(x2), a.add(y2)))
		} else {
			env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s)", a.add(x1), a.add(y1), a.add(x2), a.add(y2))
			crs := q.BBoxCRS
			crs.Flip = false // the corners are in x, y order already
			env = crs.geometryIn(env)
			conds = append(conds, "ST_Intersects("+geom+", "+env+")")
		}
	}
	if q.Datetime != nil {
		if tp := temporalProperty(l); tp != "" {
			c := col(tp)
			if q.Datetime.Start != nil {
				conds = append(conds, c+" >= "+a.add(*q.Datetime.Start)+"::timestamptz")
			}
			if q.Datetime.End != nil {
				conds = append(conds, c+" <= "+a.add(*q.Datetime.End)+"::timestamptz")
			}
		}
	}
	for _, e := range q.Equals {
		i := propertyIndex(l, e.Property)
		if i < 0 {
			return nil, spatial.Invalid(e.Property, "unknown parameter; %s has no property %q (its properties are %s)", l.ID, e.Property, propertyNames(l))
		}
		v, cast, err := typedValue(l.Properties[i], e.Value)
		if err != nil {
			return nil, err
		}
		conds = append(conds, col(e.Property)+" = "+a.add(v)+"::"+cast)
	}
	if q.Filter != nil {
		s := layerSchema(l)
		if q.FilterCRS.URI != "" {
			s.LiteralSRID, s.FlipLiterals = q.FilterCRS.SRID, q.FilterCRS.Flip
		}
		sql, fargs, err := q.Filter.Compile(s, len(*a)+1)
		if err != nil {
			return nil, err
		}
		*a = append(*a, fargs...)
		conds = append(conds, sql)
	}
	if q.Near != nil {
		n := q.Near
		if n.Radius <= 0 || n.Radius > 100000 {
			return nil, spatial.Invalid("radius", "must be between 0 and 100000 metres, got %g", n.Radius)
		}
		pt := fmt.Sprintf("ST_SetSRID(ST_MakePoint(%s, %s), 4490)", a.add(n.Lon), a.add(n.Lat))
		r := a.add(n.Radius)
		conds = append(conds, fmt.Sprintf("%s && ST_Expand(%s, %s::float8 / 55000.0) AND ST_DWithin(%s::geography, %s::geography, %s)", geom, pt, r, geom, pt, r))
	}
	return conds, nil
}

// temporalProperty is the first datetime or date property of a layer, or "".
func temporalProperty(l *spatial.Layer) string {
	for _, p := range l.Properties {
		if p.Type == "datetime" || p.Type == "date" {
			return p.Name
		}
	}
	return ""
}

// typedValue converts a query-string value to the property's type, with the SQL cast to bind it.
func typedValue(p spatial.Property, s string) (any, string, error) {
	switch p.Type {
	case "integer":
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, "", spatial.Invalid(p.Name, "%q is not an integer", s)
		}
		return v, "bigint", nil
	case "number":
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, "", spatial.Invalid(p.Name, "%q is not a number", s)
		}
		return v, "float8", nil
	case "boolean":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, "", spatial.Invalid(p.Name, "%q is not true or false", s)
		}
		return v, "boolean", nil
	case "datetime", "date":
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if v, err = time.Parse(time.DateOnly, s); err != nil {
				return nil, "", spatial.Invalid(p.Name, "%q is not an RFC 3339 timestamp or a date", s)
			}
		}
		return v, "timestamptz", nil
	case "object":
		return nil, "", spatial.Invalid(p.Name, "property %q is an object and cannot be matched", p.Name)
	}
	return s, "text", nil
}

func orderBy(q *Query, a *args) (string, error) {
	l := q.Layer
	var keys []string
	if q.Near != nil {
		keys = append(keys, fmt.Sprintf("%s::geography <-> ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography",
			col(l.GeometryColumn), a.add(q.Near.Lon), a.add(q.Near.Lat)))
	}
	for _, s := range q.SortBy {
		if s.Property != l.IDColumn && propertyIndex(l, s.Property) < 0 {
			return "", spatial.Invalid("sortby", "unknown property %q of %s; sortable are %s, %s", s.Property, l.ID, l.IDColumn, propertyNames(l))
		}
		k := col(s.Property)
		if s.Desc {
			k += " DESC"
		}
		keys = append(keys, k)
	}
	keys = append(keys, col(l.IDColumn))
	return " ORDER BY " + strings.Join(keys, ", "), nil
}

// Cursor streams the features of one page. Close it.
type Cursor struct {
	rows     pgx.Rows
	first    []byte // the first feature, read by Items to surface query errors before any output
	limit    int
	offset   int
	returned int
	hasNext  bool
	ctx      context.Context
	cancel   context.CancelFunc
	store    *Store
	db       *pgxpool.Pool // where the page is read (and counted)
	// The count query, run by Page only when the page does not tell the total itself.
	countSQL  string
	countArgs []any
	countKey  string
}

// Items runs q and returns a cursor over its page. Errors of the query (bad input, timeouts) come
// from here, before any feature is written.
func (s *Store) Items(ctx context.Context, q Query) (*Cursor, error) {
	l := q.Layer
	if !l.IsTable() {
		return nil, spatial.Invalid("collectionId", "%s is served as tiles only", l.ID)
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return nil, spatial.Invalid("limit", "must be between 1 and %d, got %d", MaxLimit, q.Limit)
	}
	if q.Offset < 0 {
		return nil, spatial.Invalid("offset", "must not be negative, got %d", q.Offset)
	}
	if q.CRS.URI == "" {
		q.CRS = DefaultCRS()
	}
	props, err := selectedProperties(l, q.Properties)
	if err != nil {
		return nil, err
	}
	var a args
	conds, err := where(&q, &a)
	if err != nil {
		return nil, err
	}
	whereSQL := ""
	if len(conds) > 0 {
		whereSQL = " WHERE " + strings.Join(conds, " AND ")
	}
	nWhere := len(a)
	order, err := orderBy(&q, &a)
	if err != nil {
		return nil, err
	}
	// The page is cut in a subquery so features are encoded only for its rows, not for the rows that
	// OFFSET skips; the outer ORDER BY keeps the order (a sort of one page).
	sql := "SELECT " + featureSQL(l, props, q.CRS) + " FROM (SELECT * FROM " + table(l) + " t" + whereSQL + order +
		" LIMIT " + a.add(q.Limit+1) + " OFFSET " + a.add(q.Offset) + ") t" + order

	// The cursor outlives the handler that opens it (the body is streamed after it returns).
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &Cursor{limit: q.Limit, offset: q.Offset, ctx: cctx, cancel: cancel, store: s,
		countSQL: "SELECT count(*) FROM " + table(l) + " t" + whereSQL, countArgs: a[:nWhere:nWhere]}
	c.countKey = l.ID + "\x00" + whereSQL + "\x00" + fmt.Sprint(c.countArgs...)
	db := s.read
	if q.Fresh {
		db = s.pool
	}
	rows, err := db.Query(cctx, sql, a...)
	if err != nil {
		cancel()
		return nil, queryError(l.ID, err)
	}
	c.rows, c.db = rows, db
	if rows.Next() {
		c.first = append([]byte(nil), rows.RawValues()[0]...)
	} else if err := rows.Err(); err != nil {
		c.Close()
		return nil, queryError(l.ID, err)
	}
	return c, nil
}

// matched counts what the query selects, remembering the count for CountTTL; a count slower than
// its budget leaves numberMatched out (-1).
func (c *Cursor) matched() int64 {
	if n, ok := c.store.counts.Get(c.countKey); ok {
		return n
	}
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	var n int64
	if err := c.db.QueryRow(ctx, c.countSQL, c.countArgs...).Scan(&n); err != nil {
		if ctx.Err() == nil {
			c.store.log.Warn("features: counting failed", "err", err)
		}
		return -1
	}
	c.store.counts.Add(c.countKey, n)
	return n
}

// WriteFeatures writes the page's features, comma-separated, to w.
func (c *Cursor) WriteFeatures(w io.Writer) error {
	if c.first == nil {
		return nil
	}
	if _, err := w.Write(c.first); err != nil {
		return err
	}
	c.returned = 1
	for c.rows.Next() {
		if c.returned == c.limit {
			c.hasNext = true
			break
		}
		if _, err := w.Write([]byte{','}); err != nil {
			return err
		}
		if _, err := w.Write(c.rows.RawValues()[0]); err != nil {
			return err
		}
		c.returned++
	}
	c.rows.Close()
	return c.rows.Err()
}

// Page reports the page after WriteFeatures. The last page tells the total without counting; other
// pages count (once per CountTTL for the same query).
func (c *Cursor) Page() Page {
	p := Page{Returned: c.returned, HasNext: c.hasNext}
	if !c.hasNext && (c.returned > 0 || c.offset == 0) {
		p.Matched = int64(c.offset + c.returned)
	} else {
		p.Matched = c.matched()
	}
	return p
}

// Close releases the query; safe to call twice.
func (c *Cursor) Close() {
	if c.rows != nil {
		c.rows.Close()
	}
	c.cancel()
}

// dataProblem says what a PostgreSQL data exception means, without its message.
func dataProblem(pe *pgconn.PgError) string {
	switch {
	case pe.Code == "XX000":
		return "the coordinates cannot be transformed into the layer's reference system"
	case pe.Code == "22P02" || pe.Code == "22P05":
		return "a value is not of its property's type"
	case pe.Code == "22003":
		return "a number is out of its property's range"
	case pe.Code == "22007" || pe.Code == "22008":
		return "a date or time is not valid"
	case pe.Code == "22001":
		return "a text is longer than its property takes"
	case pe.Code == "23502":
		return "a required value is missing"
	}
	return "a value the data cannot hold (SQLSTATE " + pe.Code + ")"
}

// queryError turns a database error into a domain error.
func queryError(subject string, err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "57014": // query_canceled: statement_timeout
		return &spatial.TimeoutError{Subject: subject, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &spatial.TimeoutError{Subject: subject, Err: err}
	case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || pe.Code == "XX000" && strings.Contains(pe.Message, "transform")):
		// data exceptions: a value the column cannot hold, a geometry PostGIS refuses. Said in our
		// words: the database's own messages are not for clients.
		return spatial.Invalid("", "%s: %s", subject, dataProblem(pe))
	}
	return fmt.Errorf("%s: %w", subject, err)
}
