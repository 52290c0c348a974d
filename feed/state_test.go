package feed

import (
	"fmt"
	"reflect"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	st := &feedState{
		IDs:    []string{"indicator--a", "indicator--b", "indicator--c"},
		Parts:  map[string][]string{"e1": {"indicator--d"}, "e2": {"indicator--e", "indicator--f"}},
		Known:  map[string]int64{"e1": 17},
		Cursor: "2026-01-01T00:00:00.000Z",
		FP:     map[string]uint64{"indicator--a": 1, "indicator--c": 1 << 63, "indicator--e": 42},
	}
	b, err := encodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, st)
	}
	// A packing that does not fit its ids is ignored.
	fp := map[string]uint64{}
	unpack(st.IDs, pack(st.IDs[:2], st.FP), fp)
	if len(fp) != 0 {
		t.Errorf("fingerprints from a packing of another length: %v", fp)
	}
	if _, err := decodeState([]byte("not gzip")); err == nil {
		t.Error("a corrupt state decoded")
	}
}

// BenchmarkState encodes and decodes the state of a feed of a million
// entries.
func BenchmarkState(b *testing.B) {
	st := &feedState{FP: map[string]uint64{}}
	for i := 0; i < 1_000_000; i++ {
		id := "indicator--" + UUID5(Namespace, fmt.Sprint(i))
		st.IDs = append(st.IDs, id)
		st.FP[id] = uint64(i+1) * 0x9e3779b97f4a7c15
	}
	for b.Loop() {
		data, err := encodeState(st)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeState(data); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(data)), "bytes")
	}
}
