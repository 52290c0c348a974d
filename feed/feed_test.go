package feed

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

func TestUUID5(t *testing.T) {
	// RFC 9562 appendix A.4 (DNS namespace, "www.example.com").
	if got := UUID5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("UUID5 = %s", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for not a value
	}{
		{"1.2.3.4", "ipv4:1.2.3.4"},
		{"1[.]2[.]3[.]4", "ipv4:1.2.3.4"},
		{"10.0.0.0/8", "cidr:10.0.0.0/8"},
		{"10.1.2.3/32", "ipv4:10.1.2.3"},
		{"2001:DB8::1", "ipv6:2001:db8::1"},
		{"1.2.3.4:80", "ipv4:1.2.3.4"},
		{"hxxp://Evil[.]Example/Path", "url:http://evil.example/Path"},
		{"hXXps[:]//x[.]y/", "url:https://x.y/"},
		{"evil(.)example", "domain:evil.example"},
		{"Evil.Example.", "domain:evil.example"},
		{"a@b[.]example", "email:a@b.example"},
		{"d41d8cd98f00b204e9800998ecf8427e", "md5:d41d8cd98f00b204e9800998ecf8427e"},
		{"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"1.5", ""},
		{"file.1", ""},
		{"abc", ""},
		{"deadbeef", ""},
		{"", ""},
		{"1.2.3.999", ""},
		{"a@b", ""},
	}
	for _, tt := range tests {
		v, ok := Classify(tt.in)
		got := ""
		if ok {
			got = v.String()
		}
		if got != tt.want {
			t.Errorf("Classify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPattern(t *testing.T) {
	tests := []struct {
		v    dragnet.Value
		want string
	}{
		{dragnet.Value{Kind: dragnet.ValueIPv4, Value: "1.2.3.4"}, "[ipv4-addr:value = '1.2.3.4']"},
		{dragnet.Value{Kind: dragnet.ValueCIDR, Value: "2001:db8::/32"}, "[ipv6-addr:value = '2001:db8::/32']"},
		{dragnet.Value{Kind: dragnet.ValueURL, Value: `http://x.y/a'b\c`}, `[url:value = 'http://x.y/a\'b\\c']`},
		{dragnet.Value{Kind: dragnet.ValueSHA256, Value: "ab"}, "[file:hashes.'SHA-256' = 'ab']"},
		{dragnet.Value{Kind: dragnet.ValueMD5, Value: "ab"}, "[file:hashes.MD5 = 'ab']"},
	}
	for _, tt := range tests {
		if got := Pattern(tt.v); got != tt.want {
			t.Errorf("Pattern(%v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestSCOID(t *testing.T) {
	// Same value, same id; the id is a v5 UUID in the STIX namespace.
	a := SCO(dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.3"})
	b := SCO(dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.3"})
	if a["id"] != b["id"] || a["id"] != "ipv4-addr--"+UUID5(scoNamespace, `{"value":"198.51.100.3"}`) {
		t.Errorf("SCO id %v", a["id"])
	}
	if got := canonicalJSON(map[string]any{"value": "<a&b>"}); got != `{"value":"<a&b>"}` {
		t.Errorf("canonicalJSON escapes HTML: %s", got)
	}
}

func TestCompileDelimited(t *testing.T) {
	re, err := CompileDelimited(`/^(security|noc)\@.*$/i`)
	if err != nil || !re.MatchString("NOC@example.com") {
		t.Errorf("re %v err %v", re, err)
	}
	if _, err := CompileDelimited(`/x/Q`); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := CompileDelimited(`/(/`); err == nil {
		t.Error("bad expression accepted")
	}
}

func TestEncodeIndicator(t *testing.T) {
	// The hand-written encoder writes what encoding/json writes.
	ind := indicatorJSON{Type: "indicator", SpecVersion: "2.1", ID: "indicator--x", Created: "c", Modified: "m", Name: "a\"b\\c\n\x01<&>\u2028\xff",
		Description: "d", IndicatorTypes: []string{"malicious-activity"}, Pattern: "[x:y = 'z']", PatternType: "stix", PatternVersion: "2.1",
		ValidFrom: "v", Labels: []string{"l1", "l2"}, ObjectMarkingRefs: []string{"marking-definition--1"}, Revoked: true, CreatedByRef: "identity--1"}
	extra := map[string]any{"x_b": "s", "x_a": []any{map[string]any{"k": 1}}}
	got, err := encodeIndicator(&ind, extra)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	want, _ := marshal(ind)
	json.Unmarshal(want, &b)
	b["x_b"], b["x_a"] = "s", []any{map[string]any{"k": 1.0}}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct{ name, head, want string }{
		{"x.json", `{"type": "bundle", "objects": []}`, FormatSTIX},
		{"x.json", "\ufeff  {\"Event\": {}}", FormatMISP},
		{"x", `{"response": [{"Event": {}}]}`, FormatMISP},
		{"feed.csv", "1.2.3.4\n", FormatCSV},
		{"list.txt", "a,b\n", FormatText},
		{"https://example.org/export?x=1", "# comment\n1.2.3.4,443,c2\n", FormatCSV},
		{"blocklist", "# hdr\n1.2.3.4\n5.6.7.8\n", FormatText},
	}
	for _, tt := range tests {
		if got := Sniff(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%q, %q) = %s, want %s", tt.name, tt.head, got, tt.want)
		}
	}
}
