package match

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

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
