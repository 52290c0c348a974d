// Package alert tells members what changed about what they care for: a
// value, an actor or a country of theirs, a cross-border correlation
// involving their reports, a sighting of their indicators. Alerts go out
// by webhook, signed with HMAC-SHA256, and as a server-sent-events stream.
//
// Alerts are computed for one organisation through its own Access (see
// CrossBorder), so an alert never says more than its recipient may see.
package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Event is one alert for one organisation.
type Event struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"` // "cross-border", "value", "actor", "country", "sighting"
	OrgID  int64     `json:"org_id"`
	Time   time.Time `json:"time"`
	Key    string    `json:"key"` // the value, actor id or country it is about
	Detail any       `json:"detail,omitempty"`
	// Subscription is the subscription the event answers (0: none); its
	// webhook alone receives it.
	Subscription int64 `json:"subscription,omitempty"`
}

// Webhook is where an organisation wants its alerts posted.
type Webhook struct {
	OrgID        int64
	Subscription int64 // when not 0, only that subscription's events are posted here
	URL          string
	Secret       []byte
	Kinds        []string // empty: every kind
}

// SignatureHeader carries the signature of a webhook body.
const SignatureHeader = "X-Dragnet-Signature"

// Sign returns the signature header value of body sent at t:
// "t=UNIX,v1=HEX" where HEX is HMAC-SHA256(secret, "UNIX." + body).
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against body: well formed, made with
// secret, and made within tolerance of now (against replays). Errors are
// EINVALID (malformed) or EUNAUTHORIZED (wrong or stale) and say which.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return dragnet.Errorf(dragnet.EINVALID, "signature: %q is not key=value", part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if ts == "" || sig == "" {
		return dragnet.Errorf(dragnet.EINVALID, "signature: needs t= and v1=")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return dragnet.Errorf(dragnet.EINVALID, "signature: t=%q is not a Unix time", ts)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return dragnet.Errorf(dragnet.EINVALID, "signature: v1 is not hexadecimal")
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return dragnet.Errorf(dragnet.EUNAUTHORIZED, "signature does not match")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return dragnet.Errorf(dragnet.EUNAUTHORIZED, "signature made at %s, outside %s of now", time.Unix(unix, 0).UTC().Format(time.RFC3339), tolerance)
	}
	return nil
}

// Hub delivers events to webhooks and to the streams organisations are
// listening on. It is safe for concurrent use.
type Hub struct {
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	claim func(ctx context.Context, id string) (bool, error)

	mu       sync.Mutex
	webhooks []Webhook
	streams  map[int64]map[chan Event]bool
}

// NewHub returns a hub posting with client (nil: a client with a 10 s
// timeout); now is the clock (nil: time.Now).
func NewHub(client *http.Client, log *slog.Logger, now func() time.Time) *Hub {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Hub{client: client, log: log, now: now, streams: map[int64]map[chan Event]bool{}}
}

// AddWebhook registers a webhook. EINVALID for a URL that is not http(s)
// or an empty secret.
func (h *Hub) AddWebhook(w Webhook) error {
	if err := checkWebhook(w); err != nil {
		return err
	}
	h.mu.Lock()
	h.webhooks = append(h.webhooks, w)
	h.mu.Unlock()
	return nil
}

// SetClaim makes the hub post an event's webhooks only when claim(ctx,
// e.ID) says it is the first to claim the event (dragnet.AlertClaimer, for
// nodes sharing a database, which all make the same events). Streams are
// always served: each listener is connected to one node. Call it before
// publishing.
func (h *Hub) SetClaim(claim func(ctx context.Context, id string) (bool, error)) { h.claim = claim }

// SetWebhooks replaces every registered webhook with ws (the webhooks of
// the stored subscriptions, say). Invalid ones are left out and reported
// in the returned error; the valid ones are set all the same.
func (h *Hub) SetWebhooks(ws []Webhook) error {
	var keep []Webhook
	var errs []error
	for _, w := range ws {
		if err := checkWebhook(w); err != nil {
			errs = append(errs, err)
			continue
		}
		keep = append(keep, w)
	}
	h.mu.Lock()
	h.webhooks = keep
	h.mu.Unlock()
	return errors.Join(errs...)
}

// Publish delivers e to its organisation's streams (dropping it for a
// listener too slow to take it) and posts it to its webhooks, and returns
// the first webhook failure (the others are still tried).
func (h *Hub) Publish(ctx context.Context, e Event) error {
	h.mu.Lock()
	for ch := range h.streams[e.OrgID] {
		select {
		case ch <- e:
		default:
			h.log.Warn("alert stream full, event dropped", "org", e.OrgID, "event", e.ID)
		}
	}
	var hooks []Webhook
	for _, w := range h.webhooks {
		if w.OrgID == e.OrgID && (w.Subscription == 0 || w.Subscription == e.Subscription) && (len(w.Kinds) == 0 || contains(w.Kinds, e.Kind)) {
			hooks = append(hooks, w)
		}
	}
	h.mu.Unlock()
	if len(hooks) > 0 && h.claim != nil {
		ok, err := h.claim(ctx, e.ID)
		if err != nil {
			h.log.Warn("claiming an alert failed", "event", e.ID, "err", err)
			return err
		}
		if !ok {
			return nil // another node posts it
		}
	}
	var first error
	for _, w := range hooks {
		if err := h.post(ctx, w, e); err != nil {
			h.log.Warn("webhook failed", "org", w.OrgID, "url", w.URL, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func checkWebhook(w Webhook) error {
	if !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
		return dragnet.Errorf(dragnet.EINVALID, "webhook URL %q is not http(s)", w.URL)
	}
	if len(w.Secret) == 0 {
		return dragnet.Errorf(dragnet.EINVALID, "webhook secret is empty")
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func (h *Hub) post(ctx context.Context, w Webhook, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("posting alert: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.Secret, h.now(), body))
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("posting alert: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting alert: %s answered %s", w.URL, resp.Status)
	}
	return nil
}

// ServeStream streams org's events to w as server-sent events until the
// request ends. Each event is "id: ID", "event: KIND" and "data: JSON".
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request, org int64) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan Event, 64)
	h.mu.Lock()
	if h.streams[org] == nil {
		h.streams[org] = map[chan Event]bool{}
	}
	h.streams[org][ch] = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.streams[org], ch)
		h.mu.Unlock()
	}()
	// A stream outlives the server's write timeout, which is for
	// ordinary answers.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": dragnet alerts\n\n")
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-ch:
			data, err := json.Marshal(e)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, data)
			fl.Flush()
		}
	}
}

// Listeners returns how many streams org has open.
func (h *Hub) Listeners(org int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams[org])
}
