package match

import (
	"encoding/hex"
	"iter"
	"net/netip"

	"github.com/dragnet-intel/dragnet"
)

// Synthetic is a deterministic generator of indicator sets and telemetry
// for benchmarks: the same Seed and N give the same values on every run
// and machine. Half the indicators are IPv4 addresses, a tenth CIDR
// ranges, three tenths domains and a tenth SHA-256 hashes (the mix of the
// issue's 10M benchmark: 5M, 1M, 3M and 1M). Indicators are spread over
// Audiences audiences.
type Synthetic struct {
	N         int
	Seed      uint64
	Audiences int
}

// Counts returns how many IPv4, CIDR, domain and SHA-256 indicators the
// set holds.
func (g Synthetic) Counts() (ipv4, cidr, domain, sha256 int) {
	cidr = g.N / 10
	domain = g.N * 3 / 10
	sha256 = g.N / 10
	ipv4 = g.N - cidr - domain - sha256
	return
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// rnd returns the pseudo-random word number j of item i of stream s.
func (g Synthetic) rnd(s, i, j uint64) uint64 {
	return splitmix(g.Seed ^ splitmix(s<<56^i<<8^j))
}

// IPv4 returns the i-th indicator address.
func (g Synthetic) IPv4(i int) uint32 { return uint32(g.rnd(1, uint64(i), 0)) }

// CIDR returns the i-th indicator prefix: 70% /24, 25% /25../30, 5% /20../23.
func (g Synthetic) CIDR(i int) netip.Prefix {
	r := g.rnd(2, uint64(i), 0)
	bits := 24
	switch p := r % 100; {
	case p >= 95:
		bits = 20 + int(r>>8%4)
	case p >= 70:
		bits = 25 + int(r>>8%6)
	}
	a := uint32(r >> 32)
	return netip.PrefixFrom(addr4(a), bits).Masked()
}

var tlds = [...]string{"com", "net", "org", "ru", "info", "xyz", "top", "cn", "de", "io", "biz", "online"}

// label appends a lower-case label of 5..14 letters drawn from r.
func label(b []byte, r uint64) []byte {
	n := 5 + int(r%10)
	r >>= 4
	for k := 0; k < n; k++ {
		if k%12 == 11 {
			r = splitmix(r)
		}
		b = append(b, byte('a'+r%26))
		r /= 26
	}
	return b
}

// Domain returns the i-th indicator domain: one or two labels under a
// common top-level domain.
func (g Synthetic) Domain(i int) string {
	r := g.rnd(3, uint64(i), 0)
	b := make([]byte, 0, 40)
	if r%4 == 0 {
		b = label(b, g.rnd(3, uint64(i), 1))
		b = append(b, '.')
	}
	b = label(b, r>>8)
	b = append(b, '.')
	b = append(b, tlds[r>>60%uint64(len(tlds))]...)
	return string(b)
}

// MissDomain returns a name under a label no indicator uses ("q" prefix
// plus a label of its own stream), with 1..3 labels above the top level.
func (g Synthetic) MissDomain(i int) string {
	r := g.rnd(4, uint64(i), 0)
	b := make([]byte, 0, 60)
	for k := 0; k < int(r%3); k++ {
		b = label(b, g.rnd(4, uint64(i), uint64(k+1)))
		b = append(b, '.')
	}
	b = append(b, 'q', '-')
	b = label(b, r>>8)
	b = append(b, '.')
	b = append(b, tlds[r>>60%uint64(len(tlds))]...)
	return string(b)
}

// SHA256 returns the i-th indicator hash.
func (g Synthetic) SHA256(i int) [32]byte {
	return g.digest(5, i)
}

// MissSHA256 returns a hash that is not an indicator (with overwhelming
// probability).
func (g Synthetic) MissSHA256(i int) [32]byte {
	return g.digest(6, i)
}

func (g Synthetic) digest(s uint64, i int) [32]byte {
	var d [32]byte
	for j := 0; j < 4; j++ {
		w := g.rnd(s, uint64(i), uint64(j))
		for k := 0; k < 8; k++ {
			d[j*8+k] = byte(w >> (8 * k))
		}
	}
	return d
}

func addr4(a uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
}

// uuid returns the id of the k-th indicator, a version 4 UUID.
func (g Synthetic) uuid(k int) [16]byte {
	var u [16]byte
	a, b := g.rnd(7, uint64(k), 1), g.rnd(7, uint64(k), 2)
	for i := 0; i < 8; i++ {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// Entries returns the indicator set as Compile reads it, generated on the
// fly (nothing is held in memory).
func (g Synthetic) Entries() iter.Seq2[Entry, error] {
	nIP, nCIDR, nDom, nSHA := g.Counts()
	aud := g.Audiences
	if aud <= 0 {
		aud = 1
	}
	return func(yield func(Entry, error) bool) {
		k := 0
		emit := func(v dragnet.Value) bool {
			r := g.rnd(7, uint64(k), 0)
			e := Entry{
				Value:       v,
				IndicatorID: "indicator--" + formatUUID(g.uuid(k)),
				Audience:    1 + int64(r>>8%uint64(aud)),
				TLP:         dragnet.TLP(1 + r>>16%4),
				Confidence:  int(r >> 24 % 101),
			}
			k++
			return yield(e, nil)
		}
		for i := 0; i < nIP; i++ {
			if !emit(dragnet.Value{Kind: dragnet.ValueIPv4, Value: addr4(g.IPv4(i)).String()}) {
				return
			}
		}
		for i := 0; i < nCIDR; i++ {
			if !emit(dragnet.Value{Kind: dragnet.ValueCIDR, Value: g.CIDR(i).String()}) {
				return
			}
		}
		for i := 0; i < nDom; i++ {
			if !emit(dragnet.Value{Kind: dragnet.ValueDomain, Value: g.Domain(i)}) {
				return
			}
		}
		for i := 0; i < nSHA; i++ {
			d := g.SHA256(i)
			if !emit(dragnet.Value{Kind: dragnet.ValueSHA256, Value: hex.EncodeToString(d[:])}) {
				return
			}
		}
	}
}
