package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/yitu-gis/yitu/tiles"
)

// FuzzTilePath: any path parameters either parse into a tile inside the grid and a list of distinct,
// non-empty layers, or give an error naming the parameter; never a panic.
func FuzzTilePath(f *testing.F) {
	for _, s := range [][4]string{
		{"basemap.building,pipeline.segment", "16", "54602", "25467"},
		{"basemap.road", "0", "0", "0"}, {",", "-1", "x", "1e3"}, {"a,a", "24", "16777215", "16777216"},
		{"basemap.road", "99999999999999999999", "0", "0"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, layers, zs, xs, ys string) {
		for _, g := range tiles.Grids() {
			tile, err := parseTile(g, zs, xs, ys)
			if err == nil {
				if _, err := g.Check(tile); err != nil {
					t.Fatalf("parsed %v outside %s: %v", tile, g.ID, err)
				}
				if strconv.Itoa(tile.Z) != strings.TrimLeft(zs, "+0") && tile.Z != 0 {
					// leading zeros and + are accepted by Atoi; anything else must round-trip
					if _, e := strconv.Atoi(zs); e != nil {
						t.Fatalf("z %q parsed as %d", zs, tile.Z)
					}
				}
			} else if !strings.Contains(err.Error(), ":") {
				t.Fatalf("error without the parameter: %v", err)
			}
		}
		ls, err := parseLayers("layers", layers)
		if err == nil {
			seen := map[string]bool{}
			for _, l := range ls {
				if l == "" || seen[l] {
					t.Fatalf("layers %q parsed to %q", layers, ls)
				}
				seen[l] = true
			}
		}
	})
}
