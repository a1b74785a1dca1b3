package cim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/importers/loader"
)

type cjFile struct {
	Type      string `json:"type"`
	Version   string `json:"version"`
	Transform *struct {
		Scale     [3]float64 `json:"scale"`
		Translate [3]float64 `json:"translate"`
	} `json:"transform"`
	Metadata struct {
		// A URL (https://www.opengis.net/def/crs/EPSG/0/7415), a URN (urn:ogc:def:crs:EPSG::7415),
		// "EPSG:7415", a bare code, or an object with authority and code.
		ReferenceSystem json.RawMessage `json:"referenceSystem"`
	} `json:"metadata"`
	CityObjects map[string]*cjObject `json:"CityObjects"`
	Vertices    [][]float64          `json:"vertices"`
	Appearance  *struct {
		Textures []struct {
			Type  string `json:"type"`
			Image string `json:"image"`
		} `json:"textures"`
		VerticesTexture [][2]float64 `json:"vertices-texture"`
	} `json:"appearance"`
	Templates *struct {
		Templates []cjGeometry `json:"templates"`
		Vertices  [][3]float64 `json:"vertices-templates"`
	} `json:"geometry-templates"`
}

type cjObject struct {
	Type       string         `json:"type"`
	Attributes map[string]any `json:"attributes"`
	Geometry   []cjGeometry   `json:"geometry"`
	Parents    []string       `json:"parents"`
	Address    any            `json:"address"`
}

type cjGeometry struct {
	Type       string          `json:"type"`
	LoD        json.RawMessage `json:"lod"`
	Boundaries json.RawMessage `json:"boundaries"`
	Semantics  *struct {
		Surfaces []map[string]any `json:"surfaces"`
		Values   json.RawMessage  `json:"values"`
	} `json:"semantics"`
	Texture              map[string]struct{ Values json.RawMessage } `json:"texture"`
	Template             *int                                        `json:"template"`
	TransformationMatrix []float64                                   `json:"transformationMatrix"`
}

// lod reads "2.2", 2.2 or 2 as the integer LoD 2.
func (g *cjGeometry) lod() (int, string) {
	s := strings.Trim(string(g.LoD), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1, s
	}
	return int(f), s
}

// cjSurface is one polygon of a geometry with its semantic surface index and texture (or -1).
type cjSurface struct {
	rings    [][]int
	semantic int
	tex      [][]int // per ring: texture index then uv indices; nil without texture
}

// flatten lists a geometry's polygons with their semantic and texture values, whatever the
// nesting (MultiSurface, CompositeSurface, Solid, MultiSolid, CompositeSolid).
func flatten(g *cjGeometry, theme string) ([]cjSurface, error) {
	var depth int
	switch g.Type {
	case "MultiSurface", "CompositeSurface":
		depth = 0
	case "Solid":
		depth = 1
	case "MultiSolid", "CompositeSolid":
		depth = 2
	default:
		return nil, nil // points and lines: nothing to draw as surfaces
	}
	var b any
	if err := json.Unmarshal(g.Boundaries, &b); err != nil {
		return nil, err
	}
	var sem, tex any
	if g.Semantics != nil && len(g.Semantics.Values) > 0 {
		_ = json.Unmarshal(g.Semantics.Values, &sem)
	}
	if t, ok := g.Texture[theme]; ok {
		_ = json.Unmarshal(t.Values, &tex)
	}
	var out []cjSurface
	var walk func(b, sem, tex any, d int) error
	walk = func(b, sem, tex any, d int) error {
		arr, ok := b.([]any)
		if !ok {
			return fmt.Errorf("boundaries are not nested arrays")
		}
		if d > 0 {
			for i, x := range arr {
				if err := walk(x, at(sem, i), at(tex, i), d-1); err != nil {
					return err
				}
			}
			return nil
		}
		// arr: surfaces; each a list of rings of vertex indices.
		for i, s := range arr {
			rings, ok := s.([]any)
			if !ok {
				return fmt.Errorf("a surface is not a list of rings")
			}
			cs := cjSurface{semantic: -1}
			if v, ok := at(sem, i).(float64); ok {
				cs.semantic = int(v)
			}
			for _, r := range rings {
				idx, err := ints(r)
				if err != nil {
					return err
				}
				cs.rings = append(cs.rings, idx)
			}
			if tv, ok := at(tex, i).([]any); ok {
				for _, r := range tv {
					if idx, err := ints(r); err == nil && len(idx) > 0 {
						cs.tex = append(cs.tex, idx)
					} else {
						cs.tex = nil
						break
					}
				}
			}
			out = append(out, cs)
		}
		return nil
	}
	return out, walk(b, sem, tex, depth)
}

func at(v any, i int) any {
	if a, ok := v.([]any); ok && i < len(a) {
		return a[i]
	}
	return nil
}

func ints(v any) ([]int, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("a ring is not a list of vertex indices")
	}
	out := make([]int, len(a))
	for i, x := range a {
		f, ok := x.(float64)
		if !ok {
			return nil, fmt.Errorf("vertex index %v is not a number", x)
		}
		out[i] = int(f)
	}
	return out, nil
}

// cjImport is one CityJSON import: a whole file, or a CityJSONSeq read one feature at a time.
type cjImport struct {
	ctx        context.Context
	b          *loader.Batch
	path       string
	opts       Options
	s          *sink
	degenerate int
	textures   map[string]bool // image → stored (false: missing), over every feature
	missing    []string
}

// ImportCityJSON imports a CityJSON 1.1 or 2.0 file: every city object with its highest geometry
// up to the maximum LoD, semantic surfaces of buildings, templates, textures that are present
// (missing ones are reported as a warning). A CityJSON Text Sequence (CityJSONSeq, .city.jsonl: a
// CityJSON header line, then one CityJSONFeature per line with its own vertices) is recognised by
// what follows the first object and streamed one feature at a time, so memory follows the largest
// feature, not the file.
func ImportCityJSON(ctx context.Context, b *loader.Batch, path string, opts Options) error {
	r, closeFile, err := openTracked(b, path)
	if err != nil {
		return err
	}
	defer closeFile()
	ci := &cjImport{ctx: ctx, b: b, path: path, opts: opts, s: newSink(b, path, opts), textures: map[string]bool{}}
	if err := readCityJSON(path, r, b.Warn, ci.objects); err != nil {
		return err
	}
	if err := ci.s.flush(ctx); err != nil {
		return err
	}
	if n := len(ci.missing); n > 0 {
		shown := ci.missing[:min(5, n)]
		b.Warn(fmt.Sprintf("%s: %d of %d textures are missing (%s%s); their surfaces are imported without texture",
			path, n, len(ci.textures), strings.Join(shown, ", "), map[bool]string{true: ", …"}[n > 5]))
	}
	warnDegenerate(b, path, ci.degenerate)
	return refineFootprints(ctx, b)
}

// readCityJSON decodes a CityJSON document, or a CityJSONSeq one line at a time, calling each with
// the document or with every feature (line > 0: its line; the header's transform, metadata and
// templates filled in).
func readCityJSON(path string, r io.Reader, warn func(string), each func(doc *cjFile, line int) error) error {
	dec := json.NewDecoder(r)
	var doc cjFile
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s: not valid CityJSON: %w", path, err)
	}
	if doc.Type != "CityJSON" {
		return fmt.Errorf("%s: type is %q, not CityJSON (a CityJSONSeq starts with a CityJSON header line)", path, doc.Type)
	}
	if !slices.Contains([]string{"1.0", "1.1", "2.0"}, doc.Version) {
		warn(fmt.Sprintf("%s: CityJSON version %q; read as 2.0", path, doc.Version))
	}
	if err := each(&doc, 0); err != nil {
		return err
	}
	for line := 2; dec.More(); line++ {
		feat := cjFile{Transform: doc.Transform, Metadata: doc.Metadata, Templates: doc.Templates}
		if err := dec.Decode(&feat); err != nil {
			return fmt.Errorf("%s line %d: not a CityJSONFeature: %w", path, line, err)
		}
		if feat.Type != "CityJSONFeature" {
			return fmt.Errorf("%s line %d: type is %q; a CityJSONSeq has one CityJSONFeature per line after its header", path, line, feat.Type)
		}
		if err := each(&feat, line); err != nil {
			return err
		}
	}
	return nil
}

// objects imports the city objects of a CityJSON document or of one CityJSONFeature (line > 0: its
// line in the sequence).
func (ci *cjImport) objects(doc *cjFile, line int) error {
	vert := func(i int) ([3]float64, error) {
		if i < 0 || i >= len(doc.Vertices) || len(doc.Vertices[i]) < 3 {
			return [3]float64{}, fmt.Errorf("vertex %d does not exist (%d vertices)", i, len(doc.Vertices))
		}
		v := doc.Vertices[i]
		p := [3]float64{v[0], v[1], v[2]}
		if t := doc.Transform; t != nil {
			for k := range 3 {
				p[k] = p[k]*t.Scale[k] + t.Translate[k]
			}
		}
		return p, nil
	}
	textures, err := ci.loadTextures(doc)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(doc.CityObjects))
	for id := range doc.CityObjects {
		ids = append(ids, id)
	}
	slices.Sort(ids) // deterministic order
	for n, id := range ids {
		co := doc.CityObjects[id]
		at := n + 1 // the object's place in the file, or its feature's line
		if line > 0 {
			at = line
		}
		o := &cityObject{id: id, class: co.Type, attrs: map[string]any{}, lod: -1, srs: referenceSystem(doc.Metadata.ReferenceSystem), line: at}
		if len(co.Parents) > 0 && co.Type == "BuildingPart" {
			o.parent = co.Parents[0]
		}
		for k, v := range co.Attributes {
			switch k {
			case "function":
				o.function = fmt.Sprint(v)
			case "usage":
				o.usage = fmt.Sprint(v)
			case "roofType":
				o.roofType = fmt.Sprint(v)
			case "measuredHeight":
				if f, ok := v.(float64); ok {
					o.height = &f
				}
			case "storeysAboveGround":
				if f, ok := v.(float64); ok {
					i := int(f)
					o.storeysAbove = &i
				}
			case "storeysBelowGround":
				if f, ok := v.(float64); ok {
					i := int(f)
					o.storeysBelow = &i
				}
			case "yearOfConstruction":
				if f, ok := v.(float64); ok {
					i := int(f)
					o.year = &i
				}
			case "name":
				o.name = fmt.Sprint(v)
			default:
				o.attrs[k] = v
			}
		}
		addr := co.Address
		if a, ok := o.attrs["address"]; ok && addr == nil { // CityJSON 1.0 kept it among the attributes
			addr = a
			delete(o.attrs, "address")
		}
		if addr != nil {
			o.address, o.attrs["addresses"] = cjAddresses(addr)
			if o.attrs["addresses"] == nil {
				delete(o.attrs, "addresses")
			}
		}
		// The highest geometry up to the maximum LoD.
		var best *cjGeometry
		bestLoD := -1
		for i := range co.Geometry {
			g := &co.Geometry[i]
			geo := g
			if g.Type == "GeometryInstance" && g.Template != nil && doc.Templates != nil && *g.Template < len(doc.Templates.Templates) {
				geo = &doc.Templates.Templates[*g.Template]
			}
			if l, _ := geo.lod(); l <= ci.opts.maxLoD() && l > bestLoD {
				best, bestLoD = g, l
			}
		}
		if best != nil {
			o.lod = bestLoD
			if _, s := best.lod(); s != "" {
				o.attrs["lod"] = s
			}
			if err := cjGeometryInto(o, best, doc, vert, textures, ci.opts, &ci.degenerate); err != nil {
				r := loader.Rejection{File: ci.path, Record: n + 1, Feature: id, Class: co.Type, Reason: err.Error()}
				if line > 0 {
					r.Line, r.Record = line, 0
				}
				ci.b.Reject(r)
				continue
			}
		}
		if !o.isBuilding() && len(o.polys) == 0 {
			continue
		}
		if err := ci.s.add(ci.ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// cjGeometryInto turns a geometry into the object's polygons and semantic surfaces.
func cjGeometryInto(o *cityObject, g *cjGeometry, doc *cjFile, vert func(int) ([3]float64, error), textures map[int]string, opts Options, degenerate *int) error {
	geo := g
	var xf func(p [3]float64) [3]float64
	if g.Type == "GeometryInstance" {
		if g.Template == nil || doc.Templates == nil || *g.Template >= len(doc.Templates.Templates) {
			return fmt.Errorf("geometry instance of a template that does not exist")
		}
		geo = &doc.Templates.Templates[*g.Template]
		var ref []int
		if err := json.Unmarshal(g.Boundaries, &ref); err != nil || len(ref) != 1 {
			return fmt.Errorf("geometry instance without its reference point")
		}
		origin, err := vert(ref[0])
		if err != nil {
			return err
		}
		m := g.TransformationMatrix
		if len(m) != 16 {
			m = []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
		}
		xf = func(p [3]float64) [3]float64 { // row-major 4x4
			return [3]float64{
				m[0]*p[0] + m[1]*p[1] + m[2]*p[2] + m[3] + origin[0],
				m[4]*p[0] + m[5]*p[1] + m[6]*p[2] + m[7] + origin[1],
				m[8]*p[0] + m[9]*p[1] + m[10]*p[2] + m[11] + origin[2],
			}
		}
		tv := doc.Templates.Vertices
		vert = func(i int) ([3]float64, error) {
			if i < 0 || i >= len(tv) {
				return [3]float64{}, fmt.Errorf("template vertex %d does not exist", i)
			}
			return xf(tv[i]), nil
		}
	}
	theme := ""
	for t := range g.Texture {
		if theme == "" || t < theme {
			theme = t
		}
	}
	surfs, err := flatten(geo, theme)
	if err != nil {
		return err
	}
	groups := map[int]*surface{}
	uvs := map[int][]any{}
	texOf := map[int]string{}
	var order []int
	for k, cs := range surfs {
		p := polygon{id: fmt.Sprintf("%s/%d", o.id, k)}
		for _, r := range cs.rings {
			ring := make([][3]float64, 0, len(r)+1)
			for _, vi := range r {
				v, err := vert(vi)
				if err != nil {
					return err
				}
				ring = append(ring, v)
			}
			if len(ring) > 0 {
				ring = append(ring, ring[0]) // CityJSON rings are open
			}
			p.rings = append(p.rings, ring)
		}
		if len(p.rings) == 0 {
			continue
		}
		if err := p.check(opts.tolerance()); errors.Is(err, errDegenerate) {
			*degenerate++
			continue
		} else if err != nil {
			return fmt.Errorf("surface %d: %v", k, err)
		}
		if cs.semantic < 0 || geo.Semantics == nil || cs.semantic >= len(geo.Semantics.Surfaces) || !o.isBuilding() {
			o.polys = append(o.polys, p)
			continue
		}
		grp, ok := groups[cs.semantic]
		if !ok {
			sem := geo.Semantics.Surfaces[cs.semantic]
			kind, _ := sem["type"].(string)
			grp = &surface{kind: kind, lod: o.lod}
			groups[cs.semantic] = grp
			order = append(order, cs.semantic)
		}
		grp.polys = append(grp.polys, p)
		// Texture coordinates per polygon of the group (nil for an untextured one), one image per surface.
		uri, uv := textureOf(cs, textures, doc)
		uvs[cs.semantic] = append(uvs[cs.semantic], nil)
		if uri != "" && (texOf[cs.semantic] == "" || texOf[cs.semantic] == uri) {
			texOf[cs.semantic] = uri
			uvs[cs.semantic][len(uvs[cs.semantic])-1] = uv
		}
	}
	for i, uri := range texOf {
		groups[i].appearance = map[string]any{"texture": uri, "theme": theme, "uv": uvs[i]}
	}
	for _, i := range order {
		o.surfaces = append(o.surfaces, *groups[i])
	}
	return nil
}

// textureOf returns the texture image and per-ring uv coordinates of a polygon, when its texture is
// present.
func textureOf(cs cjSurface, textures map[int]string, doc *cjFile) (string, [][][2]float64) {
	if cs.tex == nil || doc.Appearance == nil {
		return "", nil
	}
	ti := cs.tex[0][0]
	uri, ok := textures[ti]
	if !ok {
		return "", nil
	}
	var uv [][][2]float64
	for _, r := range cs.tex {
		if r[0] != ti {
			return "", nil
		}
		var ring [][2]float64
		for _, i := range r[1:] {
			if i < 0 || i >= len(doc.Appearance.VerticesTexture) {
				return "", nil
			}
			ring = append(ring, doc.Appearance.VerticesTexture[i])
		}
		uv = append(uv, ring)
	}
	return uri, uv
}

// loadTextures stores the texture images of a document that exist next to the file in cim.texture
// (each image once, whichever feature of a sequence names it first) and returns the document's
// texture index → uri; missing images are collected for the warning, not fatal.
func (ci *cjImport) loadTextures(doc *cjFile) (map[int]string, error) {
	out := map[int]string{}
	if doc.Appearance == nil {
		return out, nil
	}
	w := ci.b.Table("texture", pgx.Identifier{"cim", "texture"}, []string{"uri", "mime_type", "data"})
	for i, t := range doc.Appearance.Textures {
		stored, seen := ci.textures[t.Image]
		if !seen {
			var err error
			if stored, err = storeTexture(w, ci.path, t.Type, t.Image); err != nil {
				return nil, err
			}
			ci.textures[t.Image] = stored
			if !stored {
				ci.missing = append(ci.missing, t.Image)
			}
		}
		if stored {
			out[i] = t.Image
		}
	}
	return out, nil
}

// storeTexture copies an image beside the file into cim.texture; false when it is not there.
func storeTexture(w *loader.TableWriter, path, typ, image string) (bool, error) {
	mime := "image/jpeg"
	if strings.EqualFold(typ, "PNG") || strings.HasSuffix(strings.ToLower(image), ".png") {
		mime = "image/png"
	}
	f, err := os.Open(filepath.Join(filepath.Dir(path), filepath.FromSlash(image)))
	if err != nil {
		return false, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	f.Close()
	if err != nil {
		return false, err
	}
	return true, w.Add(image, mime, data)
}

// referenceSystem turns metadata.referenceSystem, in any of its forms, into a string srsCode reads.
func referenceSystem(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return "EPSG:" + strconv.Itoa(int(x))
	case map[string]any:
		code := fmt.Sprint(x["code"])
		if auth, _ := x["authority"].(string); x["code"] != nil && (auth == "" || strings.EqualFold(auth, "EPSG")) {
			return "EPSG:" + strings.TrimSuffix(code, ".0")
		}
	}
	return string(raw)
}

// cjAddresses reads a CityJSON address (an array of objects, or one object) into one line per
// address, joined by "; ", and its parts. The keys follow xAL (ThoroughfareName, ThoroughfareNumber,
// LocalityName or Locality, PostalCode or Postcode, AdministrativeArea, CountryName or Country);
// location (the address's point) is no part of the text, and other keys are kept as they are.
func cjAddresses(v any) (string, any) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var lines []string
	var parts []map[string]any
	for _, a := range list {
		m, ok := a.(map[string]any)
		if !ok {
			if s := strings.TrimSpace(fmt.Sprint(a)); s != "" && a != nil {
				lines = append(lines, s)
			}
			continue
		}
		p := map[string]any{}
		str := func(keys ...string) string {
			for _, k := range keys {
				if x, ok := m[k]; ok && x != nil {
					if s := strings.TrimSpace(fmt.Sprint(x)); s != "" {
						return s
					}
				}
			}
			return ""
		}
		named := map[string][]string{
			"street":      {"ThoroughfareName", "thoroughfareName", "street"},
			"number":      {"ThoroughfareNumber", "thoroughfareNumber", "number"},
			"locality":    {"LocalityName", "Locality", "locality", "city"},
			"postal_code": {"PostalCode", "Postcode", "PostalCodeNumber", "postalCode", "postcode"},
			"area":        {"AdministrativeArea", "AdministrativeAreaName", "administrativeArea"},
			"country":     {"CountryName", "Country", "country"},
		}
		known := map[string]bool{"location": true}
		for part, keys := range named {
			if s := str(keys...); s != "" {
				p[part] = s
			}
			for _, k := range keys {
				known[k] = true
			}
		}
		for k, x := range m {
			if !known[k] {
				p[k] = x
			}
		}
		text := joinNonEmpty(", ",
			joinNonEmpty(" ", str(named["street"]...), str(named["number"]...)),
			joinNonEmpty(" ", str(named["postal_code"]...), str(named["locality"]...)),
			str(named["area"]...), str(named["country"]...))
		if text != "" {
			lines = append(lines, text)
		}
		if len(p) > 0 {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return strings.Join(lines, "; "), nil
	}
	return strings.Join(lines, "; "), parts
}
