package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchIngest runs dragnet bench ingest on small inputs and checks the
// one JSON line it prints: every generated entry stored, then found
// unchanged when pulled again.
func TestBenchIngest(t *testing.T) {
	out := run(t, "bench", "ingest", "--lines", "2500", "--attributes", "300", "--batch", "1000", "--writer-cache-mib", "32")
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("bench printed %q, want one line", out)
	}
	var res ingestBenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.MISP == nil {
		t.Fatal("no MISP figures")
	}
	for name, p := range map[string]ingestBenchPart{"csv": res.CSV, "misp": *res.MISP} {
		want := map[string]int{"csv": 2500, "misp": 300}[name]
		if p.Entries != want || p.Stored < want || p.RepullUnchanged != want {
			t.Errorf("%s: entries %d, stored %d, unchanged when pulled again %d; want %d each", name, p.Entries, p.Stored, p.RepullUnchanged, want)
		}
		if p.IndicatorsPerSec <= 0 || p.DecodeOnlyPerSec <= 0 || p.StoreOverDecode <= 0 {
			t.Errorf("%s: rates %+v, want positive", name, p)
		}
	}

	out = run(t, "bench", "ingest", "--lines", "500", "--attributes", "0", "--repull=false")
	res = ingestBenchResult{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.MISP != nil || res.CSV.Stored != 500 || res.CSV.RepullSeconds != 0 {
		t.Errorf("--attributes 0 --repull=false: %s", out)
	}
}
