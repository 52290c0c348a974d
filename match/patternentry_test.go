package match

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// FuzzPatternEntry: reading a stored indicator gives what decoding it
// whole (decodedPatternEntry, the reader before indexedPattern) gives.
func FuzzPatternEntry(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'x.example']","confidence":80}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[network-traffic:dst_port = 4444]","pattern_type":null}`,
		`{"type":"indicator","id":"indicator--1","Pattern":"[ipv4-addr:value = '198.51.100.7'] AND [ipv4-addr:value = '198.51.100.8']","pattern":"[ipv4-addr:value = '198.51.100.7']"}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"STIX"}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7']","confidence":80.5}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[file:hashes.'SHA-256' = 'aa'","pattern_type":"stix"}`,
		`{"type":"indicator","id":"indicator--1","pattern":" [ url:value = 'http://a.example/' ] "}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = 'not an address']"}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[email-addr:value = 'a@b.example'] "}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = '']"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o := &dragnet.StoredObject{ID: "indicator--1", Type: "indicator", Raw: []byte(raw)}
		got, gok := patternEntryOf(o)
		want, wok := decodedPatternEntry(o)
		got.parsed, want.parsed = nil, nil
		if gok != wok || got.IndicatorID != want.IndicatorID || got.Pattern != want.Pattern || got.Confidence != want.Confidence ||
			!got.ValidFrom.Equal(want.ValidFrom) || !got.ValidUntil.Equal(want.ValidUntil) {
			t.Fatalf("patternEntryOf(%s) = %+v, %v; decoding gives %+v, %v", raw, got, gok, want, wok)
		}
	})
}

func TestValueComparison(t *testing.T) {
	for in, want := range map[string][2]string{
		`[ipv4-addr:value = '198.51.100.7']`:      {"ipv4-addr", "198.51.100.7"},
		` [ domain-name:value='x.example' ] `:     {"domain-name", "x.example"},
		"[url:value =\t'http://a.example/p?q=1']": {"url", "http://a.example/p?q=1"},
	} {
		if typ, lit, ok := valueComparison(in); !ok || typ != want[0] || lit != want[1] {
			t.Errorf("valueComparison(%q) = %q, %q, %v", in, typ, lit, ok)
		}
	}
	for _, in := range []string{
		`[ipv4-addr:value = '198.51.100.7'] AND [ipv4-addr:value = '198.51.100.8']`,
		`[ipv4-addr:value = '198.51.100.7'] WITHIN 5 SECONDS`,
		`[ipv4-addr:value != '198.51.100.7']`,
		`[ipv4-addr:value = 'it\'s']`,
		`[file:hashes.MD5 = 'aa']`,
		`[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.8']`,
		`[ipv4-addr:value = '198.51.100.7'`,
		`[IPV4-ADDR:value = '198.51.100.7']`,
	} {
		if _, _, ok := valueComparison(in); ok {
			t.Errorf("valueComparison(%q) recognised", in)
		}
	}
}
