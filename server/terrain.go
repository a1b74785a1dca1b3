package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin/terrain"
)

// registerTerrain adds the terrain routes: the DEM list, the height at a point, Terrarium tiles for
// MapLibre (raster-dem) and quantized-mesh tiles for CesiumJS, at /terrain/{z}/{x}/{y}.terrain (the
// name other systems rely on) and /terrain/qm/… alike.
func (s *Server) registerTerrain() {
	if s.deps.Terrain == nil {
		return
	}
	routes := []apiRoute{
		{method: "GET", path: "/terrain", id: "getTerrainDEMs", summary: "The imported DEMs 数字高程模型", responses: map[int]string{200: mediaJSON}, handler: s.terrainIndex},
		{method: "GET", path: "/terrain/height", id: "getTerrainHeight", summary: "The ground's height at a point 地面高程", params: []string{"lon", "lat"},
			responses: map[int]string{200: mediaJSON, 400: ""}, handler: s.terrainHeight},
		{method: "GET", path: "/terrain/terrarium.json", id: "getTerrariumTileJSON", summary: "TileJSON of the Terrarium raster-dem (MapLibre hillshade)",
			responses: map[int]string{200: mediaJSON}, handler: s.terrariumJSON},
		{method: "GET", path: "/terrain/terrarium/:z/:x/:y.png", id: "getTerrariumTile", summary: "A Terrarium-encoded elevation tile",
			responses: map[int]string{200: "image/png", 400: "", 404: ""}, handler: s.terrariumTile},
	}
	for _, p := range []string{"", "/qm"} {
		id := map[string]string{"": "", "/qm": "Qm"}[p]
		routes = append(routes,
			apiRoute{method: "GET", path: "/terrain" + p + "/layer.json", id: "getTerrainLayer" + id, summary: "Cesium terrain layer.json (quantized-mesh 1.0)",
				responses: map[int]string{200: mediaJSON}, handler: s.terrainLayer},
			apiRoute{method: "GET", path: "/terrain" + p + "/:z/:x/:y.terrain", id: "getTerrainTile" + id, summary: "A quantized-mesh terrain tile (TMS y, as Cesium asks)",
				responses: map[int]string{200: "application/vnd.quantized-mesh", 400: "", 404: ""}, handler: s.terrainMesh})
	}
	for i := range routes {
		routes[i].handler = s.terrainReadable(routes[i].handler, routes[i].path == "/terrain")
	}
	s.addRoutes(routes)
}

// mayReadTerrain reports whether the caller holds one of terrain.read_roles (public: everyone).
func (s *Server) mayReadTerrain(c *fiber.Ctx) bool {
	return principal(c).Any(s.deps.Terrain.ReadRoles())
}

// terrainReadable serves a terrain route from the DEMs the caller may read: all of them under
// terrain.read_roles, less those terrain.dem_access keeps to other roles. A caller who may not read
// the terrain gets 404, as if there were none (do not reveal what exists), except from the DEM
// list (listing), which answers them with no DEMs so their viewer stays flat. Answers that depend
// on the caller are private.
func (s *Server) terrainReadable(h fiber.Handler, listing bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		p := principal(c)
		dems, all, restricted, err := s.deps.Terrain.Readable(ctx, p.Any)
		if err != nil {
			return err
		}
		public := slices.Contains(s.deps.Terrain.ReadRoles(), spatial.RolePublic)
		switch {
		case !public && !s.mayReadTerrain(c) && !listing:
			return spatial.NotFound("no terrain here")
		case !public && !s.mayReadTerrain(c):
			c.SetUserContext(terrain.Only(ctx, nil))
		case !all:
			c.SetUserContext(terrain.Only(ctx, dems))
		}
		if err := h(c); err != nil {
			return err
		}
		if !public || restricted {
			c.Vary(fiber.HeaderAuthorization)
			c.Set(fiber.HeaderCacheControl, "private, no-cache")
		}
		return nil
	}
}

func (s *Server) terrainIndex(c *fiber.Ctx) error {
	dems, err := s.deps.Terrain.DEMs(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(fiber.Map{
		"dems":           dems,
		"height_offset":  s.deps.Terrain.HeightOffset(),
		"quantized_mesh": c.BaseURL() + "/terrain/layer.json",
		"terrarium":      c.BaseURL() + "/terrain/terrarium.json",
	})
}

// terrainHeight answers the normal height at lon, lat (EPSG:4490) and the ellipsoidal height the
// 3D view uses there.
func (s *Server) terrainHeight(c *fiber.Ctx) error {
	lon, err := strconv.ParseFloat(c.Query("lon"), 64)
	if err != nil || lon < -180 || lon > 180 {
		return spatial.Invalid("lon", "%q is not a longitude", c.Query("lon"))
	}
	lat, err := strconv.ParseFloat(c.Query("lat"), 64)
	if err != nil || lat < -90 || lat > 90 {
		return spatial.Invalid("lat", "%q is not a latitude", c.Query("lat"))
	}
	h, ok, err := s.deps.Terrain.HeightAt(c.UserContext(), lon, lat)
	if err != nil {
		return err
	}
	if !ok {
		return spatial.NotFound("no DEM has a height at %.7f, %.7f", lon, lat)
	}
	h = math.Round(h*1000) / 1000
	return c.JSON(fiber.Map{"lon": lon, "lat": lat, "height": h, "ellipsoidal_height": h + s.deps.Terrain.HeightOffset()})
}

func (s *Server) terrariumJSON(c *fiber.Ctx) error {
	ctx := c.UserContext()
	dems, err := s.deps.Terrain.DEMs(ctx)
	if err != nil {
		return err
	}
	maxZ, err := s.deps.Terrain.TerrariumMaxZoom(ctx)
	if err != nil {
		return err
	}
	bounds := [4]float64{-180, -85.0511, 180, 85.0511}
	if len(dems) > 0 {
		bounds = dems[0].BBox
		for _, d := range dems[1:] {
			bounds = [4]float64{min(bounds[0], d.BBox[0]), min(bounds[1], d.BBox[1]), max(bounds[2], d.BBox[2]), max(bounds[3], d.BBox[3])}
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(fiber.Map{
		"tilejson": "3.0.0", "name": "terrain", "description": "一图 Yitu terrain: normal heights of the imported DEMs, Terrarium encoding",
		"attribution": "一图 Yitu", "scheme": "xyz", "encoding": "terrarium", "tileSize": 256,
		"tiles":   []string{c.BaseURL() + "/terrain/terrarium/{z}/{x}/{y}.png?v=" + terrain.Version(dems)},
		"minzoom": 0, "maxzoom": maxZ, "bounds": bounds,
		"center": []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(min(maxZ, 12))},
	})
}

func terrainTile(c *fiber.Ctx, suffix string) (z, x, y int, err error) {
	if z, err = parseInt("z", c.Params("z")); err != nil {
		return
	}
	if x, err = parseInt("x", c.Params("x")); err != nil {
		return
	}
	y, err = parseInt("y", strings.TrimSuffix(c.Params("y"), suffix))
	return
}

func (s *Server) terrariumTile(c *fiber.Ctx) error {
	z, x, y, err := terrainTile(c, ".png")
	if err != nil {
		return err
	}
	content, err := s.deps.Terrain.Terrarium(c.UserContext(), z, x, y)
	if err != nil {
		return err
	}
	return sendTerrain(c, content)
}

func (s *Server) terrainLayer(c *fiber.Ctx) error {
	lj, err := s.deps.Terrain.Layer(c.UserContext())
	if err != nil {
		return err
	}
	b, err := json.Marshal(lj)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

func (s *Server) terrainMesh(c *fiber.Ctx) error {
	z, x, y, err := terrainTile(c, ".terrain")
	if err != nil {
		return err
	}
	content, err := s.deps.Terrain.Mesh(c.UserContext(), z, x, y, terrain.ParseExtensions(c.Get(fiber.HeaderAccept)))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderVary, fiber.HeaderAccept+", "+fiber.HeaderAcceptEncoding)
	return sendTerrain(c, content)
}

// sendTerrain answers a terrain tile with ETag revalidation; a gzip-encoded one is unpacked for a
// client that does not take gzip.
func sendTerrain(c *fiber.Ctx, content terrain.Content) error {
	c.Set(fiber.HeaderETag, content.ETag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), content.ETag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, content.Type)
	if content.Encoding == "gzip" {
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(content.Data)
		}
		zr, err := gzip.NewReader(bytes.NewReader(content.Data))
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		return c.Send(raw)
	}
	return c.Send(content.Data)
}
