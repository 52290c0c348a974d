package alert

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

func TestSentMemory(t *testing.T) {
	m := newSentMemory(3)
	steps := []struct{ key, what, old string }{
		{"a", "1", ""},
		{"b", "1", ""},
		{"a", "2", "1"}, // order now: a b
		{"c", "1", ""},  // c a b
		{"d", "1", ""},  // d c a; b dropped
		{"b", "1", ""},  // forgotten: news again; b d c; a dropped
		{"c", "1", "1"}, // c b d
		{"a", "3", ""},  // a c b; d dropped
		{"d", "1", ""},
	}
	for i, s := range steps {
		if old := m.swap(s.key, s.what); old != s.old {
			t.Fatalf("step %d: swap(%s, %s) = %q, want %q", i, s.key, s.what, old, s.old)
		}
		if m.len() > 3 || m.order.Len() != m.len() {
			t.Fatalf("step %d: %d keys, %d in order, max 3", i, m.len(), m.order.Len())
		}
	}
	if newSentMemory(0).max != defaultSentMemory {
		t.Error("the default size is not applied")
	}
}

// crossWorld is a store with three members in three countries, one of
// them (A) subscribed to cross-border alerts, a Live graph and a watcher
// on them.
type crossWorld struct {
	t       *testing.T
	db      watchedStore
	sys     context.Context
	a, b, c *dragnet.Org
	live    *graph.Live
	w       *Watcher
	n       int
}

func newCrossWorld(t *testing.T, db interface {
	watchedStore
	dragnet.ObjectScanner
}, memory int, build bool) *crossWorld {
	ctx := context.Background()
	x := &crossWorld{t: t, db: db, sys: dragnet.SystemContext(ctx)}
	x.a, x.b, x.c = threeOrgs(t, db, x.sys)
	if err := db.CreateSubscription(dragnet.OrgContext(ctx, x.a, dragnet.RoleWrite), &dragnet.Subscription{Kind: dragnet.SubscribeCrossBorder}); err != nil {
		t.Fatal(err)
	}
	x.live = graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	if build {
		if err := x.live.Reload(x.sys); err != nil {
			t.Fatal(err)
		}
	}
	x.w = NewWatcher(db, NewHub(nil, nil, nil), WatchOptions{Correlator: x.live, Sync: x.live.Sync, CrossBorderMemory: memory})
	if err := x.w.Start(x.sys); err != nil {
		t.Fatal(err)
	}
	return x
}

// report publishes to the community an indicator of ip by o.
func (x *crossWorld) report(o *dragnet.Org, ip string) {
	x.t.Helper()
	x.n++
	s := stixObject(x.t, map[string]any{"type": "indicator", "id": id("indicator", x.n), "pattern": "[ipv4-addr:value = '" + ip + "']",
		"pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
	s.Values = []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}
	rs, err := x.db.AddObjects(dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite), dragnet.CommunityCollectionID, "", []*dragnet.Submission{s})
	if err != nil || rs[0].Err != nil {
		x.t.Fatal(err, rs)
	}
}

// poll returns the keys of the cross-border alerts a poll makes.
func (x *crossWorld) poll() []string {
	x.t.Helper()
	evs, err := x.w.Poll(x.sys)
	if err != nil {
		x.t.Fatal(err)
	}
	var keys []string
	for _, e := range evs {
		if e.Kind != dragnet.SubscribeCrossBorder || e.OrgID != x.a.ID {
			x.t.Fatalf("unexpected event %+v", e)
		}
		keys = append(keys, fmt.Sprintf("%s %v", e.Key, e.Detail.(map[string]any)["countries"]))
	}
	slices.Sort(keys)
	return keys
}

// TestWatcherCrossBorderMemory checks that the watcher's memory of the
// cross-border alerts it sent stays within its bound, that what it holds
// is not sent again, and that a forgotten key at worst repeats an alert.
func TestWatcherCrossBorderMemory(t *testing.T) {
	testCrossBorderMemory(t, openSQLite(t))
}

func TestWatcherCrossBorderMemoryPostgres(t *testing.T) {
	testCrossBorderMemory(t, pgtest.Open(t, postgres.Options{}))
}

func testCrossBorderMemory(t *testing.T, db interface {
	watchedStore
	dragnet.ObjectScanner
}) {
	x := newCrossWorld(t, db, 2, true)
	ips := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}
	for _, ip := range ips {
		x.report(x.a, ip)
	}
	if got := x.poll(); len(got) != 0 {
		t.Fatalf("A alone: %q", got)
	}
	for _, ip := range ips {
		x.report(x.b, ip)
	}
	want := []string{"ipv4:198.51.100.1 [DE FR]", "ipv4:198.51.100.2 [DE FR]", "ipv4:198.51.100.3 [DE FR]"}
	if got := x.poll(); !slices.Equal(got, want) {
		t.Fatalf("after B's reports: %q, want %q", got, want)
	}
	if n := x.w.crossSeen.len(); n != 2 {
		t.Fatalf("the watcher remembers %d alerts, bound 2", n)
	}
	// The newest is remembered: not sent again. The oldest was dropped:
	// sent again, the repeat the bound allows.
	x.report(x.b, ips[2])
	if got := x.poll(); len(got) != 0 {
		t.Fatalf("a remembered alert was sent again: %q", got)
	}
	x.report(x.b, ips[0])
	if got := x.poll(); !slices.Equal(got, want[:1]) {
		t.Fatalf("a forgotten alert: %q, want %q", got, want[:1])
	}
	// New countries are news whether remembered or not.
	x.report(x.c, ips[2])
	if got := x.poll(); !slices.Equal(got, []string{"ipv4:198.51.100.3 [DE FR US]"}) {
		t.Fatalf("a third country: %q", got)
	}
}

// TestWatcherCrossBorderUnbuilt checks that cross-border alerts do not
// wait for the graph's first build: the watcher's Sync builds it.
func TestWatcherCrossBorderUnbuilt(t *testing.T) {
	testCrossBorderUnbuilt(t, openSQLite(t))
}

func TestWatcherCrossBorderUnbuiltPostgres(t *testing.T) {
	testCrossBorderUnbuilt(t, pgtest.Open(t, postgres.Options{}))
}

func testCrossBorderUnbuilt(t *testing.T, db interface {
	watchedStore
	dragnet.ObjectScanner
}) {
	x := newCrossWorld(t, db, 0, false)
	x.report(x.a, "198.51.100.1") // before the watcher's first poll
	if x.live.Graph() != nil {
		t.Fatal("the graph is built before anything asked for it")
	}
	x.report(x.c, "198.51.100.1")
	if got := x.poll(); !slices.Equal(got, []string{"ipv4:198.51.100.1 [DE US]"}) {
		t.Fatalf("with no graph built: %q", got)
	}
	if x.live.Graph() == nil {
		t.Fatal("the graph was not built")
	}
	// Later reports are applied by CatchUp, without a rebuild.
	x.report(x.b, "198.51.100.1")
	if got := x.poll(); !slices.Equal(got, []string{"ipv4:198.51.100.1 [DE FR US]"}) {
		t.Fatalf("after the build: %q", got)
	}
}
