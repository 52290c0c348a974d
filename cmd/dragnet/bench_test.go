package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
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

// TestBenchTAXIINodes runs dragnet bench taxii with two servers on one
// PostgreSQL database: every object added through either is paged through
// both.
func TestBenchTAXIINodes(t *testing.T) {
	if err := runErr("bench", "taxii", "--nodes", "2", "--objects", "10", "--data", t.TempDir()); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Fatalf("--nodes 2 on the embedded store: %v, want EINVALID", err)
	}
	base, schema := pgtest.URL(t), pgtest.Schema(t)
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `CREATE SCHEMA `+schema)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	out := run(t, "bench", "taxii", "--db", u.String(), "--nodes", "2", "--objects", "2500", "--batch", "500", "--page", "400", "--gets", "20")
	var res struct {
		Nodes, Objects    int
		PagedObjects      int     `json:"paged_objects"`
		AddObjectsPerSec  float64 `json:"add_objects_per_sec"`
		PageObjectsPerSec float64 `json:"page_objects_per_sec"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Nodes != 2 || res.Objects != 2500 || res.PagedObjects < 2*2500 {
		t.Errorf("nodes %d, objects %d, paged %d; want 2, 2500 and at least 5000 (each node pages all)", res.Nodes, res.Objects, res.PagedObjects)
	}
	if res.AddObjectsPerSec <= 0 || res.PageObjectsPerSec <= 0 {
		t.Errorf("rates %v and %v, want positive", res.AddObjectsPerSec, res.PageObjectsPerSec)
	}
}

func TestBenchIndicatorsValid(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		var o struct{ ID, Pattern string }
		raw := benchIndicator(7, i)
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
