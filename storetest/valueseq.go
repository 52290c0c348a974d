package storetest

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// testValueChangeSeq checks what followers of the value stream rely on to
// read the object a change is about (the matcher reads complex patterns
// so): a change's Seq is the date_added of the submission that made it,
// or the Seq of the removal, so ObjectsAfter or RemovalsAfter from Seq-1
// returns that very object or removal first.
func testValueChangeSeq(t *testing.T, e *env) {
	vs, ok1 := e.s.(dragnet.ValueScanner)
	ot, ok2 := e.s.(dragnet.ObjectTail)
	rt, ok3 := e.s.(dragnet.RemovalTail)
	if !ok1 || !ok2 || !ok3 {
		t.Skip("store does not follow changes (ValueScanner, ObjectTail, RemovalTail)")
	}
	a := e.org("A")
	own := e.coll(a, "A")
	id := "indicator--" + uuid(1)
	_, head, err := ot.ObjectsAfter(e.sys, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// An indicator without values (a complex pattern), among others.
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0, nil, nil)))
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(obj("malware", uuid(2), t0, nil, map[string]any{"name": "x", "is_family": true})))
	change := func(after int64) *dragnet.ValueChange {
		t.Helper()
		cs, _, err := vs.ValueChanges(e.sys, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ObjectID == id {
				return c
			}
		}
		t.Fatalf("no change of %s after %d in %v", id, after, cs)
		return nil
	}
	c := change(head)
	objs, _, err := ot.ObjectsAfter(e.sys, c.Seq-1, 1)
	if err != nil || len(objs) != 1 || objs[0].ID != id || objs[0].AudienceID != c.AudienceID || objs[0].DateAdded.UnixMicro() != c.Seq || len(objs[0].Raw) == 0 {
		t.Fatalf("object at change %d: %+v, %v", c.Seq, objs, err)
	}
	if err := e.s.DeleteObject(as(a), own, id, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	c = change(c.Seq)
	rs, _, err := rt.RemovalsAfter(e.sys, c.Seq-1, 1)
	if err != nil || len(rs) != 1 || rs[0].Seq != c.Seq || rs[0].ObjectID != id || rs[0].AudienceID != c.AudienceID || rs[0].Current != nil || len(c.Entries) != 0 {
		t.Fatalf("removal at change %d: %+v, %v", c.Seq, rs, err)
	}
}
