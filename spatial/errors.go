package spatial

import (
	"errors"
	"fmt"
)

// Error kinds shared by the domain packages. The HTTP edge maps each kind to a status and a
// problem+json body; domain code never speaks HTTP.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("authentication required")
	ErrConflict     = errors.New("conflict")
	// ErrPrecondition: an If-Match (or similar) precondition does not hold.
	ErrPrecondition = errors.New("precondition failed")
)

// ConflictError is a request the resource's current state does not allow (ErrConflict); Legal names
// what it does allow now (states, actions), for the caller to offer.
type ConflictError struct {
	Reason string
	Legal  []string
}

func (e *ConflictError) Error() string { return e.Reason }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// InvalidError is bad input: Param names the offending parameter, field or element.
type InvalidError struct {
	Param  string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Param == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s: %s", e.Param, e.Reason)
}

// Invalid returns an *InvalidError.
func Invalid(param, format string, args ...any) error {
	return &InvalidError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// NotFound returns an error wrapping ErrNotFound that says what was not found.
func NotFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}

// TimeoutError is a query that exceeded its time budget; Subject names what timed out (a layer).
type TimeoutError struct {
	Subject string
	Err     error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s exceeded its time budget: %v", e.Subject, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }
