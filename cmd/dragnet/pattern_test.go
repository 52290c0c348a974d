package main

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites golden files with the output the tests see.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// runStdin runs the real program with args and stdin, and returns its
// standard output.
func runStdin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Logger: slog.New(slog.DiscardHandler)}
	if err := m.Run(context.Background(), args); err != nil {
		t.Fatalf("dragnet %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

func TestPatternGolden(t *testing.T) {
	for _, verb := range []string{"validate", "match"} {
		t.Run(verb, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "pattern", verb+".in"))
			if err != nil {
				t.Fatal(err)
			}
			got := runStdin(t, string(in), "pattern", verb)
			if n, m := strings.Count(string(in), "\n"), strings.Count(got, "\n"); n != m {
				t.Errorf("%d input lines gave %d output lines", n, m)
			}
			checkGolden(t, filepath.Join("testdata", "pattern", verb+".golden"), got)
		})
	}
}

func TestPatternNoTrailingNewline(t *testing.T) {
	got := runStdin(t, "[a:b = 'x']\n[a:b = ", "pattern", "validate")
	want := `{"pattern":"[a:b = 'x']","valid":true}` + "\n" +
		`{"pattern":"[a:b = ","valid":false,"error":"column 8: expected a literal after '=', found end of pattern"}` + "\n"
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got := runStdin(t, "", "pattern", "match"); got != "" {
		t.Errorf("empty input gave %q", got)
	}
}

func TestPatternUsage(t *testing.T) {
	if err := runErr("pattern", "frobnicate"); err == nil {
		t.Error("unknown verb accepted")
	}
	if err := runErr("pattern", "validate", "extra"); err == nil {
		t.Error("extra argument accepted")
	}
}
