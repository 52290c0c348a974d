// Package web serves Dragnet's JSON API (under /api/v1/) and health
// endpoint, and holds the helpers every HTTP handler of the project uses to
// answer errors the same way: one table maps domain error codes to HTTP
// status codes, and only the caller-safe message is ever sent.
package web

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/dragnet-intel/dragnet"
)

// HTTPStatus maps a domain error code to an HTTP status code.
func HTTPStatus(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case dragnet.EINVALID:
		return http.StatusBadRequest
	case dragnet.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case dragnet.EFORBIDDEN:
		return http.StatusForbidden
	case dragnet.ENOTFOUND:
		return http.StatusNotFound
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

// ErrorBody is the JSON body of every API error.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Error answers err as JSON with the status its code maps to. Internal
// errors are logged with the request and answered without detail.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := dragnet.ErrorCode(err)
	if code == dragnet.EINTERNAL && log != nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == dragnet.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Basic realm="dragnet", charset="UTF-8"`)
	}
	JSON(w, HTTPStatus(code), ErrorBody{Error: dragnet.ErrorMessage(err), Code: code})
}

// JSON answers v as JSON with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
