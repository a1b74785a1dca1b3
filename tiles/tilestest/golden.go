package tilestest

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// Update rewrites golden files instead of comparing with them: go test ./tiles/... -update
var Update = flag.Bool("update", false, "rewrite the golden tiles")

// Layer is a decoded MVT layer: features by id, in tile coordinates.
type Layer struct {
	Name     string
	Extent   uint32
	Features map[uint64]*geojson.Feature
}

// Decode decodes an MVT (gzipped or not) with orb's decoder, failing on a feature without an id or
// with an id used twice in a layer.
func Decode(t testing.TB, b []byte) map[string]*Layer {
	t.Helper()
	out := map[string]*Layer{}
	if len(b) == 0 {
		return out
	}
	unmarshal := mvt.Unmarshal
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		unmarshal = mvt.UnmarshalGzipped
	}
	ls, err := unmarshal(b)
	if err != nil {
		t.Fatalf("decoding the tile: %v", err)
	}
	for _, l := range ls {
		if _, dup := out[l.Name]; dup {
			t.Fatalf("layer %s appears twice in the tile", l.Name)
		}
		dl := &Layer{Name: l.Name, Extent: l.Extent, Features: map[uint64]*geojson.Feature{}}
		for _, f := range l.Features {
			id, ok := f.ID.(float64)
			if !ok {
				t.Fatalf("layer %s: a feature has no id (properties %v)", l.Name, f.Properties)
			}
			if _, dup := dl.Features[uint64(id)]; dup {
				t.Fatalf("layer %s: feature id %v appears twice", l.Name, id)
			}
			dl.Features[uint64(id)] = f
		}
		out[l.Name] = dl
	}
	return out
}

// golden is the file form: layer name → features sorted by id.
type golden map[string]goldenLayer

type goldenLayer struct {
	Extent   uint32             `json:"extent"`
	Features []*geojson.Feature `json:"features"`
}

// Golden compares a tile feature by feature with testdata/golden/<name>.json (or writes it with -update).
func Golden(t testing.TB, name string, tile []byte) {
	t.Helper()
	got := Decode(t, tile)
	path := filepath.Join("testdata", "golden", name+".json")
	if *Update {
		g := golden{}
		for n, l := range got {
			gl := goldenLayer{Extent: l.Extent}
			for _, id := range sortedIDs(l.Features) {
				gl.Features = append(gl.Features, l.Features[id])
			}
			g[n] = gl
		}
		b, err := json.MarshalIndent(g, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with go test -update)", err)
	}
	var want golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, diff := range compare(want, got) {
		t.Errorf("%s: %s", name, diff)
	}
}

func compare(want golden, got map[string]*Layer) []string {
	var diffs []string
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		wl, inWant := want[n]
		gl, inGot := got[n]
		switch {
		case !inGot:
			diffs = append(diffs, fmt.Sprintf("layer %s is missing", n))
			continue
		case !inWant:
			diffs = append(diffs, fmt.Sprintf("layer %s is unexpected (%d features)", n, len(gl.Features)))
			continue
		}
		if wl.Extent != gl.Extent {
			diffs = append(diffs, fmt.Sprintf("layer %s: extent %d, want %d", n, gl.Extent, wl.Extent))
		}
		seen := map[uint64]bool{}
		for _, wf := range wl.Features {
			id := uint64(wf.ID.(float64))
			seen[id] = true
			gf, ok := gl.Features[id]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("layer %s: feature %d is missing", n, id))
				continue
			}
			if !orb.Equal(wf.Geometry, gf.Geometry) {
				diffs = append(diffs, fmt.Sprintf("layer %s feature %d: geometry %v, want %v", n, id, gf.Geometry, wf.Geometry))
			}
			if !sameProperties(wf.Properties, gf.Properties) {
				diffs = append(diffs, fmt.Sprintf("layer %s feature %d: properties %v, want %v", n, id, gf.Properties, wf.Properties))
			}
		}
		for _, id := range sortedIDs(gl.Features) {
			if !seen[id] {
				diffs = append(diffs, fmt.Sprintf("layer %s: feature %d is unexpected (%v)", n, id, gl.Features[id].Properties))
			}
		}
	}
	return diffs
}

// sameProperties compares property maps with numbers as float64 (as JSON has them).
func sameProperties(a, b geojson.Properties) bool {
	norm := func(p geojson.Properties) map[string]any {
		out := map[string]any{}
		for k, v := range p {
			switch n := v.(type) {
			case int:
				v = float64(n)
			case int64:
				v = float64(n)
			case uint64:
				v = float64(n)
			case float32:
				v = float64(n)
			}
			out[k] = v
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func sortedIDs(m map[uint64]*geojson.Feature) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
