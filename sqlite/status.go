package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// CreateStatus stores a new status for the caller's organisation (its ID
// is assigned when empty; its OrgID, RequestTimestamp and Status are
// set). Its Pendings are resolved by AddObjects. ECONFLICT if the id
// exists; EFORBIDDEN for the system principal, which publishes nothing.
func (db *DB) CreateStatus(ctx context.Context, s *dragnet.Status) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.Org == nil {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "the system principal cannot publish intelligence")
	}
	if s.ID == "" {
		s.ID = newUUID()
	}
	if s.RequestTimestamp.IsZero() {
		s.RequestTimestamp = db.now().UTC().Truncate(time.Microsecond)
	}
	s.OrgID = p.Org.ID
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	if _, err := w.exec(ctx, `INSERT INTO statuses (id, collection_id, org_id, requested) VALUES (?, ?, ?, ?)`,
		s.ID, s.CollectionID, s.OrgID, micros(s.RequestTimestamp)); err != nil {
		if isUnique(err) {
			return dragnet.Errorf(dragnet.ECONFLICT, "status %q already exists", s.ID)
		}
		return fmt.Errorf("creating status: %w", err)
	}
	es := make([]statusEntry, 0, len(s.Pendings)+len(s.Successes)+len(s.Failures))
	for state, ds := range [][]dragnet.StatusDetail{s.Pendings, s.Successes, s.Failures} {
		for _, d := range ds {
			es = append(es, detailEntry(byte(state), d))
		}
	}
	if err := writeChunks(ctx, w, s.ID, 0, es); err != nil {
		return err
	}
	if err := w.commit(ctx); err != nil {
		return err
	}
	s.Status = statusOf(len(s.Pendings))
	return nil
}

func statusOf(pending int) string {
	if pending > 0 {
		return "pending"
	}
	return "complete"
}

// Status returns a status with its entries in the order they were
// recorded; it is "complete" when none is pending. ENOTFOUND unless the
// caller's organisation created it.
func (db *DB) Status(ctx context.Context, id string) (*dragnet.Status, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	notFound := dragnet.Errorf(dragnet.ENOTFOUND, "status %q not found", id)
	if p.Org == nil {
		return nil, notFound
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	defer tx.Rollback()
	s := &dragnet.Status{ID: id, Successes: []dragnet.StatusDetail{}, Failures: []dragnet.StatusDetail{}, Pendings: []dragnet.StatusDetail{}}
	var requested int64
	err = tx.QueryRowContext(ctx, `SELECT collection_id, org_id, requested FROM statuses WHERE id = ?`, id).Scan(&s.CollectionID, &s.OrgID, &requested)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.OrgID != p.Org.ID) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	s.RequestTimestamp = fromMicros(requested)
	add := func(e statusEntry) {
		d := dragnet.StatusDetail{ID: e.id, Version: fromNanos(e.vns), Message: e.message}
		switch e.state {
		case statePending:
			s.Pendings = append(s.Pendings, d)
		case stateSuccess:
			s.Successes = append(s.Successes, d)
		default:
			s.Failures = append(s.Failures, d)
		}
	}
	// Statuses made before status_chunks keep their entries in
	// status_details.
	rows, err := tx.QueryContext(ctx, `SELECT object_id, version_ns, state, message FROM status_details WHERE status_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e statusEntry
		if err := rows.Scan(&e.id, &e.vns, &e.state, &e.message); err != nil {
			return nil, err
		}
		add(e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	chunks, err := tx.QueryContext(ctx, `SELECT entries FROM status_chunks WHERE status_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	defer chunks.Close()
	for chunks.Next() {
		var raw []byte
		if err := chunks.Scan(&raw); err != nil {
			return nil, err
		}
		es, err := decodeEntries(raw)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			add(e)
		}
	}
	if err := chunks.Err(); err != nil {
		return nil, err
	}
	s.Status = statusOf(len(s.Pendings))
	return s, nil
}
