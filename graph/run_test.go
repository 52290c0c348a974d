package graph_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// countingStore counts full scans of a real store.
type countingStore struct {
	*sqlite.DB
	scans atomic.Int32
}

func (c *countingStore) ScanObjects(ctx context.Context, fn func(*dragnet.StoredObject) error) error {
	c.scans.Add(1)
	return c.DB.ScanObjects(ctx, fn)
}

// TestRunRebuildsOnlyOnChange: Run rebuilds the graph when the store
// changed, and leaves an idle store alone (a rebuild reads every object).
func TestRunRebuildsOnlyOnChange(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	org := &dragnet.Org{Name: "a", Country: "NL"}
	if err := db.CreateOrg(sys, org); err != nil {
		t.Fatal(err)
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	add := func(n int) {
		raw := fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-%012d","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"m%d","is_family":true}`, n, n)
		o, err := stix.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddObjects(octx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{{Object: o}}); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	src := &countingStore{DB: db}
	live := graph.NewLive(src, db.ListOrgs, graph.Options{}, nil)
	rctx, cancel := context.WithCancel(sys)
	defer cancel()
	go live.Run(rctx, 10*time.Millisecond)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %d scans", what, src.scans.Load())
			}
		}
	}
	waitFor("the first build", func() bool { return live.Graph() != nil })
	nodes := live.Graph().Len()
	time.Sleep(200 * time.Millisecond)
	if n := src.scans.Load(); n != 1 {
		t.Errorf("an idle store was scanned %d times in 20 intervals, want once", n)
	}
	add(2)
	waitFor("a rebuild after a change", func() bool { return live.Graph().Len() > nodes })
	after := src.scans.Load()
	time.Sleep(200 * time.Millisecond)
	if n := src.scans.Load(); n != after {
		t.Errorf("%d more scans after the rebuild with nothing new", n-after)
	}
}
