package match

import "github.com/dragnet-intel/dragnet"

// policy answers Access.CanSee for the records a lookup meets. For a
// batch it holds the caller's audiences as a bitmap over audience ids, so
// that a hit costs a bit test instead of a binary search with branches no
// predictor learns; a single lookup asks the Access itself.
type policy struct {
	acc  *dragnet.Access
	bits []uint64 // bit per visible audience id; nil: ask acc
}

// maxPolicyBitmap bounds the bitmap (audience ids are small in practice;
// past it a policy asks the Access).
const maxPolicyBitmap = 1 << 20

// set makes p answer for acc (nil: for nobody), building the bitmap when
// the audience ids are small enough.
func (p *policy) set(acc *dragnet.Access) {
	p.acc = acc
	p.bits = p.bits[:0]
	if acc == nil || len(acc.Audiences) == 0 {
		p.bits = nil
		return
	}
	top := acc.Audiences[len(acc.Audiences)-1]
	for _, a := range acc.Audiences {
		top = max(top, a)
		if a < 0 || a >= maxPolicyBitmap {
			p.bits = nil
			return
		}
	}
	n := int(top/64) + 1
	if cap(p.bits) < n {
		p.bits = make([]uint64, n)
	}
	p.bits = p.bits[:n]
	clear(p.bits)
	for _, a := range acc.Audiences {
		p.bits[a/64] |= 1 << (a % 64)
	}
}

// canSee reports whether a record published to audience aud is visible:
// the same answer as Access.CanSee.
func (p *policy) canSee(aud uint32) bool {
	if p.bits != nil {
		w := aud / 64
		return int(w) < len(p.bits) && p.bits[w]&(1<<(aud%64)) != 0
	}
	return p.acc.CanSee(int64(aud))
}
