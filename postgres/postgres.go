// Package postgres implements every Dragnet store service on PostgreSQL
// through pgx, for hubs that run several stateless dragnet nodes on one
// database.
//
// Several nodes behave as one exchange:
//
//   - Migrations are embedded and run at Open (or by `dragnet migrate`)
//     under a session advisory lock, so nodes starting together apply each
//     migration exactly once.
//   - date_added is allocated from a single counter row that stays locked
//     until the writing transaction commits, and the allocation is the last
//     thing a write does before committing. Dates are therefore strictly
//     increasing in commit order across all nodes: once a reader has seen
//     date_added D committed, every date_added below D is already committed
//     (or will never be), so paging by date_added > cursor through any node
//     sees every object exactly once.
//   - Every write that adds or removes intelligence sends a NOTIFY on the
//     schema's change channel at commit; Changes delivers them to the
//     in-memory indexes of every node (see changes.go).
//
// Access rules are enforced in the queries, from the Principal carried in
// the context, exactly as in the sqlite package; storetest holds the
// conformance suite both pass.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open. The zero value is usable.
type Options struct {
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxConns bounds the connection pool (0: pgx's default, the larger of
	// 4 and the number of CPUs).
	MaxConns int32
	// MinConns keeps this many connections open.
	MinConns int32
	// StatementTimeout aborts any statement running longer (0: the
	// server's setting).
	StatementTimeout time.Duration
	// Schema, when set, is created if missing and used as the search_path:
	// the store lives in that schema (tests use one schema each).
	Schema string
	// NoMigrate makes Open fail with EINVALID instead of migrating when the
	// schema is not current (for nodes that leave it to `dragnet migrate`).
	NoMigrate bool
}

// DB is a Dragnet store on PostgreSQL. It is safe for concurrent use.
type DB struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	now     func() time.Time
	schema  string // the schema the store lives in
	channel string // NOTIFY channel of this schema
	lockKey int64  // advisory lock key of this schema's migrations
}

// Open connects to the database at url (a postgres:// URL or a libpq
// keyword string), migrates the schema unless opts.NoMigrate, and returns
// the store.
//
// Pool and session settings may also ride in the URL, so that every
// command taking --db accepts them: pool_max_conns, pool_min_conns,
// pool_max_conn_lifetime (pgxpool), statement_timeout (in ms, or with a
// unit: "30s"), search_path and any other server setting. Options, when
// set, take precedence.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	return open(ctx, url, opts, !opts.NoMigrate)
}

// Migrate connects to the database at url, applies the migrations not yet
// applied (waiting for any other node migrating at the same time) and
// returns the names of those it applied.
func Migrate(ctx context.Context, url string, opts Options) ([]string, error) {
	opts.MaxConns = 1
	db, err := open(ctx, url, opts, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// open connects; with migrate false and opts.NoMigrate false it neither
// migrates nor checks the schema (for Migrate).
func open(ctx context.Context, url string, opts Options, migrate bool) (*DB, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, err
	}
	if opts.Schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig.Copy(), opts.Schema); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	db := &DB{pool: pool, log: opts.Logger, now: opts.Now}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&db.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	db.channel = "dragnet_changes_" + db.schema
	h := fnv.New64a()
	h.Write([]byte("dragnet migrations " + db.schema))
	db.lockKey = int64(h.Sum64())
	if !migrate && !opts.NoMigrate {
		return db, nil
	}
	if opts.NoMigrate {
		pending, err := db.pendingMigrations(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, err
		}
		if len(pending) > 0 {
			pool.Close()
			return nil, dragnet.Errorf(dragnet.EINVALID, "database schema is not current (%d migrations pending): run dragnet migrate", len(pending))
		}
		return db, nil
	}
	if _, err := db.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

func poolConfig(url string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "database URL: %v", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.MinConns > 0 {
		cfg.MinConns = opts.MinConns
	}
	rp := cfg.ConnConfig.RuntimeParams
	if opts.StatementTimeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if opts.Schema != "" {
		if !validIdent(opts.Schema) {
			return nil, dragnet.Errorf(dragnet.EINVALID, "schema %q: use lower-case letters, digits and _", opts.Schema)
		}
		rp["search_path"] = opts.Schema
	}
	rp["timezone"] = "UTC"
	return cfg, nil
}

func validIdent(s string) bool {
	if s == "" || len(s) > 40 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	delete(cfg.RuntimeParams, "search_path")
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		var pe *pgconn.PgError
		// Two nodes creating the schema at once: one loses the race on the
		// catalog's unique index, and the schema is there.
		if errors.As(err, &pe) && pe.Code == "23505" {
			return nil
		}
		return fmt.Errorf("creating schema %s: %w", schema, err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool (for tests and tools).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must start with NNNN_", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, e.Name(), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			// The second would never be applied.
			return nil, fmt.Errorf("migrations %s and %s share the number %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

func (db *DB) pendingMigrations(ctx context.Context, q querier) ([]migration, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("reading schema version: %w", err)
	}
	applied := map[int]bool{}
	if exists {
		rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, fmt.Errorf("reading schema version: %w", err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return nil, fmt.Errorf("reading schema version: %w", err)
		}
		for _, v := range vs {
			applied[v] = true
		}
	}
	var pending []migration
	for _, m := range ms {
		if !applied[m.version] {
			pending = append(pending, m)
		}
	}
	return pending, nil
}

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction, and returns the names of those it applied. It holds a session
// advisory lock meanwhile, so nodes migrating at once wait for each other
// and each migration runs exactly once.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	defer conn.Release()
	// Waiting for another node's migrations, and migrating, may take longer
	// than any statement timeout meant for requests.
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, db.lockKey); err != nil {
		return nil, fmt.Errorf("migrating: taking the lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released (and the timeout
		// restored) even if ctx is done, or the connection goes back to
		// the pool holding the lock.
		bg := context.Background()
		if _, err := conn.Exec(bg, `SELECT pg_advisory_unlock($1)`, db.lockKey); err != nil {
			conn.Conn().Close(bg)
			return
		}
		if _, err := conn.Exec(bg, `RESET statement_timeout`); err != nil {
			conn.Conn().Close(bg)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	pending, err := db.pendingMigrations(ctx, conn)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %s: %w", m.name, err)
		}
		db.log.Info("applied migration", "name", m.name, "schema", db.schema)
		done = append(done, m.name)
	}
	return done, nil
}

// principal returns the caller, EUNAUTHORIZED if there is none.
func principal(ctx context.Context) (dragnet.Principal, error) {
	p, ok := dragnet.PrincipalFrom(ctx)
	if !ok {
		return p, dragnet.Errorf(dragnet.EUNAUTHORIZED, "authentication required")
	}
	return p, nil
}

// operator returns the caller if it administers the hub, else EFORBIDDEN.
func operator(ctx context.Context) (dragnet.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return p, err
	}
	if !p.IsOperator() {
		return p, dragnet.Errorf(dragnet.EFORBIDDEN, "only the hub operator may do this")
	}
	return p, nil
}

// inTx runs fn in a transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// versionTime is a stored version as TAXII shows it: the object's version
// (ns), else, for objects with neither modified nor created, date_added.
func versionTime(ns, dateAdded int64) time.Time {
	if ns == 0 {
		return micros(dateAdded)
	}
	return time.Unix(0, ns).UTC()
}
