package sqlite

import (
	"context"
	"database/sql"
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
	rows, err := tx.QueryContext(ctx, selectCurrent+`
		WHERE s.date_added > ? AND s.latest = 1
		ORDER BY s.date_added LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, cursor, fmt.Errorf("reading new objects: %w", err)
	}
	defer rows.Close()
	var out []*dragnet.StoredObject
	for rows.Next() {
		o, err := scanCurrent(rows.Scan)
		if err != nil {
			return nil, cursor, fmt.Errorf("reading new objects: %w", err)
		}
		out = append(out, o)
		cursor = micros(o.DateAdded)
	}
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("reading new objects: %w", err)
	}
	return out, cursor, nil
}
