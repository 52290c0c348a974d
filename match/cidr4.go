package match

import (
	"net/netip"
	"slices"

	"github.com/dragnet-intel/dragnet"
)

// IPv4 CIDR indicators of /16 or longer are kept by /24 block: each block
// a prefix covers or lies in lists that prefix, so an address finds every
// prefix containing it with one probe of a flat table and a short scan,
// instead of a walk down a trie whose every level is a dependent memory
// read. Shorter IPv4 prefixes (few, and each covering up to 2^24 blocks)
// and all IPv6 prefixes stay in the trie (Index.cidr), found through a
// bitmap of the /16 blocks they cover.

// cidr4Min is the shortest IPv4 prefix kept by block.
const cidr4Min = 16

// cidr4Ref is one prefix in a block's list: its address, length and the
// first of its records in the record arena.
type cidr4Ref struct {
	addr  uint32
	start uint32
	bits  uint8
}

// blockSlot is one /24 block in the block table: its refs are
// cidr4Refs[off:off+n], longest prefix first. n == 0 marks an empty slot.
// It repeats where the records of its first ref start, so that a batch
// can read them ahead together with the ref.
type blockSlot struct {
	block uint32
	off   uint32
	n     uint32
	start uint32 // refs[off].start, read ahead of refs[off]
}

// cidr4 is the block table.
type cidr4 struct {
	slots []blockSlot
	refs  []cidr4Ref
}

type blockRef struct {
	block uint32
	ref   cidr4Ref
}

// buildCIDR4 lays out the block table from one entry per (block, prefix).
func buildCIDR4(brs []blockRef) cidr4 {
	var c cidr4
	if len(brs) == 0 {
		return c
	}
	slices.SortFunc(brs, func(a, b blockRef) int {
		switch {
		case a.block != b.block:
			return int(int64(a.block) - int64(b.block))
		case a.ref.bits != b.ref.bits:
			return int(b.ref.bits) - int(a.ref.bits) // longest first
		}
		return int(int64(a.ref.addr) - int64(b.ref.addr))
	})
	nblocks := 0
	for i := range brs {
		if i == 0 || brs[i].block != brs[i-1].block {
			nblocks++
		}
	}
	n := int(float64(nblocks)/loadFactor) + 1
	c.slots = make([]blockSlot, n)
	c.refs = make([]cidr4Ref, len(brs))
	for i := 0; i < len(brs); {
		b := brs[i].block
		off := uint32(i)
		for ; i < len(brs) && brs[i].block == b; i++ {
			c.refs[i] = brs[i].ref
		}
		j := fastrange(hash32(b), n)
		for c.slots[j].n != 0 {
			j++
			if j == n {
				j = 0
			}
		}
		c.slots[j] = blockSlot{block: b, off: off, n: uint32(i) - off, start: c.refs[off].start}
	}
	hugeSlice(c.slots)
	hugeSlice(c.refs)
	return c
}

// find returns the refs of block b (nil if none).
func (c *cidr4) find(b uint32) []cidr4Ref {
	if len(c.slots) == 0 {
		return nil
	}
	off, n, _ := c.findAt(b, fastrange(hash32(b), len(c.slots)))
	return c.refs[off : off+n]
}

// findAt returns where the refs of block b are in c.refs, probing from
// slot j (fastrange of hash32(b)), and where the records of the first
// of them start; n is 0 if there are none.
func (c *cidr4) findAt(b uint32, j int) (off, n, start uint32) {
	ns := len(c.slots)
	for {
		s := &c.slots[j]
		if s.n == 0 {
			return 0, 0, 0
		}
		if s.block == b {
			return s.off, s.n, s.start
		}
		j++
		if j == ns {
			j = 0
		}
	}
}

// blockRefs appends to brs one entry per /24 block p covers or lies in.
func blockRefs(brs []blockRef, p netip.Prefix, start uint32) []blockRef {
	a := ip4Key(p.Addr())
	ref := cidr4Ref{addr: a, start: start, bits: uint8(p.Bits())}
	first, n := a>>8, uint32(1)
	if p.Bits() < 24 {
		n = 1 << (24 - p.Bits())
	}
	for b := first; b < first+n; b++ {
		brs = append(brs, blockRef{b, ref})
	}
	return brs
}

func (r *cidr4Ref) contains(k uint32) bool {
	return (k^r.addr)>>(32-uint32(r.bits)) == 0
}

// inShort reports whether a CIDR indicator shorter than /16 may contain
// IPv4 address k.
func (ix *Index) inShort(k uint32) bool {
	return ix.short16 != nil && ix.short16[k>>22]&(1<<(k>>16&63)) != 0
}

func (r *cidr4Ref) prefix() netip.Prefix {
	return netip.PrefixFrom(addr4(r.addr), int(r.bits))
}

// appendCIDR4 appends the hits of every IPv4 CIDR indicator that contains
// the prefix k/bits (bits 32: an address), longest first.
func (ix *Index) appendCIDR4(dst []Hit, k uint32, bits int, pol *policy) []Hit {
	if bits >= cidr4Min {
		for i, refs := 0, ix.cidr4.find(k>>8); i < len(refs); i++ {
			r := &refs[i]
			if int(r.bits) <= bits && r.contains(k) {
				dst = ix.appendArena(dst, r.start, pol, matched{kind: dragnet.ValueCIDR, p: r.prefix()})
			}
		}
	}
	if ix.inShort(k) {
		q := netip.PrefixFrom(addr4(k), bits).Masked()
		for pfx, start := range ix.cidr.Supernets(q) {
			dst = ix.appendArena(dst, start, pol, matched{kind: dragnet.ValueCIDR, p: pfx})
		}
	}
	return dst
}
