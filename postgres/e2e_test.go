package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/taxii"
)

// hub is two TAXII nodes on one database: members acme and bravo share
// the group "alliance"; carol is in no group.
type hub struct {
	t      *testing.T
	schema string
	nodes  []*httptest.Server
	tokens map[string]string // org -> write token
	colls  map[string]string // title -> collection id
}

func newHub(t *testing.T) *hub {
	schema := pgtest.Schema(t)
	h := &hub{t: t, schema: schema, tokens: map[string]string{}, colls: map[string]string{}}
	for range 2 {
		db := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
		srv := taxii.NewServer(db, auth.New(db, auth.Options{RequestsPerSecond: 1e6, FailuresPerMinute: 1e6}), taxii.Config{})
		hs := httptest.NewServer(srv)
		t.Cleanup(func() {
			hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv.Close(ctx)
		})
		h.nodes = append(h.nodes, hs)
	}
	db := pgtest.OpenSchema(t, postgres.Options{Schema: schema})
	sys := dragnet.SystemContext(context.Background())
	if _, _, _, err := db.EnsureOperator(sys, "hub", "NL"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*dragnet.Org{{Name: "acme", Country: "DE"}, {Name: "bravo", Country: "FR"}, {Name: "carol", Country: "BR"}} {
		if err := db.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
		secret, _, err := db.CreateToken(sys, o.Name, dragnet.RoleWrite, "e2e", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[o.Name] = secret
	}
	if _, err := db.CreateGroup(sys, "alliance", []string{"acme", "bravo"}); err != nil {
		t.Fatal(err)
	}
	cs, err := h.client(0, "acme").Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		h.colls[c.Title] = c.ID
	}
	return h
}

func (h *hub) client(node int, org string) *taxii.Client {
	c, err := taxii.NewClient(h.nodes[node].URL, taxii.ClientOptions{User: org, Token: h.tokens[org]})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// post writes objects through a node and waits for the status, read
// through the other node.
func (h *hub) post(node int, org, coll string, objs []json.RawMessage) {
	h.t.Helper()
	ctx := context.Background()
	st, err := h.client(node, org).AddObjects(ctx, coll, objs)
	if err != nil {
		h.t.Fatal(err)
	}
	st, err = h.client(1-node, org).WaitStatus(ctx, st.ID, 10*time.Millisecond)
	if err != nil {
		h.t.Fatal(err)
	}
	if st.SuccessCount != len(objs) {
		h.t.Fatalf("status through the other node: %d of %d succeeded: %+v", st.SuccessCount, len(objs), st.Failures)
	}
}

// page reads a collection through a node, 7 objects a page, and counts
// each id.
func (h *hub) page(node int, org, coll string, q taxii.Query) (map[string]int, error) {
	seen := map[string]int{}
	q.Limit = 7
	_, err := h.client(node, org).GetObjects(context.Background(), coll, q, func(p *taxii.Page) error {
		for _, raw := range p.Objects {
			var o struct{ ID string }
			if err := json.Unmarshal(raw, &o); err != nil {
				return err
			}
			seen[o.ID]++
		}
		return nil
	})
	return seen, err
}

func rawIndicators(t *testing.T, from, n int, marking string) []json.RawMessage {
	var out []json.RawMessage
	for i := from; i < from+n; i++ {
		s := indicator(t, i, t0, marking)
		out = append(out, s.Object.Raw)
	}
	return out
}

// TestTwoNodesOneDatabase writes through one node and reads and pages
// through the other, with the sharing rules holding across them.
func TestTwoNodesOneDatabase(t *testing.T) {
	h := newHub(t)
	comm, alliance := h.colls["community"], h.colls["alliance"]
	h.post(0, "acme", comm, rawIndicators(t, 0, 30, ""))
	h.post(0, "acme", alliance, rawIndicators(t, 100, 5, `,"object_marking_refs":["`+dragnet.TLP2Amber+`"]`))

	seen, err := h.page(1, "bravo", comm, taxii.Query{Types: []string{"indicator"}})
	if err != nil || len(seen) != 30 {
		t.Fatalf("bravo paging the community through node 1: %d objects, %v", len(seen), err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
	if seen, err := h.page(1, "bravo", alliance, taxii.Query{}); err != nil || len(seen) != 5 {
		t.Fatalf("bravo reading alliance through node 1: %d, %v", len(seen), err)
	}
	// carol sees the community, not the group's collection: 404 as for
	// one that does not exist.
	if seen, err := h.page(1, "carol", comm, taxii.Query{Types: []string{"indicator"}}); err != nil || len(seen) != 30 {
		t.Fatalf("carol paging the community: %d, %v", len(seen), err)
	}
	_, err = h.page(1, "carol", alliance, taxii.Query{})
	var te *taxii.Error
	if !errors.As(err, &te) || te.StatusCode != 404 {
		t.Fatalf("carol reading alliance through node 1: %v, want 404", err)
	}
	// The group's AMBER objects may not be re-published to the community
	// through the other node.
	st, err := h.client(1, "bravo").AddObjects(context.Background(), comm, rawIndicators(t, 100, 1, `,"object_marking_refs":["`+dragnet.TLP2Amber+`"]`))
	if err == nil {
		st, err = h.client(0, "bravo").WaitStatus(context.Background(), st.ID, 10*time.Millisecond)
	}
	if err != nil || st.FailureCount != 1 {
		t.Fatalf("re-publishing AMBER to the community: %+v, %v", st, err)
	}
}

// TestTwoNodesPagingWhileWriting pages through one node while two members
// write through the other: each object is seen exactly once.
func TestTwoNodesPagingWhileWriting(t *testing.T) {
	h := newHub(t)
	comm := h.colls["community"]
	const rounds, per = 10, 25
	var wg sync.WaitGroup
	for w, org := range []string{"acme", "bravo"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				h.post(0, org, comm, rawIndicators(t, (w*rounds+r)*per, per, ""))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	var last time.Time
	c := h.client(1, "carol")
	read := func() {
		var err error
		last, err = c.GetObjects(context.Background(), comm, taxii.Query{Types: []string{"indicator"}, Limit: 9, AddedAfter: last}, func(p *taxii.Page) error {
			for _, raw := range p.Objects {
				var o struct{ ID string }
				json.Unmarshal(raw, &o)
				seen[o.ID]++
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			read()
		}
	}
	read()
	if want := 2 * rounds * per; len(seen) != want {
		t.Fatalf("carol saw %d distinct objects through node 1, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
}
