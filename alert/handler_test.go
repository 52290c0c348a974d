package alert

import (
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

func TestParseSubscription(t *testing.T) {
	for _, c := range []struct {
		body, kind, key, code, msg string
	}{
		{body: `{"kind":"value","key":"ipv4:198.51.100.007"}`, code: dragnet.EINVALID, msg: "key"},
		{body: `{"kind":"value","key":"IPv4:198.51.100.7"}`, code: dragnet.EINVALID, msg: "unknown value kind"},
		{body: `{"kind":"value","key":"domain:Evil.Example."}`, kind: "value", key: "domain:evil.example"},
		{body: `{"kind":"actor","key":"intrusion-set--0c7e22ad-b099-4dc3-b0df-2ea3f49ae2e6"}`, kind: "actor", key: "intrusion-set--0c7e22ad-b099-4dc3-b0df-2ea3f49ae2e6"},
		{body: `{"kind":"country","key":" fr "}`, kind: "country", key: "FR"},
		{body: `{"kind":"cross-border","webhook_url":"https://hooks.example.org/x","webhook_secret":"0123456789abcdef"}`, kind: "cross-border"},
		{body: `{"kind":"sighting"}`, kind: "sighting"},
		{body: `{"kind":"sighting"} {}`, code: dragnet.EINVALID, msg: "text after"},
		{body: `{"kind":"sighting","id":4}`, code: dragnet.EINVALID, msg: "set by the server"},
		{body: `{"kind":"sighting","extra":1}`, code: dragnet.EINVALID, msg: "extra"},
		{body: `{"kind":7}`, code: dragnet.EINVALID, msg: "kind must be a string"},
		{body: `{"kind":"sighting"`, code: dragnet.EINVALID, msg: "subscription"},
		{body: `{"kind":"sighting",}`, code: dragnet.EINVALID, msg: "malformed JSON at byte"},
		{body: `[]`, code: dragnet.EINVALID, msg: "subscription"},
		{body: ``, code: dragnet.EINVALID, msg: "subscription"},
		{body: `{"kind":"country","key":"ZZ","webhook_url":"gopher://x"}`, code: dragnet.EINVALID, msg: "webhook_url"},
		{body: `{"kind":"country","key":"ZZ","webhook_url":"https://x.example/","webhook_secret":"` + strings.Repeat("s", 300) + `"}`, code: dragnet.EINVALID, msg: "webhook_secret"},
		{body: `{"kind":"country","key":"` + strings.Repeat("x", 20000) + `"}`, code: dragnet.ETOOLARGE, msg: "larger"},
	} {
		s, err := ParseSubscription([]byte(c.body))
		if c.code != "" {
			if dragnet.ErrorCode(err) != c.code || !strings.Contains(dragnet.ErrorMessage(err), c.msg) {
				t.Errorf("%.60s: %v, want %s mentioning %q", c.body, err, c.code, c.msg)
			}
			continue
		}
		if err != nil || s.Kind != c.kind || s.Key != c.key {
			t.Errorf("%s: %+v %v", c.body, s, err)
		}
	}
}

func FuzzParseSubscription(f *testing.F) {
	for _, s := range []string{`{"kind":"value","key":"ipv4:198.51.100.7"}`, `{"kind":"country","key":"fr"}`,
		`{"kind":"sighting","webhook_url":"https://h.example/","webhook_secret":"0123456789abcdef"}`, `{"kind":7}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSubscription(body)
		if err != nil {
			if c := dragnet.ErrorCode(err); c != dragnet.EINVALID && c != dragnet.ETOOLARGE {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		// What was accepted is already in its normal form.
		again := *s
		if err := again.Validate(); err != nil || again != *s {
			t.Fatalf("%q: accepted %+v, validates again to %+v, %v", body, s, again, err)
		}
	})
}
