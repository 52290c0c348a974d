package match

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/gaissmai/bart"
)

// compiler collects entries per kind before the tables are laid out.
type compiler struct {
	now      int64
	suppress *Suppression
	seed     maphash.Seed
	uuids    [][16]byte
	ids      []byte
	idSpans  []uint64
	n        int

	ipv4   []pending[uint32]
	ipv6   []pending[[2]uint64]
	domain []pending[uint64]
	url    []pending[uint64]
	email  []pending[uint64]
	md5    []pending[[16]byte]
	sha1   []pending[[20]byte]
	sha256 []pending[[32]byte]
	sha512 []pending[[64]byte]
	cidr   []pendingPrefix
}

func newCompiler(now time.Time, s *Suppression) *compiler {
	return &compiler{now: now.Unix(), suppress: s, seed: maphash.MakeSeed()}
}

func unixOrZero(t time.Time) (uint32, bool) {
	if t.IsZero() {
		return 0, true
	}
	u := t.Unix()
	if u <= 0 {
		return 1, true
	}
	if u > math.MaxUint32 {
		return math.MaxUint32, false
	}
	return uint32(u), true
}

// add files one entry under its kind. Entries that can never hit
// (revoked, expired, warninglisted) are dropped here.
func (c *compiler) add(e Entry) error {
	if e.Revoked {
		return nil
	}
	if !e.ValidUntil.IsZero() && e.ValidUntil.Unix() <= c.now {
		return nil
	}
	if c.suppress.Suppressed(e.Value) {
		return nil
	}
	if e.Audience <= 0 || e.Audience > math.MaxUint32 {
		return dragnet.Errorf(dragnet.EINVALID, "audience %d out of range", e.Audience)
	}
	if e.Confidence < 0 || e.Confidence > 100 {
		return dragnet.Errorf(dragnet.EINVALID, "confidence %d is not in 0..100", e.Confidence)
	}
	if e.TLP < dragnet.TLPNone || e.TLP > dragnet.TLPRed {
		return dragnet.Errorf(dragnet.EINVALID, "TLP %d is not a TLP level", e.TLP)
	}
	r := rec{aud: uint32(e.Audience), tlp: uint8(e.TLP), conf: uint8(e.Confidence)}
	r.from, _ = unixOrZero(e.ValidFrom)
	r.until, _ = unixOrZero(e.ValidUntil)
	if uint64(len(c.uuids)) >= math.MaxUint32 || uint64(len(c.idSpans)) >= math.MaxUint32 {
		return dragnet.Errorf(dragnet.EINVALID, "more than %d indicator values", uint64(math.MaxUint32))
	}
	if u, ok := parseIndicatorUUID(e.IndicatorID); ok {
		r.id = uint32(len(c.uuids))
		c.uuids = append(c.uuids, u)
	} else {
		if e.IndicatorID == "" || len(e.IndicatorID) > math.MaxUint16 || uint64(len(c.ids)) > 1<<40 {
			return dragnet.Errorf(dragnet.EINVALID, "indicator id %q is empty or too long", e.IndicatorID)
		}
		c.idSpans = append(c.idSpans, uint64(len(c.ids))<<16|uint64(len(e.IndicatorID)))
		c.ids = append(c.ids, e.IndicatorID...)
		r.id = uint32(len(c.idSpans) - 1)
		r.flags |= recArena
	}
	v := e.Value.Value
	bad := func() error {
		return dragnet.Errorf(dragnet.EINVALID, "%q is not a %s value", v, e.Value.Kind)
	}
	switch e.Value.Kind {
	case dragnet.ValueIPv4, dragnet.ValueIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return bad()
		}
		a = a.Unmap().WithZone("")
		if a.Is4() {
			k := ip4Key(a)
			_, hk := ip4Hashes(k)
			c.ipv4 = append(c.ipv4, pending[uint32]{hk, k, r})
		} else {
			k := ip6Key(a)
			c.ipv6 = append(c.ipv6, pending[[2]uint64]{hash128(k), k, r})
		}
	case dragnet.ValueCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return bad()
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		c.cidr = append(c.cidr, pendingPrefix{p.Masked(), r})
	case dragnet.ValueDomain:
		d, ok := domainKey(v)
		if !ok {
			return bad()
		}
		h := maphash.String(c.seed, d)
		c.domain = append(c.domain, pending[uint64]{h, h, r})
	case dragnet.ValueURL:
		var buf [512]byte
		u, ok := urlCanon(buf[:0], v)
		if !ok {
			return bad()
		}
		h := maphash.Bytes(c.seed, u)
		c.url = append(c.url, pending[uint64]{h, h, r})
	case dragnet.ValueEmail:
		if strings.IndexByte(v, '@') <= 0 {
			return bad()
		}
		h := maphash.String(c.seed, strings.ToLower(strings.TrimSpace(v)))
		c.email = append(c.email, pending[uint64]{h, h, r})
	case dragnet.ValueMD5:
		var k [16]byte
		if !decodeHex(k[:], v) {
			return bad()
		}
		c.md5 = append(c.md5, pending[[16]byte]{hashDigest(k[:]), k, r})
	case dragnet.ValueSHA1:
		var k [20]byte
		if !decodeHex(k[:], v) {
			return bad()
		}
		c.sha1 = append(c.sha1, pending[[20]byte]{hashDigest(k[:]), k, r})
	case dragnet.ValueSHA256:
		var k [32]byte
		if !decodeHex(k[:], v) {
			return bad()
		}
		c.sha256 = append(c.sha256, pending[[32]byte]{hashDigest(k[:]), k, r})
	case dragnet.ValueSHA512:
		var k [64]byte
		if !decodeHex(k[:], v) {
			return bad()
		}
		c.sha512 = append(c.sha512, pending[[64]byte]{hashDigest(k[:]), k, r})
	default:
		return dragnet.Errorf(dragnet.EINVALID, "unknown value kind %q", e.Value.Kind)
	}
	c.n++
	return nil
}

func ip4Key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func ip6Key(a netip.Addr) [2]uint64 {
	b := a.As16()
	return [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// decodeHex decodes exactly len(dst) bytes of hex (either case) from s.
// A table lookup instead of range tests keeps it free of branches that
// random hex digits would mispredict.
func decodeHex(dst []byte, s string) bool {
	ok, _ := decodeHexLower(dst, s)
	return ok
}

// decodeHexLower is decodeHex that also reports whether s is in lower
// case: digits and a-f have bit 0x20 set, A-F do not.
func decodeHexLower(dst []byte, s string) (ok, lower bool) {
	if len(s) != 2*len(dst) {
		return false, false
	}
	var bad byte
	all := byte(0xff)
	for i := range dst {
		c1, c2 := s[2*i], s[2*i+1]
		hi, lo := hexTable[c1], hexTable[c2]
		bad |= hi | lo
		all &= c1 & c2
		dst[i] = hi<<4 | lo&0x0f
	}
	return bad&0x80 == 0, all&0x20 != 0
}

// hexTable maps a hex digit to its value and anything else to 0xff.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// build lays the collected entries out as tables, releasing each kind's
// staging slice as soon as its table is built to keep peak memory low.
func (c *compiler) build() *Index {
	ix := &Index{seed: c.seed, suppress: c.suppress, entries: c.n}
	var recs []rec
	if len(c.cidr) > 0 {
		slices.SortFunc(c.cidr, func(a, b pendingPrefix) int { return a.pfx.Compare(b.pfx) })
		ix.cidr24 = make([]uint64, 1<<24/64)
		var brs []blockRef
		for i := 0; i < len(c.cidr); {
			p := c.cidr[i].pfx
			start := uint32(len(recs))
			for ; i < len(c.cidr) && c.cidr[i].pfx == p; i++ {
				recs = append(recs, c.cidr[i].rec)
			}
			recs[len(recs)-1].flags |= recLast
			switch {
			case p.Addr().Is4() && p.Bits() >= cidr4Min:
				brs = blockRefs(brs, p, start)
				markCIDR24(ix.cidr24, p)
			case p.Addr().Is4():
				if ix.short16 == nil {
					ix.short16 = make([]uint64, 1<<16/64)
				}
				markShort16(ix.short16, p)
				fallthrough
			default:
				if ix.cidr == nil {
					ix.cidr = new(bart.Table[uint32])
				}
				ix.cidr.Insert(p, start)
				ix.cidr6 = ix.cidr6 || p.Addr().Is6()
			}
		}
		c.cidr = nil
		ix.cidr4 = buildCIDR4(brs)
	}
	ix.ipv4 = buildTable(sortKeyed(c.ipv4, &recs))
	ix.buildIP4Filter()
	c.ipv4 = nil
	ix.ipv6 = buildTable(sortKeyed(c.ipv6, &recs))
	c.ipv6 = nil
	ix.domain = buildTable(sortKeyed(c.domain, &recs))
	c.domain = nil
	ix.url = buildTable(sortKeyed(c.url, &recs))
	c.url = nil
	ix.email = buildTable(sortKeyed(c.email, &recs))
	c.email = nil
	ix.md5 = buildTable(sortKeyed(c.md5, &recs))
	c.md5 = nil
	ix.sha1 = buildTable(sortKeyed(c.sha1, &recs))
	c.sha1 = nil
	ix.sha256 = buildTable(sortKeyed(c.sha256, &recs))
	c.sha256 = nil
	ix.sha512 = buildTable(sortKeyed(c.sha512, &recs))
	c.sha512 = nil
	ix.recs = slices.Clone(recs)
	hugeSlice(ix.recs)
	ix.uuids = slices.Clone(c.uuids)
	hugeSlice(ix.uuids)
	ix.ids = slices.Clone(c.ids)
	ix.idSpans = slices.Clone(c.idSpans)
	return ix
}

// buildIP4Filter builds the one filter IPv4 lookups read: in the block
// of an address's /24, the bits of the address if it is an exact
// indicator, and the bits of the /24 itself if a CIDR indicator covers or
// touches it. A lookup so learns both from a single read of half a cache
// line, instead of reading a filter and the /24 bitmap apart.
func (ix *Index) buildIP4Filter() {
	marked := 0
	for _, w := range ix.cidr24 {
		marked += bits.OnesCount64(w)
	}
	ix.ip4f = newIP4Filter(len(ix.ipv4.slots) + marked)
	if len(ix.ip4f.words) == 0 {
		return
	}
	for _, s := range ix.ipv4.slots {
		if s.r.flags&recUsed != 0 {
			ix.ip4f.add(ip4Hashes(s.key))
		}
	}
	for i, w := range ix.cidr24 {
		for w != 0 {
			b := uint32(i*64 + bits.TrailingZeros64(w))
			w &= w - 1
			hb := hash32(b)
			ix.ip4f.add(hb, blockBits(hb))
		}
	}
	ix.ipv4.filter = bloom{}
	hugeSlice(ix.ip4f.words)
}

// markShort16 sets the bits of the /16 blocks p (shorter than /16) covers.
func markShort16(bm []uint64, p netip.Prefix) {
	first := ip4Key(p.Addr()) >> 16
	for b := first; b < first+1<<(16-p.Bits()); b++ {
		bm[b>>6] |= 1 << (b & 63)
	}
}

// markCIDR24 sets the bits of the /24 blocks p covers or lies in.
func markCIDR24(bm []uint64, p netip.Prefix) {
	first := ip4Key(p.Addr()) >> 8
	n := uint32(1)
	if p.Bits() < 24 {
		n = 1 << (24 - p.Bits())
	}
	for b := first; b < first+n; b++ {
		bm[b>>6] |= 1 << (b & 63)
	}
}
