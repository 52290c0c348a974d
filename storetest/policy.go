package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// failure returns the message of a per-object failure, or "" on success.
func failure(rs []dragnet.AddResult, i int) string {
	if rs[i].Err == nil {
		return ""
	}
	return dragnet.ErrorMessage(rs[i].Err)
}

func testAuthorship(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	e.group("g", "A", "B")
	g := e.coll(a, "g")
	// A third-party author is fine; another member is not.
	rs := e.add(b, g,
		sub(obj("attack-pattern", uuid(1), t0, nil, map[string]any{"name": "x", "created_by_ref": "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"})),
		sub(obj("attack-pattern", uuid(2), t0, nil, map[string]any{"name": "y", "created_by_ref": a.Identity})),
		sub(obj("attack-pattern", uuid(3), t0, nil, map[string]any{"name": "z", "created_by_ref": b.Identity})),
	)
	if failure(rs, 0) != "" || failure(rs, 2) != "" {
		t.Errorf("own or third-party author refused: %v / %v", rs[0].Err, rs[2].Err)
	}
	if want := "created_by_ref names member A; you may not write as another member"; failure(rs, 1) != want {
		t.Errorf("impersonation: %q, want %q", failure(rs, 1), want)
	}
	// A writes an object; B may not version it, but may re-submit the same
	// version into its own collection.
	v1 := obj("indicator", uuid(10), t0, nil, nil)
	e.mustAdd(a, g, sub(v1))
	rs = e.add(b, g, sub(obj("indicator", uuid(10), t0.Add(1e9), nil, nil)))
	if want := "only the authoring organisation may version, revoke or delete"; !strings.Contains(failure(rs, 0), want) {
		t.Errorf("B versions A's object: %q", failure(rs, 0))
	}
	rs = e.add(b, g, sub(obj("indicator", uuid(10), t0.Add(1e9), nil, map[string]any{"revoked": true})))
	if failure(rs, 0) == "" {
		t.Error("B revoked A's object")
	}
	e.mustAdd(b, e.coll(b, "B"), sub(v1))
	// A may add versions and revoke.
	e.mustAdd(a, g, sub(obj("indicator", uuid(10), t0.Add(2e9), nil, map[string]any{"revoked": true})))
	got := e.list(a, g, dragnet.Filter{IDs: []string{v1.ID}})
	if len(got) != 1 || !got[0].Revoked || !got[0].Version.Equal(t0.Add(2e9)) {
		t.Errorf("after revocation: %+v", got)
	}
	// B may not delete it.
	err := e.s.DeleteObject(as(b), g, v1.ID, dragnet.Filter{})
	wantCode(t, "B deletes A's object", err, dragnet.EFORBIDDEN)
	// Submitter is recorded by the hub, whatever the object says.
	for _, x := range e.list(a, g, dragnet.Filter{Types: []string{"attack-pattern"}}) {
		if x.Submitter != b.ID {
			t.Errorf("%s submitter %d, want %d", x.ID, x.Submitter, b.ID)
		}
	}
}

func testTLPMarkings(t *testing.T, e *env) {
	a := e.org("A")
	e.group("g", "A")
	g, own := e.coll(a, "g"), e.coll(a, "A")
	com := dragnet.CommunityCollectionID
	rs := e.add(a, com,
		sub(obj("indicator", uuid(1), t0, nil, nil)),                                                                  // GREEN by default
		sub(obj("indicator", uuid(2), t0, []string{dragnet.TLP2Clear}, nil)),                                          // CLEAR
		sub(obj("indicator", uuid(3), t0, []string{dragnet.TLP1White}, nil)),                                          // TLP 1.0 white = CLEAR
		sub(obj("indicator", uuid(4), t0, []string{dragnet.TLP2Amber}, nil)),                                          // AMBER to community
		sub(obj("indicator", uuid(5), t0, []string{dragnet.TLP2Red}, nil)),                                            // RED: refused
		sub(obj("indicator", uuid(6), t0, []string{dragnet.TLP1Red}, nil)),                                            // TLP 1.0 RED: refused
		sub(obj("indicator", uuid(7), t0, []string{dragnet.TLP2Green, dragnet.TLP2Amber}, nil)),                       // conflict
		sub(obj("indicator", uuid(8), t0, []string{dragnet.TLP1Green, dragnet.TLP2Green}, nil)),                       // same level twice
		sub(obj("indicator", uuid(9), t0, []string{"marking-definition--34098fce-860f-48ae-8e50-ffffffffffff"}, nil)), // not TLP
	)
	red := "TLP:RED cannot be published to the community; publish it to a sharing group or your organisation"
	want := []string{"", "", "", "", red, red, "object_marking_refs", "", ""}
	for i, w := range want {
		got := failure(rs, i)
		if (w == "") != (got == "") || !strings.Contains(got, w) {
			t.Errorf("object %d: failure %q, want %q", i+1, got, w)
		}
	}
	tlps := map[string]dragnet.TLP{}
	for _, x := range e.list(a, com, dragnet.Filter{Types: []string{"indicator"}}) {
		tlps[x.ID] = x.TLP
	}
	wantTLP := map[int]dragnet.TLP{1: dragnet.TLPGreen, 2: dragnet.TLPClear, 3: dragnet.TLPClear, 4: dragnet.TLPAmber, 8: dragnet.TLPGreen, 9: dragnet.TLPGreen}
	for n, w := range wantTLP {
		if got := tlps["indicator--"+uuid(n)]; got != w {
			t.Errorf("object %d TLP %v, want %v", n, got, w)
		}
	}
	if len(tlps) != len(wantTLP) {
		t.Errorf("community holds %d indicators, want %d", len(tlps), len(wantTLP))
	}
	// RED is fine to a group or one's own organisation; unmarked there is AMBER.
	e.mustAdd(a, g, sub(obj("indicator", uuid(20), t0, []string{dragnet.TLP2Red}, nil)))
	e.mustAdd(a, own, sub(obj("indicator", uuid(21), t0, []string{dragnet.TLP2Red}, nil)), sub(obj("indicator", uuid(22), t0, nil, nil)))
	for _, x := range e.list(a, own, dragnet.Filter{}) {
		w := dragnet.TLPRed
		if x.ID == "indicator--"+uuid(22) {
			w = dragnet.TLPAmber
		}
		if x.TLP != w {
			t.Errorf("%s TLP %v, want %v", x.ID, x.TLP, w)
		}
	}
}

// testTLPResharing: AMBER, AMBER+STRICT and RED never go to a wider
// audience than the one they are in.
func testTLPResharing(t *testing.T, e *env) {
	a, b, c := e.org("A"), e.org("B"), e.org("C")
	e.group("ab", "A", "B")
	e.group("abc", "ab", "C")
	e.group("a", "A")
	ab, abc, ga, own := e.coll(a, "ab"), e.coll(a, "abc"), e.coll(a, "a"), e.coll(a, "A")
	com := dragnet.CommunityCollectionID
	for i, m := range []string{dragnet.TLP2Amber, dragnet.TLP2AmberStrict, dragnet.TLP2Red} {
		o := obj("indicator", uuid(100+i), t0, []string{m}, nil)
		e.mustAdd(a, ab, sub(o))
		for _, wider := range []string{abc, com} {
			rs := e.add(a, wider, sub(o))
			if msg := failure(rs, 0); !strings.Contains(msg, "re-published") && !strings.Contains(msg, "TLP:RED") {
				t.Errorf("%s from ab to a wider collection: %q", m, msg)
			}
		}
		// Narrower or equal audiences are fine: A's own, group {A}.
		e.mustAdd(a, own, sub(o))
		e.mustAdd(a, ga, sub(o))
		// B, a member of ab, may re-submit it to its own collection.
		e.mustAdd(b, e.coll(b, "B"), sub(o))
		// C, not in ab, cannot see it: to C it is another member's object
		// it may not write, exactly as if that version did not exist.
		seen := e.add(c, e.coll(c, "C"), sub(o))
		unseen := e.add(c, e.coll(c, "C"), sub(obj("indicator", uuid(100+i), t0.Add(time.Hour), []string{m}, nil)))
		if code(seen[0].Err) != dragnet.EFORBIDDEN || failure(seen, 0) != failure(unseen, 0) {
			t.Errorf("C re-submits %s's version it cannot see: %q; a version that does not exist: %q", m, failure(seen, 0), failure(unseen, 0))
		}
	}
	// The message names the level and a collection the object is held in.
	rs := e.add(a, abc, sub(obj("indicator", uuid(100), t0, []string{dragnet.TLP2Amber}, nil)))
	if msg := failure(rs, 0); !strings.Contains(msg, "TLP:AMBER") || !strings.Contains(msg, `"abc"`) ||
		!(strings.Contains(msg, `"ab"`) || strings.Contains(msg, `"A"`) || strings.Contains(msg, `"a"`)) {
		t.Errorf("message %q does not say where the object is held", msg)
	}
	// GREEN may go anywhere.
	o := obj("indicator", uuid(200), t0, []string{dragnet.TLP2Green}, nil)
	e.mustAdd(a, ab, sub(o))
	e.mustAdd(a, abc, sub(o))
	e.mustAdd(a, com, sub(o))
	// An unmarked object in a group is AMBER there (the group's default).
	u := obj("indicator", uuid(201), t0, nil, nil)
	e.mustAdd(a, ab, sub(u))
	if rs := e.add(a, com, sub(u)); failure(rs, 0) == "" {
		t.Error("unmarked object, AMBER by default in ab, re-published to community")
	}
}

func testReadTokenCannotWrite(t *testing.T, e *env) {
	a := e.org("A")
	ro := dragnet.OrgContext(context.Background(), a, dragnet.RoleRead)
	_, err := e.s.AddObjects(ro, e.coll(a, "A"), "", []*dragnet.Submission{sub(obj("indicator", uuid(1), t0, nil, nil))})
	wantCode(t, "read token AddObjects", err, dragnet.EFORBIDDEN)
	e.mustAdd(a, e.coll(a, "A"), sub(obj("indicator", uuid(1), t0, nil, nil)))
	wantCode(t, "read token DeleteObject", e.s.DeleteObject(ro, e.coll(a, "A"), "indicator--"+uuid(1), dragnet.Filter{}), dragnet.EFORBIDDEN)
	if p, err := e.s.Objects(ro, e.coll(a, "A"), dragnet.Filter{}, true); err != nil || len(p.Objects) != 1 {
		t.Errorf("read token reads: %v", err)
	}
	_, err = e.s.AddObjects(e.sys, dragnet.CommunityCollectionID, "", []*dragnet.Submission{sub(obj("indicator", uuid(2), t0, nil, nil))})
	if c := code(err); c != dragnet.EFORBIDDEN && c != dragnet.ENOTFOUND {
		t.Errorf("system AddObjects: %v", err)
	}
}
