package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// stored is a 3D model from twin.model with its level-of-detail tree (twin.model_node), served as
// the tileset model-<name>. Content bytes stay in the database until a tile is asked for.
type stored struct {
	id, datasetID int64
	name          string
	root          *storedNode
	nodes         map[int64]*storedNode
}

type storedNode struct {
	id          int64
	volume      json.RawMessage
	geomError   float64
	refine      string
	transform   *[16]float64
	contentType string // "" for a grouping node
	children    []*storedNode
}

// contentTypes are the stored content kinds and their media types.
var contentTypes = map[string]string{
	"glb":  "model/gltf-binary",
	"b3dm": "application/octet-stream",
	"i3dm": "application/octet-stream",
	"pnts": "application/octet-stream",
	"cmpt": "application/octet-stream",
}

func loadStored(ctx context.Context, db spatial.Querier, name string) (*stored, error) {
	m := &stored{name: name, nodes: map[int64]*storedNode{}}
	var rootTransform []float64
	err := queryRow(ctx, db, `SELECT id, dataset_id, root_transform FROM twin.model WHERE name = $1`, []any{name},
		&m.id, &m.datasetID, &rootTransform)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("tileset model-%s (no model %q)", name, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	rows, err := db.Query(ctx, `
		SELECT id, coalesce(parent_id, 0), bounding_volume, geometric_error, refine, transform, coalesce(content_type, '')
		FROM twin.model_node WHERE model_id = $1
		ORDER BY parent_id NULLS FIRST, sort_order, id`, m.id)
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	type pending struct {
		n      *storedNode
		parent int64
	}
	var all []pending
	var (
		id, parent int64
		vol        []byte
		ge         float64
		refine, ct string
		tr         []float64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &parent, &vol, &ge, &refine, &tr, &ct}, func() error {
		n := &storedNode{id: id, volume: append(json.RawMessage(nil), vol...), geomError: ge, refine: refine, contentType: ct}
		if len(tr) == 16 {
			n.transform = (*[16]float64)(tr)
		}
		m.nodes[id] = n
		all = append(all, pending{n, parent})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading model %s: %w", name, err)
	}
	for _, p := range all {
		if p.parent == 0 {
			m.root = p.n
			continue
		}
		if par := m.nodes[p.parent]; par != nil {
			par.children = append(par.children, p.n)
		}
	}
	if m.root == nil {
		return nil, fmt.Errorf("model %s has no root node in twin.model_node", name)
	}
	// The georeference goes on the root: the model's frame → ECEF, then the root's own transform.
	rt := [16]float64(rootTransform)
	if m.root.transform != nil {
		rt = mul(rt, *m.root.transform)
	}
	m.root.transform = &rt
	return m, nil
}

func (m *stored) tileset() *tilesetJSON {
	ts := &tilesetJSON{Asset: assetJSON{Version: "1.1", Generator: "Yitu"}, GeometricError: m.root.geomError}
	ts.Root = m.tileJSON(m.root)
	if ts.Root.Refine == "" {
		ts.Root.Refine = "REPLACE"
	}
	return ts
}

func (m *stored) tileJSON(n *storedNode) *tileJSON {
	tj := &tileJSON{BoundingVolume: boundingVolume{Raw: n.volume}, GeometricError: n.geomError, Refine: n.refine, Transform: n.transform}
	if n.contentType != "" {
		tj.Content = &contentJSON{URI: "n/" + strconv.FormatInt(n.id, 10) + "." + n.contentType}
	}
	for _, c := range n.children {
		tj.Children = append(tj.Children, m.tileJSON(c))
	}
	return tj
}

// content reads a node's stored content: path is n/<id>.<type>.
func (m *stored) content(ctx context.Context, db spatial.Querier, path string) (Content, error) {
	rest, ok := strings.CutPrefix(path, "n/")
	idStr, ext, ok2 := strings.Cut(rest, ".")
	id, err := strconv.ParseInt(idStr, 10, 64)
	n := m.nodes[id]
	if !ok || !ok2 || err != nil || n == nil || n.contentType != ext {
		return Content{}, spatial.NotFound("tile %s of tileset model-%s", path, m.name)
	}
	var data []byte
	if err := queryRow(ctx, db, `SELECT content FROM twin.model_node WHERE id = $1 AND model_id = $2`, []any{id, m.id}, &data); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Content{}, spatial.NotFound("tile %s of tileset model-%s", path, m.name)
		}
		return Content{}, err
	}
	return Content{Data: data, Type: contentTypes[ext], ETag: etag(data)}, nil
}
