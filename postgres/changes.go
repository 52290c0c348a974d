package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ChangeNotifier = (*DB)(nil)

func (db *DB) notify(ctx context.Context, tx pgx.Tx, lastDate int64) error {
	return db.send(ctx, tx, "a:"+strconv.FormatInt(lastDate, 10))
}

func (db *DB) notifyAccess(ctx context.Context, tx pgx.Tx) error { return db.send(ctx, tx, "g") }

func (db *DB) notifyDelete(ctx context.Context, tx pgx.Tx, id string) error {
	return db.send(ctx, tx, "d:"+id)
}

// send queues a notification; PostgreSQL delivers it when tx commits, and
// not at all if it rolls back.
func (db *DB) send(ctx context.Context, tx pgx.Tx, payload string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, db.channel, payload); err != nil {
		return fmt.Errorf("notifying: %w", err)
	}
	return nil
}

func parseChange(payload string) (dragnet.Change, bool) {
	switch {
	case payload == "g":
		return dragnet.Change{Kind: dragnet.ChangeAccess}, true
	case strings.HasPrefix(payload, "a:"):
		us, err := strconv.ParseInt(payload[2:], 10, 64)
		if err != nil {
			return dragnet.Change{}, false
		}
		return dragnet.Change{Kind: dragnet.ChangeObjects, DateAdded: micros(us)}, true
	case strings.HasPrefix(payload, "d:"):
		return dragnet.Change{Kind: dragnet.ChangeDelete, ObjectID: payload[2:]}, true
	}
	return dragnet.Change{}, false
}

// Changes delivers the changes committed by every node on this database,
// this one included, until ctx is done (then the channel is closed). It
// holds one connection of its own, outside the pool, and reconnects by
// itself: after a reconnection it sends ChangeResync, since notifications
// sent meanwhile are lost. The first value is sent once listening has
// begun (a ChangeResync), so a subscriber that then reads from its cursor
// misses nothing.
func (db *DB) Changes(ctx context.Context) <-chan dragnet.Change {
	ch := make(chan dragnet.Change, 64)
	go func() {
		defer close(ch)
		backoff := 50 * time.Millisecond
		for ctx.Err() == nil {
			err := db.listen(ctx, ch)
			if ctx.Err() != nil {
				return
			}
			db.log.Warn("listening for changes", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
	}()
	return ch
}

func (db *DB) listen(ctx context.Context, ch chan<- dragnet.Change) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		return err
	}
	select {
	case ch <- dragnet.Change{Kind: dragnet.ChangeResync}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c, ok := parseChange(n.Payload)
		if !ok {
			continue
		}
		select {
		case ch <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
