package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

func indicatorSub(t *testing.T, n int, modified, ip string, red bool) *dragnet.Submission {
	t.Helper()
	m := map[string]any{"type": "indicator", "spec_version": "2.1", "id": indicatorID(n),
		"created": "2026-01-01T00:00:00.000Z", "modified": modified, "pattern": "[ipv4-addr:value = '" + ip + "']",
		"pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
	return submission(t, m, red, dragnet.Value{Kind: dragnet.ValueIPv4, Value: ip})
}

// submission is the object m as a submission carrying vals, marked
// TLP:RED when red.
func submission(t *testing.T, m map[string]any, red bool, vals ...dragnet.Value) *dragnet.Submission {
	t.Helper()
	if red {
		m["object_marking_refs"] = []string{dragnet.TLP2Red}
	}
	raw, _ := json.Marshal(m)
	o, err := stix.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &dragnet.Submission{Object: o, Values: vals}
}

// TestLiveIncremental checks that correlation sees what was published
// since the last build as soon as CatchUp has run, through each caller's
// Access, with newer versions replacing older ones, and that a rebuild
// then answers exactly the same.
func TestLiveIncremental(t *testing.T) {
	ctx := context.Background()
	db, sys, a, b, c := threeCountries(t)
	if _, err := db.CreateGroup(sys, "G", []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	publish := func(o *dragnet.Org, coll string, s *dragnet.Submission) {
		t.Helper()
		octx := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
		if coll != dragnet.CommunityCollectionID {
			cs, _ := db.Collections(octx)
			for _, x := range cs {
				if x.Title == coll {
					coll = x.CollectionID
				}
			}
		}
		rs, err := db.AddObjects(octx, coll, "", []*dragnet.Submission{s})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("publishing: %v %v", err, rs)
		}
	}
	access := func(o *dragnet.Org) *dragnet.Access {
		acc, err := db.Access(dragnet.OrgContext(ctx, o, dragnet.RoleRead))
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	publish(a, dragnet.CommunityCollectionID, indicatorSub(t, 1, "2026-01-01T00:00:00.000Z", "198.51.100.7", false))
	if err := live.Reload(sys); err != nil {
		t.Fatal(err)
	}
	if cr, err := live.Correlate(access(a), "198.51.100.7"); err != nil || len(cr.Reports) != 1 || cr.CrossBorder {
		t.Fatalf("after the build: %+v %v", cr, err)
	}

	publish(b, dragnet.CommunityCollectionID, indicatorSub(t, 2, "2026-01-01T00:00:00.000Z", "198.51.100.7", false))
	publish(b, "G", indicatorSub(t, 3, "2026-01-01T00:00:00.000Z", "203.0.113.9", true))
	if cr, _ := live.Correlate(access(a), "198.51.100.7"); len(cr.Reports) != 1 {
		t.Fatalf("before CatchUp the new report is already there: %+v", cr)
	}
	if err := live.CatchUp(sys); err != nil {
		t.Fatal(err)
	}
	cr, err := live.Correlate(access(a), "198.51.100.7")
	if err != nil || len(cr.Reports) != 2 || !cr.CrossBorder || cr.Objects != 2 || fmt.Sprint(cr.Countries) != "[DE FR]" {
		t.Fatalf("after CatchUp: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(a), "203.0.113.9"); err != nil || len(cr.Reports) != 1 || cr.Reports[0].OrgID != b.ID {
		t.Fatalf("A sees B's TLP:RED report in their group: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(c), "203.0.113.9"); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("C, outside the group, sees the TLP:RED report: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(c), "198.51.100.7"); err != nil || len(cr.Reports) != 2 {
		t.Fatalf("C on the community value: %+v %v", cr, err)
	}

	// A's new version names another address: its old report of
	// 198.51.100.7 is gone, the new address correlates.
	publish(a, dragnet.CommunityCollectionID, indicatorSub(t, 1, "2026-02-01T00:00:00.000Z", "192.0.2.1", false))
	if err := live.CatchUp(sys); err != nil {
		t.Fatal(err)
	}
	if cr, err := live.Correlate(access(a), "198.51.100.7"); err != nil || len(cr.Reports) != 1 || cr.Reports[0].OrgID != b.ID || cr.CrossBorder {
		t.Fatalf("after A's new version: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(b), "ipv4:192.0.2.1"); err != nil || len(cr.Reports) != 1 || cr.Reports[0].OrgID != a.ID {
		t.Fatalf("the new address: %+v %v", cr, err)
	}
	// An object's correlation: its new version's reporter and value.
	if cr, err := live.Correlate(access(b), "indicator--00000000-0000-4000-8000-000000000001"); err != nil || len(cr.Reports) != 1 ||
		len(cr.Values) != 1 || cr.Values[0].Key != "ipv4:192.0.2.1" {
		t.Fatalf("A's indicator: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(c), "indicator--00000000-0000-4000-8000-000000000003"); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("C sees B's TLP:RED indicator: %+v %v", cr, err)
	}
	if cr, err := live.Correlate(access(a), "indicator--00000000-0000-4000-8000-000000000003"); err != nil || len(cr.Values) != 1 || len(cr.Values[0].Reports) != 1 {
		t.Fatalf("A on B's TLP:RED indicator: %+v %v", cr, err)
	}

	// A rebuild answers exactly as the incremental index did.
	keys := []string{"198.51.100.7", "203.0.113.9", "192.0.2.1"}
	for n := 1; n <= 3; n++ {
		keys = append(keys, indicatorID(n))
	}
	answers := func() string {
		var out string
		for _, o := range []*dragnet.Org{a, b, c} {
			for _, k := range keys {
				cr, err := live.Correlate(access(o), k)
				j, _ := json.Marshal(cr)
				out += fmt.Sprintf("%s %s %s %s\n", o.Name, k, j, dragnet.ErrorCode(err))
			}
		}
		return out
	}
	before := answers()
	if err := live.Reload(sys); err != nil {
		t.Fatal(err)
	}
	if after := answers(); after != before {
		t.Fatalf("incremental answers:\n%s\nafter a rebuild:\n%s", before, after)
	}
	// Nothing new: CatchUp is a no-op and the answers stay.
	if err := live.CatchUp(sys); err != nil {
		t.Fatal(err)
	}
	if again := answers(); again != before {
		t.Fatalf("after an empty CatchUp:\n%s", again)
	}
}

// threeCountries opens a SQLite store in a temporary directory (closed when
// the test ends) with organisations A, B and C in Germany, France and the
// United States, and returns it with the system context.
func threeCountries(t *testing.T) (*sqlite.DB, context.Context, *dragnet.Org, *dragnet.Org, *dragnet.Org) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sys := dragnet.SystemContext(ctx)
	var orgs []*dragnet.Org
	for _, o := range []struct{ name, cc string }{{"A", "DE"}, {"B", "FR"}, {"C", "US"}} {
		org := &dragnet.Org{Name: o.name, Country: o.cc}
		if err := db.CreateOrg(sys, org); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, org)
	}
	return db, sys, orgs[0], orgs[1], orgs[2]
}

// TestLiveCorrelateBareKey checks that Live.Correlate takes a bare value
// (here an e-mail address) as Graph.Correlate does, with nothing published
// since the build as with something.
func TestLiveCorrelateBareKey(t *testing.T) {
	ctx := context.Background()
	db, sys, a, _, _ := threeCountries(t)
	m := map[string]any{"type": "indicator", "spec_version": "2.1", "id": indicatorID(1),
		"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": "[email-addr:value = 'a@b.example']",
		"pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
	s := submission(t, m, false, dragnet.Value{Kind: dragnet.ValueEmail, Value: "a@b.example"})
	if rs, err := db.AddObjects(dragnet.OrgContext(ctx, a, dragnet.RoleWrite), dragnet.CommunityCollectionID, "", []*dragnet.Submission{s}); err != nil || rs[0].Err != nil {
		t.Fatalf("publishing: %v %v", err, rs)
	}
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	if err := live.Sync(sys); err != nil {
		t.Fatal(err)
	}
	acc, err := db.Access(dragnet.OrgContext(ctx, a, dragnet.RoleRead))
	if err != nil {
		t.Fatal(err)
	}
	want, err := live.Graph().Correlate(acc, "a@b.example")
	if err != nil {
		t.Fatal(err)
	}
	got, err := live.Correlate(acc, "a@b.example")
	if err != nil || got.Key != want.Key || len(got.Reports) != 1 {
		t.Fatalf("Live.Correlate: %+v %v, want %+v", got, err, want)
	}
}
