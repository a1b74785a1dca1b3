package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/cql2"
	"github.com/yitu-gis/yitu/tiles"
)

// tileRoutes registers the vector tile API: tiles, TileJSON, OGC API – Tiles, the one-map style, its
// glyphs and sprites, and the stream of tile changes.
func (s *Server) tileRoutes() {
	t := s.deps.Tiles
	h := &tileHandlers{svc: t, closing: s.closing, writeTimeout: s.cfg.WriteTimeout}
	s.app.Get("/tiles/:layers/:z/:x/:y.mvt", h.tile)
	s.app.Get("/tiles/:layers/:z/:x/:y.pbf", h.tile)
	s.app.Get("/tiles/:layers.json", h.tileJSON)
	s.app.Get("/tileMatrixSets", h.matrixSets)
	s.app.Get("/tileMatrixSets/:tms", h.matrixSet)
	s.app.Get("/collections/:collectionId/tiles", h.collectionTilesets)
	s.app.Get("/collections/:collectionId/tiles/:tms", h.collectionTileset)
	s.app.Get("/collections/:collectionId/tiles/:tms/:z/:y/:x", h.collectionTile)
	s.app.Get("/styles/onemap.json", h.style)
	s.app.Get("/fonts/:fontstack/:range.pbf", h.glyphs)
	s.app.Get("/sprites/:sprite", h.sprite)
	s.app.Get("/events", h.events)
}

type tileHandlers struct {
	svc     *tiles.Service
	closing <-chan struct{} // the server is shutting down
	// writeTimeout bounds each write of an event stream (server.write_timeout)
	writeTimeout time.Duration
}

const maxLayersPerTile = 64

// param is a path parameter, percent-decoded (clients encode the commas and spaces of layer lists and
// font stacks).
func param(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// parseLayers splits a comma-separated layer list.
func parseLayers(param, v string) ([]string, error) {
	if v == "" {
		return nil, spatial.Invalid(param, "no layer given")
	}
	layers := strings.Split(v, ",")
	if len(layers) > maxLayersPerTile {
		return nil, spatial.Invalid(param, "%d layers requested; at most %d per tile", len(layers), maxLayersPerTile)
	}
	seen := map[string]bool{}
	for _, l := range layers {
		if l == "" {
			return nil, spatial.Invalid(param, "empty layer name in %q", v)
		}
		if seen[l] {
			return nil, spatial.Invalid(param, "layer %q given twice", l)
		}
		seen[l] = true
	}
	return layers, nil
}

func parseInt(param, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, spatial.Invalid(param, "%q is not a non-negative integer", v)
	}
	return n, nil
}

// tileFilter reads filter and filter-lang: a CQL2 filter on a single-layer tile.
func tileFilter(c *fiber.Ctx) (*cql2.Filter, string, error) {
	v, lang := c.Query("filter"), c.Query("filter-lang")
	if v == "" {
		if lang != "" {
			return nil, "", spatial.Invalid("filter-lang", "given without a filter")
		}
		return nil, "", nil
	}
	f, err := cql2.Parse(v, lang)
	if err != nil {
		return nil, "", spatial.Invalid("filter", "%v", err)
	}
	return f, lang + ":" + v, nil
}

// tileParams reads params, a JSON object passed to function layers.
func tileParams(c *fiber.Ctx) ([]byte, error) {
	raw := c.Query("params")
	if raw == "" {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(raw), &obj); err != nil || obj == nil {
		return nil, spatial.Invalid("params", "must be a JSON object, such as {\"year\":2024}")
	}
	return json.Marshal(obj) // canonical: keys sorted, so equal parameters share a cache entry
}

// layerProblem turns a tiles.LayerError into a problem naming the parameter.
func layerProblem(err error, param string) error {
	var le *tiles.LayerError
	if !errors.As(err, &le) {
		return err
	}
	status := http.StatusNotFound
	switch {
	case errors.Is(le.Err, spatial.ErrUnauthorized):
		status = http.StatusUnauthorized
	case errors.Is(le.Err, spatial.ErrForbidden):
		status = http.StatusForbidden
	}
	return problemf(status, param, le.Error())
}

func (h *tileHandlers) tile(c *fiber.Ctx) error {
	layers, err := parseLayers("layers", param(c, "layers"))
	if err != nil {
		return err
	}
	return h.serveTile(c, tiles.WebMercatorQuad, layers, "layers", c.Params("z"), c.Params("x"), c.Params("y"))
}

func (h *tileHandlers) collectionTile(c *fiber.Ctx) error {
	grid, ok := tiles.GridByID(c.Params("tms"))
	if !ok {
		return problemf(http.StatusNotFound, "tileMatrixSetId", fmt.Sprintf("tile matrix set %q is not served; use WebMercatorQuad or CGCS2000Quad", c.Params("tms")))
	}
	layers, err := parseLayers("collectionId", param(c, "collectionId"))
	if err != nil {
		return err
	}
	return h.serveTile(c, grid, layers, "collectionId", c.Params("z"), c.Params("x"), c.Params("y"))
}

// parseTile reads a tile's z, x and y and checks them against the grid.
func parseTile(grid *tiles.Grid, zs, xs, ys string) (tiles.Tile, error) {
	z, err := parseInt("z", zs)
	if err != nil {
		return tiles.Tile{}, err
	}
	x, err := parseInt("x", xs)
	if err != nil {
		return tiles.Tile{}, err
	}
	y, err := parseInt("y", strings.TrimSuffix(strings.TrimSuffix(ys, ".mvt"), ".pbf"))
	if err != nil {
		return tiles.Tile{}, err
	}
	t := tiles.Tile{Z: z, X: x, Y: y}
	if param, err := grid.Check(t); err != nil {
		return t, spatial.Invalid(param, "%v", err)
	}
	return t, nil
}

// public reports whether anyone may read every one of the layers.
func (h *tileHandlers) public(layers []string) bool {
	for _, id := range layers {
		if _, err := h.svc.Layer(id, spatial.Anonymous); err != nil {
			return false
		}
	}
	return true
}

func (h *tileHandlers) serveTile(c *fiber.Ctx, grid *tiles.Grid, layers []string, layersParam, zs, xs, ys string) error {
	t, err := parseTile(grid, zs, xs, ys)
	if err != nil {
		return err
	}
	params, err := tileParams(c)
	if err != nil {
		return err
	}
	filter, filterKey, err := tileFilter(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Tile(c.UserContext(), tiles.Request{
		Grid: grid, Layers: layers, Tile: t, Params: params, Filter: filter, FilterKey: filterKey, Principal: principal(c),
	})
	if err != nil {
		return layerProblem(err, layersParam)
	}
	if h.public(layers) {
		c.Set(fiber.HeaderCacheControl, h.svc.Config().CacheControl)
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	} else { // a shared cache must not hand a restricted tile to others
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding+", "+fiber.HeaderAuthorization)
	}
	c.Set(fiber.HeaderETag, res.ETag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), res.ETag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if res.Empty() {
		return c.SendStatus(fiber.StatusNoContent)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.mapbox-vector-tile")
	if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(res.Gzip)
	}
	raw, err := res.Raw()
	if err != nil {
		return err
	}
	return c.Send(raw)
}

func (h *tileHandlers) tileJSON(c *fiber.Ctx) error {
	layers, err := parseLayers("layers", param(c, "layers"))
	if err != nil {
		return err
	}
	tileURL := c.BaseURL() + "/tiles/" + strings.Join(layers, ",") + "/{z}/{x}/{y}.mvt"
	tj, err := h.svc.TileJSON(c.UserContext(), layers, principal(c), tileURL)
	if err != nil {
		return layerProblem(err, "layers")
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(tj)
}

func (h *tileHandlers) matrixSets(c *fiber.Ctx) error {
	return c.JSON(tiles.MatrixSetList(c.BaseURL()))
}

func (h *tileHandlers) matrixSet(c *fiber.Ctx) error {
	g, ok := tiles.GridByID(c.Params("tms"))
	if !ok {
		return problemf(http.StatusNotFound, "tileMatrixSetId", fmt.Sprintf("tile matrix set %q is not served; use WebMercatorQuad or CGCS2000Quad", c.Params("tms")))
	}
	return c.JSON(g.Definition())
}

func (h *tileHandlers) collectionTilesets(c *fiber.Ctx) error {
	layers, err := parseLayers("collectionId", param(c, "collectionId"))
	if err != nil {
		return err
	}
	doc, err := h.svc.TilesetList(layers, principal(c), c.BaseURL())
	if err != nil {
		return layerProblem(err, "collectionId")
	}
	return c.JSON(doc)
}

func (h *tileHandlers) collectionTileset(c *fiber.Ctx) error {
	layers, err := parseLayers("collectionId", param(c, "collectionId"))
	if err != nil {
		return err
	}
	g, ok := tiles.GridByID(c.Params("tms"))
	if !ok {
		return problemf(http.StatusNotFound, "tileMatrixSetId", fmt.Sprintf("tile matrix set %q is not served; use WebMercatorQuad or CGCS2000Quad", c.Params("tms")))
	}
	doc, err := h.svc.Tileset(c.UserContext(), layers, g, principal(c), c.BaseURL())
	if err != nil {
		return layerProblem(err, "collectionId")
	}
	return c.JSON(doc)
}

func (h *tileHandlers) style(c *fiber.Ctx) error {
	st, err := h.svc.Style(c.UserContext(), principal(c), c.BaseURL())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(st)
}

func (h *tileHandlers) glyphs(c *fiber.Ctx) error {
	start, end, ok := strings.Cut(c.Params("range"), "-")
	first, err1 := strconv.Atoi(start)
	last, err2 := strconv.Atoi(end)
	if !ok || err1 != nil || err2 != nil || first%256 != 0 || last != first+255 || first > 65280 {
		return spatial.Invalid("range", "%q is not a glyph range such as 0-255 or 19968-20223", c.Params("range"))
	}
	b, err := h.svc.Glyphs(param(c, "fontstack"), first)
	if errors.Is(err, spatial.ErrNotFound) {
		return problemf(http.StatusNotFound, "fontstack", err.Error())
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/x-protobuf")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(b)
}

func (h *tileHandlers) sprite(c *fiber.Ctx) error {
	name := c.Params("sprite")
	base, ext, ok := strings.Cut(name, ".")
	scale := 1
	if b, found := strings.CutSuffix(base, "@2x"); found {
		base, scale = b, 2
	}
	if !ok || base != "onemap" || (ext != "json" && ext != "png") {
		return problemf(http.StatusNotFound, "sprite", fmt.Sprintf("sprite %q does not exist; there are onemap.json, onemap.png, onemap@2x.json and onemap@2x.png", name))
	}
	sheet, err := h.svc.Sprite(scale)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	if ext == "png" {
		c.Set(fiber.HeaderContentType, "image/png")
		return c.Send(sheet.PNG)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(sheet.Index)
}

// events streams tile changes to a viewer (Server-Sent Events, event "tiles", data = the change as
// JSON; a change without layers or bbox means "reload everything"). Layers the caller may not read are
// left out. A reconnecting viewer sends Last-Event-ID and is replayed what it missed.
func (h *tileHandlers) events(c *fiber.Ctx) error {
	var last uint64
	if v := c.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return spatial.Invalid("Last-Event-ID", "%q is not an event id", v)
		}
		last = n
	}
	p := principal(c)
	sub, replayed := h.svc.Events().Subscribe(last)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	conn := c.Context().Conn()
	flush := func(w *bufio.Writer) error {
		writeDeadline(conn, h.writeTimeout)
		return w.Flush()
	}
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		fmt.Fprintf(w, "retry: 2000\n\n")
		if !replayed {
			writeEvent(w, tiles.Event{ID: last, Change: spatial.Change{Reason: "reset"}})
		}
		if flush(w) != nil {
			return
		}
		keepalive := time.NewTicker(15 * time.Second)
		defer keepalive.Stop()
		for {
			select {
			case e, ok := <-sub.C:
				if !ok {
					return // lagging: the viewer reconnects with its last id
				}
				if e.Change.Layers = h.readable(e.Change.Layers, p); e.Change.Layers == nil {
					continue
				}
				writeEvent(w, e)
			case <-keepalive.C:
				fmt.Fprintf(w, ": keepalive\n\n")
			case <-h.closing: // the server stops: the viewer reconnects (to another replica) with its last id
				fmt.Fprintf(w, "event: close\ndata: {\"reason\":\"shutdown\"}\n\n")
				flush(w)
				return
			}
			if flush(w) != nil {
				return
			}
		}
	})
	return nil
}

// readable keeps the layers p may read; nil when none is left of a non-empty list.
func (h *tileHandlers) readable(layers []string, p spatial.Principal) []string {
	if len(layers) == 0 {
		return []string{}
	}
	var out []string
	for _, id := range layers {
		if _, err := h.svc.Layer(id, p); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func writeEvent(w *bufio.Writer, e tiles.Event) {
	b, _ := json.Marshal(e.Change)
	fmt.Fprintf(w, "id: %d\nevent: tiles\ndata: %s\n\n", e.ID, b)
}
