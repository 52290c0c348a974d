package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/dragnet-intel/dragnet"
)

// adder holds what one AddObjects call needs across its objects.
type adder struct {
	w          *wtx
	p          dragnet.Principal
	aud        *dragnet.Audience
	acc        *dragnet.Access
	identities map[string]string // member identity id → organisation name
	audiences  map[int64]*dragnet.Audience
	members    map[int64]map[int64]bool
}

// AddObjects publishes objects into a collection, in one transaction.
//
// The caller must be an organisation with a write or admin role
// (EFORBIDDEN) that can see the collection (ENOTFOUND). Each object then
// succeeds or fails on its own; a failure's Err is an *Error whose message
// says why:
//
//   - TLP comes from object_marking_refs (TLP 1.0 ids count as their 2.0
//     equivalents); conflicting levels fail naming object_marking_refs; an
//     unmarked object takes the collection's default TLP.
//   - TLP:RED may not go to the community collection.
//   - An object that is AMBER, AMBER+STRICT or RED in a collection A the
//     caller can see may go to collection B only if B ⊆ A: B is A, B is
//     the collection of an organisation that can read A, or B is a group
//     all of whose organisations (transitively) can read A.
//   - created_by_ref may name a third party but not another member.
//   - The first organisation to submit an object id authors it; only the
//     author may add another version. Any member may submit an existing
//     version it can see, unchanged, into its own collections; a version it
//     cannot see is to it as one that does not exist. Objects relayed from a
//     third-party author (created_by_ref names no member) are not a
//     member's: any member may add their versions.
//   - (id, version) is unique: the same version with different content
//     fails; the identical version re-submitted to the same collection
//     succeeds and adds nothing.
//   - An SCO or third-party object held by others only in collections the
//     caller cannot see is as if it did not exist: the caller's submission
//     starts an object of its own (see objectFor).
//
// Versions are stored once, whatever the number of collections they are
// published to. Each new submission gets a date_added unique and strictly
// increasing across the store. When statusID is not empty, each object's
// outcome moves from pending to success or failure in that status, in the
// same transaction. One audit record is written per call. The returned
// error is for faults only, and then nothing of the call is kept.
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
	w, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Rollback()
	aud, acc, err := visibleAudience(ctx, w, p, collectionID)
	if err != nil {
		return nil, err
	}
	a := &adder{w: w, p: p, aud: aud, acc: acc, audiences: map[int64]*dragnet.Audience{aud.ID: aud}, members: map[int64]map[int64]bool{}}
	if err := a.loadIdentities(ctx); err != nil {
		return nil, err
	}
	if statusID != "" {
		var org int64
		err := w.queryRow(ctx, `SELECT org_id FROM statuses WHERE id = ?`, statusID).Scan(&org)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && org != p.Org.ID) {
			return nil, dragnet.Errorf(dragnet.ENOTFOUND, "status %q not found", statusID)
		}
		if err != nil {
			return nil, fmt.Errorf("finding status: %w", err)
		}
	}
	prepared, results := a.prepareAll(subs)
	// Objects new to the store and alone in the batch go into multi-row
	// inserts; the rest are stored one by one, in order.
	fresh, err := a.freshIDs(ctx, prepared, results)
	if err != nil {
		return nil, err
	}
	b := &bulk{w: w, objs: make([]bulkObject, 0, len(fresh))}
	dateAdded := make([]int64, len(subs))
	for i := range prepared {
		if results[i].Err != nil {
			continue
		}
		n := prepared[i]
		if fresh[n.id] {
			if dateAdded[i], err = b.add(ctx, n); err != nil {
				return nil, err
			}
			continue
		}
		if err := b.flush(ctx); err != nil {
			return nil, err
		}
		da, err := a.store(ctx, n)
		if err != nil && !isFailure(err) {
			return nil, err
		}
		results[i].Err, dateAdded[i] = err, da
	}
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	failed := 0
	for i := range results {
		r := &results[i]
		if r.Err != nil {
			failed++
		} else if r.Version.IsZero() && dateAdded[i] != 0 {
			r.Version = fromMicros(dateAdded[i])
		}
	}
	if statusID != "" {
		if err := resolvePending(ctx, w, statusID, results); err != nil {
			return nil, err
		}
	}
	if err := appendAudit(ctx, w, &dragnet.AuditEvent{
		Time: db.now(), OrgID: p.Org.ID, OrgName: p.Org.Name, TokenID: p.TokenID, Remote: p.Remote,
		Action: "objects.add", Target: collectionID, Outcome: "ok",
		Detail: fmt.Sprintf("%d objects: %d stored or present, %d failed", len(subs), len(subs)-failed, failed),
	}); err != nil {
		return nil, err
	}
	if err := w.commit(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

func (a *adder) loadIdentities(ctx context.Context) error {
	rows, err := a.w.QueryContext(ctx, `SELECT identity, name FROM orgs`)
	if err != nil {
		return fmt.Errorf("reading member identities: %w", err)
	}
	defer rows.Close()
	a.identities = map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		a.identities[id] = name
	}
	return rows.Err()
}

// prepareAll prepares each submission (see prepare) and fills in the
// result's id and version. The objects are independent of each other and
// of the store, so large calls are split across the processors: the
// writer connection waits for this work, not the other way round.
func (a *adder) prepareAll(subs []*dragnet.Submission) ([]newObject, []dragnet.AddResult) {
	results := make([]dragnet.AddResult, len(subs))
	prepared := make([]newObject, len(subs))
	one := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := subs[i]
			if s != nil && s.Object != nil {
				results[i].ID, results[i].Version = s.Object.ID, s.Object.Version()
			}
			prepared[i], results[i].Err = a.prepare(s)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(subs)/prepareChunk+1)
	if workers < 2 {
		one(0, len(subs))
		return prepared, results
	}
	var wg sync.WaitGroup
	per := (len(subs) + workers - 1) / workers
	for lo := 0; lo < len(subs); lo += per {
		wg.Go(func() { one(lo, min(lo+per, len(subs))) })
	}
	wg.Wait()
	return prepared, results
}

// prepareChunk is the fewest objects worth a goroutine of their own in
// prepareAll.
const prepareChunk = 2048

// prepare applies the checks that need nothing stored: content, version
// range, TLP markings, RED to the community, impersonation.
func (a *adder) prepare(s *dragnet.Submission) (newObject, error) {
	if s == nil || s.Object == nil || s.Object.ID == "" || s.Object.Type == "" || len(s.Object.Raw) == 0 {
		return newObject{}, fail("object has no id, type or content")
	}
	o := s.Object
	vns, err := versionNanos(o.Version())
	if err != nil {
		return newObject{}, fail("%v", err)
	}
	tlp, err := dragnet.TLPOfMarkings(o.ObjectMarkingRefs)
	if err != nil {
		return newObject{}, err
	}
	if tlp == dragnet.TLPNone {
		tlp = a.aud.DefaultTLP
	}
	if tlp == dragnet.TLPRed && a.aud.Kind == dragnet.AudienceCommunity {
		return newObject{}, fail(msgRedCommunity)
	}
	if name, ok := a.identities[o.CreatedByRef]; ok && name != a.p.Org.Name {
		return newObject{}, fail(msgImpersonation, name)
	}
	spec := o.SpecVersion
	if spec == "" {
		spec = "2.1"
	}
	_, byMember := a.identities[o.CreatedByRef]
	n := newObject{
		id: o.ID, typ: o.Type, spec: spec, versionNS: vns, revoked: o.Revoked, validUntil: dragnet.ValidUntilNanos(o),
		raw: o.Raw, audience: a.aud.ID, tlp: tlp, org: a.p.Org.ID, values: s.Values,
		shared: vns != 0 && (o.CreatedByRef == "" || byMember),
	}
	return n, nil
}

// store stores one prepared submission, one statement at a time. It
// returns the new submission's date_added (0 when nothing was added), a
// per-object failure (*dragnet.Error), or a fault. Every check comes
// before the first write, so a failure leaves nothing behind.
func (a *adder) store(ctx context.Context, n newObject) (int64, error) {
	vns := n.versionNS
	oid, owner, shared, err := a.objectFor(ctx, n.id)
	if err != nil {
		return 0, err
	}
	if oid == 0 {
		res, err := a.w.exec(ctx, `INSERT INTO objects (id, type, owner, shared) VALUES (?, ?, ?, ?)`, n.id, n.typ, n.org, n.shared)
		if err != nil {
			return 0, fmt.Errorf("storing object: %w", err)
		}
		if oid, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		return insertVersionAndSubmission(ctx, a.w, oid, n, true, true)
	}

	var vid int64
	var raw []byte
	err = a.w.queryRow(ctx, `SELECT vid, raw FROM versions WHERE oid = ? AND version_ns = ?`, oid, vns).Scan(&vid, &raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		vid = 0
		if shared && owner != a.p.Org.ID {
			return 0, dragnet.Errorf(dragnet.EFORBIDDEN, msgNotAuthor, n.id)
		}
	case err != nil:
		return 0, fmt.Errorf("finding version: %w", err)
	default:
		if shared && owner != a.p.Org.ID {
			// Another member's version may be re-published only by a
			// member who can see it; to anyone else the answer is the one
			// for a version that does not exist, whether it exists or not.
			seen, err := a.canSeeVersion(ctx, vid)
			if err != nil {
				return 0, err
			}
			if !seen {
				return 0, dragnet.Errorf(dragnet.EFORBIDDEN, msgNotAuthor, n.id)
			}
		}
		if !sameJSON(raw, n.raw) {
			return 0, dragnet.Errorf(dragnet.ECONFLICT, msgDifferentContent)
		}
	}
	if vid != 0 {
		var one int
		err := a.w.queryRow(ctx, `SELECT 1 FROM submissions WHERE oid = ? AND audience = ? AND version_ns = ?`, oid, a.aud.ID, vns).Scan(&one)
		if err == nil {
			return 0, nil // already published here: nothing to add
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("finding submission: %w", err)
		}
	}
	if err := a.checkResharing(ctx, oid); err != nil {
		return 0, err
	}

	// First and latest flags within this audience.
	var lo, hi sql.NullInt64
	if err := a.w.queryRow(ctx, `SELECT min(version_ns), max(version_ns) FROM submissions WHERE oid = ? AND audience = ?`, oid, a.aud.ID).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("finding versions: %w", err)
	}
	first, latest := !lo.Valid || vns < lo.Int64, !hi.Valid || vns > hi.Int64
	if lo.Valid && first {
		if _, err := a.w.exec(ctx, `UPDATE submissions SET first = 0 WHERE oid = ? AND audience = ? AND first = 1`, oid, a.aud.ID); err != nil {
			return 0, fmt.Errorf("updating first version: %w", err)
		}
	}
	if hi.Valid && latest {
		if _, err := a.w.exec(ctx, `UPDATE submissions SET latest = 0 WHERE oid = ? AND audience = ? AND latest = 1`, oid, a.aud.ID); err != nil {
			return 0, fmt.Errorf("updating latest version: %w", err)
		}
	}
	if vid == 0 {
		return insertVersionAndSubmission(ctx, a.w, oid, n, first, latest)
	}
	for _, v := range n.values {
		if _, err := a.w.exec(ctx, `INSERT OR IGNORE INTO obj_values (vid, kind, value) VALUES (?, ?, ?)`, vid, string(v.Kind), v.Value); err != nil {
			return 0, fmt.Errorf("indexing values: %w", err)
		}
	}
	return insertSubmission(ctx, a.w, oid, vid, n, first, latest)
}

// objectFor chooses the stored object a submission of id belongs to, and
// reports whether it is shared.
//
// A shared object (versioned, authored by a member) is one per id across
// the store, so that no member can put out what looks like a new version
// or a revocation of another member's object: only its author adds
// versions. Its id is random, so refusing another member says something
// only about ids the caller already learned.
//
// Any other object (an SCO, whose id anyone can compute from its value, or
// an object relayed from a third-party author such as MITRE ATT&CK, which
// every member may relay, newer versions included) must not tell a caller
// whether another member holds it where the caller cannot see: the object
// is chosen by dragnet.ChooseHolding, in the order the objects were
// stored, and oid 0 means none (the caller's submission starts its own).
func (a *adder) objectFor(ctx context.Context, id string) (oid, owner int64, shared bool, err error) {
	rows, err := a.w.QueryContext(ctx, `SELECT o.oid, o.owner, o.shared, s.audience FROM objects o LEFT JOIN submissions s ON s.oid = o.oid WHERE o.id = ? ORDER BY o.oid`, id)
	if err != nil {
		return 0, 0, false, fmt.Errorf("finding object: %w", err)
	}
	defer rows.Close()
	var hs []dragnet.Holding
	for rows.Next() {
		var h dragnet.Holding
		var sh bool
		var aud sql.NullInt64
		if err := rows.Scan(&h.Key, &h.Owner, &sh, &aud); err != nil {
			return 0, 0, false, err
		}
		if sh {
			oid, owner, shared = h.Key, h.Owner, true
		}
		h.Audience = aud.Int64
		hs = append(hs, h)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, false, fmt.Errorf("finding object: %w", err)
	}
	if shared {
		return oid, owner, true, nil
	}
	if i := dragnet.ChooseHolding(hs, a.aud.ID, a.p.Org.ID, a.acc); i >= 0 {
		return hs[i].Key, hs[i].Owner, false, nil
	}
	return 0, 0, false, nil
}

// canSeeVersion reports whether the version is published in a collection
// the caller can see.
func (a *adder) canSeeVersion(ctx context.Context, vid int64) (bool, error) {
	rows, err := a.w.QueryContext(ctx, `SELECT audience FROM submissions WHERE vid = ?`, vid)
	if err != nil {
		return false, fmt.Errorf("finding version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var aud int64
		if err := rows.Scan(&aud); err != nil {
			return false, err
		}
		if a.acc.CanSee(aud) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// checkResharing refuses to publish an object into a.aud when it is
// AMBER, AMBER+STRICT or RED in a collection the caller can see that does
// not include all of a.aud's readers.
func (a *adder) checkResharing(ctx context.Context, oid int64) error {
	rows, err := a.w.QueryContext(ctx, `SELECT audience, max(tlp) FROM submissions WHERE oid = ? AND audience != ? GROUP BY audience HAVING max(tlp) >= ?`,
		oid, a.aud.ID, int(dragnet.TLPAmber))
	if err != nil {
		return fmt.Errorf("checking re-sharing: %w", err)
	}
	type held struct {
		aud int64
		tlp dragnet.TLP
	}
	var hs []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.aud, &h.tlp); err != nil {
			rows.Close()
			return err
		}
		if a.acc.CanSee(h.aud) {
			hs = append(hs, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range hs {
		wider, err := a.aud2(ctx, h.aud)
		if err != nil {
			return err
		}
		ok, err := a.within(ctx, a.aud, wider)
		if err != nil {
			return err
		}
		if !ok {
			return dragnet.Errorf(dragnet.EFORBIDDEN,
				"object is %s in collection %q and may not be re-published to %q, which reaches beyond it",
				h.tlp.Label(), wider.Title, a.aud.Title)
		}
	}
	return nil
}

func (a *adder) aud2(ctx context.Context, id int64) (*dragnet.Audience, error) {
	if x, ok := a.audiences[id]; ok {
		return x, nil
	}
	x, err := scanAudience(a.w.QueryRowContext(ctx, `SELECT `+audienceCols+` FROM audiences WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("reading audience: %w", err)
	}
	a.audiences[id] = x
	return x, nil
}

func (a *adder) readers(ctx context.Context, x *dragnet.Audience) (map[int64]bool, error) {
	if m, ok := a.members[x.ID]; ok {
		return m, nil
	}
	m, err := memberOrgs(ctx, a.w, x)
	if err != nil {
		return nil, err
	}
	a.members[x.ID] = m
	return m, nil
}

// within reports whether every reader of b is a reader of outer (b ⊆ outer).
func (a *adder) within(ctx context.Context, b, outer *dragnet.Audience) (bool, error) {
	if b.ID == outer.ID || outer.Kind == dragnet.AudienceCommunity {
		return true, nil
	}
	if b.Kind == dragnet.AudienceCommunity {
		return false, nil
	}
	inner, err := a.readers(ctx, b)
	if err != nil {
		return false, err
	}
	out, err := a.readers(ctx, outer)
	if err != nil {
		return false, err
	}
	for org := range inner {
		if !out[org] {
			return false, nil
		}
	}
	return true, nil
}
