package input_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/input"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// mispEntries counts the attributes and objects of the events in a MISP
// event file: the entries its summary must account for.
func mispEntries(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	events := []json.RawMessage{data}
	switch {
	case top["response"] != nil:
		var l []map[string]json.RawMessage
		json.Unmarshal(top["response"], &l)
		events = events[:0]
		for _, e := range l {
			events = append(events, e["Event"])
		}
	case top["Event"] != nil:
		events = []json.RawMessage{top["Event"]}
	}
	n := 0
	for _, e := range events {
		var ev struct{ Attribute, Object []json.RawMessage }
		json.Unmarshal(e, &ev)
		n += len(ev.Attribute) + len(ev.Object)
	}
	return n
}

// lineEntries counts the data lines of a CSV feed (neither empty nor a
// comment, less a header row when the feed has one), or the values of a
// text feed (separated by white space).
func lineEntries(t *testing.T, file string, header bool) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
			if strings.HasSuffix(file, ".txt") {
				n += len(strings.Fields(l))
			} else {
				n++
			}
		}
	}
	if header {
		n--
	}
	return n
}

// TestIngestTestdata loads every MISP event, MISP feed and CSV or text
// feed of the shared test data into a real store, the way dragnet ingest
// does, and checks that each summary accounts for every entry; loaded
// again, every entry that was stored is found unchanged.
func TestIngestTestdata(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org := &dragnet.Org{Name: "CERT-EX", Country: "DE", Kind: dragnet.KindCERT}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), org); err != nil {
		t.Fatal(err)
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	cols, _ := db.Collections(octx)
	coll := ""
	for _, c := range cols {
		if c.Kind == dragnet.AudienceOrg {
			coll = c.CollectionID
		}
	}
	p := &feed.Pipeline{Store: db, Collection: coll}
	b := &feed.Builder{Scope: org.Identity, Now: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}

	type source struct {
		loc     string
		entries int
	}
	var inputs []source
	for _, dir := range []string{"misp-events/eset", "misp-events/pymisp"} {
		files, _ := filepath.Glob(filepath.Join(sharedtestdata.Path(t, dir), "*.json"))
		for _, f := range files {
			inputs = append(inputs, source{f, mispEntries(t, f)})
		}
	}
	for _, dir := range []string{"misp-events/infoblox-feed", "misp-events/misp-feed-minimal"} {
		d := sharedtestdata.Path(t, dir)
		files, _ := filepath.Glob(filepath.Join(d, "*.json"))
		n := 0
		for _, f := range files {
			if filepath.Base(f) != "manifest.json" {
				n += mispEntries(t, f)
			}
		}
		inputs = append(inputs, source{d, n})
	}
	for _, dir := range []string{"feeds/abuse.ch", "feeds/infoblox-csv", "feeds/misp-test-feeds/csv", "feeds/misp-test-feeds/freetext"} {
		files, _ := filepath.Glob(filepath.Join(sharedtestdata.Path(t, dir), "*"))
		for _, f := range files {
			switch filepath.Ext(f) {
			case ".csv", ".txt":
				// Infoblox's lists and Feodo Tracker's start with a header
				// row that is not a comment.
				header := strings.Contains(dir, "infoblox") || strings.Contains(f, "feodotracker")
				inputs = append(inputs, source{f, lineEntries(t, f, header)})
			}
		}
	}
	if len(inputs) != 10+2+4+5+2 {
		t.Fatalf("%d inputs found, want 23", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimPrefix(in.loc, filepath.Dir(filepath.Dir(in.loc))+"/")
		t.Run(name, func(t *testing.T) {
			sum, err := input.Ingest(octx, p, b, in.loc, input.Settings{}, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			accounted := 0
			for _, n := range sum.Outcomes {
				accounted += n
			}
			if sum.Entries != in.entries || accounted != in.entries || sum.RejectedInputs != 0 {
				t.Fatalf("%s; want %d entries, each with an outcome", sum, in.entries)
			}
			if len(sum.Problems) != min(sum.Outcomes[feed.Rejected], feed.MaxProblems) {
				t.Errorf("%d problems for %d rejected entries", len(sum.Problems), sum.Outcomes[feed.Rejected])
			}
			// Loaded again: every entry is unchanged, or rejected again.
			again, err := input.Ingest(octx, p, b, in.loc, input.Settings{}, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Entries != in.entries || again.Outcomes[feed.Rejected] != sum.Outcomes[feed.Rejected] ||
				again.Outcomes[feed.Unchanged]+again.Outcomes[feed.Warninglisted] != in.entries-sum.Outcomes[feed.Rejected] ||
				again.Objects.New != 0 || again.Objects.Updated != 0 {
				t.Errorf("loaded again: %s", again)
			}
			t.Logf("%s", strings.SplitN(sum.String(), "\n", 2)[0])
		})
	}
}
