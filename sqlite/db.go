// Package sqlite implements dragnet.Store (and dragnet.ValueScanner,
// dragnet.ObjectScanner and dragnet.ChangeNotifier) on embedded SQLite
// (modernc.org/sqlite, no cgo) in WAL mode, in DIR/dragnet.db.
//
// One connection writes (SQLite serialises writers anyway; BEGIN IMMEDIATE
// makes other processes wait for it rather than fail), and a pool of
// connections reads from WAL snapshots. Every method reads the calling
// principal from ctx and applies the access rules in its own queries: a
// collection read computes the caller's Access (one recursive query over
// group membership) and then is a plain index range scan.
//
// Storage (migrations/0001_init.sql):
//
//   - objects: one row per STIX id with its author, the first organisation
//     to submit it; for objects without versions (SCOs), one row per id and
//     organisation that holds it out of the others' sight (see objectFor).
//   - versions: each (id, version) once, with the exact JSON received.
//   - submissions: a version published to an audience, with its own TLP
//     and submitting organisation. Its rowid is date_added, in
//     microseconds, allocated inside the write transaction as max(now,
//     last+1): unique, strictly increasing, and committed in order, so
//     paging by date_added never skips or repeats. Flags latest and first
//     mark each object's newest and oldest version within the audience,
//     kept on insert and delete, so match[version]=last is a partial-index
//     range scan rather than a GROUP BY.
//   - obj_values: the normalised observable values of each version.
//   - removals: deletions, for ValueChanges.
//   - statuses and status_chunks: TAXII status resources, their entries
//     encoded a thousand to a row (statuschunk.go), so that a posted
//     envelope costs a row per thousand objects, not one per object.
//
// AddObjects checks every object before writing anything of it; objects
// new to the store and alone in their batch are written with multi-row
// INSERTs in the order of the indexes random ids scatter (bulk.go), the
// others one by one. Checkpoints run in the background, on a connection
// of their own (checkpoint.go), so that no commit waits for one.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dragnet-intel/dragnet"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var (
	_ dragnet.Store        = (*DB)(nil)
	_ dragnet.ValueScanner = (*DB)(nil)
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure a DB.
type Options struct {
	Logger  *slog.Logger     // nil: discard
	Now     func() time.Time // nil: time.Now
	Readers int              // size of the read pool; 0: max(4, GOMAXPROCS)
	// WriterCacheMiB is the writer connection's page cache; 0:
	// DefaultWriterCacheMiB.
	WriterCacheMiB int
	// CheckpointPages is the number of pages the writer writes to the WAL
	// between two checkpoints, which run in the background (see
	// checkpointer); 0: DefaultCheckpointPages. Should they fall behind,
	// a commit checkpoints a WAL of 10 times as many pages itself.
	CheckpointPages int
}

// Defaults of Options.
const (
	DefaultWriterCacheMiB  = 16
	DefaultCheckpointPages = 10000
)

// DB is the store on one SQLite database file.
type DB struct {
	path string
	w    *sql.DB // the single writer
	ws   writerStmts
	r    *sql.DB // readers
	rd   *reader // prepared statements on r
	log  *slog.Logger
	now  func() time.Time

	hub    hub
	ckpt   *checkpointer
	ownGen atomic.Int64  // generation of this handle's last commit
	closed chan struct{} // closed by Close
}

// FileName is the database file Open uses inside its directory.
const FileName = "dragnet.db"

// Open opens (creating if need be) DIR/dragnet.db, applies the embedded
// migrations not yet applied, and returns the store.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	db := &DB{path: filepath.Join(dir, FileName), log: opts.Logger, now: opts.Now, closed: make(chan struct{})}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	pragmas := []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"foreign_keys(0)",
		"temp_store(MEMORY)",
		"mmap_size(1073741824)",
	}
	// The writer begins with BEGIN IMMEDIATE so that a second process
	// waits for the write lock instead of failing mid-transaction; readers
	// begin deferred, taking only a WAL snapshot.
	dsn := func(txlock string, extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return "file:" + db.path + "?" + q.Encode()
	}
	var err error
	// The writer's page cache is kept small: SQLite scans the whole cache
	// at the end of every write transaction (pcache1 truncation), which at
	// 64 MiB cost more than the cache saved; 16 MiB measured best for
	// batches of 1,000 objects into stores of up to a million.
	cacheMiB, ckpt := opts.WriterCacheMiB, opts.CheckpointPages
	if cacheMiB <= 0 {
		cacheMiB = DefaultWriterCacheMiB
	}
	if ckpt <= 0 {
		ckpt = DefaultCheckpointPages
	}
	if db.w, err = sql.Open("sqlite", dsn("immediate", fmt.Sprintf("cache_size(%d)", -1024*cacheMiB), fmt.Sprintf("wal_autocheckpoint(%d)", 10*ckpt))); err != nil {
		return nil, fmt.Errorf("opening %s: %w", db.path, err)
	}
	keepConns(db.w, 1)
	db.ws = writerStmts{db: db.w, stmts: map[string]*sql.Stmt{}}
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, err
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	if db.r, err = sql.Open("sqlite", dsn("deferred", "cache_size(-65536)", "query_only(1)")); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("opening %s: %w", db.path, err)
	}
	keepConns(db.r, readers)
	db.rd = newReader(db.r)
	ck, err := sql.Open("sqlite", dsn("deferred", "cache_size(-1024)"))
	if err != nil {
		db.r.Close()
		db.w.Close()
		return nil, fmt.Errorf("opening %s: %w", db.path, err)
	}
	keepConns(ck, 1)
	db.ckpt = newCheckpointer(ck, ckpt, func(err error) { db.log.Warn("background checkpoint failed", "err", err) })
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	select {
	case <-db.closed:
	default:
		close(db.closed)
	}
	return errors.Join(db.ckpt.close(), db.rd.close(), db.ws.close(), db.r.Close(), db.w.Close())
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// migrate applies every embedded migration newer than schema_version, each
// in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_version: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	nums, err := migrationNumbers(names)
	if err != nil {
		return err
	}
	for i, name := range names {
		if err := db.migrateOne(ctx, name, nums[i]); err != nil {
			return err
		}
	}
	return nil
}

// migrationNumbers returns the number each migration file name starts
// with. Two files with one number would leave the second never applied,
// so that is an error.
func migrationNumbers(names []string) ([]int, error) {
	nums := make([]int, len(names))
	seen := map[int]string{}
	for i, name := range names {
		base := filepath.Base(name)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		if other, ok := seen[n]; ok {
			return nil, fmt.Errorf("migrations %s and %s share the number %d", other, base, n)
		}
		seen[n], nums[i] = base, n
	}
	return nums, nil
}

func (db *DB) migrateOne(ctx context.Context, name string, n int) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("reading schema_version: %w", err)
	}
	if n <= cur {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("applying migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, n); err != nil {
		return fmt.Errorf("recording migration %s: %w", name, err)
	}
	db.log.Info("applied migration", "migration", filepath.Base(name))
	return tx.Commit()
}

// keepConns sizes pool to n connections, all kept open for good.
func keepConns(pool *sql.DB, n int) {
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(0)
	pool.SetConnMaxLifetime(0)
}

// principal returns the caller, or EUNAUTHORIZED.
func principal(ctx context.Context) (dragnet.Principal, error) {
	p, ok := dragnet.PrincipalFrom(ctx)
	if !ok || (!p.System && p.Org == nil) {
		return dragnet.Principal{}, dragnet.Errorf(dragnet.EUNAUTHORIZED, "authentication required")
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

// micros converts t to microseconds since the epoch; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// fromNanos converts nanoseconds since the epoch; 0 is the zero time.
func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sqlite: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// isUnique reports whether err is a UNIQUE constraint failure.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// placeholders returns "?,?,…" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}
