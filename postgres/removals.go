package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.RemovalTail = (*DB)(nil)

// RemovalsAfter implements dragnet.RemovalTail. Removal sequence numbers
// come from date_clock, allocated in commit order (see the package
// comment), so the clock read in the same snapshot bounds what any later
// read can find.
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
	var out []*dragnet.Removal
	next := cursor
	err := db.snapshot(ctx, func(tx pgx.Tx) error {
		out, next = nil, cursor
		var head int64
		if err := tx.QueryRow(ctx, `SELECT last FROM date_clock`).Scan(&head); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, obj_id, audience_id FROM removals WHERE seq > $1 ORDER BY seq LIMIT $2`, cursor, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			r := &dragnet.Removal{}
			if err := rows.Scan(&r.Seq, &r.ObjectID, &r.AudienceID); err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range out {
			o, err := scanCurrent(tx.QueryRow(ctx, selectCurrent+`
				WHERE s.obj_id = $1 AND s.audience_id = $2 AND s.latest`, r.ObjectID, r.AudienceID))
			if err == pgx.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			r.Current = o
		}
		next = max(cursor, head)
		if len(out) == limit {
			next = out[len(out)-1].Seq
		}
		return nil
	})
	if err != nil {
		return nil, cursor, wrap("reading removals", err)
	}
	return out, next, nil
}
