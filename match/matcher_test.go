package match_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/match"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// world is a real SQLite store with two members and a group.
type world struct {
	t       testing.TB
	st      *sqlite.DB
	sys     context.Context
	a, b    *dragnet.Org
	groupID string // collection of group G (A only)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, st: st, sys: dragnet.SystemContext(ctx)}
	w.a, w.b = w.org("A"), w.org("B")
	if _, err := st.CreateGroup(w.sys, "G", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	cs, err := st.Collections(w.as(w.a))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == "G" {
			w.groupID = c.CollectionID
		}
	}
	return w
}

func (w *world) org(name string) *dragnet.Org {
	o := &dragnet.Org{Name: name, Country: "NL", Kind: dragnet.KindCERT}
	if err := w.st.CreateOrg(w.sys, o); err != nil {
		w.t.Fatal(err)
	}
	return o
}

func (w *world) as(o *dragnet.Org) context.Context {
	return dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
}

func (w *world) access(o *dragnet.Org) *dragnet.Access {
	a, err := w.st.Access(w.as(o))
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// publish adds an indicator version carrying v as o into coll.
func (w *world) publish(o *dragnet.Org, coll string, n int, modified time.Time, v dragnet.Value, extra map[string]any) {
	w.t.Helper()
	m := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id(n),
		"created": "2026-01-01T00:00:00Z", "modified": stix.FormatTimestamp(modified),
		"pattern": fmt.Sprintf("[ipv4-addr:value = '%s']", v.Value), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
	}
	for k, x := range extra {
		m[k] = x
	}
	raw, _ := json.Marshal(m)
	obj, err := stix.Decode(raw)
	if err != nil {
		w.t.Fatal(err)
	}
	vals := []dragnet.Value{v}
	if _, ok := extra["pattern"]; ok {
		vals = nil // a complex pattern carries no values (observable.Values)
	}
	rs, err := w.st.AddObjects(w.as(o), coll, "", []*dragnet.Submission{{Object: obj, Values: vals}})
	if err != nil || rs[0].Err != nil {
		w.t.Fatalf("publishing %s: %v %v", id(n), err, rs)
	}
}

func id(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

func ip(s string) dragnet.Value { return dragnet.Value{Kind: dragnet.ValueIPv4, Value: s} }

func hitIDs(hs []match.Hit) []string {
	var out []string
	for i := range hs {
		out = append(out, hs[i].IndicatorID())
	}
	sort.Strings(out)
	return out
}

func TestMatcherFollowsStore(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), nil)
	w.publish(w.a, w.groupID, 2, t0, ip("198.51.100.1"), nil)
	w.publish(w.b, dragnet.CommunityCollectionID, 3, t0, ip("198.51.100.3"), nil)

	m := match.NewMatcher(w.st, match.MatcherOptions{MaxDelta: 1000})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	accA, accB := w.access(w.a), w.access(w.b)
	check := func(when string, o *dragnet.Access, v dragnet.Value, want ...string) {
		t.Helper()
		if got := hitIDs(m.AppendLookup(nil, v, o)); !slices.Equal(got, want) {
			t.Errorf("%s: lookup %v = %v, want %v", when, v, got, want)
		}
		// A batch gives the same hits, masked base and delta included.
		var b match.Batch
		var got []string
		vs := []dragnet.Value{ip("192.0.2.200"), v, ip("192.0.2.201")}
		if err := b.Lookup(m, vs, o, func(i int, hs []match.Hit) error {
			if i != 1 {
				t.Errorf("%s: batch hit on value %d", when, i)
			}
			got = hitIDs(hs)
			return nil
		}); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: batch lookup %v = %v, %v; want %v", when, v, got, err, want)
		}
	}
	check("load", accA, ip("198.51.100.1"), id(1), id(2))
	check("load", accB, ip("198.51.100.1"), id(1)) // B is not in G
	check("load", accB, ip("198.51.100.3"), id(3))

	// New indicator, a new version with another value, and a revocation.
	w.publish(w.b, dragnet.CommunityCollectionID, 4, t0, ip("198.51.100.4"), nil)
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0.Add(time.Hour), ip("198.51.100.9"), nil)
	w.publish(w.b, dragnet.CommunityCollectionID, 3, t0.Add(time.Hour), ip("198.51.100.3"), map[string]any{"revoked": true})
	check("before refresh", accB, ip("198.51.100.4"))
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	check("refresh: new", accB, ip("198.51.100.4"), id(4))
	check("refresh: old value of new version", accA, ip("198.51.100.1"), id(2))
	check("refresh: new value", accA, ip("198.51.100.9"), id(1))
	check("refresh: revoked", accB, ip("198.51.100.3"))
	if base, delta := m.Len(); base != 3 || delta != 2 {
		t.Errorf("Len = %d, %d", base, delta)
	}

	// Expiry: an indicator valid until soon stops hitting when time passes.
	now := t0
	m2 := match.NewMatcher(w.st, match.MatcherOptions{Now: func() time.Time { return now }})
	w.publish(w.b, dragnet.CommunityCollectionID, 5, t0, ip("198.51.100.5"), map[string]any{"valid_until": "2026-03-01T00:00:00Z"})
	if err := m2.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(m2.AppendLookup(nil, ip("198.51.100.5"), accB)); len(got) != 1 {
		t.Errorf("before expiry: %v", got)
	}
	now = t0.AddDate(0, 2, 0)
	if err := m2.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(m2.AppendLookup(nil, ip("198.51.100.5"), accB)); len(got) != 0 {
		t.Errorf("after expiry: %v", got)
	}
}

func TestMatcherRebuildsBase(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	m := match.NewMatcher(w.st, match.MatcherOptions{MaxDelta: 3})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	acc := w.access(w.b)
	for i := 1; i <= 10; i++ {
		w.publish(w.b, dragnet.CommunityCollectionID, i, t0, ip(fmt.Sprintf("192.0.2.%d", i)), nil)
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
		// Every published indicator hits at every moment, rebuild or not.
		for j := 1; j <= i; j++ {
			if got := hitIDs(m.AppendLookup(nil, ip(fmt.Sprintf("192.0.2.%d", j)), acc)); !slices.Equal(got, []string{id(j)}) {
				t.Fatalf("after %d: lookup %d = %v", i, j, got)
			}
		}
	}
	m.Wait()
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	if base, delta := m.Len(); base+delta != 10 || base < 4 {
		t.Errorf("after rebuilds: base %d, delta %d", base, delta)
	}
}

// TestMatcherConcurrentReaders looks up while the matcher refreshes and
// rebuilds its base: every indicator published before a refresh hits in
// every view after it (run with -race to check the swap).
func TestMatcherConcurrentReaders(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.b, dragnet.CommunityCollectionID, 1, t0, ip("192.0.2.1"), nil)
	m := match.NewMatcher(w.st, match.MatcherOptions{MaxDelta: 2})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	acc := w.access(w.b)
	stop := make(chan struct{})
	errs := make(chan string, 4)
	for r := 0; r < 2; r++ {
		go func() {
			var buf []match.Hit
			for {
				select {
				case <-stop:
					errs <- ""
					return
				default:
				}
				if buf = m.AppendLookup(buf[:0], ip("192.0.2.1"), acc); len(buf) != 1 {
					errs <- fmt.Sprintf("lookup of the first indicator: %d hits", len(buf))
					return
				}
			}
		}()
	}
	for i := 2; i <= 12; i++ {
		w.publish(w.b, dragnet.CommunityCollectionID, i, t0, ip(fmt.Sprintf("192.0.2.%d", i)), nil)
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
	}
	m.Wait()
	close(stop)
	for r := 0; r < 2; r++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestMatcherPatterns publishes indicators with complex patterns and
// streams telemetry through a Matcher that reads them from the store:
// the event that completes a pattern hits, for readers who may see it.
func TestMatcherPatterns(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	and := `[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'evil.example']`
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), map[string]any{"pattern": and, "confidence": 85})
	w.publish(w.a, w.groupID, 2, t0, ip("198.51.100.1"), map[string]any{"pattern": `[domain-name:value = 'evil.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.1']`})
	w.publish(w.b, dragnet.CommunityCollectionID, 3, t0, ip("198.51.100.3"), nil) // simple: value index

	m := match.NewMatcher(w.st, match.MatcherOptions{Objects: w.st, Now: func() time.Time { return t0.AddDate(0, 1, 0) }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	in := "198.51.100.1\n10.0.0.1\nevil.example\n198.51.100.3\n"
	for _, tc := range []struct {
		acc  *dragnet.Access
		want []string
	}{
		{w.access(w.a), []string{"3 " + id(1) + " 85", "4 " + id(3) + " 0"}},
		{w.access(w.b), []string{"3 " + id(1) + " 85", "4 " + id(3) + " 0"}},
	} {
		var got []string
		var out strings.Builder
		if _, err := match.Stream(m, tc.acc, strings.NewReader(in), match.FormatPlain, nil, &out, func(r match.Result) error {
			for _, h := range r.Indicators {
				got = append(got, fmt.Sprintf("%d %s %d", r.Line, h.ID, h.Confidence))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("hits = %q, want %q\n%s", got, tc.want, out.String())
		}
	}
	// FOLLOWEDBY in the order the group's indicator wants, seen by A only.
	var got []string
	in = "evil.example\n198.51.100.1\n"
	for _, acc := range []*dragnet.Access{w.access(w.a), w.access(w.b)} {
		match.Stream(m, acc, strings.NewReader(in), match.FormatPlain, nil, io.Discard, func(r match.Result) error {
			if r.Kind == "stix-pattern" {
				got = append(got, r.Indicators[0].ID)
			}
			return nil
		})
	}
	if !slices.Equal(got, []string{id(1), id(2), id(1)}) {
		t.Errorf("pattern hits = %q", got)
	}
}

// TestMatcherIndicatorTerms checks that the store's value entries carry
// an indicator's confidence and valid_from: hits report the confidence,
// and an indicator not yet valid does not hit until it is.
func TestMatcherIndicatorTerms(t *testing.T) {
	w := newWorld(t)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	w.publish(w.a, dragnet.CommunityCollectionID, 1, t0, ip("198.51.100.1"), map[string]any{"confidence": 85})
	w.publish(w.a, dragnet.CommunityCollectionID, 2, t0, ip("198.51.100.2"), map[string]any{"valid_from": "2026-03-01T00:00:00Z"})
	now := t0
	m := match.NewMatcher(w.st, match.MatcherOptions{Now: func() time.Time { return now }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	acc := w.access(w.a)
	if hs := m.AppendLookup(nil, ip("198.51.100.1"), acc); len(hs) != 1 || hs[0].Confidence != 85 {
		t.Errorf("hits = %+v, want one of confidence 85", hs)
	}
	if hs := m.AppendLookup(nil, ip("198.51.100.2"), acc); len(hs) != 0 {
		t.Errorf("not yet valid: %d hits", len(hs))
	}
	now = t0.AddDate(0, 2, 0)
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	if hs := m.AppendLookup(nil, ip("198.51.100.2"), acc); len(hs) != 1 || hs[0].Confidence != 0 {
		t.Errorf("valid now: hits = %+v", hs)
	}
}

// TestMatcherLargeBacklog: a writer's burst far past MaxDelta is not read
// into the delta whole (a rebuild covers it), and once the rebuild is in,
// every indicator of the burst hits.
func TestMatcherLargeBacklog(t *testing.T) {
	w := newWorld(t)
	m := match.NewMatcher(w.st, match.MatcherOptions{MaxDelta: 2})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	subs := make([]*dragnet.Submission, n)
	for i := range subs {
		v := ip(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, id(i+1), v.Value)
		o, err := stix.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		subs[i] = &dragnet.Submission{Object: o, Values: []dragnet.Value{v}}
	}
	if _, err := w.st.AddObjects(w.as(w.b), dragnet.CommunityCollectionID, "", subs); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	// (The rebuild may already be in, with an empty delta.)
	if _, delta := m.Len(); delta >= n {
		t.Errorf("the first refresh read the whole burst into the delta (%d objects)", delta)
	}
	m.Wait()
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	acc := w.access(w.b)
	for i := 0; i < n; i++ {
		if got := m.AppendLookup(nil, ip(fmt.Sprintf("10.0.%d.%d", i/256, i%256)), acc); len(got) != 1 {
			t.Fatalf("after the rebuild indicator %d has %d hits", i+1, len(got))
		}
	}
}

// slowScanner is a store whose full scans, once armed, last until their
// context ends.
type slowScanner struct {
	dragnet.ValueScanner
	armed   atomic.Bool
	started chan struct{}
}

func (s *slowScanner) ScanValues(ctx context.Context, fn func(*dragnet.ValueEntry) error) (int64, error) {
	if s.armed.Load() {
		close(s.started)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return s.ValueScanner.ScanValues(ctx, fn)
}

// TestMatcherRunStopsRebuild: when Run's context ends, a rebuild under way
// stops instead of finishing its scan (a server's shutdown does not wait
// for a scan of millions of values).
func TestMatcherRunStopsRebuild(t *testing.T) {
	w := newWorld(t)
	src := &slowScanner{ValueScanner: w.st, started: make(chan struct{})}
	m := match.NewMatcher(src, match.MatcherOptions{MaxDelta: 1})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	src.armed.Store(true)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 3; i++ {
		w.publish(w.b, dragnet.CommunityCollectionID, i, t0, ip(fmt.Sprintf("192.0.2.%d", i)), nil)
	}
	ctx, cancel := context.WithCancel(w.sys)
	done := make(chan struct{})
	go func() {
		m.Run(ctx, 10*time.Millisecond, nil)
		close(done)
	}()
	select {
	case <-src.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no rebuild started")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return while a rebuild's scan was under way")
	}
}
