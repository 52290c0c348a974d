package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet/scenario"
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

	// The store the score left behind answers the graph commands.
	sc, err := scenario.New(scenario.Config{Seed: 11, Botnets: 3, Bots: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Generate(func(int, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	inc := sc.Truth.Incidents[0]
	var tr struct {
		Candidates []struct {
			ID, Type  string
			Countries []string
		}
	}
	if err := json.Unmarshal([]byte(run(t, "trace", "--data", data, "--org", inc.Reporter, inc.ID)), &tr); err != nil || len(tr.Candidates) == 0 {
		t.Fatalf("trace: %v %+v", err, tr)
	}
	var op scenario.TruthOperator
	for _, o := range sc.Truth.Operators {
		if o.Name == inc.Operator {
			op = o
		}
	}
	if !slices.Contains(op.Objects, tr.Candidates[0].ID) {
		t.Errorf("trace ranks %s first; the operator is %v", tr.Candidates[0].ID, op.Objects)
	}
	lines := strings.Split(strings.TrimSpace(run(t, "cluster", "--data", data, "--org", inc.Reporter, "--min", "10")), "\n")
	if len(lines) != 3 {
		t.Errorf("%d clusters of 10 or more hosts, want 3 (one per botnet)", len(lines))
	}
	var c struct {
		Key         string
		Objects     int
		CrossBorder bool `json:"cross_border"`
	}
	if err := json.Unmarshal([]byte(run(t, "correlate", "--data", data, "--org", inc.Reporter, sc.Truth.Botnets[0].C2[0])), &c); err != nil || c.Objects == 0 {
		t.Errorf("correlate: %v %+v", err, c)
	}
	if err := runErr("trace", "--data", data, inc.ID); err == nil {
		t.Error("trace without --org succeeded")
	}
	if err := runErr("trace", "--data", data, "--org", "nobody", inc.ID); err == nil {
		t.Error("trace as an unknown organisation succeeded")
	}
}
