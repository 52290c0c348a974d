package postgres

import (
	"context"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ObjectTail = (*DB)(nil)

// ObjectsAfter implements dragnet.ObjectTail. Dates are allocated in
// commit order (see the package comment), so no later read finds an
// object added before the cursor it was given.
func (db *DB) ObjectsAfter(ctx context.Context, cursor int64, limit int) ([]*dragnet.StoredObject, int64, error) {
	if err := system(ctx); err != nil {
		return nil, cursor, err
	}
	if cursor < 0 {
		if err := db.pool.QueryRow(ctx, `SELECT last FROM date_clock`).Scan(&cursor); err != nil {
			return nil, 0, wrap("reading the date clock", err)
		}
		return nil, cursor, nil
	}
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.pool.Query(ctx, selectCurrent+`
		WHERE s.latest AND s.date_added > $1
		ORDER BY s.date_added LIMIT $2`, cursor, limit)
	if err != nil {
		return nil, cursor, wrap("reading new objects", err)
	}
	defer rows.Close()
	var out []*dragnet.StoredObject
	for rows.Next() {
		o, err := scanCurrent(rows)
		if err != nil {
			return nil, cursor, wrap("reading new objects", err)
		}
		out = append(out, o)
		cursor = o.DateAdded.UnixMicro()
	}
	return out, cursor, wrap("reading new objects", rows.Err())
}
