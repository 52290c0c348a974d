package postgres

import (
	"context"
	"sort"

	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ValueScanner = (*DB)(nil)

// system checks that the caller is the system principal.
func system(ctx context.Context) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if !p.System {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "only the system may scan every audience")
	}
	return nil
}

// entriesSQL selects the values of the current (newest) version of each
// object in each audience; callers add conditions on s.
const entriesSQL = `SELECT ov.kind, ov.value, s.obj_id, s.type, s.version_ns, s.audience_id, s.tlp, s.submitter,
		s.revoked, v.valid_until_ns, s.date_added,
		CASE WHEN s.type = 'indicator' THEN convert_from(v.raw, 'UTF8') END
	FROM submissions s JOIN versions v ON v.vid = s.vid JOIN obj_values ov ON ov.vid = s.vid
	WHERE s.latest`

func scanEntry(rows pgx.Rows) (*dragnet.ValueEntry, error) {
	var e dragnet.ValueEntry
	var kind string
	var ver, until, date int64
	var tlp int16
	var ind *string
	if err := rows.Scan(&kind, &e.Value.Value, &e.ObjectID, &e.Type, &ver, &e.AudienceID, &tlp, &e.OrgID,
		&e.Revoked, &until, &date, &ind); err != nil {
		return nil, err
	}
	if ind != nil {
		e.Confidence, e.ValidFrom, _ = dragnet.IndicatorTerms(*ind)
	}
	e.Value.Kind = dragnet.ValueKind(kind)
	e.Version, e.DateAdded, e.TLP = versionTime(ver, date), micros(date), dragnet.TLP(tlp)
	if until != 0 {
		e.ValidUntil = time.Unix(0, until).UTC()
	}
	return &e, nil
}

// snapshot runs fn in a read-only transaction that sees one snapshot.
func (db *DB) snapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// ScanValues calls fn for every value of the current version of every
// object in every audience, from one snapshot, and returns the cursor from
// which ValueChanges continues: the last date_added the snapshot holds.
// Dates are allocated in commit order (see the package comment), so every
// change after the snapshot has a greater one. System principal only.
func (db *DB) ScanValues(ctx context.Context, fn func(*dragnet.ValueEntry) error) (int64, error) {
	if err := system(ctx); err != nil {
		return 0, err
	}
	var cursor int64
	err := db.snapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT last FROM date_clock`).Scan(&cursor); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, entriesSQL)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, wrap("scanning values", err)
	}
	return cursor, nil
}

type objAud struct {
	obj string
	aud int64
}

// ValueChanges returns up to limit changes made after cursor, oldest
// first, and the cursor to pass next time: one per (object, audience)
// published to or removed from, with the values of its current version in
// that audience now. limit <= 0 means 1000. System principal only.
func (db *DB) ValueChanges(ctx context.Context, cursor int64, limit int) ([]*dragnet.ValueChange, int64, error) {
	if err := system(ctx); err != nil {
		return nil, cursor, err
	}
	if limit <= 0 {
		limit = 1000
	}
	var out []*dragnet.ValueChange
	next := cursor
	err := db.snapshot(ctx, func(tx pgx.Tx) error {
		out, next = nil, cursor
		rows, err := tx.Query(ctx, `SELECT seq, obj_id, audience_id FROM (
				SELECT date_added AS seq, obj_id, audience_id FROM submissions WHERE date_added > $1
				UNION ALL
				SELECT seq, obj_id, audience_id FROM removals WHERE seq > $1
			) c ORDER BY seq LIMIT $2`, cursor, limit)
		if err != nil {
			return err
		}
		byPair := map[objAud]*dragnet.ValueChange{}
		for rows.Next() {
			var seq int64
			var k objAud
			if err := rows.Scan(&seq, &k.obj, &k.aud); err != nil {
				rows.Close()
				return err
			}
			next = seq
			if c, ok := byPair[k]; ok {
				c.Seq = seq
				continue
			}
			c := &dragnet.ValueChange{Seq: seq, ObjectID: k.obj, AudienceID: k.aud}
			byPair[k] = c
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(out) == 0 {
			return err
		}
		objs, auds := make([]string, len(out)), make([]int64, len(out))
		for i, c := range out {
			objs[i], auds[i] = c.ObjectID, c.AudienceID
		}
		rows, err = tx.Query(ctx, entriesSQL+` AND (s.obj_id, s.audience_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`, objs, auds)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			if c := byPair[objAud{e.ObjectID, e.AudienceID}]; c != nil {
				c.Entries = append(c.Entries, e)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, cursor, wrap("reading value changes", err)
	}
	// Deduplicated changes keep the newest seq; keep them in that order.
	sortChanges(out)
	return out, next, nil
}

func sortChanges(cs []*dragnet.ValueChange) {
	sort.Slice(cs, func(a, b int) bool { return cs[a].Seq < cs[b].Seq })
}

var _ dragnet.ObjectScanner = (*DB)(nil)

// selectCurrent selects what scanCurrent reads: a submission with its
// version (aliases s and v), for the caller to filter and order.
const selectCurrent = `SELECT s.date_added, s.obj_id, s.type, s.spec_version, s.version_ns, s.revoked,
		s.audience_id, s.tlp, s.submitter, v.raw
	FROM submissions s JOIN versions v ON v.vid = s.vid`

// scanCurrent reads one row of selectCurrent, Raw included.
func scanCurrent(row pgx.Row) (*dragnet.StoredObject, error) {
	var o dragnet.StoredObject
	var date, ver int64
	var tlp int16
	if err := row.Scan(&date, &o.ID, &o.Type, &o.SpecVersion, &ver, &o.Revoked, &o.AudienceID, &tlp, &o.Submitter, &o.Raw); err != nil {
		return nil, err
	}
	o.DateAdded, o.Version, o.TLP = micros(date), versionTime(ver, date), dragnet.TLP(tlp)
	return &o, nil
}

// ScanObjects calls fn for the current (newest) version of every object in
// every audience, Raw included, in date_added order, from one snapshot.
// System principal only.
func (db *DB) ScanObjects(ctx context.Context, fn func(*dragnet.StoredObject) error) error {
	if err := system(ctx); err != nil {
		return err
	}
	return wrap("scanning objects", db.snapshot(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, selectCurrent+`
			WHERE s.latest
			ORDER BY s.date_added`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanCurrent(rows)
			if err != nil {
				return err
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		return rows.Err()
	}))
}
