package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// CreateStatus stores a new status resource for the caller's organisation
// (ID assigned if empty; RequestTimestamp now if zero). Its Pendings are
// resolved by AddObjects. ECONFLICT if the ID exists.
func (db *DB) CreateStatus(ctx context.Context, s *dragnet.Status) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.Org == nil {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "only an organisation may make requests that have a status")
	}
	if s.ID == "" {
		s.ID = newUUID()
	}
	s.OrgID = p.Org.ID
	if s.RequestTimestamp.IsZero() {
		s.RequestTimestamp = db.now()
	}
	s.RequestTimestamp = s.RequestTimestamp.UTC().Truncate(time.Microsecond)
	s.Status = statusOf(s.Pendings)
	es := make([]statusEntry, 0, len(s.Pendings)+len(s.Successes)+len(s.Failures))
	for state, ds := range [][]dragnet.StatusDetail{s.Pendings, s.Successes, s.Failures} {
		for _, d := range ds {
			d.Version = d.Version.UTC()
			es = append(es, statusEntry{state: byte(state), d: d})
		}
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO statuses (id, collection_id, org_id, request_timestamp, chunked)
			VALUES ($1, $2, $3, $4, true)`, s.ID, s.CollectionID, s.OrgID, s.RequestTimestamp)
		if err != nil {
			return err
		}
		return writeChunks(ctx, tx, s.ID, 0, es)
	})
	if isUnique(err) {
		return dragnet.Errorf(dragnet.ECONFLICT, "status %s exists already", s.ID)
	}
	if err != nil {
		return fmt.Errorf("creating status: %w", err)
	}
	return nil
}

func statusOf(pendings []dragnet.StatusDetail) string {
	if len(pendings) > 0 {
		return "pending"
	}
	return "complete"
}

// detail is the stored form of a StatusDetail.
type detail struct {
	ID      string    `json:"id"`
	Version time.Time `json:"version,omitzero"`
	Message string    `json:"message,omitempty"`
}

func encodeDetails(s *dragnet.Status) (succ, fail, pend []byte, err error) {
	enc := func(ds []dragnet.StatusDetail) []byte {
		out := make([]detail, len(ds))
		for i, d := range ds {
			out[i] = detail(d)
		}
		b, e := json.Marshal(out)
		if e != nil {
			err = e
		}
		return b
	}
	return enc(s.Successes), enc(s.Failures), enc(s.Pendings), err
}

func decodeDetails(b []byte) ([]dragnet.StatusDetail, error) {
	var ds []detail
	if err := json.Unmarshal(b, &ds); err != nil {
		return nil, err
	}
	out := make([]dragnet.StatusDetail, len(ds))
	for i, d := range ds {
		out[i] = dragnet.StatusDetail(d)
		out[i].Version = out[i].Version.UTC()
	}
	return out, nil
}

// scanStatus reads a statuses row; for a chunked status (reported by
// chunked) the entries are in status_chunks, for an older one in the row.
func scanStatus(row pgx.Row) (_ *dragnet.Status, chunked bool, _ error) {
	var s dragnet.Status
	var succ, fail, pend []byte
	if err := row.Scan(&s.ID, &s.CollectionID, &s.OrgID, &s.RequestTimestamp, &succ, &fail, &pend, &chunked); err != nil {
		return nil, false, err
	}
	s.RequestTimestamp = s.RequestTimestamp.UTC()
	var err error
	if s.Successes, err = decodeDetails(succ); err != nil {
		return nil, false, err
	}
	if s.Failures, err = decodeDetails(fail); err != nil {
		return nil, false, err
	}
	if s.Pendings, err = decodeDetails(pend); err != nil {
		return nil, false, err
	}
	s.Status = statusOf(s.Pendings)
	return &s, chunked, nil
}

const statusCols = `id, collection_id, org_id, request_timestamp, successes::text, failures::text, pendings::text, chunked`

// Status returns a status resource; ENOTFOUND unless the caller's
// organisation made the request.
func (db *DB) Status(ctx context.Context, id string) (*dragnet.Status, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var org int64 = -1
	if p.Org != nil {
		org = p.Org.ID
	}
	// One snapshot for the row and its chunks, so that a batch committing
	// meanwhile is seen whole or not at all.
	var s *dragnet.Status
	err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var chunked bool
		var err error
		s, chunked, err = scanStatus(tx.QueryRow(ctx, `SELECT `+statusCols+` FROM statuses WHERE id = $1 AND org_id = $2`, id, org))
		if err != nil || !chunked {
			return err
		}
		if err := readChunks(ctx, tx, s); err != nil {
			return err
		}
		s.Status = statusOf(s.Pendings)
		return nil
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no status %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	return s, nil
}

// resolveStatus moves each result's object from the status's pendings to
// its successes or failures, in the caller's transaction.
func (db *DB) resolveStatus(ctx context.Context, tx pgx.Tx, p dragnet.Principal, id string, results []dragnet.AddResult) error {
	s, chunked, err := scanStatus(tx.QueryRow(ctx, `SELECT `+statusCols+` FROM statuses WHERE id = $1 AND org_id = $2 FOR UPDATE`, id, p.Org.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return dragnet.Errorf(dragnet.ENOTFOUND, "no status %q", id)
	}
	if err != nil {
		return err
	}
	if chunked {
		return resolveChunks(ctx, tx, id, results)
	}
	for _, r := range results {
		d := dragnet.StatusDetail{ID: r.ID, Version: r.Version.UTC()}
		for i, pd := range s.Pendings {
			if pd.ID == r.ID && (pd.Version.IsZero() || r.Version.IsZero() || pd.Version.Equal(r.Version)) {
				if d.Version.IsZero() {
					d.Version = pd.Version
				}
				s.Pendings = append(s.Pendings[:i], s.Pendings[i+1:]...)
				break
			}
		}
		if r.Err != nil {
			d.Message = dragnet.ErrorMessage(r.Err)
			s.Failures = append(s.Failures, d)
		} else {
			s.Successes = append(s.Successes, d)
		}
	}
	succ, fail, pend, err := encodeDetails(s)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE statuses SET successes = $2, failures = $3, pendings = $4 WHERE id = $1`, id, succ, fail, pend)
	return err
}
