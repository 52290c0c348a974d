package stix

import (
	"encoding/json"
	"sort"
	"testing"
)

// hotSamples are valid objects of each hot type, the starting points of the
// differential test.
var hotSamples = map[string]string{
	"indicator":     baseObjects["indicator"],
	"relationship":  baseObjects["relationship"],
	"sighting":      baseObjects["sighting"],
	"observed-data": baseObjects["observed"],
	"ipv4-addr":     baseObjects["ipv4-addr"],
	"ipv6-addr":     `{"type":"ipv6-addr","spec_version":"2.1","id":"ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1","value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334","resolves_to_refs":["mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00"]}`,
	"domain-name":   `{"type":"domain-name","spec_version":"2.1","id":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","value":"example.com","resolves_to_refs":["ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"]}`,
	"url":           `{"type":"url","spec_version":"2.1","id":"url--c1477287-23ac-5971-a010-5c287877fa60","value":"https://example.com/research/index.html"}`,
	"email-addr":    `{"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"john@example.com","display_name":"John Doe"}`,
	"file":          `{"type":"file","spec_version":"2.1","id":"file--9a1f834d-2506-5367-baec-7aa63996ac43","name":"a.exe","size":25536,"hashes":{"SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"},"mime_type":"application/x-dosexec","ctime":"2016-01-01T00:00:00Z","parent_directory_ref":"directory--93c0a9b0-520d-545d-9094-1a08ddf46b05"}`,
}

// mutations returns variants of obj: every property of its type (and the
// existing ones) set to values of every JSON type and some edge values,
// and every existing property removed.
func mutations(obj map[string]any, typ string) []map[string]any {
	values := []any{"x", "", json.Number("1"), json.Number("-1"), json.Number("1.5"), json.Number("1000000000000"), true, nil,
		[]any{}, []any{"x"}, []any{json.Number("1")}, map[string]any{}, map[string]any{"a": "b"},
		"2016-01-01T00:00:00Z", "2016-13-01T00:00:00Z", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		[]any{"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"}, "x-Y", []any{map[string]any{"source_name": "x"}},
		map[string]any{"MD5": "x"}, map[string]any{"x-ext": map[string]any{"a": "b"}}}
	names := map[string]bool{}
	for k := range obj {
		names[k] = true
	}
	for k := range model.types[typ].props {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []map[string]any
	clone := func() map[string]any {
		m := make(map[string]any, len(obj)+1)
		for k, v := range obj {
			m[k] = v
		}
		return m
	}
	for _, k := range keys {
		if _, ok := obj[k]; ok {
			m := clone()
			delete(m, k)
			out = append(out, m)
		}
		for _, v := range values {
			m := clone()
			m[k] = v
			out = append(out, m)
		}
	}
	return out
}

// TestHotTypesRulesCoverSchema: for the hot types, whose hand-written rules
// are authoritative by default, whatever the official schema rejects the
// rules reject too.
func TestHotTypesRulesCoverSchema(t *testing.T) {
	all, err := NewValidator(SchemaAll)
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := NewValidator(SchemaOff)
	checked := 0
	for _, typ := range HotTypes {
		src, ok := hotSamples[typ]
		if !ok {
			t.Errorf("no sample of hot type %s", typ)
			continue
		}
		doc, err := parseJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := all.validateMap(doc.(map[string]any)); err != nil {
			t.Fatalf("%s sample invalid: %v", typ, err)
		}
		for _, m := range mutations(doc.(map[string]any), typ) {
			schemaErr := all.validateMap(m)
			ruleErr := rules.validateMap(m)
			checked++
			if schemaErr != nil && ruleErr == nil {
				b, _ := json.Marshal(m)
				t.Errorf("schema rejects what the rules accept: %v\n%s", schemaErr, b)
			}
		}
	}
	t.Logf("%d variants compared", checked)
}

// FuzzHotRulesCoverSchema: for any object of a hot type, what the official
// schema rejects the hand-written rules reject.
func FuzzHotRulesCoverSchema(f *testing.F) {
	for _, s := range hotSamples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,"objects":{"0":{"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"},"1":{"type":"network-traffic","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","src_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","protocols":["tcp"]}}}`))
	all, err := NewValidator(SchemaAll)
	if err != nil {
		f.Fatal(err)
	}
	rules, _ := NewValidator(SchemaOff)
	hot := map[string]bool{}
	for _, h := range HotTypes {
		hot[h] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := parseJSON(raw)
		if err != nil {
			return
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return
		}
		if typ, _ := m["type"].(string); !hot[typ] {
			return
		}
		if se := all.validateMap(m); se != nil && rules.validateMap(m) == nil {
			t.Fatalf("schema rejects what the rules accept: %v\n%s", se, raw)
		}
	})
}
