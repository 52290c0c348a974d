package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// run runs the real program with args and returns its standard output.
func run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.DiscardHandler)}
	if err := m.Run(context.Background(), args); err != nil {
		t.Fatalf("dragnet %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// runErr runs the program and returns its error.
func runErr(args ...string) error {
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.DiscardHandler)}
	return m.Run(context.Background(), args)
}

// serve starts `dragnet serve` on a free loopback port and returns its base
// URL and standard output; the server stops when the test ends.
func serve(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	out := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.DiscardHandler), listening: func(a net.Addr) { addrc <- a }}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrc:
		return "http://" + a.String(), out
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

// syncBuffer is a buffer the server writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type client struct {
	t          *testing.T
	base       string
	org, token string
}

const taxiiType = "application/taxii+json;version=2.1"

func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.SetBasicAuth(c.org, c.token)
	}
	if strings.HasPrefix(path, "/taxii2/") {
		req.Header.Set("Accept", taxiiType)
		if body != nil {
			req.Header.Set("Content-Type", taxiiType)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

// collection returns the TAXII collection path of the collection titled title.
func (c *client) collection(title string) string {
	c.t.Helper()
	code, disc := c.do("GET", "/taxii2/", nil)
	if code != 200 {
		c.t.Fatalf("discovery: %d %v", code, disc)
	}
	roots, _ := disc["api_roots"].([]any)
	if len(roots) == 0 {
		c.t.Fatalf("discovery has no api_roots: %v", disc)
	}
	root := roots[0].(string)
	if i := strings.Index(root, "/taxii2/"); i >= 0 {
		root = root[i:]
	}
	code, cols := c.do("GET", root+"collections/", nil)
	if code != 200 {
		c.t.Fatalf("collections: %d %v", code, cols)
	}
	list, _ := cols["collections"].([]any)
	for _, x := range list {
		col := x.(map[string]any)
		if col["title"] == title {
			return root + "collections/" + col["id"].(string) + "/"
		}
	}
	return ""
}

// post POSTs objects to a collection and waits for the status to
// complete, returning it.
func (c *client) post(collection string, objs ...any) (int, map[string]any) {
	c.t.Helper()
	code, st := c.do("POST", collection+"objects/", map[string]any{"objects": objs})
	if code != 202 {
		return code, st
	}
	root := collection[:strings.Index(collection, "collections/")]
	for i := 0; st["status"] != "complete"; i++ {
		if i == 500 {
			c.t.Fatalf("status never completed: %v", st)
		}
		time.Sleep(10 * time.Millisecond)
		if code, st = c.do("GET", root+"status/"+st["id"].(string)+"/", nil); code != 200 {
			c.t.Fatalf("GET status: %d %v", code, st)
		}
	}
	return 202, st
}

func indicator(id, value string, markings ...string) map[string]any {
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id,
		"created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
		"name": "C2 " + value, "pattern": fmt.Sprintf("[ipv4-addr:value = '%s']", value),
		"pattern_type": "stix", "valid_from": "2026-11-01T10:00:00Z",
	}
	if len(markings) > 0 {
		o["object_marking_refs"] = markings
	}
	return o
}

// TestExchange runs the real program end to end: three organisations in
// three countries and a group, set up with the admin commands while the
// server runs, publishing and reading over TAXII with the sharing rules
// holding.
func TestExchange(t *testing.T) {
	dir := t.TempDir()
	base, out := serve(t, "--data", dir, "--graph-refresh", "200ms")
	if !strings.Contains(out.String(), "dgt_") {
		t.Fatalf("first start printed no admin token:\n%s", out.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	run(t, "org", "add", "--data", dir, "--name", "bka", "--country", "DE", "--kind", "law-enforcement")
	run(t, "org", "add", "--data", dir, "--name", "cert-fr", "--country", "fr", "--kind", "cert")
	run(t, "org", "add", "--data", dir, "--name", "acme-labs", "--country", "US", "--kind", "vendor")
	if err := runErr("org", "add", "--data", dir, "--name", "nowhere", "--country", "XX"); err == nil {
		t.Fatal("org add accepted country XX")
	}
	run(t, "group", "add", "--data", dir, "--name", "eu-le", "--members", "bka,cert-fr")
	bka := &client{t, base, "bka", strings.TrimSpace(run(t, "token", "add", "--data", dir, "--org", "bka", "--role", "write"))}
	fr := &client{t, base, "cert-fr", strings.TrimSpace(run(t, "token", "add", "--data", dir, "--org", "cert-fr", "--role", "read"))}
	us := &client{t, base, "acme-labs", strings.TrimSpace(run(t, "token", "add", "--data", dir, "--org", "acme-labs", "--role", "write"))}
	anon := &client{t: t, base: base}

	if code, _ := anon.do("GET", "/taxii2/", nil); code != 401 {
		t.Fatalf("anonymous discovery: %d, want 401", code)
	}
	if code, _ := (&client{t, base, "bka", "dgt_wrong"}).do("GET", "/taxii2/", nil); code != 401 {
		t.Fatalf("bad token: %d, want 401", code)
	}

	community := bka.collection("community")
	group := bka.collection("eu-le")
	if community == "" || group == "" {
		t.Fatalf("bka's collections missing: community %q, eu-le %q", community, group)
	}
	if us.collection("eu-le") != "" {
		t.Fatal("acme-labs sees the eu-le collection")
	}

	pub := indicator("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "198.51.100.7")
	red := indicator("indicator--1f0e8c7a-5b4d-4e3f-8a2b-9c8d7e6f5a4b", "203.0.113.9", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")
	for _, tc := range []struct {
		path string
		obj  map[string]any
	}{{community, pub}, {group, red}} {
		code, st := bka.post(tc.path, tc.obj)
		if code != 202 || st["success_count"] != float64(1) {
			t.Fatalf("POST %s: %d %v", tc.path, code, st)
		}
	}
	code, st := bka.post(community, red)
	if code != 202 || st["failure_count"] != float64(1) {
		t.Fatalf("TLP:RED into the community: %d %v, want one failure", code, st)
	}
	if code, _ := fr.do("POST", group+"objects/", map[string]any{"objects": []any{pub}}); code != 403 {
		t.Fatalf("read token POST: %d, want 403", code)
	}

	if code, page := us.do("GET", community+"objects/", nil); code != 200 || len(objects(page)) == 0 {
		t.Fatalf("acme-labs reading the community: %d %v", code, page)
	}
	if code, page := fr.do("GET", group+"objects/", nil); code != 200 || len(objects(page)) != 1 {
		t.Fatalf("cert-fr reading eu-le: %d %v", code, page)
	}
	code404a, _ := us.do("GET", group+"objects/", nil)
	code404b, _ := us.do("GET", strings.Replace(group, group[len(group)-13:len(group)-1], "000000000000", 1)+"objects/", nil)
	if code404a != 404 || code404b != 404 {
		t.Fatalf("outsider reading eu-le: %d, a missing collection: %d; want 404 for both", code404a, code404b)
	}

	// A membership change applies at once, without a restart.
	run(t, "group", "members", "--data", dir, "--name", "eu-le", "--add", "acme-labs")
	if code, page := us.do("GET", group+"objects/", nil); code != 200 || len(objects(page)) != 1 {
		t.Fatalf("acme-labs after joining eu-le: %d %v", code, page)
	}
	run(t, "group", "members", "--data", dir, "--name", "eu-le", "--remove", "acme-labs")
	if code, _ := us.do("GET", group+"objects/", nil); code != 404 {
		t.Fatalf("acme-labs after leaving eu-le: %d, want 404", code)
	}

	// Sensors pull exports over HTTP: the group's TLP:RED indicator goes
	// into a file only when asked for by name, never into one meant for
	// sharing, and outsiders get nothing of it.
	for _, tc := range []struct {
		c       *client
		query   string
		want    []string
		wantNot []string
	}{
		{bka, "format=plain", []string{"198.51.100.7"}, []string{"203.0.113.9"}},
		{bka, "format=plain&tlp_max=red", []string{"198.51.100.7", "203.0.113.9"}, nil},
		{bka, "format=plain&share=true", []string{"198.51.100.7"}, []string{"203.0.113.9"}},
		{us, "format=plain", []string{"198.51.100.7"}, []string{"203.0.113.9"}},
	} {
		req, _ := http.NewRequest("GET", base+"/api/v1/export?"+tc.query, nil)
		req.SetBasicAuth(tc.c.org, tc.c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("export %s as %s: %d %s", tc.query, tc.c.org, resp.StatusCode, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("export %s as %s lacks %s:\n%s", tc.query, tc.c.org, w, body)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(string(body), w) {
				t.Errorf("export %s as %s leaks %s:\n%s", tc.query, tc.c.org, w, body)
			}
		}
	}

	// Matching telemetry: each member meets only the indicators it may
	// see. The matcher follows the store within about a second.
	matched := func(c *client) string {
		req, _ := http.NewRequest("POST", base+"/api/v1/match?format=plain", strings.NewReader("10.1.1.1\n198.51.100.7\n203.0.113.9\n"))
		req.SetBasicAuth(c.org, c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			Results []struct {
				Line  int    `json:"line"`
				Value string `json:"value"`
			} `json:"results"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&v) != nil {
			t.Fatalf("match as %s: %d", c.org, resp.StatusCode)
		}
		var got []string
		for _, r := range v.Results {
			got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Value))
		}
		return strings.Join(got, " ")
	}
	deadline := time.Now().Add(10 * time.Second)
	for matched(bka) != "2:198.51.100.7 3:203.0.113.9" {
		if time.Now().After(deadline) {
			t.Fatalf("bka's matches: %q", matched(bka))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := matched(us); got != "2:198.51.100.7" {
		t.Fatalf("acme-labs's matches: %q, want only the community indicator", got)
	}

	// Correlation answers who reported a value, counting only what the
	// caller may see: the group's TLP:RED report stays inside the group.
	correlate := func(c *client, value string, tries int) string {
		for i := 0; ; i++ {
			req, _ := http.NewRequest("GET", base+"/api/v1/correlate/"+value, nil)
			req.SetBasicAuth(c.org, c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(body), `"country":"DE"`) {
				return string(body)
			}
			if i >= tries {
				return fmt.Sprintf("%d %s", resp.StatusCode, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if got := correlate(bka, "ipv4:203.0.113.9", 100); !strings.Contains(got, `"country":"DE"`) {
		t.Fatalf("bka correlating its own RED report: %s", got)
	}
	if got := correlate(us, "ipv4:198.51.100.7", 100); !strings.Contains(got, `"country":"DE"`) {
		t.Fatalf("acme-labs correlating the community report: %s", got)
	}
	// The graph that answered bka holds the RED report; to an outsider the
	// value is as unknown as one nobody reported.
	unknown := correlate(us, "ipv4:192.0.2.200", 0)
	if got := correlate(us, "ipv4:203.0.113.9", 0); strings.Contains(got, `"country":"DE"`) || strings.Replace(got, "203.0.113.9", "192.0.2.200", 1) != unknown {
		t.Errorf("unknown value answers %s", unknown)
		t.Fatalf("acme-labs learns of the group's RED report: %s", got)
	}

	// Revoked tokens stop working at once.
	var id string
	for _, line := range strings.Split(strings.TrimSpace(run(t, "token", "list", "--data", dir, "--org", "cert-fr")), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		id = fmt.Sprint(v["id"])
	}
	run(t, "token", "revoke", "--data", dir, "--id", id)
	if code, _ := fr.do("GET", "/taxii2/", nil); code != 401 {
		t.Fatalf("revoked token: %d, want 401", code)
	}

	// The audit log holds the refused accesses.
	if !strings.Contains(run(t, "audit", "--data", dir), "access.denied") {
		t.Fatal("audit log has no refused access")
	}
}

func objects(page map[string]any) []any {
	l, _ := page["objects"].([]any)
	return l
}
