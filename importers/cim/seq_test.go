package cim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/importers"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// toSeq rewrites a CityJSON file as a CityJSON Text Sequence, as `cjio export jsonl` does: a header
// line (transform, metadata, templates; no objects, no vertices), then one CityJSONFeature per
// top-level object with its children and only the vertices and texture coordinates they use,
// renumbered from 0. It returns the number of features.
func toSeq(t *testing.T, src, dst string) int {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	objs := doc["CityObjects"].(map[string]any)
	verts := doc["vertices"].([]any)
	app, _ := doc["appearance"].(map[string]any)
	header := map[string]any{"type": "CityJSON", "version": doc["version"], "transform": doc["transform"],
		"CityObjects": map[string]any{}, "vertices": []any{}}
	for _, k := range []string{"metadata", "geometry-templates"} {
		if v, ok := doc[k]; ok {
			header[k] = v
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w) // one value per line
	if err := enc.Encode(header); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(objs))
	for id := range objs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	features := 0
	for _, id := range ids {
		if p, _ := objs[id].(map[string]any)["parents"].([]any); len(p) > 0 {
			continue
		}
		members := map[string]any{}
		var collect func(id string)
		collect = func(id string) {
			members[id] = objs[id]
			kids, _ := objs[id].(map[string]any)["children"].([]any)
			for _, k := range kids {
				collect(k.(string))
			}
		}
		collect(id)
		var fv, fuv []any
		vmap, uvmap := map[int]int{}, map[int]int{}
		renumber := func(i int, m map[int]int, from []any, to *[]any) int {
			if j, ok := m[i]; ok {
				return j
			}
			m[i] = len(*to)
			*to = append(*to, from[i])
			return m[i]
		}
		var bounds func(v any) any
		bounds = func(v any) any {
			switch v := v.(type) {
			case []any:
				for i := range v {
					v[i] = bounds(v[i])
				}
			case float64:
				return float64(renumber(int(v), vmap, verts, &fv))
			}
			return v
		}
		var texVals func(v any) any // rings are [texture index, uv index, …]; [null] is untextured
		texVals = func(v any) any {
			a, ok := v.([]any)
			if !ok || len(a) == 0 {
				return v
			}
			if _, ring := a[0].(float64); ring {
				for i := 1; i < len(a); i++ {
					a[i] = float64(renumber(int(a[i].(float64)), uvmap, app["vertices-texture"].([]any), &fuv))
				}
				return a
			}
			for i := range a {
				a[i] = texVals(a[i])
			}
			return a
		}
		for _, o := range members {
			geoms, _ := o.(map[string]any)["geometry"].([]any)
			for _, g := range geoms {
				g := g.(map[string]any)
				g["boundaries"] = bounds(g["boundaries"])
				if tex, ok := g["texture"].(map[string]any); ok {
					for _, th := range tex {
						th := th.(map[string]any)
						th["values"] = texVals(th["values"])
					}
				}
			}
		}
		feat := map[string]any{"type": "CityJSONFeature", "id": id, "CityObjects": members, "vertices": fv}
		if app != nil {
			feat["appearance"] = map[string]any{"textures": app["textures"], "vertices-texture": fuv}
		}
		if err := enc.Encode(feat); err != nil {
			t.Fatal(err)
		}
		features++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return features
}

func importRun(t *testing.T, pool *pgxpool.Pool, req importers.Request) *loader.Report {
	t.Helper()
	req.Actor = "test"
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import %s: %v", req.Path, res[0].Err)
	}
	return res[0].Report
}

// A CityJSONSeq made from each CityJSON file of the shared data imports (recognised by content) to
// the same buildings, surfaces, other objects and textures, with the same geometry, as the file.
func TestImportCityJSONSeq(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, c := range []struct {
		file, srs string
		features  int
	}{
		{"cityjson/delft.json", "", 570},
		{"cityjson/rotterdam/rotterdam_subset.json", "EPSG:7415", 16},
	} {
		src := shareddata.Path(t, c.file)
		dir := t.TempDir()
		seq := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".json")+".city.jsonl")
		if n := toSeq(t, src, seq); n != c.features {
			t.Fatalf("%s: %d features, want %d", c.file, n, c.features)
		}
		if app := filepath.Join(filepath.Dir(src), "appearances"); isDir(app) {
			if err := os.Symlink(app, filepath.Join(dir, "appearances")); err != nil {
				t.Fatal(err)
			}
		}
		whole := importRun(t, pool, importers.Request{Path: src, SRS: c.srs, Dataset: "whole-" + filepath.Base(src)})
		streamed := importRun(t, pool, importers.Request{Path: seq, SRS: c.srs, Dataset: "seq-" + filepath.Base(src)})
		if whole.Format != "cityjson" || streamed.Format != "cityjsonseq" {
			t.Errorf("%s: formats %q and %q, want cityjson and cityjsonseq", c.file, whole.Format, streamed.Format)
		}
		if whole.SourceCRS != streamed.SourceCRS || !slices.Equal(whole.Warnings, warningsOf(streamed, seq, src)) {
			t.Errorf("%s: CRS %q / %q, warnings %q / %q", c.file, whole.SourceCRS, streamed.SourceCRS, whole.Warnings, streamed.Warnings)
		}
		var w, s [5]int
		for i, ds := range []int64{whole.DatasetID, streamed.DatasetID} {
			out := []*[5]int{&w, &s}[i]
			err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cim.building WHERE dataset_id = $1),
				(SELECT count(*) FROM cim.surface WHERE dataset_id = $1), (SELECT count(*) FROM cim.city_object WHERE dataset_id = $1),
				(SELECT count(*) FROM cim.texture WHERE dataset_id = $1),
				(SELECT count(*) FROM cim.surface WHERE dataset_id = $1 AND appearance ? 'texture')`, ds).
				Scan(&out[0], &out[1], &out[2], &out[3], &out[4])
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: file %v, sequence %v (buildings, surfaces, other objects, textures, textured surfaces)", c.file, w, s)
		if w != s || w[0]+w[2] == 0 {
			t.Errorf("%s: the file gives %v, its sequence %v (buildings, surfaces, others, textures, textured surfaces)", c.file, w, s)
		}
		var differ int
		err := pool.QueryRow(ctx, `
			SELECT count(*) FROM (SELECT gml_id, geom FROM cim.building WHERE dataset_id = $1 UNION ALL
			                      SELECT gml_id, geom FROM cim.city_object WHERE dataset_id = $1) a
			FULL JOIN (SELECT gml_id, geom FROM cim.building WHERE dataset_id = $2 UNION ALL
			           SELECT gml_id, geom FROM cim.city_object WHERE dataset_id = $2) b USING (gml_id)
			WHERE ST_AsEWKB(a.geom) IS DISTINCT FROM ST_AsEWKB(b.geom)`, whole.DatasetID, streamed.DatasetID).Scan(&differ)
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 {
			t.Errorf("%s: %d objects differ between the file and its sequence", c.file, differ)
		}
	}
}

// warningsOf names the original file in a sequence's warnings, to compare them.
func warningsOf(r *loader.Report, seq, src string) []string {
	var out []string
	for _, w := range r.Warnings {
		out = append(out, strings.ReplaceAll(w, seq, src))
	}
	return out
}

// A sequence line that is no CityJSONFeature is refused naming its line.
func TestCityJSONSeqBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.city.jsonl")
	doc := `{"type":"CityJSON","version":"2.0","transform":{"scale":[1,1,1],"translate":[0,0,0]},"metadata":{"referenceSystem":"https://www.opengis.net/def/crs/EPSG/0/4528"},"CityObjects":{},"vertices":[]}
{"type":"CityJSONFeature","id":"a","CityObjects":{"a":{"type":"Building","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2,3]]]}]}},"vertices":[[40500000,4115000,0],[40500010,4115000,0],[40500010,4115010,0],[40500000,4115010,0]]}
{"type":"Feature","geometry":null}
`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	res, err := importers.Run(context.Background(), loader.New(pool, nil), importers.Formats(), importers.Request{Path: path, Actor: "test"}, nil)
	if err != nil || len(res) != 1 {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), path+" line 3") || !strings.Contains(res[0].Err.Error(), "CityJSONFeature") {
		t.Errorf("err = %v", res[0].Err)
	}
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM cim.building`).Scan(&n)
	if n != 0 {
		t.Errorf("%d buildings written by a refused import", n)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
