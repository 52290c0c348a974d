package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// CreateSubscription implements dragnet.SubscriptionService.
func (db *DB) CreateSubscription(ctx context.Context, s *dragnet.Subscription) error {
	org, err := subscribingOrg(ctx)
	if err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	s.OrgID, s.Created = org.ID, db.now().UTC().Truncate(time.Microsecond)
	return wrap("storing subscription", db.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO subscriptions (org_id, kind, key, webhook_url, webhook_secret, created)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, s.OrgID, s.Kind, s.Key, s.WebhookURL, s.WebhookSecret, s.Created).Scan(&s.ID); err != nil {
			return err
		}
		return db.auditAdmin(ctx, tx, "alert.subscribe", fmt.Sprintf("subscription %d", s.ID), s.AuditDetail())
	}))
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
		q += ` WHERE org_id = $1`
		args = append(args, p.Org.ID)
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, wrap("reading subscriptions", err)
	}
	defer rows.Close()
	out := []*dragnet.Subscription{}
	for rows.Next() {
		s := &dragnet.Subscription{}
		if err := rows.Scan(&s.ID, &s.OrgID, &s.Kind, &s.Key, &s.WebhookURL, &s.WebhookSecret, &s.Created); err != nil {
			return nil, wrap("reading subscriptions", err)
		}
		s.Created = s.Created.UTC()
		out = append(out, s)
	}
	return out, wrap("reading subscriptions", rows.Err())
}

// UpdateSubscription implements dragnet.SubscriptionService.
func (db *DB) UpdateSubscription(ctx context.Context, s *dragnet.Subscription) error {
	org, err := subscribingOrg(ctx)
	if err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE subscriptions SET kind = $1, key = $2, webhook_url = $3, webhook_secret = $4
			WHERE id = $5 AND org_id = $6 RETURNING created`, s.Kind, s.Key, s.WebhookURL, s.WebhookSecret, s.ID, org.ID).Scan(&s.Created)
		if errors.Is(err, pgx.ErrNoRows) {
			return dragnet.Errorf(dragnet.ENOTFOUND, "no subscription %d", s.ID)
		}
		if err != nil {
			return err
		}
		s.OrgID, s.Created = org.ID, s.Created.UTC()
		return db.auditAdmin(ctx, tx, "alert.update", fmt.Sprintf("subscription %d", s.ID), s.AuditDetail())
	})
	return wrap("updating subscription", err)
}

// DeleteSubscription implements dragnet.SubscriptionService.
func (db *DB) DeleteSubscription(ctx context.Context, id int64) error {
	org, err := subscribingOrg(ctx)
	if err != nil {
		return err
	}
	return wrap("deleting subscription", db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM subscriptions WHERE id = $1 AND org_id = $2`, id, org.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return dragnet.Errorf(dragnet.ENOTFOUND, "no subscription %d", id)
		}
		return db.auditAdmin(ctx, tx, "alert.unsubscribe", fmt.Sprintf("subscription %d", id), "")
	}))
}
