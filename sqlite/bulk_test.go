package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// TestBulkConflictKeepsNothing breaks the bulk path's premise (an object
// new to the store) inside a write transaction: the multi-row INSERT OR
// ROLLBACK fails, the transaction keeps nothing of what it wrote before,
// and the writer goes on working.
func TestBulkConflictKeepsNothing(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (n int) {
		if err := db.w.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM objects) + (SELECT count(*) FROM versions) + (SELECT count(*) FROM submissions)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	obj := func(id string) newObject {
		return newObject{id: id, typ: "indicator", spec: "2.1", versionNS: 1, raw: []byte(`{}`), audience: 1, org: 1, shared: true}
	}
	add := func(ids ...string) error {
		w, err := db.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Rollback()
		if _, err := w.ExecContext(ctx, `INSERT INTO audit (time, org_id, org_name, token_id, action, target, outcome, remote, detail) VALUES (1, 1, 'x', 0, 'test', '', 'ok', '', '')`); err != nil {
			t.Fatal(err)
		}
		b := &bulk{w: w}
		for _, id := range ids {
			if _, err := b.add(ctx, obj(id)); err != nil {
				return err
			}
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
		return w.commit(ctx)
	}
	if err := add("indicator--00000000-0000-4000-8000-000000000001"); err != nil {
		t.Fatal(err)
	}
	before := count()
	var audits int
	db.w.QueryRowContext(ctx, `SELECT count(*) FROM audit`).Scan(&audits)
	err = add("indicator--00000000-0000-4000-8000-000000000002", "indicator--00000000-0000-4000-8000-000000000001")
	if err == nil {
		t.Fatal("a second object with a stored id went through the bulk path")
	}
	if got := count(); got != before {
		t.Errorf("after the failed batch the store holds %d rows, want %d", got, before)
	}
	var after int
	db.w.QueryRowContext(ctx, `SELECT count(*) FROM audit`).Scan(&after)
	if after != audits {
		t.Errorf("the failed transaction's audit row was kept (%d rows, want %d)", after, audits)
	}
	if err := add("indicator--00000000-0000-4000-8000-000000000003"); err != nil {
		t.Fatalf("writing after the failure: %v", err)
	}
	if got := count(); got != before+3 {
		t.Errorf("after another batch the store holds %d rows, want %d", got, before+3)
	}
}

// TestBulkRepeatedValues: values an object carries more than once are
// indexed once each (the multi-row INSERT OR ROLLBACK would fail on the
// repeat), while two objects with one value both index it.
func TestBulkRepeatedValues(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	x := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.1"}
	y := dragnet.Value{Kind: dragnet.ValueDomain, Value: "example.com"}
	b := &bulk{w: w}
	for i, vs := range [][]dragnet.Value{{x, y, x, x, y}, {y}} {
		n := newObject{id: fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i+1), typ: "indicator", spec: "2.1",
			versionNS: 1, raw: []byte(`{}`), audience: 1, org: 1, shared: true, values: vs}
		if _, err := b.add(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.commit(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM obj_values`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("obj_values holds %d rows, want 3", n)
	}
}
