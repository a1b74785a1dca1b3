package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestViewerServing(t *testing.T) {
	js := strings.Repeat("console.log('一图');\n", 200)
	var pre bytes.Buffer // what the build wrote beside assets/pre.js
	zw := gzip.NewWriter(&pre)
	zw.Write([]byte(js))
	zw.Close()
	s := New(Config{}, Deps{Viewer: fstest.MapFS{
		"assets/pre.js":                {Data: []byte(js)},
		"assets/pre.js.gz":             {Data: pre.Bytes()},
		"index.html":                   {Data: []byte("<!doctype html><title>一图</title>")},
		"assets/index-abc123.js":       {Data: []byte(js)},
		"cesium/1.0.0/Cesium.js":       {Data: []byte(js)},
		"cesium/1.0.0/Assets/a.png":    {Data: []byte("\x89PNG")},
		"cesium/1.0.0/Workers/w.wasm":  {Data: []byte("\x00asm")},
		"cesium/1.0.0/Widgets/w.css":   {Data: []byte("a{}")},
		"cesium/1.0.0/ThirdParty/x.js": {Data: []byte("x")},
	}})
	get := func(path string, header ...string) (int, map[string]string, string) {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := s.App().Test(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		h := map[string]string{}
		for k := range resp.Header {
			h[k] = resp.Header.Get(k)
		}
		return resp.StatusCode, h, string(b)
	}

	code, h, _ := get("/", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if code != 302 || h["Location"] != "/map/" {
		t.Errorf("GET / from a browser = %d to %q, want 302 to /map/", code, h["Location"])
	}
	if code, _, _ := get("/", "Accept", "application/json"); code != 404 {
		t.Errorf("GET / as JSON = %d, want it left to other handlers (404 here)", code)
	}

	code, h, body := get("/map/")
	if code != 200 || !strings.Contains(body, "一图") || !strings.HasPrefix(h["Content-Type"], "text/html") {
		t.Fatalf("GET /map/ = %d %q %q", code, h["Content-Type"], body)
	}
	if h["Cache-Control"] != "no-cache" || h["Etag"] == "" || !strings.Contains(h["Content-Security-Policy"], "default-src 'self'") {
		t.Errorf("index headers: %v", h)
	}
	if code, _, _ := get("/map/", "If-None-Match", h["Etag"]); code != 304 {
		t.Errorf("revalidating the page = %d, want 304", code)
	}

	code, h, body = get("/map/assets/index-abc123.js", "Accept-Encoding", "gzip, br")
	if code != 200 || body != js || h["Content-Encoding"] != "gzip" || !strings.HasPrefix(h["Content-Type"], "text/javascript") {
		t.Errorf("hashed asset: %d %v (body %d bytes)", code, h, len(body))
	}
	if !strings.Contains(h["Cache-Control"], "immutable") {
		t.Errorf("hashed asset Cache-Control = %q, want immutable", h["Cache-Control"])
	}
	code, h, body = get("/map/assets/pre.js", "Accept-Encoding", "gzip")
	if code != 200 || body != js || h["Content-Encoding"] != "gzip" || h["Content-Length"] != fmt.Sprint(pre.Len()) {
		t.Errorf("precompressed asset: %d %v", code, h)
	}
	if _, h, body = get("/map/assets/index-abc123.js", "Accept-Encoding", "gzip;q=0"); h["Content-Encoding"] != "" || body != js {
		t.Errorf("gzip refused but got Content-Encoding %q", h["Content-Encoding"])
	}
	if _, h, _ = get("/map/cesium/1.0.0/Workers/w.wasm"); h["Content-Type"] != "application/wasm" || !strings.Contains(h["Cache-Control"], "immutable") {
		t.Errorf("cesium wasm headers: %v", h)
	}
	for _, p := range []string{"/map/nope.js", "/map/cesium/1.0.0/Assets", "/map/../server.go"} {
		if code, h, _ := get(p); code != 404 || h["Content-Type"] != "application/problem+json" {
			t.Errorf("GET %s = %d %q, want a 404 problem", p, code, h["Content-Type"])
		}
	}
	if code, h, _ := get("/map"); code != 301 || h["Location"] != "/map/" {
		t.Errorf("GET /map = %d to %q", code, h["Location"])
	}
	// The cockpit is a view of the viewer's page.
	if code, h, _ := get("/cockpit"); code != 302 || h["Location"] != "/map/?view=cockpit" {
		t.Errorf("GET /cockpit = %d to %q", code, h["Location"])
	}
	if code, h, _ := get("/map/?view=cockpit"); code != 200 || !strings.Contains(h["Content-Security-Policy"], "default-src 'self'") {
		t.Errorf("GET /map/?view=cockpit = %d %v", code, h)
	}
}

func TestViewerNotBuilt(t *testing.T) {
	s := New(Config{}, Deps{Viewer: fstest.MapFS{".gitkeep": {}}})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/map/", nil))
	if err != nil {
		t.Fatal(err)
	}
	p := decodeProblem(t, resp)
	if p.Status != 503 || !strings.Contains(p.Detail, "make build") {
		t.Errorf("unbuilt viewer: %+v", p)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "*": true, "identity": false, "GZIP": true} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

// TestViewerCacheOnlyNamesThatExist: asking for made-up viewer paths answers 404 and never grows the
// file cache.
func TestViewerCacheOnlyNamesThatExist(t *testing.T) {
	v := &viewer{fsys: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, files: map[string]*viewerFile{}}
	for i := range 1000 {
		if _, err := v.file(fmt.Sprintf("map/%d.js", i)); err == nil {
			t.Fatal("a made-up file was found")
		}
	}
	if _, err := v.file("index.html"); err != nil {
		t.Fatal(err)
	}
	if len(v.files) != 1 {
		t.Errorf("%d cache entries after 1,000 made-up names and one real one", len(v.files))
	}
}
