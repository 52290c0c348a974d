package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// FuzzObjectsFilter feeds listing parameters as a TAXII request carries
// them (cursor, match[version], match[spec_version], match[type],
// match[id], limit) to Objects: every answer is a page or EINVALID, never
// a panic or an internal error.
func FuzzObjectsFilter(f *testing.F) {
	seeds := []struct {
		next, version, spec, typ, id string
		limit                        int
	}{
		{"", "", "", "", "", 0},
		{"", "last", "2.1", "indicator", "", 10},
		{"", "first,all", "2.0,2.1", "indicator,malware", "indicator--00000000-0000-4000-8000-000000000001", 1},
		{"", "2024-01-01T00:00:00.000Z", "", "", "", 5},
		{"", "2024-01-01", "3.0", "", "", -1},
		{"AAAAAAAAAAEAAAAA", "", "", "", "", 0},
		{"garbage!", "newest", "", "", "", 100000},
		{"", ",,", ",", ",", ",", 0},
		{"", "'; DROP TABLE objects; --", "", "x' OR 1=1 --", "", 0},
	}
	for _, s := range seeds {
		f.Add(s.next, s.version, s.spec, s.typ, s.id, s.limit)
	}
	db, ctx, err := openForFuzz(f)
	if err != nil {
		f.Fatal(err)
	}
	coll := dragnet.CommunityCollectionID
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	f.Fuzz(func(t *testing.T, next, version, spec, typ, id string, limit int) {
		fl := dragnet.Filter{Next: next, Versions: split(version), SpecVersions: split(spec), Types: split(typ), IDs: split(id), Limit: limit}
		p, err := db.Objects(ctx, coll, fl, true)
		switch c := dragnet.ErrorCode(err); c {
		case "":
			if len(p.Objects) > 10000 || (p.More && p.Next == "") {
				t.Errorf("page of %d, More %v, Next %q", len(p.Objects), p.More, p.Next)
			}
		case dragnet.EINVALID:
			if dragnet.ErrorMessage(err) == "" {
				t.Error("EINVALID without a message")
			}
		default:
			t.Errorf("Objects(%+v): %v", fl, err)
		}
	})
}

// openForFuzz opens a store holding a few objects.
func openForFuzz(f *testing.F) (*sqlite.DB, context.Context, error) {
	db := open(f)
	f.Cleanup(func() { db.Close() })
	o := &dragnet.Org{Name: "A", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(context.Background()), o); err != nil {
		return nil, nil, err
	}
	ctx := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
	var subs []*dragnet.Submission
	for i := 0; i < 20; i++ {
		subs = append(subs, indicator(i))
	}
	if _, err := db.AddObjects(ctx, dragnet.CommunityCollectionID, "", subs); err != nil {
		return nil, nil, err
	}
	return db, ctx, nil
}
