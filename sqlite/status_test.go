package sqlite_test

import (
	"context"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// TestStatusManyBatches resolves a status of 2,500 pendings (three
// chunks) in batches that do not line up with the chunks, with an id
// pending twice and a result that was never pending: every result takes
// the first pending entry of its object, in place, and the stray one comes
// last.
func TestStatusManyBatches(t *testing.T) {
	db := open(t)
	defer db.Close()
	o := &dragnet.Org{Name: "acme", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(context.Background()), o); err != nil {
		t.Fatal(err)
	}
	ctx := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
	const n = 2500
	subs := make([]*dragnet.Submission, n)
	st := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID,
		Failures: []dragnet.StatusDetail{{ID: "indicator--bad", Message: "objects[0]: broken"}}}
	for i := range subs {
		subs[i] = indicator(i)
		st.Pendings = append(st.Pendings, dragnet.StatusDetail{ID: subs[i].Object.ID, Version: subs[i].Object.Version()})
	}
	// The last object is pending twice.
	st.Pendings = append(st.Pendings, st.Pendings[n-1])
	if err := db.CreateStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	// Stored from the end, in uneven batches; the last object twice.
	batches := [][]*dragnet.Submission{subs[1700:], subs[900:1700], {subs[n-1]}, subs[:900]}
	for k, b := range batches {
		if _, err := db.AddObjects(ctx, dragnet.CommunityCollectionID, st.ID, b); err != nil {
			t.Fatal(err)
		}
		got, err := db.Status(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if k < len(batches)-1 && got.Status != "pending" {
			t.Fatalf("after batch %d the status is %s", k, got.Status)
		}
	}
	stray := indicator(n)
	if _, err := db.AddObjects(ctx, dragnet.CommunityCollectionID, st.ID, []*dragnet.Submission{stray}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Status(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "complete" || len(got.Pendings) != 0 || len(got.Failures) != 1 || len(got.Successes) != n+2 {
		t.Fatalf("status %s: %d successes, %d failures, %d pendings", got.Status, len(got.Successes), len(got.Failures), len(got.Pendings))
	}
	for i := 0; i < n; i++ {
		if got.Successes[i].ID != subs[i].Object.ID || !got.Successes[i].Version.Equal(subs[i].Object.Version()) {
			t.Fatalf("success %d is %s %v, want %s (in the order of the pendings)", i, got.Successes[i].ID, got.Successes[i].Version, subs[i].Object.ID)
		}
	}
	if got.Successes[n].ID != subs[n-1].Object.ID || got.Successes[n+1].ID != stray.Object.ID {
		t.Fatalf("last successes are %s and %s, want the repeated %s and the stray %s",
			got.Successes[n].ID, got.Successes[n+1].ID, subs[n-1].Object.ID, stray.Object.ID)
	}
	if got.Failures[0].ID != "indicator--bad" || got.Failures[0].Message != "objects[0]: broken" {
		t.Fatalf("failure is %+v", got.Failures[0])
	}
}
