package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// TestBulkOrder stores a batch of new objects whose ids come in random
// order, some carrying one value twice and many sharing values, through
// the bulk path (which inserts them in id and value order): each object
// reads back as submitted, date_added follows the order of the call, and
// every value finds exactly the objects that carry it.
func TestBulkOrder(t *testing.T) {
	db := open(t)
	defer db.Close()
	o := &dragnet.Org{Name: "bulk", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(context.Background()), o); err != nil {
		t.Fatal(err)
	}
	ctx := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
	r := rand.New(rand.NewPCG(7, 8))
	const n = 700
	subs := make([]*dragnet.Submission, n)
	carriers := map[dragnet.Value]map[string]bool{}
	for i := range subs {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", r.Uint32(), i)
		ip := fmt.Sprintf("10.0.%d.%d", i%7, i%5)
		dom := fmt.Sprintf("c2-%d.example", i%11)
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`, id, ip)
		obj, err := stix.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		vals := []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}, {Kind: dragnet.ValueDomain, Value: dom}}
		if i%3 == 0 {
			vals = append(vals, vals[0]) // the same value twice
		}
		for _, v := range vals {
			if carriers[v] == nil {
				carriers[v] = map[string]bool{}
			}
			carriers[v][id] = true
		}
		subs[i] = &dragnet.Submission{Object: obj, Values: vals}
	}
	coll := dragnet.CommunityCollectionID
	res, err := db.AddObjects(ctx, coll, "", subs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("object %d: %v", i, r.Err)
		}
	}
	page, err := db.Objects(ctx, coll, dragnet.Filter{Limit: n, Types: []string{"indicator"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != n {
		t.Fatalf("listed %d objects, want %d", len(page.Objects), n)
	}
	for i, so := range page.Objects {
		if so.ID != subs[i].Object.ID || string(so.Raw) != string(subs[i].Object.Raw) {
			t.Fatalf("object %d in date_added order is %s, want %s as submitted", i, so.ID, subs[i].Object.ID)
		}
		if i > 0 && !so.DateAdded.After(page.Objects[i-1].DateAdded) {
			t.Fatalf("date_added of object %d is not after the one before it", i)
		}
	}
	for v, ids := range carriers {
		refs, err := db.ValueRefs(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, ref := range refs {
			if got[ref.ObjectID] {
				t.Errorf("%v: %s found twice", v, ref.ObjectID)
			}
			got[ref.ObjectID] = true
		}
		if len(got) != len(ids) {
			t.Errorf("%v: %d objects carry it, want %d", v, len(got), len(ids))
		}
		for id := range ids {
			if !got[id] {
				t.Errorf("%v: %s not found", v, id)
			}
		}
	}

	// A second call mixes new objects with a new version of a stored one,
	// which goes one by one between two flushes of the bulk path.
	mk := func(id, modified string) *dragnet.Submission {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","modified":%q,"pattern":"[ipv4-addr:value = '10.9.9.9']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`, id, modified)
		obj, err := stix.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return &dragnet.Submission{Object: obj, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: "10.9.9.9"}}}
	}
	second := []*dragnet.Submission{
		mk("indicator--ffffffff-0000-4000-8000-000000000001", "2024-01-01T00:00:00.000Z"),
		mk("indicator--00000000-0000-4000-8000-000000000002", "2024-01-01T00:00:00.000Z"),
		mk(subs[5].Object.ID, "2025-01-01T00:00:00.000Z"),
		mk("indicator--80000000-0000-4000-8000-000000000003", "2024-01-01T00:00:00.000Z"),
	}
	res, err = db.AddObjects(ctx, coll, "", second)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("second call, object %d: %v", i, r.Err)
		}
	}
	page, err = db.Objects(ctx, coll, dragnet.Filter{Types: []string{"indicator"}, Limit: 10, AddedAfter: page.Objects[n-1].DateAdded}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != len(second) {
		t.Fatalf("second call: %d listed, want %d", len(page.Objects), len(second))
	}
	for i, so := range page.Objects {
		if string(so.Raw) != string(second[i].Object.Raw) {
			t.Errorf("second call, object %d: %s, want %s", i, so.Raw, second[i].Object.Raw)
		}
	}
	refs, err := db.ValueRefs(ctx, dragnet.Value{Kind: dragnet.ValueIPv4, Value: "10.9.9.9"})
	if err != nil || len(refs) != len(second) {
		t.Errorf("10.9.9.9 carried by %d versions (%v), want %d", len(refs), err, len(second))
	}
}
