package export_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/export"
	"github.com/dragnet-intel/dragnet/feed/csv"
)

func TestHandler(t *testing.T) {
	db := newStore(t)
	m := newMember(t, db, "CERT-FR")
	m.load(t, db, &csv.Decoder{}, []byte("198.51.100.9\nevil.example\n"), dragnet.TLPGreen)
	m.load(t, db, &csv.Decoder{}, []byte("198.51.100.10\n"), dragnet.TLPAmber)
	secret, _, err := db.CreateToken(dragnet.SystemContext(context.Background()), "CERT-FR", dragnet.RoleRead, "sensor", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(export.NewHandler(db, auth.New(db, auth.Options{}), nil))
	defer srv.Close()
	get := func(query, token string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/export?"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("format=plain", secret)
	if res.StatusCode != 200 || body != "evil.example\n198.51.100.10\n198.51.100.9\n" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("plain: %d %q %s", res.StatusCode, body, res.Header.Get("Content-Type"))
	}
	if res, body = get("format=zeek&type=domain&share=1", secret); res.StatusCode != 200 || !strings.Contains(body, "evil.example\tIntel::DOMAIN") || strings.Contains(body, "198.51") {
		t.Errorf("zeek: %d %q", res.StatusCode, body)
	}
	if res, body = get("format=plain&share=true", secret); body != "evil.example\n198.51.100.9\n" {
		t.Errorf("shared export holds AMBER: %q", body)
	}
	if res, _ = get("format=plain", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", res.StatusCode)
	}
	if res, body = get("format=plain&share=1&tlp_max=red", secret); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "TLP:GREEN") {
		t.Errorf("share with red: %d %s", res.StatusCode, body)
	}
	if res, _ = get("format=stix", secret); res.Header.Get("Content-Type") != "application/stix+json;version=2.1" {
		t.Errorf("stix content type %q", res.Header.Get("Content-Type"))
	}
	evs, err := db.AuditEvents(dragnet.SystemContext(context.Background()), dragnet.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "export" {
			n++
		}
	}
	if n < 4 {
		t.Errorf("%d export audit records, want one per export", n)
	}
}
