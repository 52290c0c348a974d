package observable

import (
	"encoding/json"
	"testing"
)

var patternFieldsCases = []struct {
	name, raw   string
	ok          bool
	pattern     string // "-" for none
	patternType string
}{
	{"plain", `{"type":"indicator","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix"}`, true, "[ipv4-addr:value = '1.2.3.4']", "stix"},
	{"nested and spaced", " {\n\t\"external_references\" : [ {\"source_name\":\"x\",\"n\":[1,2.5e3,-0.1,true,false,null]} ],\r\n \"pattern\" : \"[a:b = 'c']\" } ", true, "[a:b = 'c']", ""},
	{"escaped value", `{"pattern":"[url:value = 'http://a/\u00e9\"']","pattern_type":"stix"}`, true, `[url:value = 'http://a/é"']`, "stix"},
	{"not ASCII", `{"pattern":"[domain-name:value = 'bücher.example']"}`, true, "[domain-name:value = 'bücher.example']", ""},
	{"no pattern", `{"type":"indicator","name":"x"}`, true, "-", ""},
	{"empty object", `{}`, true, "-", ""},
	{"last duplicate wins", `{"pattern":"[a:b = 'c']","pattern":"[d:e = 'f']"}`, true, "[d:e = 'f']", ""},
	{"nested pattern ignored", `{"x":{"pattern":"[a:b = 'c']"}}`, true, "-", ""},
	{"pattern not a string", `{"pattern":42}`, false, "", ""},
	{"pattern_type null", `{"pattern":"[a:b = 'c']","pattern_type":null}`, false, "", ""},
	{"escaped key", `{"patt\u0065rn":"[a:b = 'c']"}`, false, "", ""},
	{"bad escape", `{"a":"\q","pattern":"[a:b = 'c']"}`, false, "", ""},
	{"short unicode escape", `{"a":"\u12","pattern":"[a:b = 'c']"}`, false, "", ""},
	{"bad literal", `{"a":nul,"pattern":"[a:b = 'c']"}`, false, "", ""},
	{"bad number", `{"a":1.2.3,"pattern":"[a:b = 'c']"}`, false, "", ""},
	{"trailing data", `{"pattern":"[a:b = 'c']"} x`, false, "", ""},
	{"trailing comma", `{"pattern":"[a:b = 'c']",}`, false, "", ""},
	{"unterminated", `{"pattern":"[a:b = 'c']`, false, "", ""},
	{"control character", "{\"pattern\":\"a\x01\"}", false, "", ""},
	{"array", `["pattern"]`, false, "", ""},
	{"too deep", `{"a":` + deep(100) + `}`, false, "", ""},
}

func deep(n int) string {
	s := ""
	for range n {
		s = "[" + s + "]"
	}
	return s
}

func TestPatternFields(t *testing.T) {
	for _, c := range patternFieldsCases {
		t.Run(c.name, func(t *testing.T) {
			p, pt, ok := patternFields([]byte(c.raw))
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			got := "-"
			if p != nil {
				got = *p
			}
			if got != c.pattern || pt != c.patternType {
				t.Errorf("got %q, %q; want %q, %q", got, pt, c.pattern, c.patternType)
			}
			checkAgainstReference(t, []byte(c.raw), p, pt, ok)
		})
	}
}

// checkAgainstReference compares patternFields's answer with a decoding of
// the top-level members by encoding/json (exact names, the last duplicate
// winning): when the fast scan answers, encoding/json must accept the text
// and agree.
func checkAgainstReference(t *testing.T, raw []byte, p *string, pt string, ok bool) {
	t.Helper()
	var m map[string]json.RawMessage
	refErr := json.Unmarshal(raw, &m)
	if refErr == nil && m == nil {
		refErr = json.Unmarshal([]byte("x"), &m) // null is not an object
	}
	if !ok {
		return
	}
	if refErr != nil {
		t.Fatalf("patternFields answered for text encoding/json refuses (%v): %q", refErr, raw)
	}
	var want *string
	if v, has := m["pattern"]; has {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Fatalf("patternFields read a pattern encoding/json cannot: %q", raw)
		}
		want = &s
	}
	var wantType string
	if v, has := m["pattern_type"]; has {
		if err := json.Unmarshal(v, &wantType); err != nil {
			t.Fatalf("patternFields read a pattern_type encoding/json cannot: %q", raw)
		}
	}
	if (p == nil) != (want == nil) || p != nil && *p != *want || pt != wantType {
		t.Fatalf("patternFields and encoding/json differ on %q", raw)
	}
}

func FuzzPatternFields(f *testing.F) {
	for _, c := range patternFieldsCases {
		f.Add([]byte(c.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, pt, ok := patternFields(raw)
		checkAgainstReference(t, raw, p, pt, ok)
	})
}
