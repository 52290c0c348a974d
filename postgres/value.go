package postgres

import (
	"context"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

// ValueRefs returns the submissions carrying v that the caller may see, in
// date_added order.
func (db *DB) ValueRefs(ctx context.Context, v dragnet.Value) ([]*dragnet.ValueRef, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := db.access(ctx, db.pool, p)
	if err != nil {
		return nil, err
	}
	if len(acc.Audiences) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT s.obj_id, s.version_ns, s.type, s.audience_id, s.tlp, s.submitter, s.date_added
		FROM obj_values v JOIN submissions s ON s.vid = v.vid
		WHERE v.kind = $1 AND v.value = $2 AND s.audience_id = ANY($3)
		ORDER BY s.date_added`, string(v.Kind), v.Value, acc.Audiences)
	if err != nil {
		return nil, fmt.Errorf("reading value refs: %w", err)
	}
	defer rows.Close()
	var refs []*dragnet.ValueRef
	for rows.Next() {
		r := &dragnet.ValueRef{Value: v}
		var ver, date int64
		var tlp int16
		if err := rows.Scan(&r.ObjectID, &ver, &r.Type, &r.AudienceID, &tlp, &r.OrgID, &date); err != nil {
			return nil, fmt.Errorf("reading value refs: %w", err)
		}
		r.Version, r.DateAdded, r.TLP = versionTime(ver, date), micros(date), dragnet.TLP(tlp)
		refs = append(refs, r)
	}
	return refs, rows.Err()
}
