package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/dragnet-intel/dragnet/feed/input"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/feed"
	fstix "github.com/dragnet-intel/dragnet/feed/stix"
	ftaxii "github.com/dragnet-intel/dragnet/feed/taxii"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/taxii"
)

// node is a store with one organisation, its collection and a token.
type node struct {
	db     *sqlite.DB
	org    *dragnet.Org
	ctx    context.Context
	coll   string
	secret string
}

func newNode(t *testing.T, name string) *node {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org := &dragnet.Org{Name: name, Country: "NL", Kind: dragnet.KindCERT}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), org); err != nil {
		t.Fatal(err)
	}
	n := &node{db: db, org: org, ctx: dragnet.OrgContext(ctx, org, dragnet.RoleWrite)}
	n.secret, _, err = db.CreateToken(dragnet.SystemContext(ctx), name, dragnet.RoleRead, "feed", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := db.Collections(n.ctx)
	for _, c := range cols {
		if c.Kind == dragnet.AudienceOrg && c.RefID == org.ID {
			n.coll = c.CollectionID
		}
	}
	return n
}

func (n *node) load(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := &feed.Pipeline{Store: n.db, Collection: n.coll}
	sum, err := p.Run(n.ctx, &fstix.Decoder{}, bytes.NewReader(data), &feed.Builder{}, file)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Objects.New
}

func TestPullCollection(t *testing.T) {
	remote := newNode(t, "NCSC-NL")
	stored := remote.load(t, sharedtestdata.Path(t, "stix-examples/cti-stix2-json-schemas/threat-reports/apt1.json"))
	srv := httptest.NewServer(taxii.NewServer(remote.db, auth.New(remote.db, auth.Options{}), taxii.Config{}))
	defer srv.Close()

	local := newNode(t, "CERT-BE")
	c, err := taxii.NewClient(srv.URL, taxii.ClientOptions{User: "NCSC-NL", Token: remote.secret})
	if err != nil {
		t.Fatal(err)
	}
	dec := &ftaxii.Decoder{Client: c, Collection: remote.coll, PageSize: 50}
	p := &feed.Pipeline{Store: local.db, Collection: local.coll}
	sum, err := p.Run(local.ctx, dec, strings.NewReader(""), &feed.Builder{}, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects.New != stored || sum.Outcomes[feed.Rejected] != 0 || dec.Last.IsZero() {
		t.Fatalf("pulled %s; want %d objects; last %v", sum, stored, dec.Last)
	}
	// Resuming from the cursor reads nothing again.
	cur := ftaxii.FormatCursor(dec.Last)
	since, err := ftaxii.ParseCursor(cur)
	if err != nil || !since.Equal(dec.Last) {
		t.Fatalf("cursor %q: %v", cur, err)
	}
	again := &ftaxii.Decoder{Client: c, Collection: remote.coll, Since: since}
	sum, err = p.Run(local.ctx, again, strings.NewReader(""), &feed.Builder{}, srv.URL)
	if err != nil || sum.Entries != 0 {
		t.Errorf("resumed pull: %s %v", sum, err)
	}
	// A wrong token is an error, not an empty pull.
	bad, _ := taxii.NewClient(srv.URL, taxii.ClientOptions{User: "NCSC-NL", Token: "dgt_wrong"})
	if _, err := p.Run(local.ctx, &ftaxii.Decoder{Client: bad, Collection: remote.coll}, strings.NewReader(""), &feed.Builder{}, srv.URL); err == nil {
		t.Error("pull with a bad token succeeded")
	}
}

// TestGoneTAXII pulls a partner's collection as a scheduled feed, then the
// partner deletes one object and revokes another: the revoked version is
// pulled as any new version (and counted as revoked), and the deleted
// object, no longer in the collection's manifest, is revoked here.
func TestGoneTAXII(t *testing.T) {
	remote := newNode(t, "NCSC-NL")
	bundle := sharedtestdata.Path(t, "stix-examples/cti-stix2-json-schemas/threat-reports/apt1.json")
	stored := remote.load(t, bundle)
	srv := httptest.NewServer(taxii.NewServer(remote.db, auth.New(remote.db, auth.Options{}), taxii.Config{}))
	defer srv.Close()

	local := newNode(t, "CERT-BE")
	settings, _ := json.Marshal(input.Settings{Format: input.FormatTAXII, Collection: remote.coll, User: "NCSC-NL", Token: remote.secret})
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "partner", OrgName: local.org.Name, CollectionID: local.coll, URL: srv.URL,
		Settings: string(settings), Interval: time.Hour, Gone: "revoke", Enabled: true}
	if err := local.db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	s := feed.NewScheduler(local.db, input.Pull(srv.Client()), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: -1})
	sum, err := s.RunFeed(context.Background(), f)
	if err != nil || sum.Outcomes[feed.New] != stored {
		t.Fatalf("first pull: %v %v; want %d new", sum, err, stored)
	}

	var b struct{ Objects []map[string]any }
	data, _ := os.ReadFile(bundle)
	json.Unmarshal(data, &b)
	var deleted, revoked map[string]any
	for _, o := range b.Objects {
		switch {
		case o["type"] == "indicator" && deleted == nil:
			deleted = o
		case o["type"] == "malware" && revoked == nil:
			revoked = o
		}
	}
	if err := remote.db.DeleteObject(remote.ctx, remote.coll, deleted["id"].(string), dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	revoked["revoked"] = true
	revoked["modified"] = "2026-05-01T00:00:00.000Z"
	raw, _ := json.Marshal(revoked)
	p := &feed.Pipeline{Store: remote.db, Collection: remote.coll}
	if sum, err := p.Run(remote.ctx, &fstix.Decoder{}, bytes.NewReader(raw), &feed.Builder{}, "revocation"); err != nil || sum.Objects.Updated != 1 {
		t.Fatalf("revoking upstream: %v %v", sum, err)
	}

	clock = clock.Add(time.Hour)
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil || sum.Outcomes[feed.Revoked] != 2 || sum.Entries != 2 {
		t.Fatalf("second pull: %v %v; want the revoked version pulled and the deleted object revoked", sum, err)
	}
	for _, id := range []string{deleted["id"].(string), revoked["id"].(string)} {
		page, err := local.db.Objects(local.ctx, local.coll, dragnet.Filter{IDs: []string{id}}, false)
		if err != nil || len(page.Objects) != 1 || !page.Objects[0].Revoked {
			t.Errorf("%s after the second pull: %v %+v", id, err, page)
		}
	}
	// Nothing changed upstream: nothing read, nothing retired.
	clock = clock.Add(time.Hour)
	if sum, err = s.RunFeed(context.Background(), f); err != nil || sum.Entries != 0 || sum.Objects.Updated != 0 {
		t.Fatalf("third pull: %v %v", sum, err)
	}
}
