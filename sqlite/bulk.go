package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// rowsPerInsert is how many rows one multi-row INSERT carries.
const rowsPerInsert = 100

// insertRows inserts rows of ncols values each (flattened in args) with
// multi-row INSERT statements; head is "INSERT INTO t (a, b) VALUES ".
func insertRows(ctx context.Context, w *wtx, head string, ncols int, args []any) error {
	row := "(" + placeholders(ncols) + ")"
	for len(args) > 0 {
		n := min(len(args)/ncols, rowsPerInsert)
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
type bulk struct {
	w                       *wtx
	loaded                  bool
	nextOID, nextVID        int64
	objects, versions, subs []any
	values                  []any
}

// add buffers n and returns its date_added.
func (b *bulk) add(ctx context.Context, n newObject) (int64, error) {
	if !b.loaded {
		if err := b.w.queryRow(ctx, `SELECT (SELECT coalesce(max(oid), 0) FROM objects), (SELECT coalesce(max(vid), 0) FROM versions)`).Scan(&b.nextOID, &b.nextVID); err != nil {
			return 0, fmt.Errorf("reading row ids: %w", err)
		}
		b.loaded = true
	}
	b.nextOID++
	b.nextVID++
	oid, vid := b.nextOID, b.nextVID
	da, err := b.w.nextDateAdded(ctx)
	if err != nil {
		return 0, err
	}
	b.objects = append(b.objects, oid, n.id, n.typ, n.org, n.shared)
	b.versions = append(b.versions, vid, oid, n.versionNS, n.spec, n.revoked, n.validUntil, n.raw)
	b.subs = append(b.subs, da, n.audience, oid, vid, n.versionNS, int(n.tlp), n.org, 1, 1)
	for _, v := range n.values {
		b.values = append(b.values, vid, string(v.Kind), v.Value)
	}
	return da, nil
}

// flush writes what is buffered.
//
// The multi-row INSERTs say OR ROLLBACK: the rows are new by construction
// (freshIDs, inside the same write transaction), so a constraint failure
// is a fault that ends the whole call anyway, and without an ABORT to
// undo SQLite keeps no statement journal (a copy of every page each
// statement changes, about 3% of the CPU of a large feed's ingest).
func (b *bulk) flush(ctx context.Context) error {
	b.loaded = false
	if len(b.objects) == 0 {
		return nil
	}
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO objects (oid, id, type, owner, shared) VALUES `, 5, b.objects); err != nil {
		return err
	}
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO versions (vid, oid, version_ns, spec_version, revoked, valid_until, raw) VALUES `, 7, b.versions); err != nil {
		return err
	}
	if err := insertRows(ctx, b.w, `INSERT OR ROLLBACK INTO submissions (date_added, audience, oid, vid, version_ns, tlp, org_id, latest, first) VALUES `, 9, b.subs); err != nil {
		return err
	}
	if err := insertRows(ctx, b.w, `INSERT OR IGNORE INTO obj_values (vid, kind, value) VALUES `, 3, b.values); err != nil {
		return err
	}
	b.objects, b.versions, b.subs, b.values = b.objects[:0], b.versions[:0], b.subs[:0], b.values[:0]
	return nil
}

// freshIDs returns the ids of prepared objects (those without a failure)
// that the store has never seen and that occur once in the batch.
func (a *adder) freshIDs(ctx context.Context, prepared []newObject, results []dragnet.AddResult) (map[string]bool, error) {
	count := map[string]int{}
	var ids []any
	for i, n := range prepared {
		if results[i].Err != nil {
			continue
		}
		if count[n.id] == 0 {
			ids = append(ids, n.id)
		}
		count[n.id]++
	}
	fresh := make(map[string]bool, len(ids))
	for id, c := range count {
		fresh[id] = c == 1
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := a.w.QueryContext(ctx, `SELECT id FROM objects WHERE id IN (`+placeholders(n)+`)`, ids[:n]...)
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
			return nil, err
		}
		ids = ids[n:]
	}
	return fresh, nil
}
