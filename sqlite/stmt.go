package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStatements bounds each statement cache: queries built from
// filters vary with the number of values given.
const maxCachedStatements = 512

// reader runs read queries on the read pool through prepared statements,
// prepared once per query text (SQLite's parser otherwise costs more than
// a small query itself).
type reader struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newReader(db *sql.DB) *reader { return &reader{db: db, stmts: map[string]*sql.Stmt{}} }

func (r *reader) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.stmts[query]; ok {
		return s, nil
	}
	if len(r.stmts) >= maxCachedStatements {
		return nil, nil
	}
	s, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	r.stmts[query] = s
	return s, nil
}

// QueryContext runs a query through its cached statement.
func (r *reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := r.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return r.db.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a single-row query through its cached statement.
func (r *reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := r.stmt(ctx, query)
	if err != nil || s == nil {
		// A preparation error surfaces from Scan.
		return r.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// ExecContext is refused: the read pool is query-only.
func (r *reader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return nil, errors.New("sqlite: write on the read pool")
}

// close closes the cached statements.
func (r *reader) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, s := range r.stmts {
		errs = append(errs, s.Close())
	}
	r.stmts = map[string]*sql.Stmt{}
	return errors.Join(errs...)
}

// writerStmts caches statements prepared on the single writer connection,
// so that a write transaction binds them (sql.Tx.StmtContext reuses a
// statement already prepared on its connection) instead of parsing its
// queries again each time.
type writerStmts struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *writerStmts) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// prepare caches queries, up to maxCachedStatements. It must be called
// with the writer connection free: preparing on the writer's pool waits
// for its one connection. A query that fails to prepare is left out (a
// transaction prepares it again and reports the error).
func (c *writerStmts) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.mu.Lock()
		_, ok := c.stmts[q]
		full := len(c.stmts) >= maxCachedStatements
		c.mu.Unlock()
		if ok || full {
			continue
		}
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.stmts[q]; ok || c.stmts == nil {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// close closes the cached statements; later prepares are dropped.
func (c *writerStmts) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
