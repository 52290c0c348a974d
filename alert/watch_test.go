package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

func stixObject(t *testing.T, m map[string]any) *dragnet.Submission {
	t.Helper()
	m["spec_version"] = "2.1"
	if _, ok := m["created"]; !ok && m["type"] != "ipv4-addr" {
		m["created"], m["modified"] = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
	}
	raw, _ := json.Marshal(m)
	o, err := stix.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var vals []dragnet.Value
	if v, ok := m["value"].(string); ok {
		vals = append(vals, dragnet.Value{Kind: dragnet.ValueIPv4, Value: v})
	}
	return &dragnet.Submission{Object: o, Values: vals}
}

func id(typ string, n int) string { return fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n) }

// TestWatcherKinds runs a watcher on a real store (SQLite; PostgreSQL in
// TestWatcherKindsPostgres): each kind of
// subscription alerts on what it asks for, never its organisation's own
// publications (cross-border aside), and never what the organisation may
// not see.
func TestWatcherKinds(t *testing.T) {
	testWatcherKinds(t, openSQLite(t))
}

func TestWatcherKindsPostgres(t *testing.T) {
	testWatcherKinds(t, pgtest.Open(t, postgres.Options{}))
}

// openSQLite opens a SQLite store in a fresh directory, closed when the
// test ends.
func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// threeOrgs creates organisations A, B and C in Germany, France and the
// United States.
func threeOrgs(t *testing.T, db dragnet.Store, sys context.Context) (a, b, c *dragnet.Org) {
	t.Helper()
	var orgs []*dragnet.Org
	for _, o := range []struct{ name, cc string }{{"A", "DE"}, {"B", "FR"}, {"C", "US"}} {
		org := &dragnet.Org{Name: o.name, Country: o.cc}
		if err := db.CreateOrg(sys, org); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org)
	}
	return orgs[0], orgs[1], orgs[2]
}

type watchedStore interface {
	dragnet.Store
	Source
}

func testWatcherKinds(t *testing.T, db watchedStore) {
	ctx := context.Background()
	sys := dragnet.SystemContext(ctx)
	a, b, c := threeOrgs(t, db, sys)
	if _, err := db.CreateGroup(sys, "G", []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	as := func(o *dragnet.Org) context.Context { return dragnet.OrgContext(ctx, o, dragnet.RoleWrite) }
	coll := func(o *dragnet.Org, title string) string {
		cs, _ := db.Collections(as(o))
		for _, x := range cs {
			if x.Title == title {
				return x.CollectionID
			}
		}
		t.Fatalf("no collection %s", title)
		return ""
	}
	publish := func(o *dragnet.Org, coll string, subs ...*dragnet.Submission) {
		t.Helper()
		rs, err := db.AddObjects(as(o), coll, "", subs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("publishing %s: %v", r.ID, r.Err)
			}
		}
	}
	subscribe := func(o *dragnet.Org, kind, key string) int64 {
		s := &dragnet.Subscription{Kind: kind, Key: key}
		if err := db.CreateSubscription(as(o), s); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	actor := id("intrusion-set", 1)
	subs := map[int64]string{
		subscribe(a, dragnet.SubscribeActor, actor):              "A actor",
		subscribe(c, dragnet.SubscribeActor, actor):              "C actor",
		subscribe(a, dragnet.SubscribeCountry, "GB"):             "A country",
		subscribe(c, dragnet.SubscribeCountry, "GB"):             "C country",
		subscribe(a, dragnet.SubscribeSighting, ""):              "A sighting",
		subscribe(b, dragnet.SubscribeSighting, ""):              "B sighting",
		subscribe(c, dragnet.SubscribeValue, "ipv4:81.2.69.160"): "C value",
	}
	locate := func(ip netip.Addr) (graph.Location, bool) {
		if ip.Is4() && ip.As4()[0] == 81 {
			return graph.Location{Country: "GB"}, true
		}
		return graph.Location{}, false
	}
	hub := NewHub(nil, nil, nil)
	w := NewWatcher(db, hub, WatchOptions{Locate: locate})
	if err := w.Start(sys); err != nil {
		t.Fatal(err)
	}
	red := []string{dragnet.TLP2Red}
	// A publishes an indicator to the community; B reports, in the group
	// at TLP:RED, that the actor uses an address in GB, and sights A's
	// indicator there; A sights its own.
	publish(a, dragnet.CommunityCollectionID, stixObject(t, map[string]any{"type": "indicator", "id": id("indicator", 2),
		"pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}))
	publish(b, coll(b, "G"),
		stixObject(t, map[string]any{"type": "ipv4-addr", "id": id("ipv4-addr", 3), "value": "81.2.69.160", "object_marking_refs": red}),
		stixObject(t, map[string]any{"type": "relationship", "id": id("relationship", 4), "relationship_type": "uses",
			"source_ref": actor, "target_ref": id("ipv4-addr", 3), "object_marking_refs": red}),
		stixObject(t, map[string]any{"type": "sighting", "id": id("sighting", 5), "sighting_of_ref": id("indicator", 2), "object_marking_refs": red}),
	)
	publish(a, coll(a, "G"), stixObject(t, map[string]any{"type": "sighting", "id": id("sighting", 6), "sighting_of_ref": id("indicator", 2)}))
	// C publishes a location in GB to the community: A hears of it.
	publish(c, dragnet.CommunityCollectionID, stixObject(t, map[string]any{"type": "location", "id": id("location", 7), "country": "gb"}))

	evs, err := w.Poll(sys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s", subs[e.Subscription], e.Detail.(map[string]any)["object_id"]))
		if e.OrgID == c.ID && e.Key != "GB" {
			t.Errorf("C, outside the group, was alerted: %+v", e)
		}
	}
	slices.Sort(got)
	want := []string{
		"A actor " + id("relationship", 4),
		"A country " + id("ipv4-addr", 3),
		"A country " + id("location", 7),
		"A sighting " + id("sighting", 5),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%q\nwant\n%q", got, want)
	}
	if evs, err := w.Poll(sys); err != nil || len(evs) != 0 {
		t.Fatalf("second poll: %v %v", evs, err)
	}
}

// TestTwoNodesPostOnce: two nodes on one PostgreSQL database both see a
// publication and make its alert; its webhook is posted once, and each
// node's stream listeners still get it.
func TestTwoNodesPostOnce(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	ctx := context.Background()
	sys := dragnet.SystemContext(ctx)
	a, b := &dragnet.Org{Name: "A", Country: "DE"}, &dragnet.Org{Name: "B", Country: "FR"}
	for _, o := range []*dragnet.Org{a, b} {
		if err := n1.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
	}))
	defer srv.Close()
	sub := &dragnet.Subscription{Kind: dragnet.SubscribeValue, Key: "ipv4:198.51.100.7", WebhookURL: srv.URL, WebhookSecret: "0123456789abcdef"}
	if err := n1.CreateSubscription(dragnet.OrgContext(ctx, a, dragnet.RoleWrite), sub); err != nil {
		t.Fatal(err)
	}
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	var watchers []*Watcher
	for _, db := range []*postgres.DB{n1, n2} {
		hub := NewHub(WebhookClient(true), nil, nil)
		hub.SetClaim(db.ClaimAlert)
		w := NewWatcher(db, hub, WatchOptions{})
		if err := w.Start(sys); err != nil {
			t.Fatal(err)
		}
		watchers = append(watchers, w)
	}
	rs, err := n2.AddObjects(dragnet.OrgContext(ctx, b, dragnet.RoleWrite), dragnet.CommunityCollectionID, "", []*dragnet.Submission{
		stixObject(t, map[string]any{"type": "ipv4-addr", "id": id("ipv4-addr", 1), "value": "198.51.100.7"})})
	if err != nil || rs[0].Err != nil {
		t.Fatal(err, rs)
	}
	for i, w := range watchers {
		evs, err := w.Poll(sys)
		if err != nil || len(evs) != 1 {
			t.Fatalf("node %d made %v, %v", i+1, evs, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := posts
		mu.Unlock()
		if n > 1 {
			t.Fatalf("the webhook was posted %d times", n)
		}
		if n == 1 && time.Now().After(deadline.Add(-4*time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was never posted")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
