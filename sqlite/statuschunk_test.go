package sqlite

import (
	"reflect"
	"testing"
)

func TestStatusEntriesRoundTrip(t *testing.T) {
	for _, es := range [][]statusEntry{
		nil,
		{{state: statePending, id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", vns: 1712433828000000000}},
		{
			{state: stateSuccess, id: "x", vns: 0},
			{state: stateFailure, id: "", vns: -5, message: "objects[3]: a message with \x00 and ünïcode"},
			{state: statePending, id: "report--1", vns: 1 << 62},
		},
	} {
		got, err := decodeEntries(encodeEntries(es))
		if err != nil {
			t.Fatalf("%v: %v", es, err)
		}
		if !reflect.DeepEqual(got, es) {
			t.Errorf("round trip of %v gave %v", es, got)
		}
	}
}

func TestStatusEntriesMalformed(t *testing.T) {
	good := encodeEntries([]statusEntry{{state: stateFailure, id: "indicator--1", vns: 42, message: "why"}})
	for i := 1; i < len(good); i++ {
		if _, err := decodeEntries(good[:i]); err == nil {
			t.Errorf("decoding the first %d of %d bytes succeeded", i, len(good))
		}
	}
	if _, err := decodeEntries([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}); err == nil {
		t.Error("decoding an id longer than the chunk succeeded")
	}
}
