package main

import (
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
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
	inputs := []string{filepath.Join(sharedTestdata, "feeds", "abuse.ch"), filepath.Join(sharedTestdata, "feeds", "infoblox-csv"),
		filepath.Join(sharedTestdata, "misp-events", "infoblox-feed"), filepath.Join(sharedTestdata, "misp-events", "pymisp")}
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
