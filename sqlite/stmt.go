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
