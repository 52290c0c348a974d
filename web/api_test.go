package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/web"
)

type caller struct {
	t      *testing.T
	url    string
	secret string
}

func (c caller) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if c.secret != "" {
		req.Header.Set("Authorization", "Bearer "+c.secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		c.t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, v
}

func TestAdminAPI(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, opSecret, _, err := st.EnsureOperator(dragnet.SystemContext(ctx), "operator", "ZZ")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.NewAPI(st, auth.New(st, auth.Options{}), nil))
	defer srv.Close()
	op := caller{t, srv.URL, opSecret}

	if code, v := op.do("POST", "/api/v1/orgs", map[string]any{"name": "polizia", "country": "IT", "kind": "law-enforcement"}); code != 201 || v["identity"] == "" {
		t.Fatalf("operator creating an org: %d %v", code, v)
	}
	if code, v := op.do("POST", "/api/v1/orgs", map[string]any{"name": "bad", "country": "QQ"}); code != 400 || v["code"] != dragnet.EINVALID {
		t.Fatalf("org with a bad country: %d %v", code, v)
	}
	if code, v := op.do("POST", "/api/v1/orgs", map[string]any{"name": "x", "country": "IT", "colour": "red"}); code != 400 {
		t.Fatalf("unknown field: %d %v", code, v)
	}
	op.do("POST", "/api/v1/orgs", map[string]any{"name": "ncsc", "country": "NL", "kind": "cert"})
	code, v := op.do("POST", "/api/v1/tokens", map[string]any{"org": "polizia", "role": "admin"})
	if code != 201 || v["token"] == nil {
		t.Fatalf("operator creating a token: %d %v", code, v)
	}
	admin := caller{t, srv.URL, v["token"].(string)}

	// An organisation admin manages its own tokens and nothing else.
	code, v = admin.do("POST", "/api/v1/tokens", map[string]any{"role": "read", "label": "sensor"})
	if code != 201 || v["org"] != "polizia" {
		t.Fatalf("org admin creating its own token: %d %v", code, v)
	}
	reader := caller{t, srv.URL, v["token"].(string)}
	readerID := v["id"]
	if code, _ := admin.do("POST", "/api/v1/tokens", map[string]any{"org": "ncsc", "role": "admin"}); code != 403 {
		t.Fatalf("org admin creating another org's token: %d", code)
	}
	if code, _ := admin.do("POST", "/api/v1/orgs", map[string]any{"name": "rogue", "country": "IT"}); code != 403 {
		t.Fatalf("org admin creating an org: %d", code)
	}
	if code, _ := reader.do("GET", "/api/v1/tokens", nil); code != 403 {
		t.Fatalf("read token listing tokens: %d", code)
	}
	if code, v := admin.do("GET", "/api/v1/tokens", nil); code != 200 || len(v["tokens"].([]any)) != 2 {
		t.Fatalf("org admin listing its tokens: %d %v", code, v)
	}
	if code, v := reader.do("GET", "/api/v1/whoami", nil); code != 200 || v["organisation"] != "polizia" || v["role"] != "read" {
		t.Fatalf("whoami: %d %v", code, v)
	}
	if code, _ := admin.do("DELETE", "/api/v1/tokens/"+jsonNumber(readerID), nil); code != 200 {
		t.Fatalf("revoking: %d", code)
	}
	if code, v := reader.do("GET", "/api/v1/whoami", nil); code != 401 || v["code"] != dragnet.EUNAUTHORIZED {
		t.Fatalf("revoked token: %d %v", code, v)
	}

	// Groups: the operator nests them; cycles are refused.
	if code, v := op.do("POST", "/api/v1/groups", map[string]any{"name": "europe", "members": []string{"polizia", "ncsc"}}); code != 201 {
		t.Fatalf("creating a group: %d %v", code, v)
	}
	if code, v := op.do("POST", "/api/v1/groups", map[string]any{"name": "world", "members": []string{"europe"}}); code != 201 {
		t.Fatalf("creating a nested group: %d %v", code, v)
	}
	if code, v := op.do("PATCH", "/api/v1/groups/europe/members", map[string]any{"add": []string{"world"}}); code != 400 {
		t.Fatalf("making a cycle: %d %v", code, v)
	}
	if code, v := op.do("PATCH", "/api/v1/groups/world/members", map[string]any{"remove": []string{"europe"}}); code != 200 || len(v["groups"].([]any)) != 0 {
		t.Fatalf("removing a member group: %d %v", code, v)
	}

	// The audit log holds the admin actions, refusals included; an org
	// admin sees only its own organisation's.
	code, v = op.do("GET", "/api/v1/audit", nil)
	if code != 200 {
		t.Fatalf("operator reading audit: %d %v", code, v)
	}
	actions := map[string]int{}
	for _, e := range v["events"].([]any) {
		ev := e.(map[string]any)
		actions[ev["action"].(string)+"/"+ev["outcome"].(string)]++
	}
	for _, want := range []string{"org.create/ok", "org.create/error", "org.create/denied", "token.create/ok", "token.create/denied", "token.revoke/ok", "group.create/ok", "group.members/error", "access.denied/denied"} {
		if actions[want] == 0 {
			t.Errorf("audit lacks %s; has %v", want, actions)
		}
	}
	if actions["org.create/ok"] != 2 {
		t.Errorf("audit has %d org.create/ok events for 2 organisations created", actions["org.create/ok"])
	}
	code, v = admin.do("GET", "/api/v1/audit", nil)
	if code != 200 {
		t.Fatalf("org admin reading audit: %d %v", code, v)
	}
	for _, e := range v["events"].([]any) {
		if org := e.(map[string]any)["org"]; org != "polizia" {
			t.Errorf("org admin sees another organisation's event: %v", e)
		}
	}
	if code, _ := (caller{t, srv.URL, ""}).do("GET", "/api/v1/audit", nil); code != 401 {
		t.Fatalf("anonymous audit: %d", code)
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
