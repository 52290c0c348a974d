package match

import (
	"math"
	"math/bits"
)

// fuse8 is a binary fuse filter with 8-bit fingerprints (Graf and Lemire,
// "Binary Fuse Filters: Fast and Smaller Than Xor Filters", 2022): about
// 9 bits per key, a false-positive rate near 1/256, and a membership test
// of three independent memory reads. It answers "certainly not in the set"
// for most misses without touching the much larger exact tables behind it.
//
// The zero value (no fingerprints) lets every key pass, which is what an
// index too small to deserve a filter, or one whose construction failed,
// wants: correctness never depends on the filter.
type fuse8 struct {
	seed               uint64
	segmentLength      uint32
	segmentLengthMask  uint32
	segmentCountLength uint32
	fp                 []uint8
}

// minFilterKeys is the size below which a filter is not worth its probe.
const minFilterKeys = 256

func murmur64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func (f *fuse8) positions(h uint64) (uint32, uint32, uint32) {
	hi, _ := bits.Mul64(h, uint64(f.segmentCountLength))
	h0 := uint32(hi)
	h1 := h0 + f.segmentLength
	h2 := h1 + f.segmentLength
	h1 ^= uint32(h>>18) & f.segmentLengthMask
	h2 ^= uint32(h) & f.segmentLengthMask
	return h0, h1, h2
}

// mayContain reports whether the key whose 64-bit hash is key may be in the
// set: false means certainly not.
func (f *fuse8) mayContain(key uint64) bool {
	if len(f.fp) == 0 {
		return true
	}
	h := murmur64(key + f.seed)
	v := uint8(h ^ h>>32)
	h0, h1, h2 := f.positions(h)
	fp := f.fp
	return v^fp[h0]^fp[h1]^fp[h2] == 0
}

// bytes is the filter's memory.
func (f *fuse8) bytes() int { return len(f.fp) }

// buildFuse8 builds a filter over keys, which must be distinct (callers
// pass sorted, deduplicated hashes). It returns the zero filter (which
// passes everything) for small sets or if construction keeps failing.
func buildFuse8(keys []uint64) fuse8 {
	n := len(keys)
	if n < minFilterKeys || n > math.MaxUint32/2 {
		return fuse8{}
	}
	var f fuse8
	const arity = 3
	f.segmentLength = 1 << int(math.Floor(math.Log(float64(n))/math.Log(3.33)+2.25))
	if f.segmentLength > 262144 {
		f.segmentLength = 262144
	}
	f.segmentLengthMask = f.segmentLength - 1
	sizeFactor := math.Max(1.125, 0.875+0.25*math.Log(1000000)/math.Log(float64(n)))
	capacity := int(math.Round(float64(n) * sizeFactor))
	sl := int(f.segmentLength)
	segCount := (capacity+sl-1)/sl - (arity - 1)
	if segCount < 1 {
		segCount = 1
	}
	arrayLength := (segCount + arity - 1) * sl
	f.segmentCountLength = uint32(segCount * sl)
	f.fp = make([]uint8, arrayLength)

	count := make([]uint32, arrayLength) // (keys in slot)<<2 | xor of their position index
	xorHash := make([]uint64, arrayLength)
	order := make([]uint64, n)
	which := make([]uint8, n)
	queue := make([]uint32, 0, arrayLength/4)
	for attempt := uint64(0); attempt < 64; attempt++ {
		f.seed = murmur64(0x9e3779b97f4a7c15 * (attempt + 1))
		clear(count)
		clear(xorHash)
		for _, k := range keys {
			h := murmur64(k + f.seed)
			h0, h1, h2 := f.positions(h)
			count[h0] += 4
			xorHash[h0] ^= h
			count[h1] += 4
			count[h1] ^= 1
			xorHash[h1] ^= h
			count[h2] += 4
			count[h2] ^= 2
			xorHash[h2] ^= h
		}
		queue = queue[:0]
		for i, c := range count {
			if c>>2 == 1 {
				queue = append(queue, uint32(i))
			}
		}
		stack := 0
		for len(queue) > 0 {
			i := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if count[i]>>2 != 1 {
				continue
			}
			h := xorHash[i]
			found := uint8(count[i] & 3)
			order[stack] = h
			which[stack] = found
			stack++
			h0, h1, h2 := f.positions(h)
			hs := [5]uint32{h0, h1, h2, h0, h1}
			for d := uint8(1); d <= 2; d++ {
				o := hs[found+d]
				count[o] -= 4
				count[o] ^= uint32((found + d) % 3)
				xorHash[o] ^= h
				if count[o]>>2 == 1 {
					queue = append(queue, o)
				}
			}
		}
		if stack == n {
			clear(f.fp)
			for i := n - 1; i >= 0; i-- {
				h := order[i]
				h0, h1, h2 := f.positions(h)
				hs := [5]uint32{h0, h1, h2, h0, h1}
				w := which[i]
				f.fp[hs[w]] = uint8(h^h>>32) ^ f.fp[hs[w+1]] ^ f.fp[hs[w+2]]
			}
			return f
		}
	}
	return fuse8{}
}
