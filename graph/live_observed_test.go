package graph_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
)

// TestLiveObservations checks that observed data published or deleted
// since the last build counts in correlation at once, through each
// caller's Access, and as a rebuild counts it.
func TestLiveObservations(t *testing.T) {
	ctx := context.Background()
	db, sys, a, b, c := threeCountries(t)
	const addr = "ipv4-addr--00000000-0000-4000-8000-000000000001"
	publish := func(o *dragnet.Org, coll string, m map[string]any, vals ...dragnet.Value) {
		t.Helper()
		m["spec_version"] = "2.1"
		s := submission(t, m, false, vals...)
		octx := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
		if coll == "" {
			cs, _ := db.Collections(octx)
			for _, x := range cs {
				if x.Title == o.Name {
					coll = x.CollectionID
				}
			}
		}
		rs, err := db.AddObjects(octx, coll, "", []*dragnet.Submission{s})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("publishing: %v %v", err, rs)
		}
	}
	observed := func(n string) map[string]any {
		return map[string]any{"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-00000000000" + n,
			"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "first_observed": "2026-02-01T00:00:00Z",
			"last_observed": "2026-02-02T00:00:00Z", "number_observed": 3, "object_refs": []string{addr}}
	}
	publish(a, dragnet.CommunityCollectionID, map[string]any{"type": "ipv4-addr", "id": addr, "value": "198.51.100.9"},
		dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.9"})
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	if err := live.Reload(sys); err != nil {
		t.Fatal(err)
	}
	publish(b, dragnet.CommunityCollectionID, observed("2"))
	publish(c, "", observed("3")) // in C's own collection
	if err := live.CatchUp(sys); err != nil {
		t.Fatal(err)
	}
	fresh := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	want := map[*dragnet.Org]int{a: 1, b: 1, c: 2}
	check := func(when string) {
		t.Helper()
		if err := fresh.Reload(sys); err != nil {
			t.Fatal(err)
		}
		for o, n := range want {
			acc, err := db.Access(dragnet.OrgContext(ctx, o, dragnet.RoleRead))
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"198.51.100.9", addr} {
				got, err := live.Correlate(acc, key)
				if err != nil || got.Observed != n {
					t.Fatalf("%s: %s sees %d observations of %s (%v), want %d", when, o.Name, got.Observed, key, err, n)
				}
				rebuilt, _ := fresh.Correlate(acc, key)
				if j, k := marshal(got), marshal(rebuilt); j != k {
					t.Fatalf("%s: %s on %s:\n%s\nrebuilt:\n%s", when, o.Name, key, j, k)
				}
			}
		}
	}
	check("published")
	if err := db.DeleteObject(dragnet.OrgContext(ctx, b, dragnet.RoleWrite), dragnet.CommunityCollectionID, "observed-data--00000000-0000-4000-8000-000000000002", dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	if err := live.CatchUp(sys); err != nil {
		t.Fatal(err)
	}
	want = map[*dragnet.Org]int{a: 0, b: 0, c: 1}
	check("deleted")
}

func marshal(v any) string {
	j, _ := json.Marshal(v)
	return string(j)
}
