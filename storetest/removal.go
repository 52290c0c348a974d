package storetest

import (
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// testRemovalTail checks RemovalsAfter: system only, one cursor shared
// with ObjectsAfter, each removal with the version left current in its
// audience (or none), paging by limit.
func testRemovalTail(t *testing.T, e *env) {
	rt, ok := e.s.(dragnet.RemovalTail)
	if !ok {
		t.Fatal("the store does not implement dragnet.RemovalTail")
	}
	ot := e.s.(dragnet.ObjectTail)
	a := e.org("A")
	own := e.coll(a, "A")
	one, two := "indicator--"+uuid(1), "indicator--"+uuid(2)
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0, nil, nil)))
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0.Add(time.Hour), nil, nil)))
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(obj("indicator", uuid(2), t0, nil, nil)))
	_, _, err := rt.RemovalsAfter(as(a), 0, 0)
	wantCode(t, "member reads removals", err, dragnet.EFORBIDDEN)
	_, _, err = rt.RemovalsAfter(e.sys, -1, 0)
	wantCode(t, "negative cursor", err, dragnet.EINVALID)
	_, head, err := ot.ObjectsAfter(e.sys, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	rs, next, err := rt.RemovalsAfter(e.sys, 0, 0)
	if err != nil || len(rs) != 0 || next != head {
		t.Fatalf("nothing removed: %v, cursor %d (head %d), %v", rs, next, head, err)
	}

	// The newest version of one goes: the older one is current again.
	if err := e.s.DeleteObject(as(a), own, one, dragnet.Filter{Versions: []string{stix.FormatTimestamp(t0.Add(time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(obj("malware", uuid(3), t0, nil, map[string]any{"name": "x", "is_family": true})))
	if err := e.s.DeleteObject(as(a), dragnet.CommunityCollectionID, two, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	rs, next, err = rt.RemovalsAfter(e.sys, head, 0)
	if err != nil || len(rs) != 2 {
		t.Fatalf("two removals: %v %v", rs, err)
	}
	r := rs[0]
	if r.ObjectID != one || r.AudienceID == 1 || r.Seq <= head || r.Current == nil ||
		r.Current.ID != one || !r.Current.Version.Equal(t0) || r.Current.Submitter != a.ID || r.Current.AudienceID != r.AudienceID || len(r.Current.Raw) == 0 {
		t.Errorf("first removal: %+v current %+v", r, r.Current)
	}
	if r := rs[1]; r.ObjectID != two || r.AudienceID != 1 || r.Current != nil || r.Seq <= rs[0].Seq {
		t.Errorf("second removal: %+v", r)
	}
	objs, onext, err := ot.ObjectsAfter(e.sys, head, 0)
	if err != nil || len(objs) != 1 || objs[0].ID != "malware--"+uuid(3) {
		t.Fatalf("objects after the head: %v %v", objs, err)
	}
	// One sequence: the malware's date_added lies between the removals.
	if d := objs[0].DateAdded.UnixMicro(); d <= rs[0].Seq || d >= rs[1].Seq {
		t.Errorf("date_added %d not between removals %d and %d", d, rs[0].Seq, rs[1].Seq)
	}
	if next != rs[1].Seq || onext >= next {
		t.Errorf("cursor %d after the last removal %d (objects' %d)", next, rs[1].Seq, onext)
	}
	page, pnext, err := rt.RemovalsAfter(e.sys, head, 1)
	if err != nil || len(page) != 1 || pnext != page[0].Seq || page[0].ObjectID != one {
		t.Fatalf("first page: %v %d %v", page, pnext, err)
	}
	page, pnext, err = rt.RemovalsAfter(e.sys, pnext, 1)
	if err != nil || len(page) != 1 || pnext != rs[1].Seq || page[0].ObjectID != two {
		t.Fatalf("second page: %v %d %v", page, pnext, err)
	}
	page, last, err := rt.RemovalsAfter(e.sys, pnext, 1)
	if err != nil || len(page) != 0 || last != pnext {
		t.Fatalf("past the end: %v %d %v", page, last, err)
	}
}
