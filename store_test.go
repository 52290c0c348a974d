package dragnet

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dragnet-intel/dragnet/stix"
)

func TestIndicatorTerms(t *testing.T) {
	until := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in          string
		conf        int
		from, until time.Time
	}{
		{`{"type":"indicator","confidence":85,"valid_from":"2026-03-01T00:00:00Z"}`, 85, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
		{`{"confidence":0,"valid_from":"2026-03-01T01:00:00.5+01:00"}`, 0, time.Date(2026, 3, 1, 0, 0, 0, 5e8, time.UTC), time.Time{}},
		{`{"confidence":null,"valid_from":null,"valid_until":null}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":101,"valid_from":"yesterday","valid_until":"soon"}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":50.5,"valid_from":7}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":"85"}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":-1}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":8e1}`, 80, time.Time{}, time.Time{}},
		{`not json`, 0, time.Time{}, time.Time{}},
		{``, 0, time.Time{}, time.Time{}},
		{`[85,"2026-03-01T00:00:00Z"]`, 0, time.Time{}, time.Time{}},
		{`{"valid_until":"2026-03-01T10:00:00Z"}`, 0, time.Time{}, until},
		{`{"valid_until" :  "2026-03-01T10:00:00.000Z" }`, 0, time.Time{}, until},
		{`{"valid_until":"2026-03-01T10:00:00\u005a"}`, 0, time.Time{}, until},
		// Beyond what nanoseconds since the epoch can hold.
		{`{"valid_until":"9999-01-01T00:00:00Z"}`, 0, time.Time{}, time.Time{}},
		// The name inside a string, or inside another member, does not count.
		{`{"description":"see \"valid_until\":\"2020-01-01T00:00:00Z\"","valid_until":"2026-03-01T10:00:00Z"}`, 0, time.Time{}, until},
		{`{"description":"a \"valid_until\":\"2020-01-01T00:00:00Z\" note"}`, 0, time.Time{}, time.Time{}},
		{`{"x_ext":{"confidence":90,"valid_until":"2020-01-01T00:00:00Z"}}`, 0, time.Time{}, time.Time{}},
		// Names are exact; a repeated member counts as its last.
		{`{"Confidence":90,"VALID_UNTIL":"2026-03-01T10:00:00Z"}`, 0, time.Time{}, time.Time{}},
		{`{"confidence":10,"confidence":20}`, 20, time.Time{}, time.Time{}},
	}
	for _, tc := range tests {
		c, f, u := IndicatorTerms(tc.in)
		if c != tc.conf || !f.Equal(tc.from) || !u.Equal(tc.until) {
			t.Errorf("IndicatorTerms(%s) = %d, %v, %v; want %d, %v, %v", tc.in, c, f, u, tc.conf, tc.from, tc.until)
		}
	}
	o, err := stix.Decode([]byte(`{"type":"malware","id":"malware--6b1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5","valid_until":"2026-03-01T10:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := ValidUntilNanos(o); got != 0 {
		t.Errorf("ValidUntilNanos of a malware object = %d, want 0", got)
	}
}

// FuzzIndicatorTerms checks IndicatorTerms against decoding the whole
// object (exact names, the last of repeated members), and that it never
// panics.
func FuzzIndicatorTerms(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","confidence":85,"valid_from":"2026-03-01T00:00:00Z","valid_until":"2026-03-01T10:00:00Z"}`,
		`{"type":"indicator","valid_until" : "2026-03-01T10:00:00.123456789Z"}`,
		`{"type":"indicator","x":{"valid_until":"2021-01-01T00:00:00Z"},"valid_until":"2026-03-01T10:00:00Z"}`,
		`{"name":"\"valid_until\":\"2020-01-01T00:00:00Z\"","confidence":1e400}`,
		`[85,"2026-03-01T00:00:00Z"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, from, until := IndicatorTerms(s)
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &m) != nil || m == nil || !utf8.ValidString(s) {
			return // a decoder turns invalid bytes into U+FFFD; stores hold valid JSON
		}
		var wc int
		var n float64
		if json.Unmarshal(m["confidence"], &n) == nil && n >= 0 && n <= 100 && n == float64(int(n)) {
			wc = int(n)
		}
		var wf, wu time.Time
		var str string
		if json.Unmarshal(m["valid_from"], &str) == nil {
			if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
				wf = t.UTC()
			}
		}
		str = ""
		if json.Unmarshal(m["valid_until"], &str) == nil {
			if t, err := stix.ParseTimestamp(str); err == nil && t.Year() >= 1678 && t.Year() <= 2261 {
				wu = t
			}
		}
		if c != wc || !from.Equal(wf) || !until.Equal(wu) {
			t.Fatalf("IndicatorTerms(%s) = %d, %v, %v; decoding says %d, %v, %v", s, c, from, until, wc, wf, wu)
		}
	})
}
