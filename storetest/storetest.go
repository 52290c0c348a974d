// Package storetest is the conformance suite every dragnet.Store backend
// passes: organisations, tokens, groups, the access model (audiences, TLP
// 2.0, authorship), objects and TAXII filtering, pagination under
// concurrent writes, statuses, the value index and audit, plus a property
// test over random worlds checked against a reference model.
//
// A backend's tests call Run with a function that opens a fresh, empty
// store.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Run runs the whole suite. open must return a new, empty store; the suite
// closes it.
func Run(t *testing.T, open func(t *testing.T) dragnet.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Principal", testPrincipal},
		{"Orgs", testOrgs},
		{"EnsureOperator", testEnsureOperator},
		{"Tokens", testTokens},
		{"Groups", testGroups},
		{"Collections", testCollections},
		{"MembershipChange", testMembershipChange},
		{"AddAndRead", testAddAndRead},
		{"Idempotent", testIdempotent},
		{"VersionConflict", testVersionConflict},
		{"StoredOnce", testStoredOnce},
		{"Authorship", testAuthorship},
		{"UnseenSCO", testUnseenSCO},
		{"ThirdPartyRelay", testThirdPartyRelay},
		{"TLPMarkings", testTLPMarkings},
		{"TLPResharing", testTLPResharing},
		{"ReadTokenCannotWrite", testReadTokenCannotWrite},
		{"FilterVersions", testFilterVersions},
		{"FilterIDTypeSpec", testFilterIDTypeSpec},
		{"FilterErrors", testFilterErrors},
		{"Paging", testPaging},
		{"PagingConcurrent", testPagingConcurrent},
		{"DateAddedIncreasing", testDateAddedIncreasing},
		{"Delete", testDelete},
		{"Status", testStatus},
		{"ValueRefs", testValueRefs},
		{"ValueScanner", testValueScanner},
		{"Audit", testAudit},
		{"AdminAudit", testAdminAudit},
		{"Feeds", testFeeds},
		{"Subscriptions", testSubscriptions},
		{"ObjectTail", testObjectTail},
		{"RemovalTail", testRemovalTail},
		{"ValueChangeSeq", testValueChangeSeq},
		{"RandomWorlds", testRandomWorlds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, &env{t: t, s: s, sys: dragnet.SystemContext(context.Background()), open: open})
		})
	}
}

// env is one test's store and helpers.
type env struct {
	t    *testing.T
	s    dragnet.Store
	sys  context.Context
	open func(t *testing.T) dragnet.Store
}

// on returns an env of the same test on another store.
func (e *env) on(s dragnet.Store) *env {
	return &env{t: e.t, s: s, sys: e.sys, open: e.open}
}

// org creates an organisation as the system.
func (e *env) org(name string) *dragnet.Org {
	e.t.Helper()
	o := &dragnet.Org{Name: name, Country: "NL", Kind: dragnet.KindCERT}
	if err := e.s.CreateOrg(e.sys, o); err != nil {
		e.t.Fatalf("CreateOrg(%s): %v", name, err)
	}
	return o
}

// group creates a group as the system.
func (e *env) group(name string, members ...string) *dragnet.Group {
	e.t.Helper()
	g, err := e.s.CreateGroup(e.sys, name, members)
	if err != nil {
		e.t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

// as returns a context acting for o with a write role.
func as(o *dragnet.Org) context.Context {
	return dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
}

// coll returns the collection id of the audience titled title, as seen by o.
func (e *env) coll(o *dragnet.Org, title string) string {
	e.t.Helper()
	return e.collection(o, title).CollectionID
}

// audOf returns the audience id of the collection o sees titled title.
func (e *env) audOf(o *dragnet.Org, title string) int64 {
	e.t.Helper()
	return e.collection(o, title).ID
}

// collection returns the collection o sees titled title.
func (e *env) collection(o *dragnet.Org, title string) *dragnet.Collection {
	e.t.Helper()
	cs, err := e.s.Collections(as(o))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == title {
			return c
		}
	}
	e.t.Fatalf("%s sees no collection %q", o.Name, title)
	return nil
}

// add publishes subs as o and fails the test on a fault.
func (e *env) add(o *dragnet.Org, coll string, subs ...*dragnet.Submission) []dragnet.AddResult {
	e.t.Helper()
	rs, err := e.s.AddObjects(as(o), coll, "", subs)
	if err != nil {
		e.t.Fatalf("AddObjects: %v", err)
	}
	if len(rs) != len(subs) {
		e.t.Fatalf("AddObjects returned %d results for %d objects", len(rs), len(subs))
	}
	return rs
}

// mustAdd publishes subs as o and fails the test unless every one succeeds.
func (e *env) mustAdd(o *dragnet.Org, coll string, subs ...*dragnet.Submission) {
	e.t.Helper()
	for _, r := range e.add(o, coll, subs...) {
		if r.Err != nil {
			e.t.Fatalf("adding %s: %v", r.ID, r.Err)
		}
	}
}

// list returns every object of a collection visible to o under f, following
// Next.
func (e *env) list(o *dragnet.Org, coll string, f dragnet.Filter) []*dragnet.StoredObject {
	e.t.Helper()
	var out []*dragnet.StoredObject
	for i := 0; ; i++ {
		p, err := e.s.Objects(as(o), coll, f, true)
		if err != nil {
			e.t.Fatalf("Objects: %v", err)
		}
		out = append(out, p.Objects...)
		if !p.More {
			return out
		}
		if p.Next == "" || i > 100000 {
			e.t.Fatal("More without Next")
		}
		f.Next = p.Next
	}
}

// obj makes a STIX 2.1 object of type typ with the given id suffix,
// modified time and markings; extra fields are merged in.
func obj(typ, id string, modified time.Time, markings []string, extra map[string]any) *stix.Object {
	m := map[string]any{
		"type":         typ,
		"spec_version": "2.1",
		"id":           typ + "--" + id,
		"created":      stix.FormatTimestamp(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)),
		"modified":     stix.FormatTimestamp(modified),
	}
	if typ == "indicator" {
		m["pattern"] = "[ipv4-addr:value = '198.51.100.1']"
		m["pattern_type"] = "stix"
		m["valid_from"] = "2020-01-01T00:00:00Z"
	}
	if len(markings) > 0 {
		m["object_marking_refs"] = markings
	}
	for k, v := range extra {
		m[k] = v
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	o, err := stix.Decode(raw)
	if err != nil {
		panic(err)
	}
	return o
}

// sub wraps an object with values.
func sub(o *stix.Object, values ...dragnet.Value) *dragnet.Submission {
	return &dragnet.Submission{Object: o, Values: values}
}

// uuid makes a deterministic UUID-shaped id from n.
func uuid(n int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
}

// t0 is a base version timestamp.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// code returns err's dragnet code.
func code(err error) string { return dragnet.ErrorCode(err) }

// wantCode fails unless err has the code.
func wantCode(t *testing.T, what string, err error, c string) {
	t.Helper()
	if code(err) != c {
		t.Errorf("%s: error %v, want code %s", what, err, c)
	}
}

// ids returns the object ids of a listing, in order.
func ids(os []*dragnet.StoredObject) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

type stixObject = stix.Object

func decode(raw string) (*stix.Object, error) { return stix.Decode([]byte(raw)) }
