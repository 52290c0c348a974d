package dragnet

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web and taxii packages.
const (
	EINVALID      = "invalid"      // bad input: names field/position
	ENOTFOUND     = "not_found"    // absent, or not visible to the caller (never distinguish)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // authenticated, but the role or rule forbids it
	ECONFLICT     = "conflict"     // already exists, or contradicts what is stored
	ETOOLARGE     = "too_large"    // request exceeds a configured size
	ERATELIMIT    = "rate_limited" // too many requests for this token
	EUNSUPPORTED  = "unsupported"  // media type or feature not supported
	EINTERNAL     = "internal"     // a fault on our side; details go to the log only
)

// Error is the domain error. Message is safe to show to the caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("dragnet: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the *Error's message,
// or "internal error" for anything else (whose details belong in the log).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
