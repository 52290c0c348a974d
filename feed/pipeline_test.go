package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/csv"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// world opens a real store with one organisation and returns a context
// acting for it and the id of its own collection.
func world(t testing.TB) (*sqlite.DB, context.Context, string, *dragnet.Org) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org := &dragnet.Org{Name: "CERT-EX", Country: "DE", Kind: dragnet.KindCERT}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), org); err != nil {
		t.Fatal(err)
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	cols, err := db.Collections(octx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if c.Kind == dragnet.AudienceOrg {
			return db, octx, c.CollectionID, org
		}
	}
	t.Fatal("no organisation collection")
	return nil, nil, "", nil
}

func run(t *testing.T, p *feed.Pipeline, ctx context.Context, in string, now time.Time, org *dragnet.Org) *feed.Summary {
	t.Helper()
	b := &feed.Builder{Scope: org.Identity, Source: "test-feed", Now: now}
	sum, err := p.Run(ctx, &csv.Decoder{}, strings.NewReader(in), b, "test-feed")
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestPipelineVersions(t *testing.T) {
	db, ctx, coll, org := world(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	p := &feed.Pipeline{Store: db, Collection: coll, Batch: 3, Now: func() time.Time { return clock }}
	in := "# value,comment\n198.51.100.1,c2\n198.51.100.2,c2\nevil.example,phish\nnot-a-value,x\n198.51.100.1,c2\n"

	sum := run(t, p, ctx, in, clock, org)
	if sum.Entries != 5 || sum.Outcomes[feed.New] != 3 || sum.Outcomes[feed.Rejected] != 1 || sum.Outcomes[feed.Unchanged] != 1 {
		t.Fatalf("first run: %s", sum)
	}
	if len(sum.Problems) != 1 || sum.Problems[0].Where != "line 5" {
		t.Errorf("problems %+v", sum.Problems)
	}

	// The same feed an hour later: nothing new.
	clock = t0.Add(time.Hour)
	sum = run(t, p, ctx, in, clock, org)
	if sum.Outcomes[feed.Unchanged] != 4 || sum.Objects.New != 0 || sum.Objects.Updated != 0 {
		t.Fatalf("second run: %s", sum)
	}

	// One entry changed: one new version, created kept, modified later.
	clock = t0.Add(2 * time.Hour)
	sum = run(t, p, ctx, strings.Replace(in, "evil.example,phish", "evil.example,phishing kit", 1), clock, org)
	if sum.Outcomes[feed.Updated] != 1 || sum.Outcomes[feed.Unchanged] != 3 {
		t.Fatalf("third run: %s", sum)
	}
	b := &feed.Builder{Scope: org.Identity, Source: "test-feed"}
	id := b.ID("indicator", "domain:evil.example")
	page, err := db.Objects(ctx, coll, dragnet.Filter{IDs: []string{id}, Versions: []string{"all"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 2 {
		t.Fatalf("%d versions, want 2", len(page.Objects))
	}
	var v1, v2 map[string]any
	json.Unmarshal(page.Objects[0].Raw, &v1)
	json.Unmarshal(page.Objects[1].Raw, &v2)
	if v1["created"] != v2["created"] || v1["valid_from"] != v2["valid_from"] || v2["modified"] != "2026-03-01T14:00:00.000Z" || v2["description"] != "phishing kit" {
		t.Errorf("versions:\n%v\n%v", v1, v2)
	}

	// Entries gone from the feed are revoked (or expired).
	clock = t0.Add(3 * time.Hour)
	rs, err := p.Retire(ctx, []string{id, b.ID("indicator", "ipv4:198.51.100.2")}, feed.GoneExpire)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Outcomes[feed.Expired] != 2 {
		t.Fatalf("retire: %s", rs)
	}
	page, _ = db.Objects(ctx, coll, dragnet.Filter{IDs: []string{id}}, true)
	var last map[string]any
	json.Unmarshal(page.Objects[0].Raw, &last)
	if last["valid_until"] != "2026-03-01T15:00:00.000Z" {
		t.Errorf("expired version %v", last)
	}
	rs, _ = p.Retire(ctx, []string{id}, feed.GoneRevoke)
	if rs.Outcomes[feed.Revoked] != 0 {
		t.Errorf("an expired indicator was retired again: %s", rs)
	}
}

func TestPipelineRejectsByStore(t *testing.T) {
	db, ctx, coll, org := world(t)
	p := &feed.Pipeline{Store: db, Collection: coll}
	// Two different versions of one id in one run: the store refuses the
	// conflicting one and the summary says why.
	sum := run(t, p, ctx, "1.2.3.4\n", time.Now(), org)
	if sum.Objects.New != 1 {
		t.Fatalf("%s", sum)
	}
	rctx := dragnet.OrgContext(context.Background(), org, dragnet.RoleRead)
	if _, err := p.Run(rctx, &csv.Decoder{}, strings.NewReader("5.6.7.8\n"), &feed.Builder{Scope: org.Identity, Source: "x"}, "x"); dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Errorf("read-only token stored objects: %v", err)
	}
}

// TestPipelineOverlap stores batches of one: each batch is compared with
// the stored versions while the one before it may still be being stored,
// so an entry repeated in the next batch must wait for it.
func TestPipelineOverlap(t *testing.T) {
	db, ctx, coll, org := world(t)
	p := &feed.Pipeline{Store: db, Collection: coll, Batch: 1}
	var in strings.Builder
	in.WriteString("# value,comment\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&in, "198.51.100.%d,first\n198.51.100.%d,second\n", i, i)
	}
	sum := run(t, p, ctx, in.String(), time.Now(), org)
	if sum.Entries != 100 || sum.Outcomes[feed.New] != 50 || sum.Outcomes[feed.Updated] != 50 {
		t.Fatalf("%s", sum)
	}
}
