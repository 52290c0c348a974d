package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

func testAddAndRead(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	raw := `{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid(7) + `","created":"2020-01-01T00:00:00.000Z","modified":"2024-03-01T12:00:00.123456Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","x_custom":{"keep":[1,2,3]},  "labels":["a"]}`
	o := obj("indicator", uuid(1), t0, nil, nil)
	o2 := mustDecode(t, raw)
	sco := mustDecode(t, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--`+uuid(9)+`","value":"198.51.100.9"}`)
	before := time.Now().Add(-time.Second)
	rs := e.add(a, own, sub(o), sub(o2), sub(sco))
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.ID, r.Err)
		}
	}
	if rs[1].ID != o2.ID || !rs[1].Version.Equal(o2.Modified) {
		t.Errorf("result = %+v", rs[1])
	}
	if rs[2].Version.IsZero() {
		t.Errorf("unversioned object's result has no version (date_added)")
	}
	got := e.list(a, own, dragnet.Filter{})
	if len(got) != 3 {
		t.Fatalf("listed %d objects, want 3", len(got))
	}
	if got[1].ID != o2.ID || string(got[1].Raw) != raw {
		t.Errorf("raw JSON changed:\n got %s\nwant %s", got[1].Raw, raw)
	}
	s := got[1]
	if s.Type != "indicator" || s.SpecVersion != "2.1" || !s.Version.Equal(o2.Modified) || s.TLP != dragnet.TLPAmber || s.Submitter != a.ID || s.Revoked {
		t.Errorf("stored object = %+v", s)
	}
	for i, x := range got {
		if x.DateAdded.Before(before) || x.DateAdded.After(time.Now().Add(time.Second)) {
			t.Errorf("date_added %v is not now", x.DateAdded)
		}
		if i > 0 && !x.DateAdded.After(got[i-1].DateAdded) {
			t.Errorf("date_added not increasing: %v then %v", got[i-1].DateAdded, x.DateAdded)
		}
	}
	if !got[2].Version.Equal(got[2].DateAdded) {
		t.Errorf("unversioned object version %v, want its date_added %v", got[2].Version, got[2].DateAdded)
	}
	// Manifests carry no raw.
	p, err := e.s.Objects(as(a), own, dragnet.Filter{}, false)
	if err != nil || len(p.Objects) != 3 || p.Objects[0].Raw != nil || p.More {
		t.Errorf("manifest page = %+v, %v", p, err)
	}
	// Another member does not see A's collection's objects through community.
	b := e.org("B")
	for _, x := range e.list(b, dragnet.CommunityCollectionID, dragnet.Filter{}) {
		if x.Type != "identity" {
			t.Errorf("B sees %s in community", x.ID)
		}
	}
	// Bad submissions fail alone.
	rs = e.add(a, own, nil, &dragnet.Submission{}, sub(obj("indicator", uuid(2), t0, nil, nil)))
	if rs[0].Err == nil || rs[1].Err == nil || rs[2].Err != nil {
		t.Errorf("results = %+v", rs)
	}
}

func mustDecode(t *testing.T, raw string) *stixObject {
	t.Helper()
	o, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func testIdempotent(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	o := obj("indicator", uuid(1), t0, nil, nil)
	e.mustAdd(a, own, sub(o))
	first := e.list(a, own, dragnet.Filter{})
	e.mustAdd(a, own, sub(o))
	// The same JSON written differently is the same content.
	var m map[string]any
	json.Unmarshal(o.Raw, &m)
	reordered, _ := json.MarshalIndent(m, "", "  ")
	e.mustAdd(a, own, sub(mustDecode(t, string(reordered))))
	again := e.list(a, own, dragnet.Filter{Versions: []string{"all"}})
	if len(again) != 1 || !again[0].DateAdded.Equal(first[0].DateAdded) {
		t.Errorf("re-submission changed the collection: %v → %v", first, again)
	}
}

func testVersionConflict(t *testing.T, e *env) {
	a := e.org("A")
	own := e.coll(a, "A")
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0, nil, nil)))
	rs := e.add(a, own, sub(obj("indicator", uuid(1), t0, nil, map[string]any{"name": "changed"})))
	if rs[0].Err == nil || !strings.Contains(dragnet.ErrorMessage(rs[0].Err), "version already exists with different content") {
		t.Errorf("conflicting version: %v", rs[0].Err)
	}
	// Also across collections.
	e.group("g", "A")
	rs = e.add(a, e.coll(a, "g"), sub(obj("indicator", uuid(1), t0, nil, map[string]any{"name": "changed"})))
	if rs[0].Err == nil {
		t.Error("conflicting version accepted in another collection")
	}
	if got := e.list(a, own, dragnet.Filter{}); len(got) != 1 || strings.Contains(string(got[0].Raw), "changed") {
		t.Errorf("stored version changed: %s", got[0].Raw)
	}
}

// testStoredOnce: one version published by two members into two audiences
// appears in both, each submission with its own TLP and submitter.
func testStoredOnce(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	e.group("g", "A", "B")
	g := e.coll(a, "g")
	o := obj("malware", uuid(1), t0, nil, map[string]any{"name": "x", "is_family": true})
	e.mustAdd(a, g, sub(o))
	// The same version with markings added is different content.
	if rs := e.add(b, e.coll(b, "B"), sub(obj("malware", uuid(1), t0, []string{dragnet.TLP2Red}, map[string]any{"name": "x", "is_family": true}))); rs[0].Err == nil {
		t.Error("same version with different markings accepted")
	}
	got := e.list(b, e.coll(b, "B"), dragnet.Filter{})
	if len(got) != 0 {
		t.Fatalf("B's collection holds %d objects after a conflicting version", len(got))
	}
	e.mustAdd(b, e.coll(b, "B"), sub(o))
	inG := e.list(a, g, dragnet.Filter{})
	inB := e.list(b, e.coll(b, "B"), dragnet.Filter{})
	if len(inG) != 1 || len(inB) != 1 || string(inG[0].Raw) != string(inB[0].Raw) {
		t.Fatalf("in g %v, in B %v", inG, inB)
	}
	if inG[0].Submitter != a.ID || inB[0].Submitter != b.ID || inG[0].AudienceID == inB[0].AudienceID {
		t.Errorf("submissions: %+v and %+v", inG[0], inB[0])
	}
	if inB[0].DateAdded.Equal(inG[0].DateAdded) {
		t.Error("two submissions share a date_added")
	}
}
