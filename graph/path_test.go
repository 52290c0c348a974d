package graph

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// confidenceWorld: an incident and an intrusion set linked directly by a
// doubtful attribution, and through a command server by two confident
// relationships; a second incident linked to the same intrusion set
// directly and through the server, with no confidences at all.
func confidenceWorld(t *testing.T, auds ...int64) *Graph {
	t.Helper()
	b := NewBuilder(Options{})
	add := func(aud int64, m map[string]any) {
		m["spec_version"] = "2.1"
		m["created"], m["modified"] = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
		raw, _ := json.Marshal(m)
		if err := b.Add(&Record{ID: m["id"].(string), Type: m["type"].(string), AudienceID: aud, OrgID: 1, Country: "DE", DateAdded: time.Unix(1_800_000_000, 0), Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(aud int64, n int, typ, src, dst string, conf int) {
		m := map[string]any{"type": "relationship", "id": uid("relationship", n), "relationship_type": typ, "source_ref": src, "target_ref": dst}
		if conf >= 0 {
			m["confidence"] = conf
		}
		add(aud, m)
	}
	inc1, inc2, c2, is := uid("incident", 1), uid("incident", 2), uid("infrastructure", 3), uid("intrusion-set", 4)
	add(1, map[string]any{"type": "incident", "id": inc1, "name": "one"})
	add(1, map[string]any{"type": "incident", "id": inc2, "name": "two"})
	add(1, map[string]any{"type": "infrastructure", "id": c2, "name": "c2"})
	add(1, map[string]any{"type": "intrusion-set", "id": is, "name": "set"})
	rel(2, 10, "attributed-to", inc1, is, 5)
	rel(1, 11, "related-to", inc1, c2, 90)
	rel(1, 12, "uses", is, c2, 95)
	rel(1, 13, "attributed-to", inc2, is, -1)
	rel(1, 14, "related-to", inc2, c2, -1)
	return b.Build()
}

func TestPathPrefersConfidence(t *testing.T) {
	g := confidenceWorld(t)
	both := &dragnet.Access{OrgID: 1, Audiences: []int64{1, 2}}
	vias := func(p []Edge) (out []string) {
		for _, e := range p {
			out = append(out, e.Via)
		}
		return out
	}
	p, err := g.Path(both, uid("incident", 1), uid("intrusion-set", 4), 0)
	if err != nil || len(p) != 2 || p[0].Via != uid("relationship", 11) || p[1].Via != uid("relationship", 12) {
		t.Fatalf("two confident hops should beat one doubtful one: %v %v", vias(p), err)
	}
	// Within one hop only the doubtful attribution is left.
	if p, err := g.Path(both, uid("incident", 1), uid("intrusion-set", 4), 1); err != nil || len(p) != 1 || p[0].Via != uid("relationship", 10) {
		t.Fatalf("one hop: %v %v", vias(p), err)
	}
	// In the community alone the doubtful attribution (audience 2) is
	// invisible: the confident path, whatever the hop limit allows.
	if p, err := g.Path(community, uid("incident", 1), uid("intrusion-set", 4), 0); err != nil || len(p) != 2 {
		t.Fatalf("community: %v %v", vias(p), err)
	}
	// Equally believed: the shorter path.
	if p, err := g.Path(both, uid("incident", 2), uid("intrusion-set", 4), 0); err != nil || len(p) != 1 || p[0].Via != uid("relationship", 13) {
		t.Fatalf("no confidences: %v %v", vias(p), err)
	}
}

func TestEdgeCost(t *testing.T) {
	rel := func(c uint8) half { return half{kind: KindRelationship, conf: c} }
	if !(edgeCost(rel(100)) < edgeCost(half{kind: KindRef, conf: confAbsent})) {
		t.Error("a certain relationship costs more than a reference")
	}
	if !(edgeCost(rel(90)) < edgeCost(rel(confAbsent)) && edgeCost(rel(confAbsent)) < edgeCost(rel(10))) {
		t.Error("confidence does not order costs")
	}
	if edgeCost(rel(0)) != edgeCost(rel(1)) || edgeCost(rel(200)) != edgeCost(rel(confAbsent)) {
		t.Error("out-of-range confidences")
	}
	if 2*edgeCost(rel(90)) >= edgeCost(rel(5)) {
		t.Error("two 90% hops should beat one 5% hop")
	}
}
