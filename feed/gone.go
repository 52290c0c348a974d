package feed

import (
	"errors"
	"slices"
	"sort"
)

// compareState finds the entries gone from a feed: it compares the state
// of the last pull with what this pull saw (entry id -> the part it was
// read in) and returns the state to keep, the entries gone, and the
// objects that are not entries but went with a gone part.
//
// Three kinds of source:
//   - read whole (a CSV list, a MISP event, a STIX bundle): an entry of
//     the last pull not seen now is gone;
//   - read in parts (a MISP feed's events): an entry is gone when its part
//     was read again and it was not seen, or when the source no longer
//     holds its part; the entries of a part not read again stay;
//   - read incrementally (a TAXII collection from its cursor): entries
//     accumulate, and are gone when Present (the collection's manifest)
//     no longer lists them; without Present nothing is gone.
//
// An answer that would make every entry gone at once (an empty list, an
// empty manifest) is refused with an error: an error page served with a
// 200 must not retire what a feed said before.
func compareState(prev *feedState, ps *PullState, seen map[string]string) (next *feedState, gone, objs []string, err error) {
	next = &feedState{Known: ps.Known, Cursor: ps.Cursor}
	switch {
	case ps.Parts != nil:
		gone, objs, err = compareParts(prev, ps, seen, next)
	case ps.Incremental:
		all := make(map[string]bool, len(prev.IDs)+len(seen))
		for _, id := range prev.IDs {
			all[id] = true
		}
		for id := range seen {
			all[id] = true
		}
		if ps.Present != nil {
			if len(ps.Present) == 0 && len(all) > 0 {
				return nil, nil, nil, errors.New("lists no entries now")
			}
			for id := range all {
				if _, ok := seen[id]; !ok && !ps.Present[id] {
					gone = append(gone, id)
					delete(all, id)
				}
			}
		}
		next.IDs = keys(all)
	default:
		if len(seen) == 0 && (len(prev.IDs) > 0 || len(prev.Parts) > 0) {
			return nil, nil, nil, errors.New("yielded no entries")
		}
		for _, id := range prev.IDs {
			if _, ok := seen[id]; !ok {
				gone = append(gone, id)
			}
		}
		next.IDs = keys(seen)
	}
	sort.Strings(gone)
	sort.Strings(objs)
	return next, gone, objs, err
}

// compareParts is compareState for a source read in parts.
func compareParts(prev *feedState, ps *PullState, seen map[string]string, next *feedState) (gone, objs []string, err error) {
	present := make(map[string]bool, len(ps.Parts)+1)
	for _, p := range ps.Parts {
		present[p] = true
	}
	if len(present) == 0 && (len(prev.Parts) > 0 || len(prev.IDs) > 0) {
		return nil, nil, errors.New("lists no parts now")
	}
	// What is read outside any part (the files beside MISP feeds in a
	// folder) is the part "", read whole every time.
	present[""] = true
	next.Parts = make(map[string][]string, len(present))
	byPart := map[string][]string{}
	for id, part := range seen {
		byPart[part] = append(byPart[part], id)
	}
	for part, ids := range byPart {
		if present[part] {
			next.Parts[part] = ids
		}
	}
	var candidates []string
	for part, ids := range prev.Parts {
		switch {
		case !present[part]:
			candidates = append(candidates, ids...)
			if ps.PartObjects != nil {
				objs = append(objs, ps.PartObjects(part)...)
			}
		case ps.failed[part] || (part != "" && !ps.read[part]):
			// Not read again, or not readable this time: its entries stay.
			next.Parts[part] = append(next.Parts[part], ids...)
		default:
			candidates = append(candidates, ids...)
		}
	}
	// Entries of a state kept before parts were followed belong to no
	// part: every part was read again, so those not seen are gone.
	candidates = append(candidates, prev.IDs...)
	live := map[string]bool{}
	for part, ids := range next.Parts {
		for _, id := range ids {
			live[id] = true
		}
		sort.Strings(ids)
		next.Parts[part] = slices.Compact(ids)
	}
	done := map[string]bool{}
	for _, id := range candidates {
		// An entry may be in two parts (a MISP attribute without a uuid is
		// keyed by its value): it is gone only when no part holds it.
		if !live[id] && !done[id] {
			done[id] = true
			gone = append(gone, id)
		}
	}
	return gone, objs, nil
}

// fingerprints fills st.FP for the entries st holds: from this pull's
// fingerprints, and for entries not read again from the last state's.
func (st *feedState) fingerprints(prev *feedState, seen map[string]string, fps map[string]uint64) {
	st.FP = map[string]uint64{}
	add := func(id string) {
		if _, ok := seen[id]; ok {
			if fp, ok := fps[id]; ok {
				st.FP[id] = fp
			}
		} else if fp, ok := prev.FP[id]; ok {
			st.FP[id] = fp
		}
	}
	for _, id := range st.IDs {
		add(id)
	}
	for _, ids := range st.Parts {
		for _, id := range ids {
			add(id)
		}
	}
}

// keys returns the keys of m, sorted (an empty slice, not nil, when m is
// empty).
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
