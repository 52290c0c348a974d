package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// TestConnectionKilledMidIngest kills the server process serving a large
// AddObjects while it runs: the call fails, nothing of it is kept, the
// status stays pending, and the next call succeeds on a new connection.
// A call the kill did not reach must have kept everything.
func TestConnectionKilledMidIngest(t *testing.T) {
	schema := pgtest.Schema(t)
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	app := "ingest_" + schema
	db, err := postgres.Open(context.Background(), url+sep+"application_name="+app, postgres.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, db)

	killed := 0
	for round := 0; round < 6 && killed < 2; round++ {
		var subs []*dragnet.Submission
		for i := range 3000 {
			subs = append(subs, indicator(t, round*10000+i, t0, ""))
		}
		st := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID}
		for _, s := range subs {
			st.Pendings = append(st.Pendings, dragnet.StatusDetail{ID: s.Object.ID})
		}
		if err := db.CreateStatus(w.actx, st); err != nil {
			t.Fatal(err)
		}
		type result struct {
			res []dragnet.AddResult
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, st.ID, subs)
			done <- result{res, err}
		}()
		// Kill whatever of ours is running a statement, as soon as it is.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if n := killBackends(t, admin, `application_name = '`+app+`' AND state = 'active'`); n > 0 {
				break
			}
			select {
			case r := <-done:
				done <- r
				deadline = time.Now()
			default:
			}
		}
		r := <-done
		ids := make([]string, len(subs))
		for i, s := range subs {
			ids[i] = s.Object.ID
		}
		var stored int
		if err := admin.Pool().QueryRow(context.Background(), `SELECT count(*) FROM submissions WHERE obj_id = ANY($1)`, ids).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		s, err := db.Status(w.actx, st.ID)
		if err != nil {
			t.Fatalf("reading the status after the kill: %v", err)
		}
		if r.err != nil {
			killed++
			// Nothing kept, or (killed right after the commit landed, before
			// the reply) everything: never part.
			none := stored == 0 && len(s.Pendings) == len(subs) && s.Status == "pending"
			all := stored == len(subs) && len(s.Successes) == len(subs) && s.Status == "complete"
			if !none && !all {
				t.Fatalf("failed call kept %d of %d objects; status %s with %d pendings", stored, len(subs), s.Status, len(s.Pendings))
			}
		} else if stored != len(subs) || len(s.Pendings) != 0 || len(s.Successes) != len(subs) {
			t.Fatalf("acknowledged call kept %d of %d objects; status %s with %d successes", stored, len(subs), s.Status, len(s.Successes))
		}
		// The pool has reconnected: the same request now succeeds.
		if r.err != nil {
			if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, st.ID, subs); err != nil {
				t.Fatalf("after the kill: %v", err)
			}
			if s, _ := db.Status(w.actx, st.ID); s.Status != "complete" || len(s.Successes) != len(subs) {
				t.Fatalf("status after the retry: %s, %d successes", s.Status, len(s.Successes))
			}
		}
	}
	if killed == 0 {
		t.Fatal("no AddObjects call was interrupted: the test proved nothing")
	}
	t.Logf("%d calls interrupted", killed)
}
