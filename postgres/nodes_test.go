package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// TestPagingExactAcrossNodes writes through two nodes at once while a
// third pages: every object must be seen exactly once, none skipped because
// a transaction holding an earlier date_added committed later.
func TestPagingExactAcrossNodes(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n3 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, n1)

	const writers, batches, batch = 4, 15, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		node := n1
		if g%2 == 1 {
			node = n2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var subs []*dragnet.Submission
				for i := range batch {
					subs = append(subs, indicator(t, (g*batches+b)*batch+i, t0, ""))
				}
				res, err := node.AddObjects(w.actx, dragnet.CommunityCollectionID, "", subs)
				if err == nil {
					for _, r := range res {
						if r.Err != nil {
							err = r.Err
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]int{}
	var last time.Time
	page := func() bool {
		f := dragnet.Filter{Limit: 17, Types: []string{"indicator"}, AddedAfter: last}
		p, err := n3.Objects(w.bctx, dragnet.CommunityCollectionID, f, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Objects {
			seen[o.ID]++
			if !o.DateAdded.After(last) {
				t.Fatalf("date_added %v not after %v", o.DateAdded, last)
			}
			last = o.DateAdded
		}
		return len(p.Objects) > 0
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			page()
		}
	}
	for page() {
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if want := writers * batches * batch; len(seen) != want {
		t.Fatalf("paged %d distinct objects, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
}

// TestChangesReachOtherNodes checks that a write through one node is
// announced to another within a second, and that group changes are too.
func TestChangesReachOtherNodes(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, n1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := n2.Changes(ctx)
	next := func(want dragnet.ChangeKind) dragnet.Change {
		t.Helper()
		for {
			select {
			case c := <-ch:
				if c.Kind == want {
					return c
				}
			case <-time.After(time.Second):
				t.Fatalf("no %s change within a second", want)
			}
		}
	}
	next(dragnet.ChangeResync)

	cursor, err := n2.ScanValues(w.sys, func(*dragnet.ValueEntry) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n1.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 7, t0, "")}); err != nil {
		t.Fatal(err)
	}
	c := next(dragnet.ChangeObjects)
	vc, _, err := n2.ValueChanges(w.sys, cursor, 0)
	if err != nil || len(vc) != 1 || len(vc[0].Entries) != 1 || vc[0].Entries[0].Value.Value != "10.0.0.7" {
		t.Fatalf("after %+v, ValueChanges = %v, %+v", c, err, vc)
	}
	if err := n1.AddGroupMembers(w.sys, "alpha-only", []string{w.b.Name}); err != nil {
		t.Fatal(err)
	}
	next(dragnet.ChangeAccess)

	// The listening connection killed: the node reconnects and says so.
	killBackends(t, n1, `query LIKE 'LISTEN "dragnet_changes_`+schema+`"%'`)
	next(dragnet.ChangeResync)
	if _, err := n1.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 8, t0, "")}); err != nil {
		t.Fatal(err)
	}
	next(dragnet.ChangeObjects)
}

// killBackends terminates the server processes of this database whose
// pg_stat_activity row matches cond, and returns how many it killed.
func killBackends(t *testing.T, via *postgres.DB, cond string) int {
	t.Helper()
	var n int
	err := via.Pool().QueryRow(context.Background(), fmt.Sprintf(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND %s`, cond)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
