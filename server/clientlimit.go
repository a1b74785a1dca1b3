package server

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// clientLimit bounds the requests one client has in progress: per IP address and, for a signed-in
// caller, per token subject. One client opening many slow requests then takes at most its share of
// the database connections and workers, never all of them.
type clientLimit struct {
	max      int
	mu       sync.Mutex
	inFlight map[string]int
	refused  func(kind string)
}

func newClientLimit(max int, refused func(kind string)) *clientLimit {
	return &clientLimit{max: max, inFlight: map[string]int{}, refused: refused}
}

// acquire takes a slot under every key, or none: it returns the key that is full.
func (l *clientLimit) acquire(keys ...string) (full string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if l.inFlight[k] >= l.max {
			return k
		}
	}
	for _, k := range keys {
		l.inFlight[k]++
	}
	return ""
}

func (l *clientLimit) release(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if l.inFlight[k]--; l.inFlight[k] <= 0 {
			delete(l.inFlight, k)
		}
	}
}

// handler is the middleware (after authentication, which names the token's subject). Event streams
// and WebSockets live long by design and are bounded by their own limits: they do not count.
func (l *clientLimit) handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if path := c.Path(); isPushPath(path) || path == "/events" || path == "/healthz" || path == "/readyz" {
			return c.Next()
		}
		keys := make([]string, 1, 2)
		keys[0] = "ip " + c.IP()
		if p := principal(c); p.Subject != "" {
			keys = append(keys, "token "+p.Subject)
		}
		if full := l.acquire(keys...); full != "" {
			kind, per := "ip", "IP address"
			if strings.HasPrefix(full, "token ") {
				kind, per = "token", "token"
			}
			l.refused(kind)
			c.Set(fiber.HeaderRetryAfter, "1")
			return problemf(fiber.StatusTooManyRequests, "", fmt.Sprintf("this client already has %d requests in progress (per %s): wait for their answers, then retry", l.max, per))
		}
		defer l.release(keys...)
		return c.Next()
	}
}
