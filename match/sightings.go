package match

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Sightings counts hits per indicator for one member and records them as
// STIX sightings: one sighting object per (indicator, member), with a
// deterministic id, whose count, first_seen and last_seen are carried
// forward in a new version each time more hits are recorded (never one
// object per hit).
type Sightings struct {
	seen map[string]*sighting
}

type sighting struct {
	count       int
	first, last time.Time
}

// NewSightings returns an empty tally.
func NewSightings() *Sightings { return &Sightings{seen: map[string]*sighting{}} }

// Add counts one result seen at t: one sighting of each indicator it hit.
func (s *Sightings) Add(r Result, t time.Time) {
	for _, h := range r.Indicators {
		g := s.seen[h.ID]
		if g == nil {
			g = &sighting{first: t, last: t}
			s.seen[h.ID] = g
		}
		g.count++
		if t.Before(g.first) {
			g.first = t
		}
		if t.After(g.last) {
			g.last = t
		}
	}
}

// Len returns the number of indicators sighted.
func (s *Sightings) Len() int { return len(s.seen) }

// SightingID returns the id of the sighting of indicator by the member
// whose IDScope is scope: a UUIDv5, so that every run and node names the
// same sighting, and no other member can compute it (the scope holds the
// member's secret IDKey) to probe whether the member sighted indicator.
func SightingID(indicator, scope string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x14, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8} // RFC 9562 URL namespace
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte("dragnet:sighting:" + indicator + "|" + scope))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return "sighting--" + formatUUID(u)
}

// sightingJSON is the part of a stored sighting Write carries forward.
type sightingJSON struct {
	Created   string `json:"created"`
	Count     int    `json:"count"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
}

// Write records the tally as sightings by org in its own collection
// (collectionID), through the store's access rules (ctx carries org's
// principal with a write role). Each sighting adds to the stored one of
// the same id, if any, as a new version modified at now. It returns the
// number of sightings written; each object's own failure is reported in
// the error with its id.
func (s *Sightings) Write(ctx context.Context, st dragnet.Store, org *dragnet.Org, collectionID string, now time.Time) (int, error) {
	ids := make([]string, 0, len(s.seen))
	for id := range s.seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var subs []*dragnet.Submission
	for _, ind := range ids {
		g := s.seen[ind]
		sid := SightingID(ind, org.IDScope())
		cur := sightingJSON{Created: stix.FormatTimestamp(now)}
		count, first, last := g.count, g.first, g.last
		page, err := st.Objects(ctx, collectionID, dragnet.Filter{IDs: []string{sid}}, true)
		if err != nil && dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
			return 0, fmt.Errorf("reading sighting %s: %w", sid, err)
		}
		if err == nil && len(page.Objects) > 0 {
			if err := json.Unmarshal(page.Objects[len(page.Objects)-1].Raw, &cur); err != nil {
				return 0, fmt.Errorf("reading sighting %s: %w", sid, err)
			}
			count += cur.Count
			if t, err := stix.ParseTimestamp(cur.FirstSeen); err == nil && t.Before(first) {
				first = t
			}
			if t, err := stix.ParseTimestamp(cur.LastSeen); err == nil && t.After(last) {
				last = t
			}
		}
		raw, err := json.Marshal(map[string]any{
			"type":               "sighting",
			"spec_version":       "2.1",
			"id":                 sid,
			"created":            cur.Created,
			"modified":           stix.FormatTimestamp(now),
			"created_by_ref":     org.Identity,
			"sighting_of_ref":    ind,
			"where_sighted_refs": []string{org.Identity},
			"count":              count,
			"first_seen":         stix.FormatTimestamp(first),
			"last_seen":          stix.FormatTimestamp(last),
		})
		if err != nil {
			return 0, err
		}
		obj, err := stix.Decode(raw)
		if err != nil {
			return 0, err
		}
		subs = append(subs, &dragnet.Submission{Object: obj})
	}
	if len(subs) == 0 {
		return 0, nil
	}
	rs, err := st.AddObjects(ctx, collectionID, "", subs)
	if err != nil {
		return 0, fmt.Errorf("storing sightings: %w", err)
	}
	n := 0
	for _, r := range rs {
		if r.Err != nil {
			return n, fmt.Errorf("storing sighting %s: %w", r.ID, r.Err)
		}
		n++
	}
	return n, nil
}

// OwnCollection returns the collection id of org's own audience, as org
// sees it (ctx carries org's principal).
func OwnCollection(ctx context.Context, st dragnet.Store, org *dragnet.Org) (string, error) {
	cs, err := st.Collections(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Kind == dragnet.AudienceOrg && c.RefID == org.ID {
			return c.CollectionID, nil
		}
	}
	return "", dragnet.Errorf(dragnet.ENOTFOUND, "organisation %s has no collection of its own", org.Name)
}
