// Package twin is Yitu's 3D side: 3D Tiles 1.1 tilesets built on demand from PostGIS for the
// city's buildings (CIM LoD2 where imported, else base-map footprints extruded), its pipelines
// (tubes, ducts and wells), each imported CIM dataset and each stored 3D model (oblique
// photography, OBJ, imported tilesets), cached and purged when their data changes, and exported to
// disk. glb content is written by twin/glb.
package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin/glb"
)

// Service builds and caches tilesets.
type Service struct {
	pool   *pgxpool.Pool
	cfg    Config
	log    *slog.Logger
	offset float64

	mu      sync.Mutex
	sets    map[string]*tileset // built tilesets by name
	stale   map[string]*tileset // purged ones, served while they are rebuilt (in the background)
	busy    map[string]bool     // those being rebuilt
	layers  map[string][]string // what each requested tileset depends on (kept while it is rebuilt)
	gen     map[string]uint64   // bumped when a tileset is purged
	seq     uint64              // numbers built tilesets: part of tile cache keys
	bg      context.Context     // background rebuilds (Run's context)
	rebuilt func(name string)   // told when a purged tileset was rebuilt (OnRebuilt)
	sf      singleflight.Group
	tiles   *lru.Cache[string, Content]
}

// Content is a tile's bytes with its media type and an ETag.
type Content struct {
	Data []byte
	Type string // model/gltf-binary, application/octet-stream (b3dm, ...), application/json
	ETag string
}

// tileset is one built tileset: either a quadtree over a source or a stored model's tree.
type tileset struct {
	name   string
	src    source   // quadtree tilesets
	tree   *tree    //
	model  *stored  // model-<name>
	layers []string // changes to these purge it
	json   []byte
	built  time.Time
	seq    uint64 // its build: tiles are cached under it, so a rebuilt tree never meets an old one's tiles
}

// New returns a service. It warns once when the height offset is not configured.
func New(pool *pgxpool.Pool, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	off, ok := cfg.Offset()
	if !ok {
		log.Warn("twin.height_offset is not configured: 3D Tiles use the survey's normal heights as ellipsoidal heights, so models sit about one geoid undulation (≈9 m in Laizhou) too low; set twin.height_offset (YITU_TWIN_HEIGHT_OFFSET)")
	}
	cache, err := lru.New[string, Content](cfg.CacheTiles)
	if err != nil {
		return nil, err
	}
	return &Service{pool: pool, cfg: cfg, log: log, offset: off, sets: map[string]*tileset{}, stale: map[string]*tileset{}, busy: map[string]bool{},
		layers: map[string][]string{}, gen: map[string]uint64{}, tiles: cache, bg: context.Background()}, nil
}

// Info describes a tileset for the viewer's layer tree.
type Info struct {
	Name    string `json:"name"`
	TitleZh string `json:"title_zh"`
	TitleEn string `json:"title_en"`
	Kind    string `json:"kind"` // buildings, pipelines, cim, oblique, obj, 3dtiles
	URL     string `json:"url"`  // relative to the 3D Tiles root: <name>/tileset.json
}

// List returns every tileset that can be served.
func (s *Service) List(ctx context.Context) ([]Info, error) {
	out := []Info{
		{Name: "buildings", TitleZh: "建筑", TitleEn: "Buildings", Kind: "buildings"},
		{Name: "pipelines", TitleZh: "地下管线", TitleEn: "Underground pipelines", Kind: "pipelines"},
		{Name: "geology", TitleZh: "三维地质模型", TitleEn: "Geological model", Kind: "geology"},
	}
	rows, err := s.pool.Query(ctx, `
		SELECT 'cim-' || name, name, name, 'cim' FROM catalog.dataset WHERE kind = 'cim'
		UNION ALL
		SELECT 'model-' || name, title_zh, title_en, kind FROM twin.model
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing tilesets: %w", err)
	}
	var in Info
	_, err = pgx.ForEachRow(rows, []any{&in.Name, &in.TitleZh, &in.TitleEn, &in.Kind}, func() error {
		if in.Kind == "cim" {
			in.TitleZh, in.TitleEn = "城市信息模型 "+in.TitleZh, "CIM "+in.TitleEn
		}
		out = append(out, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing tilesets: %w", err)
	}
	for i := range out {
		out[i].URL = out[i].Name + "/tileset.json"
	}
	return out, nil
}

// resolve finds the source of a tileset name.
func (s *Service) resolve(ctx context.Context, name string) (*tileset, error) {
	switch {
	case name == "buildings":
		src := &buildingsSource{cfg: s.cfg, basemap: true}
		return &tileset{name: name, src: src, layers: src.layers()}, nil
	case name == "pipelines":
		src := pipesSource{}
		return &tileset{name: name, src: src, layers: src.layers()}, nil
	case name == "geology":
		src := geologySource{}
		return &tileset{name: name, src: src, layers: src.layers()}, nil
	case strings.HasPrefix(name, "cim-"):
		var id int64
		err := queryRow(ctx, s.pool, `SELECT id FROM catalog.dataset WHERE kind = 'cim' AND name = $1`, []any{strings.TrimPrefix(name, "cim-")}, &id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, spatial.NotFound("tileset %q (no CIM dataset %q)", name, strings.TrimPrefix(name, "cim-"))
		}
		if err != nil {
			return nil, err
		}
		src := &buildingsSource{cfg: s.cfg, dataset: id, cityObjects: true}
		return &tileset{name: name, src: src, layers: src.layers()}, nil
	case strings.HasPrefix(name, "model-"):
		m, err := loadStored(ctx, s.pool, strings.TrimPrefix(name, "model-"))
		if err != nil {
			return nil, err
		}
		return &tileset{name: name, model: m, layers: []string{"twin.model", "model:" + m.name, "dataset:" + strconv.FormatInt(m.datasetID, 10)}}, nil
	}
	return nil, spatial.NotFound("tileset %q: known tilesets are buildings, pipelines, geology, cim-<dataset> and model-<name>", name)
}

// get returns the built tileset, building it once however many ask at the same time. A tileset
// purged by a change is served as it was while its rebuild (started by the purge) runs, so opening
// the 3D view never waits for an index of the whole city (about a second for 100,000 buildings).
func (s *Service) get(ctx context.Context, name string) (*tileset, error) {
	s.mu.Lock()
	ts, gen := s.sets[name], s.gen[name]
	if ts == nil {
		ts = s.stale[name]
	}
	s.mu.Unlock()
	if ts != nil {
		return ts, nil
	}
	return s.buildOnce(ctx, name, gen)
}

// ReasonRebuilt is the reason of the change announced when a tileset was rebuilt; its one layer is
// EventLayer(name).
const ReasonRebuilt = "3dtiles"

// EventLayer names a tileset in an announced change: 3dtiles:<name>.
func EventLayer(name string) string { return "3dtiles:" + name }

// Built reports whether a tileset is built and current (not purged since).
func (s *Service) Built(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets[name] != nil
}

// OnRebuilt is told the name of every tileset rebuilt after a change (a viewer that reloaded it
// when the change was announced got the previous one, served meanwhile: it reloads again). Set it
// before Run.
func (s *Service) OnRebuilt(f func(name string)) { s.rebuilt = f }

// refresh rebuilds a purged tileset in the background until a build outlives the purges.
func (s *Service) refresh(name string) {
	defer func() {
		s.mu.Lock()
		delete(s.busy, name)
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		gen, done, bg := s.gen[name], s.sets[name] != nil, s.bg
		s.mu.Unlock()
		if bg.Err() != nil {
			return
		}
		if done {
			if s.rebuilt != nil {
				s.rebuilt(name)
			}
			return
		}
		if _, err := s.buildOnce(bg, name, gen); err != nil {
			if !errors.Is(err, spatial.ErrNotFound) && bg.Err() == nil {
				s.log.Warn("3D tiles: rebuilding a tileset after a change failed; the next request builds it", "tileset", name, "err", err)
			}
			s.mu.Lock()
			delete(s.stale, name) // not served stale when it cannot be rebuilt
			s.mu.Unlock()
			return
		}
	}
}

// fresh is get for tileset.json: a stored model is checked against twin.model first (a re-import
// replaces the model without a change notification naming a catalog layer).
func (s *Service) fresh(ctx context.Context, name string) (*tileset, error) {
	ts, err := s.get(ctx, name)
	if err != nil || ts.model == nil {
		return ts, err
	}
	var id int64
	err = queryRow(ctx, s.pool, `SELECT id FROM twin.model WHERE name = $1`, []any{ts.model.name}, &id)
	if err == nil && id == ts.model.id {
		return ts, nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	s.Purge(spatial.Change{Layers: []string{"model:" + ts.model.name}})
	s.mu.Lock()
	delete(s.stale, name) // the model was replaced: the old one is not served
	gen := s.gen[name]
	s.mu.Unlock()
	return s.buildOnce(ctx, name, gen)
}

func (s *Service) buildOnce(ctx context.Context, name string, gen uint64) (*tileset, error) {
	v, err, _ := s.sf.Do("set/"+name, func() (any, error) {
		// Detached from the first caller: a client that goes away does not fail the others.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		ts, err := s.build(bctx, name)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.seq++
		ts.seq = s.seq
		if s.gen[name] == gen { // not purged meanwhile
			s.sets[name] = ts
			delete(s.stale, name)
		} else if s.sets[name] == nil { // purged while built: served until it is built again
			s.stale[name] = ts
			s.rebuildLocked(name)
		}
		s.mu.Unlock()
		return ts, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*tileset), nil
}

func (s *Service) build(ctx context.Context, name string) (*tileset, error) {
	ts, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.layers[name] = ts.layers
	s.mu.Unlock()
	var doc any
	if ts.model != nil {
		doc = ts.model.tileset()
	} else {
		items, err := ts.src.index(ctx, s.pool)
		if err != nil {
			return nil, err
		}
		ts.tree = buildTree(items, s.cfg.FeatureCap, s.offset)
		doc = ts.tree.tileset()
	}
	ts.json, err = json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	ts.built = time.Now()
	return ts, nil
}

// Tileset returns tileset.json of a tileset.
func (s *Service) Tileset(ctx context.Context, name string) (Content, error) {
	ts, err := s.fresh(ctx, name)
	if err != nil {
		return Content{}, err
	}
	return Content{Data: ts.json, Type: "application/json", ETag: etag(ts.json)}, nil
}

// Tile returns the content at path (as tileset.json names it: 3/5/2.glb, n/17.b3dm).
func (s *Service) Tile(ctx context.Context, name, path string) (Content, error) {
	ts, err := s.get(ctx, name)
	if err != nil {
		return Content{}, err
	}
	return s.cached(ctx, ts, path, func(bctx context.Context) (Content, error) { return s.buildTile(bctx, ts, path) })
}

// cached answers a content of a built tileset from the tile cache, building it once (however many
// ask at the same time) when it is not there. It is cached under the tileset's build, so a purge
// (a new build) never meets it again.
func (s *Service) cached(ctx context.Context, ts *tileset, path string, build func(context.Context) (Content, error)) (Content, error) {
	key := ts.name + "\x00" + strconv.FormatUint(ts.seq, 10) + "\x00" + path
	if c, ok := s.tiles.Get(key); ok {
		return c, nil
	}
	v, err, _ := s.sf.Do("tile/"+key, func() (any, error) {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		c, err := build(bctx)
		if err != nil {
			return nil, err
		}
		s.tiles.Add(key, c)
		return c, nil
	})
	if err != nil {
		return Content{}, err
	}
	return v.(Content), nil
}

func (s *Service) buildTile(ctx context.Context, ts *tileset, path string) (Content, error) {
	if ts.model != nil {
		return ts.model.content(ctx, s.pool, path)
	}
	key, ok := strings.CutSuffix(path, ".glb")
	nd := ts.tree.nodes[key]
	if !ok || nd == nil || len(nd.items) == 0 {
		return Content{}, spatial.NotFound("tile %s of tileset %s", path, ts.name)
	}
	b, err := s.glbOf(ctx, ts, nd)
	if err != nil {
		return Content{}, err
	}
	return Content{Data: b, Type: "model/gltf-binary", ETag: etag(b)}, nil
}

func (s *Service) glbOf(ctx context.Context, ts *tileset, nd *tnode) ([]byte, error) {
	items := make([]item, len(nd.items))
	for i, k := range nd.items {
		items[i] = ts.tree.items[k]
	}
	fr := newFrame(nd.centre[0], nd.centre[1], nd.centre[2])
	m, err := ts.src.content(ctx, s.pool, items, fr, s.offset)
	if err != nil {
		return nil, fmt.Errorf("tileset %s tile %s: %w", ts.name, nd.key(), err)
	}
	if m == nil {
		m = &glb.Model{} // every feature of the tile was degenerate
	}
	m.Generator = "Yitu"
	return glb.Marshal(m)
}

// Purge drops the tilesets a change touches (and their cached tiles); viewers reload them.
func (s *Service) Purge(ch spatial.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, layers := range s.layers {
		if touches(name, layers, ch) {
			s.purgeLocked(name)
			s.log.Debug("3D tileset purged", "tileset", name, "layers", ch.Layers, "reason", ch.Reason)
		}
	}
}

// purgeLocked marks a tileset stale and starts its rebuild when it was built; s.mu is held.
func (s *Service) purgeLocked(name string) {
	s.gen[name]++
	if ts := s.sets[name]; ts != nil {
		delete(s.sets, name)
		s.stale[name] = ts
	}
	if s.stale[name] != nil {
		s.rebuildLocked(name)
	}
}

// rebuildLocked starts the background rebuild of a tileset unless it runs; s.mu is held.
func (s *Service) rebuildLocked(name string) {
	if !s.busy[name] {
		s.busy[name] = true
		go s.refresh(name)
	}
}

// PurgeAll drops every built tileset (after missed notifications).
func (s *Service) PurgeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.layers {
		s.purgeLocked(name)
	}
	s.tiles.Purge()
}

// touches reports whether a change concerns a tileset that depends on layers.
func touches(name string, layers []string, ch spatial.Change) bool {
	if len(ch.Layers) == 0 {
		return true
	}
	for _, l := range ch.Layers {
		if slices.Contains(layers, l) {
			return true
		}
	}
	return ch.Dataset != 0 && slices.Contains(layers, "dataset:"+strconv.FormatInt(ch.Dataset, 10))
}

// Run listens for data changes (spatial.ChangeChannel) until ctx ends and purges what they touch.
// A lost connection is re-established; everything is purged then, as changes may have been missed.
func (s *Service) Run(ctx context.Context) {
	s.mu.Lock()
	s.bg = ctx
	s.mu.Unlock()
	warm := sync.OnceFunc(func() {
		// The city's own tilesets are built now, once changes are heard, not when the first
		// viewer opens the 3D view.
		for _, name := range []string{"buildings", "pipelines"} {
			go func() {
				if _, err := s.get(ctx, name); err != nil && ctx.Err() == nil {
					s.log.Warn("3D tiles: building a tileset at start failed; the first request builds it", "tileset", name, "err", err)
				}
			}()
		}
	})
	spatial.Listener{
		Channel: spatial.ChangeChannel,
		Connected: func(context.Context) error {
			s.PurgeAll()
			warm()
			return nil
		},
		Notify: func(_ context.Context, payloads []string) {
			for _, p := range payloads {
				ch, err := spatial.ParseChange(p)
				if err != nil {
					s.log.Warn("3D tiles: unreadable change notification; purging everything", "payload", p, "err", err)
					s.PurgeAll()
					continue
				}
				s.Purge(ch)
			}
		},
	}.Run(ctx, s.pool, s.log)
}

func etag(b []byte) string {
	h := fnv.New64a()
	h.Write(b)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// ModelAccess returns the roles that may read a stored model's tileset (model-<name>) and the
// catalog layers whose rows its content carries: a split model's glb holds each building's base-map
// row (EXT_structural_metadata), so it is read under basemap.building's rules as well. A model that
// does not exist is NotFound.
func (s *Service) ModelAccess(ctx context.Context, name string) (roles, layers []string, err error) {
	var split bool
	err = queryRow(ctx, s.pool, `SELECT read_roles, asset ? 'split' FROM twin.model WHERE name = $1`,
		[]any{strings.TrimPrefix(name, "model-")}, &roles, &split)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, spatial.NotFound("tileset %q", name)
	}
	if split {
		layers = []string{"basemap.building"}
	}
	return roles, layers, err
}

// Layers names the catalog layers a tileset is built from (for access checks at the edge); stored
// models and unknown names have none.
func Layers(name string) []string {
	switch {
	case name == "buildings":
		return (&buildingsSource{basemap: true}).layers()
	case name == "pipelines":
		return pipesSource{}.layers()
	case name == "geology":
		return geologySource{}.layers()
	case strings.HasPrefix(name, "cim-"):
		return (&buildingsSource{cityObjects: true}).layers()
	}
	return nil
}
