package server

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
)

// preRead is how much of a request body fasthttp reads before the handlers run; the rest waits for
// limitBody, which runs after authentication.
const preRead = 64 << 10

// bodyLimit is the largest body a request may send: feature edits, live pushes and a signed-in
// caller's incident attachments carry data (the edit limit), every other route the small default.
func (s *Server) bodyLimit(c *fiber.Ctx) int {
	p := c.Path()
	if strings.HasPrefix(p, "/collections/") && strings.Contains(p, "/items") ||
		p == "/live/positions" || p == "/live/observations" ||
		strings.HasPrefix(p, "/command/incidents/") && strings.HasSuffix(p, "/attachments") && principal(c).Subject != spatial.Anonymous.Subject {
		return s.cfg.EditBodyLimit
	}
	return s.cfg.BodyLimit
}

// limitBody reads the request body once the caller is known, up to the route's limit: a larger
// declared length is refused (413) before a byte of the rest is read, and a chunked body that
// grows past the limit is refused when it does. Handlers then read the body as usual.
func (s *Server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	stream := req.BodyStream()
	if stream == nil {
		return c.Next()
	}
	limit := s.bodyLimit(c)
	if n := req.Header.ContentLength(); n > limit {
		c.Set(fiber.HeaderConnection, "close") // the rest of the body is not read
		return problemf(fiber.StatusRequestEntityTooLarge, "body", fmt.Sprintf("the body is %d bytes; %s takes at most %d", n, c.Path(), limit))
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(stream, int64(limit)+1))
	if err != nil {
		return problemf(fiber.StatusBadRequest, "body", "the body could not be read: "+err.Error())
	}
	if n > int64(limit) {
		c.Set(fiber.HeaderConnection, "close")
		return problemf(fiber.StatusRequestEntityTooLarge, "body", fmt.Sprintf("the body is over %d bytes, the most %s takes", limit, c.Path()))
	}
	req.SetBodyRaw(buf.Bytes())
	return c.Next()
}
