package postgres

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet/stix"
)

func TestValidUntil(t *testing.T) {
	want := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	cases := []struct {
		raw  string
		want int64
	}{
		{`{"type":"indicator","id":"indicator--1","valid_until":"2026-03-01T10:00:00Z"}`, want},
		{`{"type":"indicator","id":"indicator--1","valid_until" :  "2026-03-01T10:00:00.000Z" }`, want},
		{`{"type":"indicator","id":"indicator--1"}`, 0},
		{`{"type":"indicator","id":"indicator--1","valid_until":"soon"}`, 0},
		{`{"type":"indicator","id":"indicator--1","valid_until":null}`, 0},
		{`{"type":"indicator","id":"indicator--1","valid_until":"9999-01-01T00:00:00Z"}`, 0},
		// The key inside a string, then the real one: decoded properly.
		{`{"type":"indicator","description":"see \"valid_until\":\"2020-01-01T00:00:00Z\"","valid_until":"2026-03-01T10:00:00Z"}`, want},
		// Only inside a string: no valid_until.
		{`{"type":"indicator","description":"a \"valid_until\":\"2020-01-01T00:00:00Z\" note"}`, 0},
		{`{"type":"malware","valid_until":"2026-03-01T10:00:00Z"}`, 0},
	}
	for _, c := range cases {
		o, err := stix.Decode([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		if got := validUntil(o); got != c.want {
			t.Errorf("validUntil(%s) = %d, want %d", c.raw, got, c.want)
		}
	}
}

// FuzzValidUntil checks that reading valid_until straight from the JSON
// agrees with decoding the object, and never panics.
func FuzzValidUntil(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","id":"indicator--1","valid_until":"2026-03-01T10:00:00Z"}`,
		`{"type":"indicator","valid_until" : "2026-03-01T10:00:00.123456789Z"}`,
		`{"type":"indicator","x":{"valid_until":"2021-01-01T00:00:00Z"},"valid_until":"2026-03-01T10:00:00Z"}`,
		`{"type":"indicator","valid_until":"2026-03-01T10:00:00\u005aZ"}`,
		`{"type":"indicator","name":"\"valid_until\":\"2020-01-01T00:00:00Z\""}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := stix.Decode([]byte(raw))
		if err != nil || o.Type != "indicator" {
			return
		}
		got := validUntil(o)
		var x struct {
			ValidUntil string `json:"valid_until"`
		}
		var want int64
		if json.Unmarshal([]byte(raw), &x) == nil {
			if ts, err := stix.ParseTimestamp(x.ValidUntil); err == nil && ts.Year() >= 1678 && ts.Year() <= 2261 {
				want = ts.UnixNano()
			}
		}
		if got != want {
			t.Fatalf("validUntil(%s) = %d, decoding says %d", raw, got, want)
		}
	})
}
