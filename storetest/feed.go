package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// testFeeds checks the FeedService every store offers beside Store:
// definitions, names unique, intervals bounded, operator only, the last run
// and the state between pulls kept, deletion.
func testFeeds(t *testing.T, e *env) {
	db, ok := e.s.(dragnet.FeedService)
	if !ok {
		t.Fatal("the store does not implement dragnet.FeedService")
	}
	ctx := e.sys
	f := &dragnet.Feed{Name: "feodo", OrgName: "CERT", CollectionID: "c1", URL: "https://example.org/feed.csv",
		Settings: `{"format":"csv"}`, TLP: dragnet.TLPGreen, Interval: time.Hour, Enabled: true}
	if err := db.CreateFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateFeed(ctx, &dragnet.Feed{Name: "feodo", OrgName: "x", CollectionID: "c", URL: "u", Interval: time.Hour}); dragnet.ErrorCode(err) != dragnet.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
	if err := db.CreateFeed(ctx, &dragnet.Feed{Name: "fast", OrgName: "x", CollectionID: "c", URL: "u", Interval: time.Second}); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Errorf("one-second interval: %v", err)
	}
	org := &dragnet.Org{Name: "M", Country: "DE"}
	if err := e.s.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ListFeeds(dragnet.OrgContext(context.Background(), org, dragnet.RoleAdmin)); dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Errorf("a member listed feeds: %v", err)
	}
	got, err := db.FindFeed(ctx, "feodo")
	if err != nil || got.URL != f.URL || got.Interval != time.Hour || got.TLP != dragnet.TLPGreen || got.Gone != "revoke" || !got.Enabled {
		t.Fatalf("%+v %v", got, err)
	}
	if st, err := db.FeedState(ctx, got.ID); st != nil || err != nil {
		t.Errorf("state before any run: %q %v", st, err)
	}
	got.LastRun, got.LastSuccess, got.ETag, got.LastSummary = time.Now(), time.Now(), `"abc"`, `{"entries":1}`
	if err := db.RecordFeedRun(ctx, got, []byte("state-1")); err != nil {
		t.Fatal(err)
	}
	got.LastError, got.Failures = "HTTP 500", 1
	if err := db.RecordFeedRun(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	again, _ := db.FindFeed(ctx, "feodo")
	st, _ := db.FeedState(ctx, got.ID)
	if again.ETag != `"abc"` || again.LastError != "HTTP 500" || again.Failures != 1 || string(st) != "state-1" {
		t.Errorf("after runs: %+v state %q", again, st)
	}
	if err := db.DeleteFeed(ctx, "feodo"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindFeed(ctx, "feodo"); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Errorf("deleted feed found: %v", err)
	}
	if fs, _ := db.ListFeeds(ctx); len(fs) != 0 {
		t.Errorf("%d feeds left", len(fs))
	}
}
