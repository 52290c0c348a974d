package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// TestOpen: Open creates the directory and the file in WAL mode, runs each
// migration once, and keeps what was stored across reopening.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "data")
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != filepath.Join(dir, sqlite.FileName) {
		t.Errorf("Path = %s", db.Path())
	}
	o := &dragnet.Org{Name: "A", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), o); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.FindOrg(dragnet.SystemContext(ctx), "A"); err != nil || got.ID != o.ID {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	var n, distinct int
	if err := raw.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_version`).Scan(&n, &distinct); err != nil || n != distinct || n == 0 {
		t.Errorf("schema_version has %d rows, %d distinct: %v", n, distinct, err)
	}
	// Open fails clearly on a path that cannot be a directory.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := sqlite.Open(ctx, file, sqlite.Options{}); err == nil {
		t.Error("Open on a file succeeded")
	}
}

// TestClock: date_added stays unique and increasing when the clock stands
// still or goes back, and is the clock's time otherwise.
func TestClock(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := &dragnet.Org{Name: "A", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), o); err != nil {
		t.Fatal(err)
	}
	as := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
	add := func(n int) {
		var subs []*dragnet.Submission
		for i := 0; i < 3; i++ {
			raw := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--00000000-0000-4000-8000-` + pad(n*10+i) + `","value":"192.0.2.1"}`
			so, err := stix.Decode([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, &dragnet.Submission{Object: so})
		}
		if _, err := db.AddObjects(as, dragnet.CommunityCollectionID, "", subs); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	set(now.Add(-time.Hour)) // back
	add(2)
	set(now.Add(2 * time.Hour)) // forward
	add(3)
	p, err := db.Objects(as, dragnet.CommunityCollectionID, dragnet.Filter{Types: []string{"ipv4-addr"}}, false)
	if err != nil || len(p.Objects) != 9 {
		t.Fatalf("%d objects, %v", len(p.Objects), err)
	}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i, x := range p.Objects {
		if i > 0 && x.DateAdded.Sub(p.Objects[i-1].DateAdded) <= 0 {
			t.Errorf("date_added %v after %v", x.DateAdded, p.Objects[i-1].DateAdded)
		}
		if i < 6 && x.DateAdded.Sub(base) >= time.Second {
			t.Errorf("object %d date_added %v ran away from a still clock", i, x.DateAdded)
		}
	}
	if want := base.Add(time.Hour); !p.Objects[6].DateAdded.Equal(want) {
		t.Errorf("after the clock moved on: %v, want %v", p.Objects[6].DateAdded, want)
	}
}

func pad(n int) string { return fmt.Sprintf("%012d", n) }

// TestTwoHandles: an administrative command opening the same directory
// (another handle, as another process would) is seen at once by a running
// server's handle, and writes from both interleave safely.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	sys := dragnet.SystemContext(ctx)
	dir := t.TempDir()
	server, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	admin, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateOrg(sys, &dragnet.Org{Name: "A", Country: "NL"}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := admin.CreateToken(sys, "A", dragnet.RoleWrite, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := server.Authenticate(ctx, "A", secret)
	if err != nil {
		t.Fatalf("server does not see the admin's token: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, db := range []*sqlite.DB{server, admin} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := db.AddObjects(dragnet.WithPrincipal(ctx, p), dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(i*1000 + j)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	pg, err := server.Objects(dragnet.WithPrincipal(ctx, p), dragnet.CommunityCollectionID, dragnet.Filter{Types: []string{"indicator"}}, false)
	if err != nil || len(pg.Objects) != 40 {
		t.Fatalf("%d objects, %v", len(pg.Objects), err)
	}
	for i := 1; i < len(pg.Objects); i++ {
		if !pg.Objects[i].DateAdded.After(pg.Objects[i-1].DateAdded) {
			t.Fatal("date_added not increasing across handles")
		}
	}
}

// TestAdminAudited: administrative actions are audited in the same
// transaction as the action, with the acting principal.
func TestAdminAudited(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	op, _, _, err := db.EnsureOperator(sys, "operator", "NL")
	if err != nil {
		t.Fatal(err)
	}
	opCtx := dragnet.OrgContext(ctx, op, dragnet.RoleAdmin)
	if err := db.CreateOrg(opCtx, &dragnet.Org{Name: "A", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	_, tok, err := db.CreateToken(sys, "A", dragnet.RoleRead, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(sys, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateGroup(sys, "g", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveGroupMembers(sys, "g", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOrg(sys, &dragnet.Org{Name: "A", Country: "DE"}); err == nil {
		t.Fatal("duplicate org created")
	}
	evs, err := db.AuditEvents(sys, dragnet.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Action+" "+e.Target+" by "+e.OrgName)
	}
	want := []string{
		"operator.create operator by system",
		"org.create A by operator",
		"token.create A by system",
		fmt.Sprintf("token.revoke token %d by system", tok.ID),
		"group.create g by system",
		"group.members.remove g by system",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit:\n got %q\nwant %q", got, want)
	}
}

// TestReadDuringWrite: a read transaction (a status, a value scan) does
// not wait for a write transaction in progress.
func TestReadDuringWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	// Another handle holds the write lock.
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO audit (time, org_id, org_name, token_id, action, target, outcome, remote, detail) VALUES (1, 0, '', 0, 'x', '', '', '', '')`); err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	done := make(chan error, 1)
	go func() {
		_, err := db.ScanValues(sys, func(*dragnet.ValueEntry) error { return nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a read transaction waited for a writer")
	}
}
