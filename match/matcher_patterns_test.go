package match_test

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/match"
	"github.com/dragnet-intel/dragnet/stix"
)

// patternHits streams plain telemetry through lk for acc and returns
// "line id" for each complex-pattern hit.
func patternHits(t *testing.T, lk match.Looker, acc *dragnet.Access, in string) []string {
	t.Helper()
	var got []string
	_, err := match.Stream(lk, acc, strings.NewReader(in), match.FormatPlain, nil, io.Discard, func(r match.Result) error {
		if r.Kind == "stix-pattern" {
			got = append(got, fmt.Sprintf("%d %s", r.Line, r.Indicators[0].ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// collection returns the id of the collection o sees under title.
func (w *world) collection(o *dragnet.Org, title string) string {
	w.t.Helper()
	cs, err := w.st.Collections(w.as(o))
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == title {
			return c.CollectionID
		}
	}
	w.t.Fatalf("%s sees no collection %q", o.Name, title)
	return ""
}

// TestMatcherPatternsFollowStore changes complex indicators in a real
// store after Load and checks that each change counts from the next
// Refresh on, without a rebuild of the base: added, changed, revoked,
// made simple, deleted, expired; and that the sharing policy holds for
// indicators added that way.
func TestMatcherPatternsFollowStore(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	and := func(ip string) string {
		return fmt.Sprintf(`[ipv4-addr:value = '%s'] AND [domain-name:value = 'evil.example']`, ip)
	}
	// One complex indicator before Load, so the base is not empty.
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), map[string]any{"pattern": and("198.51.100.1")})
	now := t0.AddDate(0, 1, 0)
	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, MaxDelta: 1000, Now: func() time.Time { return now }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	accA, accB := w.access(w.a), w.access(w.b)
	check := func(when string, acc *dragnet.Access, in string, want ...string) {
		t.Helper()
		if got := patternHits(t, m, acc, in); !slices.Equal(got, want) {
			t.Errorf("%s: hits %q, want %q", when, got, want)
		}
	}
	refresh := func() {
		t.Helper()
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
	}
	in2 := "198.51.100.2\nevil.example\n"
	check("load", accA, "198.51.100.1\nevil.example\n", "2 "+id(1))
	check("load: not yet published", accA, in2)

	// Added after Load: seen from the next Refresh on.
	w.publish(w.a, dragnet.CommunityCollectionID, 2, t0, ip("198.51.100.2"), map[string]any{"pattern": and("198.51.100.2")})
	check("before refresh", accA, in2)
	refresh()
	check("added", accA, in2, "2 "+id(2))
	check("added, other member", accB, in2, "2 "+id(2))
	if base, delta := m.PatternLen(); base != 1 || delta != 1 {
		t.Errorf("PatternLen = %d, %d; want 1, 1 (no rebuild)", base, delta)
	}

	// Published to B's own collection: B hits, A never does.
	w.publish(w.b, w.collection(w.b, "B"), 3, t0, ip("198.51.100.3"), map[string]any{"pattern": and("198.51.100.3")})
	refresh()
	in3 := "198.51.100.3\nevil.example\n"
	check("private to B, read by B", accB, in3, "2 "+id(3))
	check("private to B, read by A", accA, in3)

	// A new version with another pattern: the old one stops, the new counts.
	w.publish(w.a, dragnet.CommunityCollectionID, 2, t0.Add(time.Hour), ip("198.51.100.2"), map[string]any{"pattern": and("198.51.100.22")})
	refresh()
	check("changed: old pattern", accA, in2)
	check("changed: new pattern", accA, "198.51.100.22\nevil.example\n", "2 "+id(2))

	// Revoked: no longer matched, in the base as in the delta.
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0.Add(time.Hour), ip("198.51.100.1"), map[string]any{"pattern": and("198.51.100.1"), "revoked": true})
	w.publish(w.a, dragnet.CommunityCollectionID, 2, t0.Add(2*time.Hour), ip("198.51.100.2"), map[string]any{"pattern": and("198.51.100.22"), "revoked": true})
	refresh()
	check("revoked (base)", accA, "198.51.100.1\nevil.example\n")
	check("revoked (delta)", accA, "198.51.100.22\nevil.example\n")

	// A new version whose pattern is simple: the value index has it, the
	// evaluator no longer.
	w.publish(w.b, w.collection(w.b, "B"), 3, t0.Add(time.Hour), ip("198.51.100.3"), nil)
	refresh()
	check("now simple: evaluator", accB, in3)
	if hs := m.AppendLookup(nil, ip("198.51.100.3"), accB); len(hs) != 1 || hs[0].IndicatorID() != id(3) {
		t.Errorf("now simple: value index hits %v", hitIDs(hs))
	}

	// Deleted from its collection.
	w.publish(w.a, w.groupID, 4, t0, ip("198.51.100.4"), map[string]any{"pattern": and("198.51.100.4")})
	refresh()
	in4 := "198.51.100.4\nevil.example\n"
	check("in group", accA, in4, "2 "+id(4))
	check("in group, B not a member", accB, in4)
	if err := w.st.DeleteObject(w.as(w.a), w.groupID, id(4), dragnet.Filter{Versions: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	refresh()
	check("deleted", accA, in4)

	// Expired: valid_until passes on the Matcher's clock.
	w.publish(w.a, dragnet.CommunityCollectionID, 5, t0, ip("198.51.100.5"), map[string]any{"pattern": and("198.51.100.5"), "valid_until": "2026-04-01T00:00:00Z"})
	refresh()
	in5 := "198.51.100.5\nevil.example\n"
	check("valid", accA, in5, "2 "+id(5))
	now = t0.AddDate(0, 3, 0)
	refresh()
	check("expired", accA, in5)

	// A rebuild folds the delta into the base and keeps the same answers.
	now = t0.AddDate(0, 1, 0)
	w.publish(w.a, dragnet.CommunityCollectionID, 6, t0, ip("198.51.100.6"), map[string]any{"pattern": and("198.51.100.6")})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	if base, delta := m.PatternLen(); base != 2 || delta != 0 {
		t.Errorf("after Load: PatternLen = %d, %d; want 2 (ids 5, 6), 0", base, delta)
	}
	check("reloaded", accA, "198.51.100.6\nevil.example\n198.51.100.1\nevil.example\n", "2 "+id(6))
}

// TestMatcherPatternsConcurrent streams telemetry through the matcher
// while complex indicators are published and the base is rebuilt: every
// stream sees a whole set of patterns, and once a Refresh has returned,
// each pattern published before it hits (run with -race to check the
// swap).
func TestMatcherPatternsConcurrent(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, MaxDelta: 3, Now: func() time.Time { return t0.AddDate(0, 1, 0) }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	acc := w.access(w.a)
	pat := func(i int) string {
		return fmt.Sprintf(`[ipv4-addr:value = '192.0.2.%d'] FOLLOWEDBY [domain-name:value = 'evil.example']`, i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				patternHits(t, m, acc, "192.0.2.1\nevil.example\n")
			}
		}()
	}
	for i := 1; i <= 12; i++ {
		w.publish(w.a, dragnet.CommunityCollectionID, i, t0, ip(fmt.Sprintf("192.0.2.%d", i)), map[string]any{"pattern": pat(i)})
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
		for j := 1; j <= i; j++ {
			in := fmt.Sprintf("192.0.2.%d\nevil.example\n", j)
			if got := patternHits(t, m, acc, in); !slices.Equal(got, []string{"2 " + id(j)}) {
				t.Fatalf("after %d: pattern %d hits %q", i, j, got)
			}
		}
	}
	close(stop)
	wg.Wait()
	m.Wait()
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	if base, delta := m.PatternLen(); base+delta != 12 || base < 4 {
		t.Errorf("after rebuilds: base %d, delta %d", base, delta)
	}
}

// BenchmarkMatcherPatternRefresh times a Refresh that takes in 1,000
// indicators published since the last one: complex ones (each read from
// the store's object tail at its change) and, for comparison, simple ones
// (the value stream carries their values).
func BenchmarkMatcherPatternRefresh(b *testing.B) {
	for _, kind := range []string{"complex", "simple"} {
		b.Run(kind, func(b *testing.B) {
			w := newWorld(b)
			t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, MaxDelta: 1 << 30})
			if err := m.Load(w.sys); err != nil {
				b.Fatal(err)
			}
			const n = 1000
			round := 0
			for b.Loop() {
				b.StopTimer()
				var subs []*dragnet.Submission
				for i := 0; i < n; i++ {
					p := fmt.Sprintf(`[ipv4-addr:value = '192.0.2.%d'] AND [domain-name:value = 'evil.example']`, i%256)
					var vals []dragnet.Value
					if kind == "simple" {
						p = fmt.Sprintf(`[ipv4-addr:value = '192.0.2.%d']`, i%256)
						vals = []dragnet.Value{ip(fmt.Sprintf("192.0.2.%d", i%256))}
					}
					raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00Z","modified":"%s","pattern":"%s","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
						id(i), stix.FormatTimestamp(t0.Add(time.Duration(round)*time.Second)), p)
					obj, err := stix.Decode([]byte(raw))
					if err != nil {
						b.Fatal(err)
					}
					subs = append(subs, &dragnet.Submission{Object: obj, Values: vals})
				}
				if _, err := w.st.AddObjects(w.as(w.a), dragnet.CommunityCollectionID, "", subs); err != nil {
					b.Fatal(err)
				}
				round++
				b.StartTimer()
				if err := m.Refresh(w.sys); err != nil {
					b.Fatal(err)
				}
			}
			if base, delta := m.PatternLen(); kind == "complex" && base+delta != n {
				b.Fatalf("PatternLen = %d, %d", base, delta)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/indicator")
		})
	}
}

// TestMatcherPatternsBulk publishes complex indicators many at a time, so
// that a Refresh reads them in one pass over the object tail: each counts
// as when published one by one.
func TestMatcherPatternsBulk(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, Now: func() time.Time { return t0.AddDate(0, 1, 0) }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	pat := func(i, v int) string {
		return fmt.Sprintf(`[ipv4-addr:value = '192.0.2.%d'] AND [domain-name:value = 'v%d.example']`, i, v)
	}
	publishAll := func(modified time.Time, v int, revoked func(i int) bool) {
		t.Helper()
		var subs []*dragnet.Submission
		for i := 1; i <= 8; i++ {
			m := map[string]any{
				"type": "indicator", "spec_version": "2.1", "id": id(i), "created": "2026-01-01T00:00:00Z",
				"modified": stix.FormatTimestamp(modified), "pattern": pat(i, v), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
			}
			if revoked(i) {
				m["revoked"] = true
			}
			raw, _ := json.Marshal(m)
			obj, err := stix.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, &dragnet.Submission{Object: obj})
			// A simple indicator between them, carrying its value.
			raw = []byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00Z","modified":"%s","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
				id(100+i), stix.FormatTimestamp(modified), i))
			if obj, err = stix.Decode(raw); err != nil {
				t.Fatal(err)
			}
			subs = append(subs, &dragnet.Submission{Object: obj, Values: []dragnet.Value{ip(fmt.Sprintf("203.0.113.%d", i))}})
		}
		rs, err := w.st.AddObjects(w.as(w.a), dragnet.CommunityCollectionID, "", subs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
	}
	acc := w.access(w.a)
	check := func(when string, v int, want func(i int) bool) {
		t.Helper()
		for i := 1; i <= 8; i++ {
			got := patternHits(t, m, acc, fmt.Sprintf("192.0.2.%d\nv%d.example\n", i, v))
			if hit := slices.Equal(got, []string{"2 " + id(i)}); hit != want(i) {
				t.Errorf("%s: indicator %d hits %q, want a hit: %v", when, i, got, want(i))
			}
			if hs := m.AppendLookup(nil, ip(fmt.Sprintf("203.0.113.%d", i)), acc); len(hs) != 1 {
				t.Errorf("%s: simple indicator %d: %d hits", when, 100+i, len(hs))
			}
		}
	}
	never := func(int) bool { return false }
	always := func(int) bool { return true }
	publishAll(t0, 1, never)
	check("published", 1, always)
	odd := func(i int) bool { return i%2 == 1 }
	publishAll(t0.Add(time.Hour), 2, odd)
	check("old patterns", 1, never)
	check("new patterns, odd ones revoked", 2, func(i int) bool { return !odd(i) })
}

// flushBuffer is a Flusher: Stream writes each result at once.
type flushBuffer struct{ strings.Builder }

func (*flushBuffer) Flush() error { return nil }

// TestMatcherPatternsMidStream keeps one stream of Zeek logs open while
// complex indicators are published and revoked: each counts for the
// stream's events from the Refresh after it on.
func TestMatcherPatternsMidStream(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.a, dragnet.CommunityCollectionID, 99, t0, ip("192.0.2.99"), nil) // simple: marks where the stream is
	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	results := make(chan match.Result, 16)
	done := make(chan error, 1)
	go func() {
		_, err := match.StreamWith(m, w.access(w.a), pr, match.StreamOptions{Format: match.FormatZeek}, &flushBuffer{}, func(r match.Result) error {
			results <- r
			return nil
		})
		done <- err
	}()
	// send writes Zeek lines, then a marker line, and returns the
	// pattern hits before the marker's hit.
	line := 0
	send := func(lines ...string) []string {
		t.Helper()
		for _, l := range append(lines, `{"ts":1790000000,"id.orig_h":"10.0.0.9","id.resp_h":"192.0.2.99"}`) {
			line++
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for r := range results {
			if r.Kind == "stix-pattern" {
				got = append(got, fmt.Sprintf("%d %s", r.Line, r.Indicators[0].ID))
			} else if r.Value == "192.0.2.99" && r.Line == line {
				return got
			}
		}
		t.Fatal("stream ended")
		return nil
	}
	episode := func(ts int) []string {
		return []string{
			fmt.Sprintf(`{"ts":%d,"id.orig_h":"10.0.0.5","id.resp_h":"10.0.0.1","query":"c2.evil.example"}`, ts),
			fmt.Sprintf(`{"ts":%d,"id.orig_h":"10.0.0.5","id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp"}`, ts+10),
		}
	}
	p := `([domain-name:value = 'c2.evil.example'] FOLLOWEDBY [network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]) WITHIN 60 SECONDS`
	if got := send(episode(1790000000)...); len(got) != 0 {
		t.Errorf("before publishing: %q", got)
	}
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.7"), map[string]any{"pattern": p})
	w.publish(w.a, dragnet.CommunityCollectionID, 2, t0, ip("198.51.100.7"), map[string]any{"pattern": p})
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	start := line
	if got := send(episode(1790001000)...); !slices.Equal(got, []string{fmt.Sprint(start+2, " ", id(1)), fmt.Sprint(start+2, " ", id(2))}) {
		t.Errorf("published: %q", got)
	}
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0.Add(time.Hour), ip("198.51.100.7"), map[string]any{"pattern": p, "revoked": true})
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	start = line
	if got := send(episode(1790002000)...); !slices.Equal(got, []string{fmt.Sprint(start+2, " ", id(2))}) {
		t.Errorf("one revoked: %q", got)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
