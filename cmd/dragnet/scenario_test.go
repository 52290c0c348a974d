package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// testMain returns a Main writing to buffers.
func testMain() (*Main, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Main{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, &out, &errb
}

func TestScenarioCommand(t *testing.T) {
	m, out, _ := testMain()
	dir := filepath.Join(t.TempDir(), "scen")
	if err := m.Run(context.Background(), []string{"scenario", "--seed", "9", "--countries", "5", "--botnets", "2", "--bots", "20", "--out", dir}); err != nil {
		t.Fatal(err)
	}
	var res struct{ Objects, Organisations, Incidents int }
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Objects == 0 || res.Incidents != 12 {
		t.Fatalf("output %q: %v", out, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != res.Organisations+1 {
		t.Fatalf("%d files for %d organisations and the truth", len(ents), res.Organisations)
	}
	m, _, _ = testMain()
	if err := m.Run(context.Background(), []string{"scenario", "--seed", "1"}); err == nil {
		t.Fatal("scenario without --out succeeded")
	}
}

// TestScenarioScoreCommand runs the whole chain: generate, ingest into a
// fresh SQLite store as each organisation, load the graph from the store,
// trace every incident as its reporter, cluster, score.
func TestScenarioScoreCommand(t *testing.T) {
	m, out, _ := testMain()
	data := filepath.Join(t.TempDir(), "data")
	if err := m.Run(context.Background(), []string{"scenario", "score", "--seed", "11", "--botnets", "3", "--bots", "60", "--data", data}); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Top1 float64 `json:"trace_top1"`
		Top3 float64 `json:"trace_top3"`
		F1   float64 `json:"cluster_f1"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if s.Top1 < 0.9 || s.Top3 < 0.98 || s.F1 < 0.9 {
		t.Fatalf("score %s: below the targets", out)
	}
	m, _, _ = testMain()
	if err := m.Run(context.Background(), []string{"scenario", "score", "--data", data}); err == nil {
		t.Fatal("scoring into an existing store succeeded")
	}
}
