package match

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// TestPolicyAgainstAccess checks that a policy answers as Access.CanSee,
// with and without its bitmap.
func TestPolicyAgainstAccess(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var p policy
	for round := 0; round < 300; round++ {
		var acc *dragnet.Access
		if round%50 != 0 {
			acc = &dragnet.Access{OrgID: 1}
			top := int64(1 + rng.IntN(200))
			if round%7 == 0 {
				top = 1 << 40 // too large for the bitmap
			}
			for i := rng.IntN(20); i > 0; i-- {
				acc.Audiences = append(acc.Audiences, 1+rng.Int64N(top))
			}
			slices.Sort(acc.Audiences)
			acc.Audiences = slices.Compact(acc.Audiences)
		}
		p.set(acc)
		for i := 0; i < 500; i++ {
			aud := uint32(rng.IntN(300))
			if i%3 == 0 && acc != nil && len(acc.Audiences) > 0 {
				aud = uint32(acc.Audiences[rng.IntN(len(acc.Audiences))])
			}
			if got, want := p.canSee(aud), acc.CanSee(int64(aud)); got != want {
				t.Fatalf("round %d, audiences %v: canSee(%d) = %v, want %v", round, acc, aud, got, want)
			}
		}
	}
}
