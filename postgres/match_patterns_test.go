package postgres_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/match"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/stix"
)

// TestMatcherPatternsFollowStore checks that a matcher over PostgreSQL
// takes in complex indicators published, revoked and deleted after its
// Load at the next Refresh, as over SQLite: it reads each from the
// object and removal tails at its value change's position.
func TestMatcherPatternsFollowStore(t *testing.T) {
	db := pgtest.OpenSchema(t, postgres.Options{Schema: pgtest.Schema(t)})
	w := newWorld(t, db)
	m := match.NewMatcher(db, match.MatcherOptions{Objects: db, Now: func() time.Time { return t0.AddDate(0, 1, 0) }})
	if err := m.Load(w.sys); err != nil {
		t.Fatal(err)
	}
	complexInd := func(n int, modified time.Time, extra string) *dragnet.Submission {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2024-01-01T00:00:00.000Z","modified":%q,"pattern":"[ipv4-addr:value = '10.0.0.%d'] AND [domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"%s}`,
			n, stix.FormatTimestamp(modified), n, extra)
		o, err := stix.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return &dragnet.Submission{Object: o}
	}
	acc, err := db.Access(w.actx)
	if err != nil {
		t.Fatal(err)
	}
	hits := func(n int) []string {
		var got []string
		in := fmt.Sprintf("10.0.0.%d\nevil.example\n", n)
		if _, err := match.Stream(m, acc, strings.NewReader(in), match.FormatPlain, nil, io.Discard, func(r match.Result) error {
			if r.Kind == "stix-pattern" {
				got = append(got, r.Indicators[0].ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	publish := func(coll string, s *dragnet.Submission) {
		t.Helper()
		rs, err := db.AddObjects(w.actx, coll, "", []*dragnet.Submission{s})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("publishing: %v %v", err, rs)
		}
		if err := m.Refresh(w.sys); err != nil {
			t.Fatal(err)
		}
	}
	id := func(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

	publish(dragnet.CommunityCollectionID, complexInd(1, t0, ""))
	if got := hits(1); !slices.Equal(got, []string{id(1)}) {
		t.Errorf("added: %v", got)
	}
	publish(dragnet.CommunityCollectionID, complexInd(1, t0.Add(time.Hour), `,"revoked":true`))
	if got := hits(1); len(got) != 0 {
		t.Errorf("revoked: %v", got)
	}
	group := w.collection(t, w.actx, "alpha-only")
	publish(group, complexInd(2, t0, ""))
	if got := hits(2); !slices.Equal(got, []string{id(2)}) {
		t.Errorf("added to group: %v", got)
	}
	if err := db.DeleteObject(w.actx, group, id(2), dragnet.Filter{Versions: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(w.sys); err != nil {
		t.Fatal(err)
	}
	if got := hits(2); len(got) != 0 {
		t.Errorf("deleted: %v", got)
	}
}
