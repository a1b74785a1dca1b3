package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// viewerPrefix is where the one-map viewer lives; the Vite build's base path is the same.
const viewerPrefix = "/map/"

// registerViewer serves the built viewer (Deps.Viewer) under /map/ and sends browsers that open the
// server's root there, and /cockpit to the cockpit page. Hashed assets and the versioned CesiumJS files are cached for a year; the
// page itself is revalidated (ETag) on every load, so a new binary's viewer is picked up at once.
func (s *Server) registerViewer() {
	if s.deps.Viewer == nil {
		return
	}
	v := &viewer{fsys: s.deps.Viewer, files: map[string]*viewerFile{}}
	s.app.Get("/", func(c *fiber.Ctx) error {
		// A person's browser gets the map; API clients (Accept: application/json, ?f=json) fall through
		// to whatever else answers the root.
		if c.Query("f") == "" && c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) == fiber.MIMETextHTML {
			return c.Redirect(viewerPrefix, fiber.StatusFound)
		}
		return c.Next()
	})
	// The cockpit (数字驾驶舱) is a view of the viewer, loaded on demand.
	s.app.Get("/cockpit", func(c *fiber.Ctx) error { return c.Redirect(viewerPrefix+"?view=cockpit", fiber.StatusFound) })
	s.app.Get(viewerPrefix+"*", v.serve)
}

// viewer serves files from the embedded build, each read, hashed and (where it pays) gzipped once, on
// its first request.
type viewer struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string]*viewerFile
}

type viewerFile struct {
	once        sync.Once
	err         error
	body, gz    []byte
	etag, ctype string
	immutable   bool
}

func (v *viewer) serve(c *fiber.Ctx) error {
	name := c.Params("*")
	if name == "" {
		if !strings.HasSuffix(c.Path(), "/") {
			return c.Redirect(viewerPrefix, fiber.StatusMovedPermanently)
		}
		name = "index.html"
	}
	if !fs.ValidPath(name) {
		return problemf(fiber.StatusNotFound, "", "no such file in the viewer: "+name)
	}
	f, err := v.file(name)
	if errors.Is(err, fs.ErrNotExist) {
		if name == "index.html" {
			return problemf(fiber.StatusServiceUnavailable, "", "this binary was built without the viewer; build it with `make build` (or `make frontend` before `go build`)")
		}
		return problemf(fiber.StatusNotFound, "", "no such file in the viewer: "+name)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, f.etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if f.immutable {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if name == "index.html" {
		c.Set(fiber.HeaderContentSecurityPolicy, viewerCSP)
		c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	}
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), f.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	if f.gz != nil && acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(f.gz)
	}
	return c.Send(f.body)
}

// viewerCSP keeps the page on its own origin: no CDN, font or tile server elsewhere can be reached, as
// the viewer promises (a violation shows in the console, which the browser test watches). CesiumJS
// compiles shaders with new Function and instantiates wasm (Draco, Basis), hence the eval allowances;
// its prebuilt Cesium.js embeds its workers and starts each as a blob: worker that importScripts the
// embedded code from another blob: URL, hence blob: for scripts (only the page's own code makes them).
const viewerCSP = "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval' blob:; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
	"connect-src 'self' data: blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

func (v *viewer) file(name string) (*viewerFile, error) {
	v.mu.Lock()
	f, ok := v.files[name]
	if !ok {
		// Only names of files the build has get an entry: a client asking for endless made-up
		// names must not grow the cache.
		if fi, err := fs.Stat(v.fsys, name); err != nil || fi.IsDir() {
			v.mu.Unlock()
			return nil, fs.ErrNotExist
		}
		f = &viewerFile{}
		v.files[name] = f
	}
	v.mu.Unlock()
	f.once.Do(func() { f.err = f.load(v.fsys, name) })
	return f, f.err
}

func (f *viewerFile) load(fsys fs.FS, name string) error {
	if fi, err := fs.Stat(fsys, name); err != nil {
		return err
	} else if fi.IsDir() {
		return fs.ErrNotExist
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	f.body = body
	f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	f.ctype = contentType(name)
	// assets/ has content-hashed names; cesium/<version>/ changes only with the version in its path.
	f.immutable = strings.HasPrefix(name, "assets/") || strings.HasPrefix(name, "cesium/")
	// The build gzips text files beside them (name.gz); others are gzipped here, once.
	if gz, err := fs.ReadFile(fsys, name+".gz"); err == nil {
		f.gz = gz
	} else if compressible(f.ctype) && len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body)*9/10 {
			f.gz = buf.Bytes()
		}
	}
	return nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".wasm":
		return "application/wasm"
	case ".ktx2":
		return "image/ktx2"
	case ".glb":
		return "model/gltf-binary"
	case ".gltf":
		return "model/gltf+json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/json", "application/javascript", "application/wasm", "application/xml", "image/svg+xml", "model/gltf+json"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}
