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

	mu     sync.Mutex
	sets   map[string]*tileset // built tilesets by name
	layers map[string][]string // what each requested tileset depends on (kept while it is rebuilt)
	gen    map[string]uint64   // bumped when a tileset is purged; part of tile cache keys
	sf     singleflight.Group
	tiles  *lru.Cache[string, Content]
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
	return &Service{pool: pool, cfg: cfg, log: log, offset: off, sets: map[string]*tileset{},
		layers: map[string][]string{}, gen: map[string]uint64{}, tiles: cache}, nil
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
	return nil, spatial.NotFound("tileset %q: known tilesets are buildings, pipelines, cim-<dataset> and model-<name>", name)
}

// get returns the built tileset, building it once however many ask at the same time.
func (s *Service) get(ctx context.Context, name string) (*tileset, uint64, error) {
	s.mu.Lock()
	ts, gen := s.sets[name], s.gen[name]
	s.mu.Unlock()
	if ts != nil {
		return ts, gen, nil
	}
	return s.buildOnce(ctx, name, gen)
}

// fresh is get for tileset.json: a stored model is checked against twin.model first (a re-import
// replaces the model without a change notification naming a catalog layer).
func (s *Service) fresh(ctx context.Context, name string) (*tileset, uint64, error) {
	ts, gen, err := s.get(ctx, name)
	if err != nil || ts.model == nil {
		return ts, gen, err
	}
	var id int64
	err = queryRow(ctx, s.pool, `SELECT id FROM twin.model WHERE name = $1`, []any{ts.model.name}, &id)
	if err == nil && id == ts.model.id {
		return ts, gen, nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, err
	}
	s.Purge(spatial.Change{Layers: []string{"model:" + ts.model.name}})
	return s.get(ctx, name)
}

func (s *Service) buildOnce(ctx context.Context, name string, gen uint64) (*tileset, uint64, error) {
	v, err, _ := s.sf.Do("set/"+name, func() (any, error) {
		// Detached from the first caller: a client that goes away does not fail the others.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		ts, err := s.build(bctx, name)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.gen[name] == gen { // not purged meanwhile
			s.sets[name] = ts
		}
		s.mu.Unlock()
		return ts, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return v.(*tileset), gen, nil
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
	ts, _, err := s.fresh(ctx, name)
	if err != nil {
		return Content{}, err
	}
	return Content{Data: ts.json, Type: "application/json", ETag: etag(ts.json)}, nil
}

// Tile returns the content at path (as tileset.json names it: 3/5/2.glb, n/17.b3dm).
func (s *Service) Tile(ctx context.Context, name, path string) (Content, error) {
	ts, gen, err := s.get(ctx, name)
	if err != nil {
		return Content{}, err
	}
	key := name + "\x00" + strconv.FormatUint(gen, 10) + "\x00" + path
	if c, ok := s.tiles.Get(key); ok {
		return c, nil
	}
	v, err, _ := s.sf.Do("tile/"+key, func() (any, error) {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		c, err := s.buildTile(bctx, ts, path)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.gen[name] == gen {
			s.tiles.Add(key, c)
		}
		s.mu.Unlock()
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
			delete(s.sets, name)
			s.gen[name]++
			s.log.Debug("3D tileset purged", "tileset", name, "layers", ch.Layers, "reason", ch.Reason)
		}
	}
}

// PurgeAll drops every built tileset (after missed notifications).
func (s *Service) PurgeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.layers {
		delete(s.sets, name)
		s.gen[name]++
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
	spatial.Listener{
		Channel: spatial.ChangeChannel,
		Connected: func(context.Context) error {
			s.PurgeAll()
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

// ModelReadRoles returns the roles that may read a stored model's tileset (model-<name>); a model
// that does not exist is ErrNotFound.
func (s *Service) ModelReadRoles(ctx context.Context, name string) ([]string, error) {
	var roles []string
	err := queryRow(ctx, s.pool, `SELECT read_roles FROM twin.model WHERE name = $1`, []any{strings.TrimPrefix(name, "model-")}, &roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("tileset %q", name)
	}
	return roles, err
}

// Layers names the catalog layers a tileset is built from (for access checks at the edge); stored
// models and unknown names have none.
func Layers(name string) []string {
	switch {
	case name == "buildings":
		return (&buildingsSource{basemap: true}).layers()
	case name == "pipelines":
		return pipesSource{}.layers()
	case strings.HasPrefix(name, "cim-"):
		return (&buildingsSource{cityObjects: true}).layers()
	}
	return nil
}
