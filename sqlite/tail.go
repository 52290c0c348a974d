package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ObjectTail = (*DB)(nil)

// ObjectsAfter implements dragnet.ObjectTail. date_added values are
// allocated under the write lock (see wtx), so no later read can find an
// object added before the cursor it was given.
func (db *DB) ObjectsAfter(ctx context.Context, cursor int64, limit int) ([]*dragnet.StoredObject, int64, error) {
	if err := system(ctx); err != nil {
		return nil, cursor, err
	}
	if cursor < 0 {
		err := db.rd.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'date_added'`).Scan(&cursor)
		if err != nil {
			return nil, 0, fmt.Errorf("reading the date_added counter: %w", err)
		}
		return nil, cursor, nil
	}
	if limit <= 0 {
		limit = 1000
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, cursor, fmt.Errorf("reading new objects: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.type, v.spec_version, s.version_ns, v.revoked, s.date_added, s.audience, s.tlp, s.org_id, v.raw
		FROM submissions s
		JOIN versions v ON v.vid = s.vid
		JOIN objects o ON o.oid = s.oid
		WHERE s.date_added > ? AND s.latest = 1
		ORDER BY s.date_added LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, cursor, fmt.Errorf("reading new objects: %w", err)
	}
	defer rows.Close()
	var out []*dragnet.StoredObject
	for rows.Next() {
		o := &dragnet.StoredObject{}
		var vns, da int64
		var tlp int
		var raw []byte
		if err := rows.Scan(&o.ID, &o.Type, &o.SpecVersion, &vns, &o.Revoked, &da, &o.AudienceID, &tlp, &o.Submitter, &raw); err != nil {
			return nil, cursor, fmt.Errorf("reading new objects: %w", err)
		}
		o.TLP, o.DateAdded, o.Raw = dragnet.TLP(tlp), fromMicros(da), json.RawMessage(raw)
		o.Version = fromNanos(vns)
		if vns == 0 {
			o.Version = o.DateAdded
		}
		out = append(out, o)
		cursor = da
	}
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading new objects: %w", err)
	}
	return out, cursor, nil
}
