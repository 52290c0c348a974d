package taxii_test

import (
	"bytes"
	"context"
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
