package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/stix"
)

// world is a small exchange: two members and a group holding one of them.
type world struct {
	db         *postgres.DB
	sys        context.Context
	a, b       *dragnet.Org
	actx, bctx context.Context
	group      *dragnet.Group
}

func newWorld(t *testing.T, db *postgres.DB) *world {
	t.Helper()
	w := &world{db: db, sys: dragnet.SystemContext(context.Background())}
	w.a = &dragnet.Org{Name: "Alpha CERT", Country: "de", Kind: dragnet.KindCERT}
	w.b = &dragnet.Org{Name: "Bravo Police", Country: "FR", Kind: dragnet.KindLawEnforcement}
	for _, o := range []*dragnet.Org{w.a, w.b} {
		if err := db.CreateOrg(w.sys, o); err != nil {
			t.Fatalf("CreateOrg(%s): %v", o.Name, err)
		}
	}
	var err error
	if w.group, err = db.CreateGroup(w.sys, "alpha-only", []string{w.a.Name}); err != nil {
		t.Fatal(err)
	}
	w.actx = dragnet.OrgContext(context.Background(), w.a, dragnet.RoleWrite)
	w.bctx = dragnet.OrgContext(context.Background(), w.b, dragnet.RoleWrite)
	return w
}

func (w *world) collection(t *testing.T, ctx context.Context, title string) string {
	t.Helper()
	cs, err := w.db.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == title {
			return c.CollectionID
		}
	}
	t.Fatalf("no collection %q", title)
	return ""
}

func indicator(t testing.TB, n int, modified time.Time, extra string) *dragnet.Submission {
	t.Helper()
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2024-01-01T00:00:00.000Z","modified":%q,"name":"bot %d","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"%s}`,
		n, stix.FormatTimestamp(modified), n, ip, extra)
	o, err := stix.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return &dragnet.Submission{Object: o, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}}
}

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestMigrateTwice(t *testing.T) {
	schema := pgtest.Schema(t)
	db1 := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	done, err := db1.Migrate(context.Background())
	if err != nil || len(done) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing to do", done, err)
	}
	if _, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{Schema: schema, NoMigrate: true}); err != nil {
		t.Fatalf("Open with NoMigrate on a current schema: %v", err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	schema := pgtest.Schema(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{Schema: schema, MaxConns: 2})
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("nodes opening together: %v", err)
		}
	}
}

func TestNoMigrateRefusesOldSchema(t *testing.T) {
	_, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{Schema: pgtest.Schema(t), NoMigrate: true})
	if dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Fatalf("Open(NoMigrate) on an empty schema = %v, want EINVALID", err)
	}
}

func TestAddPageAndSee(t *testing.T) {
	db := pgtest.Open(t, postgres.Options{})
	w := newWorld(t, db)
	ctx := context.Background()
	comm := dragnet.CommunityCollectionID
	grp := w.collection(t, w.actx, "alpha-only")

	var subs []*dragnet.Submission
	for i := range 25 {
		subs = append(subs, indicator(t, i, t0, ""))
	}
	res, err := db.AddObjects(w.actx, comm, "", subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.ID, r.Err)
		}
	}
	// Again: idempotent.
	res, err = db.AddObjects(w.actx, comm, "", subs[:3])
	if err != nil || res[0].Err != nil {
		t.Fatalf("re-submission: %v %v", err, res)
	}
	// Bravo may not version Alpha's object, but may re-submit it unchanged.
	res, _ = db.AddObjects(w.bctx, comm, "", []*dragnet.Submission{indicator(t, 1, t0.Add(time.Hour), ""), indicator(t, 2, t0, ""), indicator(t, 3, t0, `,"x":1`)})
	if dragnet.ErrorCode(res[0].Err) != dragnet.EFORBIDDEN || res[1].Err != nil || dragnet.ErrorCode(res[2].Err) != dragnet.ECONFLICT {
		t.Fatalf("bravo's submissions: %+v", res)
	}

	// Paging in pages of 10 sees each object once (identities included).
	seen := map[string]int{}
	f := dragnet.Filter{Limit: 10, Types: []string{"indicator"}}
	for pages := 0; ; pages++ {
		p, err := db.Objects(w.bctx, comm, f, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Objects {
			seen[o.ID]++
			if len(o.Raw) == 0 || o.Version != t0 {
				t.Fatalf("object %s: raw %q version %v", o.ID, o.Raw, o.Version)
			}
		}
		if !p.More {
			break
		}
		f.Next = p.Next
	}
	if len(seen) != 25 {
		t.Fatalf("paged %d objects, want 25", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}

	// AMBER into the group; Bravo can see neither the collection nor the value.
	amber := indicator(t, 100, t0, `,"object_marking_refs":["`+dragnet.TLP2Amber+`"]`)
	if res, err := db.AddObjects(w.actx, grp, "", []*dragnet.Submission{amber}); err != nil || res[0].Err != nil {
		t.Fatalf("amber into group: %v %+v", err, res)
	}
	if _, err := db.Objects(w.bctx, grp, dragnet.Filter{}, false); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("bravo reading alpha-only: %v", err)
	}
	v := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "10.0.0.100"}
	if refs, _ := db.ValueRefs(w.bctx, v); len(refs) != 0 {
		t.Fatalf("bravo sees %d refs of a group value", len(refs))
	}
	if refs, _ := db.ValueRefs(w.actx, v); len(refs) != 1 || refs[0].TLP != dragnet.TLPAmber {
		t.Fatalf("alpha refs: %+v", refs)
	}
	// Re-publishing it to the community is refused.
	if res, _ := db.AddObjects(w.actx, comm, "", []*dragnet.Submission{amber}); dragnet.ErrorCode(res[0].Err) != dragnet.EFORBIDDEN {
		t.Fatalf("amber to community: %+v", res)
	}
	// Membership applies at once.
	if err := db.AddGroupMembers(w.sys, "alpha-only", []string{w.b.Name}); err != nil {
		t.Fatal(err)
	}
	if refs, _ := db.ValueRefs(w.bctx, v); len(refs) != 1 {
		t.Fatalf("bravo after joining sees %d refs", len(refs))
	}
	if err := db.AddGroupMembers(w.sys, "alpha-only", []string{"alpha-only"}); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Fatalf("cycle: %v", err)
	}

	// Delete: only the author.
	id := subs[0].Object.ID
	if err := db.DeleteObject(w.bctx, comm, id, dragnet.Filter{}); dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Fatalf("bravo deleting: %v", err)
	}
	if err := db.DeleteObject(w.actx, comm, id, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Objects(w.actx, comm, dragnet.Filter{IDs: []string{id}}, false); len(p.Objects) != 0 {
		t.Fatalf("deleted object still listed")
	}
	_ = ctx
}

func TestStatusResolvedWithObjects(t *testing.T) {
	db := pgtest.Open(t, postgres.Options{})
	w := newWorld(t, db)
	subs := []*dragnet.Submission{indicator(t, 1, t0, ""), indicator(t, 2, t0, `,"object_marking_refs":["`+dragnet.TLP2Red+`"]`)}
	s := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID}
	for _, x := range subs {
		s.Pendings = append(s.Pendings, dragnet.StatusDetail{ID: x.Object.ID})
	}
	if err := db.CreateStatus(w.actx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, s.ID, subs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Status(w.actx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "complete" || len(got.Successes) != 1 || len(got.Failures) != 1 || len(got.Pendings) != 0 {
		t.Fatalf("status: %+v", got)
	}
	if _, err := db.Status(w.bctx, s.ID); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("other org reading status: %v", err)
	}
}

func TestValueScanAndChanges(t *testing.T) {
	db := pgtest.Open(t, postgres.Options{})
	w := newWorld(t, db)
	if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 1, t0, `,"valid_until":"2030-01-01T00:00:00Z"`)}); err != nil {
		t.Fatal(err)
	}
	var entries []*dragnet.ValueEntry
	cursor, err := db.ScanValues(w.sys, func(e *dragnet.ValueEntry) error { entries = append(entries, e); return nil })
	if err != nil || len(entries) != 1 || entries[0].ValidUntil.Year() != 2030 {
		t.Fatalf("scan: %v %+v", err, entries)
	}
	if _, err := db.ScanValues(w.actx, func(*dragnet.ValueEntry) error { return nil }); dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Fatalf("member scanning: %v", err)
	}
	if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 1, t0.Add(time.Hour), ""), indicator(t, 2, t0, "")}); err != nil {
		t.Fatal(err)
	}
	cs, next, err := db.ValueChanges(w.sys, cursor, 0)
	if err != nil || len(cs) != 2 || next <= cursor {
		t.Fatalf("changes: %v %d %+v", err, next, cs)
	}
	if len(cs[0].Entries) != 1 || !cs[0].Entries[0].Version.Equal(t0.Add(time.Hour)) {
		t.Fatalf("change 0: %+v", cs[0].Entries)
	}
	if err := db.DeleteObject(w.actx, dragnet.CommunityCollectionID, cs[1].ObjectID, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	cs, _, err = db.ValueChanges(w.sys, next, 0)
	if err != nil || len(cs) != 1 || len(cs[0].Entries) != 0 {
		t.Fatalf("removal: %v %+v", err, cs)
	}
}

func TestScanObjects(t *testing.T) {
	db := pgtest.Open(t, postgres.Options{})
	w := newWorld(t, db)
	if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(t, 1, t0, ""), indicator(t, 1, t0.Add(time.Hour), ""), indicator(t, 2, t0, "")}); err != nil {
		t.Fatal(err)
	}
	var got []*dragnet.StoredObject
	if err := db.ScanObjects(w.sys, func(o *dragnet.StoredObject) error { got = append(got, o); return nil }); err != nil {
		t.Fatal(err)
	}
	// Two identities and the newest version of each indicator.
	if len(got) != 4 || got[2].Version != t0.Add(time.Hour) || len(got[3].Raw) == 0 || !got[2].DateAdded.Before(got[3].DateAdded) {
		t.Fatalf("scan: %d objects: %+v", len(got), got)
	}
	if err := db.ScanObjects(w.actx, func(*dragnet.StoredObject) error { return nil }); dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Fatalf("member scanning: %v", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	// Timeouts well above what opening takes on a loaded machine, and
	// sleeps well above the timeouts.
	db := pgtest.Open(t, postgres.Options{StatementTimeout: time.Second})
	_, err := db.Pool().Exec(context.Background(), `SELECT pg_sleep(10)`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("a 10 s statement under a 1 s timeout: %v", err)
	}
	// The same through the URL, as --db gives it.
	schema := pgtest.Schema(t)
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db2, err := postgres.Open(context.Background(), url+sep+"statement_timeout=1s&pool_max_conns=3", postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got := db2.Pool().Config().MaxConns; got != 3 {
		t.Fatalf("pool_max_conns=3 gave %d", got)
	}
	if _, err := db2.Pool().Exec(context.Background(), `SELECT pg_sleep(10)`); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("statement_timeout in the URL: %v", err)
	}
}
