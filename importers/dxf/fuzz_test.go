package dxf

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/yitu-gis/yitu/internal/shareddata"
)

// FuzzReader feeds arbitrary bytes to the reader: it must return entities or an error, never panic
// or loop, and every geometry it returns must be well formed.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(shareddata.Dir(f), "dxf", "*.dxf"))
	own, _ := filepath.Glob("testdata/*.dxf")
	for _, p := range append(files, own...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 {
			b = b[:64<<10]
		}
		f.Add(b)
	}
	f.Add([]byte("0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nJMD\n70\n1\n10\n0\n20\n0\n42\n1\n10\n1\n20\n0\n0\nENDSEC\n0\nEOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []InsertMode{ExpandInserts, SymbolInserts} {
			r, err := NewReader(bytes.NewReader(data), Options{Name: "fuzz.dxf", Inserts: mode})
			if err != nil {
				return
			}
			for n := 0; ; n++ {
				e, err := r.Next()
				if err == io.EOF || err != nil {
					break
				}
				g := &e.Geom
				if len(g.Coords)%3 != 0 || len(g.Coords) == 0 {
					t.Fatalf("entity %s at line %d: %d coordinates", e.Type, e.Line, len(g.Coords))
				}
				for _, end := range g.Ends {
					if end > len(g.Coords) || end%3 != 0 {
						t.Fatalf("ring end %d beyond %d coordinates", end, len(g.Coords))
					}
				}
				if n > 1<<22 {
					t.Fatal("too many entities")
				}
			}
		}
	})
}
