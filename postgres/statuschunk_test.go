package postgres_test

import (
	"reflect"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// TestStatusChunkOrder resolves a 2,500-object status (three chunks) in
// batches out of envelope order, with objects not in the status and a
// re-sent object, and checks after every batch that Status shows exactly
// what the single-row form showed: pendings in posted order less the
// resolved, successes and failures in the order they were recorded.
func TestStatusChunkOrder(t *testing.T) {
	db := pgtest.Open(t, postgres.Options{})
	w := newWorld(t, db)
	const n = 2500
	subs := benchBatches(t, 0, 1, n+10)[0]
	st := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID,
		Successes: []dragnet.StatusDetail{{ID: "indicator--already-done"}},
		Failures:  []dragnet.StatusDetail{{ID: "indicator--already-failed", Message: "bad"}}}
	for _, s := range subs[:n] {
		st.Pendings = append(st.Pendings, dragnet.StatusDetail{ID: s.Object.ID, Version: s.Object.Version()})
	}
	if err := db.CreateStatus(w.actx, st); err != nil {
		t.Fatal(err)
	}
	// The model: what the status must read as.
	want := dragnet.Status{Pendings: append([]dragnet.StatusDetail(nil), st.Pendings...),
		Successes: append([]dragnet.StatusDetail(nil), st.Successes...), Failures: append([]dragnet.StatusDetail(nil), st.Failures...)}
	check := func(step string) {
		t.Helper()
		got, err := db.Status(w.actx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what      string
			got, want []dragnet.StatusDetail
		}{{"pendings", got.Pendings, want.Pendings}, {"successes", got.Successes, want.Successes}, {"failures", got.Failures, want.Failures}} {
			if len(c.got) != len(c.want) || (len(c.want) > 0 && !reflect.DeepEqual(c.got, c.want)) {
				t.Fatalf("%s: %d %s, want %d", step, len(c.got), c.what, len(c.want))
			}
		}
		if wantStatus := map[bool]string{true: "pending", false: "complete"}[len(want.Pendings) > 0]; got.Status != wantStatus {
			t.Fatalf("%s: status %s, want %s", step, got.Status, wantStatus)
		}
	}
	check("created")
	send := func(step string, batch []*dragnet.Submission) {
		t.Helper()
		rs, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, st.ID, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for i, p := range want.Pendings {
				if p.ID == r.ID {
					want.Pendings = append(want.Pendings[:i], want.Pendings[i+1:]...)
					break
				}
			}
			want.Successes = append(want.Successes, dragnet.StatusDetail{ID: r.ID, Version: r.Version.UTC()})
		}
		check(step)
	}
	send("last chunk first", subs[2200:2500])
	send("across a chunk boundary", subs[900:1100])
	send("not in the status", subs[n:])
	send("re-sent", subs[2200:2210])
	send("rest of the first two chunks", append(append([]*dragnet.Submission(nil), subs[:900]...), subs[1100:2200]...))
	got, _ := db.Status(w.actx, st.ID)
	if got.Status != "complete" || len(got.Successes) != 1+n+10+10 {
		t.Fatalf("final status %s with %d successes", got.Status, len(got.Successes))
	}
}
