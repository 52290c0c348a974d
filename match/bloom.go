package match

// bloom is a split block Bloom filter (the layout Apache Parquet
// specifies): each key sets one bit in each of the eight 32-bit words of
// one 32-byte block, so a membership test reads a single half cache line
// and tests eight bits without a branch between them. At 12 bits per key
// about 0.5% of misses pass. The zero value lets every key pass.
type bloom struct {
	blocks []bloomBlock
}

type bloomBlock [8]uint32

// bloomBitsPerKey sizes the filter.
const bloomBitsPerKey = 12

func newBloom(n int) bloom {
	if n < minFilterKeys {
		return bloom{}
	}
	nb := (n*bloomBitsPerKey + 255) / 256
	return bloom{blocks: make([]bloomBlock, nb)}
}

// block picks the block of h from its high 32 bits (a multiply-shift
// range reduction); the low 32 bits pick the bits within it.
func (b *bloom) block(h uint64) *bloomBlock {
	return &b.blocks[(h>>32*uint64(len(b.blocks)))>>32]
}

func (b *bloom) add(h uint64) {
	if len(b.blocks) == 0 {
		return
	}
	b.block(h).set(uint32(h))
}

// mayContain reports whether the key with hash h may be in the set.
func (b *bloom) mayContain(h uint64) bool {
	if len(b.blocks) == 0 {
		return true
	}
	return b.block(h).has(uint32(h))
}

// bitsOf spreads k over the eight 5-bit fields, one per word, that name
// the bit k sets in each word: one multiplication instead of one per word.
func bitsOf(k uint32) uint64 { return uint64(k) * 0x9e3779b97f4a7c15 >> 24 }

func (blk *bloomBlock) set(k uint32) {
	x := bitsOf(k)
	for i := range blk {
		blk[i] |= 1 << (x >> (5 * i) & 31)
	}
}

func (blk *bloomBlock) has(k uint32) bool {
	x := bitsOf(k)
	miss := uint32(0)
	for i := range blk {
		miss |= ^blk[i] & (1 << (x >> (5 * i) & 31))
	}
	return miss == 0
}

func (b *bloom) bytes() int { return len(b.blocks) * 32 }

// minFilterKeys is the size below which a filter is not worth its probe.
const minFilterKeys = 256

// ip4Filter is the filter IPv4 lookups read first. The hash of an
// address's /24 picks one 64-byte line of eight 64-bit words; the line
// holds the bits of the exact indicator addresses of that /24 and, when a
// CIDR indicator covers or touches the /24, the bits of the /24 itself.
// Each key sets ip4FilterK bits of a single word of its line, so a lookup
// learns both answers from one cache line, with one load and one mask
// comparison per answer and no loop. At 12 bits per key about 1% of
// misses pass. The zero value lets every key pass.
type ip4Filter struct {
	words []uint64 // eight per line
}

// ip4FilterK is the number of bits a key sets in its word.
const ip4FilterK = 6

// ip4FilterBitsPerKey sizes the IPv4 filter.
const ip4FilterBitsPerKey = 12

func newIP4Filter(n int) ip4Filter {
	if n < minFilterKeys {
		return ip4Filter{}
	}
	lines := (n*ip4FilterBitsPerKey + 511) / 512
	return ip4Filter{words: make([]uint64, lines*8)}
}

// line returns the index of the first word of the line of the /24 whose
// hash is hb, from its high 32 bits (a multiply-shift range reduction).
func (f *ip4Filter) line(hb uint64) uint32 {
	return uint32((hb>>32*uint64(len(f.words)/8))>>32) * 8
}

// wordMask returns the word of a line (0..7) and the bits in it of the
// key whose hash is x, both from x's high bits.
func wordMask(x uint64) (uint32, uint64) {
	return uint32(x >> 61), 1<<(x>>55&63) | 1<<(x>>49&63) | 1<<(x>>43&63) |
		1<<(x>>37&63) | 1<<(x>>31&63) | 1<<(x>>25&63)
}

// ip4Hashes returns the hashes of IPv4 address k: hb of its /24 (it picks
// the filter line and the block-table slot) and hk of the address (the
// exact table slot and the address's bits in the filter). hk costs one
// multiplication on top of hb: within a /24 the addresses differ only in
// the low byte, which the multiplication carries into the high bits.
func ip4Hashes(k uint32) (hb, hk uint64) {
	hb = hash32(k >> 8)
	return hb, addrHash(hb, k)
}

// addrHash is the hash hk of IPv4 address k given hb, the hash of its
// /24 (see ip4Hashes).
func addrHash(hb uint64, k uint32) uint64 { return (hb ^ uint64(k&0xff)) * 0x9e3779b97f4a7c15 }

// blockBits is the hash whose bits mark a /24 in the filter.
func blockBits(hb uint64) uint64 { return hb * 0xc2b2ae3d27d4eb4f }

func (f *ip4Filter) add(hb, x uint64) {
	w, m := wordMask(x)
	f.words[f.line(hb)+w] |= m
}

// has2 reports whether the address with hashes hb, hk may be an exact
// indicator and whether a CIDR indicator may cover or touch its /24.
func (f *ip4Filter) has2(hb, hk uint64) (exact, block bool) {
	l := f.words[f.line(hb):]
	l = l[:8]
	w1, m1 := wordMask(hk)
	w2, m2 := wordMask(blockBits(hb))
	return l[w1&7]&m1 == m1, l[w2&7]&m2 == m2
}

func (f *ip4Filter) bytes() int { return len(f.words) * 8 }
