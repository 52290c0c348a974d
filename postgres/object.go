package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// pending is one submitted object on its way into the store.
type pending struct {
	i      int // index in the request
	sub    *dragnet.Submission
	id     string
	ver    int64 // object version in ns, 0 when it has neither modified nor created
	tlp    dragnet.TLP
	digest [32]byte
	spec   string
	until  int64 // valid_until in ns, 0 when absent
	vid    int64 // the stored version, once known
	newVer bool  // this request stored the version
	dupOf  *pending
	owner  int64 // the organisation whose object the version belongs to
	latest bool  // the newest version of the object in the audience
	first  bool  // the oldest
	date   int64
}

type verKey struct {
	id  string
	ver int64
}

// AddObjects publishes objects into a collection: the caller needs a write
// role and must see the collection (ENOTFOUND otherwise, EFORBIDDEN for a
// read role). Each object succeeds or fails on its own:
//
//   - its TLP comes from object_marking_refs (conflicting levels fail), else
//     the audience's default; TLP:RED cannot go to the community;
//   - an object already published AMBER, AMBER+STRICT or RED to an audience
//     A may be published to B only when every reader of B can read A;
//   - created_by_ref may not name another member's identity;
//   - the first organisation to submit an id owns it, and only it may add
//     new versions; anyone may re-submit an existing version it can see,
//     unchanged (one it cannot see is to it as one that does not exist);
//     objects relayed from a third-party author (created_by_ref names no
//     member) are no member's: any member may add their versions;
//   - a version (id, modified) is immutable: different JSON for it fails;
//     the identical version re-submitted to the same audience adds nothing;
//   - an SCO or third-party object held by others only in audiences the
//     caller cannot see is as if it did not exist: the caller's submission
//     starts an object of its own (see chooseOwners).
//
// All of it, the status update (statusID) and one audit record are written
// in one transaction; the date_added allocation comes last (see the
// package comment). The returned error is for faults only, and then
// nothing of the request is kept.
func (db *DB) AddObjects(ctx context.Context, collectionID, statusID string, subs []*dragnet.Submission) ([]dragnet.AddResult, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Org == nil {
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "the system principal cannot publish intelligence")
	}
	if !p.Role.CanWrite() {
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "a %s token cannot write", p.Role)
	}
	var results []dragnet.AddResult
	for attempt := 0; ; attempt++ {
		err = db.inTx(ctx, func(tx pgx.Tx) error {
			var err error
			results, err = db.addObjects(ctx, tx, p, collectionID, statusID, subs)
			return err
		})
		if !retryable(err) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, wrap("adding objects", err)
	}
	return results, nil
}

// retryable reports whether a transaction failed only because it raced
// another (deadlock or serialisation failure) and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.Is(err, errRaced) || errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// errRaced says a concurrent transaction removed a version this one meant
// to publish again; the request is run again from the start.
var errRaced = errors.New("a version was removed concurrently")

// lockReused share-locks the stored versions the request publishes again,
// so that a concurrent DeleteObject cannot remove them before the commit.
func lockReused(ctx context.Context, tx pgx.Tx, uniq, fresh []*pending, results []dragnet.AddResult) error {
	isFresh := make(map[*pending]bool, len(fresh))
	for _, pd := range fresh {
		isFresh[pd] = true
	}
	var vids []int64
	for _, pd := range uniq {
		if results[pd.i].Err == nil && !isFresh[pd] {
			vids = append(vids, pd.vid)
		}
	}
	if len(vids) == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT vid FROM versions WHERE vid = ANY($1) FOR SHARE) x`, vids).Scan(&n); err != nil {
		return err
	}
	if n != len(vids) {
		return errRaced
	}
	return nil
}

func failure(code, format string, args ...any) error { return dragnet.Errorf(code, format, args...) }

func (db *DB) addObjects(ctx context.Context, tx pgx.Tx, p dragnet.Principal, collectionID, statusID string, subs []*dragnet.Submission) ([]dragnet.AddResult, error) {
	aud, acc, err := db.visibleAudience(ctx, tx, p, collectionID)
	if err != nil {
		return nil, err
	}
	me := p.Org.ID
	results := make([]dragnet.AddResult, len(subs))
	fail := func(pd *pending, err error) {
		results[pd.i].Err = err
	}

	// Checks that need nothing from the store.
	var ps []*pending
	var refs []string
	for i, s := range subs {
		pd := &pending{i: i, sub: s}
		if s == nil || s.Object == nil || s.Object.ID == "" || s.Object.Type == "" || len(s.Object.Raw) == 0 {
			if s != nil && s.Object != nil {
				results[i].ID, results[i].Version = s.Object.ID, s.Object.Version()
			}
			results[i].Err = failure(dragnet.EINVALID, "object has no id, type or content")
			continue
		}
		o := s.Object
		pd.id = o.ID
		results[i].ID = o.ID
		results[i].Version = o.Version()
		if v := o.Version(); !v.IsZero() {
			if v.Year() < 1678 || v.Year() > 2261 {
				results[i].Err = failure(dragnet.EINVALID, "version timestamp %s is out of the supported range (years 1678 to 2261)", stix.FormatTimestamp(v))
				continue
			}
			pd.ver = v.UnixNano()
		}
		pd.spec = o.SpecVersion
		if pd.spec == "" {
			pd.spec = newestSpec
		}
		pd.until = dragnet.ValidUntilNanos(o)
		tlp, err := dragnet.TLPOfMarkings(o.ObjectMarkingRefs)
		if err != nil {
			results[i].Err = err
			continue
		}
		if tlp == dragnet.TLPNone {
			tlp = aud.DefaultTLP
		}
		if tlp == dragnet.TLPRed && aud.Kind == dragnet.AudienceCommunity {
			results[i].Err = failure(dragnet.EINVALID, msgRedCommunity)
			continue
		}
		pd.tlp = tlp
		pd.digest = sha256.Sum256(o.Raw)
		if o.CreatedByRef != "" {
			refs = append(refs, o.CreatedByRef)
		}
		ps = append(ps, pd)
	}

	// Duplicates within the request share the first one's fate.
	first := map[verKey]*pending{}
	var uniq []*pending
	for _, pd := range ps {
		k := verKey{pd.id, pd.ver}
		if f, ok := first[k]; ok {
			pd.dupOf = f
			continue
		}
		first[k] = pd
		uniq = append(uniq, pd)
	}
	// A stable order of ids keeps concurrent writers from deadlocking.
	sort.SliceStable(uniq, func(a, b int) bool {
		if uniq[a].id != uniq[b].id {
			return uniq[a].id < uniq[b].id
		}
		return uniq[a].ver < uniq[b].ver
	})
	ids := make([]string, 0, len(uniq))
	for i, pd := range uniq {
		if i == 0 || uniq[i-1].id != pd.id {
			ids = append(ids, pd.id)
		}
	}

	// What the checks need from the store, in one round trip.
	c := &checks{claimed: map[string]bool{}, owners: make(map[string]int64, len(ids)),
		existing: map[verKey]storedVersion{}, others: map[string]string{}, restricted: map[string][]restricted{},
		present: map[verKey]bool{}, shared: map[string]bool{}, seen: map[int64]bool{}}
	for _, pd := range uniq {
		// A versioned object by the caller is shared: one per id, versioned
		// by its author only. (One naming another member fails below.)
		ref := pd.sub.Object.CreatedByRef
		if pd.ver != 0 && (ref == "" || ref == p.Org.Identity) {
			c.shared[pd.id] = true
		}
	}
	if err := c.load(ctx, tx, me, ids, refs, aud, acc); err != nil {
		return nil, err
	}
	claimed, owners, existing := c.claimed, c.owners, c.existing
	for _, pd := range uniq {
		if name, ok := c.others[pd.sub.Object.CreatedByRef]; ok {
			fail(pd, failure(dragnet.EINVALID, msgImpersonation, name))
		}
	}
	if err := c.checkResharing(ctx, tx, aud, uniq, results, fail); err != nil {
		return nil, err
	}

	var fresh []*pending
	for _, pd := range uniq {
		if results[pd.i].Err != nil {
			continue
		}
		if ev, ok := existing[verKey{pd.id, pd.ver}]; ok {
			if c.shared[pd.id] && owners[pd.id] != me && !c.seen[ev.vid] {
				// Another member's version may be re-published only by a
				// member who can see it; to anyone else the answer is the
				// one for a version that does not exist.
				fail(pd, failure(dragnet.EFORBIDDEN, msgNotAuthor, pd.id))
				continue
			}
			same, err := sameVersion(ctx, tx, ev, pd)
			if err != nil {
				return nil, err
			}
			if !same {
				fail(pd, failure(dragnet.ECONFLICT, msgDifferentContent))
				continue
			}
			pd.vid = ev.vid
			continue
		}
		if c.shared[pd.id] && owners[pd.id] != me {
			fail(pd, failure(dragnet.EFORBIDDEN, msgNotAuthor, pd.id))
			continue
		}
		fresh = append(fresh, pd)
	}
	if err := lockReused(ctx, tx, uniq, fresh, results); err != nil {
		return nil, err
	}
	for _, pd := range fresh {
		pd.owner = owners[pd.id]
	}
	if err := insertVersions(ctx, tx, fresh, fail); err != nil {
		return nil, err
	}

	var ok []*pending
	for _, pd := range uniq {
		if results[pd.i].Err == nil {
			ok = append(ok, pd)
		}
	}
	olds := map[string]bool{}
	var oldIDs []string
	for _, pd := range ok {
		if !claimed[pd.id] && !olds[pd.id] && !c.present[verKey{pd.id, pd.ver}] {
			olds[pd.id] = true
			oldIDs = append(oldIDs, pd.id)
		}
	}
	if err := releaseUnused(ctx, tx, me, claimed, ok); err != nil {
		return nil, err
	}
	sort.Strings(oldIDs)
	if err := lockObjects(ctx, tx, oldIDs); err != nil {
		return nil, err
	}
	var toPublish []*pending
	for _, pd := range ok {
		if !c.present[verKey{pd.id, pd.ver}] {
			toPublish = append(toPublish, pd)
		}
	}
	if err := setFlags(ctx, tx, aud.ID, toPublish, olds); err != nil {
		return nil, err
	}
	for _, pd := range ps {
		if f := pd.dupOf; f != nil {
			results[pd.i] = results[f.i]
			if results[f.i].Err == nil {
				// The same version again: it adds nothing.
				if pd.ver == 0 {
					results[pd.i].Version = time.Time{}
				}
				if f.digest != pd.digest && !sameJSON(f.sub.Object.Raw, pd.sub.Object.Raw) {
					results[pd.i].Err = failure(dragnet.ECONFLICT, msgDifferentContent)
				}
			}
		}
	}
	// Outcomes are final now (an object published before has no new
	// date_added; one with neither modified nor created is recorded in the
	// status without a version).
	if statusID != "" {
		if err := db.resolveStatus(ctx, tx, p, statusID, results); err != nil {
			return nil, err
		}
	}
	nok, nfail := 0, 0
	for _, r := range results {
		if r.Err == nil {
			nok++
		} else {
			nfail++
		}
	}
	if err := db.audit(ctx, tx, &dragnet.AuditEvent{OrgID: me, OrgName: p.Org.Name, TokenID: p.TokenID,
		Action: "objects.add", Target: collectionID, Outcome: "ok", Remote: p.Remote,
		Detail: fmt.Sprintf("%d objects: %d stored or present, %d failed", len(subs), nok, nfail)}); err != nil {
		return nil, err
	}
	// Last before the commit, holding the date_clock row: publishing.
	if _, err := db.insertSubmissions(ctx, tx, aud, me, toPublish); err != nil {
		return nil, err
	}
	for _, pd := range ok {
		if pd.ver == 0 && pd.date != 0 {
			results[pd.i].Version = micros(pd.date)
		}
	}
	return results, nil
}

// releaseUnused gives up ownership claimed by this request for ids none of
// whose versions it stored, so a refused first submission owns nothing.
func releaseUnused(ctx context.Context, tx pgx.Tx, me int64, claimed map[string]bool, ok []*pending) error {
	for _, pd := range ok {
		delete(claimed, pd.id)
	}
	if len(claimed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(claimed))
	for id := range claimed {
		ids = append(ids, id)
	}
	_, err := tx.Exec(ctx, `DELETE FROM objects WHERE id = ANY($1) AND owner = $2`, ids, me)
	return err
}

type storedVersion struct {
	vid    int64
	digest [32]byte
}

// existingVersions reads the stored versions of ids, each of the object
// owned by owners[id].
func existingVersions(ctx context.Context, tx pgx.Tx, ids []string, owners []int64) (map[verKey]storedVersion, error) {
	out := map[verKey]storedVersion{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT v.obj_id, v.version_ns, v.vid, v.digest FROM versions v
		JOIN unnest($1::text[], $2::bigint[]) AS w(id, owner) ON v.obj_id = w.id AND v.owner = w.owner`, ids, owners)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k verKey
		var sv storedVersion
		var d []byte
		if err := rows.Scan(&k.id, &k.ver, &sv.vid, &d); err != nil {
			return nil, err
		}
		copy(sv.digest[:], d)
		out[k] = sv
	}
	return out, rows.Err()
}
