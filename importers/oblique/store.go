package oblique

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/importers/loader"
)

// model is a twin.model row being written with its LOD tree (twin.model_node), inside the import's
// transaction. On a dry run (no transaction) nothing is written but everything is still built.
type model struct {
	ctx       context.Context
	tx        pgx.Tx
	id        int64
	name      string
	datasetID int64
	free      []int64 // preallocated twin.model_node ids
	nodes     int
	bytes     int64
	counts    map[string]int
	bounds    box // model frame
}

var modelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ModelName is the URL-safe name (tileset model-<name>) of a dataset: its ASCII letters, digits,
// '_', '.', '-'; other characters become '_'. A name with none of those ("倾斜摄影") gets "m<dataset id>".
func ModelName(dataset string, datasetID int64) string {
	var b strings.Builder
	for _, r := range dataset {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_.-")
	if !modelNameRE.MatchString(name) || len(name) < 2 && dataset != name {
		name = fmt.Sprintf("m%d", datasetID)
	}
	return name
}

// newModel inserts the twin.model row (origin, footprint and bounds are filled in by finish).
func newModel(ctx context.Context, b *loader.Batch, kind, srs string, rootTransform [16]float64, asset map[string]any) (*model, error) {
	o := b.Options()
	m := &model{ctx: ctx, tx: b.Tx(), datasetID: b.DatasetID(), counts: map[string]int{}, bounds: emptyBox()}
	m.name = ModelName(o.Dataset, m.datasetID)
	if m.tx == nil {
		return m, nil
	}
	assetJSON, err := json.Marshal(asset)
	if err != nil {
		return nil, err
	}
	var taken bool // by another dataset whose name sanitises the same ("a b" and "a_b")
	if err := m.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM twin.model WHERE name = $1)`, m.name).Scan(&taken); err != nil {
		return nil, err
	}
	if taken {
		m.name = fmt.Sprintf("%s-%d", m.name, m.datasetID)
	}
	err = m.tx.QueryRow(ctx, `
		INSERT INTO twin.model (dataset_id, name, title_zh, title_en, kind, source_srs, root_transform, asset)
		VALUES ($1, $2, $3, $3, $4, $5, $6, $7) RETURNING id`,
		m.datasetID, m.name, o.Dataset, kind, srs, rootTransform[:], assetJSON).Scan(&m.id)
	if err != nil {
		return nil, fmt.Errorf("registering model %s: %w", m.name, err)
	}
	return m, nil
}

// nextID reserves a twin.model_node id (before the node's content, which carries it, is built).
func (m *model) nextID() (int64, error) {
	if m.tx == nil {
		m.nodes++
		return int64(m.nodes), nil
	}
	if len(m.free) == 0 {
		rows, err := m.tx.Query(m.ctx, `SELECT nextval(pg_get_serial_sequence('twin.model_node', 'id')) FROM generate_series(1, 256)`)
		if err != nil {
			return 0, err
		}
		if m.free, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return 0, err
		}
	}
	id := m.free[0]
	m.free = m.free[1:]
	return id, nil
}

// node is one twin.model_node row.
type node struct {
	id, parent     int64 // parent 0: the root
	name           string
	order          int
	volume         any // 3D Tiles bounding volume (marshalled to JSON)
	geometricError float64
	refine         string
	transform      *[16]float64 // relative to the parent
	contentType    string       // "" for none
	content        []byte
}

func (m *model) insert(n node) error {
	m.counts["model_node"]++
	if n.contentType != "" {
		m.counts["content_"+n.contentType]++
		m.bytes += int64(len(n.content))
	}
	if m.tx == nil {
		return nil
	}
	vol, err := json.Marshal(n.volume)
	if err != nil {
		return err
	}
	var parent, transform, ctype, content any
	if n.parent != 0 {
		parent = n.parent
	}
	if n.transform != nil {
		transform = n.transform[:]
	}
	if n.contentType != "" {
		ctype, content = n.contentType, n.content
	}
	refine := n.refine
	if refine == "" {
		refine = "REPLACE"
	}
	_, err = m.tx.Exec(m.ctx, `
		INSERT INTO twin.model_node (id, model_id, parent_id, name, sort_order, bounding_volume, geometric_error, refine, transform, content_type, content)
		OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		n.id, m.id, parent, n.name, n.order, vol, n.geometricError, refine, transform, ctype, content)
	if err != nil {
		return fmt.Errorf("writing tile %s of model %s: %w", n.name, m.name, err)
	}
	return nil
}

// update sets a node's bounding volume and geometric error once its subtree is known.
func (m *model) update(id int64, volume any, geometricError float64) error {
	if m.tx == nil {
		return nil
	}
	vol, err := json.Marshal(volume)
	if err != nil {
		return err
	}
	_, err = m.tx.Exec(m.ctx, `UPDATE twin.model_node SET bounding_volume = $2, geometric_error = $3 WHERE id = $1`, id, vol, geometricError)
	return err
}

// frameExtent is the lon/lat/height extent of a box of a georeference's frame (its corners).
func frameExtent(g *Georef, b box) box {
	ll := emptyBox()
	if b.empty() {
		return ll
	}
	for _, x := range []float64{b.min[0], b.max[0]} {
		for _, y := range []float64{b.min[1], b.max[1]} {
			for _, z := range []float64{b.min[2], b.max[2]} {
				lon, lat, h := g.LonLat([3]float64{x, y, z})
				ll.add([3]float64{lon, lat, h})
			}
		}
	}
	return ll
}

// finish records the model's origin (the centre of its extent) and footprint from its lon/lat/height
// extent, and its counts.
func (m *model) finish(b *loader.Batch, ll box, asset map[string]any) error {
	if !ll.empty() {
		c := ll.center()
		if m.tx != nil {
			_, err := m.tx.Exec(m.ctx, `UPDATE twin.model SET origin = ST_SetSRID(ST_MakePoint($2, $3, $4), 4490),
				footprint = ST_MakeEnvelope($5, $6, $7, $8, 4490) WHERE id = $1`,
				m.id, c[0], c[1], ll.min[2], ll.min[0], ll.min[1], ll.max[0], ll.max[1])
			if err != nil {
				return err
			}
		}
		b.Extend(ll.min[0], ll.min[1], ll.max[0], ll.max[1])
	}
	asset["nodes"], asset["content_bytes"] = m.counts["model_node"], m.bytes
	b.Count("model", 1)
	b.Count("model_node", m.counts["model_node"])
	if m.tx != nil {
		a, err := json.Marshal(asset)
		if err != nil {
			return err
		}
		if _, err := m.tx.Exec(m.ctx, `UPDATE twin.model SET asset = $2 WHERE id = $1`, m.id, a); err != nil {
			return err
		}
	}
	return nil
}
