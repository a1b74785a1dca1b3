package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// authenticate sets the principal of a request that carries "Authorization: Bearer <token>"; a
// request without one is anonymous, and one with a bad token is refused with 401, never silently
// downgraded. The push routes (/live/ws, /live/sse) also take the token as the access_token query
// parameter, since a browser's WebSocket and EventSource cannot set headers; every other route
// refuses that parameter rather than serve the caller as anonymous (and a token in a URL is best
// kept to where it is needed).
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	query := c.Query("access_token")
	if query != "" {
		var p *Problem
		switch {
		case !isPushPath(c.Path()):
			p = problemf(fiber.StatusBadRequest, "access_token", "only /live/ws and /live/sse take the token as a query parameter; send Authorization: Bearer <token>")
		case h != "":
			p = problemf(fiber.StatusBadRequest, "access_token", "the token is given twice (Authorization and access_token): send one")
		}
		if p != nil {
			p.Instance = c.Path() // not the URL: it holds the token
			return p
		}
	}
	if (h == "" && query == "") || s.deps.Tokens == nil {
		return c.Next()
	}
	token := query
	if h != "" {
		scheme, t, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="yitu"`)
			return problemf(fiber.StatusUnauthorized, "Authorization", "use Authorization: Bearer <token> (a token from `yitu token create`)")
		}
		token = t
	}
	p, err := s.deps.Tokens.Verify(c.UserContext(), strings.TrimSpace(token))
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="yitu", error="invalid_token"`)
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

// challenge adds the WWW-Authenticate header to 401 answers of the handlers.
func challenge(c *fiber.Ctx, err error) {
	if toProblem(err).Status == fiber.StatusUnauthorized && c.GetRespHeader(fiber.HeaderWWWAuthenticate) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="yitu"`)
	}
}
