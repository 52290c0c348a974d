package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// Audit appends an event (Time now if zero). It needs no principal:
// denied requests are audited too.
func (db *DB) Audit(ctx context.Context, e *dragnet.AuditEvent) error {
	return db.audit(ctx, db.pool, e)
}

func (db *DB) audit(ctx context.Context, q querier, e *dragnet.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	err := q.QueryRow(ctx, `INSERT INTO audit (time, org_id, org_name, token_id, action, target, outcome, remote, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.Time, e.OrgID, e.OrgName, e.TokenID, e.Action, e.Target, e.Outcome, e.Remote, e.Detail).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("recording audit event: %w", err)
	}
	return nil
}

// AuditEvents reads events in the order they were recorded, from f.Since
// (inclusive), at most f.Limit (default 1000): the operator reads all (or
// one organisation's with f.OrgID), an organisation admin its own
// organisation's; anyone else gets EFORBIDDEN.
func (db *DB) AuditEvents(ctx context.Context, f dragnet.AuditFilter) ([]*dragnet.AuditEvent, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case p.IsOperator():
	case p.Org != nil && p.Role == dragnet.RoleAdmin && (f.OrgID == 0 || f.OrgID == p.Org.ID):
		f.OrgID = p.Org.ID
	default:
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an organisation's admin may read the audit log")
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	rows, err := db.pool.Query(ctx, `SELECT id, time, org_id, org_name, token_id, action, target, outcome, remote, detail
		FROM audit WHERE ($1 = 0 OR org_id = $1) AND time >= $2 ORDER BY id LIMIT $3`,
		f.OrgID, f.Since.UTC(), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("reading audit events: %w", err)
	}
	defer rows.Close()
	var es []*dragnet.AuditEvent
	for rows.Next() {
		var e dragnet.AuditEvent
		if err := rows.Scan(&e.ID, &e.Time, &e.OrgID, &e.OrgName, &e.TokenID, &e.Action, &e.Target, &e.Outcome, &e.Remote, &e.Detail); err != nil {
			return nil, fmt.Errorf("reading audit events: %w", err)
		}
		e.Time = e.Time.UTC()
		es = append(es, &e)
	}
	return es, rows.Err()
}

// auditAdmin records an administrative action by the caller in ctx with
// outcome "ok", in the same transaction as the action, so that the action
// and its record commit together or not at all.
func (db *DB) auditAdmin(ctx context.Context, tx pgx.Tx, action, target, detail string) error {
	p, _ := dragnet.PrincipalFrom(ctx)
	e := &dragnet.AuditEvent{OrgName: p.Name(), TokenID: p.TokenID, Remote: p.Remote, Action: action, Target: target, Outcome: "ok", Detail: detail}
	if p.Org != nil {
		e.OrgID = p.Org.ID
	}
	return db.audit(ctx, tx, e)
}
