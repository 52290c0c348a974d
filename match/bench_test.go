package match

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

func TestBenchSmall(t *testing.T) {
	rep, err := Bench(BenchConfig{Indicators: 20000, Seed: 1, Duration: time.Millisecond, Queries: 4096})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	t.Log(string(b))
	if rep.IPv4HitLookupsPerSec <= 0 || rep.DomainMissBaselinePerSec <= 0 || rep.SHA256HitLookupsPerSec <= 0 {
		t.Errorf("missing rates: %s", b)
	}
}

// benchN is the indicator count of the go test benchmarks; the full-size
// figures come from `dragnet bench match`.
var benchN = flag.Int("match.n", 1_000_000, "indicators in the benchmark set")

var fixture struct {
	once sync.Once
	g    Synthetic
	ix   *Index
	err  error
}

func benchIndex(b *testing.B) (Synthetic, *Index) {
	fixture.once.Do(func() {
		fixture.g = Synthetic{N: *benchN, Seed: 1, Audiences: benchAudiences}
		fixture.ix, fixture.err = Compile(fixture.g.Entries(), Options{})
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.g, fixture.ix
}

func BenchmarkLookup(b *testing.B) {
	g, ix := benchIndex(b)
	acc := benchAccess(benchAudiences)
	nIP, _, nDom, nSHA := g.Counts()
	const nq = 1 << 16
	for _, mix := range []struct {
		name     string
		permille int
	}{{"miss", 1}, {"hit", 500}} {
		ips := mixed(g, nq, mix.permille,
			func(i int) netip.Addr { return addr4(g.IPv4(int(g.rnd(11, uint64(i), 0) % uint64(nIP)))) },
			func(i int) netip.Addr { return addr4(uint32(g.rnd(10, uint64(i), 0))) })
		b.Run("ipv4/"+mix.name, func(b *testing.B) {
			var buf []Hit
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf = ix.AppendAddr(buf[:0], ips[i%nq], acc)
			}
		})
		b.Run("ipv4batch/"+mix.name, func(b *testing.B) {
			var bt Batch
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPU()
			for i := 0; b.Loop(); i += batchSize {
				j := i % nq
				bt.LookupAddrs(ix, ips[j:j+batchSize], acc, func(int, []Hit) {})
			}
			// Per address, in this thread's CPU time (the machine is shared).
			b.ReportMetric(float64((threadCPU()-cpu).Nanoseconds())/float64(b.N*batchSize), "cpu-ns/addr")
		})
		doms := mixed(g, nq, mix.permille,
			func(i int) string { return "www." + g.Domain(int(g.rnd(12, uint64(i), 0)%uint64(nDom))) },
			g.MissDomain)
		b.Run("domain/"+mix.name, func(b *testing.B) {
			var buf []Hit
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf = ix.AppendDomain(buf[:0], doms[i%nq], acc)
			}
		})
		shas := mixed(g, nq, mix.permille,
			func(i int) string {
				d := g.SHA256(int(g.rnd(13, uint64(i), 0) % uint64(nSHA)))
				return hex.EncodeToString(d[:])
			},
			func(i int) string { d := g.MissSHA256(i); return hex.EncodeToString(d[:]) })
		b.Run("sha256batch/"+mix.name, func(b *testing.B) {
			var bt Batch
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPU()
			for i := 0; b.Loop(); i += batchSize {
				j := i % nq
				bt.LookupHashes(ix, dragnet.ValueSHA256, shas[j:j+batchSize], acc, func(int, []Hit) {})
			}
			b.ReportMetric(float64((threadCPU()-cpu).Nanoseconds())/float64(b.N*batchSize), "cpu-ns/hash")
		})
		b.Run("sha256/"+mix.name, func(b *testing.B) {
			var buf []Hit
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf = ix.AppendHash(buf[:0], dragnet.ValueSHA256, shas[i%nq], acc)
			}
		})
	}
}

// BenchmarkIPv4Rates runs the IPv4 streams of `dragnet bench match` (ours
// and the map baseline, taking turns) on the benchmark set and reports
// their rates in millions of lookups a second.
func BenchmarkIPv4Rates(b *testing.B) {
	g, ix := benchIndex(b)
	acc := benchAccess(benchAudiences)
	for b.Loop() {
		var rep BenchReport
		if err := benchIPv4(g, ix, acc, BenchConfig{Duration: time.Second, Queries: 1 << 20}, &rep); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.IPv4MissLookupsPerSec/1e6, "miss-M/s")
		b.ReportMetric(rep.IPv4MissBaselinePerSec/1e6, "missmap-M/s")
		b.ReportMetric(rep.IPv4HitLookupsPerSec/1e6, "hit-M/s")
		b.ReportMetric(rep.IPv4HitBaselinePerSec/1e6, "hitmap-M/s")
		b.ReportMetric(rep.IPv4MissCIDRBaselinePerSec/1e6, "missmaps-M/s")
		b.ReportMetric(rep.IPv4HitCIDRBaselinePerSec/1e6, "hitmaps-M/s")
	}
}

// BenchmarkIPv4Stream times Batch.LookupAddrs alone over the address
// streams of `dragnet bench match`, in CPU time of the benchmark's thread.
func BenchmarkIPv4Stream(b *testing.B) {
	g, ix := benchIndex(b)
	acc := benchAccess(benchAudiences)
	base := ipv4Base(g)
	for _, mix := range []struct {
		name     string
		permille int
	}{{"miss", 1}, {"hit", 500}} {
		qs := ipv4Stream(g, ix, acc, base, 1<<20, mix.permille)
		b.Run(mix.name, func(b *testing.B) {
			var bt Batch
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const chunk = 1 << 12
			n := 0
			cpu := threadCPU()
			for i := 0; b.Loop(); i++ {
				j := i % (len(qs) / chunk) * chunk
				bt.LookupAddrs(ix, qs[j:j+chunk], acc, func(int, []Hit) { n++ })
			}
			b.ReportMetric(float64((threadCPU()-cpu).Nanoseconds())/float64(b.N*chunk), "cpu-ns/addr")
		})
	}
}

// BenchmarkIPv4Values times the same streams as BenchmarkIPv4Stream
// through Batch.Lookup, the path dragnet match and the match API take:
// values as text, parsed, 256 to a call as Stream makes them.
func BenchmarkIPv4Values(b *testing.B) {
	g, ix := benchIndex(b)
	acc := benchAccess(benchAudiences)
	base := ipv4Base(g)
	for _, mix := range []struct {
		name     string
		permille int
	}{{"miss", 1}, {"hit", 500}} {
		qs := ipv4Stream(g, ix, acc, base, 1<<20, mix.permille)
		vs := make([]dragnet.Value, len(qs))
		for i, a := range qs {
			vs[i] = dragnet.Value{Kind: dragnet.ValueIPv4, Value: a.String()}
		}
		b.Run(mix.name, func(b *testing.B) {
			var bt Batch
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const chunk = streamBatch
			n := 0
			cpu := threadCPU()
			for i := 0; b.Loop(); i++ {
				j := i % (len(vs) / chunk) * chunk
				bt.Lookup(ix, vs[j:j+chunk], acc, func(int, []Hit) error { n++; return nil })
			}
			b.ReportMetric(float64((threadCPU()-cpu).Nanoseconds())/float64(b.N*chunk), "cpu-ns/value")
		})
	}
}
