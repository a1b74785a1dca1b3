// Package terrain serves the ground of the one map from the DEMs in terrain.dem (imported by
// importers/dem): the height at a point (bilinear, normal height), Terrarium-encoded raster-dem
// tiles for MapLibre's hillshade and terrain (WebMercatorQuad), and quantized-mesh 1.0 tiles for
// CesiumJS (the geographic TMS scheme, ellipsoidal heights: normal height + twin.height_offset).
// Tiles are built on demand by resampling the DEMs in PostGIS (the tile's points transformed into
// each DEM's CRS by PostGIS, heights interpolated bilinearly between the DEM's cells in Go, from
// blocks kept decoded in memory), cached in memory with single-flight, and purged
// when a DEM is imported or removed.
package terrain

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/yitu-gis/yitu/spatial"
)

// Layer is the change-notification layer a DEM import announces (importers/dem.Layer).
const Layer = "terrain"

// Config is the terrain part of the configuration (section terrain in yitu.yaml).
type Config struct {
	// CacheTiles is how many built terrain tiles (Terrarium and quantized-mesh) are kept in memory.
	CacheTiles int `yaml:"cache_tiles"`
	// CacheBlocks is how many decoded DEM blocks (256×256 cells, 256 KiB each) are kept in memory
	// for building tiles and answering heights.
	CacheBlocks int `yaml:"cache_blocks"`
	// MeshSize is the number of vertices along a side of a quantized-mesh tile over a DEM (a regular
	// grid; 2 to 257).
	MeshSize int `yaml:"mesh_size"`
	// MaxZoom caps the deepest tile level served (0: from the finest DEM's resolution, at most 17
	// for Terrarium and 18 for quantized-mesh).
	MaxZoom int `yaml:"max_zoom"`
	// ReadRoles are the roles that may read the terrain routes (the DEM list, heights and tiles);
	// public (the default) is everyone. A county whose DEM is not for the public names its roles
	// here; the server's own uses (fire slope, heights of buildings and pipes) are not affected.
	ReadRoles []string `yaml:"read_roles"`
}

// DefaultConfig is the configuration without a yitu.yaml.
func DefaultConfig() Config {
	return Config{CacheTiles: 4096, CacheBlocks: 256, MeshSize: 65, ReadRoles: []string{"public"}}
}

// Validate checks the values no type check catches.
func (c Config) Validate() error {
	switch {
	case len(c.ReadRoles) == 0:
		return fmt.Errorf("terrain.read_roles must name at least one role (public: everyone)")
	case c.CacheTiles < 1:
		return fmt.Errorf("terrain.cache_tiles %d must be at least 1", c.CacheTiles)
	case c.CacheBlocks < 1:
		return fmt.Errorf("terrain.cache_blocks %d must be at least 1", c.CacheBlocks)
	case c.MeshSize < 2 || c.MeshSize > 257:
		return fmt.Errorf("terrain.mesh_size %d must be 2 to 257", c.MeshSize)
	case c.MaxZoom < 0 || c.MaxZoom > 22:
		return fmt.Errorf("terrain.max_zoom %d must be 0 (from the DEMs) to 22", c.MaxZoom)
	}
	return nil
}

// Service answers heights and terrain tiles.
type Service struct {
	pool   *pgxpool.Pool
	cfg    Config
	log    *slog.Logger
	offset float64 // normal → ellipsoidal heights (twin.height_offset; 0 when unset)

	gen   atomic.Uint64 // bumped by Purge; a tile built under an older one is not cached
	sf    singleflight.Group
	tiles *lru.Cache[string, Content]

	blockCache *lru.Cache[int64, *block] // decoded DEM blocks by rid

	mu      sync.Mutex
	dems    []DEM                  // nil: not loaded since the last purge
	indexes map[[2]int64]*demIndex // by dataset and overview
}

// Content is a tile's bytes with its media type, encoding and ETag.
type Content struct {
	Data     []byte
	Type     string
	Encoding string // "gzip" for quantized-mesh tiles
	ETag     string
}

// DEM is one imported DEM as the terrain sees it.
type DEM struct {
	Dataset    int64      `json:"dataset_id"`
	Name       string     `json:"name"`
	SRID       int        `json:"srid"`
	BBox       [4]float64 `json:"bbox"`       // lon/lat (EPSG:4490)
	Resolution float64    `json:"resolution"` // cell size, metres (degrees converted at the equator)
	cell       float64    // cell size in the DEM's CRS units
	overviews  []int      // 1 and the factors of its coarser copies
	roles      []string   // who may read it (terrain.dem_access; public when no row)
}

// New returns a service; heightOffset is twin.height_offset (nil: not configured, 0 is used and
// a warning logged).
func New(pool *pgxpool.Pool, cfg Config, heightOffset *float64, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cache, err := lru.New[string, Content](cfg.CacheTiles)
	if err != nil {
		return nil, err
	}
	blocks, err := lru.New[int64, *block](cfg.CacheBlocks)
	if err != nil {
		return nil, err
	}
	s := &Service{pool: pool, cfg: cfg, log: log, tiles: cache, blockCache: blocks, indexes: map[[2]int64]*demIndex{}}
	if heightOffset != nil {
		s.offset = *heightOffset
	}
	return s, nil
}

// HeightOffset is what is added to the stored normal heights to give the ellipsoidal heights of
// quantized-mesh tiles.
func (s *Service) HeightOffset() float64 { return s.offset }

// ReadRoles are the roles that may read the terrain routes (terrain.read_roles).
func (s *Service) ReadRoles() []string { return s.cfg.ReadRoles }

// onlyKey carries the DEMs a request may read (Only).
type onlyKey struct{}

type only struct {
	ids map[int64]bool
	key string // the cache keys' prefix
}

// Only restricts the terrain of ctx to the DEMs of the given datasets (a caller's readable ones,
// Readable): DEMs, heights and tiles under ctx come from those alone, and tiles are cached apart.
func Only(ctx context.Context, datasets []int64) context.Context {
	o := only{ids: map[int64]bool{}}
	sorted := slices.Sorted(slices.Values(datasets))
	var b strings.Builder
	for _, id := range sorted {
		o.ids[id] = true
		fmt.Fprintf(&b, "%d,", id)
	}
	o.key = "only:" + b.String() + "/"
	return context.WithValue(ctx, onlyKey{}, o)
}

// Readable are the DEMs a caller holding roles that may satisfies may read (terrain.dem_access),
// and whether some DEM is restricted (then answers depend on the caller). all: every DEM.
func (s *Service) Readable(ctx context.Context, may func(roles []string) bool) (datasets []int64, all, restricted bool, err error) {
	dems, err := s.allDEMs(ctx)
	if err != nil {
		return nil, false, false, err
	}
	all = true
	for _, d := range dems {
		if !slices.Contains(d.roles, spatial.RolePublic) {
			restricted = true
		}
		if may(d.roles) {
			datasets = append(datasets, d.Dataset)
		} else {
			all = false
		}
	}
	return datasets, all, restricted, nil
}

// DEMs lists the imported DEMs, oldest first (a later one covers an earlier one where both have
// heights): those ctx may read (Only).
func (s *Service) DEMs(ctx context.Context) ([]DEM, error) {
	dems, err := s.allDEMs(ctx)
	if o, ok := ctx.Value(onlyKey{}).(only); ok && err == nil {
		return slices.DeleteFunc(slices.Clone(dems), func(d DEM) bool { return !o.ids[d.Dataset] }), nil
	}
	return dems, err
}

func (s *Service) allDEMs(ctx context.Context) ([]DEM, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dems != nil {
		return s.dems, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.name, ST_XMin(d.bbox), ST_YMin(d.bbox), ST_XMax(d.bbox), ST_YMax(d.bbox), r.srid,
		       r.res * CASE WHEN coalesce(sr.proj4text, '') LIKE '%longlat%' THEN 111320 ELSE 1 END, r.res,
		       (SELECT array_agg(DISTINCT overview ORDER BY overview) FROM terrain.dem WHERE dataset_id = d.id)::int[],
		       coalesce((SELECT read_roles FROM terrain.dem_access WHERE dataset_id = d.id), '{public}')
		FROM catalog.dataset d
		JOIN LATERAL (SELECT ST_SRID(rast) AS srid, least(abs(ST_ScaleX(rast)), abs(ST_ScaleY(rast))) AS res
		              FROM terrain.dem WHERE dataset_id = d.id AND overview = 1 LIMIT 1) r ON true
		LEFT JOIN spatial_ref_sys sr ON sr.srid = r.srid
		WHERE d.bbox IS NOT NULL
		ORDER BY d.imported_at, d.id`)
	if err != nil {
		return nil, fmt.Errorf("listing the DEMs: %w", err)
	}
	var d DEM
	list := []DEM{}
	_, err = pgx.ForEachRow(rows, []any{&d.Dataset, &d.Name, &d.BBox[0], &d.BBox[1], &d.BBox[2], &d.BBox[3], &d.SRID, &d.Resolution, &d.cell, &d.overviews, &d.roles}, func() error {
		list = append(list, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the DEMs: %w", err)
	}
	s.dems = list
	return list, nil
}

// HeightAt is the normal height at lon, lat (EPSG:4490), interpolated bilinearly between the four
// nearest cells of the latest DEM that has a height there; ok is false where no DEM has one.
func (s *Service) HeightAt(ctx context.Context, lon, lat float64) (h float64, ok bool, err error) {
	hs, ok, err := s.Heights(ctx, Grid{SRID: 4490, X0: lon, Y0: lat, DX: 1, DY: 1, W: 1, H: 1, LonLat: [4]float64{lon, lat, lon, lat}})
	if err != nil || !ok {
		return 0, false, err
	}
	return hs[0], true, nil
}

// Grid is a regular grid of sample points: sample (i, j) is at (X0 + i·DX, Y0 − j·DY) in SRID.
type Grid struct {
	SRID   int
	X0, Y0 float64
	DX, DY float64
	W, H   int
	// LonLat is the grid's extent in lon/lat, to find the DEMs it touches.
	LonLat [4]float64
}

// Heights samples the DEMs at a grid's points (normal heights; NaN where no DEM has a height),
// bilinearly. any reports whether at least one sample has a height.
func (s *Service) Heights(ctx context.Context, g Grid) (hs []float64, any bool, err error) {
	dems, err := s.DEMs(ctx)
	if err != nil {
		return nil, false, err
	}
	hs = make([]float64, g.W*g.H)
	for i := range hs {
		hs[i] = math.NaN()
	}
	for _, d := range dems {
		if _, ok := intersect(g.LonLat, d.BBox); !ok {
			continue
		}
		found, err := s.sampleDEM(ctx, d, g, hs)
		if err != nil {
			return nil, false, err
		}
		any = any || found
	}
	return hs, any, nil
}

func intersect(a, b [4]float64) ([4]float64, bool) {
	r := [4]float64{max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])}
	return r, r[0] <= r[2] && r[1] <= r[3]
}

// Purge drops every cached tile and the DEM list (a DEM was imported or removed).
func (s *Service) Purge() {
	s.gen.Add(1)
	s.mu.Lock()
	s.dems = nil
	s.indexes = map[[2]int64]*demIndex{}
	s.mu.Unlock()
	s.tiles.Purge()
	s.blockCache.Purge()
}

// Touches reports whether a change concerns the terrain: a DEM import announces the terrain
// layer; a change without layers (a dataset deleted, everything) may.
func Touches(ch spatial.Change) bool {
	return len(ch.Layers) == 0 || slices.Contains(ch.Layers, Layer)
}

// Run listens for data changes until ctx ends and purges the terrain when one touches it (and
// when the connection is re-established: changes may have been missed).
func (s *Service) Run(ctx context.Context) {
	spatial.Listener{
		Channel: spatial.ChangeChannel,
		Connected: func(context.Context) error {
			s.Purge()
			return nil
		},
		Notify: func(_ context.Context, payloads []string) {
			for _, p := range payloads {
				ch, err := spatial.ParseChange(p)
				if err != nil || Touches(ch) {
					s.Purge()
					return
				}
			}
		},
	}.Run(ctx, s.pool, s.log)
}

// cached returns the tile under key, building it once however many ask; a tile of a restricted
// terrain (Only) is cached under its DEMs.
func (s *Service) cached(ctx context.Context, key string, build func() (Content, error)) (Content, error) {
	if o, ok := ctx.Value(onlyKey{}).(only); ok {
		key = o.key + key
	}
	if c, ok := s.tiles.Get(key); ok {
		return c, nil
	}
	gen := s.gen.Load()
	v, err, _ := s.sf.Do(key+"@"+strconv.FormatUint(gen, 10), func() (any, error) {
		c, err := build()
		if err != nil {
			return Content{}, err
		}
		c.ETag = etag(c.Data)
		if s.gen.Load() == gen {
			s.tiles.Add(key, c)
		}
		return c, nil
	})
	if err != nil {
		return Content{}, err
	}
	return v.(Content), nil
}

func etag(b []byte) string {
	h := fnv.New64a()
	h.Write(b)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

func invalid(err error) error { return spatial.Invalid("tile", "%v", err) }
