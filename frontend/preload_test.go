package frontend_test

import (
	"net/url"
	"os"
	"regexp"
	"testing"

	"github.com/yitu-gis/yitu/tiles"
)

// TestGlyphPreload: the glyph range index.html preloads is one the one-map style asks for (its label
// font's 0-255), so the preload is used rather than fetched twice.
func TestGlyphPreload(t *testing.T) {
	b, err := os.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`<link rel="preload" href="(/fonts/[^"]+)"`).FindAllStringSubmatch(string(b), -1)
	want := "/fonts/" + url.PathEscape(tiles.StyleFont[0]) + "/0-255.pbf"
	if len(got) != 1 || got[0][1] != want {
		t.Errorf("index.html preloads glyphs %q, want one preload of %s", got, want)
	}
}
