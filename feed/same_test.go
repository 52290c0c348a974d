package feed

import (
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/dragnet-intel/dragnet/stix"
)

var sameCases = []struct {
	a, b     string
	runTimes bool
	want     bool
}{
	{`{"type":"indicator","id":"x","created":"1","pattern":"[a]"}`, `{"type":"indicator","id":"x","created":"2","pattern":"[a]"}`, false, true},
	{`{"type":"indicator","id":"x","pattern":"[a]"}`, `{"id":"x","type":"indicator","pattern":"[a]"}`, false, true},
	{`{"type":"indicator","id":"x","pattern":"[a]"}`, `{"type":"indicator","id":"x","pattern":"[b]"}`, false, false},
	{`{"a":1,"valid_from":"1"}`, `{"a":1,"valid_from":"2"}`, false, false},
	{`{"a":1,"valid_from":"1"}`, `{"a":1,"valid_from":"2"}`, true, true},
	{`{"a":1}`, `{"a":1,"b":2}`, false, false},
	{`{"a":1,"created":"x"}`, `{"a":1}`, false, true},
	{`{"a":1.0}`, `{"a":1}`, false, false},
	{`{"a":{"x":1,"y":2}}`, `{"a":{"y":2,"x":1}}`, false, true},
	{`{"a":[1,2]}`, `{"a":[2,1]}`, false, false},
	{`{"a":"x\"y"}`, `{"a":"x\"y"}`, false, true},
	{`{"a":"x\u0041"}`, `{"a":"xA"}`, false, true},
	{`{"a\u0041":1}`, `{"aA":1}`, false, true},
	{`{ "a" : [ {"b":"}"} ] , "c":null }`, `{"a":[{"b":"}"}],"c":null}`, false, true},
	{`{"a":1,"a":2}`, `{"a":2}`, false, true},
	{`{}`, `{}`, false, true},
	{`{"a":true}`, `{"a":false}`, false, false},
}

func TestSameContent(t *testing.T) {
	for _, c := range sameCases {
		got, err := sameContent([]byte(c.a), []byte(c.b), c.runTimes)
		if err != nil || got != c.want {
			t.Errorf("sameContent(%s, %s, %v) = %v, %v; want %v", c.a, c.b, c.runTimes, got, err, c.want)
		}
	}
}

// FuzzSameContent checks the member-by-member comparison against the
// decoding one: whenever it decides, it agrees.
func FuzzSameContent(f *testing.F) {
	for _, c := range sameCases {
		f.Add(c.a, c.b, c.runTimes)
	}
	f.Fuzz(func(t *testing.T, a, b string, runTimes bool) {
		x, errA := decodeMap([]byte(a))
		y, errB := decodeMap([]byte(b))
		if errA != nil || errB != nil {
			return // the store holds valid JSON only
		}
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			// Decoding turns every invalid byte into U+FFFD, so keys or
			// strings that differ in bytes decode equal; compared as
			// written they differ, which is the answer wanted.
			return
		}
		skip := func(k string) bool {
			return k == "created" || k == "modified" || runTimes && (k == "valid_from" || k == "first_observed" || k == "last_observed")
		}
		same, decided := sameMembers([]byte(a), []byte(b), skip)
		if !same && !decided {
			return
		}
		for _, m := range []map[string]any{x, y} {
			for k := range m {
				if skip(k) {
					delete(m, k)
				}
			}
		}
		if want := reflect.DeepEqual(x, y); same != want {
			t.Errorf("sameMembers(%s, %s) = %v, decoding says %v", a, b, same, want)
		}
	})
}

func TestFingerprint(t *testing.T) {
	fp := func(raw string, runTimes bool) uint64 {
		return Fingerprint(&Item{Object: &stix.Object{Raw: []byte(raw)}, RunTimes: runTimes})
	}
	a := fp(`{"type":"indicator","id":"x","created":"1","modified":"1","valid_from":"1","pattern":"[a]"}`, true)
	if a == 0 {
		t.Fatal("no fingerprint")
	}
	if b := fp(`{"id":"x","type":"indicator","created":"2","modified":"3","valid_from":"2","pattern":"[a]"}`, true); b != a {
		t.Error("member order or the run's times changed the fingerprint")
	}
	if b := fp(`{"type":"indicator","id":"x","created":"1","modified":"1","valid_from":"2","pattern":"[a]"}`, false); b == a {
		t.Error("valid_from from the source did not count")
	}
	if b := fp(`{"type":"indicator","id":"x","created":"1","modified":"1","valid_from":"1","pattern":"[b]"}`, true); b == a {
		t.Error("a changed pattern kept the fingerprint")
	}
	if b := fp(`{"type":"indicator","id":"x","pattern":"[a]","a":"b"}`, true); b == fp(`{"type":"indicator","id":"x","pattern":"[a]","ab":""}`, true) {
		t.Error("keys and values run together")
	}
	if fp(`not json`, false) != 0 || fp(`{"a":1,"a":2}`, false) != 0 {
		t.Error("a fingerprint of what is not read plainly")
	}
}
