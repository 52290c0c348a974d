package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// runIn runs the program with stdin and returns its standard output.
func runIn(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.DiscardHandler)}
	err := m.Run(context.Background(), args)
	return out.String(), err
}

func TestMatchCommand(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "A", "--country", "NL")
	run(t, "org", "add", "--data", dir, "--name", "B", "--country", "DE")
	list := filepath.Join(t.TempDir(), "c2.txt")
	os.WriteFile(list, []byte("198.51.100.7\nevil.example\n8.8.8.8\n"), 0o644)
	run(t, "ingest", "--data", dir, "--org", "A", "--collection", dragnet.CommunityCollectionID, "--format", "text", list)
	own := filepath.Join(t.TempDir(), "own.txt")
	os.WriteFile(own, []byte("203.0.113.5\n"), 0o644)
	run(t, "ingest", "--data", dir, "--org", "A", "--format", "text", own) // A's own collection: B must not see it

	in := "203.0.113.5\nwww.evil.example\n10.1.1.1\n198.51.100.7\n8.8.8.8\n"
	out, err := runIn(t, in, "match", "--data", dir, "--org", "B")
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, v)
	}
	got := map[string]float64{}
	for _, l := range lines {
		got[l["value"].(string)] = l["line"].(float64)
		inds := l["indicators"].([]any)
		if len(inds) != 1 || !strings.HasPrefix(inds[0].(map[string]any)["id"].(string), "indicator--") {
			t.Errorf("hit %v", l)
		}
	}
	if got["www.evil.example"] != 2 || got["198.51.100.7"] != 4 || len(got) > 3 {
		t.Errorf("B's hits: %s", out)
	}
	if _, ok := got["203.0.113.5"]; ok {
		t.Errorf("B matched A's own indicator: %s", out)
	}
	// A sees its own collection too.
	out, err = runIn(t, "203.0.113.5\n", "match", "--data", dir, "--org", "A")
	if err != nil || !strings.Contains(out, `"line":1`) {
		t.Errorf("A: %q %v", out, err)
	}
	// Zeek logs, and sightings recorded twice into one sighting, dated by
	// the logs' ts (the second log is older than the first).
	for _, ts := range []string{"1700000100.25", "1600000000"} {
		zeek := `{"ts":` + ts + `,"uid":"C1","id.orig_h":"10.0.0.2","id.resp_h":"198.51.100.7","proto":"tcp"}` + "\n"
		out, err = runIn(t, zeek, "match", "--data", dir, "--org", "B", "--format", "zeek", "--sightings")
		if err != nil || !strings.Contains(out, "198.51.100.7") {
			t.Fatalf("zeek: %q %v", out, err)
		}
	}
	out, err = runIn(t, "", "export", "--data", dir, "--org", "B", "--format", "stix", "--type", "sighting")
	if err != nil {
		t.Fatal(err)
	}
	var sb struct {
		Objects []struct {
			Count     int    `json:"count"`
			FirstSeen string `json:"first_seen"`
			LastSeen  string `json:"last_seen"`
		} `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &sb); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if len(sb.Objects) != 1 || sb.Objects[0].Count != 2 || sb.Objects[0].FirstSeen != "2020-09-13T12:26:40.000Z" || sb.Objects[0].LastSeen != "2023-11-14T22:15:00.250Z" {
		t.Errorf("sightings: %s", out)
	}
	for _, bad := range [][]string{
		{"match", "--data", dir},
		{"match", "--data", dir, "--org", "B", "--format", "xml"},
		{"match", "--data", dir, "--org", "nobody"},
		{"match", "--data", dir, "--org", "B", "--format", "jsonl"},
	} {
		if _, err := runIn(t, "{}\n", bad...); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

// TestMatchCommandPatterns ingests an indicator with a complex pattern and
// matches Zeek logs against it: the pattern's WITHIN is judged on the
// logs' own time (ts, or the member --time-field names).
func TestMatchCommandPatterns(t *testing.T) {
	dir := t.TempDir()
	run(t, "org", "add", "--data", dir, "--name", "A", "--country", "NL")
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--6f1e8b4a-6b8e-4c0e-9a37-1c2d3e4f5a6b","objects":[
		{"type":"indicator","spec_version":"2.1","id":"indicator--9c1b1a52-8d0a-4b8e-9f3c-2a4b6c8d0e1f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
		 "pattern":"([domain-name:value = 'c2.evil.example'] FOLLOWEDBY [network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '198.51.100.7']) WITHIN 60 SECONDS",
		 "pattern_type":"stix","valid_from":"2023-01-01T00:00:00Z"}]}`), 0o644)
	run(t, "ingest", "--data", dir, "--org", "A", "--collection", dragnet.CommunityCollectionID, "--format", "stix", bundle)
	dns := `{"ts":1700000000.0,"uid":"C0","id.orig_h":"10.0.0.2","id.orig_p":5353,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"c2.evil.example","answers":["198.51.100.7"]}`
	conn := func(ts string) string {
		return `{"ts":` + ts + `,"uid":"C1","id.orig_h":"10.0.0.2","id.orig_p":50000,"id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp"}`
	}
	for _, tc := range []struct {
		args []string
		in   string
		hit  bool
	}{
		{[]string{"--format", "zeek"}, dns + "\n" + conn("1700000030.0") + "\n", true},
		{[]string{"--format", "zeek"}, dns + "\n" + conn("1700000300.0") + "\n", false},
		{[]string{"--format", "zeek", "--time-field", "seen"}, `{"seen":1700000001,"query":"c2.evil.example"}` + "\n" + `{"seen":1700000002,"id.resp_h":"198.51.100.7","id.resp_p":443}` + "\n", true},
		{[]string{"--format", "zeek", "--time-field", "seen"}, `{"seen":1700000001,"ts":1700000001,"query":"c2.evil.example"}` + "\n" + `{"seen":1700000500,"ts":1700000002,"id.resp_h":"198.51.100.7","id.resp_p":443}` + "\n", false},
	} {
		out, err := runIn(t, tc.in, append([]string{"match", "--data", dir, "--org", "A"}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out, `"line":2,"value":"([domain-name:value`) && strings.Contains(out, `"kind":"stix-pattern"`); got != tc.hit {
			t.Errorf("%v:\n%s\nhit %v, want %v", tc.args, out, got, tc.hit)
		}
	}
}
