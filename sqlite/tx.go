package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

// wtx is a write transaction. It allocates date_added values: unique and
// strictly increasing over the whole store, max(now, last+1) in
// microseconds. Allocation happens inside the transaction, which holds
// SQLite's write lock from BEGIN IMMEDIATE to COMMIT, so transactions
// commit in the order of the values they allocate and no reader can see a
// later date_added before an earlier one.
type wtx struct {
	*sql.Tx
	conn  *sql.Conn // the writer connection, held until the end
	db    *DB
	last  int64 // last date_added allocated; -1 until loaded
	dirty bool
	stmts map[string]*sql.Stmt
	// unprepared lists the queries this transaction prepared that the
	// writer's cache lacks, to be cached after it ends.
	unprepared []string
	notes      []dragnet.Change // announced once the transaction commits
}

// note queues a change notice for after the commit.
func (w *wtx) note(c dragnet.Change) { w.notes = append(w.notes, c) }

// stmt returns query prepared on the transaction, preparing it once per
// transaction. A query the writer has prepared before (writerStmts) is
// bound to the transaction without being parsed again; a new one is
// prepared on the transaction and queued for the writer's cache, filled
// once the transaction has released the connection.
func (w *wtx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if ws := w.db.ws.get(query); ws != nil {
		s = w.StmtContext(ctx, ws)
	} else {
		var err error
		if s, err = w.PrepareContext(ctx, query); err != nil {
			return nil, fmt.Errorf("preparing statement: %w", err)
		}
		w.unprepared = append(w.unprepared, query)
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[query] = s
	return s, nil
}

// exec runs a prepared statement.
func (w *wtx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// queryRow runs a prepared single-row query.
func (w *wtx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := w.stmt(ctx, query)
	if err != nil {
		// The error surfaces from Scan: QueryRowContext on a fresh
		// preparation reports it the same way.
		return w.Tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// begin starts a write transaction on the writer connection.
func (db *DB) begin(ctx context.Context) (*wtx, error) {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning transaction: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("beginning transaction: %w", err)
	}
	return &wtx{Tx: tx, conn: conn, db: db, last: -1}, nil
}

// Rollback ends the transaction if it is still open and gives the writer
// connection back.
func (w *wtx) Rollback() error {
	err := w.Tx.Rollback()
	w.release()
	return err
}

func (w *wtx) release() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// nextDateAdded allocates the next date_added.
func (w *wtx) nextDateAdded(ctx context.Context) (int64, error) {
	if w.last < 0 {
		if err := w.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'date_added'`).Scan(&w.last); err != nil {
			return 0, fmt.Errorf("reading date_added counter: %w", err)
		}
	}
	v := max(w.db.now().UnixMicro(), w.last+1)
	w.last = v
	w.dirty = true
	return v, nil
}

// commit stores the counter if it moved, then commits.
func (w *wtx) commit(ctx context.Context) error {
	if w.dirty {
		if _, err := w.ExecContext(ctx, `UPDATE counters SET value = ? WHERE name = 'date_added'`, w.last); err != nil {
			return fmt.Errorf("storing date_added counter: %w", err)
		}
	}
	var gen int64
	if err := w.queryRow(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'generation' RETURNING value`).Scan(&gen); err != nil {
		return fmt.Errorf("moving the generation: %w", err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	w.db.ckpt.written(w.conn)
	w.release()
	w.db.ws.prepare(ctx, w.unprepared)
	w.db.ownGen.Store(gen)
	if w.dirty {
		w.db.hub.publish(dragnet.Change{Kind: dragnet.ChangeObjects, DateAdded: fromMicros(w.last)})
	}
	for _, c := range w.notes {
		w.db.hub.publish(c)
	}
	return nil
}

// QueryContext runs a query through the transaction's statement cache.
func (w *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a single-row query through the statement cache.
func (w *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return w.queryRow(ctx, query, args...)
}

// ExecContext runs a statement through the statement cache.
func (w *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return w.exec(ctx, query, args...)
}
