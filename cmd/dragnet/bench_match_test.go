package main

import (
	"encoding/json"
	"testing"
)

func TestBenchMatch(t *testing.T) {
	out := run(t, "bench", "match", "--indicators", "2000", "--duration", "1ms")
	var rep map[string]float64
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, k := range []string{"indicators", "compile_seconds", "index_bytes_per_indicator",
		"ipv4_miss_lookups_per_sec", "ipv4_miss_baseline_per_sec", "ipv4_hit_lookups_per_sec", "ipv4_hit_baseline_per_sec",
		"domain_miss_lookups_per_sec", "domain_miss_baseline_per_sec", "domain_hit_lookups_per_sec", "domain_hit_baseline_per_sec",
		"sha256_miss_lookups_per_sec", "sha256_miss_baseline_per_sec", "sha256_hit_lookups_per_sec", "sha256_hit_baseline_per_sec"} {
		if rep[k] <= 0 {
			t.Errorf("%s = %v in %s", k, rep[k], out)
		}
	}
	if rep["indicators"] != 2000 {
		t.Errorf("indicators = %v", rep["indicators"])
	}
	if err := runErr("bench", "match", "--indicators", "3"); err == nil {
		t.Error("--indicators 3 accepted")
	}
	if err := runErr("bench", "nosuch"); err == nil {
		t.Error("unknown benchmark accepted")
	}
}
