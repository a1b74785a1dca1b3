package server

import (
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/tiles"
	"github.com/yitu-gis/yitu/tiles/tilestest"
)

// node runs tiles/testdata/js/check.mjs (installed by make setup: npm ci there) on a file.
func node(t *testing.T, mode string, content []byte) []byte {
	t.Helper()
	dir, err := filepath.Abs("../tiles/testdata/js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		t.Fatalf("%s has no node_modules: run make setup (npm ci there)", dir)
	}
	f := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(f, content, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(dir, "check.mjs"), mode, f).CombinedOutput()
	if err != nil {
		t.Fatalf("node check.mjs %s: %v\n%s", mode, err, out)
	}
	return out
}

// collectStrings gathers every string under key in a JSON value (icon-image and text-font values,
// including the outputs of match expressions).
func collectStrings(v any, key string, in bool, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			collectStrings(c, key, in || k == key, out)
		}
	case []any:
		for _, c := range x {
			collectStrings(c, key, in, out)
		}
	case string:
		if in {
			out[x] = true
		}
	}
}

// TestStyle: the one-map style passes MapLibre's validator, and every font, glyph range and icon it
// names is served.
func TestStyle(t *testing.T) {
	s, _, _ := tileServer(t, tiles.Config{})
	resp := get(t, s, "/styles/onemap.json")
	b := body(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("style: %d %s", resp.StatusCode, b)
	}
	if errs := strings.TrimSpace(string(node(t, "style", b))); errs != "[]" {
		t.Fatalf("MapLibre's validator rejects the style: %s", errs)
	}
	var st struct {
		Glyphs, Sprite string
		Sources        map[string]struct{ URL string }
		Layers         []map[string]any
		Metadata       map[string]any
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	src := st.Sources["onemap"].URL
	if !strings.Contains(src, "/tiles/basemap.building,") || !strings.Contains(src, "pipeline.segment") || !strings.HasSuffix(src, ".json") {
		t.Errorf("source url %q", src)
	}
	// The pipeline colours come from pipeline.type (CJJ 61): gas is magenta, water supply blue.
	raw := string(b)
	for _, want := range []string{`"RQ","#ff00ff"`, `"JS","#00bfff"`, `"text-font":["Noto Sans CJK SC Regular"]`} {
		if !strings.Contains(raw, want) {
			t.Errorf("style lacks %s", want)
		}
	}
	// Every font stack has glyphs, CJK included.
	fonts := map[string]bool{}
	collectStrings(map[string]any{"layers": st.Layers}, "text-font", false, fonts)
	for f := range fonts {
		for _, rng := range []string{"0-255", "20992-21247"} { // ASCII; 区 and its neighbours
			path := strings.NewReplacer("{fontstack}", url.PathEscape(f), "{range}", rng).Replace(st.Glyphs)
			path = path[strings.Index(path, "/fonts/"):]
			if r := get(t, s, path); r.StatusCode != 200 || len(body(t, r)) < 1000 {
				t.Errorf("%s: status %d", path, r.StatusCode)
			}
		}
	}
	// Every icon the style uses is in the sprite, at both pixel ratios.
	icons := map[string]bool{}
	collectStrings(map[string]any{"layers": st.Layers}, "icon-image", false, icons)
	delete(icons, "match")
	delete(icons, "get")
	delete(icons, "appendage")
	for _, suffix := range []string{"", "@2x"} {
		base := st.Sprite[strings.Index(st.Sprite, "/sprites/"):] + suffix
		var index map[string]struct {
			Width, Height, X, Y, PixelRatio int
			SDF                             bool
		}
		if err := json.Unmarshal(body(t, get(t, s, base+".json")), &index); err != nil {
			t.Fatal(err)
		}
		pr := get(t, s, base+".png")
		img, err := png.Decode(pr.Body)
		if err != nil {
			t.Fatalf("%s.png: %v", base, err)
		}
		for icon := range icons {
			e, ok := index[icon]
			if !ok {
				t.Errorf("icon %q is not in %s.json", icon, base)
				continue
			}
			if e.X+e.Width > img.Bounds().Dx() || e.Y+e.Height > img.Bounds().Dy() || !e.SDF || (suffix == "@2x") != (e.PixelRatio == 2) {
				t.Errorf("%s %s: %+v outside the %v image", base, icon, e, img.Bounds())
			}
		}
	}
}

// TestMapboxDecoderReadsTile: @mapbox/vector-tile (what MapLibre uses) reads the served tile and sees
// the same layers, ids and properties as orb's decoder.
func TestMapboxDecoderReadsTile(t *testing.T) {
	s, _, _ := tileServer(t, tiles.Config{})
	tl := fixtureTile(tiles.WebMercatorQuad, 16)
	b := body(t, get(t, s, fmt.Sprintf("/tiles/basemap.building,basemap.road,pipeline.point,basemap.annotation/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)))
	var js map[string]struct {
		Extent   int
		Features []struct {
			ID         uint64
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(node(t, "tile", b), &js); err != nil {
		t.Fatal(err)
	}
	orb := tilestest.Decode(t, b)
	if len(js) != len(orb) || len(js) != 4 {
		t.Fatalf("layers: %d by @mapbox/vector-tile, %d by orb", len(js), len(orb))
	}
	for name, l := range js {
		ol := orb[name]
		if ol == nil || len(ol.Features) != len(l.Features) || int(ol.Extent) != l.Extent {
			t.Errorf("%s: %d features, orb %v", name, len(l.Features), ol)
			continue
		}
		for _, f := range l.Features {
			of := ol.Features[f.ID]
			if of == nil || of.Geometry.GeoJSONType() != f.Type {
				t.Errorf("%s feature %d: %s, orb %v", name, f.ID, f.Type, of)
				continue
			}
			for k, v := range f.Properties {
				if fmt.Sprint(of.Properties[k]) != fmt.Sprint(v) {
					t.Errorf("%s feature %d: %s = %v, orb %v", name, f.ID, k, v, of.Properties[k])
				}
			}
		}
	}
	if js["basemap.annotation"].Features[0].Properties["text"] != "莱州市政府" {
		t.Errorf("annotation text %v", js["basemap.annotation"].Features[0].Properties)
	}
}
