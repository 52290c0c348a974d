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
// announced to another, and that group changes are too. (Notices arrive
// in milliseconds; the deadline is loose for loaded machines.)
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
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s change", want)
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

// TestVersionFlagsAcrossNodes adds versions of the same objects through
// two nodes at once, in shuffled order: afterwards "last" and "first" each
// name exactly the newest and the oldest version, also after a deletion.
func TestVersionFlagsAcrossNodes(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, n1)
	const objects, versions = 5, 24
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g, node := range []*postgres.DB{n1, n2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Node g adds versions v ≡ g (mod 2), newest first for one node
			// and oldest first for the other, a few objects per batch.
			for k := range versions / 2 {
				v := 2*k + g
				if g == 1 {
					v = versions - 1 - 2*k
				}
				var subs []*dragnet.Submission
				for o := range objects {
					subs = append(subs, indicator(t, o, t0.Add(time.Duration(v)*time.Minute), ""))
				}
				res, err := node.AddObjects(w.actx, dragnet.CommunityCollectionID, "", subs)
				for _, r := range res {
					if r.Err != nil && err == nil {
						err = r.Err
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := func(which string, want time.Time) {
		t.Helper()
		p, err := n2.Objects(w.bctx, dragnet.CommunityCollectionID, dragnet.Filter{Types: []string{"indicator"}, Versions: []string{which}}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Objects) != objects {
			t.Fatalf("match[version]=%s: %d objects, want %d", which, len(p.Objects), objects)
		}
		for _, o := range p.Objects {
			if !o.Version.Equal(want) {
				t.Fatalf("match[version]=%s: %s at %v, want %v", which, o.ID, o.Version, want)
			}
		}
	}
	check("last", t0.Add((versions-1)*time.Minute))
	check("first", t0)
	// Deleting the newest versions makes the ones before them the newest.
	for o := range objects {
		id := indicator(t, o, t0, "").Object.ID
		if err := n2.DeleteObject(w.actx, dragnet.CommunityCollectionID, id, dragnet.Filter{Versions: []string{"last"}}); err != nil {
			t.Fatal(err)
		}
	}
	check("last", t0.Add((versions-2)*time.Minute))
	check("first", t0)
}
