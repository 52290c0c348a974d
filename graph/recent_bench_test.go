package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// liveWorld is a SQLite store holding base indicators of distinct
// addresses from three organisations, and a Live graph built from it.
func liveWorld(b *testing.B, base int) (*sqlite.DB, *graph.Live, []*dragnet.Org, func(org *dragnet.Org, from, n int)) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	sys := dragnet.SystemContext(ctx)
	var orgs []*dragnet.Org
	for i, cc := range []string{"DE", "FR", "US"} {
		o := &dragnet.Org{Name: fmt.Sprintf("org%d", i), Country: cc}
		if err := db.CreateOrg(sys, o); err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	publish := func(org *dragnet.Org, from, n int) {
		subs := make([]*dragnet.Submission, 0, n)
		for i := from; i < from+n; i++ {
			ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
			raw, _ := json.Marshal(map[string]any{"type": "indicator", "spec_version": "2.1",
				"id":      fmt.Sprintf("indicator--00000000-0000-4000-%04d-%012d", org.ID, i),
				"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
				"pattern": "[ipv4-addr:value = '" + ip + "']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
			o, err := stix.Decode(raw)
			if err != nil {
				b.Fatal(err)
			}
			subs = append(subs, &dragnet.Submission{Object: o, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}})
		}
		for len(subs) > 0 {
			k := min(len(subs), 1000)
			if _, err := db.AddObjects(dragnet.OrgContext(ctx, org, dragnet.RoleWrite), dragnet.CommunityCollectionID, "", subs[:k]); err != nil {
				b.Fatal(err)
			}
			subs = subs[k:]
		}
	}
	for _, o := range orgs {
		publish(o, 0, base)
	}
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	if err := live.Reload(sys); err != nil {
		b.Fatal(err)
	}
	return db, live, orgs, publish
}

// BenchmarkLiveCatchUp times applying 100 new submissions to the recent
// index over a store of 30,000 objects: the cost of making new reports
// correlate at once (compare BenchmarkLiveReload, what a rebuild costs).
func BenchmarkLiveCatchUp(b *testing.B) {
	_, live, orgs, publish := liveWorld(b, 10_000)
	sys := dragnet.SystemContext(context.Background())
	next := 10_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		publish(orgs[i%3], next, 100)
		next += 100
		b.StartTimer()
		if err := live.CatchUp(sys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/object")
}

// BenchmarkLiveReload times a full rebuild over the same store.
func BenchmarkLiveReload(b *testing.B) {
	_, live, _, _ := liveWorld(b, 10_000)
	sys := dragnet.SystemContext(context.Background())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := live.Reload(sys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiveCorrelateRecent times correlation lookups of values
// reported in the graph and again since it was built (10,000 recent
// submissions).
func BenchmarkLiveCorrelateRecent(b *testing.B) {
	_, live, orgs, publish := liveWorld(b, 10_000)
	sys := dragnet.SystemContext(context.Background())
	publish(orgs[0], 5_000, 10_000) // half re-reported, half new
	if err := live.CatchUp(sys); err != nil {
		b.Fatal(err)
	}
	a := &dragnet.Access{OrgID: orgs[1].ID, Audiences: []int64{1}}
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := 5_000 + i%10_000
		ip := fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255)
		c, err := live.Correlate(a, ip)
		if err != nil || len(c.Reports) == 0 {
			b.Fatal(ip, c, err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
}
