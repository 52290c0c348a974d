package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// TestFeedRunClaimedOnce has the schedulers of several nodes find the
// same feed due at once: exactly one may pull it; after its run is
// recorded, the next run can be claimed again.
func TestFeedRunClaimedOnce(t *testing.T) {
	schema := pgtest.Schema(t)
	ctx := dragnet.SystemContext(context.Background())
	var nodes []*postgres.DB
	for range 4 {
		nodes = append(nodes, pgtest.OpenSchema(t, postgres.Options{Schema: schema}))
	}
	f := &dragnet.Feed{Name: "urlhaus", OrgName: "CERT", CollectionID: "c1", URL: "https://example.org/f.csv", Interval: time.Hour, Enabled: true}
	if err := nodes[0].CreateFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	claims := make(chan bool, len(nodes))
	for _, n := range nodes {
		go func() {
			seen, err := n.FindFeed(ctx, "urlhaus")
			if err != nil {
				t.Error(err)
			}
			ok, err := n.ClaimFeedRun(ctx, seen.ID, seen.LastRun, time.Now().Add(time.Hour))
			if err != nil {
				t.Error(err)
			}
			claims <- ok
		}()
	}
	won := 0
	for range nodes {
		if <-claims {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d nodes claimed the run, want 1", won)
	}
	// The run is recorded; a node that saw the feed before it ran cannot
	// claim it again, one that sees it now can (once it is due).
	seen, _ := nodes[1].FindFeed(ctx, "urlhaus")
	stale := seen.LastRun
	seen.LastRun = time.Now().UTC().Truncate(time.Microsecond)
	if err := nodes[1].RecordFeedRun(ctx, seen, nil); err != nil {
		t.Fatal(err)
	}
	if ok, _ := nodes[2].ClaimFeedRun(ctx, seen.ID, stale, time.Now().Add(time.Hour)); ok {
		t.Fatal("claimed a run on a stale view of the feed")
	}
	fresh, _ := nodes[2].FindFeed(ctx, "urlhaus")
	if ok, _ := nodes[2].ClaimFeedRun(ctx, fresh.ID, fresh.LastRun, time.Now().Add(time.Hour)); !ok {
		t.Fatal("could not claim the next run")
	}
	// An expired claim (its node died mid-pull) can be taken over.
	if ok, _ := nodes[3].ClaimFeedRun(ctx, fresh.ID, fresh.LastRun, time.Now().Add(time.Hour)); ok {
		t.Fatal("claimed a run another node holds")
	}
	if _, err := nodes[3].Pool().Exec(context.Background(), `UPDATE feeds SET claimed_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if ok, _ := nodes[3].ClaimFeedRun(ctx, fresh.ID, fresh.LastRun, time.Now().Add(time.Hour)); !ok {
		t.Fatal("could not take over an expired claim")
	}
}

// TestSchedulersOnTwoNodesPullOnce runs the schedulers of two nodes at the
// same moment over one due feed: it is pulled once.
func TestSchedulersOnTwoNodesPullOnce(t *testing.T) {
	schema := pgtest.Schema(t)
	n1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	n2 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	ctx := dragnet.SystemContext(context.Background())
	if err := n1.CreateOrg(ctx, &dragnet.Org{Name: "CERT", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if err := n1.CreateFeed(ctx, &dragnet.Feed{Name: name, OrgName: "CERT", CollectionID: dragnet.CommunityCollectionID,
			URL: "https://example.org/" + name, Interval: time.Hour, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	pulls := map[string]int{}
	pull := func(ctx context.Context, p *feed.Pipeline, b *feed.Builder, f *dragnet.Feed, st *feed.PullState) (*feed.Summary, error) {
		mu.Lock()
		pulls[f.Name]++
		mu.Unlock()
		st.NotModified = true
		return nil, nil
	}
	var wg sync.WaitGroup
	for _, n := range []*postgres.DB{n1, n2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			feed.NewScheduler(n, pull, feed.SchedulerOptions{}).RunDue(context.Background())
		}()
	}
	wg.Wait()
	for _, name := range []string{"a", "b", "c"} {
		if pulls[name] != 1 {
			t.Errorf("feed %s pulled %d times, want once", name, pulls[name])
		}
	}
}
