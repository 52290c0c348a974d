package feed

import (
	"context"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// GoneMode says what becomes of entries that were in a feed's last pull
// and are not in this one.
type GoneMode string

const (
	// GoneRevoke stores a revoked version of each (the default).
	GoneRevoke GoneMode = "revoke"
	// GoneExpire stores a version of each indicator valid until now (other
	// objects are revoked), so it stays on record as once valid.
	GoneExpire GoneMode = "expire"
	// GoneKeep leaves them as they are.
	GoneKeep GoneMode = "keep"
)

// ParseGoneMode parses "revoke", "expire" or "keep" ("" is revoke).
func ParseGoneMode(s string) (GoneMode, error) {
	switch GoneMode(s) {
	case "", GoneRevoke:
		return GoneRevoke, nil
	case GoneExpire, GoneKeep:
		return GoneMode(s), nil
	}
	return "", dragnet.Errorf(dragnet.EINVALID, "gone mode %q is not one of revoke, expire, keep", s)
}

// Retire stores, for each id, a new version that revokes or expires the
// latest stored one, as mode says. Objects already revoked, already
// expired, or not in the collection are left alone. Nothing is ever
// overwritten: each retirement is a new version.
func (p *Pipeline) Retire(ctx context.Context, ids []string, mode GoneMode) (*Summary, error) {
	return p.retire(ctx, ids, mode, true)
}

// retire is Retire; entries says whether the ids are entries (counted
// among the Summary's entries) or other objects (counted as objects only).
func (p *Pipeline) retire(ctx context.Context, ids []string, mode GoneMode, entries bool) (*Summary, error) {
	sum := &Summary{Outcomes: map[Outcome]int{}}
	if mode == GoneKeep || len(ids) == 0 {
		return sum, nil
	}
	now := p.now().Truncate(time.Millisecond)
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		stored, err := p.latest(ctx, chunk, true)
		if err != nil {
			return sum, err
		}
		var subs []*dragnet.Submission
		var kinds []Outcome
		for _, id := range chunk {
			ex := stored[id]
			if ex == nil || ex.Revoked {
				continue
			}
			obj, err := decodeMap(ex.Raw)
			if err != nil {
				return sum, fmt.Errorf("reading %s: %w", id, err)
			}
			if _, ok := obj["created"]; !ok {
				continue // an SCO has no versions to retire
			}
			kind := Revoked
			if vu, ok := obj["valid_until"].(string); ok {
				if t, err := stix.ParseTimestamp(vu); err == nil && !t.After(now) {
					continue // already expired
				}
			}
			vf, _ := obj["valid_from"].(string)
			from, ferr := stix.ParseTimestamp(vf)
			if mode == GoneExpire && ex.Type == "indicator" && ferr == nil && now.After(from) {
				obj["valid_until"] = stix.FormatTimestamp(now)
				kind = Expired
			} else {
				obj["revoked"] = true
			}
			mod := now
			if !mod.After(ex.Version) {
				mod = ex.Version.Add(time.Millisecond).Truncate(time.Millisecond)
			}
			obj["modified"] = stix.FormatTimestamp(mod)
			raw, err := marshal(obj)
			if err != nil {
				return sum, err
			}
			o, err := stix.Decode(raw)
			if err != nil {
				return sum, fmt.Errorf("retiring %s: %w", id, err)
			}
			subs = append(subs, &dragnet.Submission{Object: o})
			kinds = append(kinds, kind)
		}
		if len(subs) == 0 {
			continue
		}
		results, err := p.Store.AddObjects(ctx, p.Collection, "", subs)
		if err != nil {
			return sum, fmt.Errorf("storing retirements: %w", err)
		}
		for i, r := range results {
			if r.Err != nil {
				sum.problem(Problem{Where: subs[i].Object.ID, Reason: dragnet.ErrorMessage(r.Err)})
				sum.Objects.Rejected++
				if entries {
					sum.Entries++
					sum.count(Rejected)
				}
				continue
			}
			sum.Objects.Updated++
			if entries {
				sum.Entries++
				sum.count(kinds[i])
			}
		}
	}
	return sum, nil
}
