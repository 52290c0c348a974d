package pattern

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestMatchBounded checks that patterns whose combinations explode over
// many observations fail with an error instead of running without end.
func TestMatchBounded(t *testing.T) {
	t0 := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	obs := make([]Observation, 300)
	for i := range obs {
		ts := t0.Add(-time.Duration(i) * time.Second) // later observations are older
		obs[i] = Observation{FirstObserved: ts, LastObserved: ts, NumberObserved: 1,
			Objects: map[string]map[string]any{"a--1": {"type": "a", "b": "x"}}}
	}
	tests := []struct {
		pattern string
		err     error
	}{
		{"([a:b = 'x'] AND [a:b = 'x']) FOLLOWEDBY ([a:b = 'x'] AND [a:b = 'x'])", errTooLong},
		{"[a:b = 'x'] AND [a:b = 'x'] AND [a:b = 'x']", errTooMany},
	}
	for _, tc := range tests {
		start := time.Now()
		_, err := Match(MustParse(tc.pattern), obs)
		if !errors.Is(err, tc.err) {
			t.Errorf("Match(%s): %v, want %v", tc.pattern, err, tc.err)
		}
		t.Logf("%s: %v after %v", tc.pattern, err, time.Since(start))
	}
	// The same shapes over few observations match.
	ok, err := Match(MustParse("[a:b = 'x'] AND [a:b = 'x'] AND [a:b = 'x']"), obs[:5])
	if !ok || err != nil {
		t.Errorf("Match over 5 observations: %v, %v", ok, err)
	}
}

// TestMatchConcurrent matches one Pattern from several goroutines (run
// with -race to check that Match does not write to the Pattern).
func TestMatchConcurrent(t *testing.T) {
	p := MustParse("[file:name MATCHES '^x' AND file:size > 5] FOLLOWEDBY [ipv4-addr:value IN ('198.51.100.1', '198.51.100.2/32')] WITHIN 60 SECONDS")
	obs := benchObservations(20)
	want, err := Match(p, obs)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for range 50 {
				got, err := Match(p, obs)
				if err != nil || got != want {
					done <- fmt.Errorf("Match = %v, %v; want %v", got, err, want)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
