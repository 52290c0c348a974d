package feed

import (
	"reflect"
	"testing"
)

func TestCompareState(t *testing.T) {
	parts := func(keys ...string) *PullState {
		ps := &PullState{}
		ps.AddParts(keys...)
		return ps
	}
	read := func(ps *PullState, keys ...string) *PullState {
		for _, k := range keys {
			ps.BeginPart(k)
		}
		ps.BeginPart("")
		return ps
	}
	tests := []struct {
		name      string
		prev      *feedState
		ps        *PullState
		seen      map[string]string
		gone      []string
		objs      []string
		next      *feedState
		wantError bool
	}{{
		name: "whole: one entry gone",
		prev: &feedState{IDs: []string{"a", "b", "c"}},
		ps:   &PullState{},
		seen: map[string]string{"a": "", "c": "", "d": ""},
		gone: []string{"b"},
		next: &feedState{IDs: []string{"a", "c", "d"}},
	}, {
		name:      "whole: nothing seen keeps the last good data",
		prev:      &feedState{IDs: []string{"a"}},
		ps:        &PullState{},
		seen:      map[string]string{},
		wantError: true,
	}, {
		name: "whole: first pull",
		prev: &feedState{},
		ps:   &PullState{},
		seen: map[string]string{},
		next: &feedState{IDs: []string{}},
	}, {
		name: "parts: a part removed, a part read again, a part not read",
		prev: &feedState{Parts: map[string][]string{"e1": {"a", "b"}, "e2": {"c", "d"}, "e3": {"f"}}},
		ps:   read(parts("e2", "e3"), "e2"),
		seen: map[string]string{"c": "e2"},
		gone: []string{"a", "b", "d"},
		objs: []string{"report-e1"},
		next: &feedState{Parts: map[string][]string{"e2": {"c"}, "e3": {"f"}}},
	}, {
		name: "parts: an entry held by two parts stays while one holds it",
		prev: &feedState{Parts: map[string][]string{"e1": {"a", "x"}, "e2": {"x"}}},
		ps:   read(parts("e2")),
		seen: map[string]string{},
		gone: []string{"a"},
		objs: []string{"report-e1"},
		next: &feedState{Parts: map[string][]string{"e2": {"x"}}},
	}, {
		name: "parts: a part that failed keeps its entries",
		prev: &feedState{Parts: map[string][]string{"e1": {"a", "b"}}},
		ps: func() *PullState {
			ps := read(parts("e1"), "e1")
			ps.FailPart("e1")
			return ps
		}(),
		seen: map[string]string{"a": "e1"},
		next: &feedState{Parts: map[string][]string{"e1": {"a", "b"}}},
	}, {
		name: "parts: a state from before parts: unseen entries are gone",
		prev: &feedState{IDs: []string{"a", "b"}, Known: map[string]int64{"e1": 1}},
		ps:   read(parts("e1"), "e1"),
		seen: map[string]string{"a": "e1"},
		gone: []string{"b"},
		next: &feedState{Parts: map[string][]string{"e1": {"a"}}},
	}, {
		name: "parts: entries outside any part are read whole",
		prev: &feedState{Parts: map[string][]string{"": {"a", "b"}, "e1": {"c"}}},
		ps:   read(parts("e1")),
		seen: map[string]string{"a": ""},
		gone: []string{"b"},
		next: &feedState{Parts: map[string][]string{"": {"a"}, "e1": {"c"}}},
	}, {
		name:      "parts: an empty manifest keeps the last good data",
		prev:      &feedState{Parts: map[string][]string{"e1": {"a"}}},
		ps:        parts(),
		seen:      map[string]string{},
		wantError: true,
	}, {
		name: "incremental without a manifest: entries accumulate",
		prev: &feedState{IDs: []string{"a"}},
		ps:   &PullState{Incremental: true},
		seen: map[string]string{"b": ""},
		next: &feedState{IDs: []string{"a", "b"}},
	}, {
		name: "incremental with a manifest: unlisted entries are gone",
		prev: &feedState{IDs: []string{"a", "b", "c"}},
		ps:   &PullState{Incremental: true, Present: map[string]bool{"a": true, "x": true}},
		seen: map[string]string{"d": ""},
		gone: []string{"b", "c"},
		next: &feedState{IDs: []string{"a", "d"}},
	}, {
		name:      "incremental with an empty manifest keeps the last good data",
		prev:      &feedState{IDs: []string{"a"}},
		ps:        &PullState{Incremental: true, Present: map[string]bool{}},
		seen:      map[string]string{},
		wantError: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.ps.PartObjects = func(p string) []string { return []string{"report-" + p} }
			next, gone, objs, err := compareState(tc.prev, tc.ps, tc.seen)
			if tc.wantError {
				if err == nil {
					t.Fatalf("no error; gone %v", gone)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gone, tc.gone) && len(gone)+len(tc.gone) > 0 {
				t.Errorf("gone %v, want %v", gone, tc.gone)
			}
			if !reflect.DeepEqual(objs, tc.objs) && len(objs)+len(tc.objs) > 0 {
				t.Errorf("objects %v, want %v", objs, tc.objs)
			}
			next.Known = tc.next.Known
			if tc.next.Parts != nil && len(next.IDs) == 0 {
				next.IDs = nil
			}
			if !reflect.DeepEqual(next, tc.next) {
				t.Errorf("next state %+v, want %+v", next, tc.next)
			}
		})
	}
}
