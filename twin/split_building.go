package twin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/geodesy"
	"github.com/yitu-gis/yitu/twin/glb"
)

// SplitBuilding returns a glb of one building of a split model: its triangles from the model's
// finest contents (the tiles with no content below them, and those refined by ADD), in an east-north-up frame at the
// building's lowest point (asset.extras.georeference gives that point and the frame → ECEF
// matrix), with the building as its one feature and its attributes. A building that the model does
// not show is ErrNotFound.
func SplitBuilding(ctx context.Context, db spatial.Querier, name string, building int64) ([]byte, error) {
	sm, err := openSplitModel(ctx, db, name, false)
	if err != nil {
		return nil, err
	}
	// The building's extent: tiles whose bounding volume misses it are not read.
	var bb orb.Bound
	err = queryRow(ctx, db, `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM basemap.building WHERE id = $1`,
		[]any{building}, &bb.Min[0], &bb.Min[1], &bb.Max[0], &bb.Max[1])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("building %d (no such basemap.building)", building)
	}
	if err != nil {
		return nil, err
	}
	bb = bb.Pad(0.0001) // about 10 m
	// The finest contents: those with no content below them, or that their children add to.
	hasContent := map[int64]bool{}
	for _, n := range sm.contents {
		hasContent[n.id] = true
	}
	below := map[int64]bool{}
	var contentBelow func(id int64, depth int) bool
	contentBelow = func(id int64, depth int) bool {
		if v, ok := below[id]; ok {
			return v
		}
		v := false
		for _, c := range sm.children[id] {
			if hasContent[c] || depth < 1000 && contentBelow(c, depth+1) {
				v = true
				break
			}
		}
		below[id] = v
		return v
	}
	want := strconv.FormatInt(building, 10)
	type piece struct {
		p     *glb.Primitive
		world [16]float64
		keep  []uint32 // triangle corners (old indices) of the building
	}
	var pieces []piece
	var table *glb.PropertyTable
	row := -1
	for _, n := range sm.contents {
		if n.contentType != "glb" || contentBelow(n.id, 0) && !sm.additive[n.id] {
			continue
		}
		if ext, ok := sm.extent[n.id]; ok && !ext.Intersects(bb) {
			continue
		}
		var data []byte
		if err := queryRow(ctx, db, `SELECT content FROM twin.model_node WHERE id = $1`, []any{n.id}, &data); err != nil {
			return nil, err
		}
		m, err := glb.Decode(data)
		if errors.Is(err, glb.ErrUnsupported) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("model %s tile n/%d: %w", name, n.id, err)
		}
		err = eachPrimitive(m, sm.world[n.id], func(p *glb.Primitive, w [16]float64) error {
			if p.Table == nil || p.Table.Class != "building" {
				return nil
			}
			r := -1
			for i := range p.Table.Count {
				if p.Table.Value("id", i) == want {
					r = i
				}
			}
			if r < 0 {
				return nil
			}
			if table == nil {
				table, row = p.Table, r
			}
			idx := p.Indices
			pc := piece{p: p, world: w}
			for t := 0; t+2 < len(idx); t += 3 {
				if p.FeatureIDs[idx[t]] == uint32(r) && p.FeatureIDs[idx[t+1]] == uint32(r) && p.FeatureIDs[idx[t+2]] == uint32(r) {
					pc.keep = append(pc.keep, idx[t], idx[t+1], idx[t+2])
				}
			}
			if len(pc.keep) > 0 {
				pieces = append(pieces, pc)
			}
			return nil
		})
		if err != nil && !errors.Is(err, glb.ErrUnsupported) {
			return nil, err
		}
	}
	if len(pieces) == 0 {
		return nil, spatial.NotFound("building %d in model %s (not split, or not in the model)", building, name)
	}
	// The frame: at the centre of the building's vertices, on its lowest one.
	var sum [3]float64
	cnt := 0.0
	ecef := func(w [16]float64, v [3]float32) [3]float64 {
		return apply(w, [3]float64{float64(v[0]), float64(v[1]), float64(v[2])})
	}
	low := math.Inf(1)
	for _, pc := range pieces {
		for _, v := range pc.keep {
			e := ecef(pc.world, pc.p.Positions[v])
			for k := range 3 {
				sum[k] += e[k]
			}
			cnt++
			_, _, h := geodesy.Geodetic(e)
			low = min(low, h)
		}
	}
	lon, lat, _ := geodesy.Geodetic([3]float64{sum[0] / cnt, sum[1] / cnt, sum[2] / cnt})
	fr := geodesy.NewFrame(lon, lat, low)
	one := &glb.PropertyTable{Class: "building", Name: table.Name, Count: 1}
	for _, p := range table.Properties {
		q := glb.Property{Name: p.Name, Title: p.Title, Description: p.Description}
		switch {
		case p.Strings != nil:
			q.Strings = []string{p.Strings[row]}
		case p.Floats != nil:
			q.Floats = []float64{p.Floats[row]}
		case p.Ints != nil:
			q.Ints = []int32{p.Ints[row]}
		}
		one.Properties = append(one.Properties, q)
	}
	mesh := &glb.Mesh{Name: "building " + want}
	for _, pc := range pieces {
		np := &glb.Primitive{Material: pc.p.Material, Table: one}
		remap := map[uint32]uint32{}
		for _, v := range pc.keep {
			nv, ok := remap[v]
			if !ok {
				nv = uint32(len(np.Positions))
				remap[v] = nv
				e := ecef(pc.world, pc.p.Positions[v])
				d := [3]float64{e[0] - fr.Origin[0], e[1] - fr.Origin[1], e[2] - fr.Origin[2]}
				np.Positions = append(np.Positions, glb.YUp(dot(d, fr.East), dot(d, fr.North), dot(d, fr.Up)))
				if pc.p.Normals != nil {
					nm := pc.p.Normals[v]
					x, y, z := float64(nm[0]), float64(nm[1]), float64(nm[2])
					w := pc.world
					ne := [3]float64{w[0]*x + w[4]*y + w[8]*z, w[1]*x + w[5]*y + w[9]*z, w[2]*x + w[6]*y + w[10]*z}
					np.Normals = append(np.Normals, glb.YUp(dot(ne, fr.East), dot(ne, fr.North), dot(ne, fr.Up)))
				}
				if pc.p.UVs != nil {
					np.UVs = append(np.UVs, pc.p.UVs[v])
				}
				np.FeatureIDs = append(np.FeatureIDs, 0)
			}
			np.Indices = append(np.Indices, nv)
		}
		mesh.Primitives = append(mesh.Primitives, np)
	}
	return glb.Marshal(&glb.Model{Nodes: []*glb.Node{{Name: "building " + want, Mesh: mesh}},
		Extras: map[string]any{"georeference": map[string]any{"lon": lon, "lat": lat, "height": low, "ecef_transform": fr.Matrix()}}})
}

// Building is SplitBuilding of a stored model (its name without model-) as served content, cached
// with the model's tiles: like them it changes when the model is split again (which purges it).
func (s *Service) Building(ctx context.Context, model string, id int64) (Content, error) {
	ts, err := s.get(ctx, "model-"+model)
	if err != nil {
		return Content{}, err
	}
	return s.cached(ctx, ts, "buildings/"+strconv.FormatInt(id, 10)+".glb", func(bctx context.Context) (Content, error) {
		b, err := SplitBuilding(bctx, s.pool, model, id)
		if err != nil {
			return Content{}, err
		}
		return Content{Data: b, Type: "model/gltf-binary", ETag: etag(b)}, nil
	})
}
