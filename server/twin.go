package server

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/twin"
)

// registerTwin adds the 3D Tiles routes: the list of tilesets, tileset.json and content.
func (s *Server) registerTwin() {
	if s.deps.Twin == nil {
		return
	}
	g := s.app.Group("/3dtiles")
	g.Get("/", s.tilesetList)
	g.Get("/:tileset/tileset.json", s.tilesetJSON)
	g.Get("/:tileset/*", s.tileContent)
	s.addRoutes([]apiRoute{
		{method: "GET", path: "/twin/models/:model/buildings/:id.glb", id: "getModelBuilding",
			summary:   "One building of a split oblique model (yitu twin split) as glb 单体化建筑模型",
			responses: map[int]string{200: "model/gltf-binary", 304: "", 400: "", 404: ""}, handler: s.modelBuilding},
	})
}

// modelBuilding answers one building of a split model, for whoever may read the model's tileset.
func (s *Server) modelBuilding(c *fiber.Ctx) error {
	model := c.Params("model")
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return spatial.Invalid("id", "%q is not a building id (basemap.building)", c.Params("id"))
	}
	if err := s.canReadTileset(c, "model-"+model); err != nil {
		return err
	}
	content, err := s.deps.Twin.Building(c.UserContext(), model, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s-building-%d.glb"`, model, id))
	return sendContent(c, content)
}

func (s *Server) tilesetList(c *fiber.Ctx) error {
	list, err := s.deps.Twin.List(c.UserContext())
	if err != nil {
		return err
	}
	// Only what the caller may open: the viewer's layer tree offers these.
	list = slices.DeleteFunc(list, func(in twin.Info) bool { return s.canReadTileset(c, in.Name) != nil })
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderVary, fiber.HeaderAuthorization)
	return c.JSON(fiber.Map{"tilesets": list})
}

func (s *Server) tilesetJSON(c *fiber.Ctx) error {
	name := c.Params("tileset")
	if err := s.canReadTileset(c, name); err != nil {
		return err
	}
	content, err := s.deps.Twin.Tileset(c.UserContext(), name)
	if err != nil {
		return err
	}
	return sendContent(c, content)
}

func (s *Server) tileContent(c *fiber.Ctx) error {
	name, p := c.Params("tileset"), c.Params("*")
	if p == "" || strings.Contains(p, "..") || path.Clean(p) != p {
		return spatial.Invalid("path", "%q is not a tile path of tileset %s", p, name)
	}
	if err := s.canReadTileset(c, name); err != nil {
		return err
	}
	content, err := s.deps.Twin.Tile(c.UserContext(), name, p)
	if err != nil {
		return err
	}
	return sendContent(c, content)
}

// canReadTileset refuses a tileset built from a catalog layer the caller may not read, and a stored
// model whose read roles the caller holds none of (a model whose roles cannot be found is refused),
// or that carries the rows of a layer the caller may not read (a split model: basemap.building).
func (s *Server) canReadTileset(c *fiber.Ctx, name string) error {
	p := principal(c)
	layers := twin.Layers(name)
	if strings.HasPrefix(name, "model-") {
		roles, carried, err := s.deps.Twin.ModelAccess(c.UserContext(), name)
		if err != nil {
			if isNotFound(err) {
				return spatial.NotFound("tileset %q", name)
			}
			return err
		}
		if !p.Any(roles) {
			return spatial.NotFound("tileset %q", name) // as if absent: do not reveal what exists
		}
		layers = carried
	}
	if s.deps.Catalog == nil {
		return nil
	}
	cat := s.deps.Catalog.Current()
	for _, id := range layers {
		if l, ok := cat.Layer(id); ok && !l.CanRead(p) {
			return spatial.NotFound("tileset %q", name) // as if absent: do not reveal what exists
		}
	}
	return nil
}

// sendContent answers with ETag revalidation: tiles keep their URLs across data changes, so caches
// revalidate (no-cache) and get 304 while nothing changed.
func sendContent(c *fiber.Ctx, content twin.Content) error {
	c.Set(fiber.HeaderETag, content.ETag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && match == content.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, content.Type)
	return c.Send(content.Data)
}
