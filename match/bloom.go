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

// has2 tests two keys against one block in a single pass over it.
func (blk *bloomBlock) has2(k1, k2 uint32) (bool, bool) {
	x1, x2 := bitsOf(k1), bitsOf(k2)
	m1, m2 := uint32(0), uint32(0)
	for i := range blk {
		w := ^blk[i]
		m1 |= w & (1 << (x1 >> (5 * i) & 31))
		m2 |= w & (1 << (x2 >> (5 * i) & 31))
	}
	return m1 == 0, m2 == 0
}

func (b *bloom) bytes() int { return len(b.blocks) * 32 }

// minFilterKeys is the size below which a filter is not worth its probe.
const minFilterKeys = 256
