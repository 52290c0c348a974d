package taxii

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// TestArena holds objects with and without values, across chunks, and
// reads each back as it was added.
func TestArena(t *testing.T) {
	var a arena
	type obj struct {
		raw    string
		values []dragnet.Value
	}
	var want []obj
	for i := 0; i < 3000; i++ {
		o := obj{raw: `{"id":"x--` + strings.Repeat("a", i%700) + `"}`}
		for j := 0; j < i%3; j++ {
			o.values = append(o.values, dragnet.Value{Kind: dragnet.ValueDomain, Value: strings.Repeat("b", i%200) + ".example"})
		}
		want = append(want, o)
		a.add([]byte(o.raw), o.values)
	}
	if a.len() != len(want) || len(a.chunks) < 2 {
		t.Fatalf("%d objects in %d chunks", a.len(), len(a.chunks))
	}
	for i, o := range want {
		if got := string(a.get(i)); got != o.raw {
			t.Fatalf("object %d: %q, want %q", i, got, o.raw)
		}
		if got := a.values(i); !reflect.DeepEqual(got, o.values) {
			t.Fatalf("values of object %d: %v, want %v", i, got, o.values)
		}
	}
}
