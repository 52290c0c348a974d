package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// TestAddObjectsLargeMixedBatch sends one call large enough to be
// prepared on several processors, mixing objects that fail their checks,
// ids repeated within the call (stored one by one) and new ids (stored in
// bulk): each result must belong to its own submission, and what is stored
// must be exactly what succeeded.
func TestAddObjectsLargeMixedBatch(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := &dragnet.Org{Name: "large", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), o); err != nil {
		t.Fatal(err)
	}
	octx := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
	const n = 9000
	red := dragnet.TLP2Red
	subs := make([]*dragnet.Submission, n)
	bad := map[int]string{}
	for i := range subs {
		subs[i] = indicator(i)
		switch {
		case i%97 == 5:
			// TLP:RED may not go to the community collection.
			raw := strings.Replace(string(subs[i].Object.Raw), "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", red, 1)
			ob, err := stix.Decode([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			subs[i].Object = ob
			bad[i] = "RED"
		case i%89 == 7:
			subs[i] = &dragnet.Submission{}
			bad[i] = "no id"
		case i%50 == 1:
			// The previous object again, identical: it succeeds and
			// adds nothing.
			subs[i] = indicator(i - 1)
		}
	}
	rs, err := db.AddObjects(octx, dragnet.CommunityCollectionID, "", subs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != n {
		t.Fatalf("%d results for %d submissions", len(rs), n)
	}
	want := map[string]bool{}
	for i, r := range rs {
		if why, ok := bad[i]; ok {
			if r.Err == nil {
				t.Errorf("submission %d (%s) succeeded", i, why)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("submission %d failed: %v", i, r.Err)
			continue
		}
		if r.ID != subs[i].Object.ID {
			t.Errorf("result %d is for %s, want %s", i, r.ID, subs[i].Object.ID)
		}
		want[r.ID] = true
	}
	page, err := db.Objects(octx, dragnet.CommunityCollectionID, dragnet.Filter{Limit: n + 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, ob := range page.Objects {
		if ob.Type == "indicator" { // the organisation's identity is there too
			got[ob.ID] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("the collection holds %d objects, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s succeeded but is not stored", id)
		}
	}
}
