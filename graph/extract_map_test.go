package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
)

// extractByMap is extract as it read objects before jsonscan, by decoding
// each into a map: the reference the fuzz test compares with. Times,
// values and names are read by the same functions, from the map.
func extractByMap(raw []byte) (*extracted, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	x := &extracted{conf: confAbsent}
	x.id, _ = m["id"].(string)
	x.typ, _ = m["type"].(string)
	if x.typ == "" || typeOfID(x.id) != x.typ {
		return nil, fmt.Errorf("id %q does not name an object of type %q", x.id, x.typ)
	}
	if c, ok := m["confidence"].(float64); ok && c >= 0 && c <= 100 {
		x.conf = uint8(c)
	}
	if x.typ == "relationship" {
		x.rel.src, _ = m["source_ref"].(string)
		x.rel.dst, _ = m["target_ref"].(string)
		x.rel.typ, _ = m["relationship_type"].(string)
		if x.rel.typ == "" {
			x.rel.typ = "related-to"
		}
	}
	for k, v := range m {
		if x.typ == "relationship" && (k == "source_ref" || k == "target_ref") {
			continue
		}
		x.walkMap(k, v, 0)
	}
	// What follows reads members alone: the map answers for the text.
	str := func(k string) string { s, _ := m[k].(string); return s }
	x.times(str)
	hashes, _ := json.Marshal(m["hashes"])
	x.values = objectValues(x.typ, str, jsonscan.Raw(string(hashes)))
	x.name = objectName(x.typ, str)
	return x, nil
}

// walk collects *_ref and *_refs properties at any depth (extensions,
// granular markings, embedded objects).
func (x *extracted) walkMap(key string, v any, depth int) {
	if depth > 8 {
		return
	}
	switch t := v.(type) {
	case string:
		if strings.HasSuffix(key, "_ref") && strings.Contains(t, "--") {
			x.refs = append(x.refs, ref{key, t})
		}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				if strings.HasSuffix(key, "_refs") && strings.Contains(s, "--") {
					x.refs = append(x.refs, ref{key, s})
				}
				continue
			}
			x.walkMap(key, e, depth+1)
		}
	case map[string]any:
		for k, e := range t {
			x.walkMap(k, e, depth+1)
		}
	}
}

// FuzzExtract: extract reads every object as decoding it into a map did
// (references and values compared as sets: the map's order was random).
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-02T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7'] OR [file:hashes.'SHA-256' = 'aa']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","confidence":80,"created_by_ref":"identity--1","object_marking_refs":["marking-definition--2"]}`,
		`{"type":"relationship","id":"relationship--1","source_ref":"malware--a","target_ref":"threat-actor--b","relationship_type":"uses","x":{"y_ref":"identity--c","z":[{"w_refs":["tool--d"]}]}}`,
		`{"type":"file","id":"file--1","hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e","SHA-256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"name":"a.exe"}`,
		`{"type":"user-account","id":"user-account--1","account_type":"twitter","account_login":"Bad","user_id":"1"}`,
		`{"type":"location","id":"location--1","country":"NL","name":"x","confidence":5,"confidence":7}`,
		`{"type":"sighting","id":"sighting--1","first_seen":"2024-01-01T00:00:00Z","last_seen":"2023-01-01T00:00:00Z","sighting_of_ref":"indicator--x","where_sighted_refs":["identity--y",3,["identity--z"]]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// Only what a decoder reads at all (a number beyond float64 fails
		// it) and valid UTF-8 (a decoder replaces bad bytes): what stores
		// hold.
		var anyv any
		if json.Unmarshal([]byte(raw), &anyv) != nil || !utf8.ValidString(raw) {
			return
		}
		want, werr := extractByMap([]byte(raw))
		got, gerr := extract([]byte(raw))
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("extract(%s): error %v, decoding says %v", raw, gerr, werr)
		}
		if werr != nil {
			return
		}
		norm := func(x *extracted) string {
			refs := slices.Clone(x.refs)
			slices.SortFunc(refs, func(a, b ref) int { return strings.Compare(a.prop+" "+a.to, b.prop+" "+b.to) })
			vals := slices.Clone(x.values)
			slices.SortFunc(vals, func(a, b dragnet.Value) int { return strings.Compare(a.String(), b.String()) })
			return fmt.Sprintf("%s %s %v %v %d %v %d %d %q", x.id, x.typ, refs, x.rel, x.conf, vals, x.first, x.last, x.name)
		}
		if g, w := norm(got), norm(want); g != w {
			t.Fatalf("extract(%s)\n got %s\nwant %s", raw, g, w)
		}
	})
}
