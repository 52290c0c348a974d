package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
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

// TestBenchIngestPostgres: with --db the bench stores into PostgreSQL and
// says so.
func TestBenchIngestPostgres(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t)
	db, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	out := run(t, "bench", "ingest", "--lines", "700", "--attributes", "50", "--repull=false", "--db", url+sep+"search_path="+schema)
	var res ingestBenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Store != "postgres" || res.CSV.Stored != 700 || res.MISP == nil || res.MISP.Entries != 50 || res.MISP.Stored < 50 {
		t.Errorf("bench ingest --db: %s", out)
	}
	if err := runErr("bench", "ingest", "--lines", "10", "--data", t.TempDir(), "--db", url); err == nil {
		t.Error("--data and --db together were accepted")
	}
}
