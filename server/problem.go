package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yitu-gis/yitu/spatial"
)

// Problem is an RFC 7807 problem detail. Every error leaves the server as one, through errorHandler.
type Problem struct {
	Type      string   `json:"type"`
	Title     string   `json:"title"`
	Status    int      `json:"status"`
	Detail    string   `json:"detail,omitempty"`
	Instance  string   `json:"instance,omitempty"`
	Parameter string   `json:"parameter,omitempty"` // the request parameter, field or element at fault
	RequestID string   `json:"request_id,omitempty"`
	Legal     []string `json:"legal,omitempty"` // 409: what the resource's state allows now
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// problemf returns a *Problem of the given status; param may be empty.
func problemf(status int, param, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Parameter: param}
}

// toProblem maps an error from a handler or a domain package to the problem it answers with.
func toProblem(err error) *Problem {
	var (
		p       *Problem
		fe      *fiber.Error
		invalid *spatial.InvalidError
		timeout *spatial.TimeoutError
		clash   *spatial.ConflictError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &invalid):
		return problemf(http.StatusBadRequest, invalid.Param, invalid.Error())
	case errors.As(err, &timeout):
		return problemf(http.StatusServiceUnavailable, timeout.Subject, timeout.Subject+" exceeded its time budget")
	case errors.Is(err, spatial.ErrNotFound):
		return problemf(http.StatusNotFound, "", err.Error())
	case errors.Is(err, spatial.ErrUnauthorized):
		return problemf(http.StatusUnauthorized, "", err.Error())
	case errors.Is(err, spatial.ErrForbidden):
		return problemf(http.StatusForbidden, "", err.Error())
	case errors.As(err, &clash):
		p := problemf(http.StatusConflict, "", err.Error())
		p.Legal = clash.Legal
		return p
	case errors.Is(err, spatial.ErrConflict):
		return problemf(http.StatusConflict, "", err.Error())
	case errors.Is(err, spatial.ErrPrecondition):
		return problemf(http.StatusPreconditionFailed, "", err.Error())
	case databaseAway(err):
		return problemf(http.StatusServiceUnavailable, "", "the database cannot be reached; try again shortly")
	case errors.Is(err, context.DeadlineExceeded):
		return problemf(http.StatusServiceUnavailable, "", "the request exceeded its time budget")
	case errors.As(err, &fe):
		return problemf(fe.Code, "", fe.Message)
	default:
		return problemf(http.StatusInternalServerError, "", "internal error; the server log has the details under this request_id")
	}
}

// databaseAway reports an error of a database that cannot be reached (down, restarting, the
// network): a passing condition, answered 503 with Retry-After rather than 500.
func databaseAway(err error) bool {
	var ce *pgconn.ConnectError
	var ue *spatial.UnreachableError
	var ne net.Error
	var pe *pgconn.PgError
	if errors.As(err, &pe) { // 08: connection exception; 57P: the server shutting down or starting
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	return errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// errorHandler is the one adapter from errors to responses: it writes problem+json and logs server
// faults once, with the request ID.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	p := *toProblem(err)
	if p.Instance == "" {
		p.Instance = c.OriginalURL()
	}
	p.RequestID = requestID(c)
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(), "status", p.Status, "err", err)
	} else {
		s.log.Debug("request refused", "request_id", p.RequestID, "status", p.Status, "err", err)
	}
	if p.Status == http.StatusServiceUnavailable && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "5")
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Status(p.Status)
	b, jerr := c.App().Config().JSONEncoder(p)
	if jerr != nil {
		s.log.Error("encoding a problem", "err", jerr)
		return c.SendString(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	return c.Send(b)
}
