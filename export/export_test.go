package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/export"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/csv"
	"github.com/dragnet-intel/dragnet/feed/misp"
	"github.com/dragnet-intel/dragnet/sqlite"
)

var testdata = sharedtestdata.Join()

type member struct {
	org  *dragnet.Org
	ctx  context.Context
	coll string
}

func newStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newMember(t testing.TB, db *sqlite.DB, name string) *member {
	t.Helper()
	ctx := context.Background()
	org := &dragnet.Org{Name: name, Country: "FR", Kind: dragnet.KindCERT}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), org); err != nil {
		t.Fatal(err)
	}
	m := &member{org: org, ctx: dragnet.OrgContext(ctx, org, dragnet.RoleWrite)}
	cols, err := db.Collections(m.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if c.Kind == dragnet.AudienceOrg && c.RefID == org.ID {
			m.coll = c.CollectionID
		}
	}
	return m
}

func (m *member) load(t testing.TB, db *sqlite.DB, dec feed.Decoder, in []byte, tlp dragnet.TLP) {
	t.Helper()
	b := &feed.Builder{Scope: m.org.Identity, Source: "test"}
	if tlp != dragnet.TLPNone {
		b.Markings = []string{dragnet.MarkingOfTLP(tlp)}
	}
	p := &feed.Pipeline{Store: db, Collection: m.coll}
	sum, err := p.Run(m.ctx, dec, bytes.NewReader(in), b, "test")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects.Rejected > 0 && sum.Outcomes[feed.Rejected] != sum.Objects.Rejected {
		t.Logf("load: %s", sum)
	}
}

func exportString(t testing.TB, db *sqlite.DB, ctx context.Context, o export.Options) (string, *export.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := export.Export(ctx, db, &buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), st
}

// attrKey is what the round trip must keep of a to_ids attribute.
type attrKey struct{ typ, value, tags string }

// toIDs lists the to_ids attributes of MISP JSON (any shape), with their
// tags (TLP tags in TLP 2.0 form).
func toIDs(t *testing.T, data []byte) map[attrKey]bool {
	t.Helper()
	out := map[attrKey]bool{}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	var events []json.RawMessage
	if top["response"] != nil {
		var l []map[string]json.RawMessage
		json.Unmarshal(top["response"], &l)
		for _, e := range l {
			events = append(events, e["Event"])
		}
	} else if top["Event"] != nil {
		events = append(events, top["Event"])
	} else {
		events = append(events, data)
	}
	type attr struct {
		Type, Value string
		ToIDs       any `json:"to_ids"`
		Tag         []struct{ Name string }
		Deleted     any
	}
	add := func(a attr) {
		if a.ToIDs != true && a.ToIDs != "1" && a.ToIDs != 1.0 {
			return
		}
		if a.Deleted == true {
			return
		}
		var tags []string
		for _, tg := range a.Tag {
			n := tg.Name
			if l, err := dragnet.ParseTLP(n); err == nil && strings.HasPrefix(strings.ToLower(n), "tlp:") {
				n = "tlp:" + l.String()
			}
			tags = append(tags, n)
		}
		sort.Strings(tags)
		out[attrKey{a.Type, a.Value, strings.Join(tags, "|")}] = true
	}
	for _, e := range events {
		var ev struct {
			Attribute []attr
			Object    []struct{ Attribute []attr }
		}
		json.Unmarshal(e, &ev)
		for _, a := range ev.Attribute {
			add(a)
		}
		for _, o := range ev.Object {
			for _, a := range o.Attribute {
				add(a)
			}
		}
	}
	return out
}

// TestMISPRoundTrip: a MISP event loaded into Dragnet and exported as MISP
// keeps every to_ids attribute (type and value) and its tags. The export
// adds the attribute's TLP as a tag where the attribute had none of its
// own (it had the event's), so the comparison allows that one extra tag.
func TestMISPRoundTrip(t *testing.T) {
	files := []string{
		"misp-events/pymisp/sighting_1.json", "misp-events/pymisp/galaxy_1.json", "misp-events/pymisp/mainly_objects_1.json",
		"misp-events/pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json", "misp-events/eset/cloudmensis.misp.json",
		"misp-events/infoblox-feed/0472809b-1582-4dde-88a9-d82848e9e660.json",
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdata, name))
			if err != nil {
				t.Fatal(err)
			}
			db := newStore(t)
			m := newMember(t, db, "CERT-FR")
			m.load(t, db, &misp.Decoder{}, data, dragnet.TLPNone)
			out, _ := exportString(t, db, m.ctx, export.Options{Format: export.FormatMISP})
			want, got := toIDs(t, data), toIDs(t, []byte(out))
			if len(want) == 0 {
				t.Fatal("no to_ids attributes in the input")
			}
			for k := range want {
				if got[k] {
					continue
				}
				// The attribute had no TLP tag: the export names the TLP it
				// carried (the event's, or the collection's).
				found := false
				for g := range got {
					if g.typ == k.typ && g.value == k.value && stripTLP(g.tags) == stripTLP(k.tags) {
						found = true
					}
				}
				if !found {
					t.Errorf("to_ids attribute lost: %+v", k)
				}
			}
			// Nothing exported as to_ids that was not to_ids.
			for g := range got {
				ok := false
				for k := range want {
					if g.typ == k.typ && g.value == k.value {
						ok = true
					}
				}
				if !ok {
					t.Errorf("exported to_ids attribute not in the input: %+v", g)
				}
			}
			// And the export reads back in.
			again := newMember(t, db, "CERT-BE")
			again.load(t, db, &misp.Decoder{}, []byte(out), dragnet.TLPNone)
		})
	}
}

func stripTLP(tags string) string {
	var out []string
	for _, t := range strings.Split(tags, "|") {
		if t != "" && !strings.HasPrefix(t, "tlp:") {
			out = append(out, t)
		}
	}
	return strings.Join(out, "|")
}

func TestTLPCeiling(t *testing.T) {
	db := newStore(t)
	m := newMember(t, db, "CERT-FR")
	for tlp, ip := range map[dragnet.TLP]string{dragnet.TLPClear: "192.0.2.1", dragnet.TLPGreen: "192.0.2.2", dragnet.TLPAmber: "192.0.2.3",
		dragnet.TLPAmberStrict: "192.0.2.4", dragnet.TLPRed: "192.0.2.5"} {
		m.load(t, db, &csv.Decoder{}, []byte(ip+"\n"), tlp)
	}
	tests := []struct {
		o    export.Options
		want string
	}{
		{export.Options{Format: "plain"}, "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4"},
		{export.Options{Format: "plain", TLPMax: dragnet.TLPRed}, "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5"},
		{export.Options{Format: "plain", TLPMax: dragnet.TLPGreen}, "192.0.2.1 192.0.2.2"},
		{export.Options{Format: "plain", Share: true}, "192.0.2.1 192.0.2.2"},
		{export.Options{Format: "plain", Share: true, TLPMax: dragnet.TLPClear}, "192.0.2.1"},
	}
	for _, tt := range tests {
		out, _ := exportString(t, db, m.ctx, tt.o)
		if got := strings.Join(strings.Fields(out), " "); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.o, got, tt.want)
		}
	}
	for _, l := range []dragnet.TLP{dragnet.TLPAmber, dragnet.TLPAmberStrict, dragnet.TLPRed} {
		if _, err := export.Export(m.ctx, db, &bytes.Buffer{}, export.Options{Format: "plain", Share: true, TLPMax: l}); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("share with %s: %v", l.Label(), err)
		}
	}
	// STIX bundles obey the same ceiling.
	out, _ := exportString(t, db, m.ctx, export.Options{Format: "stix", Share: true})
	if strings.Contains(out, dragnet.TLP2Amber) || strings.Contains(out, dragnet.TLP2Red) || strings.Contains(out, dragnet.TLP2AmberStrict) {
		t.Error("shared STIX export holds AMBER or RED objects")
	}
	// Another member sees none of it (the collection is CERT-FR's own).
	other := newMember(t, db, "CERT-BE")
	if out, st := exportString(t, db, other.ctx, export.Options{Format: "plain", TLPMax: dragnet.TLPRed}); out != "" || st.Objects != 0 {
		t.Errorf("another organisation exported %q", out)
	}
}

func TestDetectionFormats(t *testing.T) {
	db := newStore(t)
	m := newMember(t, db, "CERT-FR")
	in := "198.51.100.7\n2001:db8::7\n203.0.113.0/24\nevil.example\nhttps://phish.example/login\n" +
		"bad@evil.example\nd41d8cd98f00b204e9800998ecf8427e\n"
	m.load(t, db, &csv.Decoder{Config: csv.Config{Text: true}}, []byte(in), dragnet.TLPGreen)
	m.load(t, db, &csv.Decoder{}, []byte("url,comment\n\"http://bad.example:8080/a;b?x=1\",x\n"), dragnet.TLPGreen)
	old := "old.example\n"
	m.load(t, db, &csv.Decoder{Config: csv.Config{Text: true}}, []byte(old), dragnet.TLPGreen)

	sur, st := exportString(t, db, m.ctx, export.Options{Format: "suricata"})
	rule := regexp.MustCompile(`^alert (ip|dns|tls|http) \$HOME_NET any (->|<>) \S+ any \(msg:"[^";\\]*"; (.*; )?classtype:trojan-activity; sid:(\d+); rev:1; metadata:dragnet_indicator indicator--[0-9a-f-]{36}, tlp green;\)$`)
	sids := map[string]bool{}
	rules := 0
	for _, line := range strings.Split(strings.TrimSpace(sur), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		rules++
		m := rule.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a rule of the expected form: %s", line)
			continue
		}
		if sids[m[4]] {
			t.Errorf("sid %s used twice", m[4])
		}
		sids[m[4]] = true
	}
	for _, want := range []string{
		`alert ip $HOME_NET any <> 203.0.113.0/24 any`,
		`alert ip $HOME_NET any <> 2001:db8::7 any`,
		`dns.query; dotprefix; content:".evil.example"; nocase; endswith;`,
		`http.host; content:"bad.example"; bsize:11; http.uri; content:"/a|3B|b?x=1"; bsize:8;`,
		`tls.sni; content:"phish.example"; nocase; bsize:13;`,
	} {
		if !strings.Contains(sur, want) {
			t.Errorf("suricata output lacks %s\n%s", want, sur)
		}
	}
	if rules != 3+2*3+2 || st.Objects != 7 || st.Skipped != 2 {
		t.Errorf("%d rules, %d values written, %d skipped:\n%s", rules, st.Objects, st.Skipped, sur)
	}

	zeek, _ := exportString(t, db, m.ctx, export.Options{Format: "zeek"})
	lines := strings.Split(strings.TrimSuffix(zeek, "\n"), "\n")
	if lines[0] != "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url" {
		t.Errorf("zeek header %q", lines[0])
	}
	types := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 5 || f[2] != "dragnet" || f[4] != "-" {
			t.Errorf("zeek line %q", l)
			continue
		}
		types[f[0]] = f[1]
	}
	for ind, typ := range map[string]string{"198.51.100.7": "Intel::ADDR", "203.0.113.0/24": "Intel::SUBNET", "evil.example": "Intel::DOMAIN",
		`bad.example:8080/a;b?x=1`: "Intel::URL", "phish.example/login": "Intel::URL", "bad@evil.example": "Intel::EMAIL",
		"d41d8cd98f00b204e9800998ecf8427e": "Intel::FILE_HASH"} {
		if types[ind] != typ {
			t.Errorf("zeek %s = %q, want %s (all: %v)", ind, types[ind], typ, types)
		}
	}

	c, _ := exportString(t, db, m.ctx, export.Options{Format: "csv", Types: []string{"domain"}})
	if c != "value,type,tlp,first_seen,name,labels,indicator_id\n" && !strings.HasPrefix(strings.Split(c, "\n")[1], "evil.example,domain,TLP:GREEN,") {
		t.Errorf("csv:\n%s", c)
	}
	if n := strings.Count(c, "\n"); n != 3 {
		t.Errorf("csv of domains has %d lines:\n%s", n, c)
	}

	// --since keeps what was added after the time.
	later := time.Now().Add(time.Hour)
	if out, _ := exportString(t, db, m.ctx, export.Options{Format: "plain", Since: later}); out != "" {
		t.Errorf("since the future: %q", out)
	}
}

func TestOptions(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	o, err := export.ParseOptions("zeek", "ip, domain", "24h", "green", false, now)
	if err != nil || !o.Since.Equal(now.Add(-24*time.Hour)) || len(o.Types) != 2 || o.TLPMax != dragnet.TLPGreen {
		t.Errorf("%+v %v", o, err)
	}
	for _, bad := range [][]string{{"", "", "", ""}, {"zeek", "", "yesterday", ""}, {"zeek", "", "", "purple"}} {
		if _, err := export.ParseOptions(bad[0], bad[1], bad[2], bad[3], false, now); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := export.ParseOptions("plain", "", "", "amber", true, now); err == nil {
		t.Error("share with amber accepted")
	}
	db := newStore(t)
	m := newMember(t, db, "X")
	for _, o := range []export.Options{{Format: "xml"}, {Format: "plain", Types: []string{"bogus"}}} {
		if _, err := export.Export(m.ctx, db, &bytes.Buffer{}, o); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
