package dragnet

import (
	"testing"
	"time"
)

func TestIndicatorTerms(t *testing.T) {
	tests := []struct {
		in   string
		conf int
		from time.Time
	}{
		{`[85,"2026-03-01T00:00:00Z"]`, 85, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{`[0,"2026-03-01T01:00:00.5+01:00"]`, 0, time.Date(2026, 3, 1, 0, 0, 0, 5e8, time.UTC)},
		{`[null,null]`, 0, time.Time{}},
		{`[101,"yesterday"]`, 0, time.Time{}},
		{`[50.5,7]`, 0, time.Time{}},
		{`["85",null]`, 0, time.Time{}},
		{`[-1]`, 0, time.Time{}},
		{`not json`, 0, time.Time{}},
		{``, 0, time.Time{}},
	}
	for _, tc := range tests {
		c, f := IndicatorTerms(tc.in)
		if c != tc.conf || !f.Equal(tc.from) {
			t.Errorf("IndicatorTerms(%q) = %d, %v; want %d, %v", tc.in, c, f, tc.conf, tc.from)
		}
	}
}

func FuzzIndicatorTerms(f *testing.F) {
	for _, s := range []string{`[85,"2026-03-01T00:00:00Z"]`, `[null,null]`, `[1e400,"x"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, _ := IndicatorTerms(s); c < 0 || c > 100 {
			t.Fatalf("confidence %d", c)
		}
	})
}
