package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.SubscriptionService = (*DB)(nil)

// subscribingOrg returns the caller's organisation if it may change
// subscriptions.
func subscribingOrg(ctx context.Context) (*dragnet.Org, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return dragnet.SubscribingOrg(p)
}

// subscriptionTx checks that the caller may change subscriptions and,
// when s is not nil, validates it; then it runs fn for the caller's
// organisation in a write transaction and commits.
func (db *DB) subscriptionTx(ctx context.Context, s *dragnet.Subscription, fn func(w *wtx, org *dragnet.Org) error) error {
	org, err := subscribingOrg(ctx)
	if err != nil {
		return err
	}
	if s != nil {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	if err := fn(w, org); err != nil {
		return err
	}
	return w.commit(ctx)
}

// CreateSubscription implements dragnet.SubscriptionService.
func (db *DB) CreateSubscription(ctx context.Context, s *dragnet.Subscription) error {
	return db.subscriptionTx(ctx, s, func(w *wtx, org *dragnet.Org) error {
		s.OrgID, s.Created = org.ID, db.now().UTC().Truncate(time.Microsecond)
		res, err := w.exec(ctx, `INSERT INTO subscriptions (org_id, kind, key, webhook_url, webhook_secret, created) VALUES (?, ?, ?, ?, ?, ?)`,
			s.OrgID, s.Kind, s.Key, s.WebhookURL, s.WebhookSecret, micros(s.Created))
		if err != nil {
			return fmt.Errorf("storing subscription: %w", err)
		}
		if s.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return auditAdmin(ctx, w, "alert.subscribe", fmt.Sprintf("subscription %d", s.ID), s.AuditDetail())
	})
}

// Subscriptions implements dragnet.SubscriptionService.
func (db *DB) Subscriptions(ctx context.Context) ([]*dragnet.Subscription, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, org_id, kind, key, webhook_url, webhook_secret, created FROM subscriptions`
	var args []any
	if !p.System {
		q += ` WHERE org_id = ?`
		args = append(args, p.Org.ID)
	}
	rows, err := db.rd.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading subscriptions: %w", err)
	}
	defer rows.Close()
	out := []*dragnet.Subscription{}
	for rows.Next() {
		s := &dragnet.Subscription{}
		var created int64
		if err := rows.Scan(&s.ID, &s.OrgID, &s.Kind, &s.Key, &s.WebhookURL, &s.WebhookSecret, &created); err != nil {
			return nil, fmt.Errorf("reading subscriptions: %w", err)
		}
		s.Created = fromMicros(created)
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateSubscription implements dragnet.SubscriptionService.
func (db *DB) UpdateSubscription(ctx context.Context, s *dragnet.Subscription) error {
	return db.subscriptionTx(ctx, s, func(w *wtx, org *dragnet.Org) error {
		var created int64
		err := w.queryRow(ctx, `UPDATE subscriptions SET kind = ?, key = ?, webhook_url = ?, webhook_secret = ?
			WHERE id = ? AND org_id = ? RETURNING created`, s.Kind, s.Key, s.WebhookURL, s.WebhookSecret, s.ID, org.ID).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return dragnet.Errorf(dragnet.ENOTFOUND, "no subscription %d", s.ID)
		}
		if err != nil {
			return fmt.Errorf("updating subscription: %w", err)
		}
		s.OrgID, s.Created = org.ID, fromMicros(created)
		return auditAdmin(ctx, w, "alert.update", fmt.Sprintf("subscription %d", s.ID), s.AuditDetail())
	})
}

// DeleteSubscription implements dragnet.SubscriptionService.
func (db *DB) DeleteSubscription(ctx context.Context, id int64) error {
	return db.subscriptionTx(ctx, nil, func(w *wtx, org *dragnet.Org) error {
		res, err := w.exec(ctx, `DELETE FROM subscriptions WHERE id = ? AND org_id = ?`, id, org.ID)
		if err != nil {
			return fmt.Errorf("deleting subscription: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return dragnet.Errorf(dragnet.ENOTFOUND, "no subscription %d", id)
		}
		return auditAdmin(ctx, w, "alert.unsubscribe", fmt.Sprintf("subscription %d", id), "")
	})
}
