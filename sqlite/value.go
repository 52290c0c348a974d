package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"

	"github.com/dragnet-intel/dragnet"
)

// ValueRefs returns the submissions carrying v (any version) in the
// audiences of the caller's Access, oldest first. The system principal,
// whose Access is empty, gets none.
func (db *DB) ValueRefs(ctx context.Context, v dragnet.Value) ([]*dragnet.ValueRef, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := access(ctx, db.rd, p)
	if err != nil {
		return nil, err
	}
	out := []*dragnet.ValueRef{}
	if len(acc.Audiences) == 0 {
		return out, nil
	}
	args := []any{string(v.Kind), v.Value}
	for _, a := range acc.Audiences {
		args = append(args, a)
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT o.id, o.type, s.version_ns, s.audience, s.tlp, s.org_id, s.date_added
		FROM obj_values ov
		JOIN versions ver ON ver.vid = ov.vid
		JOIN submissions s ON s.oid = ver.oid AND s.version_ns = ver.version_ns
		JOIN objects o ON o.oid = s.oid
		WHERE ov.kind = ? AND ov.value = ? AND s.audience IN (`+placeholders(len(acc.Audiences))+`)
		ORDER BY s.date_added`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading value index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &dragnet.ValueRef{Value: v}
		var vns, da int64
		var tlp int
		if err := rows.Scan(&r.ObjectID, &r.Type, &vns, &r.AudienceID, &tlp, &r.OrgID, &da); err != nil {
			return nil, err
		}
		r.TLP, r.DateAdded = dragnet.TLP(tlp), fromMicros(da)
		r.Version = fromNanos(vns)
		if vns == 0 {
			r.Version = r.DateAdded
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// valueEntryCols are the columns scanEntry reads, from submissions s
// joined by valueEntryJoins.
const valueEntryCols = `ov.kind, ov.value, o.id, o.type, s.version_ns, s.audience, s.tlp, s.org_id, s.date_added, v.revoked, v.valid_until,
		CASE WHEN o.type = 'indicator' THEN CAST(v.raw AS TEXT) END`

const valueEntryJoins = `JOIN obj_values ov ON ov.vid = s.vid
	JOIN versions v ON v.vid = s.vid
	JOIN objects o ON o.oid = s.oid`

// valueEntryQuery selects the value entries of current (latest)
// submissions.
const valueEntryQuery = `SELECT ` + valueEntryCols + `
	FROM submissions s
	` + valueEntryJoins + `
	WHERE s.latest = 1`

// valueEntriesOf selects the value entries of the current submissions of
// the (oid, audience) pairs given as one JSON array of [oid, audience].
const valueEntriesOf = `SELECT ` + valueEntryCols + `
	FROM json_each(?) j
	CROSS JOIN submissions s ON s.oid = j.value->>0 AND s.audience = j.value->>1 AND s.latest = 1
	` + valueEntryJoins

func scanEntry(rows *sql.Rows) (*dragnet.ValueEntry, error) {
	e := &dragnet.ValueEntry{}
	var kind string
	var vns, da, until int64
	var tlp int
	var ind sql.NullString
	if err := rows.Scan(&kind, &e.Value.Value, &e.ObjectID, &e.Type, &vns, &e.AudienceID, &tlp, &e.OrgID, &da, &e.Revoked, &until, &ind); err != nil {
		return nil, fmt.Errorf("reading value index: %w", err)
	}
	if ind.Valid {
		e.Confidence, e.ValidFrom, _ = dragnet.IndicatorTerms(ind.String)
	}
	e.Value.Kind = dragnet.ValueKind(kind)
	e.TLP, e.DateAdded, e.ValidUntil = dragnet.TLP(tlp), fromMicros(da), fromNanos(until)
	e.Version = fromNanos(vns)
	if vns == 0 {
		e.Version = e.DateAdded
	}
	return e, nil
}

func system(ctx context.Context) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if !p.System {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "only the system may scan the value index")
	}
	return nil
}

// ScanValues calls fn for every value of the current version of every
// object in every audience, from one snapshot, and returns the cursor for
// ValueChanges. Only the system principal may call it (EFORBIDDEN).
func (db *DB) ScanValues(ctx context.Context, fn func(*dragnet.ValueEntry) error) (int64, error) {
	if err := system(ctx); err != nil {
		return 0, err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("scanning values: %w", err)
	}
	defer tx.Rollback()
	var cursor int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'date_added'`).Scan(&cursor); err != nil {
		return 0, fmt.Errorf("scanning values: %w", err)
	}
	rows, err := tx.QueryContext(ctx, valueEntryQuery)
	if err != nil {
		return 0, fmt.Errorf("scanning values: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return 0, err
		}
		if err := fn(e); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("scanning values: %w", err)
	}
	return cursor, nil
}

// ValueChanges returns up to limit changes after cursor, oldest first:
// each names an (object, audience) whose current values changed (a new
// newest version, or a removal) and carries its current entries as of
// now. The returned cursor is the last change's Seq, or cursor itself
// when there is none. Only the system principal may call it.
func (db *DB) ValueChanges(ctx context.Context, cursor int64, limit int) ([]*dragnet.ValueChange, int64, error) {
	if err := system(ctx); err != nil {
		return nil, cursor, err
	}
	if limit <= 0 {
		limit = 1000
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, cursor, fmt.Errorf("reading value changes: %w", err)
	}
	defer tx.Rollback()
	type change struct{ seq, oid, aud int64 }
	var cs []change
	for _, q := range []string{
		`SELECT date_added, oid, audience FROM submissions WHERE date_added > ? AND latest = 1 ORDER BY date_added LIMIT ?`,
		`SELECT seq, oid, audience FROM removals WHERE seq > ? ORDER BY seq LIMIT ?`,
	} {
		rows, err := tx.QueryContext(ctx, q, cursor, limit)
		if err != nil {
			return nil, cursor, fmt.Errorf("reading value changes: %w", err)
		}
		for rows.Next() {
			var c change
			if err := rows.Scan(&c.seq, &c.oid, &c.aud); err != nil {
				rows.Close()
				return nil, cursor, err
			}
			cs = append(cs, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, cursor, err
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	if len(cs) > limit {
		cs = cs[:limit]
	}
	// The page's object ids and current entries come in two queries, not
	// two per change: a writer's batch can be a million changes.
	type pair struct{ oid, aud int64 }
	ids := map[int64]string{}
	seen := map[pair]bool{}
	var oids, pairs []byte
	oids, pairs = append(oids, '['), append(pairs, '[')
	for _, c := range cs {
		p := pair{c.oid, c.aud}
		if seen[p] {
			continue
		}
		seen[p] = true
		if len(pairs) > 1 {
			pairs = append(pairs, ',')
		}
		pairs = fmt.Appendf(pairs, "[%d,%d]", c.oid, c.aud)
		if _, ok := ids[c.oid]; !ok {
			ids[c.oid] = ""
			if len(oids) > 1 {
				oids = append(oids, ',')
			}
			oids = strconv.AppendInt(oids, c.oid, 10)
		}
	}
	oids, pairs = append(oids, ']'), append(pairs, ']')
	rows, err := tx.QueryContext(ctx, `SELECT o.oid, o.id FROM json_each(?) j CROSS JOIN objects o ON o.oid = j.value`, string(oids))
	if err != nil {
		return nil, cursor, fmt.Errorf("reading value changes: %w", err)
	}
	for rows.Next() {
		var oid int64
		var id string
		if err := rows.Scan(&oid, &id); err != nil {
			rows.Close()
			return nil, cursor, err
		}
		ids[oid] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading value changes: %w", err)
	}
	for oid, id := range ids {
		if id == "" {
			return nil, cursor, fmt.Errorf("reading value changes: object %d not found", oid)
		}
	}
	// An id names one object per audience (objects relayed by several
	// holders share an id across audiences), so (id, audience) finds the
	// change an entry belongs to.
	type key struct {
		id  string
		aud int64
	}
	current := map[key][]*dragnet.ValueEntry{}
	if rows, err = tx.QueryContext(ctx, valueEntriesOf, string(pairs)); err != nil {
		return nil, cursor, fmt.Errorf("reading value changes: %w", err)
	}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return nil, cursor, err
		}
		k := key{e.ObjectID, e.AudienceID}
		current[k] = append(current[k], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading value changes: %w", err)
	}
	out := make([]*dragnet.ValueChange, 0, len(cs))
	for _, c := range cs {
		es := current[key{ids[c.oid], c.aud}]
		vc := &dragnet.ValueChange{Seq: c.seq, ObjectID: ids[c.oid], AudienceID: c.aud, Entries: make([]*dragnet.ValueEntry, 0, len(es))}
		for _, e := range es {
			cp := *e
			vc.Entries = append(vc.Entries, &cp)
		}
		out = append(out, vc)
		cursor = c.seq
	}
	return out, cursor, nil
}
