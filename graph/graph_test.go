package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// obj builds a STIX object's JSON from an id and properties.
func obj(id string, props ...any) json.RawMessage {
	m := map[string]any{"id": id, "type": id[:strings.Index(id, "--")], "spec_version": "2.1",
		"created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z"}
	for i := 0; i+1 < len(props); i += 2 {
		m[props[i].(string)] = props[i+1]
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return raw
}

func rel(id, src, typ, dst string) json.RawMessage {
	return obj(id, "source_ref", src, "relationship_type", typ, "target_ref", dst)
}

// uid makes a valid-looking STIX id from a type and a small number.
func uid(typ string, n int) string { return fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n) }

type rec struct {
	aud, org int64
	raw      json.RawMessage
}

func build(t testing.TB, opts Options, recs []rec) *Graph {
	t.Helper()
	b := NewBuilder(opts)
	countries := map[int64]string{1: "DE", 2: "FR", 3: "RU", 4: "BR", 5: "US"}
	for _, r := range recs {
		var h struct{ ID, Type string }
		if err := json.Unmarshal(r.raw, &h); err != nil {
			t.Fatal(err)
		}
		err := b.Add(&Record{ID: h.ID, Type: h.Type, AudienceID: r.aud, OrgID: r.org, Country: countries[r.org],
			DateAdded: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Raw: r.raw})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// The small case: an incident in DE whose attackers talk to a command
// server FR knows, used by an intrusion set a vendor reports in the
// community, attributed (privately, in org 3's own audience) to a threat
// actor located in RU.
var (
	incident = uid("incident", 1)
	attack   = uid("observed-data", 2)
	botA     = uid("ipv4-addr", 3)
	botB     = uid("ipv4-addr", 4)
	c2       = uid("ipv4-addr", 5)
	conn     = uid("network-traffic", 6)
	seen     = uid("observed-data", 7)
	infra    = uid("infrastructure", 8)
	intrus   = uid("intrusion-set", 9)
	actor    = uid("threat-actor", 10)
	loc      = uid("location", 11)
	ind      = uid("indicator", 12)
	botC     = uid("ipv4-addr", 13)
	botD     = uid("ipv4-addr", 14)
)

func smallWorld(t testing.TB) *Graph {
	return build(t, Options{}, []rec{
		{1, 1, obj(incident, "name", "DDoS on a bank")},
		{1, 1, obj(attack, "first_observed", "2026-02-03T00:00:00Z", "last_observed", "2026-02-04T00:00:00Z", "number_observed", 4, "object_refs", []string{botA, botB, botC, botD}, "created_by_ref", uid("identity", 99))},
		{1, 1, obj(botC, "value", "198.51.100.3")},
		{1, 1, obj(botD, "value", "198.51.100.4")},
		{1, 1, rel(uid("relationship", 20), incident, "related-to", attack)},
		{1, 1, obj(botA, "value", "198.51.100.1")},
		{1, 1, obj(botB, "value", "198.51.100.2")},
		{1, 2, obj(conn, "src_ref", botA, "dst_ref", c2)},
		{1, 2, obj(c2, "value", "203.0.113.9")},
		{1, 2, obj(seen, "first_observed", "2026-01-10T00:00:00Z", "last_observed", "2026-01-11T00:00:00Z", "number_observed", 1, "object_refs", []string{botA, c2, conn})},
		{1, 5, obj(infra, "name", "C2", "infrastructure_types", []string{"command-and-control"})},
		{1, 5, rel(uid("relationship", 21), infra, "consists-of", c2)},
		{1, 5, obj(intrus, "name", "Grim Spider")},
		{1, 5, rel(uid("relationship", 22), intrus, "uses", infra)},
		{1, 5, obj(ind, "pattern", "[ipv4-addr:value = '198.51.100.2']", "pattern_type", "stix", "valid_from", "2026-01-01T00:00:00Z")},
		{3, 3, obj(actor, "name", "vova")},
		{3, 3, rel(uid("relationship", 23), intrus, "attributed-to", actor)},
		{3, 3, obj(loc, "country", "RU")},
		{3, 3, rel(uid("relationship", 24), actor, "located-at", loc)},
	})
}

var (
	community = &dragnet.Access{OrgID: 1, Audiences: []int64{1}}
	orgThree  = &dragnet.Access{OrgID: 3, Audiences: []int64{1, 3}}
	nobody    = &dragnet.Access{OrgID: 9}
)

func TestLookupAndValues(t *testing.T) {
	g := smallWorld(t)
	if n := g.Lookup(botA); n == None || g.Type(n) != "ipv4-addr" || g.ID(n) != botA {
		t.Fatalf("Lookup(%s) = %d", botA, n)
	}
	if g.Lookup("ipv4-addr--nothing") != None {
		t.Fatal("found an absent id")
	}
	v := g.LookupValue(dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.2"})
	if v == None || !g.IsValue(v) {
		t.Fatal("no value node for 198.51.100.2")
	}
	// The indicator's pattern and the address object share the value node.
	var carriers []string
	for _, h := range g.edges(v) {
		carriers = append(carriers, g.ID(h.to))
	}
	slices.Sort(carriers)
	if want := []string{ind, botB}; !slices.Equal(carriers, want) {
		t.Fatalf("carriers of 198.51.100.2: %v, want %v", carriers, want)
	}
	// The created_by_ref target exists as a placeholder nobody can see.
	if p := g.Lookup(uid("identity", 99)); p == None || g.view(community).visible(p) {
		t.Fatal("placeholder of an unsubmitted object must exist and be invisible")
	}
}

func TestNeighbourhood(t *testing.T) {
	g := smallWorld(t)
	sg, err := g.Neighbourhood(community, attack, NeighbourhoodQuery{Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := nodeIDs(sg.Nodes)
	for _, want := range []string{attack, incident, botA, botB} {
		if !slices.Contains(ids, want) {
			t.Errorf("depth-1 neighbourhood of the attack lacks %s: %v", want, ids)
		}
	}
	if slices.Contains(ids, uid("identity", 99)) {
		t.Error("provenance followed without being asked")
	}
	sg, _ = g.Neighbourhood(community, attack, NeighbourhoodQuery{Depth: 2, Types: []string{"ipv4-addr", "network-traffic"}})
	for _, n := range sg.Nodes {
		if n.ID != attack && n.Type != "ipv4-addr" && n.Type != "network-traffic" && n.Type != "value" {
			t.Errorf("type filter let %s in", n.ID)
		}
	}
	if !slices.Contains(nodeIDs(sg.Nodes), conn) {
		t.Errorf("depth 2 misses the connection: %v", nodeIDs(sg.Nodes))
	}
	// The time window keeps the observation of January out.
	sg, _ = g.Neighbourhood(community, botA, NeighbourhoodQuery{Depth: 1, Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	if ids := nodeIDs(sg.Nodes); slices.Contains(ids, seen) || !slices.Contains(ids, attack) {
		t.Errorf("window since February: %v", ids)
	}
	for _, e := range sg.Edges {
		if !slices.Contains(nodeIDs(sg.Nodes), e.From) || !slices.Contains(nodeIDs(sg.Nodes), e.To) {
			t.Errorf("edge %v leaves the subgraph", e)
		}
	}
	// The private actor is out of the community's sight, and so is every
	// edge to it.
	sg, _ = g.Neighbourhood(community, intrus, NeighbourhoodQuery{Depth: 3})
	if slices.Contains(nodeIDs(sg.Nodes), actor) || slices.Contains(nodeIDs(sg.Nodes), loc) {
		t.Errorf("community sees the private actor: %v", nodeIDs(sg.Nodes))
	}
	sg, _ = g.Neighbourhood(orgThree, intrus, NeighbourhoodQuery{Depth: 2})
	if !slices.Contains(nodeIDs(sg.Nodes), loc) {
		t.Errorf("org 3 does not see its own location: %v", nodeIDs(sg.Nodes))
	}
	for _, a := range []*dragnet.Access{community, nobody} {
		if _, err := g.Neighbourhood(a, actor, NeighbourhoodQuery{}); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
			t.Errorf("neighbourhood of an invisible node: %v, want ENOTFOUND", err)
		}
	}
	if _, err := g.Neighbourhood(community, "indicator--absent", NeighbourhoodQuery{}); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Errorf("neighbourhood of an absent node: %v", err)
	}
}

func nodeIDs(ns []Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func TestPath(t *testing.T) {
	g := smallWorld(t)
	p, err := g.Path(community, incident, intrus, 0)
	if err != nil {
		t.Fatal(err)
	}
	// incident -> attack -> botA -> (seen or conn) -> c2 -> infra -> intrus
	if len(p) != 6 || p[0].Via != uid("relationship", 20) || p[len(p)-1].Via != uid("relationship", 22) {
		t.Fatalf("path: %+v", p)
	}
	if _, err := g.Path(community, incident, actor, 0); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("path to an invisible actor: %v", err)
	}
	p, err = g.Path(orgThree, incident, loc, 0)
	if err != nil || len(p) != 8 {
		t.Fatalf("org 3's path to the location: %v %+v", err, p)
	}
	if _, err := g.Path(community, incident, intrus, 3); err == nil {
		t.Fatal("found a path longer than the hop limit")
	}
}

func TestTraceSmall(t *testing.T) {
	g := smallWorld(t)
	cs, err := g.Trace(community, []string{incident}, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != intrus || slices.Contains(cs[0].Objects, actor) || len(cs[0].Countries) != 0 {
		t.Fatalf("community trace: %+v", cs)
	}
	cs, err = g.Trace(orgThree, []string{incident}, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != actor || !slices.Equal(cs[0].Objects, []string{intrus, actor}) || !slices.Equal(cs[0].Countries, []string{"RU"}) {
		t.Fatalf("org 3 trace: %+v", cs)
	}
	if cs[0].Confidence != 1 || len(cs[0].Evidence) == 0 || cs[0].Evidence[0].From != incident {
		t.Fatalf("org 3 trace evidence: %+v", cs[0])
	}
	// From the attacking addresses alone, by value.
	cs, err = g.Trace(community, []string{"198.51.100.1", "ipv4:198.51.100.2"}, TraceOptions{})
	if err != nil || len(cs) != 1 || cs[0].ID != intrus {
		t.Fatalf("trace from addresses: %v %+v", err, cs)
	}
	for _, from := range [][]string{{actor}, {"192.0.2.200"}, nil} {
		if _, err := g.Trace(community, from, TraceOptions{}); err == nil {
			t.Errorf("trace from %v succeeded", from)
		}
	}
}

func TestClustersSmall(t *testing.T) {
	g := smallWorld(t)
	cs := g.Clusters(community, ClusterOptions{})
	if len(cs) != 1 {
		t.Fatalf("clusters: %+v", cs)
	}
	c := cs[0]
	// botA and the command server are linked by the connection, the
	// infrastructure by consists-of. The other bots only by the incident's
	// observation of four hosts, which is weak, and names only one
	// clustered host: not enough to place them.
	var ids []string
	for _, m := range c.Members {
		ids = append(ids, m.ID)
	}
	for _, want := range []string{botA, c2, infra, "ipv4:198.51.100.1", "ipv4:203.0.113.9"} {
		if !slices.Contains(ids, want) {
			t.Errorf("cluster lacks %s: %v", want, ids)
		}
	}
	if c.Size != 2 || !slices.Equal(c.Countries, []string{"DE", "FR", "US"}) {
		t.Errorf("size %d countries %v", c.Size, c.Countries)
	}
	if got := g.Clusters(nobody, ClusterOptions{}); len(got) != 0 {
		t.Errorf("a caller who sees nothing gets clusters: %+v", got)
	}
}

func TestAddRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		rec  Record
	}{
		{"not JSON", Record{ID: "indicator--x", Raw: []byte(`{`)}},
		{"not an object", Record{ID: "indicator--x", Raw: []byte(`[1]`)}},
		{"null", Record{ID: "indicator--x", Raw: []byte(`null`)}},
		{"id mismatch", Record{ID: "indicator--x", Raw: obj("indicator--y")}},
		{"type mismatch", Record{ID: "indicator--x", Raw: []byte(`{"id":"indicator--x","type":"malware"}`)}},
		{"no type", Record{ID: "indicator--x", Raw: []byte(`{"id":"indicator--x"}`)}},
	} {
		b := NewBuilder(Options{})
		err := b.Add(&c.rec)
		var de *dragnet.Error
		if !errors.As(err, &de) || de.Code != dragnet.EINVALID || !strings.Contains(de.Message, c.rec.ID) {
			t.Errorf("%s: %v, want EINVALID naming the object", c.name, err)
		}
		if g := b.Build(); g.Len() != 0 {
			t.Errorf("%s: a refused record left %d nodes", c.name, g.Len())
		}
	}
}

// FuzzAdd feeds arbitrary JSON to the builder and queries the result:
// nothing may panic, and a refused record leaves nothing behind.
func FuzzAdd(f *testing.F) {
	for _, seed := range [][]byte{
		obj(incident, "name", "x"), rel(uid("relationship", 1), botA, "uses", c2),
		obj(ind, "pattern", "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.example']", "valid_from", "2026-01-01T00:00:00Z"),
		obj(conn, "src_ref", botA, "dst_ref", c2, "extensions", map[string]any{"x": map[string]any{"a_refs": []any{botB, 3}}}),
		[]byte(`{"id":"x-crypto-wallet--1","type":"x-crypto-wallet","address":"bc1q"}`), []byte(`{`), []byte(`null`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var h struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(raw, &h)
		id, _ := h.ID.(string)
		b := NewBuilder(Options{})
		err := b.Add(&Record{ID: id, AudienceID: 1, OrgID: 1, Raw: raw})
		g := b.Build()
		if err != nil {
			if g.Len() != 0 {
				t.Fatalf("refused record left %d nodes", g.Len())
			}
			return
		}
		if g.Lookup(id) == None {
			t.Fatalf("added %q but cannot find it", id)
		}
		if _, err := g.Neighbourhood(community, id, NeighbourhoodQuery{Depth: 3}); err != nil {
			t.Fatal(err)
		}
		_, _ = g.Trace(community, []string{id}, TraceOptions{})
		_ = g.Clusters(community, ClusterOptions{})
	})
}

func TestCorrelate(t *testing.T) {
	g := smallWorld(t)
	c, err := g.Correlate(community, "198.51.100.2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Key != "ipv4:198.51.100.2" || c.Objects != 2 || len(c.Reports) != 2 || !slices.Equal(c.Countries, []string{"DE", "US"}) || !c.CrossBorder {
		t.Fatalf("correlation: %+v", c)
	}
	if c.Observed != 1 || c.Weight <= 0 || c.Weight > 1 {
		t.Fatalf("observations %d weight %v", c.Observed, c.Weight)
	}
	c, err = g.Correlate(community, botA)
	if err != nil || len(c.Values) != 1 || c.Values[0].Key != "ipv4:198.51.100.1" || c.CrossBorder {
		t.Fatalf("object correlation: %v %+v", err, c)
	}
	if _, err := g.Correlate(nobody, "198.51.100.2"); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("correlation for a caller who sees nothing: %v", err)
	}
	// A value only an invisible submission carries is absent to the caller.
	g = build(t, Options{}, []rec{{2, 1, obj(botA, "value", "198.51.100.1")}, {1, 2, obj(botB, "value", "198.51.100.2")}})
	if _, err := g.Correlate(community, "198.51.100.1"); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("correlation of a value seen only elsewhere: %v", err)
	}
}

func TestCrossBorder(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	b := NewBuilder(Options{})
	add := func(id string, aud, org int64, cc string, at time.Time, raw json.RawMessage) {
		if err := b.Add(&Record{ID: id, AudienceID: aud, OrgID: org, Country: cc, DateAdded: at, Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	add(botA, 1, 1, "DE", day(1), obj(botA, "value", "198.51.100.1"))
	add(ind, 1, 2, "FR", day(5), obj(ind, "pattern", "[ipv4-addr:value = '198.51.100.1']", "valid_from", "2026-01-01T00:00:00Z"))
	add(botB, 1, 1, "DE", day(2), obj(botB, "value", "198.51.100.2"))
	add(uid("indicator", 40), 2, 3, "BR", day(3), obj(uid("indicator", 40), "pattern", "[ipv4-addr:value = '198.51.100.2']", "valid_from", "2026-01-01T00:00:00Z"))
	g := b.Build()
	ev := g.CrossBorder(community, day(4))
	if len(ev) != 1 || ev[0].Key != "ipv4:198.51.100.1" || !ev[0].At.Equal(day(5)) || !slices.Equal(ev[0].Countries, []string{"DE", "FR"}) {
		t.Fatalf("events since day 4: %+v", ev)
	}
	if ev := g.CrossBorder(community, day(6)); len(ev) != 0 {
		t.Fatalf("events since day 6: %+v", ev)
	}
	// Only a caller who sees audience 2 learns that BR reported .2.
	both := &dragnet.Access{Audiences: []int64{1, 2}}
	if ev := g.CrossBorder(both, day(1)); len(ev) != 2 {
		t.Fatalf("events for audiences 1 and 2: %+v", ev)
	}
}

func TestLocate(t *testing.T) {
	locate := func(a netip.Addr) (Location, bool) {
		if a == netip.MustParseAddr("203.0.113.9") {
			return Location{Country: "RU", ASN: 64500}, true
		}
		return Location{}, false
	}
	b := NewBuilder(Options{Locate: locate})
	for _, r := range []rec{
		{1, 2, obj(conn, "src_ref", botA, "dst_ref", c2)},
		{1, 2, obj(botA, "value", "198.51.100.1")},
		{1, 2, obj(c2, "value", "203.0.113.9")},
	} {
		var h struct{ ID string }
		_ = json.Unmarshal(r.raw, &h)
		if err := b.Add(&Record{ID: h.ID, AudienceID: r.aud, OrgID: r.org, Country: "FR", Raw: r.raw}); err != nil {
			t.Fatal(err)
		}
	}
	g := b.Build()
	cs := g.Clusters(community, ClusterOptions{})
	if len(cs) != 1 || !slices.Equal(cs[0].Located, []string{"RU"}) || !slices.Equal(cs[0].Countries, []string{"FR"}) {
		t.Fatalf("clusters: %+v", cs)
	}
	c, err := g.Correlate(community, "203.0.113.9")
	if err != nil || c.Location == nil || c.Location.Country != "RU" || c.Location.ASN != 64500 {
		t.Fatalf("correlation: %v %+v", err, c)
	}
	if c, _ := g.Correlate(community, "198.51.100.1"); c.Location != nil {
		t.Fatalf("an unknown address has a location: %+v", c.Location)
	}
}
