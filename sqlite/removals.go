package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.RemovalTail = (*DB)(nil)

// RemovalsAfter implements dragnet.RemovalTail from the removals table,
// whose seq comes from the date_added counter under the write lock: the
// counter read in the same snapshot bounds what a later read can find.
func (db *DB) RemovalsAfter(ctx context.Context, cursor int64, limit int) ([]*dragnet.Removal, int64, error) {
	if err := system(ctx); err != nil {
		return nil, cursor, err
	}
	if cursor < 0 {
		return nil, cursor, dragnet.Errorf(dragnet.EINVALID, "removals cursor %d is negative", cursor)
	}
	if limit <= 0 {
		limit = 1000
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, cursor, fmt.Errorf("reading removals: %w", err)
	}
	defer tx.Rollback()
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'date_added'`).Scan(&head); err != nil {
		return nil, cursor, fmt.Errorf("reading the date_added counter: %w", err)
	}
	type removal struct{ seq, oid, aud int64 }
	var rs []removal
	rows, err := tx.QueryContext(ctx, `SELECT seq, oid, audience FROM removals WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, cursor, fmt.Errorf("reading removals: %w", err)
	}
	for rows.Next() {
		var r removal
		if err := rows.Scan(&r.seq, &r.oid, &r.aud); err != nil {
			rows.Close()
			return nil, cursor, fmt.Errorf("reading removals: %w", err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading removals: %w", err)
	}
	out := make([]*dragnet.Removal, 0, len(rs))
	for _, r := range rs {
		rm := &dragnet.Removal{Seq: r.seq, AudienceID: r.aud}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM objects WHERE oid = ?`, r.oid).Scan(&rm.ObjectID); err != nil {
			return nil, cursor, fmt.Errorf("reading removals: %w", err)
		}
		o, err := scanCurrent(tx.QueryRowContext(ctx, selectCurrent+`
			WHERE s.oid = ? AND s.audience = ? AND s.latest = 1`, r.oid, r.aud).Scan)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, cursor, fmt.Errorf("reading removals: %w", err)
		default:
			rm.Current = o
		}
		out = append(out, rm)
	}
	next := max(cursor, head)
	if len(out) == limit {
		next = out[len(out)-1].Seq
	}
	return out, next, nil
}
