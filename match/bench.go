package match

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// BenchConfig sets up Bench.
type BenchConfig struct {
	Indicators int           // size of the synthetic set
	Seed       uint64        // generator seed
	Duration   time.Duration // time spent on each measured stream; 0: 1s
	Queries    int           // distinct queries per stream; 0: 1<<20
}

// BenchReport is what `dragnet bench match` prints. Rates are lookups per
// second on one goroutine; baselines are the same lookups in plain Go maps
// built in the same run (for domains, one map probe per parent domain).
type BenchReport struct {
	Indicators     int     `json:"indicators"`
	CompileSeconds float64 `json:"compile_seconds"`
	// CompileCPUSeconds is the process CPU time of the compilation (all
	// threads, the garbage collector's included): on a shared machine the
	// wall time above also counts time others held the cores.
	CompileCPUSeconds      float64 `json:"compile_cpu_seconds"`
	IndexBytesPerIndicator float64 `json:"index_bytes_per_indicator"`
	IPv4MissLookupsPerSec  float64 `json:"ipv4_miss_lookups_per_sec"`
	IPv4MissBaselinePerSec float64 `json:"ipv4_miss_baseline_per_sec"`
	IPv4HitLookupsPerSec   float64 `json:"ipv4_hit_lookups_per_sec"`
	IPv4HitBaselinePerSec  float64 `json:"ipv4_hit_baseline_per_sec"`
	// The IPv4 baselines above look up the exact addresses only, where the
	// index also finds every CIDR indicator containing the address. These
	// answer the index's question with maps: the exact map, then one map
	// probe per prefix length the CIDR indicators use, as the domain
	// baseline probes every parent domain. They are measured in a run of
	// their own, taking turns with the index again.
	IPv4MissCIDRBaselinePerSec float64 `json:"ipv4_miss_cidr_baseline_per_sec"`
	IPv4HitCIDRBaselinePerSec  float64 `json:"ipv4_hit_cidr_baseline_per_sec"`
	DomainMissLookupsPerSec    float64 `json:"domain_miss_lookups_per_sec"`
	DomainMissBaselinePerSec   float64 `json:"domain_miss_baseline_per_sec"`
	DomainHitLookupsPerSec     float64 `json:"domain_hit_lookups_per_sec"`
	DomainHitBaselinePerSec    float64 `json:"domain_hit_baseline_per_sec"`
	SHA256MissLookupsPerSec    float64 `json:"sha256_miss_lookups_per_sec"`
	SHA256MissBaselinePerSec   float64 `json:"sha256_miss_baseline_per_sec"`
	SHA256HitLookupsPerSec     float64 `json:"sha256_hit_lookups_per_sec"`
	SHA256HitBaselinePerSec    float64 `json:"sha256_hit_baseline_per_sec"`
}

// benchAccess sees every synthetic audience, so every hit is counted.
func benchAccess(n int) *dragnet.Access {
	a := &dragnet.Access{OrgID: 1}
	for i := 1; i <= n; i++ {
		a.Audiences = append(a.Audiences, int64(i))
	}
	return a
}

const benchAudiences = 16

// Bench generates the synthetic set, compiles it, and measures lookups
// against plain Go maps. It checks that both find the same number of hits
// on every stream, so a broken index cannot report a good figure.
func Bench(cfg BenchConfig) (*BenchReport, error) {
	if cfg.Indicators < 10 {
		return nil, dragnet.Errorf(dragnet.EINVALID, "--indicators must be at least 10")
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Second
	}
	if cfg.Queries <= 0 {
		cfg.Queries = 1 << 20
	}
	g := Synthetic{N: cfg.Indicators, Seed: cfg.Seed, Audiences: benchAudiences}
	rep := &BenchReport{Indicators: cfg.Indicators}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	start, cpu := time.Now(), processCPU()
	ix, err := Compile(g.Entries(), Options{})
	if err != nil {
		return nil, err
	}
	rep.CompileSeconds = time.Since(start).Seconds()
	rep.CompileCPUSeconds = (processCPU() - cpu).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rep.IndexBytesPerIndicator = float64(int64(ms.HeapAlloc)-int64(before)) / float64(cfg.Indicators)
	acc := benchAccess(benchAudiences)

	if err := benchIPv4(g, ix, acc, cfg, rep); err != nil {
		return nil, err
	}
	if err := benchDomain(g, ix, acc, cfg, rep); err != nil {
		return nil, err
	}
	if err := benchSHA256(g, ix, acc, cfg, rep); err != nil {
		return nil, err
	}
	runtime.KeepAlive(ix)
	return rep, nil
}

// rates measures lookup loops over the same queries and returns the best
// rate of each, and the hits each found in one full pass. It runs them in
// turn over chunks of the query set (about a millisecond of work each)
// until d has passed and every chunk was measured at least twice. Time is
// the CPU time of the benchmark's thread where the system reports it
// (Linux), else wall time: on a shared machine, time the core spends on
// other processes is not lookup time. The best chunk is the one least
// disturbed by others' use of the caches; taking turns exposes every loop
// to the same disturbance, and every query is measured.
func rates[Q any](qs []Q, d time.Duration, fs ...func([]Q) int) (best []float64, hits []int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best, hits = make([]float64, len(fs)), make([]int, len(fs))
	for i, f := range fs {
		hits[i] = f(qs)
	}
	const chunk = 1 << 14
	nchunks := (len(qs) + chunk - 1) / chunk
	timed := func(f func([]Q) int, c []Q) float64 {
		if haveThreadCPU {
			t := threadCPU()
			f(c)
			if el := threadCPU() - t; el > 0 {
				return float64(len(c)) / el.Seconds()
			}
			return 0
		}
		t := time.Now()
		f(c)
		return float64(len(c)) / time.Since(t).Seconds()
	}
	start := time.Now()
	for i := 0; i < 2*nchunks || time.Since(start) < d; i++ {
		c := qs[i%nchunks*chunk : min(len(qs), (i%nchunks+1)*chunk)]
		for k, f := range fs {
			best[k] = max(best[k], timed(f, c))
		}
	}
	return best, hits
}

// mixed builds a query stream of nq queries, hitPermille of them from hit
// and the rest from miss, in a deterministic shuffle.
func mixed[Q any](g Synthetic, nq, hitPermille int, hit, miss func(i int) Q) []Q {
	qs := make([]Q, nq)
	for i := range qs {
		if int(g.rnd(9, uint64(i), 0)%1000) < hitPermille {
			qs[i] = hit(i)
		} else {
			qs[i] = miss(i)
		}
	}
	return qs
}

// ipv4Base is the baseline of the IPv4 streams: the exact IPv4 indicator
// set in a plain Go map.
func ipv4Base(g Synthetic) map[uint32]uint32 {
	nIP, _, _, _ := g.Counts()
	base := make(map[uint32]uint32, nIP)
	for i := 0; i < nIP; i++ {
		base[g.IPv4(i)] = uint32(i)
	}
	return base
}

// ipv4Stream returns nq addresses, hitPermille of them exact IPv4
// indicators and the rest addresses in no exact and no CIDR indicator.
func ipv4Stream(g Synthetic, ix *Index, acc *dragnet.Access, base map[uint32]uint32, nq, hitPermille int) []netip.Addr {
	nIP, _, _, _ := g.Counts()
	var buf []Hit
	missAt := func(i int) netip.Addr {
		for j := uint64(0); ; j++ {
			a := uint32(g.rnd(10, uint64(i), j))
			if _, ok := base[a]; ok {
				continue
			}
			if buf = ix.AppendAddr(buf[:0], addr4(a), acc); len(buf) == 0 {
				return addr4(a)
			}
		}
	}
	hitAt := func(i int) netip.Addr { return addr4(g.IPv4(int(g.rnd(11, uint64(i), 0) % uint64(nIP)))) }
	return mixed(g, nq, hitPermille, hitAt, missAt)
}

func benchIPv4(g Synthetic, ix *Index, acc *dragnet.Access, cfg BenchConfig, rep *BenchReport) error {
	base := ipv4Base(g)
	ips := base // the closures below named base shadow it
	nets, lens := cidrBase(g)
	for _, m := range []struct {
		permille         int
		ours, base, nets *float64
	}{{1, &rep.IPv4MissLookupsPerSec, &rep.IPv4MissBaselinePerSec, &rep.IPv4MissCIDRBaselinePerSec},
		{500, &rep.IPv4HitLookupsPerSec, &rep.IPv4HitBaselinePerSec, &rep.IPv4HitCIDRBaselinePerSec}} {
		qs := ipv4Stream(g, ix, acc, base, cfg.Queries, m.permille)
		var bt Batch
		ours := func(qs []netip.Addr) int {
			n := 0
			bt.LookupAddrs(ix, qs, acc, func(int, []Hit) { n++ })
			return n
		}
		base := func(qs []netip.Addr) int {
			n := 0
			for _, q := range qs {
				b := q.As4()
				if _, ok := base[uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])]; ok {
					n++
				}
			}
			return n
		}
		r, hits := rates(qs, cfg.Duration, ours, base)
		*m.ours, *m.base = r[0], r[1]
		if hits[0] != hits[1] {
			return fmt.Errorf("ipv4 stream (%d‰ hits): index found %d hits, map %d", m.permille, hits[0], hits[1])
		}
		withNets := func(qs []netip.Addr) int {
			n := 0
			for _, q := range qs {
				b := q.As4()
				k := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
				_, found := ips[k]
				for _, l := range lens {
					if _, ok := nets[uint64(k&^(1<<(32-l)-1))<<6|uint64(l)]; ok {
						found = true
					}
				}
				if found {
					n++
				}
			}
			return n
		}
		r, hits = rates(qs, cfg.Duration, ours, withNets)
		*m.nets = r[1]
		if hits[0] != hits[1] {
			return fmt.Errorf("ipv4 stream (%d‰ hits): index found %d hits, maps with prefixes %d", m.permille, hits[0], hits[1])
		}
	}
	return nil
}

// cidrBase returns the IPv4 CIDR indicators in a plain Go map, keyed by
// address<<6 | length, and the lengths they use, longest first.
func cidrBase(g Synthetic) (map[uint64]struct{}, []uint32) {
	_, nCIDR, _, _ := g.Counts()
	nets := make(map[uint64]struct{}, nCIDR)
	var used [33]bool
	for i := 0; i < nCIDR; i++ {
		p := g.CIDR(i)
		nets[uint64(ip4Key(p.Addr()))<<6|uint64(p.Bits())] = struct{}{}
		used[p.Bits()] = true
	}
	var lens []uint32
	for l := 32; l >= 0; l-- {
		if used[l] {
			lens = append(lens, uint32(l))
		}
	}
	return nets, lens
}

func benchDomain(g Synthetic, ix *Index, acc *dragnet.Access, cfg BenchConfig, rep *BenchReport) error {
	_, _, nDom, _ := g.Counts()
	base := make(map[string]uint32, nDom)
	for i := 0; i < nDom; i++ {
		base[g.Domain(i)] = uint32(i)
	}
	hitAt := func(i int) string {
		r := g.rnd(12, uint64(i), 0)
		d := g.Domain(int(r % uint64(nDom)))
		switch r >> 32 % 3 {
		case 1:
			d = "www." + d
		case 2:
			d = "a.cdn." + d
		}
		return d
	}
	var buf []Hit
	for _, m := range []struct {
		permille   int
		ours, base *float64
	}{{1, &rep.DomainMissLookupsPerSec, &rep.DomainMissBaselinePerSec}, {500, &rep.DomainHitLookupsPerSec, &rep.DomainHitBaselinePerSec}} {
		qs := mixed(g, cfg.Queries, m.permille, hitAt, g.MissDomain)
		ours := func(qs []string) int {
			n := 0
			for _, q := range qs {
				buf = ix.AppendDomain(buf[:0], q, acc)
				if len(buf) > 0 {
					n++
				}
			}
			return n
		}
		base := func(qs []string) int {
			n := 0
			for _, q := range qs {
				found := false
				for s := q; ; {
					dot := strings.IndexByte(s, '.')
					if dot < 0 {
						break
					}
					if _, ok := base[s]; ok {
						found = true
					}
					s = s[dot+1:]
				}
				if found {
					n++
				}
			}
			return n
		}
		r, hits := rates(qs, cfg.Duration, ours, base)
		*m.ours, *m.base = r[0], r[1]
		if hits[0] != hits[1] {
			return fmt.Errorf("domain stream (%d‰ hits): index found %d hits, map %d", m.permille, hits[0], hits[1])
		}
	}
	return nil
}

func benchSHA256(g Synthetic, ix *Index, acc *dragnet.Access, cfg BenchConfig, rep *BenchReport) error {
	_, _, _, nSHA := g.Counts()
	base := make(map[[32]byte]uint32, nSHA)
	for i := 0; i < nSHA; i++ {
		base[g.SHA256(i)] = uint32(i)
	}
	hexOf := func(d [32]byte) string { return hex.EncodeToString(d[:]) }
	hitAt := func(i int) string { return hexOf(g.SHA256(int(g.rnd(13, uint64(i), 0) % uint64(nSHA)))) }
	missAt := func(i int) string { return hexOf(g.MissSHA256(i)) }
	for _, m := range []struct {
		permille   int
		ours, base *float64
	}{{1, &rep.SHA256MissLookupsPerSec, &rep.SHA256MissBaselinePerSec}, {500, &rep.SHA256HitLookupsPerSec, &rep.SHA256HitBaselinePerSec}} {
		qs := mixed(g, cfg.Queries, m.permille, hitAt, missAt)
		var bt Batch
		ours := func(qs []string) int {
			n := 0
			bt.LookupHashes(ix, dragnet.ValueSHA256, qs, acc, func(int, []Hit) { n++ })
			return n
		}
		base := func(qs []string) int {
			n := 0
			var k [32]byte
			for _, q := range qs {
				// The index's own decoder: it allocates nothing, where
				// hex.Decode of a []byte conversion would.
				if !decodeHex(k[:], q) {
					continue
				}
				if _, ok := base[k]; ok {
					n++
				}
			}
			return n
		}
		r, hits := rates(qs, cfg.Duration, ours, base)
		*m.ours, *m.base = r[0], r[1]
		if hits[0] != hits[1] {
			return fmt.Errorf("sha256 stream (%d‰ hits): index found %d hits, map %d", m.permille, hits[0], hits[1])
		}
	}
	return nil
}
