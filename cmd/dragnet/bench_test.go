package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchTAXII runs dragnet bench taxii on a small store and checks the
// one JSON line it prints.
func TestBenchTAXII(t *testing.T) {
	out := run(t, "bench", "taxii", "--objects", "1500", "--batch", "500", "--page", "400", "--gets", "50", "--data", t.TempDir())
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("bench printed %q, want one line", out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"add_objects_per_sec", "page_objects_per_sec", "get_object_p50_ms", "get_object_p99_ms", "peak_rss_bytes"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, res[k])
		}
	}
	if res["objects"] != 1500.0 || res["paged_objects"].(float64) < 1500 {
		t.Errorf("objects = %v, paged_objects = %v, want 1500 and at least 1500", res["objects"], res["paged_objects"])
	}
}

func TestBenchIndicatorsValid(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		var o struct{ ID, Pattern string }
		raw := benchIndicator(i)
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatalf("indicator %d: %v", i, err)
		}
		if seen[o.ID] {
			t.Fatalf("indicator %d: id %s repeats", i, o.ID)
		}
		seen[o.ID] = true
		if len(raw) < 450 || len(raw) > 750 {
			t.Errorf("indicator %d is %d bytes, want about 600", i, len(raw))
		}
	}
}
