package match

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// A table is an exact set of fixed-size keys with open addressing (linear
// probing) behind a split block Bloom filter. It holds no pointers: the garbage
// collector never scans it, however many keys it has. A slot holds its
// key's record inline, so a hit costs one memory access after the filter;
// a key carried by several indicators holds instead an overflow record
// naming the first of its records in the index's record arena.
type table[K comparable] struct {
	filter bloom
	slots  []slot[K]
}

type slot[K comparable] struct {
	key K
	r   rec
}

// loadFactor is the fill of a table's slot array: low enough that a probe
// rarely leaves its first cache line, high enough to keep bytes per key down.
const loadFactor = 0.80

// keyed is one distinct key with its hash and its slot record, as
// collected during compilation.
type keyed[K comparable] struct {
	hash uint64
	key  K
	r    rec
}

// buildTable builds a table from distinct keys (the caller merges records
// of equal keys first).
func buildTable[K comparable](ks []keyed[K]) table[K] {
	var t table[K]
	if len(ks) == 0 {
		return t
	}
	n := int(float64(len(ks))/loadFactor) + 1
	t.slots = make([]slot[K], n)
	hs := make([]uint64, len(ks))
	for i := range ks {
		hs[i] = ks[i].hash
		j := fastrange(ks[i].hash, n)
		for t.slots[j].r.flags&recUsed != 0 {
			j++
			if j == n {
				j = 0
			}
		}
		t.slots[j] = slot[K]{key: ks[i].key, r: ks[i].r}
		t.slots[j].r.flags |= recUsed
	}
	t.filter = newBloom(len(hs))
	for _, h := range hs {
		t.filter.add(h)
	}
	hugeSlice(t.slots)
	hugeSlice(t.filter.blocks)
	return t
}

// get returns the slot record of key (whose hash is h), nil if absent.
func (t *table[K]) get(key K, h uint64) *rec {
	if len(t.slots) == 0 || !t.filter.mayContain(h) {
		return nil
	}
	j := t.find(key, fastrange(h, len(t.slots)))
	if j < 0 {
		return nil
	}
	return &t.slots[j].r
}

// hugeSlice asks for huge pages under a large slice (see hugePages).
func hugeSlice[T any](s []T) {
	if n := len(s) * int(unsafe.Sizeof(*new(T))); n >= hugePage {
		hugePages(unsafe.Pointer(unsafe.SliceData(s)), n)
	}
}

func (t *table[K]) len() int {
	return len(t.slots)
}

func fastrange(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// Hashes. Keys are spread by a strong 64-bit mixer so that the filter and
// the slot position see uniform bits whatever the key distribution (IPv4
// addresses of one network differ only in their low bits).

func hash32(v uint32) uint64 { return murmur64(uint64(v) | 0x5bd1e99500000000) }

func hash64(v uint64) uint64 { return murmur64(v ^ 0x2545f4914f6cdd1d) }

func hash128(k [2]uint64) uint64 { return murmur64(k[0] ^ murmur64(k[1]^0x9e3779b97f4a7c15)) }

// hashDigest hashes a cryptographic digest: its first eight bytes are
// already uniform, but mixing the rest in keeps adversarial inputs that
// share a prefix from piling into one slot run.
func hashDigest(b []byte) uint64 {
	h := binary.LittleEndian.Uint64(b[0:8])
	for i := 8; i+8 <= len(b); i += 8 {
		h = bits.RotateLeft64(h, 23) ^ binary.LittleEndian.Uint64(b[i:i+8])
	}
	return murmur64(h)
}

// murmur64 is MurmurHash3's 64-bit finaliser: a bijection whose every
// output bit depends on every input bit.
func murmur64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// find returns the slot of key, probing from slot j (fastrange of its
// hash), or -1 if it is absent.
func (t *table[K]) find(key K, j int) int32 {
	n := len(t.slots)
	for {
		s := &t.slots[j]
		if s.r.flags&recUsed == 0 {
			return -1
		}
		if s.key == key {
			return int32(j)
		}
		j++
		if j == n {
			j = 0
		}
	}
}

// findN probes at most m slots for key from slot j. If it decides, done
// is true and at is the slot of key or -1; else at is the slot to go on
// from (with find).
func (t *table[K]) findN(key K, j, m int) (at int, done bool) {
	n := len(t.slots)
	for ; m > 0; m-- {
		s := &t.slots[j]
		if s.r.flags&recUsed == 0 {
			return -1, true
		}
		if s.key == key {
			return j, true
		}
		j++
		if j == n {
			j = 0
		}
	}
	return j, false
}
