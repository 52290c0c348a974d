package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ObjectScanner = (*DB)(nil)

// selectCurrent selects what scanCurrent reads: a submission with its
// version and object (aliases s, v and o), for the caller to filter and
// order.
const selectCurrent = `SELECT o.id, o.type, v.spec_version, s.version_ns, v.revoked, s.date_added, s.audience, s.tlp, s.org_id, v.raw
		FROM submissions s
		JOIN versions v ON v.vid = s.vid
		JOIN objects o ON o.oid = s.oid`

// scanCurrent reads one row of selectCurrent, Raw included, through scan
// (a Rows.Scan or Row.Scan).
func scanCurrent(scan func(...any) error) (*dragnet.StoredObject, error) {
	o := &dragnet.StoredObject{}
	var vns, da int64
	var tlp int
	var raw []byte
	if err := scan(&o.ID, &o.Type, &o.SpecVersion, &vns, &o.Revoked, &da, &o.AudienceID, &tlp, &o.Submitter, &raw); err != nil {
		return nil, err
	}
	o.TLP, o.DateAdded, o.Raw = dragnet.TLP(tlp), fromMicros(da), json.RawMessage(raw)
	o.Version = fromNanos(vns)
	if vns == 0 {
		o.Version = o.DateAdded
	}
	return o, nil
}

// ScanObjects calls fn for the current version of every object in every
// audience, Raw included, in date_added order, from one snapshot. Only the
// system principal may call it (EFORBIDDEN).
func (db *DB) ScanObjects(ctx context.Context, fn func(*dragnet.StoredObject) error) error {
	if err := system(ctx); err != nil {
		return err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("scanning objects: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, selectCurrent+`
		WHERE s.latest = 1
		ORDER BY s.date_added`)
	if err != nil {
		return fmt.Errorf("scanning objects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanCurrent(rows.Scan)
		if err != nil {
			return fmt.Errorf("scanning objects: %w", err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scanning objects: %w", err)
	}
	return nil
}
