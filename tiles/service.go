package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
)

// Config is the tiles part of the configuration (yitu.yaml section `tiles`).
type Config struct {
	CacheMB         int           `yaml:"cache_mb"`         // in-memory tile cache; 0 turns caching off
	CacheDir        string        `yaml:"cache_dir"`        // optional disk cache (shared with `yitu seed`)
	CacheControl    string        `yaml:"cache_control"`    // Cache-Control of tile responses
	LayerTimeout    time.Duration `yaml:"layer_timeout"`    // time budget of one layer's query in a tile
	DiscoverSchemas []string      `yaml:"discover_schemas"` // also serve tables of these schemas that the catalog lacks
	FontDir         string        `yaml:"font_dir"`         // where the Noto CJK fonts are (Debian fonts-noto-cjk)
	GzipLevel       int           `yaml:"gzip_level"`       // 1 (fastest) to 9 (smallest): how rendered tiles are compressed
	Renders         int           `yaml:"renders"`          // tiles rendered at once (0: one per CPU); the others wait in order
	// ReplicaWait bounds how long a change waits for the read replica to replay it before its tiles
	// are purged anyway (a replica that far behind is in trouble, and its lag is in /metrics).
	ReplicaWait time.Duration `yaml:"replica_wait"`
}

// DefaultConfig is the configuration without a yitu.yaml.
func DefaultConfig() Config {
	return Config{
		CacheMB:      256,
		CacheControl: "public, no-cache", // revalidate with the ETag: a purged tile is never served stale
		LayerTimeout: 10 * time.Second,
		ReplicaWait:  10 * time.Second,
		FontDir:      "/usr/share/fonts/opentype/noto",
		// Level 6: level 1 rendered ~15% more uncached tiles per second on the demo city (measured
		// before the gzip writers were reused, when compressing cost more), but its tiles are ~15%
		// larger, which every cached response then pays for (cached throughput fell from 12.6k to
		// 9.3k tiles/s in the tile benchmark).
		GzipLevel: 6,
	}
}

// Service serves tiles from the catalog's layers.
type Service struct {
	pool    *pgxpool.Pool
	read    *pgxpool.Pool // tiles are rendered here: pool, or a streaming replica of it (UseReplica)
	catalog *spatial.CatalogStore
	cfg     Config
	log     *slog.Logger

	cur     atomic.Pointer[compiled]
	mem     *memCache // nil: no memory cache
	disk    *diskCache
	flight  flight
	events  *Broker
	glyphs  *glyphs
	sprites sprites
	stats   stats
	epoch   atomic.Uint64 // bumped by every purge, so a tile rendered before one is not cached after it

	gzipWriters sync.Pool // *gzip.Writer at cfg.GzipLevel
	// renders admits cfg.Renders tile renders at once. A render is one database backend working
	// through the tile's layers: beyond one per core the database only shares the cores among more
	// tiles, and every tile in flight takes longer; waiting in line (Go queues blocked senders first
	// come, first served) keeps a tile's latency near the mean instead. Measured on the demo city with
	// 16 clients on two cores: 1 render 210 tiles/s, 2 renders 282, 4 renders 271, 6 renders 272, and
	// the p95 lowest at 2.
	renders chan struct{}
	// budgetSQL gives each statement of a tile's batch the layer budget (SET LOCAL statement_timeout).
	budgetSQL string

	refreshMu sync.Mutex // one generalized-view refresh at a time in this process
	pendingMu sync.Mutex
	pending   []spatial.Change // changes whose generalized views are still to be marked stale
}

type stats struct {
	hits, misses, shared, purged atomic.Int64
}

// New compiles the catalog for tiles and keeps it compiled as the catalog reloads.
func New(ctx context.Context, pool *pgxpool.Pool, catalog *spatial.CatalogStore, cfg Config, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.LayerTimeout <= 0 {
		cfg.LayerTimeout = DefaultConfig().LayerTimeout
	}
	if cfg.GzipLevel == 0 {
		cfg.GzipLevel = DefaultConfig().GzipLevel
	}
	if cfg.GzipLevel < gzip.BestSpeed || cfg.GzipLevel > gzip.BestCompression {
		return nil, fmt.Errorf("tiles.gzip_level is %d: give 1 (fastest) to 9 (smallest)", cfg.GzipLevel)
	}
	if cfg.Renders < 0 {
		return nil, fmt.Errorf("tiles.renders is %d: give the number of tiles rendered at once, or 0 for one per CPU", cfg.Renders)
	}
	if cfg.Renders == 0 {
		cfg.Renders = runtime.GOMAXPROCS(0)
	}
	s := &Service{pool: pool, read: pool, catalog: catalog, cfg: cfg, log: log, events: NewBroker(), glyphs: newGlyphs(cfg.FontDir),
		renders:   make(chan struct{}, cfg.Renders),
		budgetSQL: "SET LOCAL statement_timeout = " + strconv.FormatInt(max(1, cfg.LayerTimeout.Milliseconds()), 10)}
	if cfg.CacheMB > 0 {
		s.mem = newMemCache(cfg.CacheMB << 20)
	}
	if cfg.CacheDir != "" {
		s.disk = &diskCache{dir: cfg.CacheDir}
	}
	if err := s.recompile(ctx, catalog.Current()); err != nil {
		return nil, err
	}
	catalog.OnChange(func(c *spatial.Catalog) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.recompile(ctx, c); err != nil {
			s.log.Error("tiles: recompiling the catalog failed; keeping the previous one", "err", err)
		}
	})
	return s, nil
}

// UseReplica renders tiles on a streaming replica of the service's database. A change is purged
// from the caches only once the replica has replayed it, so no tile is cached from before it.
// Call it before Run.
func (s *Service) UseReplica(read *pgxpool.Pool) { s.read = read }

// Config is the configuration in force.
func (s *Service) Config() Config { return s.cfg }

// Events is the stream of tile changes for viewers.
func (s *Service) Events() *Broker { return s.events }

// recompile builds the tile sources of a catalog, purges the tiles of layers whose definition changed
// and tells viewers.
func (s *Service) recompile(ctx context.Context, c *spatial.Catalog) error {
	found, err := discover(ctx, s.pool, c, s.cfg.DiscoverSchemas)
	if err != nil {
		return err
	}
	next, err := compile(ctx, s.pool, c, found)
	if err != nil {
		return err
	}
	for _, p := range next.problems {
		s.log.Warn("tiles: layer left out", "err", p)
	}
	prev := s.cur.Swap(next)
	if prev == nil {
		return nil
	}
	var changed []string
	for id, src := range next.sources {
		if old, ok := prev.sources[id]; !ok || !old.layer.UpdatedAt.Equal(src.layer.UpdatedAt) || !sameBands(old, src) {
			changed = append(changed, id)
		}
	}
	for id := range prev.sources {
		if _, ok := next.sources[id]; !ok {
			changed = append(changed, id)
		}
	}
	if len(changed) > 0 {
		s.apply(spatial.Change{Layers: changed, Reason: "catalog"})
	}
	return nil
}

func sameBands(a, b *source) bool {
	if len(a.bands) != len(b.bands) || a.function != b.function {
		return false
	}
	for i := range a.bands {
		if a.bands[i] != b.bands[i] {
			return false
		}
	}
	return true
}

// Layer returns a layer that serves tiles, if p may read it. The error is a *LayerError.
func (s *Service) Layer(id string, p spatial.Principal) (*spatial.Layer, error) {
	src, err := s.cur.Load().resolve(id, p)
	if err != nil {
		return nil, err
	}
	return src.layer, nil
}

// Layers returns every layer p may read that serves tiles, in catalog order.
func (s *Service) Layers(p spatial.Principal) []*spatial.Layer {
	var out []*spatial.Layer
	for _, src := range s.cur.Load().order {
		if src.layer.CanRead(p) {
			out = append(out, src.layer)
		}
	}
	return out
}

// ZoomRange is a layer's effective zoom range for tiles (generalized bands included).
func (s *Service) ZoomRange(id string) (minZoom, maxZoom int) {
	if src, ok := s.cur.Load().sources[id]; ok {
		return src.minZoom, src.maxZoom
	}
	return 0, 0
}

// LayerError is a requested layer that does not exist or may not be read.
type LayerError struct {
	Layer string
	Err   error // spatial.ErrNotFound, ErrUnauthorized or ErrForbidden
}

func (e *LayerError) Error() string {
	switch {
	case errors.Is(e.Err, spatial.ErrNotFound):
		return fmt.Sprintf("layer %q does not exist or serves no tiles", e.Layer)
	case errors.Is(e.Err, spatial.ErrUnauthorized):
		return fmt.Sprintf("layer %q needs an authenticated caller", e.Layer)
	default:
		return fmt.Sprintf("layer %q may not be read by this caller", e.Layer)
	}
}

func (e *LayerError) Unwrap() error { return e.Err }

func (c *compiled) resolve(id string, p spatial.Principal) (*source, error) {
	src, ok := c.sources[id]
	if !ok {
		return nil, &LayerError{Layer: id, Err: spatial.ErrNotFound}
	}
	if !src.layer.CanRead(p) {
		if p.Subject == spatial.Anonymous.Subject {
			return nil, &LayerError{Layer: id, Err: spatial.ErrUnauthorized}
		}
		return nil, &LayerError{Layer: id, Err: spatial.ErrForbidden}
	}
	return src, nil
}

// Request is one tile.
type Request struct {
	Grid   *Grid
	Layers []string
	Tile   Tile
	Params []byte // function layers' parameters: a JSON object (canonical form: it is part of the cache key)
	// Filter is a CQL2 filter on a single-layer tile (its properties and geometry); FilterKey is its
	// text with its language, for the cache key.
	Filter    *cql2.Filter
	FilterKey string
	Principal spatial.Principal
}

// Result is a tile: gzipped MVT (nil when the tile has no features) and its strong ETag (of the
// uncompressed content).
type Result struct {
	Gzip []byte
	ETag string
}

// Empty reports a tile without features.
func (r *Result) Empty() bool { return len(r.Gzip) == 0 }

// Raw returns the uncompressed tile.
func (r *Result) Raw() ([]byte, error) {
	if len(r.Gzip) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Gzip))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Tile returns a tile from the cache or the database.
func (s *Service) Tile(ctx context.Context, r Request) (*Result, error) {
	if r.Grid == nil {
		r.Grid = WebMercatorQuad
	}
	if param, err := r.Grid.Check(r.Tile); err != nil {
		return nil, spatial.Invalid(param, "%v", err)
	}
	if len(r.Layers) == 0 {
		return nil, spatial.Invalid("layers", "no layer requested")
	}
	if r.Filter != nil && len(r.Layers) > 1 {
		return nil, spatial.Invalid("filter", "a filter applies to the tiles of one layer; %d are requested", len(r.Layers))
	}
	c := s.cur.Load()
	srcs := make([]*source, 0, len(r.Layers))
	for _, id := range r.Layers {
		src, err := c.resolve(id, r.Principal)
		if err != nil {
			return nil, err
		}
		if src.function != "" && !r.Grid.Mercator() {
			return nil, spatial.Invalid("tileMatrixSetId", "layer %s is made by a database function and served in WebMercatorQuad only", id)
		}
		if r.Filter != nil && src.function != "" {
			return nil, spatial.Invalid("filter", "layer %s is made by a database function; pass its parameters in params", id)
		}
		srcs = append(srcs, src)
	}
	k := key{grid: r.Grid.ID, layers: strings.Join(r.Layers, ","), params: string(r.Params), tile: r.Tile}
	if r.Filter != nil {
		k.params += "|filter=" + r.FilterKey
	}
	if e, ok := s.cached(k); ok {
		s.stats.hits.Add(1)
		return &Result{Gzip: e.gz, ETag: e.etag}, nil
	}
	s.stats.misses.Add(1)
	e, shared, err := s.flight.do(ctx, k, func(ctx context.Context) (*entry, error) {
		select {
		case s.renders <- struct{}{}:
			defer func() { <-s.renders }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		epoch := s.epoch.Load()
		raw, err := s.render(ctx, r.Grid, srcs, r.Tile, r.Params, r.Filter)
		if err != nil {
			return nil, err
		}
		e, err := s.newEntry(raw)
		if err != nil {
			return nil, err
		}
		if s.epoch.Load() == epoch { // no purge since the queries began: the tile is current
			s.store(k, e)
		}
		return e, nil
	})
	if shared {
		s.stats.shared.Add(1)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Gzip: e.gz, ETag: e.etag}, nil
}

// newEntry makes a cache entry of a tile: its ETag and its gzip.
func (s *Service) newEntry(raw []byte) (*entry, error) {
	e := &entry{etag: `"` + strconv.FormatUint(xxhash.Sum64(raw), 36) + `"`}
	if len(raw) == 0 {
		return e, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(raw)/2 + 64)
	// A gzip writer holds a few hundred KB of state: made for each tile, its allocation, zeroing and
	// collection took a third of the server's CPU under load. The writers are reused.
	zw, _ := s.gzipWriters.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, s.cfg.GzipLevel)
	} else {
		zw.Reset(&buf)
	}
	defer s.gzipWriters.Put(zw)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	e.gz = buf.Bytes()
	return e, nil
}

func (s *Service) cached(k key) (*entry, bool) {
	if s.mem != nil {
		if e, ok := s.mem.get(k); ok {
			return e, true
		}
	}
	if s.disk != nil {
		if e, ok := s.disk.get(k); ok {
			if s.mem != nil {
				s.mem.put(k, e)
			}
			return e, true
		}
	}
	return nil, false
}

func (s *Service) store(k key, e *entry) {
	if s.mem != nil {
		s.mem.put(k, e)
	}
	if s.disk != nil {
		if err := s.disk.put(k, e); err != nil {
			s.log.Warn("tiles: writing the disk cache failed", "tile", k.String(), "err", err)
		}
	}
}

// render queries the layers of a tile and concatenates their MVT layers in request order. The layer
// queries go to the database together, as one pipelined batch on one connection: one round trip and
// one transaction instead of one of each per layer, which under load is worth more than running the
// layers of one tile in parallel (the other tiles in flight keep the cores busy). Each layer keeps its
// own time budget: statement_timeout, set for the batch's transaction, times each statement of a
// pipeline on its own, and the layer whose statement it cancels is the one named.
func (s *Service) render(ctx context.Context, g *Grid, srcs []*source, t Tile, params []byte, filter *cql2.Filter) ([]byte, error) {
	parts := make([][]byte, len(srcs))
	type query struct {
		part int
		sql  string
		args []any
	}
	var queries []query
	for i, src := range srcs {
		if t.Z < src.minZoom || t.Z > src.maxZoom {
			continue
		}
		var sql string
		var args []any
		switch {
		case src.function != "":
			sql, args = src.function, []any{t.Z, t.X, t.Y, paramsOrEmpty(params)}
		default:
			b, ok := src.bandAt(t.Z)
			if !ok {
				continue
			}
			if g.Mercator() {
				sql, args = b.mercator, []any{t.Z, t.X, t.Y, src.layer.ID}
			} else {
				if b.geographic == "" {
					continue
				}
				minx, miny, maxx, maxy := g.Bounds(t)
				m := (maxx - minx) * float64(src.layer.Buffer) / float64(src.layer.Extent)
				sql, args = b.geographic, []any{minx, miny, maxx, maxy, minx - m, miny - m, maxx + m, maxy + m, src.layer.ID}
			}
			if filter != nil {
				fsql, fargs, err := b.withFilter(src.layer, filter, g.Mercator())
				if err != nil {
					return nil, err
				}
				sql, args = fsql, append(args, fargs...)
			}
		}
		queries = append(queries, query{i, sql, args})
	}
	if len(queries) == 0 {
		return nil, nil
	}
	var batch pgx.Batch
	batch.Queue("BEGIN READ ONLY")
	batch.Queue(s.budgetSQL)
	for _, q := range queries {
		batch.Queue(q.sql, q.args...)
	}
	batch.Queue("COMMIT")
	br := s.read.SendBatch(ctx, &batch)
	defer br.Close()
	for range 2 { // BEGIN, SET
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
	}
	for _, q := range queries {
		if err := br.QueryRow().Scan(&parts[q.part]); err != nil {
			return nil, s.layerErr(ctx, srcs[q.part].layer.ID, err)
		}
	}
	if _, err := br.Exec(); err != nil { // COMMIT
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	return bytes.Join(parts, nil), nil
}

func (s *Service) layerErr(ctx context.Context, layer string, err error) error {
	var pe *pgconn.PgError
	switch {
	case ctx.Err() != nil: // the caller went away
		return ctx.Err()
	case errors.As(err, &pe) && pe.Code == "57014": // statement_timeout: the layer's budget
		return &spatial.TimeoutError{Subject: layer, Err: err}
	default:
		return fmt.Errorf("layer %s: %w", layer, err)
	}
}

func paramsOrEmpty(p []byte) string {
	if len(p) == 0 {
		return "{}"
	}
	return string(p)
}

// Stats are the cache's counters.
type Stats struct {
	Hits, Misses, Shared, Purged int64
	Tiles, Bytes                 int
}

// Stats returns the cache's counters.
func (s *Service) Stats() Stats {
	st := Stats{Hits: s.stats.hits.Load(), Misses: s.stats.misses.Load(), Shared: s.stats.shared.Load(), Purged: s.stats.purged.Load()}
	if s.mem != nil {
		st.Tiles, st.Bytes = s.mem.len()
	}
	return st
}
