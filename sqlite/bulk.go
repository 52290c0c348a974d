package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// rowsPerInsert is how many rows one multi-row INSERT carries at most.
// Each statement of a transaction has its own statement journal, into
// which SQLite copies every page that existed when the statement began
// before changing it; inserting in long statements copies each page
// fewer times (submissions, whose rowid is given, keep one).
const rowsPerInsert = 1000

// insertRows inserts rows of ncols values each (flattened in args) with
// multi-row INSERT statements; head is "INSERT INTO t (a, b) VALUES ".
// fixed, when not empty, is SQL text for the last columns, the same in
// every row (literals, not bound per row).
// Statements carry rowsPerInsert rows, then what is left in tens, hundreds
// … of rows, then one by one, so that a table needs few distinct
// statements (the writer keeps each prepared).
func insertRows(ctx context.Context, w *wtx, head string, ncols int, fixed string, args []any) error {
	row := "(" + placeholders(ncols) + ")"
	if fixed != "" {
		row = "(" + placeholders(ncols) + ", " + fixed + ")"
	}
	for len(args) > 0 {
		n := rowsPerInsert
		for n > len(args)/ncols {
			n /= 10
		}
		q := head + strings.Repeat(row+",", n-1) + row
		if _, err := w.exec(ctx, q, args[:n*ncols]...); err != nil {
			return fmt.Errorf("inserting rows: %w", err)
		}
		args = args[n*ncols:]
	}
	return nil
}

// bulk buffers objects new to the store (each alone in its batch) and
// inserts them with multi-row statements. It assigns oid and vid itself,
// so nothing else may insert objects or versions between add and flush.
//
// Feed ids are random, so the objects id index and the obj_values value
// index would take each row on a page of its own. Rows go in in the
// order of those indexes instead: objects (and their versions) by id,
// obj_values by (kind, value), so that each page is visited in one run
// per flush. Oids and vids are numbered in id order too, and left to
// SQLite (the next rowid after the largest, checked after the insert):
// a statement that gives the rowid keeps a statement journal, a copy of
// every page it changes that existed before it. Objects, versions and
// their indexes then grow at their end; submissions, keyed by date_added
// in the order of the call, take their oids out of order, but only
// within the pages this flush fills.
type bulk struct {
	w      *wtx
	loaded bool
	// lastOID and lastVID are the largest stored before this flush.
	lastOID, lastVID int64
	objs             []bulkObject
}

// bulkObject is one buffered object and its date_added.
type bulkObject struct {
	n  newObject
	da int64
}

// add buffers n and returns its date_added.
func (b *bulk) add(ctx context.Context, n newObject) (int64, error) {
	if !b.loaded {
		if err := b.w.queryRow(ctx, `SELECT (SELECT coalesce(max(oid), 0) FROM objects), (SELECT coalesce(max(vid), 0) FROM versions)`).Scan(&b.lastOID, &b.lastVID); err != nil {
			return 0, fmt.Errorf("reading row ids: %w", err)
		}
		b.loaded = true
	}
	da, err := b.w.nextDateAdded(ctx)
	if err != nil {
		return 0, err
	}
	b.objs = append(b.objs, bulkObject{n: n, da: da})
	return da, nil
}

// flush writes what is buffered.
//
// The multi-row INSERTs say OR ROLLBACK: the rows are new by construction
// (freshIDs, inside the same write transaction), so a constraint failure
// is a fault that ends the whole call anyway, and without an ABORT to
// undo SQLite needs no statement journal for it. For the same reason each
// object's values are made distinct here (after sorting) rather than by
// OR IGNORE.
func (b *bulk) flush(ctx context.Context) error {
	b.loaded = false
	if len(b.objs) == 0 {
		return nil
	}
	objs := b.objs
	b.objs = b.objs[:0]
	byID := make([]int, len(objs))
	for i := range byID {
		byID[i] = i
	}
	slices.SortFunc(byID, func(x, y int) int { return cmp.Compare(objs[x].n.id, objs[y].n.id) })
	rank := make([]int64, len(objs))
	objects := make([]any, 0, 4*len(objs))
	versions := make([]any, 0, 6*len(objs))
	for r, i := range byID {
		n := objs[i].n
		rank[i] = int64(r) + 1
		if n.org != objs[0].n.org || n.audience != objs[0].n.audience {
			return fmt.Errorf("inserting objects: one flush holds objects of two organisations or audiences")
		}
		objects = append(objects, n.id, n.typ, n.shared)
		versions = append(versions, b.lastOID+rank[i], n.versionNS, n.spec, n.revoked, n.validUntil, n.raw)
	}
	// The submissions' and values' rows are arranged on another processor
	// while objects and versions go in.
	var subs, args []any
	arranged := make(chan struct{})
	go func() {
		defer close(arranged)
		subs, args = b.arrange(objs, rank)
	}()
	defer func() { <-arranged }()
	// The organisation and audience, the same for every row, are written
	// into the statements rather than bound to each row.
	org, aud := strconv.FormatInt(objs[0].n.org, 10), strconv.FormatInt(objs[0].n.audience, 10)
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO objects (id, type, shared, owner) VALUES `, 3, org, objects); err != nil {
		return err
	}
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO versions (oid, version_ns, spec_version, revoked, valid_until, raw) VALUES `, 6, "", versions); err != nil {
		return err
	}
	var lastOID, lastVID int64
	if err := b.w.queryRow(ctx, `SELECT (SELECT max(oid) FROM objects), (SELECT max(vid) FROM versions)`).Scan(&lastOID, &lastVID); err != nil {
		return fmt.Errorf("reading row ids: %w", err)
	}
	if n := int64(len(objs)); lastOID != b.lastOID+n || lastVID != b.lastVID+n {
		return fmt.Errorf("inserting objects: row ids up to %d and %d expected, got %d and %d", b.lastOID+n, b.lastVID+n, lastOID, lastVID)
	}
	<-arranged
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO submissions (date_added, oid, vid, version_ns, tlp, audience, org_id, latest, first) VALUES `, 5, aud+", "+org+", 1, 1", subs); err != nil {
		return err
	}
	return insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO obj_values (vid, kind, value) VALUES `, 3, "", args)
}

// arrange returns the arguments of the submissions' rows (in the order
// of the call) and of the values' rows (by kind and value, each object's
// repeats dropped), given each object's rank in id order.
func (b *bulk) arrange(objs []bulkObject, rank []int64) (subs, args []any) {
	subs = make([]any, 0, 9*len(objs))
	var values []bulkValue
	for i, o := range objs {
		n := o.n
		oid, vid := b.lastOID+rank[i], b.lastVID+rank[i]
		subs = append(subs, o.da, oid, vid, n.versionNS, int64(n.tlp))
		for _, v := range n.values {
			values = append(values, bulkValue{vid: vid, kind: string(v.Kind), value: v.Value})
		}
	}
	slices.SortFunc(values, func(x, y bulkValue) int {
		if c := cmp.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		if c := cmp.Compare(x.value, y.value); c != 0 {
			return c
		}
		return cmp.Compare(x.vid, y.vid)
	})
	// An object's repeated values are neighbours now: keep one of each.
	values = slices.Compact(values)
	args = make([]any, 0, 3*len(values))
	for _, v := range values {
		args = append(args, v.vid, v.kind, v.value)
	}
	return subs, args
}

// bulkValue is one row of obj_values.
type bulkValue struct {
	vid         int64
	kind, value string
}

// freshIDs returns the ids of prepared objects (those without a failure)
// that the store has never seen and that occur once in the batch.
func (a *adder) freshIDs(ctx context.Context, prepared []newObject, results []dragnet.AddResult) (map[string]bool, error) {
	// fresh[id] is true for an id seen once so far, false for a repeat.
	fresh := make(map[string]bool, len(prepared))
	ids := make([]string, 0, len(prepared))
	for i, n := range prepared {
		if results[i].Err != nil {
			continue
		}
		if _, seen := fresh[n.id]; seen {
			fresh[n.id] = false
			continue
		}
		fresh[n.id] = true
		ids = append(ids, n.id)
	}
	// The ids go in as one JSON array a statement, in order, so that the
	// look-ups walk the id index from one end to the other.
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), freshChunk)
		list, err := json.Marshal(ids[:n])
		if err != nil {
			return nil, err
		}
		rows, err := a.w.QueryContext(ctx, `SELECT o.id FROM json_each(?) j CROSS JOIN objects o ON o.id = j.value`, string(list))
		if err != nil {
			return nil, fmt.Errorf("finding objects: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			fresh[id] = false
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("finding objects: %w", err)
		}
		ids = ids[n:]
	}
	return fresh, nil
}

// freshChunk is how many ids freshIDs looks up in one statement.
const freshChunk = 10000
