package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.FeedService = (*DB)(nil)

// feedSchema is created on first use, so that feeds need no migration
// slot of their own.
const feedSchema = `
CREATE TABLE IF NOT EXISTS feeds (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	org_name TEXT NOT NULL,
	collection_id TEXT NOT NULL,
	url TEXT NOT NULL,
	settings TEXT NOT NULL DEFAULT '',
	tlp INTEGER NOT NULL DEFAULT 0,
	interval_ns INTEGER NOT NULL,
	gone TEXT NOT NULL DEFAULT 'revoke',
	enabled INTEGER NOT NULL DEFAULT 1,
	created INTEGER NOT NULL,
	last_run INTEGER NOT NULL DEFAULT 0,
	last_success INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	last_summary TEXT NOT NULL DEFAULT '',
	etag TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feed_state (
	feed_id INTEGER PRIMARY KEY,
	state BLOB NOT NULL
);`

func (db *DB) feedTables(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, feedSchema); err != nil {
		return fmt.Errorf("creating feed tables: %w", err)
	}
	return nil
}

const feedCols = `id, name, org_name, collection_id, url, settings, tlp, interval_ns, gone, enabled, created,
	last_run, last_success, last_error, last_summary, etag, last_modified, failures`

func scanFeed(sc interface{ Scan(...any) error }) (*dragnet.Feed, error) {
	var f dragnet.Feed
	var interval, created, lastRun, lastOK int64
	var enabled int
	if err := sc.Scan(&f.ID, &f.Name, &f.OrgName, &f.CollectionID, &f.URL, &f.Settings, &f.TLP, &interval, &f.Gone, &enabled, &created,
		&lastRun, &lastOK, &f.LastError, &f.LastSummary, &f.ETag, &f.LastModified, &f.Failures); err != nil {
		return nil, err
	}
	f.Interval, f.Enabled = time.Duration(interval), enabled != 0
	f.Created, f.LastRun, f.LastSuccess = fromMicros(created), fromMicros(lastRun), fromMicros(lastOK)
	return &f, nil
}

// CreateFeed implements dragnet.FeedService.
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
	if err := db.feedTables(ctx); err != nil {
		return err
	}
	f.Created = db.now().UTC().Truncate(time.Microsecond)
	res, err := db.w.ExecContext(ctx, `INSERT INTO feeds (name, org_name, collection_id, url, settings, tlp, interval_ns, gone, enabled, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.Name, f.OrgName, f.CollectionID, f.URL, f.Settings, int(f.TLP), int64(f.Interval), f.Gone, boolInt(f.Enabled), micros(f.Created))
	if isUnique(err) {
		return dragnet.Errorf(dragnet.ECONFLICT, "a feed named %q exists", f.Name)
	}
	if err != nil {
		return fmt.Errorf("storing feed: %w", err)
	}
	f.ID, err = res.LastInsertId()
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ListFeeds implements dragnet.FeedService.
func (db *DB) ListFeeds(ctx context.Context) ([]*dragnet.Feed, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := db.feedTables(ctx); err != nil {
		return nil, err
	}
	rows, err := db.w.QueryContext(ctx, `SELECT `+feedCols+` FROM feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing feeds: %w", err)
	}
	defer rows.Close()
	var out []*dragnet.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindFeed implements dragnet.FeedService.
func (db *DB) FindFeed(ctx context.Context, name string) (*dragnet.Feed, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := db.feedTables(ctx); err != nil {
		return nil, err
	}
	f, err := scanFeed(db.w.QueryRowContext(ctx, `SELECT `+feedCols+` FROM feeds WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no feed named %q", name)
	}
	return f, err
}

// DeleteFeed implements dragnet.FeedService.
func (db *DB) DeleteFeed(ctx context.Context, name string) error {
	f, err := db.FindFeed(ctx, name)
	if err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM feed_state WHERE feed_id = ?`, f.ID); err != nil {
		return fmt.Errorf("deleting feed state: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE id = ?`, f.ID); err != nil {
		return fmt.Errorf("deleting feed: %w", err)
	}
	return tx.Commit()
}

// RecordFeedRun implements dragnet.FeedService.
func (db *DB) RecordFeedRun(ctx context.Context, f *dragnet.Feed, state []byte) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	if err := db.feedTables(ctx); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE feeds SET last_run = ?, last_success = ?, last_error = ?, last_summary = ?, etag = ?,
		last_modified = ?, failures = ? WHERE id = ?`, micros(f.LastRun), micros(f.LastSuccess), f.LastError, f.LastSummary, f.ETag,
		f.LastModified, f.Failures, f.ID)
	if err != nil {
		return fmt.Errorf("recording feed run: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return dragnet.Errorf(dragnet.ENOTFOUND, "no feed with id %d", f.ID)
	}
	if state != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_state (feed_id, state) VALUES (?, ?)
			ON CONFLICT (feed_id) DO UPDATE SET state = excluded.state`, f.ID, state); err != nil {
			return fmt.Errorf("storing feed state: %w", err)
		}
	}
	return tx.Commit()
}

// FeedState implements dragnet.FeedService.
func (db *DB) FeedState(ctx context.Context, id int64) ([]byte, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := db.feedTables(ctx); err != nil {
		return nil, err
	}
	var state []byte
	err := db.w.QueryRowContext(ctx, `SELECT state FROM feed_state WHERE feed_id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return state, err
}
