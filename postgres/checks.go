package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// checks is what AddObjects's per-object rules need from the store,
// fetched in one pipelined round trip.
type checks struct {
	claimed    map[string]bool          // ids this request now owns, being new
	owners     map[string]int64         // every id's owner: the object the request's versions belong to
	shared     map[string]bool          // ids of shared objects: one per id, versioned by its author only (see chooseOwners)
	existing   map[verKey]storedVersion // stored versions of the ids
	others     map[string]string        // identity id → name, of members other than the caller
	restricted map[string][]restricted  // id → its AMBER-or-stricter publications the caller can see elsewhere
	present    map[verKey]bool          // versions already published to the target audience
	seen       map[int64]bool           // stored versions (vid) published where the caller can see them
}

// restricted is an object's publication at AMBER or stricter in another
// audience.
type restricted struct {
	tlp dragnet.TLP
	a   *dragnet.Audience
}

// load claims the ids nobody owns yet for the caller and reads what the
// rules need about the others. Ids new to the store can have no versions
// or publications, so for a request of new objects this is one round trip.
func (c *checks) load(ctx context.Context, tx pgx.Tx, me int64, ids, refs []string, aud *dragnet.Audience, acc *dragnet.Access) error {
	b := &pgx.Batch{}
	if len(refs) > 0 {
		b.Queue(`SELECT identity, name FROM orgs WHERE identity = ANY($1) AND id <> $2`, refs, me).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var ident, name string
				if err := rows.Scan(&ident, &name); err != nil {
					return err
				}
				c.others[ident] = name
			}
			return rows.Err()
		})
	}
	var sids, lids []string // ids submitted as shared objects, and the others
	for _, id := range ids {
		if c.shared[id] {
			sids = append(sids, id)
		} else {
			lids = append(lids, id)
		}
	}
	if len(sids) > 0 {
		// The SELECT sees objects as they were when the statement began:
		// the owners of ids that existed; RETURNING names those claimed.
		// An id already held as a not-shared object stays one.
		b.Queue(`WITH claim AS (
				INSERT INTO objects (id, owner, shared)
				SELECT u.id, $2, true FROM unnest($1::text[]) AS u(id)
				WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.id = u.id AND NOT o.shared)
				ON CONFLICT DO NOTHING RETURNING id
			)
			SELECT id, $2::bigint, true FROM claim
			UNION ALL
			SELECT id, owner, false FROM objects WHERE id = ANY($1) AND shared`, sids, me).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var owner int64
				var claimed bool
				if err := rows.Scan(&id, &owner, &claimed); err != nil {
					return err
				}
				c.owners[id] = owner
				if claimed {
					c.claimed[id] = true
				}
			}
			return rows.Err()
		})
	}
	if len(lids) > 0 {
		// An id held as a shared object stays one.
		b.Queue(`SELECT id, owner FROM objects WHERE id = ANY($1) AND shared`, lids).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var owner int64
				if err := rows.Scan(&id, &owner); err != nil {
					return err
				}
				c.owners[id] = owner
				c.shared[id] = true
			}
			return rows.Err()
		})
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
	}
	// Who holds the ids not just claimed as shared objects, where: an id
	// held as a not-shared object is decided by that (chooseOwners). Ids
	// claimed here have no other holders, so a request of new indicators
	// skips this query.
	var need []string
	for _, id := range ids {
		if !c.claimed[id] {
			need = append(need, id)
		}
	}
	var holders []holder
	if len(need) > 0 {
		rows, err := tx.Query(ctx, `SELECT o.id, o.owner, s.audience_id FROM objects o
			LEFT JOIN versions v ON v.obj_id = o.id AND v.owner = o.owner
			LEFT JOIN submissions s ON s.vid = v.vid
			WHERE o.id = ANY($1) AND NOT o.shared
			ORDER BY o.id, o.owner`, need)
		if err != nil {
			return err
		}
		for rows.Next() {
			var h holder
			var a *int64
			if err := rows.Scan(&h.id, &h.owner, &a); err != nil {
				rows.Close()
				return err
			}
			if a != nil {
				h.audience = *a
			}
			holders = append(holders, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var held []string
	isHeld := map[string]bool{}
	for _, h := range holders {
		if !isHeld[h.id] {
			isHeld[h.id] = true
			held = append(held, h.id)
			c.shared[h.id] = false
			delete(c.owners, h.id)
		}
	}
	for _, id := range lids {
		if !c.shared[id] && !isHeld[id] {
			held = append(held, id) // new: claimed below
		}
	}
	if err := c.chooseOwners(ctx, tx, me, held, holders, aud, acc); err != nil {
		return err
	}
	var olds []string
	for _, id := range ids {
		if !c.claimed[id] {
			olds = append(olds, id)
		}
	}
	if len(olds) == 0 {
		return nil
	}
	b = &pgx.Batch{}
	// Owners of ids another transaction claimed while this one's INSERT
	// waited for it: committed now, so this statement sees them.
	b.Queue(`SELECT id, owner FROM objects WHERE id = ANY($1) AND shared`, olds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var owner int64
			if err := rows.Scan(&id, &owner); err != nil {
				return err
			}
			if !c.shared[id] {
				continue
			}
			c.owners[id] = owner
		}
		return rows.Err()
	})
	b.Queue(`SELECT obj_id, version_ns, vid, digest, owner FROM versions WHERE obj_id = ANY($1)`, olds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k verKey
			var sv storedVersion
			var d []byte
			var owner int64
			if err := rows.Scan(&k.id, &k.ver, &sv.vid, &d, &owner); err != nil {
				return err
			}
			if owner != c.owners[k.id] {
				continue // another organisation's object under this id
			}
			copy(sv.digest[:], d)
			c.existing[k] = sv
		}
		return rows.Err()
	})
	b.Queue(`SELECT DISTINCT vid FROM submissions WHERE obj_id = ANY($1) AND audience_id = ANY($2)`, olds, acc.Audiences).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var vid int64
			if err := rows.Scan(&vid); err != nil {
				return err
			}
			c.seen[vid] = true
		}
		return rows.Err()
	})
	b.Queue(`SELECT obj_id, version_ns FROM submissions WHERE audience_id = $1 AND obj_id = ANY($2)`, aud.ID, olds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k verKey
			if err := rows.Scan(&k.id, &k.ver); err != nil {
				return err
			}
			c.present[k] = true
		}
		return rows.Err()
	})
	b.Queue(`SELECT DISTINCT s.obj_id, s.tlp, a.id, a.kind, a.ref_id, a.collection_id, a.title, a.default_tlp, v.owner
		FROM submissions s JOIN audiences a ON a.id = s.audience_id JOIN versions v ON v.vid = s.vid
		WHERE s.obj_id = ANY($1) AND s.tlp >= $2 AND s.audience_id <> $3 AND s.audience_id = ANY($4)
		ORDER BY s.obj_id, a.id, s.tlp DESC`, olds, int(dragnet.TLPAmber), aud.ID, acc.Audiences).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id, kind string
			var tlp, dt int16
			var a dragnet.Audience
			var owner int64
			if err := rows.Scan(&id, &tlp, &a.ID, &kind, &a.RefID, &a.CollectionID, &a.Title, &dt, &owner); err != nil {
				return err
			}
			if owner != c.owners[id] {
				continue
			}
			a.Kind, a.DefaultTLP = dragnet.AudienceKind(kind), dragnet.TLP(dt)
			c.restricted[id] = append(c.restricted[id], restricted{dragnet.TLP(tlp), &a})
		}
		return rows.Err()
	})
	return tx.SendBatch(ctx, b).Close()
}

// checkResharing fails objects already published AMBER or stricter to an
// audience the caller can see that does not include every reader of aud.
// A version already published to aud is not checked again: re-submitting
// it adds nothing.
func (c *checks) checkResharing(ctx context.Context, tx pgx.Tx, aud *dragnet.Audience, ps []*pending, results []dragnet.AddResult, fail func(*pending, error)) error {
	within := map[int64]bool{}
	for _, pd := range ps {
		if results[pd.i].Err != nil || c.present[verKey{pd.id, pd.ver}] {
			continue
		}
		for _, r := range c.restricted[pd.id] {
			in, seen := within[r.a.ID]
			if !seen {
				var err error
				if in, err = audienceWithin(ctx, tx, aud, r.a); err != nil {
					return err
				}
				within[r.a.ID] = in
			}
			if !in {
				fail(pd, failure(dragnet.EFORBIDDEN, "object is %s in collection %q and may not be re-published to %q, which reaches beyond it",
					r.tlp.Label(), r.a.Title, aud.Title))
				break
			}
		}
	}
	return nil
}

// holder is an object without versions held by an organisation, and one
// audience it is published to (0: none).
type holder struct {
	id       string
	owner    int64
	audience int64
}

// chooseOwners decides, for each id of an object that is not shared (an
// SCO, whose id anyone can compute from its value, or an object relayed
// from a third-party author, which any member may relay and version), whose
// object the request's submission belongs to (dragnet.ChooseHolding, the
// holders in owner order); where none, it claims a new object of the
// caller's.
func (c *checks) chooseOwners(ctx context.Context, tx pgx.Tx, me int64, lids []string, holders []holder, aud *dragnet.Audience, acc *dragnet.Access) error {
	if len(lids) == 0 {
		return nil
	}
	byID := map[string][]dragnet.Holding{}
	for _, h := range holders {
		byID[h.id] = append(byID[h.id], dragnet.Holding{Key: h.owner, Owner: h.owner, Audience: h.audience})
	}
	var claim []string
	for _, id := range lids {
		hs := byID[id]
		if i := dragnet.ChooseHolding(hs, aud.ID, me, acc); i >= 0 {
			c.owners[id] = hs[i].Owner
		} else {
			claim = append(claim, id)
		}
	}
	if len(claim) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO objects (id, owner, shared) SELECT unnest($1::text[]), $2, false
		ON CONFLICT DO NOTHING RETURNING id`, claim, me)
	if err != nil {
		return err
	}
	defer rows.Close()
	for _, id := range claim {
		c.owners[id] = me // claimed now, or by a concurrent request of the caller's
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		c.claimed[id] = true
	}
	return rows.Err()
}
