package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.FeedService = (*DB)(nil)

const feedCols = `id, name, org_name, collection_id, url, settings, tlp, interval_ns, gone, enabled, created,
	last_run, last_success, last_error, last_summary, etag, last_modified, failures`

func scanFeed(row pgx.Row) (*dragnet.Feed, error) {
	var f dragnet.Feed
	var tlp int16
	var interval int64
	var lastRun, lastOK *time.Time
	if err := row.Scan(&f.ID, &f.Name, &f.OrgName, &f.CollectionID, &f.URL, &f.Settings, &tlp, &interval, &f.Gone, &f.Enabled, &f.Created,
		&lastRun, &lastOK, &f.LastError, &f.LastSummary, &f.ETag, &f.LastModified, &f.Failures); err != nil {
		return nil, err
	}
	f.TLP, f.Interval = dragnet.TLP(tlp), time.Duration(interval)
	f.Created, f.LastRun, f.LastSuccess = f.Created.UTC(), fromNull(lastRun), fromNull(lastOK)
	return &f, nil
}

// CreateFeed adds a feed (operator only) and fills f.ID and f.Created.
// ECONFLICT if the name is taken; EINVALID for a bad name, an interval
// under a minute, or a missing URL, organisation or collection.
func (db *DB) CreateFeed(ctx context.Context, f *dragnet.Feed) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	if err := dragnet.ValidateName("feed name", f.Name); err != nil {
		return err
	}
	if f.Interval < time.Minute {
		return dragnet.Errorf(dragnet.EINVALID, "feed interval %s is shorter than a minute", f.Interval)
	}
	if f.URL == "" || f.CollectionID == "" || f.OrgName == "" {
		return dragnet.Errorf(dragnet.EINVALID, "a feed needs a URL, an organisation and a collection")
	}
	if f.Gone == "" {
		f.Gone = "revoke"
	}
	f.Created = db.now().UTC().Truncate(time.Microsecond)
	err := db.pool.QueryRow(ctx, `INSERT INTO feeds (name, org_name, collection_id, url, settings, tlp, interval_ns, gone, enabled, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		f.Name, f.OrgName, f.CollectionID, f.URL, f.Settings, int16(f.TLP), int64(f.Interval), f.Gone, f.Enabled, f.Created).Scan(&f.ID)
	if isUnique(err) {
		return dragnet.Errorf(dragnet.ECONFLICT, "a feed named %q exists", f.Name)
	}
	if err != nil {
		return fmt.Errorf("storing feed: %w", err)
	}
	return nil
}

// ListFeeds returns every feed, by name (operator only).
func (db *DB) ListFeeds(ctx context.Context) ([]*dragnet.Feed, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+feedCols+` FROM feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing feeds: %w", err)
	}
	defer rows.Close()
	var out []*dragnet.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("listing feeds: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindFeed returns a feed by name (operator only); ENOTFOUND if none.
func (db *DB) FindFeed(ctx context.Context, name string) (*dragnet.Feed, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	f, err := scanFeed(db.pool.QueryRow(ctx, `SELECT `+feedCols+` FROM feeds WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no feed named %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding feed: %w", err)
	}
	return f, nil
}

// DeleteFeed removes a feed and its state (operator only); the objects it
// stored stay. ENOTFOUND if none.
func (db *DB) DeleteFeed(ctx context.Context, name string) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM feeds WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("deleting feed: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return dragnet.Errorf(dragnet.ENOTFOUND, "no feed named %q", name)
	}
	return nil
}

// RecordFeedRun stores the result fields of f (LastRun to Failures) and,
// when state is not nil, replaces the feed's state, in one transaction
// (operator only). It also ends the run's claim. ENOTFOUND if the feed is
// gone.
func (db *DB) RecordFeedRun(ctx context.Context, f *dragnet.Feed, state []byte) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	return wrap("recording feed run", db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE feeds SET last_run = $2, last_success = $3, last_error = $4, last_summary = $5, etag = $6,
			last_modified = $7, failures = $8, claimed_until = NULL WHERE id = $1`,
			f.ID, nullTime(f.LastRun.UTC()), nullTime(f.LastSuccess.UTC()), f.LastError, f.LastSummary, f.ETag, f.LastModified, f.Failures)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return dragnet.Errorf(dragnet.ENOTFOUND, "no feed with id %d", f.ID)
		}
		if state != nil {
			_, err = tx.Exec(ctx, `INSERT INTO feed_state (feed_id, state) VALUES ($1, $2)
				ON CONFLICT (feed_id) DO UPDATE SET state = excluded.state`, f.ID, state)
		}
		return err
	}))
}

// FeedState returns the state the feed's last successful pull stored, nil
// if none (operator only).
func (db *DB) FeedState(ctx context.Context, id int64) ([]byte, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	var state []byte
	err := db.pool.QueryRow(ctx, `SELECT state FROM feed_state WHERE feed_id = $1`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading feed state: %w", err)
	}
	return state, nil
}

// ClaimFeedRun claims the next run of feed id for the caller's node until
// `until`: it succeeds only if the feed has not run since lastRun (what the
// caller saw when it found the feed due) and no other node holds an
// unexpired claim. Several nodes' schedulers thus pull a due feed once.
// RecordFeedRun ends the claim; a node that dies mid-pull leaves it to
// expire.
func (db *DB) ClaimFeedRun(ctx context.Context, id int64, lastRun, until time.Time) (bool, error) {
	if _, err := operator(ctx); err != nil {
		return false, err
	}
	now := db.now().UTC()
	tag, err := db.pool.Exec(ctx, `UPDATE feeds SET claimed_until = $4
		WHERE id = $1 AND last_run IS NOT DISTINCT FROM $2 AND (claimed_until IS NULL OR claimed_until < $3)`,
		id, nullTime(lastRun.UTC()), now, until.UTC())
	if err != nil {
		return false, fmt.Errorf("claiming feed run: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
