package feed_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/input"
	"github.com/dragnet-intel/dragnet/feed/misp"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
)

// mispFeedCopy copies a real MISP feed folder into a temporary one that the
// test may change.
func mispFeedCopy(t *testing.T, rel string) string {
	t.Helper()
	src := sharedtestdata.Path(t, rel)
	dst := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no feed files in %s: %v", src, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func readJSON(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// latestRaw returns the latest stored version of id.
func latestRaw(t *testing.T, db feed.Store, ctx context.Context, coll, id string) map[string]any {
	t.Helper()
	page, err := db.Objects(ctx, coll, dragnet.Filter{IDs: []string{id}}, true)
	if err != nil || len(page.Objects) != 1 {
		t.Fatalf("reading %s: %v (%d versions)", id, err, len(page.Objects))
	}
	var m map[string]any
	json.Unmarshal(page.Objects[0].Raw, &m)
	return m
}

// TestGoneMISPFeed pulls a real MISP feed (Infoblox's), then removes one
// event from it, removes an attribute from another, and breaks a third:
// the removed event's attributes are expired and its report revoked, the
// removed attribute is expired, the broken event keeps what it had, and
// events whose timestamp did not change are not read again.
func TestGoneMISPFeed(t *testing.T) {
	db, ctx, coll, org := world(t)
	dir := mispFeedCopy(t, "misp-events/infoblox-feed")
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "infoblox", OrgName: org.Name, CollectionID: coll, URL: dir,
		Interval: time.Hour, Gone: "expire", Enabled: true}
	if err := db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC) // after every timestamp of the feed
	s := feed.NewScheduler(db, input.Pull(nil), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: -1})

	manifest := readJSON(t, filepath.Join(dir, "manifest.json"))
	attrs := map[string][]any{}
	total := 0
	for uuid := range manifest {
		ev := readJSON(t, filepath.Join(dir, uuid+".json"))["Event"].(map[string]any)
		a, _ := ev["Attribute"].([]any)
		o, _ := ev["Object"].([]any)
		if len(o) != 0 {
			t.Fatalf("event %s has objects; the test counts attributes only", uuid)
		}
		attrs[uuid] = a
		total += len(a)
	}
	sum, err := s.RunFeed(context.Background(), f)
	// One attribute of the real feed is malformed (a filename|sha256 whose
	// value has no '|'): rejected with its path.
	if err != nil || sum.Entries != total || sum.Outcomes[feed.New] != total-1 || sum.Outcomes[feed.Rejected] != 1 {
		t.Fatalf("first pull: %v %v; want %d entries, one rejected", sum, err, total)
	}

	const (
		removed = "0dbb179a-1c8c-4e7c-a264-2440414dbac8" // 23 attributes
		edited  = "5e9c35b9-5e5c-4221-9e27-313127fc1f02" // 205 attributes
		broken  = "0985427f-ab14-4acb-b62f-d56529114048"
	)
	// One event removed from the feed.
	delete(manifest, removed)
	os.Remove(filepath.Join(dir, removed+".json"))
	// One attribute removed from another event, whose timestamp changes.
	evFile := filepath.Join(dir, edited+".json")
	top := readJSON(t, evFile)
	ev := top["Event"].(map[string]any)
	list := ev["Attribute"].([]any)
	dropped := list[len(list)-1].(map[string]any)
	ev["Attribute"] = list[:len(list)-1]
	ev["timestamp"] = "1790000000"
	writeJSON(t, evFile, top)
	manifest[edited].(map[string]any)["timestamp"] = 1790000000
	// A third event changes but cannot be read.
	os.WriteFile(filepath.Join(dir, broken+".json"), []byte(`{"Event": {"uuid": `), 0o600)
	manifest[broken].(map[string]any)["timestamp"] = 1790000000
	writeJSON(t, filepath.Join(dir, "manifest.json"), manifest)

	clock = clock.Add(2 * time.Hour)
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	wantGone := len(attrs[removed]) + 1
	if sum.Outcomes[feed.Expired] != wantGone || sum.Outcomes[feed.Unchanged] != len(list)-1 || sum.Outcomes[feed.Revoked] != 0 ||
		sum.Entries != len(list)-1+wantGone || sum.RejectedInputs != 1 {
		t.Fatalf("second pull: %s; want %d expired, %d unchanged, one input rejected", sum, wantGone, len(list)-1)
	}
	// New versions: the retired entries, the removed event's report
	// (revoked) and the edited event's report (a later modified).
	if sum.Objects.Updated != wantGone+2 {
		t.Errorf("second pull stored %d new versions, want %d", sum.Objects.Updated, wantGone+2)
	}
	b := &feed.Builder{Scope: org.IDScope(), Source: misp.Source}
	ind := latestRaw(t, db, ctx, coll, b.ID("indicator", "attribute:"+dropped["uuid"].(string)))
	if ind["valid_until"] != "2026-09-01T10:00:00.000Z" || ind["revoked"] == true {
		t.Errorf("removed attribute: %v", ind)
	}
	first := attrs[removed][0].(map[string]any)
	ind = latestRaw(t, db, ctx, coll, b.ID("indicator", "attribute:"+first["uuid"].(string)))
	if ind["valid_until"] != "2026-09-01T10:00:00.000Z" {
		t.Errorf("attribute of the removed event: %v", ind)
	}
	if rep := latestRaw(t, db, ctx, coll, misp.ReportID(b, removed)); rep["revoked"] != true {
		t.Errorf("report of the removed event: %v", rep)
	}
	keep := attrs[broken][0].(map[string]any)
	if ind := latestRaw(t, db, ctx, coll, b.ID("indicator", "attribute:"+keep["uuid"].(string))); ind["valid_until"] != nil || ind["revoked"] == true {
		t.Errorf("attribute of the unreadable event was retired: %v", ind)
	}

	// The broken event is mended (its old content, a later timestamp): it
	// is read again, finds its entries unchanged, and nothing else is read
	// or retired.
	orig, _ := os.ReadFile(sharedtestdata.Path(t, "misp-events/infoblox-feed/"+broken+".json"))
	os.WriteFile(filepath.Join(dir, broken+".json"), orig, 0o600)
	manifest[broken].(map[string]any)["timestamp"] = 1790000001
	writeJSON(t, filepath.Join(dir, "manifest.json"), manifest)
	clock = clock.Add(2 * time.Hour)
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil || sum.Entries != len(attrs[broken]) || sum.Outcomes[feed.Unchanged] != len(attrs[broken]) {
		t.Fatalf("third pull: %v %v; want %d unchanged", sum, err, len(attrs[broken]))
	}
	// Nothing changed: nothing read, nothing retired.
	clock = clock.Add(2 * time.Hour)
	sum, err = s.RunFeed(context.Background(), f)
	if err != nil || sum.Entries != 0 || sum.Objects.Updated != 0 {
		t.Fatalf("fourth pull: %v %v", sum, err)
	}
	// An emptied manifest retires nothing.
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{})
	clock = clock.Add(2 * time.Hour)
	if sum, err := s.RunFeed(context.Background(), f); err == nil {
		t.Errorf("empty manifest: %v", sum)
	}
}

// TestGoneMISPEvent pulls one real MISP event as a feed: an attribute
// deleted in MISP (deleted: true) is a revoked version, and one removed
// from the event is revoked as gone.
func TestGoneMISPEvent(t *testing.T) {
	db, ctx, coll, org := world(t)
	src := sharedtestdata.Path(t, "misp-events/misp-feed-minimal/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json")
	top := readJSON(t, src)
	ev := top["Event"].(map[string]any)
	ev["Attribute"] = append(ev["Attribute"].([]any), map[string]any{
		"uuid": "9d1f3c56-4a7e-4b8e-9c1a-2f5e6d7c8b90", "type": "ip-dst", "category": "Network activity",
		"value": "198.51.100.77", "to_ids": true, "timestamp": "1455373240",
	}, map[string]any{
		"uuid": "0b7c5d2e-3f4a-4c6b-8d9e-1a2b3c4d5e6f", "type": "domain", "category": "Network activity",
		"value": "gone.example", "to_ids": true, "timestamp": "1455373240",
	})
	file := filepath.Join(t.TempDir(), "event.json")
	writeJSON(t, file, top)
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "event", OrgName: org.Name, CollectionID: coll, URL: file,
		Settings: `{"format":"misp"}`, Interval: time.Hour, Gone: "revoke", Enabled: true}
	if err := db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	s := feed.NewScheduler(db, input.Pull(nil), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: -1})
	sum, err := s.RunFeed(context.Background(), f)
	n := len(ev["Attribute"].([]any))
	if err != nil || sum.Outcomes[feed.New] != n {
		t.Fatalf("first pull: %v %v", sum, err)
	}
	list := ev["Attribute"].([]any)
	list[n-2].(map[string]any)["deleted"] = true
	list[n-2].(map[string]any)["timestamp"] = strconv.Itoa(1455373241)
	ev["Attribute"] = list[:n-1]
	writeJSON(t, file, top)
	clock = clock.Add(time.Hour)
	if sum, err = s.RunFeed(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes[feed.Revoked] != 2 || sum.Outcomes[feed.Unchanged] != n-2 || sum.Entries != n {
		t.Fatalf("second pull: %s", sum)
	}
	b := &feed.Builder{Scope: org.IDScope(), Source: misp.Source}
	for _, uuid := range []string{"9d1f3c56-4a7e-4b8e-9c1a-2f5e6d7c8b90", "0b7c5d2e-3f4a-4c6b-8d9e-1a2b3c4d5e6f"} {
		if ind := latestRaw(t, db, ctx, coll, b.ID("indicator", "attribute:"+uuid)); ind["revoked"] != true {
			t.Errorf("attribute %s: %v", uuid, ind)
		}
	}
}

// TestGoneKeepMISPFeed: a feed whose gone mode is keep leaves an event
// dropped from its manifest as it was, its report included.
func TestGoneKeepMISPFeed(t *testing.T) {
	db, _, coll, org := world(t)
	dir := mispFeedCopy(t, "misp-events/infoblox-feed")
	sys := dragnet.SystemContext(context.Background())
	f := &dragnet.Feed{Name: "infoblox", OrgName: org.Name, CollectionID: coll, URL: dir,
		Interval: time.Hour, Gone: "keep", Enabled: true}
	if err := db.CreateFeed(sys, f); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	s := feed.NewScheduler(db, input.Pull(nil), feed.SchedulerOptions{Now: func() time.Time { return clock }, Retries: -1})
	if _, err := s.RunFeed(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	const removed = "0dbb179a-1c8c-4e7c-a264-2440414dbac8"
	manifest := readJSON(t, filepath.Join(dir, "manifest.json"))
	delete(manifest, removed)
	os.Remove(filepath.Join(dir, removed+".json"))
	writeJSON(t, filepath.Join(dir, "manifest.json"), manifest)
	clock = clock.Add(2 * time.Hour)
	sum, err := s.RunFeed(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes[feed.Revoked] != 0 || sum.Outcomes[feed.Expired] != 0 || sum.Objects.Updated != 0 || sum.Objects.New != 0 {
		t.Errorf("second pull with gone mode keep: %s", sum)
	}
}
