package match

import (
	"net/netip"

	"github.com/dragnet-intel/dragnet"
)

// addrBatch is how many addresses LookupAddrs takes through its passes at
// once. Each pass waits about one memory latency for its first read; the
// more addresses share that wait, the less it costs each, as long as
// what the passes bring in still fits the first-level cache.
const addrBatch = 128

// addrScratch is the state of the addresses of one LookupAddrs chunk,
// one array per field, so that each pass reads only what it needs.
type addrScratch struct {
	k    [addrBatch]uint32 // the address
	hb   [addrBatch]uint64 // hash of its /24 (ip4Hashes)
	hk   [addrBatch]uint64 // hash of the address; set for candidates only
	flag [addrBatch]uint8  // addr* flags
	line [addrBatch]uint32 // its filter line (ip4Filter.line)
	// Per candidate (an address the filter let through, or not IPv4):
	cand [addrBatch]uint8  // its index in the chunk
	slot [addrBatch]int32  // its exact table slot, -1 if none
	refs [addrBatch]uint32 // 1 + where its block's refs start in cidr4.refs, 0 if none
}

const (
	addrSlow  = 1 << iota // not an IPv4 address: looked up one at a time
	addrExact             // the filter says it may be an exact indicator
	addrBlock             // the filter says a CIDR indicator may touch its /24
	addrShort             // a CIDR indicator shorter than /16 may contain it
)

// LookupAddrs looks up each address of as and calls fn with the index in
// as of each address that hit and its hits, in order (hits is valid only
// during the call). Hits are those AppendAddr gives.
func (b *Batch) LookupAddrs(ix *Index, as []netip.Addr, access *dragnet.Access, fn func(i int, hits []Hit)) {
	b.pol.set(access)
	if b.addr == nil {
		b.addr = new(addrScratch)
	}
	for base := 0; base < len(as); base += addrBatch {
		b.addrChunk(ix, as[base:min(len(as), base+addrBatch)], base, access, fn)
	}
}

// addrChunk looks up at most addrBatch addresses in passes, each issuing
// the reads the next one needs: the filter lines; then the table slots
// of likely exact hits and the block-table slots of /24s a CIDR indicator
// may touch; then the prefix lists of those blocks; then the records of
// their first prefix. Each pass reads what the one before brought into
// the cache. Only the first two passes visit every address; the rest
// visit the few the filter lets through.
func (b *Batch) addrChunk(ix *Index, as []netip.Addr, base int, access *dragnet.Access, fn func(int, []Hit)) {
	s := b.addr
	f := &ix.ip4f
	filtered := len(f.words) > 0
	sink := b.sink
	for i, a := range as {
		a = a.Unmap()
		if !a.Is4() {
			s.flag[i] = addrSlow
			continue
		}
		k := ip4Key(a)
		hb := hash32(k >> 8)
		s.k[i], s.hb[i], s.flag[i] = k, hb, 0
		s.line[i] = f.line(hb)
	}
	// Read the filter lines in a loop that does nothing else, so that as
	// many reads as the core allows are in flight at once.
	if filtered {
		for i, l := range s.line[:len(as)] {
			if s.flag[i] == 0 {
				sink += uint32(f.words[l])
			}
		}
	}
	// Decide from the filter lines (in the cache by now) which addresses
	// go on.
	nslots, nblocks := len(ix.ipv4.slots), len(ix.cidr4.slots)
	nc := 0
	for i := range as {
		fl := s.flag[i]
		if fl == 0 {
			k, hb := s.k[i], s.hb[i]
			hk := (hb ^ uint64(k&0xff)) * 0x9e3779b97f4a7c15 // as ip4Hashes
			exact, block := true, true
			if filtered {
				exact, block = f.has2At(s.line[i], hb, hk)
			}
			if exact && nslots > 0 {
				fl |= addrExact
			}
			if block && nblocks > 0 {
				fl |= addrBlock
			}
			if ix.inShort(k) {
				fl |= addrShort
			}
			if fl == 0 {
				continue
			}
			s.flag[i], s.hk[i] = fl, hk
		}
		s.cand[nc] = uint8(i)
		nc++
	}
	if nc == 0 {
		b.sink = sink
		return
	}
	cands := s.cand[:nc]
	// Read the slots the candidates will probe. A probe reads about three
	// exact slots, which may cross into the next cache line: read both.
	for c, i := range cands {
		fl := s.flag[i]
		s.slot[c], s.refs[c] = -1, 0
		if fl&addrExact != 0 {
			j := fastrange(s.hk[i], nslots)
			s.slot[c] = int32(j)
			sink += ix.ipv4.slots[j].key + uint32(ix.ipv4.slots[min(j+2, nslots-1)].r.flags)
		}
		if fl&addrBlock != 0 {
			sink += ix.cidr4.slots[fastrange(s.hb[i], nblocks)].block
		}
	}
	// Probe them; read the first prefix of each block found.
	for c, i := range cands {
		fl := s.flag[i]
		if fl&addrExact != 0 {
			s.slot[c] = ix.ipv4.find(s.k[i], int(s.slot[c]))
		}
		if fl&addrBlock != 0 {
			if off, n := ix.cidr4.findAt(s.k[i]>>8, fastrange(s.hb[i], nblocks)); n > 0 {
				s.refs[c] = off + 1
				sink += ix.cidr4.refs[off].start
			}
		}
	}
	// Read the records of those first prefixes.
	for c := range cands {
		if r := s.refs[c]; r != 0 {
			if start := ix.cidr4.refs[r-1].start; int(start) < len(ix.recs) {
				sink += ix.recs[start].aud
			}
		}
	}
	b.sink = sink
	for c, i := range cands {
		var hits []Hit
		fl := s.flag[i]
		if fl == addrSlow {
			hits = ix.AppendAddr(b.hits[:0], as[i], access)
		} else {
			var ref *rec
			if j := s.slot[c]; j >= 0 {
				ref = &ix.ipv4.slots[j].r
			}
			inCIDR := s.refs[c] != 0 || fl&addrShort != 0
			if ref == nil && !inCIDR {
				continue
			}
			hits = ix.appendAddrHits(b.hits[:0], addr4(s.k[i]), ref, inCIDR, &b.pol)
		}
		if len(hits) > 0 {
			fn(base+int(i), hits)
		}
		b.hits = hits
	}
}
