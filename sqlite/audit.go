package sqlite

import (
	"context"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

// Audit appends an event. It needs no principal: refused requests are
// audited too. A zero Time is set to now. The audit table is append-only
// (triggers refuse updates and deletes).
func (db *DB) Audit(ctx context.Context, e *dragnet.AuditEvent) error {
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	if err := appendAudit(ctx, w, e); err != nil {
		return err
	}
	return w.commit(ctx)
}

func appendAudit(ctx context.Context, w *wtx, e *dragnet.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = w.db.now()
	}
	res, err := w.exec(ctx, `INSERT INTO audit (time, org_id, org_name, token_id, action, target, outcome, remote, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		micros(e.Time), e.OrgID, e.OrgName, e.TokenID, e.Action, e.Target, e.Outcome, e.Remote, e.Detail)
	if err != nil {
		return fmt.Errorf("writing audit: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// AuditEvents reads events, oldest first: the operator all (or one
// organisation's with f.OrgID), an organisation admin only its own
// organisation's; others EFORBIDDEN. f.Limit <= 0 means 1000.
func (db *DB) AuditEvents(ctx context.Context, f dragnet.AuditFilter) ([]*dragnet.AuditEvent, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case p.IsOperator():
	case p.Org != nil && p.Role == dragnet.RoleAdmin:
		if f.OrgID != 0 && f.OrgID != p.Org.ID {
			return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "an organisation admin may read only its own organisation's audit events")
		}
		f.OrgID = p.Org.ID
	default:
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an organisation admin may read audit events")
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q := `SELECT id, time, org_id, org_name, token_id, action, target, outcome, remote, detail FROM audit WHERE time >= ?`
	args := []any{micros(f.Since)}
	if f.OrgID != 0 {
		q += ` AND org_id = ?`
		args = append(args, f.OrgID)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading audit: %w", err)
	}
	defer rows.Close()
	out := []*dragnet.AuditEvent{}
	for rows.Next() {
		e := &dragnet.AuditEvent{}
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.OrgID, &e.OrgName, &e.TokenID, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = fromMicros(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// auditAdmin records an administrative action by the caller in ctx, in the
// same transaction as the action.
func auditAdmin(ctx context.Context, w *wtx, action, target, detail string) error {
	p, _ := dragnet.PrincipalFrom(ctx)
	e := &dragnet.AuditEvent{OrgName: p.Name(), TokenID: p.TokenID, Remote: p.Remote, Action: action, Target: target, Outcome: "ok", Detail: detail}
	if p.Org != nil {
		e.OrgID = p.Org.ID
	}
	return appendAudit(ctx, w, e)
}
