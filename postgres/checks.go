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
	owners     map[string]int64         // every id's owner
	existing   map[verKey]storedVersion // stored versions of the ids
	others     map[string]string        // identity id → name, of members other than the caller
	restricted map[string][]restricted  // id → its AMBER-or-stricter publications the caller can see elsewhere
	present    map[verKey]bool          // versions already published to the target audience
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
	if len(ids) > 0 {
		// The SELECT sees objects as they were when the statement began:
		// the owners of ids that existed; RETURNING names those claimed.
		b.Queue(`WITH claim AS (
				INSERT INTO objects (id, owner) SELECT unnest($1::text[]), $2
				ON CONFLICT DO NOTHING RETURNING id
			)
			SELECT id, $2::bigint, true FROM claim
			UNION ALL
			SELECT id, owner, false FROM objects WHERE id = ANY($1)`, ids, me).Query(func(rows pgx.Rows) error {
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
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
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
	b.Queue(`SELECT id, owner FROM objects WHERE id = ANY($1)`, olds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var owner int64
			if err := rows.Scan(&id, &owner); err != nil {
				return err
			}
			c.owners[id] = owner
		}
		return rows.Err()
	})
	b.Queue(`SELECT obj_id, version_ns, vid, digest FROM versions WHERE obj_id = ANY($1)`, olds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k verKey
			var sv storedVersion
			var d []byte
			if err := rows.Scan(&k.id, &k.ver, &sv.vid, &d); err != nil {
				return err
			}
			copy(sv.digest[:], d)
			c.existing[k] = sv
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
	b.Queue(`SELECT DISTINCT s.obj_id, s.tlp, a.id, a.kind, a.ref_id, a.collection_id, a.title, a.default_tlp
		FROM submissions s JOIN audiences a ON a.id = s.audience_id
		WHERE s.obj_id = ANY($1) AND s.tlp >= $2 AND s.audience_id <> $3 AND s.audience_id = ANY($4)
		ORDER BY s.obj_id, a.id, s.tlp DESC`, olds, int(dragnet.TLPAmber), aud.ID, acc.Audiences).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id, kind string
			var tlp, dt int16
			var a dragnet.Audience
			if err := rows.Scan(&id, &tlp, &a.ID, &kind, &a.RefID, &a.CollectionID, &a.Title, &dt); err != nil {
				return err
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
