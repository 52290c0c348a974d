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
	// The objects join is a LEFT one so that a removal whose object row is
	// missing still fails the scan (NULL id) rather than vanishing.
	out := []*dragnet.Removal{}
	var oids []int64
	rows, err := tx.QueryContext(ctx, `SELECT r.seq, r.oid, r.audience, o.id FROM removals r
		LEFT JOIN objects o ON o.oid = r.oid
		WHERE r.seq > ? ORDER BY r.seq LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, cursor, fmt.Errorf("reading removals: %w", err)
	}
	for rows.Next() {
		rm := &dragnet.Removal{}
		var oid int64
		if err := rows.Scan(&rm.Seq, &oid, &rm.AudienceID, &rm.ObjectID); err != nil {
			rows.Close()
			return nil, cursor, fmt.Errorf("reading removals: %w", err)
		}
		out, oids = append(out, rm), append(oids, oid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading removals: %w", err)
	}
	for i, rm := range out {
		o, err := scanCurrent(tx.QueryRowContext(ctx, selectCurrent+`
			WHERE s.oid = ? AND s.audience = ? AND s.latest = 1`, oids[i], rm.AudienceID).Scan)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, cursor, fmt.Errorf("reading removals: %w", err)
		default:
			rm.Current = o
		}
	}
	next := max(cursor, head)
	if len(out) == limit {
		next = out[len(out)-1].Seq
	}
	return out, next, nil
}
