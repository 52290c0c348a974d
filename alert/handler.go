package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/web"
)

// Handler serves the alert API. Mount it under /api/v1/ behind the
// authentication that puts the caller's principal in the request context
// (web.Authed). Subscriptions are the caller's organisation's own; the
// stream carries only its events.
//
//	GET    alerts/subscriptions         list
//	POST   alerts/subscriptions         {"kind","key","webhook_url","webhook_secret"} -> 201
//	GET    alerts/subscriptions/{id}
//	PUT    alerts/subscriptions/{id}    replace kind, key and webhook
//	DELETE alerts/subscriptions/{id}    -> 204
//	GET    alerts/stream                server-sent events
//
// The webhook secret is never shown back.
type Handler struct {
	subs    dragnet.SubscriptionService
	hub     *Hub
	changed func(ctx context.Context) error
	log     *slog.Logger
	mux     *http.ServeMux
}

// NewHandler returns the alert API over the store's subscriptions and the
// hub's streams; changed (may be nil) is called after every change of a
// subscription, with the system principal, so that the watcher reloads.
func NewHandler(subs dragnet.SubscriptionService, hub *Hub, changed func(ctx context.Context) error, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{subs: subs, hub: hub, changed: changed, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /api/v1/alerts/subscriptions", h.list)
	h.mux.HandleFunc("POST /api/v1/alerts/subscriptions", h.create)
	h.mux.HandleFunc("GET /api/v1/alerts/subscriptions/{id}", h.get)
	h.mux.HandleFunc("PUT /api/v1/alerts/subscriptions/{id}", h.update)
	h.mux.HandleFunc("DELETE /api/v1/alerts/subscriptions/{id}", h.delete)
	h.mux.HandleFunc("GET /api/v1/alerts/stream", h.stream)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// subscriptionJSON is a subscription as the API shows and takes it.
type subscriptionJSON struct {
	ID            int64     `json:"id,omitempty"`
	Kind          string    `json:"kind"`
	Key           string    `json:"key,omitempty"`
	WebhookURL    string    `json:"webhook_url,omitempty"`
	WebhookSecret string    `json:"webhook_secret,omitempty"` // taken, never shown
	Created       time.Time `json:"created,omitzero"`
}

func show(s *dragnet.Subscription) subscriptionJSON {
	return subscriptionJSON{ID: s.ID, Kind: s.Kind, Key: s.Key, WebhookURL: s.WebhookURL, Created: s.Created}
}

// maxBody is the largest subscription request accepted.
const maxBody = 16 << 10

// ParseSubscription reads a subscription request body: one JSON object
// with kind, key, webhook_url and webhook_secret, nothing else, and
// validates it (dragnet.Subscription.Validate). Errors are EINVALID and
// say what is wrong and where.
func ParseSubscription(body []byte) (*dragnet.Subscription, error) {
	if len(body) > maxBody {
		return nil, dragnet.Errorf(dragnet.ETOOLARGE, "subscription is larger than %d bytes", maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in subscriptionJSON
	if err := dec.Decode(&in); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, dragnet.Errorf(dragnet.EINVALID, "subscription: malformed JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te):
			return nil, dragnet.Errorf(dragnet.EINVALID, "subscription: %s must be a %s (byte %d)", te.Field, te.Type, te.Offset)
		}
		return nil, dragnet.Errorf(dragnet.EINVALID, "subscription: %v", err)
	}
	if dec.More() {
		return nil, dragnet.Errorf(dragnet.EINVALID, "subscription: text after the JSON object at byte %d", dec.InputOffset())
	}
	if in.ID != 0 || !in.Created.IsZero() {
		return nil, dragnet.Errorf(dragnet.EINVALID, "subscription: id and created are set by the server")
	}
	s := &dragnet.Subscription{Kind: in.Kind, Key: in.Key, WebhookURL: in.WebhookURL, WebhookSecret: in.WebhookSecret}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (h *Handler) read(r *http.Request) (*dragnet.Subscription, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "reading the request body: %v", err)
	}
	return ParseSubscription(body)
}

func (h *Handler) reload(r *http.Request) {
	if h.changed == nil {
		return
	}
	if err := h.changed(dragnet.SystemContext(context.WithoutCancel(r.Context()))); err != nil {
		h.log.Error("alerts: reloading subscriptions", "err", err)
	}
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	ss, err := h.subs.Subscriptions(r.Context())
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	out := make([]subscriptionJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, show(s))
	}
	web.JSON(w, http.StatusOK, map[string]any{"subscriptions": out})
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	s, err := h.read(r)
	if err == nil {
		err = h.subs.CreateSubscription(r.Context(), s)
	}
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	h.reload(r)
	web.JSON(w, http.StatusCreated, show(s))
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, dragnet.Errorf(dragnet.EINVALID, "subscription id %q is not a positive whole number", r.PathValue("id"))
	}
	return id, nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	ss, err := h.subs.Subscriptions(r.Context())
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	for _, s := range ss {
		if s.ID == id {
			web.JSON(w, http.StatusOK, show(s))
			return
		}
	}
	web.Error(w, r, h.log, dragnet.Errorf(dragnet.ENOTFOUND, "no subscription %d", id))
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var s *dragnet.Subscription
	if err == nil {
		s, err = h.read(r)
	}
	if err == nil {
		s.ID = id
		err = h.subs.UpdateSubscription(r.Context(), s)
	}
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	h.reload(r)
	web.JSON(w, http.StatusOK, show(s))
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = h.subs.DeleteSubscription(r.Context(), id)
	}
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	h.reload(r)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request) {
	p, ok := dragnet.PrincipalFrom(r.Context())
	if !ok || p.Org == nil {
		web.Error(w, r, h.log, dragnet.Errorf(dragnet.EFORBIDDEN, "alert streams belong to organisations"))
		return
	}
	h.hub.ServeStream(w, r, p.Org.ID)
}
