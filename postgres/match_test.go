package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/match"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// TestMatcherFollowsOtherNode runs a matcher on node 2, woken only by the
// store's change notices (its timer is an hour), and checks that an
// indicator published through node 1 comes to match on node 2: only a
// notice can have made it. (The latency is logged; the deadline is loose
// so that a loaded machine does not fail the test.)
func TestMatcherFollowsOtherNode(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	w := newWorld(t, n1)
	ctx, cancel := context.WithCancel(dragnet.SystemContext(context.Background()))
	defer cancel()

	m := match.NewMatcher(n2, match.MatcherOptions{})
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	wake := n2.Changes(ctx)
	<-wake // listening
	go m.Run(ctx, time.Hour, wake)

	acc, err := n2.Access(w.bctx)
	if err != nil {
		t.Fatal(err)
	}
	v := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "10.0.0.42"}
	if hits := m.AppendLookup(nil, v, acc); len(hits) != 0 {
		t.Fatalf("hits before publishing: %v", hits)
	}
	if _, err := n1.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 42, t0, "")}); err != nil {
		t.Fatal(err)
	}
	published := time.Now()
	for len(m.AppendLookup(nil, v, acc)) == 0 {
		if time.Since(published) > 10*time.Second {
			t.Fatal("node 2's matcher did not learn of node 1's indicator")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("matched on node 2 %v after publishing on node 1", time.Since(published).Round(time.Millisecond))
}
