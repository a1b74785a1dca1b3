package tiles

import (
	"container/list"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// key identifies a cached tile: the grid, the layers (in request order), the tile and the parameters.
type key struct {
	grid   string
	layers string // comma-separated, as requested
	params string // canonical JSON of the function-layer parameters, "" for none
	tile   Tile
}

func (k key) String() string {
	return k.grid + "|" + k.layers + "|" + k.params + "|" + k.tile.String()
}

// hasLayer reports whether the key's tile contains a layer.
func (k key) hasLayer(id string) bool {
	for l := range strings.SplitSeq(k.layers, ",") {
		if l == id {
			return true
		}
	}
	return false
}

// entry is a cached tile: gzipped MVT (nil for an empty tile) and its strong ETag.
type entry struct {
	gz   []byte
	etag string
}

func (e *entry) size() int { return len(e.gz) + len(e.etag) + 160 }

// memCache is a size-bounded LRU of tiles, sharded so that concurrent readers rarely contend.
type memCache struct {
	shards [16]lruShard
}

type lruShard struct {
	mu    sync.Mutex
	ll    *list.List
	items map[key]*list.Element
	bytes int
	limit int
}

type lruItem struct {
	k key
	e *entry
}

func newMemCache(limitBytes int) *memCache {
	c := &memCache{}
	for i := range c.shards {
		c.shards[i] = lruShard{ll: list.New(), items: map[key]*list.Element{}, limit: limitBytes / len(c.shards)}
	}
	return c
}

func (c *memCache) shard(k key) *lruShard {
	h := xxhash.Sum64String(k.layers) ^ uint64(k.tile.X)*0x9e3779b97f4a7c15 ^ uint64(k.tile.Y)*0xc2b2ae3d27d4eb4f ^ uint64(k.tile.Z)
	return &c.shards[h%uint64(len(c.shards))]
}

func (c *memCache) get(k key) (*entry, bool) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[k]
	if !ok {
		return nil, false
	}
	s.ll.MoveToFront(el)
	return el.Value.(*lruItem).e, true
}

func (c *memCache) put(k key, e *entry) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.size() > s.limit {
		return
	}
	if el, ok := s.items[k]; ok {
		it := el.Value.(*lruItem)
		s.bytes += e.size() - it.e.size()
		it.e = e
		s.ll.MoveToFront(el)
	} else {
		s.items[k] = s.ll.PushFront(&lruItem{k: k, e: e})
		s.bytes += e.size()
	}
	for s.bytes > s.limit {
		el := s.ll.Back()
		it := el.Value.(*lruItem)
		s.ll.Remove(el)
		delete(s.items, it.k)
		s.bytes -= it.e.size()
	}
}

// purge removes the tiles for which match is true and returns how many.
func (c *memCache) purge(match func(key) bool) int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, el := range s.items {
			if match(k) {
				s.ll.Remove(el)
				delete(s.items, k)
				s.bytes -= el.Value.(*lruItem).e.size()
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// len is the number of cached tiles and their size in bytes.
func (c *memCache) len() (n, bytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.items)
		bytes += s.bytes
		s.mu.Unlock()
	}
	return n, bytes
}

// diskCache keeps gzipped tiles as files: DIR/grid/layers/params-hash/z/x/y.mvt.gz with the ETag in
// a sibling .etag file. It survives restarts and is shared by `yitu seed` and the server.
type diskCache struct {
	dir string
}

func (d *diskCache) path(k key) string {
	p := "-"
	if k.params != "" {
		p = strconv.FormatUint(xxhash.Sum64String(k.params), 16)
	}
	return filepath.Join(d.dir, k.grid, k.layers, p, strconv.Itoa(k.tile.Z), strconv.Itoa(k.tile.X), strconv.Itoa(k.tile.Y))
}

func (d *diskCache) get(k key) (*entry, bool) {
	p := d.path(k)
	etag, err := os.ReadFile(p + ".etag")
	if err != nil {
		return nil, false
	}
	gz, err := os.ReadFile(p + ".mvt.gz")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if len(gz) == 0 {
		gz = nil
	}
	return &entry{gz: gz, etag: string(etag)}, true
}

// put writes the tile, then its ETag: a reader finds both or neither (rename is atomic).
func (d *diskCache) put(k key, e *entry) error {
	p := d.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := writeAtomic(p+".mvt.gz", e.gz); err != nil {
		return err
	}
	return writeAtomic(p+".etag", []byte(e.etag))
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// purge removes the cached tiles of layer sets containing any of layers (every set when layers is
// empty) in the tile ranges that rangeAt gives per grid and zoom.
func (d *diskCache) purge(layers []string, rangeAt func(grid *Grid, z int) (minX, minY, maxX, maxY int, ok bool)) error {
	grids, err := os.ReadDir(d.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, gd := range grids {
		g, ok := GridByID(gd.Name())
		if !ok {
			continue
		}
		sets, _ := os.ReadDir(filepath.Join(d.dir, gd.Name()))
		for _, set := range sets {
			k := key{layers: set.Name()}
			if len(layers) > 0 && !slices.ContainsFunc(layers, k.hasLayer) {
				continue
			}
			params, _ := os.ReadDir(filepath.Join(d.dir, gd.Name(), set.Name()))
			for _, pd := range params {
				base := filepath.Join(d.dir, gd.Name(), set.Name(), pd.Name())
				zooms, _ := os.ReadDir(base)
				for _, zd := range zooms {
					z, err := strconv.Atoi(zd.Name())
					if err != nil {
						continue
					}
					minX, minY, maxX, maxY, ok := rangeAt(g, z)
					if !ok {
						continue
					}
					xs, _ := os.ReadDir(filepath.Join(base, zd.Name()))
					for _, xd := range xs {
						x, err := strconv.Atoi(xd.Name())
						if err != nil || x < minX || x > maxX {
							continue
						}
						xdir := filepath.Join(base, zd.Name(), xd.Name())
						files, _ := os.ReadDir(xdir)
						for _, f := range files {
							name, ok := strings.CutSuffix(f.Name(), ".etag")
							if !ok {
								continue
							}
							if y, err := strconv.Atoi(name); err == nil && y >= minY && y <= maxY {
								// The ETag goes first: a tile without one is a miss.
								os.Remove(filepath.Join(xdir, f.Name()))
								os.Remove(filepath.Join(xdir, name+".mvt.gz"))
							}
						}
					}
				}
			}
		}
	}
	return nil
}
