package dragnet

// AudienceKind says where an object version was published.
type AudienceKind string

const (
	AudienceCommunity AudienceKind = "community" // every member
	AudienceGroup     AudienceKind = "group"     // the members of a sharing group, nested groups included
	AudienceOrg       AudienceKind = "org"       // the organisation alone
)

// CommunityCollectionID is the fixed TAXII collection id of the community
// audience.
const CommunityCollectionID = "2d1a0b7e-3c4f-4e8a-9b6d-5f0c1e2a3b4c"

// Audience is a place intelligence is published to. Each audience is exactly
// one TAXII collection.
type Audience struct {
	ID           int64        // store-assigned; the community is always 1
	Kind         AudienceKind //
	RefID        int64        // the group or organisation id; 0 for the community
	CollectionID string       // TAXII collection id (a UUID)
	Title        string       // "community", the group's name, or the organisation's name
	DefaultTLP   TLP          // taken by unmarked objects published here
}

// DefaultTLPFor returns the default TLP of a new audience of the given kind:
// GREEN for the community, AMBER for groups and organisations. (An
// organisation's own collection is private to it; AMBER keeps what a member
// stores there from being re-published more widely by accident.)
func DefaultTLPFor(k AudienceKind) TLP {
	if k == AudienceCommunity {
		return TLPGreen
	}
	return TLPAmber
}

// Access is the set of audiences one principal may read. It is the single
// policy every read path applies: an object version is visible to a
// principal exactly when one of its submissions is in an audience of the
// principal's Access. Stores compute it from group membership (transitive,
// at the moment of the call) so membership changes take effect at once.
type Access struct {
	OrgID     int64
	Audiences []int64 // sorted ascending
}

// CanSee reports whether an object submitted to audience id is visible.
// This is the policy function; everything that shows intelligence calls it
// or filters on Audiences in a query.
func (a *Access) CanSee(audience int64) bool {
	if a == nil {
		return false
	}
	lo, hi := 0, len(a.Audiences)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case a.Audiences[m] == audience:
			return true
		case a.Audiences[m] < audience:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// Holding is one publication of an object that is not shared (an SCO, or
// an object relayed from a third-party author): Key names the stored
// object (its meaning is the store's), Owner the organisation that holds
// it, Audience a collection it is published in (0: none).
type Holding struct{ Key, Owner, Audience int64 }

// ChooseHolding returns the index in hs, the holdings of one id, of the
// object a submission by organisation me into audience target belongs to,
// so that the outcome never depends on what acc cannot see:
//
//  1. the object already published in target (one at most, and the
//     caller can see it);
//  2. else the caller's own object;
//  3. else the first in hs published in an audience acc can see;
//  4. else -1: objects held only in audiences the caller cannot see are as
//     if they did not exist, and the submission starts one of the caller's.
func ChooseHolding(hs []Holding, target, me int64, acc *Access) int {
	own, visible := -1, -1
	for i, h := range hs {
		switch {
		case h.Audience == target:
			return i
		case h.Owner == me:
			if own < 0 {
				own = i
			}
		case h.Audience != 0 && visible < 0 && acc.CanSee(h.Audience):
			visible = i
		}
	}
	if own >= 0 {
		return own
	}
	return visible
}
