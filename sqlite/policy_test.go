package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// BenchmarkPolicyCost pages a collection of 100,000 objects, 1,000 a
// page, as a member who may read everything in it, and reports the share
// of the time spent on the policy (Access and the collection check).
// Issue 3 bounds it at 10% of paging throughput.
func BenchmarkPolicyCost(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	o := &dragnet.Org{Name: "reader", Country: "NL"}
	if err := db.CreateOrg(sys, o); err != nil {
		b.Fatal(err)
	}
	// The reader belongs to groups nested three deep, as real members do.
	if _, err := db.CreateGroup(sys, "g0", []string{"reader"}); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		if _, err := db.CreateGroup(sys, fmt.Sprintf("g%d", i), []string{fmt.Sprintf("g%d", i-1)}); err != nil {
			b.Fatal(err)
		}
	}
	as := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
	const total = 100000
	for i := 0; i < total; i += 1000 {
		var subs []*dragnet.Submission
		for j := i; j < i+1000; j++ {
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"C2 %d","description":"Command and control server observed relaying traffic for a banking trojan campaign, seen by several members.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","labels":["botnet","c2"],"confidence":80}`, j, j, j/256%256, j%256)
			so, err := stix.Decode([]byte(raw))
			if err != nil {
				b.Fatal(err)
			}
			subs = append(subs, &dragnet.Submission{Object: so})
		}
		if _, err := db.AddObjects(as, dragnet.CommunityCollectionID, "", subs); err != nil {
			b.Fatal(err)
		}
	}
	// Each page is what Objects does: the policy (principal, Access,
	// collection check), then the listing. Timing both in the same loop
	// keeps the share honest on a busy machine.
	p := dragnet.Principal{Org: o, Role: dragnet.RoleWrite}
	var policy, listing time.Duration
	n := 0
	f := dragnet.Filter{Limit: 1000}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		aud, _, err := visibleAudience(ctx, db.rd, p, dragnet.CommunityCollectionID)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		pg, err := db.list(ctx, aud, f, true)
		if err != nil {
			b.Fatal(err)
		}
		policy += t1.Sub(t0)
		listing += time.Since(t1)
		n += len(pg.Objects)
		f.Next = pg.Next
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(100*policy.Seconds()/(policy+listing).Seconds(), "policy-%")
}
