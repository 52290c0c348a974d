package sqlite_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

var (
	benchObjects = flag.Int("objects", 100000, "objects stored before the paging and get-object benchmarks")
	benchDirFlag = flag.String("benchdir", "", "keep the read benchmarks' store in this directory and reuse it when it is full")
)

// indicator returns a ~600-byte STIX indicator with one IPv4 value.
func indicator(n int) *dragnet.Submission {
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-%012x","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5","name":"Botnet C2 %s","description":"Command and control server observed relaying traffic for a banking trojan campaign.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","valid_until":"2025-01-01T00:00:00Z","labels":["botnet","c2"],"confidence":80,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`,
		n, n, ip, ip)
	o, err := stix.Decode([]byte(raw))
	if err != nil {
		panic(err)
	}
	return &dragnet.Submission{Object: o, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}}
}

func benchStore(b *testing.B) (*sqlite.DB, context.Context, string) {
	db, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	o := &dragnet.Org{Name: "bench", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(context.Background()), o); err != nil {
		b.Fatal(err)
	}
	return db, dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite), dragnet.CommunityCollectionID
}

func fill(b *testing.B, db *sqlite.DB, ctx context.Context, coll string, from, n int) {
	for i := from; i < from+n; i += 1000 {
		subs := make([]*dragnet.Submission, 0, 1000)
		for j := i; j < min(i+1000, from+n); j++ {
			subs = append(subs, indicator(j))
		}
		rs, err := db.AddObjects(ctx, coll, "", subs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

// BenchmarkAddObjects stores batches of 1,000 indicators (target ≥ 20,000
// objects/s).
func BenchmarkAddObjects(b *testing.B) {
	db, ctx, coll := benchStore(b)
	batches := make([][]*dragnet.Submission, b.N)
	for i := range batches {
		for j := 0; j < 1000; j++ {
			batches[i] = append(batches[i], indicator(i*1000+j))
		}
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := db.AddObjects(ctx, coll, "", batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(b.N*1000)/(cpuTime()-cpu).Seconds(), "objects/cpu-s")
}

// BenchmarkAddObjectsWithStatus stores batches of 1,000 indicators as a
// TAXII POST does: a status with every object pending, then the batch,
// resolving the pendings in the same transaction.
func BenchmarkAddObjectsWithStatus(b *testing.B) {
	db, ctx, coll := benchStore(b)
	batches := make([][]*dragnet.Submission, b.N)
	for i := range batches {
		for j := 0; j < 1000; j++ {
			batches[i] = append(batches[i], indicator(i*1000+j))
		}
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		st := &dragnet.Status{CollectionID: coll}
		for _, s := range batches[i] {
			st.Pendings = append(st.Pendings, dragnet.StatusDetail{ID: s.Object.ID, Version: s.Object.Version()})
		}
		if err := db.CreateStatus(ctx, st); err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddObjects(ctx, coll, st.ID, batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N*1000), "cpu-µs/object")
}

var (
	filled     *sqlite.DB
	filledCtx  context.Context
	filledOnce sync.Once
)

// bigStore fills one store with -objects indicators, shared by the read
// benchmarks of one run.
func bigStore(b *testing.B) (*sqlite.DB, context.Context) {
	filledOnce.Do(func() {
		dir := *benchDirFlag
		if dir == "" {
			var err error
			if dir, err = tempDir(); err != nil {
				b.Fatal(err)
			}
		}
		db, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sys := dragnet.SystemContext(context.Background())
		if o, err := db.FindOrg(sys, "bench"); err == nil {
			ctx := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
			p, err := db.Objects(ctx, dragnet.CommunityCollectionID, dragnet.Filter{IDs: []string{indicator(*benchObjects - 1).Object.ID}}, false)
			if err == nil && len(p.Objects) == 1 {
				filled, filledCtx = db, ctx
				return
			}
			b.Fatalf("%s holds an incomplete store; remove it", dir)
		}
		o := &dragnet.Org{Name: "bench", Country: "NL"}
		if err := db.CreateOrg(sys, o); err != nil {
			b.Fatal(err)
		}
		ctx := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
		start := time.Now()
		fill(b, db, ctx, dragnet.CommunityCollectionID, 0, *benchObjects)
		b.Logf("stored %d objects in %v (%.0f objects/s)", *benchObjects, time.Since(start), float64(*benchObjects)/time.Since(start).Seconds())
		filled, filledCtx = db, ctx
	})
	return filled, filledCtx
}

// BenchmarkPage pages through the community collection, 1,000 objects a
// page, default filters (target ≥ 50,000 objects/s at 1,000,000 stored).
func BenchmarkPage(b *testing.B) {
	db, ctx := bigStore(b)
	b.ResetTimer()
	cpu := cpuTime()
	n := 0
	f := dragnet.Filter{Limit: 1000}
	for i := 0; i < b.N; i++ {
		p, err := db.Objects(ctx, dragnet.CommunityCollectionID, f, true)
		if err != nil {
			b.Fatal(err)
		}
		n += len(p.Objects)
		f.Next = p.Next
		if !p.More {
			f.Next = ""
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu).Seconds(), "objects/cpu-s")
}

// BenchmarkGetObject reads one object by id (TAXII GET object; target p99
// ≤ 5 ms).
func BenchmarkGetObject(b *testing.B) {
	db, ctx := bigStore(b)
	r := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := r.IntN(*benchObjects)
		id := indicator(n).Object.ID
		t := time.Now()
		p, err := db.Objects(ctx, dragnet.CommunityCollectionID, dragnet.Filter{IDs: []string{id}}, true)
		lat = append(lat, time.Since(t))
		if err != nil || len(p.Objects) != 1 {
			b.Fatalf("get %s: %v, %d objects", id, err, len(p.Objects))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// cpuTime returns the CPU time the process has used (user and system, all
// threads). On a shared machine objects per CPU-second says what the code
// costs; objects per second also says how busy the machine was.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkObjectsByID reads the latest versions of 1,000 stored objects
// by id (match[id]), as the feed pipeline does for each batch, with and
// without their JSON; it reports CPU time per id.
func BenchmarkObjectsByID(b *testing.B) {
	db, ctx := bigStore(b)
	r := rand.New(rand.NewPCG(5, 6))
	for _, raw := range []bool{false, true} {
		b.Run(fmt.Sprintf("raw=%v", raw), func(b *testing.B) {
			all := make([]string, b.N*1000)
			for j := range all {
				n := r.IntN(*benchObjects)
				all[j] = fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", n, n) // as indicator(n)
			}
			start := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ids := all[i*1000 : (i+1)*1000]
				p, err := db.Objects(ctx, dragnet.CommunityCollectionID, dragnet.Filter{IDs: ids, Limit: len(ids)}, raw)
				if err != nil || len(p.Objects) == 0 {
					b.Fatal(len(p.Objects), err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N*1000), "cpu-ns/id")
		})
	}
}
