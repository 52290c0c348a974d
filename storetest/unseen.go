package storetest

import (
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// testUnseenSCO: an SCO's id follows from its value, so anyone can compute
// it. Submitting one must answer the same whether or not another member
// holds that id in collections the submitter cannot see; it is refused
// only for what the submitter can see.
func testUnseenSCO(t *testing.T, e *env) {
	sco := func(n int, extra string) *dragnet.Submission {
		raw := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + uuid(n) + `","value":"198.51.100.` + string(rune('0'+n)) + `"` + extra + `}`
		return &dragnet.Submission{Object: mustDecode(t, raw)}
	}
	amber := `,"object_marking_refs":["` + dragnet.TLP2Amber + `"]`
	green := `,"object_marking_refs":["` + dragnet.TLP2Green + `"]`

	// What B is told, in a world where A holds the SCOs privately and in
	// one where nobody does.
	outcomes := func(s dragnet.Store, aHolds bool) ([]string, *env, *dragnet.Org, *dragnet.Org) {
		w := e.on(s)
		a, b := w.org("A"), w.org("B")
		if aHolds {
			w.mustAdd(a, w.coll(a, "A"), sco(1, amber), sco(2, amber))
		}
		own := w.coll(b, "B")
		var got []string
		for _, x := range []*dragnet.Submission{
			sco(1, green), // different content from A's
			sco(2, amber), // the same content as A's
			sco(1, amber), // B's own object 1 now has other content
			sco(1, green), // the same again: nothing to add
		} {
			rs := w.add(b, own, x)
			got = append(got, code(rs[0].Err)+" "+failure(rs, 0))
		}
		return got, w, a, b
	}
	other := e.open(t)
	defer other.Close()
	with, w, a, b := outcomes(e.s, true)
	without, _, _, _ := outcomes(other, false)
	for i := range with {
		if with[i] != without[i] {
			t.Errorf("submission %d: B is told %q when A holds the SCO unseen, %q when nobody does", i, with[i], without[i])
		}
	}
	if with[0] != " " || with[1] != " " || with[3] != " " || with[2] == " " {
		t.Errorf("outcomes %q: want success, success, a conflict with B's own content, success", with)
	}
	// Each sees its own content.
	got := w.list(b, w.coll(b, "B"), dragnet.Filter{})
	if len(got) != 2 {
		t.Fatalf("B's collection holds %d objects, want 2", len(got))
	}
	for _, x := range got {
		if x.Submitter != b.ID {
			t.Errorf("%s: submitter %d, want B", x.ID, x.Submitter)
		}
		if x.ID == "ipv4-addr--"+uuid(1) && x.TLP != dragnet.TLPGreen {
			t.Errorf("B's object 1 is %s, want its own GREEN content", x.TLP.Label())
		}
	}
	for _, x := range w.list(a, w.coll(a, "A"), dragnet.Filter{}) {
		if x.TLP != dragnet.TLPAmber || x.Submitter != a.ID {
			t.Errorf("A's %s changed: %s by %d", x.ID, x.TLP.Label(), x.Submitter)
		}
	}

	// What B can see, it is told about: a different content in a shared
	// group is a conflict.
	c, d := w.org("C"), w.org("D")
	w.group("cd", "C", "D")
	w.mustAdd(c, w.coll(c, "cd"), sco(3, amber))
	if rs := w.add(d, w.coll(d, "D"), sco(3, green)); code(rs[0].Err) != dragnet.ECONFLICT {
		t.Errorf("D submits other content for an SCO it sees in its group: %v", rs[0].Err)
	}
	// The same content joins the object D can see.
	w.mustAdd(d, w.coll(d, "D"), sco(3, amber))
}

// testThirdPartyRelay: an object whose created_by_ref names no member (a
// member relaying MITRE ATT&CK) is not a member's: any member may relay it,
// newer versions included, whatever others hold of it out of sight; a
// member may take back only the versions it published.
func testThirdPartyRelay(t *testing.T, e *env) {
	const mitre = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
	ap := func(hours int, name string) *dragnet.Submission {
		return sub(obj("attack-pattern", uuid(1), t0.Add(time.Duration(hours)*time.Hour), nil,
			map[string]any{"name": name, "created_by_ref": mitre}))
	}
	outcomes := func(s dragnet.Store, aHolds bool) ([]string, *env, *dragnet.Org) {
		w := e.on(s)
		a, b := w.org("A"), w.org("B")
		if aHolds {
			w.mustAdd(a, w.coll(a, "A"), ap(1, "v1"), ap(2, "v2"))
		}
		var got []string
		for _, x := range []struct {
			coll string
			s    *dragnet.Submission
		}{
			{dragnet.CommunityCollectionID, ap(3, "v3")},       // newer than A's
			{dragnet.CommunityCollectionID, ap(2, "other v2")}, // A's version time, other content
			{w.coll(b, "B"), ap(1, "v1")},                      // A's exact version
		} {
			rs := w.add(b, x.coll, x.s)
			got = append(got, code(rs[0].Err)+" "+failure(rs, 0))
		}
		return got, w, b
	}
	other := e.open(t)
	defer other.Close()
	with, w, b := outcomes(e.s, true)
	without, _, _ := outcomes(other, false)
	for i := range with {
		if with[i] != without[i] || with[i] != " " {
			t.Errorf("relay %d: B is told %q when A holds the object unseen, %q when nobody does; want success", i, with[i], without[i])
		}
	}
	// Another member relays a newer version into the community, where
	// B's relay is: allowed, and it becomes the latest there.
	c := w.org("C")
	w.mustAdd(c, dragnet.CommunityCollectionID, ap(4, "v4"))
	got := w.list(c, dragnet.CommunityCollectionID, dragnet.Filter{IDs: []string{"attack-pattern--" + uuid(1)}})
	if len(got) != 1 || !got[0].Version.Equal(t0.Add(4*time.Hour)) || got[0].Submitter != c.ID {
		t.Errorf("latest in community: %+v", got)
	}
	// C may take back its own version, not B's.
	id := "attack-pattern--" + uuid(1)
	wantCode(t, "C deletes B's relays too", w.s.DeleteObject(as(c), dragnet.CommunityCollectionID, id, dragnet.Filter{}), dragnet.EFORBIDDEN)
	if err := w.s.DeleteObject(as(c), dragnet.CommunityCollectionID, id, dragnet.Filter{Versions: []string{stix.FormatTimestamp(t0.Add(4 * time.Hour))}}); err != nil {
		t.Errorf("C deletes its own relay: %v", err)
	}
	if err := w.s.DeleteObject(as(b), dragnet.CommunityCollectionID, id, dragnet.Filter{}); err != nil {
		t.Errorf("B deletes what is left, all of it its own: %v", err)
	}
	// A member's own object is still versioned by its author only.
	w.mustAdd(b, dragnet.CommunityCollectionID, sub(obj("indicator", uuid(2), t0, nil, nil)))
	if rs := w.add(c, dragnet.CommunityCollectionID, sub(obj("indicator", uuid(2), t0.Add(time.Hour), nil, nil))); code(rs[0].Err) != dragnet.EFORBIDDEN {
		t.Errorf("C versions B's indicator: %v", rs[0].Err)
	}
}
