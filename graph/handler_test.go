package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// testServer serves the small world; the X-Org header names the caller
// (1: community only, 3: community and its own audience), as the
// authentication middleware would put a principal in the context.
func testServer(t *testing.T, g *Graph) *httptest.Server {
	access := func(ctx context.Context) (*dragnet.Access, error) {
		p, ok := dragnet.PrincipalFrom(ctx)
		if !ok {
			return nil, dragnet.Errorf(dragnet.EUNAUTHORIZED, "authentication required")
		}
		if p.Org.ID == 3 {
			return orgThree, nil
		}
		return community, nil
	}
	h := NewHandler(func() *Graph { return g }, access, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if org := r.Header.Get("X-Org"); org != "" {
			id := int64(1)
			if org == "3" {
				id = 3
			}
			r = r.WithContext(dragnet.WithPrincipal(r.Context(), dragnet.Principal{Org: &dragnet.Org{ID: id}, Role: dragnet.RoleRead}))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, org, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if org != "" {
		req.Header.Set("X-Org", org)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode
}

func TestHandler(t *testing.T) {
	srv := testServer(t, smallWorld(t))
	var tr struct{ Candidates []Candidate }
	if code := get(t, srv, "3", "/api/v1/graph/trace?from="+incident, &tr); code != 200 || len(tr.Candidates) != 1 || tr.Candidates[0].ID != actor {
		t.Fatalf("trace as org 3: %d %+v", code, tr)
	}
	if code := get(t, srv, "1", "/api/v1/graph/trace?from="+incident, &tr); code != 200 || tr.Candidates[0].ID != intrus {
		t.Fatalf("trace as org 1: %d %+v", code, tr)
	}
	var sg Subgraph
	if code := get(t, srv, "1", "/api/v1/graph/neighbourhood/198.51.100.1?depth=2", &sg); code != 200 || len(sg.Nodes) < 3 {
		t.Fatalf("neighbourhood: %d %+v", code, sg)
	}
	var p struct{ Path []Edge }
	if code := get(t, srv, "1", "/api/v1/graph/path?from="+incident+"&to="+intrus, &p); code != 200 || len(p.Path) != 6 {
		t.Fatalf("path: %d %+v", code, p)
	}
	var cl struct{ Clusters []Cluster }
	if code := get(t, srv, "1", "/api/v1/graph/clusters", &cl); code != 200 || len(cl.Clusters) != 1 {
		t.Fatalf("clusters: %d %+v", code, cl)
	}
	var c Correlation
	if code := get(t, srv, "1", "/api/v1/correlate/ipv4:198.51.100.2", &c); code != 200 || !c.CrossBorder {
		t.Fatalf("correlate: %d %+v", code, c)
	}
	var ev struct{ Events []CrossBorderEvent }
	if code := get(t, srv, "1", "/api/v1/correlate?since=2020-01-01T00:00:00Z", &ev); code != 200 || len(ev.Events) == 0 {
		t.Fatalf("cross-border: %d %+v", code, ev)
	}
	for _, c := range []struct {
		org, path string
		code      int
		msg       string
	}{
		{"1", "/api/v1/graph/neighbourhood/" + actor, 404, "not found"},
		{"1", "/api/v1/correlate/" + actor, 404, "not found"},
		{"1", "/api/v1/graph/neighbourhood/" + botA + "?depth=9", 400, "depth"},
		{"1", "/api/v1/graph/trace", 400, "from"},
		{"1", "/api/v1/graph/path?from=" + incident, 400, "from and to"},
		{"1", "/api/v1/correlate?since=yesterday", 400, "since"},
		{"", "/api/v1/graph/clusters", 401, "authentication"},
	} {
		var e struct{ Error, Code string }
		if code := get(t, srv, c.org, c.path, &e); code != c.code || !strings.Contains(e.Error, c.msg) {
			t.Errorf("GET %s: %d %+v, want %d with %q", c.path, code, e, c.code, c.msg)
		}
	}
	none := NewHandler(func() *Graph { return nil }, func(context.Context) (*dragnet.Access, error) { return community, nil }, nil)
	rec := httptest.NewRecorder()
	none.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/graph/clusters", nil))
	if rec.Code != 503 {
		t.Fatalf("no graph yet: %d", rec.Code)
	}
}

var neighbourhoodParams = []struct {
	query string
	ok    bool
}{
	{"", true},
	{"depth=3&types=ipv4-addr,indicator&limit=50", true},
	{"since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z&provenance=true", true},
	{"depth=0", false},
	{"depth=7", false},
	{"depth=two", false},
	{"limit=-1", false},
	{"types=a,,b", false},
	{"since=2026-01-01", false},
	{"since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", false},
	{"provenance=maybe", false},
}

func TestParseNeighbourhoodQuery(t *testing.T) {
	for _, c := range neighbourhoodParams {
		v, _ := url.ParseQuery(c.query)
		q, err := ParseNeighbourhoodQuery(v)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v, want ok=%v", c.query, err, c.ok)
		}
		if err != nil && dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("%q: %v is not EINVALID", c.query, err)
		}
		if c.query == "depth=3&types=ipv4-addr,indicator&limit=50" && (q.Depth != 3 || len(q.Types) != 2 || q.Limit != 50) {
			t.Errorf("%q: %+v", c.query, q)
		}
	}
}

func FuzzParseNeighbourhoodQuery(f *testing.F) {
	for _, c := range neighbourhoodParams {
		f.Add(c.query)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		q, err := ParseNeighbourhoodQuery(v)
		if err != nil {
			if dragnet.ErrorCode(err) != dragnet.EINVALID {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if q.Depth < 1 || q.Depth > 6 || q.Limit < 1 || q.Limit > 100_000 {
			t.Fatalf("%q: out of range %+v", s, q)
		}
	})
}
