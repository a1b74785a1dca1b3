package osgb

import (
	"os"
	"testing"
)

// FuzzRead: any input is read or refused with an error, never a panic or a runaway allocation, and
// what is read flattens to meshes and textures without panicking.
func FuzzRead(f *testing.F) {
	b, err := os.ReadFile(sharedFile(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(zlibVariant(f))
	f.Add(b[:200])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read("fuzz.osgb", data)
		if err != nil {
			return
		}
		meshes, _, err := s.Meshes()
		if err != nil {
			return
		}
		for _, m := range meshes {
			if m.Texture != nil && m.Texture.Image != nil {
				m.Texture.Image.Encoded(dir)
			}
		}
	})
}
