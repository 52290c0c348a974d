package match_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/match"
)

func TestHandler(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), nil)
	w.publish(w.a, w.groupID, 2, t0, ip("198.51.100.2"), nil)
	m := match.NewMatcher(w.st, match.MatcherOptions{})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	srv, secret := serveMatch(t, w, m)
	post := func(path, body string, authed bool) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if authed {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := post("/api/v1/match", "198.51.100.1\n198.51.100.2\nnothing\n", true)
	var ans struct {
		Results []match.Result
		Stats   match.Stats
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch: %d %v", resp.StatusCode, err)
	}
	// B sees the community indicator, not the one published to group G.
	if len(ans.Results) != 1 || ans.Results[0].Line != 1 || ans.Results[0].Indicators[0].ID != id(1) || ans.Stats.Values != 2 {
		t.Errorf("batch answer %+v", ans)
	}

	resp = post("/api/v1/match/stream?format=jsonl&fields=src", `{"src":"198.51.100.1"}`+"\n"+`{"src":"10.0.0.1"}`+"\n", true)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 1 || !strings.Contains(lines[0], id(1)) {
		t.Errorf("stream lines %q", lines)
	}

	resp = post("/api/v1/match/stream?format=jsonl&fields=src", "{\"src\":\"198.51.100.1\"}\n{bad\n", true)
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"code":"invalid"`) || !strings.Contains(string(b), "line 2") {
		t.Errorf("stream with a bad line: %s", b)
	}
	if resp := post("/api/v1/match", "198.51.100.1", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated: %d", resp.StatusCode)
	}
	if resp := post("/api/v1/match?format=xml", "x", true); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad format: %d", resp.StatusCode)
	}
	// A JSON body without ?format= is refused, not read as plain values
	// that find nothing; with ?format=jsonl it is telemetry.
	for _, tc := range []struct {
		path, ctype string
		code        int
	}{
		{"/api/v1/match", "application/json", http.StatusBadRequest},
		{"/api/v1/match/stream", "application/x-ndjson; charset=utf-8", http.StatusBadRequest},
		{"/api/v1/match?format=jsonl&fields=src", "application/json", http.StatusOK},
		{"/api/v1/match", "text/plain", http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(`{"src":"198.51.100.1"}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || tc.code != 200 && !strings.Contains(string(b), "?format=jsonl") {
			t.Errorf("%s as %s: %d %s", tc.path, tc.ctype, resp.StatusCode, b)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/match", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode == 200 {
		t.Errorf("GET: %v %v", resp, err)
	}
}

func TestSightings(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), nil)
	m := match.NewMatcher(w.st, match.MatcherOptions{})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	ctx := w.as(w.b)
	own, err := match.OwnCollection(ctx, w.st, w.b)
	if err != nil {
		t.Fatal(err)
	}
	for run, n := range []int{3, 2} {
		s := match.NewSightings()
		in := strings.Repeat("198.51.100.1\n10.0.0.1\n", n)
		if _, err := match.Stream(m, w.access(w.b), strings.NewReader(in), match.FormatPlain, nil, io.Discard, func(r match.Result) error {
			s.Add(r, t0.Add(time.Duration(run)*time.Hour))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if k, err := s.Write(ctx, w.st, w.b, own, t0.Add(time.Duration(run+1)*time.Hour)); err != nil || k != 1 {
			t.Fatalf("run %d: Write = %d, %v", run, k, err)
		}
	}
	sid := match.SightingID(id(1), w.b.IDScope())
	page, err := w.st.Objects(ctx, own, dragnet.Filter{IDs: []string{sid}, Versions: []string{"all"}}, true)
	if err != nil || len(page.Objects) != 2 {
		t.Fatalf("versions of %s: %v, %v", sid, page, err)
	}
	var got struct {
		Count            int
		FirstSeen        string   `json:"first_seen"`
		LastSeen         string   `json:"last_seen"`
		SightingOfRef    string   `json:"sighting_of_ref"`
		WhereSightedRefs []string `json:"where_sighted_refs"`
	}
	json.Unmarshal(page.Objects[1].Raw, &got)
	if got.Count != 5 || got.SightingOfRef != id(1) || got.FirstSeen != "2026-02-01T00:00:00.000Z" || got.LastSeen != "2026-02-01T01:00:00.000Z" ||
		len(got.WhereSightedRefs) != 1 || got.WhereSightedRefs[0] != w.b.Identity {
		t.Errorf("latest sighting %s", page.Objects[1].Raw)
	}
	// A does not see B's sightings.
	if _, err := w.st.Objects(w.as(w.a), own, dragnet.Filter{IDs: []string{sid}}, true); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Errorf("A reads B's sightings: %v", err)
	}
}

// TestHandlerPatterns publishes a complex indicator while the server
// runs and posts JSON lines timed by a named member: after a Refresh the
// pattern hits when its observations are 30 s apart by their own time,
// not when they are 300 s apart (though both are read in an instant).
func TestHandlerPatterns(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	srv, secret := serveMatch(t, w, m)
	p := `([ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'evil.example']) WITHIN 60 SECONDS`
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), map[string]any{"pattern": p, "confidence": 60})
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		second string
		want   int
	}{{"2026-11-01T12:00:30Z", 1}, {"2026-11-01T12:05:00Z", 0}} {
		body := `{"at":"2026-11-01T12:00:00Z","src":"198.51.100.1"}` + "\n" + `{"at":"` + tc.second + `","src":"evil.example"}` + "\n"
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/match?format=jsonl&fields=src&time_field=at", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ans struct{ Results []match.Result }
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		got := 0
		for _, r := range ans.Results {
			if r.Kind == "stix-pattern" && r.Line == 2 && r.Value == p && r.Indicators[0].ID == id(1) && r.Indicators[0].Confidence == 60 {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("second event at %s: results %+v, want %d pattern hit", tc.second, ans.Results, tc.want)
		}
	}
}

// serveMatch serves m's match API on loopback until the test ends and
// returns the server and a read token of organisation B.
func serveMatch(t *testing.T, w *world, m *match.Matcher) (*httptest.Server, string) {
	t.Helper()
	secret, _, err := w.st.CreateToken(w.sys, "B", dragnet.RoleRead, "test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(match.NewHandler(m, w.st, auth.New(w.st, auth.Options{}), nil))
	t.Cleanup(srv.Close)
	return srv, secret
}
