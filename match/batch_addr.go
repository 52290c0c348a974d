package match

import (
	"net/netip"
	"unsafe"

	"github.com/dragnet-intel/dragnet"
)

// addrBatch is how many addresses a stage of LookupAddrs takes at once:
// few, so that the prefetches a stage issues together do not overflow
// the core's dozen or so buffers for lines in flight (a prefetch that
// finds none free waits for one).
const addrBatch = 8

// addrProbeAhead is how many exact table slots from where its probe
// starts LookupAddrs reads ahead for an address.
const addrProbeAhead = 3

// addrInputAhead is how many chunks ahead of the first stage LookupAddrs
// prefetches its input (see prefetchInput).
const addrInputAhead = 4

// How many chunks behind the first stage each later stage of
// LookupAddrs works: the gap between two stages is the time a prefetch
// the first issues has to complete before the second reads.
const (
	lagFilter  = 2
	lagProbe   = 3
	lagEmit    = 4
	addrStages = lagEmit + 1 // chunks in flight
)

// addrChunk is the state of one chunk of LookupAddrs's addresses, one
// array per field, so that each stage reads only what it needs.
type addrChunk struct {
	as   []netip.Addr
	base int // index in the caller's slice of as[0]

	k    [addrBatch]uint32 // the address
	hb   [addrBatch]uint64 // hash of its /24 (ip4Hashes)
	line [addrBatch]uint32 // its filter line (ip4Filter.line)
	flag [addrBatch]uint8  // addr* flags

	// Per candidate (an address the filter let through, or not IPv4):
	nc   int
	cand [addrBatch]uint8  // its index in the chunk
	hk   [addrBatch]uint64 // hash of the address (ip4Hashes)
	slot [addrBatch]int32  // its exact table slot: where its probe goes on, then where it ended (-1: absent)
	pend [addrBatch]bool   // its probe goes on past the slots read ahead
	bs   [addrBatch]int32  // its block-table slot: where its probe starts (-1: none)
	refs [addrBatch]uint32 // 1 + where its block's refs start in cidr4.refs, 0 if none

	offs [4 * addrBatch]uint64 // byte offsets to prefetch
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
//
// The addresses go through a pipeline of stages, each on its own chunk
// of addresses and each prefetching what the next stage will read for
// its chunk: hash the addresses and prefetch their filter lines; test the
// filter and prefetch the table slots of the few addresses it lets
// through; probe the slots and prefetch the prefix lists and records of
// CIDR blocks found (and the further slots of probes that go on); make
// the hits. A prefetch so completes behind the work of other chunks
// instead of stalling its own, and a miss, the common case, costs the
// first two stages only.
func (b *Batch) LookupAddrs(ix *Index, as []netip.Addr, access *dragnet.Access, fn func(i int, hits []Hit)) {
	b.pol.set(access)
	if b.addr == nil {
		b.addr = new([addrStages]addrChunk)
	}
	st := b.addr
	n := (len(as) + addrBatch - 1) / addrBatch
	for c := 0; c < n+lagEmit; c++ {
		if ahead := (c + addrInputAhead) * addrBatch; ahead < len(as) {
			b.prefetchInput(as[ahead:min(len(as), ahead+addrBatch)])
		}
		if c < n {
			base := c * addrBatch
			b.hashAddrs(ix, &st[c%addrStages], as[base:min(len(as), base+addrBatch)], base)
		}
		if j := c - lagFilter; j >= 0 && j < n {
			b.filterAddrs(ix, &st[j%addrStages])
		}
		if j := c - lagProbe; j >= 0 && j < n {
			b.probeAddrs(ix, &st[j%addrStages])
		}
		if j := c - lagEmit; j >= 0 && j < n {
			b.emitAddrs(ix, &st[j%addrStages], access, fn)
		}
	}
}

// prefetchInput prefetches the lines that hold as. The processor's own
// prefetching of a sequential read does not keep up while the lookups
// keep its line buffers busy.
func (b *Batch) prefetchInput(as []netip.Addr) {
	const sz = uint64(unsafe.Sizeof(netip.Addr{}))
	if len(as) == 0 {
		return
	}
	var offs [(addrBatch*sz+63)/64 + 1]uint64
	no, end := 0, uint64(len(as))*sz
	for o := uint64(0); o < end && no < len(offs)-1; o += 64 {
		offs[no] = o
		no++
	}
	offs[no] = end - 1 // the line of the end, where the start is not aligned
	b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(as)), offs[:no+1])
}

// hashAddrs is the first stage: it hashes the addresses of s and
// prefetches their filter lines.
func (b *Batch) hashAddrs(ix *Index, s *addrChunk, as []netip.Addr, base int) {
	s.as, s.base = as, base
	f := &ix.ip4f
	no := 0
	for i, a := range as {
		a = a.Unmap()
		if !a.Is4() {
			// Tested by filterAddrs like the others, against line 0.
			s.k[i], s.hb[i], s.line[i], s.flag[i] = 0, 0, 0, addrSlow
			continue
		}
		k := ip4Key(a)
		hb := hash32(k >> 8)
		l := f.line(hb)
		s.k[i], s.hb[i], s.line[i], s.flag[i] = k, hb, l, 0
		s.offs[no] = uint64(l) * 8
		no++
	}
	if len(f.words) > 0 {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(f.words)), s.offs[:no])
	}
}

// filterAddrs is the second stage: it tests the filter for the addresses
// of s and lists those it lets through as candidates, prefetching the
// exact and block table slots their probes will start at.
func (b *Batch) filterAddrs(ix *Index, s *addrChunk) {
	f := &ix.ip4f
	filtered := len(f.words) > 0
	nslots, nblocks := len(ix.ipv4.slots), len(ix.cidr4.slots)
	// Without branches: whether an address goes on is a coin toss in a
	// stream of half hits, which no branch predictor learns.
	var ok, exactOK, blockOK uint8
	if nslots > 0 {
		exactOK = addrExact
	}
	if nblocks > 0 {
		blockOK = addrBlock
	}
	if !filtered {
		ok = addrExact | addrBlock
	}
	nc := 0
	for i := range s.as {
		k, hb := s.k[i], s.hb[i]
		hk := addrHash(hb, k)
		fl := s.flag[i] | ok
		if filtered {
			// f.has2 given the line, written out: the compiler would
			// not inline it.
			l := f.words[s.line[i]:]
			l = l[:8]
			w1, m1 := wordMask(hk)
			w2, m2 := wordMask(blockBits(hb))
			fl |= b2u8(l[w1&7]&m1 == m1)*addrExact | b2u8(l[w2&7]&m2 == m2)*addrBlock
		}
		fl &= addrSlow | exactOK | blockOK
		if ix.short16 != nil {
			fl |= b2u8(ix.inShort(k)) * addrShort
		}
		s.flag[i] = fl
		s.hk[nc] = hk
		s.cand[nc] = uint8(i)
		nc += int(b2u8(fl != 0))
	}
	s.nc = nc
	if nc == 0 {
		return
	}
	// A probe of the exact table reads about three slots, which may
	// cross into the next cache line: prefetch both lines.
	const ss = uint64(unsafe.Sizeof(slot[uint32]{}))
	no := 0
	for c, i := range s.cand[:nc] {
		fl := s.flag[i]
		s.slot[c], s.bs[c] = -1, -1
		if fl&addrExact != 0 {
			j := fastrange(s.hk[c], nslots)
			s.slot[c] = int32(j)
			s.offs[no] = uint64(j) * ss
			s.offs[no+1] = uint64(min(j+addrProbeAhead, nslots))*ss - 1
			no += 2
		}
		if fl&addrBlock != 0 {
			s.bs[c] = int32(fastrange(s.hb[i], nblocks))
		}
	}
	if no > 0 {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(ix.ipv4.slots)), s.offs[:no])
	}
	no = 0
	for c := range s.cand[:nc] {
		if j := s.bs[c]; j >= 0 {
			s.offs[no] = uint64(j) * uint64(unsafe.Sizeof(blockSlot{}))
			no++
		}
	}
	if no > 0 {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(ix.cidr4.slots)), s.offs[:no])
	}
}

// probeAddrs is the third stage: it probes the exact and block table
// slots of the candidates of s, and prefetches the prefix lists of the
// blocks found and the records of their first prefix.
func (b *Batch) probeAddrs(ix *Index, s *addrChunk) {
	no, nr, np := 0, addrBatch, 2*addrBatch
	const ss = uint64(unsafe.Sizeof(slot[uint32]{}))
	nslots := len(ix.ipv4.slots)
	for c, i := range s.cand[:s.nc] {
		s.pend[c] = false
		if j := s.slot[c]; j >= 0 {
			// The slots read ahead first; a probe that goes on past
			// them (about one in five hits at the table's load) reads
			// ahead the next ones and ends in the last stage.
			at, done := ix.ipv4.findN(s.k[i], int(j), addrProbeAhead)
			s.slot[c] = int32(at)
			if !done {
				s.pend[c] = true
				s.offs[np] = uint64(at) * ss
				s.offs[np+1] = uint64(min(at+addrProbeAhead, nslots))*ss - 1
				np += 2
			}
		}
		s.refs[c] = 0
		if j := s.bs[c]; j >= 0 {
			if off, n, start := ix.cidr4.findAt(s.k[i]>>8, int(j)); n > 0 {
				s.refs[c] = off + 1
				s.offs[no] = uint64(off) * uint64(unsafe.Sizeof(cidr4Ref{}))
				no++
				if int(start) < len(ix.recs) {
					s.offs[nr] = uint64(start) * uint64(unsafe.Sizeof(rec{}))
					nr++
				}
			}
		}
	}
	if no > 0 {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(ix.cidr4.refs)), s.offs[:no])
	}
	if nr > addrBatch {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(ix.recs)), s.offs[addrBatch:nr])
	}
	if np > 2*addrBatch {
		b.sink += prefetchAt(unsafe.Pointer(unsafe.SliceData(ix.ipv4.slots)), s.offs[2*addrBatch:np])
	}
}

// emitAddrs is the last stage: it makes the hits of the candidates of s
// and hands them to fn.
func (b *Batch) emitAddrs(ix *Index, s *addrChunk, access *dragnet.Access, fn func(int, []Hit)) {
	now := ix.now.Load()
	for c, i := range s.cand[:s.nc] {
		var hits []Hit
		fl := s.flag[i]
		if fl&addrSlow != 0 {
			hits = ix.AppendAddr(b.hits[:0], s.as[i], access)
		} else {
			if s.pend[c] {
				s.slot[c] = ix.ipv4.find(s.k[i], int(s.slot[c]))
			}
			var ref *rec
			if j := s.slot[c]; j >= 0 {
				ref = &ix.ipv4.slots[j].r
			}
			inCIDR := s.refs[c] != 0 || fl&addrShort != 0
			switch {
			case ref == nil && !inCIDR:
				continue
			case !inCIDR && ref.flags&recOverflow == 0 && ix.suppress == nil:
				// The common hit: one exact indicator, nothing to filter.
				hits = b.hits[:0]
				if ref.visible(now, &b.pol) {
					// Field by field into the slice: a Hit built apart
					// and copied in is written in 8-byte stores and read
					// back in 16-byte loads, which the core cannot
					// forward from its store buffer.
					if cap(hits) == 0 {
						hits = make([]Hit, 0, 8)
					}
					hits = hits[:1]
					h := &hits[0]
					h.Audience, h.TLP, h.Confidence = int64(ref.aud), dragnet.TLP(ref.tlp), int(ref.conf)
					h.ix, h.r = ix, ref
					h.mk, h.ms = dragnet.ValueIPv4, ""
					h.mp = netip.PrefixFrom(addr4(s.k[i]), 32)
				}
			default:
				hits = ix.appendAddrHits(b.hits[:0], addr4(s.k[i]), ref, inCIDR, &b.pol)
			}
		}
		if len(hits) > 0 {
			fn(s.base+int(i), hits)
		}
		b.hits = hits
	}
}

// b2u8 is 1 for true and 0 for false, without a branch.
func b2u8(b bool) uint8 { return *(*uint8)(unsafe.Pointer(&b)) }
