package match

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

const sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// TestPatternSession plays event sequences against real complex patterns
// and checks on which event each indicator hits.
func TestPatternSession(t *testing.T) {
	ip := func(s string) dragnet.Value { return val(dragnet.ValueIPv4, s) }
	dom := func(s string) dragnet.Value { return val(dragnet.ValueDomain, s) }
	type event struct {
		at  int // seconds after t0
		vs  []dragnet.Value
		hit bool
	}
	tests := []struct {
		name    string
		pattern string
		events  []event
	}{
		{"AND across events", `[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']`, []event{
			{0, []dragnet.Value{ip("198.51.100.7")}, false},
			{1, []dragnet.Value{ip("10.0.0.1")}, false},
			{2, []dragnet.Value{dom("Evil.Example.")}, true},
		}},
		{"AND needs two observations", `[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']`, []event{
			{0, []dragnet.Value{ip("198.51.100.7"), dom("evil.example")}, false},
			{1, []dragnet.Value{dom("evil.example")}, true},
		}},
		{"FOLLOWEDBY in order", `[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'evil.example']`, []event{
			{0, []dragnet.Value{ip("198.51.100.7")}, false},
			{5, []dragnet.Value{dom("evil.example")}, true},
		}},
		{"FOLLOWEDBY out of order", `[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'evil.example']`, []event{
			{0, []dragnet.Value{dom("evil.example")}, false},
			{5, []dragnet.Value{ip("198.51.100.7")}, false},
		}},
		{"WITHIN met", `([file:hashes.'SHA-256' = '` + sha + `'] AND [url:value = 'http://bad.example/x']) WITHIN 60 SECONDS`, []event{
			{0, []dragnet.Value{val(dragnet.ValueSHA256, strings.ToUpper(sha))}, false},
			{30, []dragnet.Value{val(dragnet.ValueURL, "http://bad.example/x")}, true},
		}},
		{"WITHIN missed", `([file:hashes.'SHA-256' = '` + sha + `'] AND [url:value = 'http://bad.example/x']) WITHIN 60 SECONDS`, []event{
			{0, []dragnet.Value{val(dragnet.ValueSHA256, sha)}, false},
			{120, []dragnet.Value{val(dragnet.ValueURL, "http://bad.example/x")}, false},
		}},
		{"REPEATS", `[ipv4-addr:value = '198.51.100.7'] REPEATS 3 TIMES`, []event{
			{0, []dragnet.Value{ip("198.51.100.7")}, false},
			{1, []dragnet.Value{ip("198.51.100.7")}, false},
			{2, []dragnet.Value{ip("198.51.100.7")}, true},
		}},
		{"range with exclusion", `[ipv4-addr:value ISSUBSET '203.0.113.0/24' AND ipv4-addr:value != '203.0.113.1']`, []event{
			{0, []dragnet.Value{ip("203.0.113.1")}, false},
			{1, []dragnet.Value{ip("203.0.114.5")}, false},
			{2, []dragnet.Value{ip("203.0.113.5")}, true},
		}},
		{"LIKE names no value", `[domain-name:value LIKE '%.evil.example']`, []event{
			{0, []dragnet.Value{dom("evil.example")}, false},
			{1, []dragnet.Value{dom("a.evil.example")}, true},
		}},
		{"START STOP", `[ipv4-addr:value = '198.51.100.7'] START t'2026-11-01T12:00:10Z' STOP t'2026-11-01T12:01:00Z'`, []event{
			{0, []dragnet.Value{ip("198.51.100.7")}, false},
			{20, []dragnet.Value{ip("198.51.100.7")}, true},
			{90, []dragnet.Value{ip("198.51.100.7")}, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := CompilePatterns([]PatternEntry{{IndicatorID: uuidN(1), Pattern: tc.pattern, Audience: 1, TLP: dragnet.TLPAmber, Confidence: 70}}, t0, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := ps.NewSession(&dragnet.Access{Audiences: []int64{1}}, 0)
			for i, ev := range tc.events {
				hits, err := s.Event(t0.Add(time.Duration(ev.at)*time.Second), ev.vs)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(hits) > 0; got != ev.hit {
					t.Fatalf("event %d %v: hit %v, want %v", i, ev.vs, got, ev.hit)
				}
				if ev.hit && (hits[0].IndicatorID != uuidN(1) || hits[0].Confidence != 70 || hits[0].TLP != dragnet.TLPAmber || hits[0].Pattern != tc.pattern) {
					t.Errorf("hit = %+v", hits[0])
				}
			}
		})
	}
}

// TestPatternPolicy checks that complex hits pass the sharing policy and
// validity like exact ones.
func TestPatternPolicy(t *testing.T) {
	p := `[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']`
	es := []PatternEntry{
		{IndicatorID: uuidN(1), Pattern: p, Audience: 1},
		{IndicatorID: uuidN(2), Pattern: p, Audience: 3},                                 // not visible
		{IndicatorID: uuidN(3), Pattern: p, Audience: 1, ValidFrom: t0.Add(time.Hour)},   // not yet valid
		{IndicatorID: uuidN(4), Pattern: p, Audience: 1, ValidUntil: t0.Add(-time.Hour)}, // expired
		{IndicatorID: uuidN(5), Pattern: p, Audience: 1, Revoked: true},
	}
	ps, err := CompilePatterns(es, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Len() != 3 {
		t.Errorf("Len = %d, want 3", ps.Len())
	}
	s := ps.NewSession(&dragnet.Access{Audiences: []int64{1, 2}}, 0)
	s.Event(t0, []dragnet.Value{val(dragnet.ValueIPv4, "198.51.100.7")})
	hits, err := s.Event(t0.Add(time.Second), []dragnet.Value{val(dragnet.ValueDomain, "evil.example")})
	var got []string
	for _, h := range hits {
		got = append(got, h.IndicatorID)
	}
	if err != nil || !slices.Equal(got, []string{uuidN(1)}) {
		t.Errorf("hits = %v, %v", got, err)
	}
}

func TestCompilePatternsErrors(t *testing.T) {
	bad := []PatternEntry{{IndicatorID: uuidN(9), Pattern: `[ipv4-addr:value = '1.2.3.4'`, Audience: 1}}
	_, err := CompilePatterns(bad, t0, nil)
	if dragnet.ErrorCode(err) != dragnet.EINVALID || !strings.Contains(err.Error(), uuidN(9)) {
		t.Errorf("error = %v", err)
	}
	var skipped []string
	ps, err := CompilePatterns(bad, t0, func(e PatternEntry, err error) { skipped = append(skipped, e.IndicatorID) })
	if err != nil || ps.Len() != 0 || !slices.Equal(skipped, []string{uuidN(9)}) {
		t.Errorf("skip: %v, %d, %v", err, ps.Len(), skipped)
	}
	var de *dragnet.Error
	_ = errors.As(err, &de)
}

// FuzzPatternSession compiles arbitrary patterns and plays arbitrary
// values against them: nothing may panic.
func FuzzPatternSession(f *testing.F) {
	f.Add(`[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']`, "198.51.100.7")
	f.Add(`[ipv4-addr:value ISSUBSET '203.0.113.0/24'] REPEATS 2 TIMES WITHIN 5 SECONDS`, "203.0.113.9")
	f.Add(`[file:hashes.'SHA-256' = '`+sha+`'] FOLLOWEDBY [url:value LIKE 'http://%']`, sha)
	f.Add(`[domain-name:value MATCHES '^a+$']`, "aaa.example")
	f.Fuzz(func(t *testing.T, p, v string) {
		ps, err := CompilePatterns([]PatternEntry{{IndicatorID: uuidN(1), Pattern: p, Audience: 1}}, t0, nil)
		if err != nil {
			return
		}
		s := ps.NewSession(&dragnet.Access{Audiences: []int64{1}}, 4)
		for i, k := range []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueDomain, dragnet.ValueSHA256, dragnet.ValueURL, dragnet.ValueEmail} {
			s.Event(t0.Add(time.Duration(i)*time.Second), []dragnet.Value{{Kind: k, Value: v}})
		}
	})
}

// TestCanonical checks the shortcut past NormalizeValue against it: a
// value said to be canonical is what NormalizeValue makes of it.
func TestCanonical(t *testing.T) {
	for _, v := range []dragnet.Value{
		val(dragnet.ValueIPv4, "198.51.100.7"), val(dragnet.ValueIPv4, "0.0.0.0"), val(dragnet.ValueIPv4, "255.255.255.255"),
		val(dragnet.ValueIPv4, "01.2.3.4"), val(dragnet.ValueIPv4, "256.1.1.1"), val(dragnet.ValueIPv4, "1.2.3"), val(dragnet.ValueIPv4, "1.2.3.4.5"),
		val(dragnet.ValueIPv4, "1..2.3"), val(dragnet.ValueIPv4, " 1.2.3.4"), val(dragnet.ValueIPv4, "1.2.3.4/32"), val(dragnet.ValueIPv4, "1.2.3.1000"),
		val(dragnet.ValueDomain, "evil.example"), val(dragnet.ValueDomain, "Evil.example"), val(dragnet.ValueDomain, "evil.example."),
		val(dragnet.ValueDomain, "a..b"), val(dragnet.ValueDomain, ".a.b"), val(dragnet.ValueDomain, "x_y-1.example"), val(dragnet.ValueDomain, "bücher.example"),
		val(dragnet.ValueDomain, "a-.example"), val(dragnet.ValueDomain, "-a.example"), val(dragnet.ValueDomain, "example"), val(dragnet.ValueDomain, strings.Repeat("a", 64)+".example"),
		val(dragnet.ValueSHA256, sha), val(dragnet.ValueSHA256, strings.ToUpper(sha)), val(dragnet.ValueSHA256, sha[1:]), val(dragnet.ValueMD5, "d41d8cd98f00b204e9800998ecf8427e"),
		val(dragnet.ValueURL, "http://x.example/"), val(dragnet.ValueIPv6, "2001:db8::1"),
	} {
		if !canonical(v) {
			continue
		}
		if nv, err := dragnet.NormalizeValue(v.Kind, v.Value); err != nil || nv != v {
			t.Errorf("canonical(%v), but NormalizeValue gives %v, %v", v, nv, err)
		}
	}
	for _, v := range []dragnet.Value{val(dragnet.ValueIPv4, "198.51.100.7"), val(dragnet.ValueDomain, "evil.example"), val(dragnet.ValueSHA256, sha)} {
		if !canonical(v) {
			t.Errorf("canonical(%v) = false", v)
		}
	}
}

// FuzzCanonical checks the shortcut on arbitrary text: what it lets
// through, NormalizeValue leaves as it is.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "01.2.3.4", "evil.example", "a-.b", sha, "x_y.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueDomain, dragnet.ValueMD5, dragnet.ValueSHA256} {
			v := dragnet.Value{Kind: k, Value: s}
			if !canonical(v) {
				continue
			}
			if nv, err := dragnet.NormalizeValue(k, s); err != nil || nv != v {
				t.Fatalf("canonical(%v), but NormalizeValue gives %v, %v", v, nv, err)
			}
		}
	})
}

// TestPatternSessionKeep checks that the bound on the observations an
// event is evaluated with follows what the pattern needs: REPEATS 40
// TIMES still hits on the 40th event, even among many relevant events
// that do not satisfy it.
func TestPatternSessionKeep(t *testing.T) {
	for _, p := range []string{
		`[ipv4-addr:value = '198.51.100.7' AND ipv4-addr:value != '198.51.100.8'] REPEATS 40 TIMES`,
		`[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '198.51.100.7'] REPEATS 40 TIMES`,
		`([ipv4-addr:value = '198.51.100.7'] REPEATS 20 TIMES) AND ([domain-name:value = 'evil.example'] REPEATS 20 TIMES)`,
	} {
		ps, err := CompilePatterns([]PatternEntry{{IndicatorID: uuidN(1), Pattern: p, Audience: 1}}, t0, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := ps.NewSession(&dragnet.Access{Audiences: []int64{1}}, 0)
		vs := [2]dragnet.Value{val(dragnet.ValueIPv4, "198.51.100.7"), val(dragnet.ValueDomain, "evil.example")}
		if !strings.Contains(p, "AND ([domain") {
			vs[1] = vs[0]
		}
		for i := 1; i <= 40; i++ {
			// One value, then the other, if the pattern has two.
			hits, err := s.Event(t0.Add(time.Duration(i)*time.Second), vs[i%2:i%2+1])
			if err != nil {
				t.Fatal(err)
			}
			if got := len(hits) > 0; got != (i == 40) {
				t.Fatalf("%s: event %d: hit %v", p, i, got)
			}
		}
	}
}

// BenchmarkPatternSessionBusy plays events that all carry both values of
// a FOLLOWEDBY pattern, the worst case for the session: every event is
// evaluated with its recent observations.
func BenchmarkPatternSessionBusy(b *testing.B) {
	ps, err := CompilePatterns([]PatternEntry{{IndicatorID: uuidN(1), Pattern: `[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'evil.example']`, Audience: 1}}, t0, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := ps.NewSession(&dragnet.Access{Audiences: []int64{1}}, 0)
	vs := []dragnet.Value{val(dragnet.ValueIPv4, "198.51.100.7"), val(dragnet.ValueDomain, "evil.example")}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := threadCPU()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Event(t0.Add(time.Duration(i)*time.Millisecond), vs); err != nil {
			b.Fatal(err)
		}
	}
	// Events per second of this thread's CPU time: the machine is shared.
	if el := threadCPU() - cpu; el > 0 {
		b.ReportMetric(float64(i)/el.Seconds(), "events/cpu-s")
	}
}
