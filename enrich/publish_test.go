package enrich

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

type enrichStore interface {
	dragnet.Store
	Store
}

func TestPublishSQLite(t *testing.T) {
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testPublish(t, db)
}

func TestPublishPostgres(t *testing.T) {
	testPublish(t, pgtest.Open(t, postgres.Options{}))
}

// testPublish: enrichment lands in the audience of the address it
// enriches, with its TLP, authored by the operator; an address the
// operator cannot publish beside is left alone; enriching is idempotent.
func testPublish(t *testing.T, st enrichStore) {
	ctx := context.Background()
	sys := dragnet.SystemContext(ctx)
	dir := t.TempDir()
	cdb := writeDB(t, dir, "country.mmdb", "GeoLite2-Country", map[string]mmdbtype.Map{"81.2.69.0/24": country("GB")})
	adb := writeDB(t, dir, "asn.mmdb", "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(20712), "autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd")}})
	e, err := Open(cdb, adb)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	op, _, _, err := st.EnsureOperator(sys, "operator", "ZZ")
	if err != nil {
		t.Fatal(err)
	}
	a, b := &dragnet.Org{Name: "A", Country: "DE"}, &dragnet.Org{Name: "B", Country: "FR"}
	for _, o := range []*dragnet.Org{a, b} {
		if err := st.CreateOrg(sys, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateGroup(sys, "G", []string{"A", "operator"}); err != nil {
		t.Fatal(err)
	}
	coll := func(o *dragnet.Org, title string) string {
		cs, err := st.Collections(dragnet.OrgContext(ctx, o, dragnet.RoleRead))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Title == title {
				return c.CollectionID
			}
		}
		t.Fatalf("%s has no collection %s", o.Name, title)
		return ""
	}
	addr := func(ip string, red bool) *dragnet.Submission {
		m := map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "value": ip}
		id, _ := stix.SCOID("ipv4-addr", m)
		m["id"] = id
		if red {
			m["object_marking_refs"] = []string{dragnet.TLP2Red}
		}
		raw, _ := json.Marshal(m)
		so, err := stix.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		return &dragnet.Submission{Object: so, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}}
	}
	publish := func(o *dragnet.Org, c string, s *dragnet.Submission) string {
		rs, err := st.AddObjects(dragnet.OrgContext(ctx, o, dragnet.RoleWrite), c, "", []*dragnet.Submission{s})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("publishing: %v %v", err, rs)
		}
		return s.Object.ID
	}
	objects := func(o *dragnet.Org, c string) []*dragnet.StoredObject {
		p, err := st.Objects(dragnet.OrgContext(ctx, o, dragnet.RoleRead), c, dragnet.Filter{Limit: 1000}, true)
		if err != nil {
			t.Fatal(err)
		}
		return p.Objects
	}
	enrichments := func(o *dragnet.Org, c, source string) (rels []*dragnet.StoredObject, types map[string]int) {
		types = map[string]int{}
		for _, so := range objects(o, c) {
			if so.Submitter != op.ID {
				continue
			}
			types[so.Type]++
			if so.Type == "relationship" && strings.Contains(string(so.Raw), source) {
				rels = append(rels, so)
			}
		}
		return rels, types
	}

	p := NewPublisher(st, e.Lookup, op, nil)
	if err := p.Start(sys); err != nil {
		t.Fatal(err)
	}
	green := publish(a, dragnet.CommunityCollectionID, addr("81.2.69.160", false))
	red := publish(a, coll(a, "G"), addr("81.2.69.161", true))
	private := publish(a, coll(a, "A"), addr("81.2.69.162", false))
	publish(a, dragnet.CommunityCollectionID, addr("192.0.2.1", false)) // unknown to the databases
	n, err := p.Poll(sys)
	if err != nil || n != 8 {
		t.Fatalf("Poll stored %d objects, %v; want 8 (location, AS, two relationships, twice)", n, err)
	}

	rels, types := enrichments(b, dragnet.CommunityCollectionID, green)
	if len(rels) != 2 || types["location"] != 1 || types["autonomous-system"] != 1 || types["relationship"] != 2 {
		t.Fatalf("community enrichment: %d relationships of the address, types %v", len(rels), types)
	}
	for _, r := range rels {
		var m map[string]any
		_ = json.Unmarshal(r.Raw, &m)
		if r.TLP != dragnet.TLPGreen || m["created_by_ref"] != op.Identity || (m["relationship_type"] != "located-at" && m["relationship_type"] != "belongs-to") {
			t.Errorf("relationship %s", r.Raw)
		}
	}
	if rels, _ := enrichments(b, dragnet.CommunityCollectionID, red); len(rels) != 0 {
		t.Fatalf("the TLP:RED address's enrichment is in the community: %d", len(rels))
	}
	rels, _ = enrichments(a, coll(a, "G"), red)
	if len(rels) != 2 {
		t.Fatalf("group enrichment: %d relationships", len(rels))
	}
	for _, r := range rels {
		if r.TLP != dragnet.TLPRed {
			t.Errorf("the TLP:RED address's enrichment is %s: %s", r.TLP.Label(), r.Raw)
		}
	}
	if rels, _ := enrichments(a, coll(a, "A"), private); len(rels) != 0 {
		t.Errorf("the operator wrote into A's own collection")
	}
	for _, c := range []string{dragnet.CommunityCollectionID, coll(a, "G")} {
		if rels, _ := enrichments(a, c, private); len(rels) != 0 {
			t.Errorf("A's private address enriched into %s", c)
		}
	}

	// Enriching the same address again stores nothing new.
	publish(b, dragnet.CommunityCollectionID, addr("81.2.69.160", false))
	if n, err := p.Poll(sys); err != nil || n != 0 {
		if _, types := enrichments(b, dragnet.CommunityCollectionID, green); types["relationship"] != 2 {
			t.Fatalf("enriching again: %d stored, %v; types now %v", n, err, types)
		}
	}
}

func TestObjectsTable(t *testing.T) {
	lookup := func(a netip.Addr) (Info, bool) {
		if a.Is4() && a.As4()[0] == 81 {
			return Info{Country: "GB", ASN: 20712, ASOrg: "A&A"}, true
		}
		if a.Is6() {
			return Info{ASN: 64500}, true
		}
		return Info{}, false
	}
	for _, c := range []struct {
		raw   string
		tlp   dragnet.TLP
		types string
		err   bool
	}{
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"81.2.69.160"}`, dragnet.TLPAmber, "location relationship autonomous-system relationship", false},
		{`{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8::1"}`, dragnet.TLPGreen, "autonomous-system relationship", false},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"81.2.69.0/24"}`, dragnet.TLPGreen, "", false},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"192.0.2.1"}`, dragnet.TLPGreen, "", false},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":7}`, dragnet.TLPGreen, "", true},
		{`not json`, dragnet.TLPGreen, "", true},
	} {
		subs, err := Objects(&dragnet.StoredObject{ID: "ipv4-addr--1", Raw: []byte(c.raw), TLP: c.tlp, AudienceID: 3}, lookup, "identity--00000000-0000-4000-8000-000000000001")
		if (err != nil) != c.err {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		var types []string
		for _, s := range subs {
			types = append(types, s.Object.Type)
			if s.Object.Type == "relationship" {
				if tl, _ := dragnet.TLPOfMarkings(s.Object.ObjectMarkingRefs); tl != c.tlp {
					t.Errorf("%s: relationship marked %s, want %s", c.raw, tl.Label(), c.tlp.Label())
				}
			}
		}
		if got := strings.Join(types, " "); got != c.types {
			t.Errorf("%s: %q, want %q", c.raw, got, c.types)
		}
	}
}

func FuzzObjects(f *testing.F) {
	f.Add([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"81.2.69.160"}`))
	f.Add([]byte(`{"value":"::1"}`))
	f.Add([]byte(`[]`))
	lookup := func(a netip.Addr) (Info, bool) { return Info{Country: "GB", ASN: 1}, true }
	f.Fuzz(func(t *testing.T, raw []byte) {
		subs, err := Objects(&dragnet.StoredObject{ID: "ipv4-addr--1", Raw: raw, TLP: dragnet.TLPRed}, lookup, "")
		if err == nil && len(subs) != 0 && len(subs) != 4 {
			t.Fatalf("%q: %d objects", raw, len(subs))
		}
	})
}
