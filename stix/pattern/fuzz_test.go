package pattern

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
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
		checkFastPath(t, p, obs)
		if _, err := Match(p, obs); err != nil && err != errTooMany && err != errTooLong && err != p.unsupported {
			t.Fatalf("Match(%q): %v", s, err)
		}
		p.Simple()
		p.Required()
		p.Comparisons()
	})
}

// FuzzObservations feeds bundles to DecodeBundle and Observations, and
// what they accept to Match with a few patterns: none may panic, and
// Observations must refuse observed-data without valid timestamps.
func FuzzObservations(f *testing.F) {
	f.Add(`{"type":"bundle","id":"bundle--1","objects":[{"type":"observed-data","id":"observed-data--1","first_observed":"2016-04-06T19:58:16Z","last_observed":"2016-04-06T19:58:16Z","number_observed":2,"object_refs":["network-traffic--1"]},{"type":"network-traffic","id":"network-traffic--1","src_ref":"ipv4-addr--1","protocols":["tcp"]},{"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.2"}]}`)
	f.Add(`{"type":"bundle","objects":[{"type":"observed-data","id":"observed-data--2","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"},"1":{"type":"network-traffic","src_ref":"0"}}}]}`)
	f.Add(`[{"type":"observed-data","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","object_refs":["a","a"]},{"id":"a","type":"a","x_ref":"a","y_refs":["a",1,null]}]`)
	f.Add(`{"type":"bundle","objects":[{"type":"observed-data","number_observed":0}]}`)
	f.Add(`[1,2]`)
	patterns := []*Pattern{
		MustParse("[ipv4-addr:value = '198.51.100.2']"),
		MustParse("[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:protocols[*] = 'tcp']"),
		MustParse("[a:x_ref.y_refs[*].x_ref.type = 'a'] REPEATS 2 TIMES WITHIN 5 SECONDS"),
		MustParse("[ipv4-addr:value LIKE '198%'] FOLLOWEDBY [network-traffic:src_ref.value MATCHES '^198'] START t'2015-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"),
	}
	f.Fuzz(func(t *testing.T, s string) {
		objs, err := DecodeBundle([]byte(s))
		if err != nil {
			return
		}
		obs, err := Observations(objs)
		if err != nil {
			return
		}
		for _, o := range obs {
			if o.LastObserved.Before(o.FirstObserved) || o.NumberObserved < 1 {
				t.Fatalf("Observations accepted %+v", o)
			}
		}
		for _, p := range patterns {
			Match(p, obs)
		}
	})
}

// checkFastPath checks that Path.value, the walk for paths of keys only,
// selects what the general Path.values does, on every object of obs.
func checkFastPath(t *testing.T, p *Pattern, obs []Observation) {
	var tests []*Test
	var walkC func(Cond)
	walkC = func(c Cond) {
		switch c := c.(type) {
		case *CondExpr:
			walkC(c.X)
			walkC(c.Y)
		case *Test:
			tests = append(tests, c)
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *ObservationExpr:
			walkC(e.Cond)
		case *BinaryExpr:
			walk(e.X)
			walk(e.Y)
		case *QualifiedExpr:
			walk(e.X)
		}
	}
	walk(p.Expr)
	for _, tc := range tests {
		for _, o := range obs {
			for _, obj := range o.Objects {
				v, ok, single := tc.Path.value(obj, o.Objects)
				if !single {
					continue
				}
				all := tc.Path.values(obj, o.Objects)
				if ok != (len(all) == 1) || ok && !reflect.DeepEqual(v, all[0]) {
					t.Fatalf("%s on %v: value = %v, %v; values = %v", tc.Path, obj, v, ok, all)
				}
			}
		}
	}
}
