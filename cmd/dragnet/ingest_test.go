package main

import (
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var sharedTestdata = sharedtestdata.Join()

type summaryJSON struct {
	Entries  int            `json:"entries"`
	Outcomes map[string]int `json:"outcomes"`
	Objects  struct {
		New, Updated, Unchanged, Rejected int
	} `json:"objects"`
	RejectedInputs int `json:"rejected_inputs"`
	Problems       []struct {
		Source, Where, Reason string
	} `json:"problems"`
}

func ingestJSON(t *testing.T, args ...string) summaryJSON {
	t.Helper()
	out := run(t, append([]string{"ingest", "--json"}, args...)...)
	var s summaryJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	return s
}

func TestIngest(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "CERT-EX", "--country", "DE", "--kind", "cert")
	wl := filepath.Join(sharedTestdata, "misp-warninglists")
	// Every file of the shared feeds and MISP events: those that are not
	// intelligence (MISP's feed metadata, JSON schemas) are rejected whole,
	// with a reason.
	inputs := []string{filepath.Join(sharedTestdata, "feeds"), filepath.Join(sharedTestdata, "misp-events")}
	args := append([]string{"--data", dir, "--org", "CERT-EX", "--warninglists", wl, "--tlp", "green"}, inputs...)
	s := ingestJSON(t, args...)
	sum := 0
	for _, n := range s.Outcomes {
		sum += n
	}
	if s.Entries == 0 || sum != s.Entries {
		t.Fatalf("outcomes %v do not add up to %d entries", s.Outcomes, s.Entries)
	}
	if s.Outcomes["new"] < 9000 || s.Outcomes["warninglisted"] == 0 {
		t.Errorf("first load: %+v", s)
	}
	for _, p := range s.Problems {
		if p.Source == "" || p.Where == "" || p.Reason == "" {
			t.Errorf("problem without source, place or reason: %+v", p)
		}
	}
	for _, name := range []string{"defaults.json", "feed-metadata/schema.json", "misp-format-2.4-schema-lax.json", "misp-format-2.4-schema.json"} {
		found := false
		for _, p := range s.Problems {
			found = found || strings.HasSuffix(p.Source, filepath.Base(name))
		}
		if !found && !strings.Contains(name, "/") {
			t.Errorf("%s (not intelligence) is not reported as rejected", name)
		}
	}
	// Loading again creates nothing.
	again := ingestJSON(t, args...)
	if again.Objects.New != 0 || again.Objects.Updated != 0 || again.Outcomes["unchanged"]+again.Outcomes["warninglisted"]+again.Outcomes["rejected"] != again.Entries {
		t.Errorf("second load: %+v", again)
	}

	// A changed file: one new version.
	f := filepath.Join(t.TempDir(), "list.csv")
	os.WriteFile(f, []byte("value,comment\n203.0.113.5,first\n"), 0o600)
	ingestJSON(t, "--data", dir, "--org", "CERT-EX", f)
	os.WriteFile(f, []byte("value,comment\n203.0.113.5,second\n"), 0o600)
	if s := ingestJSON(t, "--data", dir, "--org", "CERT-EX", f); s.Outcomes["updated"] != 1 {
		t.Errorf("changed entry: %+v", s)
	}
}

func TestIngestErrors(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "CERT-EX", "--country", "DE")
	for _, args := range [][]string{
		{"ingest", "--data", dir, "--org", "CERT-EX"},
		{"ingest", "--data", dir, "--org", "nobody", "x.csv"},
		{"ingest", "--data", dir, "--org", "CERT-EX", "--format", "xml", "x.csv"},
		{"ingest", "--data", dir, "--org", "CERT-EX", "--tlp", "purple", "x.csv"},
		{"ingest", "--data", dir, "--org", "CERT-EX", "--group", "nope", "x.csv"},
		{"ingest", "--data", dir, "--org", "CERT-EX", "/does/not/exist.csv"},
	} {
		if err := runErr(args...); err == nil {
			t.Errorf("dragnet %v succeeded", args)
		}
	}
}

func TestFeedCommands(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "CERT-EX", "--country", "DE")
	src := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(src, []byte("198.51.100.1\n198.51.100.2\n"), 0o600)
	run(t, "feed", "add", "--data", dir, "--name", "local", "--org", "CERT-EX", "--url", src, "--format", "text", "--interval", "30m", "--gone", "expire")
	out := run(t, "feed", "run", "--data", dir)
	if !strings.Contains(out, `"feed":"local"`) || !strings.Contains(out, `"new":2`) {
		t.Errorf("feed run: %s", out)
	}
	os.WriteFile(src, []byte("198.51.100.1\n"), 0o600)
	out = run(t, "feed", "run", "--data", dir, "--name", "local")
	if !strings.Contains(out, `"expired":1`) {
		t.Errorf("second run: %s", out)
	}
	list := run(t, "feed", "list", "--data", dir)
	var f map[string]any
	if err := json.Unmarshal([]byte(list), &f); err != nil {
		t.Fatalf("%q: %v", list, err)
	}
	if f["name"] != "local" || f["interval"] != "30m0s" || f["last_summary"] == nil || f["last_error"] != nil {
		t.Errorf("feed list: %s", list)
	}
	os.Remove(src)
	if err := runErr("feed", "run", "--data", dir); err == nil {
		t.Error("a failing feed ran without error")
	}
	if list := run(t, "feed", "list", "--data", dir); !strings.Contains(list, `"last_error"`) {
		t.Errorf("last error not shown: %s", list)
	}
	run(t, "feed", "remove", "--data", dir, "--name", "local")
	if list := run(t, "feed", "list", "--data", dir); list != "" {
		t.Errorf("after remove: %s", list)
	}
	if err := runErr("feed", "add", "--data", dir, "--name", "x", "--org", "CERT-EX", "--url", src, "--gone", "never"); err == nil {
		t.Error("bad --gone accepted")
	}
}

// TestIngestURL loads a MISP feed and a CSV list over HTTP.
func TestIngestURL(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "CERT-EX", "--country", "DE")
	srv := httptest.NewServer(http.FileServer(http.Dir(sharedTestdata)))
	defer srv.Close()
	s := ingestJSON(t, "--data", dir, "--org", "CERT-EX", srv.URL+"/misp-events/misp-feed-minimal/manifest.json",
		srv.URL+"/feeds/abuse.ch/feodotracker-ipblocklist.csv")
	if s.Entries != 1+28 || s.Outcomes["new"] != 29 {
		t.Errorf("over HTTP: %+v", s)
	}
	if err := runErr("ingest", "--data", dir, "--org", "CERT-EX", srv.URL+"/nope.csv"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing URL: %v", err)
	}
}
