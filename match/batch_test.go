package match

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// cidrWorld is a set of random IPv4 prefixes of every length from /4 to
// /32 inside 10.0.0.0/7, so that they nest and overlap, plus some IPv6
// prefixes and exact addresses.
func cidrWorld(rng *rand.Rand) (es []Entry, pfxs []netip.Prefix) {
	for i := 0; i < 3000; i++ {
		bits := 16 + rng.IntN(17)
		if i%20 == 0 {
			bits = 4 + rng.IntN(12)
		}
		a := uint32(10<<24) | uint32(rng.IntN(1<<25))
		p := netip.PrefixFrom(addr4(a), bits).Masked()
		pfxs = append(pfxs, p)
		es = append(es, Entry{Value: val(dragnet.ValueCIDR, p.String()), IndicatorID: uuidN(i), Audience: int64(1 + rng.IntN(3))})
	}
	es = append(es,
		Entry{Value: val(dragnet.ValueCIDR, "2001:db8::/32"), IndicatorID: uuidN(5000), Audience: 1},
		Entry{Value: val(dragnet.ValueIPv4, "10.1.2.3"), IndicatorID: uuidN(5001), Audience: 1},
		Entry{Value: val(dragnet.ValueIPv6, "2001:db8::7"), IndicatorID: uuidN(5002), Audience: 1})
	return es, pfxs
}

// TestCIDRAgainstScan checks address and prefix lookups against a plain
// scan of every prefix: every CIDR indicator containing the query, in
// the audiences the caller sees, longest prefix first.
func TestCIDRAgainstScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	es, pfxs := cidrWorld(rng)
	ix := mustCompile(t, es, nil)
	for i := 0; i < 5000; i++ {
		bits := 32
		if i%4 == 0 {
			bits = rng.IntN(33)
		}
		q := netip.PrefixFrom(addr4(uint32(10<<24)|uint32(rng.IntN(1<<25))), bits).Masked()
		acc := &dragnet.Access{Audiences: []int64{int64(1 + rng.IntN(3)), 3}}
		var exp []string
		var lens []int
		for j, p := range pfxs {
			if p.Bits() <= q.Bits() && p.Contains(q.Addr()) && acc.CanSee(es[j].Audience) {
				exp = append(exp, es[j].IndicatorID+"@"+p.String())
			}
		}
		var got []Hit
		if bits == 32 {
			got = ix.Lookup(val(dragnet.ValueIPv4, q.Addr().String()), acc)
			if q.Addr().String() == "10.1.2.3" {
				exp = append(exp, uuidN(5001)+"@10.1.2.3")
			}
		} else {
			got = ix.Lookup(val(dragnet.ValueCIDR, q.String()), acc)
		}
		for _, h := range got {
			if m := h.Matched(); m.Kind == dragnet.ValueCIDR {
				lens = append(lens, netip.MustParsePrefix(m.Value).Bits())
			}
		}
		if !slices.IsSortedFunc(lens, func(a, b int) int { return b - a }) {
			t.Fatalf("Lookup(%v): prefixes not longest first: %v", q, lens)
		}
		sort.Strings(exp)
		if g := ids(got); !slices.Equal(g, exp) {
			t.Fatalf("Lookup(%v, %v) = %v, want %v", q, acc.Audiences, g, exp)
		}
	}
	v6 := ix.Lookup(val(dragnet.ValueIPv6, "2001:db8::7"), &dragnet.Access{Audiences: []int64{1}})
	if g := ids(v6); !slices.Equal(g, []string{uuidN(5000) + "@2001:db8::/32", uuidN(5002) + "@2001:db8::7"}) {
		t.Errorf("IPv6 lookup = %v", g)
	}
}

// TestBatchAgainstSingle checks that batched lookups give exactly the
// hits of one-at-a-time lookups, at the right input positions.
func TestBatchAgainstSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	es, _ := cidrWorld(rng)
	for i := 0; i < 5000; i++ {
		es = append(es,
			Entry{Value: val(dragnet.ValueIPv4, addr4(uint32(10<<24)|uint32(rng.IntN(1<<20))).String()), IndicatorID: uuidN(10000 + i), Audience: int64(1 + rng.IntN(3))},
			Entry{Value: val(dragnet.ValueDomain, fmt.Sprintf("h%d.example", rng.IntN(3000))), IndicatorID: uuidN(20000 + i), Audience: 1},
			Entry{Value: val(dragnet.ValueSHA256, fmt.Sprintf("%064x", rng.IntN(3000))), IndicatorID: uuidN(30000 + i), Audience: 2})
	}
	ix := mustCompile(t, es, NewSuppression([]dragnet.Value{val(dragnet.ValueDomain, "h7.example")}))
	acc := &dragnet.Access{Audiences: []int64{1, 2}}
	var addrs []netip.Addr
	var vs []dragnet.Value
	for i := 0; i < 3000; i++ {
		a := addr4(uint32(10<<24) | uint32(rng.IntN(1<<20)))
		switch i % 7 {
		case 0:
			a = netip.MustParseAddr("2001:db8::7")
		case 1:
			a = netip.AddrFrom16(a.As16()) // IPv4-mapped
		}
		addrs = append(addrs, a)
		vs = append(vs, val(dragnet.ValueIPv4, a.String()))
		switch i % 5 {
		case 0:
			vs = append(vs, val(dragnet.ValueDomain, fmt.Sprintf("www.H%d.example.", rng.IntN(6000))))
		case 1:
			vs = append(vs, val(dragnet.ValueSHA256, fmt.Sprintf("%064X", rng.IntN(6000))))
		case 2:
			vs = append(vs, val(dragnet.ValueIPv4, "not an address"), val(dragnet.ValueCIDR, "10.0.0.0/12"), val(dragnet.ValueMD5, "zz"))
		}
	}
	var b Batch
	var got []string
	b.LookupAddrs(ix, addrs, acc, func(i int, hits []Hit) {
		for _, h := range hits {
			got = append(got, fmt.Sprintf("%d %s %s", i, h.IndicatorID(), h.Matched().Value))
		}
	})
	var want []string
	for i, a := range addrs {
		for _, h := range ix.AppendAddr(nil, a, acc) {
			want = append(want, fmt.Sprintf("%d %s %s", i, h.IndicatorID(), h.Matched().Value))
		}
	}
	if len(want) < 100 || !slices.Equal(got, want) {
		t.Fatalf("LookupAddrs: %d hits, want %d\n%q\n%q", len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
	}
	for _, lk := range []Looker{ix, onlyLooker{ix}} {
		got, want = got[:0], want[:0]
		if err := b.Lookup(lk, vs, acc, func(i int, hits []Hit) error {
			for _, h := range hits {
				got = append(got, fmt.Sprintf("%d %s %s", i, h.IndicatorID(), h.Matched().Value))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i, v := range vs {
			for _, h := range ix.Lookup(v, acc) {
				want = append(want, fmt.Sprintf("%d %s %s", i, h.IndicatorID(), h.Matched().Value))
			}
		}
		if len(want) < 100 || !slices.Equal(got, want) {
			t.Fatalf("Lookup(%T): %d hits, want %d", lk, len(got), len(want))
		}
	}
	var hexs []string
	for i := 0; i < 2000; i++ {
		h := fmt.Sprintf("%064x", rng.IntN(6000))
		switch i % 4 {
		case 1:
			h = strings.ToUpper(h)
		case 2:
			h = h[:63] + "g" // not hex
		case 3:
			h = h[:62] // too short
		}
		hexs = append(hexs, h)
	}
	got, want = got[:0], want[:0]
	b.LookupHashes(ix, dragnet.ValueSHA256, hexs, acc, func(i int, hits []Hit) {
		for _, h := range hits {
			got = append(got, fmt.Sprintf("%d %s %s", i, h.IndicatorID(), h.Matched().Value))
		}
	})
	for i, h := range hexs {
		for _, hit := range ix.AppendHash(nil, dragnet.ValueSHA256, h, acc) {
			want = append(want, fmt.Sprintf("%d %s %s", i, hit.IndicatorID(), hit.Matched().Value))
		}
	}
	if len(want) < 100 || !slices.Equal(got, want) {
		t.Fatalf("LookupHashes: %d hits, want %d", len(got), len(want))
	}
	stop := fmt.Errorf("stop")
	if err := b.Lookup(ix, vs, acc, func(int, []Hit) error { return stop }); err != stop {
		t.Errorf("error from fn: %v", err)
	}
}

// onlyLooker hides the batch method of an index.
type onlyLooker struct{ ix *Index }

func (o onlyLooker) AppendLookup(dst []Hit, v dragnet.Value, access *dragnet.Access) []Hit {
	return o.ix.AppendLookup(dst, v, access)
}

// TestHashMatchedLowerCase checks that a hash written in upper case hits
// and reports the value in lower case, looked up alone or in a batch.
func TestHashMatchedLowerCase(t *testing.T) {
	ix := mustCompile(t, world(), nil)
	acc := &dragnet.Access{Audiences: []int64{1}}
	const up = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	for _, hs := range [][]Hit{ix.Lookup(val(dragnet.ValueSHA256, up), acc), ix.Lookup(val(dragnet.ValueSHA256, strings.ToLower(up)), acc)} {
		if len(hs) != 1 || hs[0].Matched().Value != strings.ToLower(up) {
			t.Errorf("hits = %v", ids(hs))
		}
	}
	var b Batch
	n := 0
	b.LookupHashes(ix, dragnet.ValueSHA256, []string{up, "zz", strings.ToLower(up)}, acc, func(i int, hs []Hit) {
		n++
		if hs[0].Matched().Value != strings.ToLower(up) {
			t.Errorf("batch hit %d = %q", i, hs[0].Matched().Value)
		}
	})
	if n != 2 {
		t.Errorf("batch: %d values hit, want 2", n)
	}
}

// TestLookupAddrsCases checks LookupAddrs against AppendAddr over indexes
// that take each of its paths (no filter, no CIDR, no exact addresses,
// several indicators on one address, indicators not yet or no longer
// valid, warninglisted values, short prefixes) and over input lengths
// around the pipeline's chunk size, with IPv6, IPv4-mapped and zero
// addresses mixed in.
func TestLookupAddrsCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	addrIn := func() netip.Addr { return addr4(uint32(10<<24) | uint32(rng.IntN(1<<16))) }
	exact := func(n int) []Entry {
		var es []Entry
		for i := 0; i < n; i++ {
			e := Entry{Value: val(dragnet.ValueIPv4, addrIn().String()), IndicatorID: uuidN(40000 + i), Audience: int64(1 + rng.IntN(3))}
			switch i % 11 {
			case 1:
				e.ValidFrom = now.Add(time.Hour) // not yet valid
			case 2:
				e.ValidUntil = now.Add(time.Hour) // valid until after now
			case 3:
				es = append(es, e) // a second indicator on the same address
				e.IndicatorID = uuidN(60000 + i)
			}
			es = append(es, e)
		}
		return es
	}
	cidrs, _ := cidrWorld(rng)
	short := []Entry{
		{Value: val(dragnet.ValueCIDR, "10.0.0.0/9"), IndicatorID: uuidN(70000), Audience: 1},
		{Value: val(dragnet.ValueCIDR, "10.0.0.0/12"), IndicatorID: uuidN(70001), Audience: 2},
	}
	warn := NewSuppression([]dragnet.Value{val(dragnet.ValueCIDR, "10.0.128.0/17"), val(dragnet.ValueCIDR, "10.0.0.0/24")})
	for _, c := range []struct {
		name string
		es   []Entry
		s    *Suppression
	}{
		{"empty", nil, nil},
		{"tiny", exact(20), nil},
		{"exact", exact(20000), nil},
		{"cidr", cidrs, nil},
		{"short", short, nil},
		{"all", append(append(append([]Entry{}, cidrs...), exact(20000)...), short...), nil},
		{"warninglisted", append(append([]Entry{}, cidrs...), exact(20000)...), warn},
		{"warninglisted exact", exact(20000), warn},
	} {
		ix, err := Compile(Entries(c.es), Options{Now: func() time.Time { return now }, Suppress: c.s})
		if err != nil {
			t.Fatal(err)
		}
		for _, acc := range []*dragnet.Access{{Audiences: []int64{1, 3}}, {Audiences: []int64{1, 2, 3}}} {
			for _, n := range []int{0, 1, addrBatch - 1, addrBatch, addrBatch + 1, 5*addrBatch + 3, 3000} {
				as := make([]netip.Addr, n)
				for i := range as {
					switch i % 13 {
					case 0:
						as[i] = netip.MustParseAddr("2001:db8::7")
					case 1:
						as[i] = netip.AddrFrom16(addrIn().As16())
					case 2: // the zero Addr
					default:
						as[i] = addrIn()
					}
				}
				var want []string
				for i, a := range as {
					for _, h := range ix.AppendAddr(nil, a, acc) {
						want = append(want, fmt.Sprintf("%d %s %s %d %d", i, h.IndicatorID(), h.Matched().Value, h.Audience, h.TLP))
					}
				}
				var got []string
				var b Batch
				b.LookupAddrs(ix, as, acc, func(i int, hits []Hit) {
					for _, h := range hits {
						got = append(got, fmt.Sprintf("%d %s %s %d %d", i, h.IndicatorID(), h.Matched().Value, h.Audience, h.TLP))
					}
				})
				if !slices.Equal(got, want) {
					t.Fatalf("%s, %d addresses, audiences %v: LookupAddrs gave %d hits, AppendAddr %d\n%q\n%q",
						c.name, n, acc.Audiences, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
				}
				if c.name == "all" && n == 3000 && len(want) < 500 {
					t.Fatalf("%s: only %d hits: the test exercises too little", c.name, len(want))
				}
			}
		}
	}
}
