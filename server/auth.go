package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// authenticate sets the principal of a request that carries "Authorization: Bearer <token>"; a
// request without one is anonymous, and one with a bad token is refused with 401, never silently
// downgraded.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" || s.deps.Tokens == nil {
		return c.Next()
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="yitu"`)
		return problemf(fiber.StatusUnauthorized, "Authorization", "use Authorization: Bearer <token> (a token from `yitu token create`)")
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
