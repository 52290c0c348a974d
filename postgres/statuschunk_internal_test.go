package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

func TestStatusEntriesRoundTrip(t *testing.T) {
	es := []statusEntry{
		{state: statePending, d: dragnet.StatusDetail{ID: "indicator--1", Version: time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)}},
		{state: stateSuccess, d: dragnet.StatusDetail{ID: "indicator--2"}},
		{state: stateFailure, d: dragnet.StatusDetail{ID: "x", Message: "TLP:RED may not be shared", Version: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}},
		{state: stateResolved, d: dragnet.StatusDetail{ID: "", Version: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
	}
	b := encodeEntries(es)
	got, err := decodeEntries(b)
	if err != nil || !reflect.DeepEqual(got, es) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if _, err := decodeEntries(b[:len(b)-1]); err == nil {
		t.Error("entries cut short decoded without error")
	}
	for _, bad := range [][]byte{{9, 0, 0, 0}, {0, 5, 'a'}, {0, 0, 2}, {0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}} {
		if _, err := decodeEntries(bad); err == nil {
			t.Errorf("decodeEntries(%v) succeeded", bad)
		}
	}
}

func FuzzDecodeStatusEntries(f *testing.F) {
	f.Add(encodeEntries([]statusEntry{{state: stateFailure, d: dragnet.StatusDetail{ID: "a", Message: "m", Version: time.Unix(5, 6).UTC()}}}))
	f.Add([]byte{0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := decodeEntries(b)
		if err != nil {
			return
		}
		again, err := decodeEntries(encodeEntries(es))
		if err != nil || !reflect.DeepEqual(again, es) {
			t.Fatalf("re-encoding changed %+v into %+v, %v", es, again, err)
		}
	})
}
