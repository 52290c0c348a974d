package sqlite

import (
	"database/sql"
	"fmt"
	"sync"

	msqlite "modernc.org/sqlite"
)

// checkpointer copies the WAL back into the database file (a PASSIVE
// checkpoint) on a connection and goroutine of its own, once the writer
// has written a given number of pages since the last time, so that a
// write transaction never waits for a checkpoint's copying and fsync:
// during a large feed's ingest they cost the writer about a tenth of its
// CPU, and on a busy disk more time than all its work.
//
// The writer's own wal_autocheckpoint stays, at a multiple of the
// threshold, for when checkpoints here cannot keep up.
type checkpointer struct {
	db        *sql.DB // one connection
	threshold int     // pages written that call for a checkpoint
	pages     int     // pages written since the last call (writer only)
	wake      chan struct{}
	stop      chan struct{}
	stopOnce  sync.Once
	done      sync.WaitGroup
	onError   func(error)
}

func newCheckpointer(db *sql.DB, threshold int, onError func(error)) *checkpointer {
	c := &checkpointer{db: db, threshold: threshold, wake: make(chan struct{}, 1), stop: make(chan struct{}), onError: onError}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			c.onError(fmt.Errorf("checkpointing: %w", err))
		}
	}
}

// written adds the pages the writer connection wrote since it was last
// asked (SQLITE_DBSTATUS_CACHE_WRITE, reset on reading: pages written by
// transactions that did not go through it count too) and wakes the
// checkpointer when they reach the threshold. It is called after each
// commit, with the writer connection still held, which serialises the
// calls; a failure to read the count only delays the next checkpoint.
func (c *checkpointer) written(conn *sql.Conn) {
	conn.Raw(func(dc any) error {
		if s, ok := dc.(msqlite.DBStatus); ok {
			if n, _, err := s.Status(msqlite.DBStatusCacheWrite, true); err == nil {
				c.pages += n
			}
		}
		return nil
	})
	if c.pages < c.threshold {
		return
	}
	c.pages = 0
	select {
	case c.wake <- struct{}{}:
	default: // one is pending already
	}
}

// close stops the goroutine, waiting for a checkpoint under way.
func (c *checkpointer) close() error {
	var err error
	c.stopOnce.Do(func() {
		close(c.stop)
		c.done.Wait()
		err = c.db.Close()
	})
	return err
}
