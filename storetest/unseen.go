package storetest

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
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
		w := &env{t: t, s: s, sys: e.sys, open: e.open}
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
