package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet/alert"
)

// hookEvents receives signed webhook posts, verifying each signature.
func hookEvents(t *testing.T, secret string) (string, <-chan alert.Event) {
	ch := make(chan alert.Event, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := alert.Verify([]byte(secret), r.Header.Get(alert.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e alert.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		ch <- e
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// streamEvents opens the caller's alert stream and delivers its events.
func (c *client) streamEvents(ctx context.Context) <-chan alert.Event {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/alerts/stream", nil)
	req.SetBasicAuth(c.org, c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		c.t.Fatalf("stream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan alert.Event, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e alert.Event
				if json.Unmarshal([]byte(data), &e) == nil {
					ch <- e
				}
			}
		}
	}()
	return ch
}

func waitEvent(t *testing.T, what string, ch <-chan alert.Event) alert.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no event", what)
	}
	return alert.Event{}
}

func noEvent(t *testing.T, what string, ch <-chan alert.Event, d time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("%s: unexpected event %+v", what, e)
	case <-time.After(d):
	}
}

// TestAlerts runs the real program: members subscribe through the JSON
// API, another member publishes over TAXII, and the subscriber receives
// the signed webhook and the stream event; a TLP:RED report in a group
// alerts the group's members and never an outsider.
func TestAlerts(t *testing.T) {
	dir := t.TempDir()
	// The webhook receivers are on loopback, which serve refuses unless told.
	base, _ := serve(t, "--data", dir, "--graph-refresh", "1h", "--alert-private-webhooks")
	run(t, "org", "add", "--data", dir, "--name", "bka", "--country", "DE")
	run(t, "org", "add", "--data", dir, "--name", "cert-fr", "--country", "FR")
	run(t, "org", "add", "--data", dir, "--name", "acme-labs", "--country", "US")
	run(t, "group", "add", "--data", dir, "--name", "eu-le", "--members", "bka,cert-fr")
	tok := func(org, role string) *client {
		return &client{t, base, org, strings.TrimSpace(run(t, "token", "add", "--data", dir, "--org", org, "--role", role))}
	}
	bka, fr, us, bkaRead := tok("bka", "write"), tok("cert-fr", "write"), tok("acme-labs", "write"), tok("bka", "read")

	const secret = "bka-webhook-secret-0123"
	hookURL, hook := hookEvents(t, secret)
	usHookURL, usHook := hookEvents(t, "acme-webhook-secret-0123")

	code, sub := bka.do("POST", "/api/v1/alerts/subscriptions", map[string]any{
		"kind": "value", "key": "ipv4:198.51.100.7", "webhook_url": hookURL, "webhook_secret": secret})
	if code != 201 || sub["id"] == nil || sub["webhook_secret"] != nil {
		t.Fatalf("subscribe: %d %v", code, sub)
	}
	for _, c := range []struct {
		who  *client
		body any
		want int
	}{
		{bka, map[string]any{"kind": "value", "key": "198.51.100.7"}, 400},
		{bka, map[string]any{"kind": "value", "key": "ipv4:198.51.100.7", "colour": "red"}, 400},
		{bka, map[string]any{"kind": "country", "key": "DE", "webhook_url": "http://x.example/", "webhook_secret": "short"}, 400},
		{bkaRead, map[string]any{"kind": "sighting"}, 403},
	} {
		if code, body := c.who.do("POST", "/api/v1/alerts/subscriptions", c.body); code != c.want {
			t.Errorf("subscribe %v as %s: %d %v, want %d", c.body, c.who.org, code, body, c.want)
		}
	}
	// Both bka and the outsider want to hear of 203.0.113.9.
	if code, body := bka.do("POST", "/api/v1/alerts/subscriptions", map[string]any{"kind": "value", "key": "ipv4:203.0.113.9"}); code != 201 {
		t.Fatalf("bka subscribes: %d %v", code, body)
	}
	if code, body := us.do("POST", "/api/v1/alerts/subscriptions", map[string]any{"kind": "value", "key": "ipv4:203.0.113.9",
		"webhook_url": usHookURL, "webhook_secret": "acme-webhook-secret-0123"}); code != 201 {
		t.Fatalf("acme-labs subscribes: %d %v", code, body)
	}
	code, list := bkaRead.do("GET", "/api/v1/alerts/subscriptions", nil)
	if subs, _ := list["subscriptions"].([]any); code != 200 || len(subs) != 2 || strings.Contains(toJSON(list), secret) {
		t.Fatalf("bka's subscriptions: %d %v", code, list)
	}
	id := int64(sub["id"].(float64))
	if code, _ := us.do("GET", "/api/v1/alerts/subscriptions/"+strconv.FormatInt(id, 10), nil); code != 404 {
		t.Errorf("acme-labs reads bka's subscription: %d, want 404", code)
	}
	if code, _ := us.do("DELETE", "/api/v1/alerts/subscriptions/"+strconv.FormatInt(id, 10), nil); code != 404 {
		t.Errorf("acme-labs deletes bka's subscription: %d, want 404", code)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := bka.streamEvents(ctx)
	usStream := us.streamEvents(ctx)

	if code, st := fr.post(fr.collection("community"), indicator("indicator--5d1c3b2a-0f9e-4d8c-8b7a-6a5f4e3d2c1b", "198.51.100.7")); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("cert-fr publishes: %d %v", code, st)
	}
	e := waitEvent(t, "webhook", hook)
	if e.Kind != "value" || e.Key != "ipv4:198.51.100.7" || e.Subscription != id {
		t.Fatalf("webhook event %+v", e)
	}
	if d, _ := e.Detail.(map[string]any); d["object_id"] != "indicator--5d1c3b2a-0f9e-4d8c-8b7a-6a5f4e3d2c1b" || d["reported_by"] != "cert-fr" {
		t.Errorf("webhook detail %+v", e.Detail)
	}
	if e := waitEvent(t, "stream", stream); e.Kind != "value" || e.Key != "ipv4:198.51.100.7" {
		t.Fatalf("stream event %+v", e)
	}

	red := indicator("indicator--6e2d4c3b-1a0f-4e9d-9c8b-7b6a5f4e3d2c", "203.0.113.9", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")
	if code, st := fr.post(fr.collection("eu-le"), red); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("cert-fr publishes TLP:RED to eu-le: %d %v", code, st)
	}
	if e := waitEvent(t, "bka's stream, TLP:RED in its group", stream); e.Key != "ipv4:203.0.113.9" {
		t.Fatalf("stream event %+v", e)
	}
	noEvent(t, "acme-labs' stream", usStream, time.Second)
	noEvent(t, "acme-labs' webhook", usHook, 100*time.Millisecond)
	noEvent(t, "bka's webhook (the stream-only subscription)", hook, 100*time.Millisecond)

	// Deleting the subscription stops its webhook.
	if code, _ := bka.do("DELETE", "/api/v1/alerts/subscriptions/"+strconv.FormatInt(id, 10), nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, st := fr.post(fr.collection("community"), indicator("indicator--7f3e5d4c-2b1a-4f0e-8d9c-8c7b6a5f4e3d", "198.51.100.7")); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("cert-fr publishes again: %d %v", code, st)
	}
	noEvent(t, "webhook after unsubscribing", hook, 1500*time.Millisecond)

	// Cross-border: bka reported 192.0.2.55; when cert-fr reports it too,
	// bka hears of it at once, and the correlation API shows both reports,
	// long before the next rebuild of the graph (an hour away).
	if code, body := bka.do("POST", "/api/v1/alerts/subscriptions", map[string]any{"kind": "cross-border"}); code != 201 {
		t.Fatalf("cross-border subscription: %d %v", code, body)
	}
	if code, st := bka.post(bka.collection("community"), indicator("indicator--8a4f6e5d-3c2b-4a1f-9e0d-9d8c7b6a5f4e", "192.0.2.55")); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("bka publishes: %d %v", code, st)
	}
	noEvent(t, "bka's stream, one country only", stream, time.Second)
	if code, st := fr.post(fr.collection("community"), indicator("indicator--9b5a7f6e-4d3c-4b2a-8f1e-ae9d8c7b6a5f", "192.0.2.55")); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("cert-fr publishes: %d %v", code, st)
	}
	e = waitEvent(t, "cross-border", stream)
	if d, _ := e.Detail.(map[string]any); e.Kind != "cross-border" || e.Key != "ipv4:192.0.2.55" || toJSON(d["countries"]) != `["DE","FR"]` {
		t.Fatalf("cross-border event %+v", e)
	}
	code, corr := us.do("GET", "/api/v1/correlate/192.0.2.55", nil)
	if reports, _ := corr["reports"].([]any); code != 200 || len(reports) != 2 || corr["cross_border"] != true {
		t.Fatalf("correlation before any rebuild: %d %v", code, corr)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
