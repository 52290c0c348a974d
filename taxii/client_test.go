package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestClient exercises every client call against the server.
func TestClient(t *testing.T) {
	w := newWorld(t, Config{Title: "client test"})
	ctx := context.Background()
	c := w.client("acme/write")

	d, err := c.Discovery(ctx)
	if err != nil || d.Title != "client test" || d.Default != w.http.URL+APIRootPath {
		t.Fatalf("Discovery = %+v, %v", d, err)
	}
	root, err := c.APIRoot(ctx)
	if err != nil || root.MaxContentLength != 100<<20 || len(root.Versions) != 1 || root.Versions[0] != MediaType {
		t.Fatalf("APIRoot = %+v, %v", root, err)
	}
	cs, err := c.Collections(ctx)
	if err != nil || len(cs) != 3 {
		t.Fatalf("Collections = %+v, %v; want community, acme, alliance", cs, err)
	}
	coll := w.ids["alliance"]
	ci, err := c.Collection(ctx, coll)
	if err != nil || ci.Title != "alliance" || !ci.CanRead || !ci.CanWrite {
		t.Fatalf("Collection = %+v, %v", ci, err)
	}

	var objs []json.RawMessage
	for i := range 10 {
		objs = append(objs, genIndicator(i))
	}
	objs = append(objs, json.RawMessage(indicator(ind1, "2024-01-01T00:00:00.000Z", "192.0.2.1")),
		json.RawMessage(indicator(ind1, "2024-02-01T00:00:00.000Z", "192.0.2.2")))
	st := w.post("acme/write", coll, objs)
	if st.TotalCount != 12 || st.SuccessCount != 12 {
		t.Fatalf("status = %+v", st)
	}
	again, err := c.Status(ctx, st.ID)
	if err != nil || again.ID != st.ID || !again.Complete() {
		t.Fatalf("Status = %+v, %v", again, err)
	}

	// bravo reads the group's collection in pages of 3 and resumes later.
	r := w.client("bravo/read")
	var n int
	last, err := r.GetObjects(ctx, coll, Query{Limit: 3}, func(p *Page) error {
		n += len(p.Objects)
		if p.DateAddedFirst.IsZero() || p.DateAddedLast.Before(p.DateAddedFirst) {
			t.Errorf("page dates %v..%v", p.DateAddedFirst, p.DateAddedLast)
		}
		return nil
	})
	if err != nil || n != 11 || last.IsZero() {
		t.Fatalf("GetObjects read %d objects up to %v, %v; want 11 (newest versions)", n, last, err)
	}
	w.post("acme/write", coll, []json.RawMessage{genIndicator(100)})
	n = 0
	last2, err := r.GetObjects(ctx, coll, Query{AddedAfter: last}, func(p *Page) error {
		n += len(p.Objects)
		return nil
	})
	if err != nil || n != 1 || !last2.After(last) {
		t.Fatalf("resumed GetObjects read %d objects up to %v (from %v), %v; want 1", n, last2, last, err)
	}
	stop := errors.New("stop")
	if _, err := r.GetObjects(ctx, coll, Query{Limit: 2}, func(*Page) error { return stop }); err != stop {
		t.Fatalf("GetObjects with a failing callback = %v, want its error", err)
	}

	p, err := r.GetObject(ctx, coll, ind1, Query{Versions: []string{"all"}})
	if err != nil || len(p.Objects) != 2 {
		t.Fatalf("GetObject = %d objects, %v; want 2 versions", len(p.Objects), err)
	}
	vs, err := r.Versions(ctx, coll, ind1, Query{})
	if err != nil || len(vs.Versions) != 2 || vs.Versions[0] != "2024-01-01T00:00:00.000Z" {
		t.Fatalf("Versions = %+v, %v", vs, err)
	}
	m, err := r.Manifest(ctx, coll, Query{Types: []string{"indicator"}, Limit: 5})
	if err != nil || len(m.Objects) != 5 || !m.More || m.Next == "" || m.Objects[0].MediaType != STIXMediaType {
		t.Fatalf("Manifest = %+v, %v", m, err)
	}

	// Errors come back as *Error with the TAXII error resource.
	err = r.DeleteObject(ctx, coll, ind1, Query{})
	var te *Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden || te.Resource.HTTPStatus != "403" {
		t.Fatalf("DeleteObject with a read token = %v, want a 403 *Error", err)
	}
	if _, err := r.AddObjects(ctx, coll, objs[:1]); !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		t.Fatalf("AddObjects with a read token = %v, want 403", err)
	}
	if _, err := r.Collection(ctx, w.ids["acme"]); !errors.As(err, &te) || te.StatusCode != http.StatusNotFound {
		t.Fatalf("Collection of another organisation = %v, want 404", err)
	}
	if err := c.DeleteObject(ctx, coll, ind1, Query{Versions: []string{"first"}}); err != nil {
		t.Fatal(err)
	}
	if vs, err := r.Versions(ctx, coll, ind1, Query{}); err != nil || len(vs.Versions) != 1 {
		t.Fatalf("Versions after deleting the first = %+v, %v", vs, err)
	}

	// Bearer authentication, and a client given the API root directly.
	b, err := NewClient(w.http.URL, ClientOptions{Token: w.tokens["bravo/read"], APIRoot: "/taxii2/api/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Collection(ctx, coll); err != nil {
		t.Fatalf("Bearer client: %v", err)
	}
	if _, err := NewClient("ftp://example.org", ClientOptions{}); err == nil {
		t.Fatal("NewClient accepted an ftp URL")
	}
}

// TestClientResumesWithoutNext reads from a server that says more without
// giving next: the client continues from X-TAXII-Date-Added-Last.
func TestClientResumesWithoutNext(t *testing.T) {
	dates := []string{"2024-01-01T00:00:00.000001Z", "2024-01-01T00:00:00.000002Z", "2024-01-01T00:00:00.000003Z"}
	var seenAfter []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := r.URL.Query().Get("added_after")
		seenAfter = append(seenAfter, after)
		i := 0
		for i < len(dates) && dates[i] <= after {
			i++
		}
		w.Header().Set("Content-Type", MediaType)
		if i == len(dates) {
			w.Write([]byte(`{"more":false}`))
			return
		}
		w.Header().Set("X-TAXII-Date-Added-First", dates[i])
		w.Header().Set("X-TAXII-Date-Added-Last", dates[i])
		w.Write([]byte(`{"more":` + map[bool]string{true: "true", false: "false"}[i < len(dates)-1] + `,"objects":[{"n":` + string(rune('0'+i)) + `}]}`))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, ClientOptions{APIRoot: "/api/"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	last, err := c.GetObjects(context.Background(), "c", Query{}, func(p *Page) error { n += len(p.Objects); return nil })
	if err != nil || n != 3 || last.Format(TimestampFormat) != dates[2] {
		t.Fatalf("read %d objects up to %v, %v", n, last, err)
	}
	if len(seenAfter) != 3 || seenAfter[0] != "" || seenAfter[1] != dates[0] || seenAfter[2] != dates[1] {
		t.Fatalf("added_after sent: %q", seenAfter)
	}
}
