package taxii

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/internal/testdata"
	"github.com/dragnet-intel/dragnet/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// world is a running TAXII server on a real SQLite store in a temporary
// directory, with organisations acme (DE) and bravo (FR), each with a read
// and a write token, and a sharing group "alliance" of both.
type world struct {
	t      testing.TB
	store  *sqlite.DB
	srv    *Server
	http   *httptest.Server
	tokens map[string]string // "acme/write" -> secret
	colls  map[string]string // collection id -> name for golden files
	ids    map[string]string // name -> collection id

	identities map[string]string // organisation name -> STIX identity id
}

func newWorld(t testing.TB, cfg Config) *world {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{t: t, store: db, tokens: map[string]string{}, colls: map[string]string{}, ids: map[string]string{}, identities: map[string]string{}}
	sys := dragnet.SystemContext(ctx)
	if _, _, _, err := db.EnsureOperator(sys, "hub", "ZZ"); err != nil {
		t.Fatal(err)
	}
	orgs, err := db.ListOrgs(sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		w.identities[o.Name] = o.Identity
	}
	for _, o := range []*dragnet.Org{
		{Name: "acme", Country: "DE", Kind: dragnet.KindCERT},
		{Name: "bravo", Country: "FR", Kind: dragnet.KindLawEnforcement},
	} {
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
		w.identities[o.Name] = o.Identity
		for _, role := range []dragnet.Role{dragnet.RoleRead, dragnet.RoleWrite} {
			secret, _, err := db.CreateToken(sys, o.Name, role, "test", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			w.tokens[o.Name+"/"+string(role)] = secret
		}
	}
	if _, err := db.CreateGroup(sys, "alliance", []string{"acme", "bravo"}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"acme", "bravo"} {
		cs, err := db.Collections(w.ctx(who + "/read"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			name := c.Title
			if c.Kind == dragnet.AudienceCommunity {
				name = "community"
			}
			w.colls[c.CollectionID] = name
			w.ids[name] = c.CollectionID
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	w.srv = NewServer(db, auth.New(db, auth.Options{RequestsPerSecond: 1e6, FailuresPerMinute: 1e6}), cfg)
	w.http = httptest.NewServer(w.srv)
	t.Cleanup(func() {
		w.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w.srv.Close(ctx)
	})
	return w
}

// ctx is a context acting as the holder of a token ("acme/write").
func (w *world) ctx(who string) context.Context {
	org, role, _ := strings.Cut(who, "/")
	ctx := context.Background()
	o, err := w.store.FindOrg(dragnet.SystemContext(ctx), org)
	if err != nil {
		w.t.Fatal(err)
	}
	return dragnet.OrgContext(ctx, o, dragnet.Role(role))
}

// client returns a TAXII client with the token of who ("acme/write").
func (w *world) client(who string) *Client {
	org, _, _ := strings.Cut(who, "/")
	c, err := NewClient(w.http.URL, ClientOptions{User: org, Token: w.tokens[who]})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// post adds objects to a collection through TAXII and waits until they
// are stored, failing the test on any failed object.
func (w *world) post(who, collection string, objects []json.RawMessage) *Status {
	w.t.Helper()
	ctx := context.Background()
	c := w.client(who)
	st, err := c.AddObjects(ctx, collection, objects)
	if err != nil {
		w.t.Fatalf("posting %d objects: %v", len(objects), err)
	}
	st, err = c.WaitStatus(ctx, st.ID, 10*time.Millisecond)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, f := range st.Failures {
		w.t.Errorf("object %s failed: %s", f.ID, f.Message)
	}
	return st
}

// testLogger logs warnings and errors to the test's standard error (not
// t.Log: storing continues after a request's test step has ended).
func testLogger(testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// sharedTestdata returns the path of a file or folder of the project's
// shared third-party test data.
func sharedTestdata(t testing.TB, rel string) string {
	return testdata.Path(t, rel)
}
