package alert

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"kind":"cross-border"}`)
	sig := Sign(secret, now, body)
	if err := Verify(secret, sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		at     time.Time
		code   string
	}{
		{"tampered body", secret, sig, []byte(`{"kind":"value"}`), now, dragnet.EUNAUTHORIZED},
		{"wrong secret", []byte("other"), sig, body, now, dragnet.EUNAUTHORIZED},
		{"stale", secret, sig, body, now.Add(time.Hour), dragnet.EUNAUTHORIZED},
		{"from the future", secret, sig, body, now.Add(-time.Hour), dragnet.EUNAUTHORIZED},
		{"no v1", secret, "t=1800000000", body, now, dragnet.EINVALID},
		{"bad time", secret, "t=soon,v1=00", body, now, dragnet.EINVALID},
		{"bad hex", secret, "t=1800000000,v1=zz", body, now, dragnet.EINVALID},
		{"no pairs", secret, "garbage", body, now, dragnet.EINVALID},
	} {
		if err := Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); dragnet.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1800000000,v1=00ff", []byte("{}"))
	f.Add("garbage", []byte(""))
	f.Add(Sign([]byte("k"), time.Unix(1_800_000_000, 0), []byte("{}")), []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify([]byte("k"), header, body, time.Unix(1_800_000_000, 0), time.Minute)
		if err != nil && dragnet.ErrorCode(err) != dragnet.EINVALID && dragnet.ErrorCode(err) != dragnet.EUNAUTHORIZED {
			t.Fatalf("%q: %v", header, err)
		}
	})
}

func TestWebhook(t *testing.T) {
	secret := []byte("hook-secret")
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header.Get(SignatureHeader), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e Event
		_ = json.Unmarshal(body, &e)
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer srv.Close()
	h := NewHub(srv.Client(), nil, nil)
	if err := h.AddWebhook(Webhook{OrgID: 7, URL: srv.URL, Secret: secret, Kinds: []string{"cross-border"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.AddWebhook(Webhook{OrgID: 8, URL: srv.URL, Secret: []byte("wrong")}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.Publish(ctx, Event{ID: "1", Kind: "cross-border", OrgID: 7, Key: "ipv4:198.51.100.1"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(ctx, Event{ID: "2", Kind: "value", OrgID: 7}); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(ctx, Event{ID: "3", Kind: "value", OrgID: 8}); err == nil {
		t.Fatal("a webhook that refused the signature did not fail")
	}
	if len(got) != 1 || got[0].ID != "1" || got[0].Key != "ipv4:198.51.100.1" {
		t.Fatalf("webhook received %+v", got)
	}
	for _, w := range []Webhook{{URL: "ftp://x", Secret: secret}, {URL: srv.URL}} {
		if err := h.AddWebhook(w); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("AddWebhook(%+v): %v", w, err)
		}
	}
}

func TestStream(t *testing.T) {
	h := NewHub(nil, nil, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeStream(w, r, 7) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q", line)
	}
	for h.Listeners(7) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_ = h.Publish(context.Background(), Event{ID: "9", Kind: "other-org", OrgID: 8})
	_ = h.Publish(context.Background(), Event{ID: "10", Kind: "cross-border", OrgID: 7, Key: "domain:evil.example"})
	var lines []string
	for len(lines) < 3 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	if lines[0] != "id: 10" || lines[1] != "event: cross-border" || !strings.Contains(lines[2], "evil.example") {
		t.Fatalf("stream: %q", lines)
	}
	cancel()
	for h.Listeners(7) != 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCrossBorderAlerts(t *testing.T) {
	raw := func(id, ip string) []byte {
		return []byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"` + id + `","value":"` + ip + `"}`)
	}
	ind := func(id, ip string) []byte {
		return []byte(`{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '` + ip + `']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`)
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	b := graph.NewBuilder(graph.Options{})
	for _, r := range []graph.Record{
		{ID: "ipv4-addr--00000000-0000-4000-8000-000000000001", AudienceID: 1, OrgID: 7, Country: "DE", DateAdded: day(1), Raw: raw("ipv4-addr--00000000-0000-4000-8000-000000000001", "198.51.100.1")},
		{ID: "indicator--00000000-0000-4000-8000-000000000002", AudienceID: 1, OrgID: 8, Country: "FR", DateAdded: day(3), Raw: ind("indicator--00000000-0000-4000-8000-000000000002", "198.51.100.1")},
		{ID: "indicator--00000000-0000-4000-8000-000000000003", AudienceID: 1, OrgID: 8, Country: "FR", DateAdded: day(3), Raw: ind("indicator--00000000-0000-4000-8000-000000000003", "198.51.100.2")},
		{ID: "indicator--00000000-0000-4000-8000-000000000004", AudienceID: 2, OrgID: 9, Country: "BR", DateAdded: day(4), Raw: ind("indicator--00000000-0000-4000-8000-000000000004", "198.51.100.2")},
	} {
		if err := b.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	g := b.Build()
	org7 := &dragnet.Access{OrgID: 7, Audiences: []int64{1}}
	ev := CrossBorder(g, org7, 7, day(2))
	if len(ev) != 1 || ev[0].Key != "ipv4:198.51.100.1" || ev[0].OrgID != 7 || ev[0].Kind != "cross-border" {
		t.Fatalf("org 7's alerts: %+v", ev)
	}
	// Org 8 reported .2 too, but the Brazilian report is in an audience
	// it cannot see: no alert, and nothing about it.
	org8 := &dragnet.Access{OrgID: 8, Audiences: []int64{1}}
	if ev := CrossBorder(g, org8, 8, day(2)); len(ev) != 1 || ev[0].Key != "ipv4:198.51.100.1" {
		t.Fatalf("org 8's alerts: %+v", ev)
	}
	if ev := CrossBorder(g, &dragnet.Access{OrgID: 8, Audiences: []int64{1, 2}}, 8, day(2)); len(ev) != 2 {
		t.Fatalf("org 8 seeing both audiences: %+v", ev)
	}
}

func TestWebhookClientRefusesPrivate(t *testing.T) {
	for addr, public := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "127.0.0.1": false, "::1": false, "10.1.2.3": false,
		"192.168.1.1": false, "169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false,
		"100.64.0.1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false, "198.18.0.1": false,
	} {
		if got := PublicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("PublicAddr(%s) = %v", addr, got)
		}
	}
	var hit bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer srv.Close()
	h := NewHub(WebhookClient(false), nil, nil)
	if err := h.AddWebhook(Webhook{OrgID: 1, URL: srv.URL, Secret: []byte("k")}); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(context.Background(), Event{ID: "1", OrgID: 1}); err == nil || hit {
		t.Fatalf("a webhook on loopback was posted to: %v", err)
	}
	h = NewHub(WebhookClient(true), nil, nil)
	_ = h.AddWebhook(Webhook{OrgID: 1, URL: srv.URL, Secret: []byte("k")})
	if err := h.Publish(context.Background(), Event{ID: "2", OrgID: 1}); err != nil || !hit {
		t.Fatalf("allowed private webhook: %v", err)
	}
}
