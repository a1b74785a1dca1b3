package oblique

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// tileJSON is a tile of a 3D Tiles tileset.json (1.0 or 1.1), as far as the import needs it.
type tileJSON struct {
	BoundingVolume      json.RawMessage            `json:"boundingVolume"`
	ViewerRequestVolume json.RawMessage            `json:"viewerRequestVolume"`
	GeometricError      *float64                   `json:"geometricError"`
	Refine              string                     `json:"refine"`
	Transform           []float64                  `json:"transform"`
	Content             *contentRef                `json:"content"`
	Contents            []contentRef               `json:"contents"`
	Children            []tileJSON                 `json:"children"`
	ImplicitTiling      json.RawMessage            `json:"implicitTiling"`
	Metadata            json.RawMessage            `json:"metadata"`
	Extensions          map[string]json.RawMessage `json:"extensions"`
}

type contentRef struct {
	URI      string          `json:"uri"`
	URL      string          `json:"url"` // 3D Tiles 0.0
	Metadata json.RawMessage `json:"metadata"`
	Group    *int            `json:"group"`
}

type tilesetDoc struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	GeometricError *float64        `json:"geometricError"`
	Root           *tileJSON       `json:"root"`
	Schema         json.RawMessage `json:"schema"`
	SchemaURI      string          `json:"schemaUri"`
	Groups         json.RawMessage `json:"groups"`
	Metadata       json.RawMessage `json:"metadata"`
	Properties     json.RawMessage `json:"properties"`
}

// ImportTileset imports an existing 3D Tiles tileset (a tileset.json, or a folder holding one) as
// one model: each tile becomes a twin.model_node with its bounding volume, geometric error, refine
// and transform, and its content file (b3dm, i3dm, pnts, cmpt or glb) stored byte for byte. Tiles
// whose content is an external tileset take that tileset's tree in their place. The georeference is
// the tileset's own (ECEF), so the model's root transform is the identity.
//
// A 1.1 tile with several contents becomes one tile per content, siblings with the same bounding
// volume and geometric error (its children stay with the first): the same picture whenever the
// parent refines additively, as such tiles usually do. Tileset, group and tile metadata are kept in
// twin.model.asset.
func ImportTileset(ctx context.Context, b *loader.Batch, path string) error {
	file := path
	if st, err := os.Stat(path); err != nil {
		return invalid("path", "%v", err)
	} else if st.IsDir() {
		file = filepath.Join(path, "tileset.json")
	}
	doc, err := readTileset(file)
	if err != nil {
		return err
	}
	b.SetSourceCRS("EPSG:4978")
	asset := map[string]any{"format": "3dtiles", "version": doc.Asset.Version, "tileset": file}
	for k, v := range map[string]json.RawMessage{"schema": doc.Schema, "groups": doc.Groups, "metadata": doc.Metadata, "properties": doc.Properties} {
		if len(v) > 0 && string(v) != "null" {
			asset[k] = v
		}
	}
	if doc.SchemaURI != "" {
		asset["schemaUri"] = doc.SchemaURI
	}
	w := &tilesetWalk{ctx: ctx, b: b, files: map[string]bool{file: true}, extentLL: emptyBox()}
	// Tileset coordinates are ECEF already: the root transform is the identity.
	m, err := newModel(ctx, b, "3dtiles", "EPSG:4978", identity16(), asset)
	if err != nil {
		return err
	}
	w.m = m
	rootRefine := doc.Root.Refine
	if rootRefine == "" {
		rootRefine = "REPLACE"
		b.Warn(fmt.Sprintf("%s: the root tile has no refine; REPLACE assumed", file))
	}
	if err := w.tile(doc.Root, file, 0, "root", 0, rootRefine, identity16(), *doc.GeometricError); err != nil {
		return err
	}
	return m.finish(b, w.extentLL, asset)
}

func readTileset(file string) (*tilesetDoc, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, invalid("path", "%v", err)
	}
	var doc tilesetDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, invalid(file, "not a 3D Tiles tileset.json: %v", err)
	}
	switch doc.Asset.Version {
	case "0.0", "1.0", "1.1":
	case "":
		return nil, invalid(file+": asset.version", "missing; not a 3D Tiles tileset")
	default:
		return nil, invalid(file+": asset.version", "%q is not a 3D Tiles version Yitu reads (1.0, 1.1)", doc.Asset.Version)
	}
	if doc.Root == nil {
		return nil, invalid(file+": root", "the tileset has no root tile")
	}
	if doc.GeometricError == nil {
		return nil, invalid(file+": geometricError", "missing")
	}
	return &doc, nil
}

type tilesetWalk struct {
	ctx      context.Context
	b        *loader.Batch
	m        *model
	files    map[string]bool // tileset files in the chain (an external tileset referring back is a cycle)
	extentLL box             // lon/lat/height extent of the bounding volumes
}

// tile writes one tile (and its subtree). file is the tileset file it is in (content URIs are
// relative to it), where names the tile for errors and node names, world is the tile's parent's
// transform to ECEF (for the footprint).
func (w *tilesetWalk) tile(t *tileJSON, file string, parent int64, where string, order int, refine string, world [16]float64, parentErr float64) error {
	at := file + ": " + where
	it, err := implicitOf(t, at)
	if err != nil {
		return err
	}
	if len(t.BoundingVolume) == 0 {
		return invalid(at+".boundingVolume", "missing")
	}
	if t.GeometricError == nil || *t.GeometricError < 0 || math.IsNaN(*t.GeometricError) {
		return invalid(at+".geometricError", "missing or negative")
	}
	if t.Refine != "" {
		if r := strings.ToUpper(t.Refine); r != "ADD" && r != "REPLACE" {
			return invalid(at+".refine", "%q is not ADD or REPLACE", t.Refine)
		}
		refine = strings.ToUpper(t.Refine)
	}
	var transform *[16]float64
	if t.Transform != nil {
		if len(t.Transform) != 16 {
			return invalid(at+".transform", "has %d numbers, not 16", len(t.Transform))
		}
		transform = (*[16]float64)(t.Transform)
		world = mul16(world, *transform)
	}
	if len(t.ViewerRequestVolume) > 0 {
		w.b.Warn(fmt.Sprintf("%s: viewerRequestVolume is not kept (the tile loads whenever it is visible)", at))
	}
	w.extent(t.BoundingVolume, world)
	contents := t.Contents
	if t.Content != nil {
		contents = append([]contentRef{*t.Content}, contents...)
	}
	ge := min(*t.GeometricError, parentErr)
	if it != nil {
		if mc, ok := t.Extensions["3DTILES_multiple_contents"]; ok && len(contents) == 0 {
			var ext struct {
				Content []contentRef `json:"content"`
			}
			if err := json.Unmarshal(mc, &ext); err != nil {
				return invalid(at+".extensions.3DTILES_multiple_contents", "%v", err)
			}
			contents = ext.Content
		}
		return w.implicit(t, it, where, file, parent, at, order, refine, transform, ge, contents)
	}
	var volume any = t.BoundingVolume
	// A content that is an external tileset: its tree takes the tile's place below this tile.
	var external []*tilesetDoc
	var externalFiles []string
	var stored []contentRef
	for _, c := range contents {
		uri := c.URI
		if uri == "" {
			uri = c.URL
		}
		p, err := contentPath(file, uri)
		if err != nil {
			return invalid(at+".content.uri", "%v", err)
		}
		if strings.EqualFold(filepath.Ext(p), ".json") {
			if w.files[p] {
				return invalid(at+".content.uri", "external tileset %s refers back to a tileset above it", uri)
			}
			doc, err := readTileset(p)
			if err != nil {
				return err
			}
			external, externalFiles = append(external, doc), append(externalFiles, p)
			continue
		}
		c.URI = p
		stored = append(stored, c)
	}
	// One node per stored content (the first keeps the children), or one without content.
	n := 1
	if len(stored) > 1 {
		n = len(stored)
	}
	for k := range n {
		id, err := w.m.nextID()
		if err != nil {
			return err
		}
		name := where
		if k > 0 {
			name = fmt.Sprintf("%s+%d", where, k)
		}
		nd := node{id: id, parent: parent, name: name, order: order*64 + k, volume: volume, geometricError: ge, refine: refine, transform: transform}
		if k < len(stored) {
			data, ctype, err := readContent(stored[k].URI)
			if err != nil {
				return invalid(at+".content", "%v", err)
			}
			nd.content, nd.contentType = data, ctype
			nd.name = name + " " + filepath.Base(stored[k].URI)
		}
		if err := w.m.insert(nd); err != nil {
			return err
		}
		if k > 0 {
			continue
		}
		for i := range t.Children {
			if err := w.tile(&t.Children[i], file, id, fmt.Sprintf("%s/%d", where, i), i, refine, world, ge); err != nil {
				return err
			}
		}
		for i, doc := range external {
			w.files[externalFiles[i]] = true
			er := doc.Root.Refine
			if er == "" {
				er = refine
			}
			sub := fmt.Sprintf("%s/%s", where, filepath.Base(externalFiles[i]))
			if err := w.tile(doc.Root, externalFiles[i], id, sub, len(t.Children)+i, er, world, ge); err != nil {
				return err
			}
			delete(w.files, externalFiles[i])
		}
	}
	return nil
}

// contentPath resolves a content URI relative to the tileset file; only local relative paths.
func contentPath(file, uri string) (string, error) {
	if uri == "" {
		return "", fmt.Errorf("empty content URI")
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("content URI %q: %v", uri, err)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("content URI %q is not a relative path inside the tileset folder", uri)
	}
	return filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path)), nil
}

// readContent reads a content file and tells its type from its magic.
func readContent(p string) ([]byte, string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, "", err
	}
	if len(data) < 12 {
		return nil, "", fmt.Errorf("%s is too short for tile content", p)
	}
	switch string(data[:4]) {
	case "b3dm", "i3dm", "pnts", "cmpt":
		return data, string(data[:4]), nil
	case "glTF":
		return data, "glb", nil
	}
	return nil, "", fmt.Errorf("%s is not b3dm, i3dm, pnts, cmpt or glb content (it starts with %q)", p, clip(string(data[:4]), 4))
}

// extent adds a bounding volume (in the frame world maps to ECEF) to the footprint.
func (w *tilesetWalk) extent(raw json.RawMessage, world [16]float64) {
	var bv struct {
		Region []float64 `json:"region"`
		Box    []float64 `json:"box"`
		Sphere []float64 `json:"sphere"`
	}
	if json.Unmarshal(raw, &bv) != nil {
		return
	}
	addLL := func(lon, lat, h float64) { w.extentLL.add([3]float64{lon, lat, h}) }
	apply := func(p [3]float64) [3]float64 {
		return [3]float64{
			world[0]*p[0] + world[4]*p[1] + world[8]*p[2] + world[12],
			world[1]*p[0] + world[5]*p[1] + world[9]*p[2] + world[13],
			world[2]*p[0] + world[6]*p[1] + world[10]*p[2] + world[14],
		}
	}
	addECEF := func(p [3]float64) { addLL(geodesy.Geodetic(p)) }
	switch {
	case len(bv.Region) == 6:
		r := bv.Region
		for _, lon := range []float64{r[0], r[2]} {
			for _, lat := range []float64{r[1], r[3]} {
				addLL(lon*180/math.Pi, lat*180/math.Pi, r[4])
				addLL(lon*180/math.Pi, lat*180/math.Pi, r[5])
			}
		}
	case len(bv.Box) == 12:
		c := bv.Box
		for _, sx := range []float64{-1, 1} {
			for _, sy := range []float64{-1, 1} {
				for _, sz := range []float64{-1, 1} {
					p := [3]float64{}
					for k := range 3 {
						p[k] = c[k] + sx*c[3+k] + sy*c[6+k] + sz*c[9+k]
					}
					addECEF(apply(p))
				}
			}
		}
	case len(bv.Sphere) == 4:
		s := bv.Sphere
		for _, d := range [][3]float64{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}} {
			addECEF(apply([3]float64{s[0] + d[0]*s[3], s[1] + d[1]*s[3], s[2] + d[2]*s[3]}))
		}
	}
}

func identity16() [16]float64 { return [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1} }

// mul16 multiplies column-major 4×4 matrices: a·b.
func mul16(a, b [16]float64) [16]float64 {
	var c [16]float64
	for col := range 4 {
		for row := range 4 {
			for k := range 4 {
				c[col*4+row] += a[k*4+row] * b[col*4+k]
			}
		}
	}
	return c
}
