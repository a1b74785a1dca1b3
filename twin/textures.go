package twin

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin/glb"
)

// textureSet loads the CIM texture images a tile uses, once each, as textured materials.
type textureSet struct {
	ctx  context.Context
	db   spatial.Querier
	mats map[string]*glb.Material // dataset/uri → material; nil when the image is not stored
}

// appearance is a surface's texture: the material and the texture coordinates per polygon.
type appearance struct {
	material *glb.Material
	uvs      [][][][2]float64 // per polygon, per ring; nil entries: untextured polygons
}

func (a *appearance) uv(i int) [][][2]float64 {
	if a == nil || a.material == nil || i >= len(a.uvs) {
		return nil
	}
	return a.uvs[i]
}

// appearance reads a cim.surface appearance ({"texture": uri, "uv": [...]}); nil without texture.
func (ts *textureSet) appearance(dataset int64, raw string) *appearance {
	var a struct {
		Texture string           `json:"texture"`
		UV      [][][][2]float64 `json:"uv"`
	}
	if json.Unmarshal([]byte(raw), &a) != nil || a.Texture == "" {
		return nil
	}
	key := strconv.FormatInt(dataset, 10) + "/" + a.Texture
	m, ok := ts.mats[key]
	if !ok {
		var mime string
		var data []byte
		err := queryRow(ts.ctx, ts.db, `SELECT mime_type, data FROM cim.texture WHERE dataset_id = $1 AND uri = $2`,
			[]any{dataset, a.Texture}, &mime, &data)
		if err == nil {
			m = &glb.Material{Name: a.Texture, BaseColor: [4]float32{1, 1, 1, 1}, Roughness: 1,
				Texture: &glb.Image{Name: a.Texture, MIMEType: mime, Data: data, Repeat: true}}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			m = nil // unreadable: draw untextured
		}
		ts.mats[key] = m
	}
	return &appearance{material: m, uvs: a.UV}
}
