package pattern

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that no input panics the parser, that errors carry a
// position inside the input, and that every pattern that parses prints to
// a pattern that parses to the same tree and text. It also evaluates what
// parses against a small observation, which must not panic either.
func FuzzParse(f *testing.F) {
	for _, tc := range goodPatterns {
		f.Add(tc.in)
	}
	for _, tc := range badPatterns {
		f.Add(tc.in)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if i := strings.IndexAny(l, "[("); i >= 0 && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
				pat, _, _ := strings.Cut(l[i:], " => ")
				f.Add(pat)
			}
		}
		fh.Close()
	}
	ts := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	obs := []Observation{{FirstObserved: ts, LastObserved: ts, NumberObserved: 2, Objects: map[string]map[string]any{
		"file--1":      {"type": "file", "name": "foo.dll", "size": 10.0, "hashes": map[string]any{"MD5": "x"}, "parent_directory_ref": "directory--1"},
		"directory--1": {"type": "directory", "path": "C:\\"},
		"a--1":         {"type": "a", "b": []any{"x", 1.0, true, map[string]any{"c": "d"}}},
	}}, {FirstObserved: ts.Add(time.Minute), LastObserved: ts.Add(time.Minute), NumberObserved: 1, Objects: map[string]map[string]any{
		"a--2": {"type": "a", "b": "x"},
	}}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q): error %T", s, err)
			}
			if e.Pos < 0 || e.Pos > len(s) || e.Column < 1 {
				t.Fatalf("Parse(%q): error position %d, column %d", s, e.Pos, e.Column)
			}
			return
		}
		checkRoundTrip(t, s, p)
		if _, err := Match(p, obs); err != nil && err != errTooMany {
			t.Fatalf("Match(%q): %v", s, err)
		}
		p.Simple()
		p.Required()
		p.Comparisons()
	})
}
