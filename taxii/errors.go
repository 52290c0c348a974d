package taxii

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/dragnet-intel/dragnet"
)

// httpStatus maps a domain error code to the HTTP status of its TAXII error.
func httpStatus(code string) int {
	switch code {
	case dragnet.EINVALID:
		return http.StatusBadRequest
	case dragnet.ENOTFOUND:
		return http.StatusNotFound
	case dragnet.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case dragnet.EFORBIDDEN:
		return http.StatusForbidden
	case dragnet.ECONFLICT:
		return http.StatusConflict
	case dragnet.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case dragnet.ERATELIMIT:
		return http.StatusTooManyRequests
	case dragnet.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// errorTitles are the titles of TAXII error resources by HTTP status.
var errorTitles = map[int]string{
	http.StatusBadRequest:            "Bad Request",
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "Not Found",
	http.StatusMethodNotAllowed:      "Method Not Allowed",
	http.StatusNotAcceptable:         "Not Acceptable",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Request Entity Too Large",
	http.StatusUnsupportedMediaType:  "Unsupported Media Type",
	http.StatusTooManyRequests:       "Too Many Requests",
	http.StatusInternalServerError:   "Internal Server Error",
	http.StatusServiceUnavailable:    "Service Unavailable",
}

// writeError answers with the TAXII error resource for err. Domain errors
// show their message; any other error is logged with a fresh error id and
// shown only as "internal error" with that id, so a user can quote it and
// an operator can find it in the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := dragnet.ErrorCode(err)
	status := httpStatus(code)
	msg := dragnet.ErrorMessage(err)
	var errID string
	if errors.Is(err, context.DeadlineExceeded) {
		status, code = http.StatusServiceUnavailable, "timeout"
		msg = "the request took longer than the server's time limit of " + s.cfg.RequestTimeout.String()
	} else if code == dragnet.EINTERNAL {
		errID = newErrorID()
		s.log.Error("taxii request failed", "error_id", errID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.writeErrorResource(w, status, code, msg, errID)
}

// writeErrorResource answers with a TAXII error resource of the given
// HTTP status and code.
func (s *Server) writeErrorResource(w http.ResponseWriter, status int, code, msg, errID string) {
	if status == http.StatusUnauthorized {
		w.Header().Add("WWW-Authenticate", `Basic realm="dragnet"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="dragnet"`)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	title := errorTitles[status]
	if title == "" {
		title = http.StatusText(status)
	}
	body, _ := json.Marshal(ErrorResource{
		Title:       title,
		Description: msg,
		ErrorID:     errID,
		ErrorCode:   code,
		HTTPStatus:  strconv.Itoa(status),
	})
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func newErrorID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
