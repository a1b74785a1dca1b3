package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/twin/glb"
)

// SplitOptions tune Split.
type SplitOptions struct {
	// Clearance: a triangle whose highest corner is less than this many metres above the ground
	// under its footprint stays ground (the street, a lawn, the foot of a wall).
	Clearance float64
	// Margin: the ground under a footprint is the lowest point of the model within this many
	// metres of it.
	Margin float64
	// Tolerance: a triangle whose centroid lies outside every footprint but within this many metres
	// of one belongs to the nearest (walls stand on the outline, half of them just outside it).
	Tolerance float64
}

// DefaultSplitOptions are 1 m of clearance, a 5 m margin and a 0.5 m tolerance.
func DefaultSplitOptions() SplitOptions { return SplitOptions{Clearance: 1, Margin: 5, Tolerance: 0.5} }

// SplitReport says what Split did.
type SplitReport struct {
	Model      string        `json:"model"`
	Footprints int           `json:"footprints"` // base-map buildings over the model
	Buildings  int           `json:"buildings"`  // of those, the ones that got triangles
	Contents   int           `json:"contents"`   // glb contents rewritten
	Skipped    []string      `json:"skipped,omitempty"`
	Triangles  int64         `json:"triangles"`
	Assigned   int64         `json:"assigned"` // triangles given to a building; the rest is ground
	Vertices   int64         `json:"vertices"` // before, and after the vertices shared across buildings were split
	VertsAfter int64         `json:"vertices_after"`
	Took       time.Duration `json:"took_ns"`
}

// Split divides a stored model (model-<name>) into the base-map buildings it shows: every triangle
// of every glb content whose centroid lies in a building's footprint (basemap.building) and whose
// highest corner stands at least Clearance above the ground there becomes part of that building;
// the rest is ground (trees, streets) with EXT_mesh_features' null feature id. Vertices shared by
// triangles of two buildings are duplicated. Each content's property table (class building of
// EXT_structural_metadata) holds the id and attributes of its buildings, so a pick in CesiumJS
// names the building. Contents that are not glb (b3dm, i3dm, pnts, cmpt) or hold what glb.Model
// cannot carry are left as they are and listed in the report.
//
// It is one transaction, and it can run again (after the base map changed): triangles are assigned
// afresh, and a model split twice over the same footprints is byte for byte the model split once.
// The change is announced (layer model:<name>), so serving replicas rebuild the tileset and tell
// viewers (3dtiles:model-<name>) as after an import.
func Split(ctx context.Context, pool *pgxpool.Pool, name string, o SplitOptions) (*SplitReport, error) {
	start := time.Now()
	for _, v := range []float64{o.Clearance, o.Margin, o.Tolerance} {
		if !(v >= 0 && v < 1000) {
			return nil, spatial.Invalid("options", "clearance, margin and tolerance must be metres from 0 to 1000")
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	sm, err := openSplitModel(ctx, tx, name, true)
	if err != nil {
		return nil, err
	}
	fp, err := loadFootprints(ctx, tx, sm.id, max(o.Margin, o.Tolerance))
	if err != nil {
		return nil, err
	}
	if len(fp.rows) == 0 {
		return nil, spatial.Invalid("model", "no base-map building (basemap.building) lies under model %s: import the base map first", name)
	}
	rep := &SplitReport{Model: name, Footprints: len(fp.rows)}
	sp := &splitter{fp: fp, o: o}
	// Pass 1: the ground under each footprint. Pass 2: assign and rewrite.
	for pass := 1; pass <= 2; pass++ {
		for _, n := range sm.contents {
			if n.contentType != "glb" {
				if pass == 2 {
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("n/%d.%s: %s content is not split", n.id, n.contentType, n.contentType))
				}
				continue
			}
			var data []byte
			if err := tx.QueryRow(ctx, `SELECT content FROM twin.model_node WHERE id = $1`, n.id).Scan(&data); err != nil {
				return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
			}
			m, err := glb.Decode(data)
			if errors.Is(err, glb.ErrUnsupported) {
				if pass == 2 {
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("n/%d.glb: %v", n.id, err))
				}
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
			}
			var st splitStats
			if pass == 1 {
				err = sp.ground(m, sm.world[n.id])
			} else {
				st, err = sp.assign(m, sm.world[n.id])
			}
			if errors.Is(err, glb.ErrUnsupported) { // a mesh instanced twice: left as it was
				if pass == 2 {
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("n/%d.glb: %v", n.id, err))
				}
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
			}
			if pass == 1 {
				continue
			}
			out, err := glb.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE twin.model_node SET content = $2 WHERE id = $1`, n.id, out); err != nil {
				return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
			}
			rep.Contents++
			rep.Triangles += st.triangles
			rep.Assigned += st.assigned
			rep.Vertices += st.vertices
			rep.VertsAfter += st.vertsAfter
		}
	}
	for _, f := range fp.rows {
		if f.used {
			rep.Buildings++
		}
	}
	rep.Took = time.Since(start)
	record, err := json.Marshal(map[string]any{"at": time.Now().UTC().Format(time.RFC3339), "buildings": rep.Buildings,
		"triangles": rep.Triangles, "assigned": rep.Assigned, "clearance": o.Clearance, "margin": o.Margin, "tolerance": o.Tolerance})
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE twin.model SET asset = jsonb_set(asset, '{split}', $2) WHERE id = $1`, sm.id, record); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	// Delivered at commit: replicas purge model-<name> and announce its rebuild.
	if err := spatial.NotifyChange(ctx, tx, spatial.Change{Layers: []string{"model:" + name}, Reason: "split"}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

// splitModel is a stored model's content nodes with their tile → ECEF transforms.
type splitModel struct {
	id       int64
	contents []*storedNode
	world    map[int64][16]float64 // node id → its frame → ECEF (y-up already turned z-up)
	children map[int64][]int64
	extent   map[int64]orb.Bound // node id → the lon/lat extent of its bounding volume
	additive map[int64]bool      // nodes refined by ADD: their content stays shown with their children's
}

// yUpToZUp turns glTF's y-up into the tile's z-up (3D Tiles): (x, y, z) → (x, -z, y).
var yUpToZUp = [16]float64{1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1}

// openSplitModel reads a model's tree (locking its row when lock is set, so two splits queue).
func openSplitModel(ctx context.Context, db spatial.Querier, name string, lock bool) (*splitModel, error) {
	q := `SELECT id, root_transform FROM twin.model WHERE name = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	sm := &splitModel{world: map[int64][16]float64{}, children: map[int64][]int64{}, extent: map[int64]orb.Bound{}, additive: map[int64]bool{}}
	var rootTransform []float64
	err := queryRow(ctx, db, q, []any{name}, &sm.id, &rootTransform)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("model %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	if len(rootTransform) != 16 {
		return nil, fmt.Errorf("model %s has no root transform", name)
	}
	rows, err := db.Query(ctx, `SELECT id, coalesce(parent_id, 0), transform, coalesce(content_type, ''), bounding_volume, refine = 'ADD'
		FROM twin.model_node WHERE model_id = $1 ORDER BY parent_id NULLS FIRST, sort_order, id`, sm.id)
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	parent := map[int64]int64{}
	local := map[int64][16]float64{}
	var order []int64
	volumes := map[int64]boundingVolumeJSON{}
	var (
		id, par int64
		tr      []float64
		ct      string
		vol     boundingVolumeJSON
		add     bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &par, &tr, &ct, &vol, &add}, func() error {
		volumes[id] = vol
		sm.additive[id] = add
		vol = boundingVolumeJSON{}
		parent[id] = par
		local[id] = identity()
		if len(tr) == 16 {
			local[id] = [16]float64(tr)
		}
		sm.children[par] = append(sm.children[par], id)
		order = append(order, id)
		if ct != "" {
			sm.contents = append(sm.contents, &storedNode{id: id, contentType: ct})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	tiles := map[int64][16]float64{} // node frame → ECEF
	var frame func(id int64, depth int) [16]float64
	frame = func(id int64, depth int) [16]float64 {
		if w, ok := tiles[id]; ok {
			return w
		}
		up := [16]float64(rootTransform) // the georeference goes on the root
		if p := parent[id]; p != 0 && depth < 1000 {
			up = frame(p, depth+1)
		}
		w := mul(up, local[id])
		tiles[id] = w
		return w
	}
	for _, id := range order {
		sm.world[id] = mul(frame(id, 0), yUpToZUp) // content is y-up glTF
		if b, ok := volumes[id].extent(frame(id, 0)); ok {
			sm.extent[id] = b
		}
	}
	return sm, nil
}

// boundingVolumeJSON is a tile's stored 3D Tiles bounding volume.
type boundingVolumeJSON struct {
	Box    []float64 `json:"box"`
	Region []float64 `json:"region"`
	Sphere []float64 `json:"sphere"`
}

// extent is the lon/lat extent of a bounding volume in a tile frame (frame → ECEF); ok is false
// when the volume is missing or malformed.
func (v boundingVolumeJSON) extent(frame [16]float64) (orb.Bound, bool) {
	var corners [][3]float64
	switch {
	case len(v.Region) == 6:
		d := 180 / math.Pi
		return orb.Bound{Min: orb.Point{v.Region[0] * d, v.Region[1] * d}, Max: orb.Point{v.Region[2] * d, v.Region[3] * d}}, true
	case len(v.Box) == 12:
		c := v.Box
		for _, sx := range []float64{-1, 1} {
			for _, sy := range []float64{-1, 1} {
				for _, sz := range []float64{-1, 1} {
					var p [3]float64
					for k := range 3 {
						p[k] = c[k] + sx*c[3+k] + sy*c[6+k] + sz*c[9+k]
					}
					corners = append(corners, p)
				}
			}
		}
	case len(v.Sphere) == 4:
		r := v.Sphere[3]
		for _, sx := range []float64{-r, r} {
			for _, sy := range []float64{-r, r} {
				for _, sz := range []float64{-r, r} {
					corners = append(corners, [3]float64{v.Sphere[0] + sx, v.Sphere[1] + sy, v.Sphere[2] + sz})
				}
			}
		}
	default:
		return orb.Bound{}, false
	}
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range corners {
		lon, lat, _ := geodesy.Geodetic(apply(frame, p))
		b = b.Extend(orb.Point{lon, lat})
	}
	return b, true
}

// apply transforms a point by a column-major 4x4 matrix.
func apply(w [16]float64, p [3]float64) [3]float64 {
	return [3]float64{
		w[0]*p[0] + w[4]*p[1] + w[8]*p[2] + w[12],
		w[1]*p[0] + w[5]*p[1] + w[9]*p[2] + w[13],
		w[2]*p[0] + w[6]*p[1] + w[10]*p[2] + w[14],
	}
}

// footprint is a base-map building under the model.
type footprint struct {
	id, dataset                    int64
	name, address, structure, code *string
	floors                         *int32
	height                         *float64
	area                           orb.MultiPolygon
	bound, near                    orb.Bound // the footprint's, and widened by the margin
	ground                         float64   // the lowest point of the model near it
	used                           bool
}

// footprintIndex finds footprints by a lon/lat point: a grid of cells about 20 m wide.
type footprintIndex struct {
	rows []*footprint
	grid map[[2]int32][]int32
}

const splitCell = 0.0002 // degrees

func cellOf(lon, lat float64) [2]int32 {
	return [2]int32{int32(math.Floor(lon / splitCell)), int32(math.Floor(lat / splitCell))}
}

// loadFootprints reads the base-map buildings over a model's footprint (widened by the margin).
func loadFootprints(ctx context.Context, db spatial.Querier, modelID int64, margin float64) (*footprintIndex, error) {
	rows, err := db.Query(ctx, `
		SELECT b.id, b.dataset_id, b.name, b.address, b.structure, b.code, b.floors, b.height::float8, ST_AsBinary(b.geom)
		FROM twin.model m JOIN basemap.building b ON b.geom && ST_Expand(m.footprint, $2::float8 / 90000 + 0.0001)
		WHERE m.id = $1 ORDER BY b.id`, modelID, margin)
	if err != nil {
		return nil, fmt.Errorf("reading the footprints under the model: %w", err)
	}
	ix := &footprintIndex{grid: map[[2]int32][]int32{}}
	dLat := margin / 111000
	for rows.Next() {
		f := &footprint{ground: math.Inf(1)}
		var g []byte
		if err := rows.Scan(&f.id, &f.dataset, &f.name, &f.address, &f.structure, &f.code, &f.floors, &f.height, &g); err != nil {
			rows.Close()
			return nil, err
		}
		geom, err := wkb.Unmarshal(g)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("building %d: %w", f.id, err)
		}
		switch a := geom.(type) {
		case orb.MultiPolygon:
			f.area = a
		case orb.Polygon:
			f.area = orb.MultiPolygon{a}
		default:
			continue
		}
		f.bound = f.area.Bound()
		c := f.bound.Center()
		dLon := margin / (111000 * math.Max(math.Cos(c[1]*math.Pi/180), 0.01))
		f.near = orb.Bound{Min: orb.Point{f.bound.Min[0] - dLon, f.bound.Min[1] - dLat}, Max: orb.Point{f.bound.Max[0] + dLon, f.bound.Max[1] + dLat}}
		k := int32(len(ix.rows))
		ix.rows = append(ix.rows, f)
		lo, hi := cellOf(f.near.Min[0], f.near.Min[1]), cellOf(f.near.Max[0], f.near.Max[1])
		for x := lo[0]; x <= hi[0]; x++ {
			for y := lo[1]; y <= hi[1]; y++ {
				ix.grid[[2]int32{x, y}] = append(ix.grid[[2]int32{x, y}], k)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the footprints under the model: %w", err)
	}
	return ix, nil
}

// at returns the footprint containing a point, else the nearest within tol metres, else -1.
func (ix *footprintIndex) at(lon, lat, tol float64) int32 {
	p := orb.Point{lon, lat}
	cands := ix.grid[cellOf(lon, lat)]
	for _, k := range cands {
		f := ix.rows[k]
		if f.bound.Contains(p) && planar.MultiPolygonContains(f.area, p) {
			return k
		}
	}
	best, bestD := int32(-1), tol
	kx, ky := 111000*math.Cos(lat*math.Pi/180), 111000.0 // metres per degree, enough for a metre's tolerance
	for _, k := range cands {
		f := ix.rows[k]
		if !f.near.Contains(p) {
			continue
		}
		for _, poly := range f.area {
			for _, ring := range poly {
				for i := 1; i < len(ring); i++ {
					if d := segDist(p, ring[i-1], ring[i], kx, ky); d <= bestD {
						best, bestD = k, d
					}
				}
			}
		}
	}
	return best
}

// segDist is the distance in metres from p to the segment ab (lon/lat, scaled by kx, ky).
func segDist(p, a, b orb.Point, kx, ky float64) float64 {
	px, py := (p[0]-a[0])*kx, (p[1]-a[1])*ky
	bx, by := (b[0]-a[0])*kx, (b[1]-a[1])*ky
	t := 0.0
	if l := bx*bx + by*by; l > 0 {
		t = math.Max(0, math.Min(1, (px*bx+py*by)/l))
	}
	return math.Hypot(px-t*bx, py-t*by)
}

type splitter struct {
	fp *footprintIndex
	o  SplitOptions
	ll [][3]float64 // scratch: a primitive's vertices as lon, lat, height
}

type splitStats struct{ triangles, assigned, vertices, vertsAfter int64 }

// eachPrimitive calls f with every primitive of m and its frame → ECEF transform; a mesh used by
// two nodes cannot be split one way for both, so such a model is refused before f sees anything.
func eachPrimitive(m *glb.Model, tile [16]float64, f func(p *glb.Primitive, world [16]float64) error) error {
	type placed struct {
		p *glb.Primitive
		w [16]float64
	}
	var all []placed
	seen := map[*glb.Mesh]bool{}
	var walk func(n *glb.Node, up [16]float64) error
	walk = func(n *glb.Node, up [16]float64) error {
		w := up
		if n.Matrix != nil {
			w = mul(up, *n.Matrix)
		}
		if n.Mesh != nil {
			if seen[n.Mesh] {
				return fmt.Errorf("%w: mesh %q is instanced by two nodes", glb.ErrUnsupported, n.Mesh.Name)
			}
			seen[n.Mesh] = true
			for _, p := range n.Mesh.Primitives {
				all = append(all, placed{p, w})
			}
		}
		for _, c := range n.Children {
			if err := walk(c, w); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range m.Nodes {
		if err := walk(n, tile); err != nil {
			return err
		}
	}
	for _, pl := range all {
		if err := f(pl.p, pl.w); err != nil {
			return err
		}
	}
	return nil
}

// geodetic fills s.ll with the primitive's vertices as lon, lat, ellipsoidal height.
func (s *splitter) geodetic(p *glb.Primitive, w [16]float64) {
	s.ll = s.ll[:0]
	for _, v := range p.Positions {
		lon, lat, h := geodesy.Geodetic(apply(w, [3]float64{float64(v[0]), float64(v[1]), float64(v[2])}))
		s.ll = append(s.ll, [3]float64{lon, lat, h})
	}
}

// ground lowers each footprint's ground to the lowest vertex of m near it.
func (s *splitter) ground(m *glb.Model, tile [16]float64) error {
	return eachPrimitive(m, tile, func(p *glb.Primitive, w [16]float64) error {
		s.geodetic(p, w)
		for _, v := range s.ll {
			pt := orb.Point{v[0], v[1]}
			for _, k := range s.fp.grid[cellOf(v[0], v[1])] {
				if f := s.fp.rows[k]; v[2] < f.ground && f.near.Contains(pt) {
					f.ground = v[2]
				}
			}
		}
		return nil
	})
}

// assign gives every triangle of m its building, splits the vertices shared across buildings and
// replaces m's feature ids and property tables with one building table.
func (s *splitter) assign(m *glb.Model, tile [16]float64) (splitStats, error) {
	var st splitStats
	tb := newTable("building", "房屋 Buildings", buildingColumns) // the class of the buildings tileset
	rowOf := map[int32]uint32{}
	var prims []*glb.Primitive
	err := eachPrimitive(m, tile, func(p *glb.Primitive, w [16]float64) error {
		s.geodetic(p, w)
		idx := p.Indices
		if idx == nil {
			idx = make([]uint32, len(p.Positions))
			for i := range idx {
				idx[i] = uint32(i)
			}
		}
		n := len(p.Positions)
		st.vertices += int64(n)
		// The new vertices: the first (vertex, feature) pair keeps a vertex's slot in order of use,
		// the others get copies.
		slot := make([]int32, n)
		feat := make([]uint32, n)
		for i := range slot {
			slot[i] = -1
		}
		extra := map[[2]uint32]uint32{}
		var order []uint32 // old vertex of each new one
		var ids []uint32
		out := make([]uint32, len(idx))
		for t := 0; t+2 < len(idx); t += 3 {
			a, b, c := s.ll[idx[t]], s.ll[idx[t+1]], s.ll[idx[t+2]]
			fid := glb.NoFeature
			if k := s.fp.at((a[0]+b[0]+c[0])/3, (a[1]+b[1]+c[1])/3, s.o.Tolerance); k >= 0 {
				f := s.fp.rows[k]
				if max(a[2], b[2], c[2]) >= f.ground+s.o.Clearance {
					r, ok := rowOf[k]
					if !ok {
						r = tb.row()
						rowOf[k] = r
						tb.id(f.id)
						tb.setStr("layer", "basemap.building")
						tb.str("name", f.name)
						tb.str("address", f.address)
						tb.str("structure", f.structure)
						tb.str("code", f.code)
						tb.int("floors", f.floors)
						tb.num("height", f.height)
						tb.setStr("dataset", strconv.FormatInt(f.dataset, 10))
						f.used = true
					}
					fid = r
					st.assigned++
				}
			}
			st.triangles++
			for j := range 3 {
				v := idx[t+j]
				switch {
				case slot[v] < 0:
					slot[v], feat[v] = int32(len(order)), fid
					order = append(order, v)
					ids = append(ids, fid)
					out[t+j] = uint32(slot[v])
				case feat[v] == fid:
					out[t+j] = uint32(slot[v])
				default:
					nv, ok := extra[[2]uint32{v, fid}]
					if !ok {
						nv = uint32(len(order))
						extra[[2]uint32{v, fid}] = nv
						order = append(order, v)
						ids = append(ids, fid)
					}
					out[t+j] = nv
				}
			}
		}
		st.vertsAfter += int64(len(order))
		pos := make([][3]float32, len(order))
		for i, v := range order {
			pos[i] = p.Positions[v]
		}
		p.Positions = pos
		if p.Normals != nil {
			nr := make([][3]float32, len(order))
			for i, v := range order {
				nr[i] = p.Normals[v]
			}
			p.Normals = nr
		}
		if p.UVs != nil {
			uv := make([][2]float32, len(order))
			for i, v := range order {
				uv[i] = p.UVs[v]
			}
			p.UVs = uv
		}
		p.Indices, p.FeatureIDs = out[:len(idx)/3*3], ids
		prims = append(prims, p)
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, p := range prims {
		if tb.t.Count == 0 { // ground only: no features (a property table has at least one row)
			p.FeatureIDs, p.Table = nil, nil
		} else {
			p.Table = tb.t
		}
	}
	return st, nil
}
