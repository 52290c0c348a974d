package feed_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/input"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// feedServer serves a CSV body with an ETag, answers 304 to a matching
// If-None-Match, and fails with 503 while failing is set.
type feedServer struct {
	mu       sync.Mutex
	body     string
	failing  bool
	requests int
	notMod   int
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failing {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	etag := `"` + feed.UUID5(feed.Namespace, s.body)[:8] + `"`
	if r.Header.Get("If-None-Match") == etag {
		s.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Write([]byte(s.body))
}

func (s *feedServer) set(body string, failing bool) {
	s.mu.Lock()
	s.body, s.failing = body, failing
	s.mu.Unlock()
}

func TestScheduler(t *testing.T) {
	db, ctx, coll, org := world(t)
	_ = ctx
	srv := &feedServer{body: "# value,comment\n198.51.100.1,a\n198.51.100.2,b\nevil.example,c\n"}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "test-feed", OrgName: org.Name, CollectionID: coll, URL: hs.URL + "/feed.csv",
		Settings: `{"format":"csv"}`, TLP: dragnet.TLPGreen, Interval: time.Hour, Gone: "revoke", Enabled: true}
	if err := db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	s := feed.NewScheduler(db, input.Pull(hs.Client()), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: 1, RetryBackoff: time.Millisecond})

	sum, err := s.RunFeed(context.Background(), f)
	if err != nil || sum.Outcomes[feed.New] != 3 {
		t.Fatalf("first pull: %v %v", sum, err)
	}
	// Unchanged source: 304, nothing read.
	clock = clock.Add(time.Hour)
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil || !sum.NotModified || srv.notMod != 1 {
		t.Fatalf("second pull: %+v %v (304s: %d)", sum, err, srv.notMod)
	}
	// The source fails: retried, the error recorded, nothing retired.
	srv.set("# value,comment\n198.51.100.1,a\n", true)
	clock = clock.Add(time.Hour)
	before := srv.requests
	if _, err := s.RunFeed(context.Background(), f); err == nil {
		t.Fatal("failing source pulled without error")
	}
	if srv.requests-before != 2 {
		t.Errorf("%d requests, want 2 (one retry)", srv.requests-before)
	}
	got, _ := db.FindFeed(sys, "test-feed")
	if got.LastError == "" || got.Failures != 1 || !got.LastSuccess.Equal(clock.Add(-time.Hour)) {
		t.Errorf("after a failure: %+v", got)
	}
	if d := feed.Due(got); !d.Equal(clock.Add(time.Minute)) {
		t.Errorf("due %v after one failure, want a minute later", d)
	}
	// An error page served as 200 does not retire anything either.
	srv.set("<html>maintenance</html>\n", false)
	clock = clock.Add(time.Minute)
	if sum, err := s.RunFeed(context.Background(), got); err == nil || !strings.Contains(err.Error(), "keeping the last good data") {
		st, _ := db.FeedState(sys, got.ID)
		t.Errorf("empty answer: %v %v (state %d bytes)", sum, err, len(st))
	}
	// The source is back with two entries gone: they are revoked.
	srv.set("# value,comment\n198.51.100.1,a\n", false)
	clock = clock.Add(time.Hour)
	got, _ = db.FindFeed(sys, "test-feed")
	sum, err = s.RunFeed(context.Background(), got)
	if err != nil || sum.Outcomes[feed.Unchanged] != 1 || sum.Outcomes[feed.Revoked] != 2 {
		t.Fatalf("after recovery: %v %v", sum, err)
	}
	got, _ = db.FindFeed(sys, "test-feed")
	if got.LastError != "" || got.Failures != 0 || !strings.Contains(got.LastSummary, `"revoked":2`) {
		t.Errorf("last result: %+v", got)
	}
	// RunDue pulls only what is due.
	n := srv.requests
	s.RunDue(context.Background())
	if srv.requests != n {
		t.Error("a feed pulled before it was due")
	}
	clock = clock.Add(2 * time.Hour)
	s.RunDue(context.Background())
	if srv.requests != n+1 {
		t.Error("a due feed was not pulled")
	}
}

// countingStore counts the look-ups of stored versions.
type countingStore struct {
	*sqlite.DB
	lookups int
}

func (c *countingStore) Objects(ctx context.Context, coll string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error) {
	c.lookups++
	return c.DB.Objects(ctx, coll, f, withRaw)
}

// TestSchedulerKnown pulls a changing feed: entries whose fingerprint did
// not change since the last pull are unchanged without a look-up of their
// stored version; a changed one is looked up and stored as a new version.
func TestSchedulerKnown(t *testing.T) {
	db, _, coll, org := world(t)
	cs := &countingStore{DB: db}
	srv := &feedServer{body: "# value,comment\n198.51.100.1,a\n198.51.100.2,b\n"}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "known", OrgName: org.Name, CollectionID: coll, URL: hs.URL + "/feed.csv",
		Settings: `{"format":"csv"}`, Interval: time.Hour, Gone: "revoke", Enabled: true}
	if err := db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	s := feed.NewScheduler(cs, input.Pull(hs.Client()), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: -1})
	if sum, err := s.RunFeed(context.Background(), f); err != nil || sum.Outcomes[feed.New] != 2 {
		t.Fatalf("first pull: %v %v", sum, err)
	}
	// One entry changed, one not: only the changed one is looked up.
	srv.set("# value,comment\n198.51.100.1,a\n198.51.100.2,changed\n", false)
	clock = clock.Add(time.Hour)
	cs.lookups = 0
	sum, err := s.RunFeed(context.Background(), f)
	if err != nil || sum.Outcomes[feed.Unchanged] != 1 || sum.Outcomes[feed.Updated] != 1 {
		t.Fatalf("second pull: %v %v", sum, err)
	}
	if cs.lookups == 0 {
		t.Error("the changed entry was not compared with its stored version")
	}
	// The same entries, in a new body: nothing is looked up.
	srv.set("# the same entries\n# value,comment\n198.51.100.1,a\n198.51.100.2,changed\n", false)
	clock = clock.Add(time.Hour)
	cs.lookups = 0
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil || sum.Outcomes[feed.Unchanged] != 2 || sum.Entries != 2 {
		t.Fatalf("third pull: %v %v", sum, err)
	}
	if cs.lookups != 0 {
		t.Errorf("%d look-ups of stored versions for a feed that did not change", cs.lookups)
	}
	// An entry gone and back: it was revoked, so it is looked up again and
	// stored again (not taken as known).
	srv.set("# value,comment\n198.51.100.1,a\n", false)
	clock = clock.Add(time.Hour)
	if sum, err = s.RunFeed(context.Background(), f); err != nil || sum.Outcomes[feed.Revoked] != 1 {
		t.Fatalf("fourth pull: %v %v", sum, err)
	}
	srv.set("# value,comment\n198.51.100.1,a\n198.51.100.2,changed\n", false)
	clock = clock.Add(time.Hour)
	if sum, err = s.RunFeed(context.Background(), f); err != nil || sum.Outcomes[feed.Updated] != 1 || sum.Outcomes[feed.Unchanged] != 1 {
		t.Fatalf("fifth pull: %v %v", sum, err)
	}
}
