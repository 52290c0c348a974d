package match

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

func uuidN(n int) string {
	return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
}

func val(k dragnet.ValueKind, s string) dragnet.Value { return dragnet.Value{Kind: k, Value: s} }

// world is a small set of indicators in three audiences: 1 (community),
// 2 (a group) and 3 (an organisation's own).
func world() []Entry {
	return []Entry{
		{Value: val(dragnet.ValueIPv4, "198.51.100.7"), IndicatorID: uuidN(1), Audience: 1, TLP: dragnet.TLPGreen, Confidence: 80},
		{Value: val(dragnet.ValueIPv4, "198.51.100.7"), IndicatorID: uuidN(2), Audience: 2, TLP: dragnet.TLPAmber, Confidence: 50},
		{Value: val(dragnet.ValueIPv6, "2001:db8::1"), IndicatorID: uuidN(3), Audience: 1, TLP: dragnet.TLPClear},
		{Value: val(dragnet.ValueCIDR, "203.0.113.0/24"), IndicatorID: uuidN(4), Audience: 1, TLP: dragnet.TLPGreen},
		{Value: val(dragnet.ValueCIDR, "203.0.0.0/16"), IndicatorID: uuidN(5), Audience: 3, TLP: dragnet.TLPRed},
		{Value: val(dragnet.ValueCIDR, "2001:db8:1::/48"), IndicatorID: uuidN(6), Audience: 1},
		{Value: val(dragnet.ValueDomain, "evil.example"), IndicatorID: uuidN(7), Audience: 1, TLP: dragnet.TLPGreen},
		{Value: val(dragnet.ValueDomain, "c2.evil.example"), IndicatorID: uuidN(8), Audience: 2, TLP: dragnet.TLPAmber},
		{Value: val(dragnet.ValueURL, "http://bad.example/x?y=1"), IndicatorID: uuidN(9), Audience: 1},
		{Value: val(dragnet.ValueEmail, "phish@bad.example"), IndicatorID: uuidN(10), Audience: 1},
		{Value: val(dragnet.ValueMD5, "d41d8cd98f00b204e9800998ecf8427e"), IndicatorID: uuidN(11), Audience: 1},
		{Value: val(dragnet.ValueSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"), IndicatorID: uuidN(12), Audience: 1},
		{Value: val(dragnet.ValueSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), IndicatorID: "indicator--custom-id", Audience: 1},
		{Value: val(dragnet.ValueSHA512, strings.Repeat("ab", 64)), IndicatorID: uuidN(14), Audience: 1},
		{Value: val(dragnet.ValueIPv4, "192.0.2.1"), IndicatorID: uuidN(15), Audience: 1, Revoked: true},
		{Value: val(dragnet.ValueIPv4, "192.0.2.2"), IndicatorID: uuidN(16), Audience: 1, ValidUntil: t0.Add(-time.Hour)},
		{Value: val(dragnet.ValueIPv4, "192.0.2.3"), IndicatorID: uuidN(17), Audience: 1, ValidUntil: t0.Add(time.Hour)},
		{Value: val(dragnet.ValueIPv4, "192.0.2.4"), IndicatorID: uuidN(18), Audience: 1, ValidFrom: t0.Add(time.Hour)},
		{Value: val(dragnet.ValueIPv4, "8.8.8.8"), IndicatorID: uuidN(19), Audience: 1},
		{Value: val(dragnet.ValueDomain, "google.com"), IndicatorID: uuidN(20), Audience: 1},
		{Value: val(dragnet.ValueCIDR, "8.0.0.0/8"), IndicatorID: uuidN(21), Audience: 1},
	}
}

func mustCompile(t testing.TB, es []Entry, s *Suppression) *Index {
	t.Helper()
	ix, err := Compile(Entries(es), Options{Now: clock, Suppress: s})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// ids renders hits as sorted "id@matched" strings.
func ids(hs []Hit) []string {
	var out []string
	for i := range hs {
		out = append(out, hs[i].IndicatorID()+"@"+hs[i].Matched().Value)
	}
	sort.Strings(out)
	return out
}

func idsOf(pairs ...string) []string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, pairs[i]+"@"+pairs[i+1])
	}
	sort.Strings(out)
	return out
}

func TestLookup(t *testing.T) {
	sup := NewSuppression([]dragnet.Value{val(dragnet.ValueCIDR, "8.8.8.0/24"), val(dragnet.ValueDomain, "google.com")})
	ix := mustCompile(t, world(), sup)
	all := &dragnet.Access{OrgID: 9, Audiences: []int64{1, 2, 3}}
	community := &dragnet.Access{OrgID: 8, Audiences: []int64{1}}
	tests := []struct {
		name   string
		v      dragnet.Value
		access *dragnet.Access
		want   []string
	}{
		{"ipv4 two audiences", val(dragnet.ValueIPv4, "198.51.100.7"), all, idsOf(uuidN(1), "198.51.100.7", uuidN(2), "198.51.100.7")},
		{"ipv4 policy", val(dragnet.ValueIPv4, "198.51.100.7"), community, idsOf(uuidN(1), "198.51.100.7")},
		{"ipv4 no access", val(dragnet.ValueIPv4, "198.51.100.7"), nil, nil},
		{"ipv4 miss", val(dragnet.ValueIPv4, "198.51.100.8"), all, nil},
		{"ipv4 mapped", val(dragnet.ValueIPv6, "::ffff:198.51.100.7"), community, idsOf(uuidN(1), "198.51.100.7")},
		{"ipv6", val(dragnet.ValueIPv6, "2001:DB8::1"), all, idsOf(uuidN(3), "2001:db8::1")},
		{"ipv6 in cidr", val(dragnet.ValueIPv6, "2001:db8:1::99"), all, idsOf(uuidN(6), "2001:db8:1::/48")},
		{"every covering prefix", val(dragnet.ValueIPv4, "203.0.113.9"), all, idsOf(uuidN(4), "203.0.113.0/24", uuidN(5), "203.0.0.0/16")},
		{"covering prefix policy", val(dragnet.ValueIPv4, "203.0.113.9"), community, idsOf(uuidN(4), "203.0.113.0/24")},
		{"outer prefix only", val(dragnet.ValueIPv4, "203.0.7.1"), all, idsOf(uuidN(5), "203.0.0.0/16")},
		{"cidr value", val(dragnet.ValueCIDR, "203.0.113.128/25"), all, idsOf(uuidN(4), "203.0.113.0/24", uuidN(5), "203.0.0.0/16")},
		{"domain exact", val(dragnet.ValueDomain, "evil.example"), all, idsOf(uuidN(7), "evil.example")},
		{"domain parents", val(dragnet.ValueDomain, "x.C2.Evil.Example."), all, idsOf(uuidN(7), "evil.example", uuidN(8), "c2.evil.example")},
		{"domain parents policy", val(dragnet.ValueDomain, "x.c2.evil.example"), community, idsOf(uuidN(7), "evil.example")},
		{"domain miss", val(dragnet.ValueDomain, "notevil.example"), all, nil},
		{"domain tld", val(dragnet.ValueDomain, "example"), all, nil},
		{"url", val(dragnet.ValueURL, "HTTP://BAD.example:80/x?y=1#frag"), all, idsOf(uuidN(9), "http://bad.example/x?y=1")},
		{"url path case matters", val(dragnet.ValueURL, "http://bad.example/X?y=1"), all, nil},
		{"email", val(dragnet.ValueEmail, "Phish@Bad.Example"), all, idsOf(uuidN(10), "phish@bad.example")},
		{"md5", val(dragnet.ValueMD5, "D41D8CD98F00B204E9800998ECF8427E"), all, idsOf(uuidN(11), "d41d8cd98f00b204e9800998ecf8427e")},
		{"sha1", val(dragnet.ValueSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"), all, idsOf(uuidN(12), "da39a3ee5e6b4b0d3255bfef95601890afd80709")},
		{"sha256 custom id", val(dragnet.ValueSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), all, idsOf("indicator--custom-id", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
		{"sha512", val(dragnet.ValueSHA512, strings.Repeat("AB", 64)), all, idsOf(uuidN(14), strings.Repeat("ab", 64))},
		{"bad hash", val(dragnet.ValueSHA256, "zz"), all, nil},
		{"revoked", val(dragnet.ValueIPv4, "192.0.2.1"), all, nil},
		{"expired", val(dragnet.ValueIPv4, "192.0.2.2"), all, nil},
		{"valid until later", val(dragnet.ValueIPv4, "192.0.2.3"), all, idsOf(uuidN(17), "192.0.2.3")},
		{"not yet valid", val(dragnet.ValueIPv4, "192.0.2.4"), all, nil},
		{"warninglisted address", val(dragnet.ValueIPv4, "8.8.8.8"), all, nil},
		{"warninglisted inside indicator cidr", val(dragnet.ValueIPv4, "8.8.8.9"), all, nil},
		{"indicator cidr outside warninglist", val(dragnet.ValueIPv4, "8.8.9.9"), all, idsOf(uuidN(21), "8.0.0.0/8")},
		{"warninglisted domain", val(dragnet.ValueDomain, "www.google.com"), all, nil},
		{"garbage", val(dragnet.ValueIPv4, "not an ip"), all, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(ix.Lookup(tc.v, tc.access))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Lookup(%v) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
	// Time moves: the not-yet-valid one starts hitting, the other expires.
	ix.SetNow(t0.Add(2 * time.Hour))
	if got := ids(ix.Lookup(val(dragnet.ValueIPv4, "192.0.2.4"), all)); len(got) != 1 {
		t.Errorf("after ValidFrom: %v", got)
	}
	if got := ids(ix.Lookup(val(dragnet.ValueIPv4, "192.0.2.3"), all)); len(got) != 0 {
		t.Errorf("after ValidUntil: %v", got)
	}
}

func TestHitFields(t *testing.T) {
	ix := mustCompile(t, world(), nil)
	hs := ix.Lookup(val(dragnet.ValueIPv4, "198.51.100.7"), &dragnet.Access{Audiences: []int64{2}})
	if len(hs) != 1 {
		t.Fatalf("hits = %d", len(hs))
	}
	h := hs[0]
	if h.IndicatorID() != uuidN(2) || h.Audience != 2 || h.TLP != dragnet.TLPAmber || h.Confidence != 50 {
		t.Errorf("hit = %s %d %v %d", h.IndicatorID(), h.Audience, h.TLP, h.Confidence)
	}
}

func TestCompileErrors(t *testing.T) {
	bad := []Entry{
		{Value: val(dragnet.ValueIPv4, "300.1.1.1"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueCIDR, "10.0.0.0/33"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueDomain, "nodot"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueURL, "not a url"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueEmail, "nobody"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueSHA256, "abc"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val("bogus", "x"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueIPv4, "1.2.3.4"), IndicatorID: uuidN(1), Audience: 0},
		{Value: val(dragnet.ValueIPv4, "1.2.3.4"), IndicatorID: "", Audience: 1},
		{Value: val(dragnet.ValueIPv4, "1.2.3.4"), IndicatorID: uuidN(1), Audience: 1, Confidence: 101},
	}
	for i, e := range bad {
		_, err := Compile(Entries([]Entry{e}), Options{Now: clock})
		if dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("%d: %v: err = %v, want EINVALID", i, e.Value, err)
		}
	}
	boom := errors.New("source failed")
	_, err := Compile(func(yield func(Entry, error) bool) { yield(Entry{}, boom) }, Options{})
	if !errors.Is(err, boom) {
		t.Errorf("source error: %v", err)
	}
}

// TestRandomAgainstMap checks the index against a plain map over random
// worlds: every kind, duplicates across audiences, and random access sets.
func TestRandomAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var es []Entry
	want := map[dragnet.Value][]Entry{}
	for i := 0; i < 20000; i++ {
		var v dragnet.Value
		switch rng.IntN(3) {
		case 0:
			v = val(dragnet.ValueIPv4, fmt.Sprintf("10.%d.%d.%d", rng.IntN(4), rng.IntN(256), rng.IntN(256)))
		case 1:
			v = val(dragnet.ValueDomain, fmt.Sprintf("h%d.example", rng.IntN(5000)))
		case 2:
			v = val(dragnet.ValueSHA1, fmt.Sprintf("%040x", rng.IntN(5000)))
		}
		e := Entry{Value: v, IndicatorID: uuidN(i), Audience: int64(1 + rng.IntN(5))}
		es = append(es, e)
		want[v] = append(want[v], e)
	}
	ix := mustCompile(t, es, nil)
	if ix.ip4f.bytes() == 0 || ix.domain.filter.bytes() == 0 {
		t.Fatal("filters were not built")
	}
	for i := 0; i < 20000; i++ {
		var v dragnet.Value
		switch rng.IntN(3) {
		case 0:
			v = val(dragnet.ValueIPv4, fmt.Sprintf("10.%d.%d.%d", rng.IntN(4), rng.IntN(256), rng.IntN(256)))
		case 1:
			v = val(dragnet.ValueDomain, fmt.Sprintf("h%d.example", rng.IntN(10000)))
		case 2:
			v = val(dragnet.ValueSHA1, fmt.Sprintf("%040x", rng.IntN(10000)))
		}
		acc := &dragnet.Access{Audiences: []int64{int64(1 + rng.IntN(3)), 4}}
		var exp []string
		for _, e := range want[v] {
			if acc.CanSee(e.Audience) {
				exp = append(exp, e.IndicatorID+"@"+v.Value)
			}
		}
		sort.Strings(exp)
		if got := ids(ix.Lookup(v, acc)); !slices.Equal(got, exp) {
			t.Fatalf("Lookup(%v, %v) = %v, want %v", v, acc.Audiences, got, exp)
		}
	}
}

func TestBloomFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 255, 256, 1000, 100000} {
		f := newBloom(n)
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = rng.Uint64()
			f.add(keys[i])
		}
		if n >= minFilterKeys && f.bytes() == 0 {
			t.Fatalf("n=%d: no filter", n)
		}
		for _, k := range keys {
			if !f.mayContain(k) {
				t.Fatalf("n=%d: false negative", n)
			}
		}
		if n >= 1000 {
			fp := 0
			const probes = 200000
			for i := 0; i < probes; i++ {
				if f.mayContain(rng.Uint64()) {
					fp++
				}
			}
			if rate := float64(fp) / probes; rate > 0.01 {
				t.Errorf("n=%d: false-positive rate %.4f", n, rate)
			} else {
				t.Logf("n=%d: false-positive rate %.4f at %d bits per key", n, rate, f.bytes()*8/n)
			}
		}
	}
}

func TestURLCanon(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://Example.COM/Path?Q=1", "http://example.com/Path?Q=1"},
		{"HTTPS://example.com:443", "https://example.com/"},
		{"http://example.com:8080/a#b", "http://example.com:8080/a"},
		{"http://User@Example.com/", "http://User@example.com/"},
		{"http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"},
		{"http://example.com?q", "http://example.com/?q"},
	}
	for _, tc := range tests {
		got, ok := urlCanon(nil, tc.in)
		if !ok || string(got) != tc.want {
			t.Errorf("urlCanon(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", "example.com/x", "://x", "http://", "1http://x", "ht tp://x"} {
		if got, ok := urlCanon(nil, bad); ok {
			t.Errorf("urlCanon(%q) = %q, want failure", bad, got)
		}
	}
}

func TestCompileSkip(t *testing.T) {
	es := []Entry{
		{Value: val(dragnet.ValueIPv4, "300.1.1.1"), IndicatorID: uuidN(1), Audience: 1},
		{Value: val(dragnet.ValueIPv4, "1.2.3.4"), IndicatorID: uuidN(2), Audience: 1},
	}
	var skipped []string
	ix, err := Compile(Entries(es), Options{Now: clock, Skip: func(e Entry, err error) { skipped = append(skipped, e.IndicatorID) }})
	if err != nil || ix.Len() != 1 || !slices.Equal(skipped, []string{uuidN(1)}) {
		t.Errorf("Compile with Skip: %v, len %d, skipped %v", err, ix.Len(), skipped)
	}
}

// TestIP4Filter checks the IPv4 filter for false negatives on addresses
// and /24 blocks and bounds its false-positive rate.
func TestIP4Filter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 255, 256, 1000, 200000} {
		f := newIP4Filter(n)
		if n >= minFilterKeys && f.bytes() == 0 {
			t.Fatalf("n=%d: no filter", n)
		}
		if n < minFilterKeys {
			continue
		}
		addrs, blocks := make(map[uint32]bool), make(map[uint32]bool)
		for i := 0; i < n; i++ {
			if k := rng.Uint32(); i%5 == 0 {
				blocks[k>>8] = true
				hb := hash32(k >> 8)
				f.add(hb, blockBits(hb))
			} else {
				addrs[k] = true
				f.add(ip4Hashes(k))
			}
		}
		for k := range addrs {
			if exact, _ := f.has2(ip4Hashes(k)); !exact {
				t.Fatalf("n=%d: false negative for address %v", n, addr4(k))
			}
		}
		for b := range blocks {
			if _, block := f.has2(ip4Hashes(b<<8 | uint32(rng.IntN(256)))); !block {
				t.Fatalf("n=%d: false negative for block %v/24", n, addr4(b<<8))
			}
		}
		fpx, fpb := 0, 0
		const probes = 200000
		for i := 0; i < probes; i++ {
			k := rng.Uint32()
			exact, block := f.has2(ip4Hashes(k))
			if exact && !addrs[k] {
				fpx++
			}
			if block && !blocks[k>>8] {
				fpb++
			}
		}
		rx, rb := float64(fpx)/probes, float64(fpb)/probes
		if rx > 0.015 || rb > 0.015 {
			t.Errorf("n=%d: false-positive rates %.4f (addresses), %.4f (blocks)", n, rx, rb)
		}
		t.Logf("n=%d: false-positive rates %.4f (addresses), %.4f (blocks) at %d bits per key", n, rx, rb, f.bytes()*8/n)
	}
}
