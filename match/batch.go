package match

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/dragnet-intel/dragnet"
)

// batchSize is how many lookups a Batch keeps in flight: enough to
// overlap a dozen memory reads, few enough that what they bring in is
// still in the first-level cache when it is used.
const batchSize = 64

// A Batch looks up many values at once. A single lookup in an index far
// larger than the cache waits for one memory read after another; a batch
// first issues the filter reads of all its values, then the table reads
// of those the filters let through, and only then decides, so the reads
// of different values overlap instead of queueing. Results are the same
// as those of the one-at-a-time lookups, in input order.
//
// A Batch holds scratch space that its calls reuse; it is not safe for
// concurrent use. The zero value is ready.
type Batch struct {
	hits []Hit
	qs   []query
	// sink keeps the loads that bring data into the cache from being
	// optimised away; its value means nothing.
	sink uint32
	pol  policy
	addr *[addrStages]addrChunk // allocated on first use
	hash *[batchSize]hashProbe  // allocated on first use

	// The IPv4 addresses of a Lookup, looked up ahead of the rest through
	// LookupAddrs (addrRun): as are the addresses, aidx their queries,
	// and the hits of query i are ahits[aspan[i][0]:aspan[i][1]].
	as    []netip.Addr
	aidx  []int32
	aspan [][2]int32
	ahits []Hit
}

// query is one value of a batch with what its lookup needs parsed once.
type query struct {
	v dragnet.Value
	a netip.Addr // the address of an IPv4 or IPv6 value; invalid otherwise

	// Set by prefetch for its second pass: whether the value probes the
	// table of its hash kind, and its hash.
	probe bool
	h     uint64
}

// batchLooker is a Looker that can look values up in batches.
type batchLooker interface {
	lookupBatch(b *Batch, qs []query, access *dragnet.Access, fn func(i int, hits []Hit) error) error
}

// Lookup looks up each value of vs in lk and calls fn with the index in vs
// of each value that hit and its hits, in order (hits is valid only during
// the call). Hits are those lk.AppendLookup gives. An error from fn stops
// the lookups and is returned.
func (b *Batch) Lookup(lk Looker, vs []dragnet.Value, access *dragnet.Access, fn func(i int, hits []Hit) error) error {
	bl, ok := lk.(batchLooker)
	if !ok {
		for i, v := range vs {
			b.hits = lk.AppendLookup(b.hits[:0], v, access)
			if len(b.hits) > 0 {
				if err := fn(i, b.hits); err != nil {
					return err
				}
			}
		}
		return nil
	}
	b.qs = b.qs[:0]
	for _, v := range vs {
		q := query{v: v}
		if v.Kind == dragnet.ValueIPv4 || v.Kind == dragnet.ValueIPv6 {
			q.a, _ = netip.ParseAddr(v.Value)
		}
		b.qs = append(b.qs, q)
	}
	return bl.lookupBatch(b, b.qs, access, fn)
}

// lookupBatch looks up the IPv4 addresses of qs through the LookupAddrs
// pipeline first, then the other values batchSize at a time.
func (ix *Index) lookupBatch(b *Batch, qs []query, access *dragnet.Access, fn func(i int, hits []Hit) error) error {
	b.addrRun(ix, qs, access)
	for base := 0; base < len(qs); base += batchSize {
		chunk := qs[base:min(len(qs), base+batchSize)]
		b.sink += ix.prefetch(chunk)
		for i := range chunk {
			var hits []Hit
			if chunk[i].isAddr4() {
				hits = b.addrHits(base + i)
			} else {
				b.hits = ix.appendQuery(b.hits[:0], &chunk[i], access)
				hits = b.hits
			}
			if len(hits) > 0 {
				if err := fn(base+i, hits); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// isAddr4 reports whether q is looked up by addrRun: an IPv4 address
// (IPv4-mapped IPv6 included).
func (q *query) isAddr4() bool {
	return q.a.IsValid() && q.a.Unmap().Is4()
}

// addrRun looks up the IPv4 addresses among qs in ix through
// LookupAddrs, whose stages overlap the memory reads of many addresses
// far better than one pass per batch does, and keeps their hits for
// addrHits.
func (b *Batch) addrRun(ix *Index, qs []query, access *dragnet.Access) {
	b.as, b.aidx, b.ahits = b.as[:0], b.aidx[:0], b.ahits[:0]
	if cap(b.aspan) < len(qs) {
		b.aspan = make([][2]int32, len(qs))
	}
	b.aspan = b.aspan[:len(qs)]
	for i := range qs {
		b.aspan[i] = [2]int32{}
		if qs[i].isAddr4() {
			b.as, b.aidx = append(b.as, qs[i].a), append(b.aidx, int32(i))
		}
	}
	if len(b.as) == 0 {
		return
	}
	b.LookupAddrs(ix, b.as, access, func(j int, hits []Hit) {
		start := len(b.ahits)
		b.ahits = append(b.ahits, hits...)
		b.aspan[b.aidx[j]] = [2]int32{int32(start), int32(len(b.ahits))}
	})
}

// addrHits returns the hits addrRun found for query i.
func (b *Batch) addrHits(i int) []Hit {
	sp := b.aspan[i]
	return b.ahits[sp[0]:sp[1]:sp[1]]
}

// appendQuery appends the hits of q, as AppendLookup does for q.v.
func (ix *Index) appendQuery(dst []Hit, q *query, access *dragnet.Access) []Hit {
	if q.v.Kind == dragnet.ValueIPv4 || q.v.Kind == dragnet.ValueIPv6 {
		if !q.a.IsValid() {
			return dst
		}
		return ix.AppendAddr(dst, q.a, access)
	}
	return ix.AppendLookup(dst, q.v, access)
}

// prefetch reads the filter blocks the lookups of qs will test first,
// then, for the addresses and hashes those filters let through, the table
// slots they will probe, so that the reads of different values overlap;
// it returns a value derived from them.
func (ix *Index) prefetch(qs []query) uint32 {
	var sink uint32
	for i := range qs {
		q := &qs[i]
		q.probe = false
		switch q.v.Kind {
		case dragnet.ValueIPv4, dragnet.ValueIPv6:
			// IPv4 addresses are addrRun's.
			if a := q.a.Unmap(); a.Is6() && len(ix.ipv6.filter.blocks) > 0 {
				sink += ix.ipv6.filter.block(hash128(ip6Key(a)))[0]
			}
		case dragnet.ValueDomain:
			if len(ix.domain.filter.blocks) == 0 {
				continue
			}
			// Names in upper case are hashed again, lowered, by the
			// lookup; a wasted read here is harmless.
			name := strings.TrimSuffix(q.v.Value, ".")
			for {
				dot := strings.IndexByte(name, '.')
				if dot < 0 {
					break
				}
				sink += ix.domain.filter.block(maphash.String(ix.seed, name))[0]
				name = name[dot+1:]
			}
		case dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512:
			var key [64]byte
			f := ix.hashFilter(q.v.Kind)
			n := len(q.v.Value) / 2
			if len(f.blocks) == 0 || n > len(key) || !decodeHex(key[:n], q.v.Value) {
				continue
			}
			q.probe, q.h = true, hashDigest(key[:n])
			sink += f.block(q.h)[0]
		}
	}
	for i := range qs {
		if q := &qs[i]; q.probe {
			sink += ix.touchHash(q.v.Kind, q.h)
		}
	}
	return sink
}

// touchSlots reads the cache lines of the first slots a probe for hash h
// will read, if the table's filter lets h through.
func touchSlots[K comparable](t *table[K], h uint64) uint32 {
	n := len(t.slots)
	if n == 0 || !t.filter.mayContain(h) {
		return 0
	}
	j := fastrange(h, n)
	var sink uint32
	for k := j; k < min(j+3, n); k++ {
		// The start of the slot (its key) and its end (the record's
		// flags) may lie in different lines.
		sink += uint32(*(*byte)(unsafe.Pointer(&t.slots[k]))) + uint32(t.slots[k].r.flags)
	}
	return sink
}
