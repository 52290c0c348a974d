package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

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

// TestStatusBeforeChunks: a status stored before status_chunks (its
// entries in the statuses row) still reads and resolves.
func TestStatusBeforeChunks(t *testing.T) {
	schema := pgtest.Schema(t)
	db := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, db)
	subs := benchBatches(t, 0, 1, 3)[0]
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pend := fmt.Sprintf(`[{"id":%q},{"id":%q,"version":"2025-03-01T10:00:00Z"},{"id":%q}]`, subs[0].Object.ID, subs[1].Object.ID, subs[2].Object.ID)
	if _, err := conn.Exec(ctx, `INSERT INTO `+schema+`.statuses (id, collection_id, org_id, request_timestamp, successes, pendings)
		VALUES ('old', $1, $2, now(), '[{"id":"indicator--done"}]', $3)`, dragnet.CommunityCollectionID, w.a.ID, pend); err != nil {
		t.Fatal(err)
	}
	got, err := db.Status(w.actx, "old")
	if err != nil || got.Status != "pending" || len(got.Pendings) != 3 || len(got.Successes) != 1 || got.Pendings[1].Version.IsZero() {
		t.Fatalf("old status = %+v, %v", got, err)
	}
	if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, "old", subs[1:]); err != nil {
		t.Fatal(err)
	}
	got, err = db.Status(w.actx, "old")
	if err != nil || got.Status != "pending" || len(got.Pendings) != 1 || got.Pendings[0].ID != subs[0].Object.ID ||
		len(got.Successes) != 3 || got.Successes[1].ID != subs[1].Object.ID {
		t.Fatalf("old status after a batch = %+v, %v", got, err)
	}
}
