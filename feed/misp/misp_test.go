package misp

import (
	"context"
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/stix"
)

var testdata = sharedtestdata.Join("misp-events")

type result struct {
	entries, rejects []*feed.Item
	objects          []map[string]any
	byType           map[string][]map[string]any
}

func decodeString(t testing.TB, in string) *result {
	t.Helper()
	r := &result{byType: map[string][]map[string]any{}}
	b := &feed.Builder{Scope: "identity--00000000-0000-4000-8000-000000000001", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	err := (&Decoder{}).Decode(context.Background(), strings.NewReader(in), b, func(it *feed.Item) error {
		if it.Err != nil {
			r.rejects = append(r.rejects, it)
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(it.Object.Raw, &m); err != nil {
			t.Fatalf("%s: bad JSON: %v", it.Where, err)
		}
		if m["id"] != it.Object.ID || m["type"] != it.Object.Type {
			t.Fatalf("%s: Object header %s/%s differs from JSON %v/%v", it.Where, it.Object.Type, it.Object.ID, m["type"], m["id"])
		}
		if err := stix.Validate(it.Object); err != nil {
			t.Errorf("%s: %s does not validate: %v", it.Where, it.Object.ID, err)
		}
		if it.Entry {
			r.entries = append(r.entries, it)
		}
		r.objects = append(r.objects, m)
		r.byType[it.Object.Type] = append(r.byType[it.Object.Type], m)
		return nil
	})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return r
}

func decodeFile(t testing.TB, name string) *result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return decodeString(t, string(data))
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestMinimalFeedEvent: MISP's own test feed event, one link attribute,
// tags type:OSINT and tlp:white.
func TestMinimalFeedEvent(t *testing.T) {
	r := decodeFile(t, "misp-feed-minimal/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json")
	if len(r.entries) != 1 || len(r.rejects) != 0 {
		t.Fatalf("%d entries, %d rejects", len(r.entries), len(r.rejects))
	}
	note := r.byType["note"][0]
	if note["content"] != "http://blog.cylance.com/hunting-for-malware-with-machine-learning" || note["abstract"] != "External analysis / link" {
		t.Errorf("note = %v", note)
	}
	rep := r.byType["report"][0]
	want := map[string]any{
		"name": "OSINT - Hunting for Malware with Machine Learning", "published": "2016-02-13T14:21:54.000Z",
		"created": "2015-12-18T00:00:00.000Z", "modified": "2016-02-13T14:20:40.000Z",
	}
	for k, v := range want {
		if rep[k] != v {
			t.Errorf("report %s = %v, want %v", k, rep[k], v)
		}
	}
	if got := strs(rep["object_marking_refs"]); len(got) != 1 || got[0] != dragnet.TLP2Clear {
		t.Errorf("report markings %v, want TLP:CLEAR (from tlp:white)", got)
	}
	if got := strs(rep["labels"]); len(got) != 1 || got[0] != "type:OSINT" {
		t.Errorf("report labels %v", got)
	}
	ext, _ := json.Marshal(rep["external_references"])
	if string(ext) != `[{"external_id":"56bf399d-c46c-4fdb-a9cf-d9bb02de0b81","source_name":"misp"},{"source_name":"link","url":"http://blog.cylance.com/hunting-for-malware-with-machine-learning"}]` {
		t.Errorf("external_references %s", ext)
	}
	id := r.byType["identity"][0]
	if id["name"] != "CIRCL" || rep["created_by_ref"] != id["id"] || note["created_by_ref"] != id["id"] {
		t.Errorf("identity %v; report by %v", id, rep["created_by_ref"])
	}
	refs := strs(rep["object_refs"])
	if len(refs) != 2 || refs[1] != note["id"] {
		t.Errorf("object_refs %v", refs)
	}
}

// TestInfobloxEvent: six to_ids domain attributes with first_seen.
func TestInfobloxEvent(t *testing.T) {
	r := decodeFile(t, "infoblox-feed/dad88707-beb8-4a14-94e2-5ffecf5a5f85.json")
	inds := r.byType["indicator"]
	if len(inds) != 6 || len(r.entries) != 6 || len(r.rejects) != 0 {
		t.Fatalf("%d indicators, %d entries, %d rejects", len(inds), len(r.entries), len(r.rejects))
	}
	first := inds[0]
	want := map[string]any{
		"pattern": "[domain-name:value = 'claudfront.net']", "valid_from": "2023-02-08T00:00:00.000Z",
		"created": "2023-02-07T22:00:00.000Z", "x_misp_type": "domain", "x_misp_category": "Network activity",
		"x_misp_value": "claudfront.net", "pattern_type": "stix",
	}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("indicator %s = %v, want %v", k, first[k], v)
		}
	}
	if got := strs(first["object_marking_refs"]); got[0] != dragnet.TLP2Clear {
		t.Errorf("indicator markings %v", got)
	}
	if v := r.entries[0].Values; len(v) != 1 || v[0] != (dragnet.Value{Kind: dragnet.ValueDomain, Value: "claudfront.net"}) {
		t.Errorf("values %v", v)
	}
	rep := r.byType["report"][0]
	if got := strs(rep["labels"]); len(got) != 1 || got[0] != "infoblox" {
		t.Errorf("labels %v", got)
	}
	if len(strs(rep["object_refs"])) != 7 {
		t.Errorf("object_refs %v", rep["object_refs"])
	}
}

// TestSightingEvent: sightings of type 0 (seen), 1 (false positive), 2
// (expiration) by another organisation.
func TestSightingEvent(t *testing.T) {
	r := decodeFile(t, "pymisp/sighting_1.json")
	if len(r.byType["indicator"]) != 5 || len(r.byType["sighting"]) != 6 {
		t.Fatalf("%d indicators, %d sightings", len(r.byType["indicator"]), len(r.byType["sighting"]))
	}
	var labels []string
	for _, s := range r.byType["sighting"] {
		l := "seen"
		if s["labels"] != nil {
			l = strs(s["labels"])[0]
		}
		labels = append(labels, l)
		if !strings.HasPrefix(s["sighting_of_ref"].(string), "indicator--") {
			t.Errorf("sighting_of_ref %v", s["sighting_of_ref"])
		}
	}
	if got := strings.Join(labels, ","); got != "seen,false-positive,false-positive,expiration,false-positive,seen" {
		t.Errorf("sighting kinds %s", got)
	}
	s := r.byType["sighting"][0]
	if s["first_seen"] != "2019-02-27T07:52:30.000Z" {
		t.Errorf("first_seen %v", s["first_seen"])
	}
	var orgname string
	for _, id := range r.byType["identity"] {
		if id["id"] == strs(s["where_sighted_refs"])[0] {
			orgname = id["name"].(string)
		}
	}
	if orgname != "ORGNAME" {
		t.Errorf("where_sighted_refs names %q", orgname)
	}
	mal := r.byType["malware"]
	if len(mal) != 1 || mal[0]["name"] != "Gozi" || mal[0]["is_family"] != true {
		t.Errorf("malware %v", mal)
	}
}

// TestGalaxyEvent: event galaxies (intrusion sets use malware), attribute
// galaxies (indicator indicates attack pattern), an object with a
// reference, attachments and comments as notes.
func TestGalaxyEvent(t *testing.T) {
	r := decodeFile(t, "pymisp/galaxy_1.json")
	names := func(typ string) string {
		var n []string
		for _, o := range r.byType[typ] {
			n = append(n, o["name"].(string))
		}
		sort.Strings(n)
		return strings.Join(n, "; ")
	}
	if got := names("intrusion-set"); got != "APT1 - G0006; APT12 - G0005" {
		t.Errorf("intrusion sets %s", got)
	}
	if got := names("attack-pattern"); !strings.Contains(got, "Account Manipulation - T1098") {
		t.Errorf("attack patterns %s", got)
	}
	for _, ap := range r.byType["attack-pattern"] {
		if ap["name"] == "Account Manipulation - T1098" {
			ext, _ := json.Marshal(ap["external_references"])
			if !strings.Contains(string(ext), `"external_id":"T1098","source_name":"mitre-attack"`) {
				t.Errorf("attack pattern refs %s", ext)
			}
		}
	}
	rels := map[string]int{}
	byID := map[string]map[string]any{}
	for _, o := range r.objects {
		byID[o["id"].(string)] = o
	}
	for _, rel := range r.byType["relationship"] {
		src, dst := byID[rel["source_ref"].(string)], byID[rel["target_ref"].(string)]
		if src == nil || dst == nil {
			t.Errorf("relationship %v refers to an object not in the output", rel["id"])
			continue
		}
		rels[src["type"].(string)+" "+rel["relationship_type"].(string)+" "+dst["type"].(string)]++
	}
	for k, n := range map[string]int{"intrusion-set uses malware": 4, "indicator indicates attack-pattern": 1, "indicator analysed-with note": 1} {
		if rels[k] != n {
			t.Errorf("%d × %q, want %d (all: %v)", rels[k], k, n, rels)
		}
	}
	// The file object: one indicator over its three hashes.
	for _, ind := range r.byType["indicator"] {
		if ind["x_misp_object_name"] == "file" {
			want := "[file:hashes.'SHA-1' = 'd63ff86f05b6f2fb86abf0dcd16cd2008fa3c158' AND file:hashes.'SHA-256' = '3208efe96d14f5a6a2840daecbead6b0f4d73c5a05192a1a8eef8b50bbfb4bc1' AND file:hashes.MD5 = '0997ba7292ddbac1c7e7ade6766ed53c']"
			if ind["pattern"] != want {
				t.Errorf("file object pattern %v", ind["pattern"])
			}
		}
	}
	rep := r.byType["report"][0]
	labels := strings.Join(strs(rep["labels"]), "|")
	if strings.Contains(labels, "tlp:") || !strings.Contains(labels, `circl:incident-classification="malware"`) {
		t.Errorf("report labels %s", labels)
	}
}

// TestAllEvents loads every event file and checks that every attribute and
// object is accounted for: an entry or a rejection.
func TestAllEvents(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*", "*.json"))
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "manifest.json" || filepath.Base(filepath.Dir(f)) == "schema" {
			continue
		}
		n++
		rel, _ := filepath.Rel(testdata, f)
		t.Run(rel, func(t *testing.T) {
			r := decodeFile(t, rel)
			want := countEntries(t, f)
			got := len(r.entries)
			for _, it := range r.rejects {
				if it.Entry {
					got++
				}
				t.Logf("rejected %s: %v", it.Where, it.Err)
			}
			if got != want {
				t.Errorf("%d entries + rejects, want %d attributes and objects", got, want)
			}
			if len(r.byType["report"]) == 0 {
				t.Error("no report")
			}
		})
	}
	if n != 40 {
		t.Errorf("%d event files, want 40", n)
	}
}

func countEntries(t *testing.T, f string) int {
	data, _ := os.ReadFile(f)
	var top map[string]json.RawMessage
	json.Unmarshal(data, &top)
	var events []json.RawMessage
	switch {
	case top["response"] != nil:
		var l []map[string]json.RawMessage
		json.Unmarshal(top["response"], &l)
		for _, e := range l {
			events = append(events, e["Event"])
		}
	case top["Event"] != nil:
		events = append(events, top["Event"])
	default:
		events = append(events, data)
	}
	n := 0
	for _, e := range events {
		var ev struct {
			Attribute []json.RawMessage
			Object    []json.RawMessage
		}
		json.Unmarshal(e, &ev)
		n += len(ev.Attribute) + len(ev.Object)
	}
	return n
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, in string
		err      string   // Decode error, if any
		rejects  []string // "where: reason" prefixes
	}{
		{"not json", `{"Event": `, "MISP event: line 1, column 11", nil},
		{"not an event", `{"foo": 1}`, "not a MISP event", nil},
		{"no uuid", `{"Event": {"info": "x"}}`, "", []string{"Event.uuid: event uuid is missing"}},
		{"bad attribute", `{"Event": {"uuid": "u", "info": "x", "Attribute": [{"type": "ip-dst", "value": "1.2.3.400", "to_ids": true}, {"type": "domain", "value": "ok.example", "to_ids": true}, 7]}}`,
			"", []string{`Event.Attribute[0].value: ip-dst attribute: "1.2.3.400" is not an IP address`, "Event.Attribute[2]: malformed attribute"}},
		{"bad to_ids", `{"Event": {"uuid": "u", "Attribute": [{"type": "domain", "value": "a.example", "to_ids": "maybe"}]}}`, "",
			[]string{`Event.Attribute[0]: malformed attribute: "maybe" is not a boolean`, "Event: event has nothing to report"}},
		{"response list", `{"response": [{"Event": {"uuid": "a", "Attribute": [{"type":"md5","value":"x","to_ids":true}]}}, {"nope": 1}]}`, "",
			[]string{`response[0].Event.Attribute[0].value: md5 attribute: md5 hash "x" has 1 hex digits, want 32`, "response[0].Event: event has nothing to report", "response[1]: no Event key"}},
		{"attributes not a list", `{"Event": {"uuid": "u", "Orgc": {"uuid": "o", "name": "X"}, "Attribute": {"type": "domain"}}}`, "",
			[]string{`Event.Attribute: want a list of attributes`}},
		{"bad reference", `{"Event": {"uuid": "u", "Object": [{"name": "file", "uuid": "o1", "Attribute": [{"type": "md5", "value": "0997ba7292ddbac1c7e7ade6766ed53c", "to_ids": true}], "ObjectReference": [{"referenced_uuid": "nowhere", "relationship_type": "x"}]}]}}`, "",
			[]string{`Event.Object[0].ObjectReference[0]: referenced uuid "nowhere" is not in the event`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &feed.Builder{Scope: "s"}
			var rejects []string
			err := (&Decoder{}).Decode(context.Background(), strings.NewReader(tt.in), b, func(it *feed.Item) error {
				if it.Err != nil {
					rejects = append(rejects, it.Where+": "+it.Err.Error())
				}
				return nil
			})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rejects) != len(tt.rejects) {
				t.Fatalf("rejects %q, want %q", rejects, tt.rejects)
			}
			for i := range rejects {
				if !strings.HasPrefix(rejects[i], tt.rejects[i]) {
					t.Errorf("reject %q, want prefix %q", rejects[i], tt.rejects[i])
				}
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"misp-feed-minimal/56bf399d-c46c-4fdb-a9cf-d9bb02de0b81.json", "pymisp/sighting_1.json"} {
		data, err := os.ReadFile(filepath.Join(testdata, name))
		if err == nil {
			f.Add(string(data))
		}
	}
	f.Add(`{"Event": {"uuid": "u", "Attribute": [{"type": "domain|ip", "value": "a.example|1.2.3.4", "to_ids": true}, {"type": "filename|md5", "value": "a|b"}]}}`)
	f.Add(`{"response": [{"Event": {"uuid": "a", "Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:threat-actor=\"X\""}]}}]}`)
	f.Add(`{"Attribute": [{"type": "AS", "value": "AS1", "to_ids": 1}], "Object": [{"name": "x"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		b := &feed.Builder{Scope: "s", Now: time.Unix(0, 0)}
		_ = (&Decoder{}).Decode(context.Background(), strings.NewReader(in), b, func(it *feed.Item) error {
			if (it.Err == nil) == (it.Object == nil) {
				t.Fatalf("item %s has both or neither of object and error", it.Where)
			}
			if it.Object != nil && !json.Valid(it.Object.Raw) {
				t.Fatalf("invalid JSON %s", it.Object.Raw)
			}
			return nil
		})
	})
}
