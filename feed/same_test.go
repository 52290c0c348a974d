package feed

import (
	"reflect"
	"testing"
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
