// Package frontend holds the one-map viewer, built by `make frontend` (Vite) into frontend/dist and
// embedded in the binary. A checkout that has not built it still compiles: dist/ then holds only
// .gitkeep, Built reports false and the server says how to build it.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files is the built viewer: index.html, assets/ (content-hashed names) and cesium/<version>/ (CesiumJS's
// prebuilt Build/Cesium).
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path; fs.Sub fails only on invalid ones
	}
	return sub
}

// Built reports whether fsys holds a built viewer.
func Built(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index.html")
	return err == nil
}
