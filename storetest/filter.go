package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// versionsOf lists the (id, version) pairs of a listing.
func versionsOf(os []*dragnet.StoredObject) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID[len(o.ID)-2:] + "@" + stix.FormatTimestamp(o.Version)
	}
	return out
}

func testFilterVersions(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	ts := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	// Object 1: versions 1, 3, 2 added in that order. Object 2: version 5.
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), ts(1), nil, nil)))
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), ts(3), nil, nil)))
	e.mustAdd(a, own, sub(obj("indicator", uuid(2), ts(5), nil, nil)))
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), ts(2), nil, nil)))
	v := func(n, h int) string { return fmt.Sprintf("%02d@%s", n, stix.FormatTimestamp(ts(h))) }
	cases := []struct {
		versions []string
		want     []string // in date_added order
	}{
		{nil, []string{v(1, 3), v(2, 5)}},
		{[]string{"last"}, []string{v(1, 3), v(2, 5)}},
		{[]string{"first"}, []string{v(1, 1), v(2, 5)}},
		{[]string{"all"}, []string{v(1, 1), v(1, 3), v(2, 5), v(1, 2)}},
		{[]string{"first", "last"}, []string{v(1, 1), v(1, 3), v(2, 5)}},
		{[]string{stix.FormatTimestamp(ts(2))}, []string{v(1, 2)}},
		{[]string{stix.FormatTimestamp(ts(2)), stix.FormatTimestamp(ts(5))}, []string{v(2, 5), v(1, 2)}},
		{[]string{stix.FormatTimestamp(ts(4))}, []string{}},
		{[]string{"last", stix.FormatTimestamp(ts(1))}, []string{v(1, 1), v(1, 3), v(2, 5)}},
		{[]string{"all", "first"}, []string{v(1, 1), v(1, 3), v(2, 5), v(1, 2)}},
	}
	for _, c := range cases {
		got := versionsOf(e.list(a, own, dragnet.Filter{Versions: c.versions, Types: []string{"indicator"}}))
		if !slices.Equal(got, c.want) {
			t.Errorf("match[version]=%v: got %v, want %v", c.versions, got, c.want)
		}
	}
	// "last" is per collection: in group g only version 1 was published.
	e.group("g", "A")
	g := e.coll(a, "g")
	e.mustAdd(a, g, sub(obj("indicator", uuid(1), ts(1), nil, nil)))
	if got := versionsOf(e.list(a, g, dragnet.Filter{})); !slices.Equal(got, []string{v(1, 1)}) {
		t.Errorf("last in g: %v", got)
	}
	// An object with neither modified nor created has date_added as its version.
	sco, _ := stix.Decode([]byte(`{"type":"domain-name","spec_version":"2.1","id":"domain-name--` + uuid(50) + `","value":"example.com"}`))
	e.mustAdd(a, own, sub(sco))
	all := e.list(a, own, dragnet.Filter{Types: []string{"domain-name"}})
	if len(all) != 1 {
		t.Fatalf("domain-name listed %d times", len(all))
	}
	got := e.list(a, own, dragnet.Filter{Versions: []string{stix.FormatTimestamp(all[0].DateAdded)}})
	if len(got) != 1 || got[0].ID != sco.ID {
		t.Errorf("match[version]=date_added of an unversioned object: %v", ids(got))
	}
}

func testFilterIDTypeSpec(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	e.mustAdd(a, own,
		sub(obj("indicator", uuid(1), t0, nil, nil)),
		sub(obj("malware", uuid(2), t0, nil, map[string]any{"name": "m", "is_family": false})),
		sub(obj("indicator", uuid(3), t0, nil, nil)),
		sub(obj("threat-actor", uuid(4), t0, nil, map[string]any{"name": "t"})),
	)
	cases := []struct {
		f    dragnet.Filter
		want []string
	}{
		{dragnet.Filter{IDs: []string{"indicator--" + uuid(3)}}, []string{"indicator--" + uuid(3)}},
		{dragnet.Filter{IDs: []string{"indicator--" + uuid(3), "malware--" + uuid(2), "indicator--" + uuid(99)}}, []string{"malware--" + uuid(2), "indicator--" + uuid(3)}},
		{dragnet.Filter{IDs: []string{"indicator--" + uuid(99)}}, []string{}},
		{dragnet.Filter{Types: []string{"indicator"}}, []string{"indicator--" + uuid(1), "indicator--" + uuid(3)}},
		{dragnet.Filter{Types: []string{"malware", "threat-actor"}}, []string{"malware--" + uuid(2), "threat-actor--" + uuid(4)}},
		{dragnet.Filter{Types: []string{"indicator"}, IDs: []string{"malware--" + uuid(2)}}, []string{}},
		{dragnet.Filter{Types: []string{"indicator"}, SpecVersions: []string{"2.1"}}, []string{"indicator--" + uuid(1), "indicator--" + uuid(3)}},
		{dragnet.Filter{Types: []string{"indicator"}, SpecVersions: []string{"2.0"}}, []string{}},
	}
	for _, c := range cases {
		got := ids(e.list(a, own, c.f))
		if !slices.Equal(got, c.want) {
			t.Errorf("filter %+v: got %v, want %v", c.f, got, c.want)
		}
	}
	// added_after is exclusive.
	all := e.list(a, own, dragnet.Filter{})
	got := e.list(a, own, dragnet.Filter{AddedAfter: all[1].DateAdded})
	if !slices.Equal(ids(got), ids(all[2:])) {
		t.Errorf("added_after %v: got %v, want %v", all[1].DateAdded, ids(got), ids(all[2:]))
	}
}

func testFilterErrors(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	for i := 0; i < 5; i++ {
		e.mustAdd(a, own, sub(obj("indicator", uuid(i), t0, nil, nil)))
	}
	bad := []struct {
		f     dragnet.Filter
		param string
	}{
		{dragnet.Filter{Versions: []string{"newest"}}, "match[version]"},
		{dragnet.Filter{Versions: []string{"2024-01-01"}}, "match[version]"},
		{dragnet.Filter{SpecVersions: []string{"3.0"}}, "match[spec_version]"},
		{dragnet.Filter{Limit: -1}, "limit"},
		{dragnet.Filter{Next: "garbage!"}, "next"},
	}
	for _, c := range bad {
		_, err := e.s.Objects(as(a), own, c.f, false)
		if code(err) != dragnet.EINVALID || !strings.Contains(dragnet.ErrorMessage(err), c.param) {
			t.Errorf("filter %+v: %v, want EINVALID naming %s", c.f, err, c.param)
		}
	}
	// A cursor is bound to its filters and its collection.
	p, err := e.s.Objects(as(a), own, dragnet.Filter{Limit: 2}, false)
	if err != nil || !p.More || p.Next == "" {
		t.Fatalf("first page: %+v, %v", p, err)
	}
	_, err = e.s.Objects(as(a), own, dragnet.Filter{Limit: 2, Next: p.Next, Types: []string{"malware"}}, false)
	wantCode(t, "cursor with other filters", err, dragnet.EINVALID)
	_, err = e.s.Objects(as(a), dragnet.CommunityCollectionID, dragnet.Filter{Limit: 2, Next: p.Next}, false)
	wantCode(t, "cursor on another collection", err, dragnet.EINVALID)
	// The limit may change between pages.
	if _, err := e.s.Objects(as(a), own, dragnet.Filter{Limit: 3, Next: p.Next}, false); err != nil {
		t.Errorf("cursor with another limit: %v", err)
	}
}

func testPaging(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	var subs []*dragnet.Submission
	for i := 0; i < 2503; i++ {
		subs = append(subs, sub(obj("indicator", uuid(i), t0, nil, nil)))
	}
	e.mustAdd(a, own, subs...)
	// Default limit 1000.
	p, err := e.s.Objects(as(a), own, dragnet.Filter{}, false)
	if err != nil || len(p.Objects) != 1000 || !p.More || p.Next == "" {
		t.Fatalf("first default page: %d objects, More %v, %v", len(p.Objects), p.More, err)
	}
	// Limits are capped at 10000, never an error.
	p, err = e.s.Objects(as(a), own, dragnet.Filter{Limit: 50000}, false)
	if err != nil || len(p.Objects) != 2503 || p.More {
		t.Fatalf("big limit: %d objects, More %v, %v", len(p.Objects), p.More, err)
	}
	for _, limit := range []int{1, 7, 1000, 2503, 2504} {
		var got []*dragnet.StoredObject
		f := dragnet.Filter{Limit: limit}
		pages := 0
		for {
			p, err := e.s.Objects(as(a), own, f, false)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Objects) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(p.Objects))
			}
			got = append(got, p.Objects...)
			if !p.More {
				break
			}
			f.Next = p.Next
		}
		if len(got) != 2503 || pages != (2503+limit-1)/limit {
			t.Errorf("limit %d: %d objects in %d pages", limit, len(got), pages)
		}
		seen := map[string]bool{}
		for i, o := range got {
			if seen[o.ID] {
				t.Fatalf("limit %d: %s seen twice", limit, o.ID)
			}
			seen[o.ID] = true
			if i > 0 && !o.DateAdded.After(got[i-1].DateAdded) {
				t.Fatalf("limit %d: not in date_added order", limit)
			}
		}
	}
}

// testPagingConcurrent: one goroutine writes while another pages; every
// object is seen exactly once.
func testPagingConcurrent(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	const batches, per = 40, 50
	var wg sync.WaitGroup
	wg.Add(1)
	errc := make(chan error, 1)
	go func() {
		defer wg.Done()
		for b := 0; b < batches; b++ {
			var subs []*dragnet.Submission
			for i := 0; i < per; i++ {
				subs = append(subs, sub(obj("indicator", uuid(b*per+i), t0, nil, nil)))
			}
			if _, err := e.s.AddObjects(as(a), own, "", subs); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	seen := map[string]int{}
	f := dragnet.Filter{Limit: 17}
	var last time.Time
	done := false
	for {
		p, err := e.s.Objects(as(a), own, f, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Objects {
			seen[o.ID]++
			if !o.DateAdded.After(last) {
				t.Fatalf("date_added went back: %v after %v", o.DateAdded, last)
			}
			last = o.DateAdded
		}
		if p.More {
			f.Next = p.Next
			continue
		}
		// Caught up: continue from the last object seen.
		if len(p.Objects) > 0 {
			f = dragnet.Filter{Limit: 17, AddedAfter: last}
		}
		if done {
			break
		}
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
			done = true // one more round to drain
		default:
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	if len(seen) != batches*per {
		t.Errorf("saw %d distinct objects, want %d", len(seen), batches*per)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
}

// testDateAddedIncreasing: date_added is unique across collections and
// concurrent callers, in microseconds.
func testDateAddedIncreasing(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	var wg sync.WaitGroup
	for w, o := range []*dragnet.Org{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			coll := dragnet.CommunityCollectionID
			if w%2 == 0 {
				coll = e.coll(o, o.Name)
			}
			for i := 0; i < 20; i++ {
				if _, err := e.s.AddObjects(as(o), coll, "", []*dragnet.Submission{
					sub(obj("indicator", uuid(w*1000+i), t0, nil, nil)),
					sub(obj("indicator", uuid(w*1000+500+i), t0, nil, nil)),
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var all []time.Time
	for _, o := range []*dragnet.Org{a, b} {
		for _, c := range []string{dragnet.CommunityCollectionID, e.coll(o, o.Name)} {
			for _, x := range e.list(o, c, dragnet.Filter{Types: []string{"indicator"}}) {
				all = append(all, x.DateAdded)
			}
		}
	}
	all = dedupe(all) // the community was listed twice
	if len(all) != 4*40 {
		t.Fatalf("%d distinct date_added values for %d submissions", len(all), 4*40)
	}
	for _, d := range all {
		if d.Nanosecond()%1000 != 0 {
			t.Errorf("date_added %v is finer than microseconds", d)
		}
	}
}

func dedupe(ts []time.Time) []time.Time {
	m := map[int64]bool{}
	var out []time.Time
	for _, t := range ts {
		if !m[t.UnixNano()] {
			m[t.UnixNano()] = true
			out = append(out, t)
		}
	}
	return out
}

func testDelete(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	e.group("g", "A", "B")
	g := e.coll(a, "g")
	ts := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	id := "indicator--" + uuid(1)
	for i := 1; i <= 3; i++ {
		e.mustAdd(a, g, sub(obj("indicator", uuid(1), ts(i), nil, nil)))
	}
	e.mustAdd(a, e.coll(a, "A"), sub(obj("indicator", uuid(1), ts(3), nil, nil)))
	ctx := as(a)
	wantCode(t, "delete unknown", e.s.DeleteObject(ctx, g, "indicator--"+uuid(9), dragnet.Filter{}), dragnet.ENOTFOUND)
	wantCode(t, "delete unmatched version", e.s.DeleteObject(ctx, g, id, dragnet.Filter{Versions: []string{stix.FormatTimestamp(ts(7))}}), dragnet.ENOTFOUND)
	wantCode(t, "delete by non-author", e.s.DeleteObject(as(b), g, id, dragnet.Filter{}), dragnet.EFORBIDDEN)
	wantCode(t, "delete in invisible collection", e.s.DeleteObject(as(b), e.coll(a, "A"), id, dragnet.Filter{}), dragnet.ENOTFOUND)
	wantCode(t, "delete bad filter", e.s.DeleteObject(ctx, g, id, dragnet.Filter{Versions: []string{"x"}}), dragnet.EINVALID)
	// Delete the newest: "last" falls back to version 2.
	if err := e.s.DeleteObject(ctx, g, id, dragnet.Filter{Versions: []string{"last"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.list(a, g, dragnet.Filter{}); len(got) != 1 || !got[0].Version.Equal(ts(2)) {
		t.Errorf("after deleting last: %v", versionsOf(got))
	}
	// The version stays where else it was published.
	if got := e.list(a, e.coll(a, "A"), dragnet.Filter{IDs: []string{id}}); len(got) != 1 || !got[0].Version.Equal(ts(3)) {
		t.Errorf("A's own copy after deletion in g: %v", versionsOf(got))
	}
	// Delete everything left in g.
	if err := e.s.DeleteObject(ctx, g, id, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	if got := e.list(a, g, dragnet.Filter{Versions: []string{"all"}}); len(got) != 0 {
		t.Errorf("g after deleting all: %v", versionsOf(got))
	}
	wantCode(t, "delete again", e.s.DeleteObject(ctx, g, id, dragnet.Filter{}), dragnet.ENOTFOUND)
	// Authorship survives deletion: B cannot take the id over.
	if rs := e.add(b, g, sub(obj("indicator", uuid(1), ts(9), nil, nil))); failure(rs, 0) == "" {
		t.Error("B took over a deleted object's id")
	}
}
