package stix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const testIndicatorID = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"

// baseObjects are valid objects the bad-object cases start from.
var baseObjects = map[string]string{
	"indicator": `{"type":"indicator","spec_version":"2.1","id":"` + testIndicatorID + `",
		"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",
		"name":"C2","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix",
		"valid_from":"2016-01-01T00:00:00Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
		"external_references":[{"source_name":"x","url":"https://example.com/"}]}`,
	"relationship": `{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
		"created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates",
		"source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`,
	"sighting": `{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
		"created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z",
		"sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"where_sighted_refs":["identity--b67d30ff-02ac-498a-92f9-32f845f448ff"]}`,
	"ipv4-addr": `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
	"location":  `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","region":"europe"}`,
	"artifact":  `{"type":"artifact","spec_version":"2.1","id":"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641","mime_type":"image/jpeg","payload_bin":"VBORw0KGgoAAAANSUhEUgAAADI=="}`,
	"marking":   `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`,
	"opinion":   `{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","opinion":"agree","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
	"file":      `{"type":"file","spec_version":"2.1","id":"file--9a1f834d-2506-5367-baec-7aa63996ac43","name":"a.exe","extensions":{"archive-ext":{"contains_refs":["file--019fde1c-94ab-5fa0-a5e1-7fcc6ee5c0ba"]}}}`,
	"x-custom":  `{"type":"x-acme-thing","spec_version":"2.1","id":"x-acme-thing--1d5a7a35-4ee1-4e6c-a2a6-3e1e2a0a3b11","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_acme_score":3}`,
	"observed":  `{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,"object_refs":["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]}`,
}

func TestDomainNames(t *testing.T) {
	for _, s := range []string{"example.com", "example.com.", "_dmarc.example.com", "xn--bcher-kva.example", "bücher.example", "a-b.c", "localhost"} {
		if !validDomainName(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", ".", "a..b", "exa mple.com", "http://x", "a@b.c", strings.Repeat("a", 64) + ".com", "a/b"} {
		if validDomainName(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestLanguageTags(t *testing.T) {
	for _, s := range []string{"en", "de-CH", "zh-Hant-TW", "en-US-x-twain", "sgn-BE-FR", "i-klingon"} {
		if !validLanguageTag(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "en_US", "e n", "1en", "en-", "-en", "toolongtag"} {
		if validLanguageTag(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestBaseObjectsValid(t *testing.T) {
	for name, raw := range baseObjects {
		if err := ValidateJSON([]byte(raw)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// mutate returns base with the properties of set replaced (a nil value
// deletes the property).
func mutate(t *testing.T, base string, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseObjects[base]), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidateBadObjects(t *testing.T) {
	type tc struct {
		name     string
		base     string
		set      map[string]any
		raw      string // instead of base+set
		wantID   string
		wantPath string
		wantRule string
	}
	ind := testIndicatorID
	cases := []tc{
		{name: "not JSON", raw: `{"type":`, wantRule: RuleJSON},
		{name: "not an object", raw: `[1,2]`, wantRule: RuleJSON},
		{name: "duplicate member", raw: `{"type":"indicator","type":"malware"}`, wantRule: RuleJSON},
		{name: "invalid UTF-8", raw: "{\"type\":\"x\xff\"}", wantRule: RuleJSON},
		{name: "deep nesting", raw: `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, wantRule: RuleJSON},
		{name: "trailing data", raw: `{} {}`, wantRule: RuleJSON},
		{name: "type missing", base: "indicator", set: map[string]any{"type": nil}, wantID: ind, wantPath: "type", wantRule: RuleRequired},
		{name: "type bad", base: "indicator", set: map[string]any{"type": "Indicator"}, wantID: ind, wantPath: "type", wantRule: RuleTypeName},
		{name: "type reserved", base: "indicator", set: map[string]any{"type": "action", "id": "action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, wantID: "action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", wantPath: "type", wantRule: RuleReserved},
		{name: "id missing", base: "indicator", set: map[string]any{"id": nil}, wantPath: "id", wantRule: RuleRequired},
		{name: "id wrong prefix", base: "indicator", set: map[string]any{"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, wantID: "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", wantPath: "id", wantRule: RuleID},
		{name: "id not UUID", base: "indicator", set: map[string]any{"id": "indicator--1234"}, wantID: "indicator--1234", wantPath: "id", wantRule: RuleID},
		{name: "id bad variant", base: "indicator", set: map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f"}, wantID: "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", wantPath: "id", wantRule: RuleID},
		{name: "spec_version", base: "indicator", set: map[string]any{"spec_version": "2.0"}, wantID: ind, wantPath: "spec_version", wantRule: RuleSpecVersion},
		{name: "spec_version missing", base: "indicator", set: map[string]any{"spec_version": nil}, wantID: ind, wantPath: "spec_version", wantRule: RuleRequired},
		{name: "created bad", base: "indicator", set: map[string]any{"created": "2016-04-06 20:03:48Z"}, wantID: ind, wantPath: "created", wantRule: RuleTimestamp},
		{name: "created offset", base: "indicator", set: map[string]any{"created": "2016-04-06T20:03:48.000+01:00"}, wantID: ind, wantPath: "created", wantRule: RuleTimestamp},
		{name: "created precision", base: "indicator", set: map[string]any{"created": "2016-04-06T20:03:48Z"}, wantID: ind, wantPath: "created", wantRule: RulePrecision},
		{name: "modified before created", base: "indicator", set: map[string]any{"modified": "2016-04-06T20:03:47.999Z"}, wantID: ind, wantPath: "modified", wantRule: RuleModifiedCreated},
		{name: "pattern missing", base: "indicator", set: map[string]any{"pattern": nil}, wantID: ind, wantPath: "pattern", wantRule: RuleRequired},
		{name: "valid_from missing", base: "indicator", set: map[string]any{"valid_from": nil}, wantID: ind, wantPath: "valid_from", wantRule: RuleRequired},
		{name: "valid_until before", base: "indicator", set: map[string]any{"valid_until": "2016-01-01T00:00:00Z"}, wantID: ind, wantPath: "valid_until", wantRule: RuleTimeOrder},
		{name: "name not string", base: "indicator", set: map[string]any{"name": 5}, wantID: ind, wantPath: "name", wantRule: RuleValueType},
		{name: "labels empty", base: "indicator", set: map[string]any{"labels": []any{}}, wantID: ind, wantPath: "labels", wantRule: RuleEmptyList},
		{name: "labels not list", base: "indicator", set: map[string]any{"labels": "x"}, wantID: ind, wantPath: "labels", wantRule: RuleValueType},
		{name: "confidence range", base: "indicator", set: map[string]any{"confidence": 101}, wantID: ind, wantPath: "confidence", wantRule: RuleRange},
		{name: "confidence float", base: "indicator", set: map[string]any{"confidence": 1.5}, wantID: ind, wantPath: "confidence", wantRule: RuleValueType},
		{name: "created_by_ref type", base: "indicator", set: map[string]any{"created_by_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}, wantID: ind, wantPath: "created_by_ref", wantRule: RuleRefType},
		{name: "created_by_ref form", base: "indicator", set: map[string]any{"created_by_ref": "identity--x"}, wantID: ind, wantPath: "created_by_ref", wantRule: RuleRefForm},
		{name: "object_marking_refs type", base: "indicator", set: map[string]any{"object_marking_refs": []any{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"}}, wantID: ind, wantPath: "object_marking_refs[1]", wantRule: RuleRefType},
		{name: "external_references source_name", base: "indicator", set: map[string]any{"external_references": []any{map[string]any{"source_name": "a", "url": "https://a/"}, map[string]any{"url": "https://b/"}}}, wantID: ind, wantPath: "external_references[1].source_name", wantRule: RuleRequired},
		{name: "external_references nothing", base: "indicator", set: map[string]any{"external_references": []any{map[string]any{"source_name": "a"}}}, wantID: ind, wantPath: "external_references[0]", wantRule: RuleExternalRef},
		{name: "external_references url", base: "indicator", set: map[string]any{"external_references": []any{map[string]any{"source_name": "a", "url": "example.com/x"}}}, wantID: ind, wantPath: "external_references[0].url", wantRule: RuleValue},
		{name: "external_references capec", base: "indicator", set: map[string]any{"external_references": []any{map[string]any{"source_name": "capec", "external_id": "163"}}}, wantID: ind, wantPath: "external_references[0].external_id", wantRule: RuleExternalRef},
		{name: "external_references hash", base: "indicator", set: map[string]any{"external_references": []any{map[string]any{"source_name": "a", "url": "https://a/", "hashes": map[string]any{"SHA-256": "abc"}}}}, wantID: ind, wantPath: "external_references[0].hashes.SHA-256", wantRule: RuleHash},
		{name: "kill chain phase", base: "indicator", set: map[string]any{"kill_chain_phases": []any{map[string]any{"kill_chain_name": "lockheed"}}}, wantID: ind, wantPath: "kill_chain_phases[0].phase_name", wantRule: RuleRequired},
		{name: "granular both", base: "indicator", set: map[string]any{"granular_markings": []any{map[string]any{"selectors": []any{"name"}, "lang": "en", "marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}}}, wantID: ind, wantPath: "granular_markings[0]", wantRule: RuleGranularMarking},
		{name: "lang", base: "indicator", set: map[string]any{"lang": "english language"}, wantID: ind, wantPath: "lang", wantRule: RuleValue},
		{name: "granular lang", base: "indicator", set: map[string]any{"granular_markings": []any{map[string]any{"selectors": []any{"name"}, "lang": "e_n"}}}, wantID: ind, wantPath: "granular_markings[0].lang", wantRule: RuleValue},
		{name: "language-content key", raw: `{"type":"language-content","spec_version":"2.1","id":"language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d","created":"2017-02-08T21:31:22.007Z","modified":"2017-02-08T21:31:22.007Z","object_ref":"campaign--12a111f0-b824-4baf-a224-83b80237a094","contents":{"de 1":{"name":"Bank Angriff 1"}}}`, wantID: "language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d", wantPath: "contents.de 1", wantRule: RuleValue},
		{name: "granular selector", base: "indicator", set: map[string]any{"granular_markings": []any{map[string]any{"selectors": []any{"name", "labels.[3]"}, "lang": "en"}}}, wantID: ind, wantPath: "granular_markings[0].selectors[1]", wantRule: RuleGranularMarking},
		{name: "custom property name", base: "indicator", set: map[string]any{"x-Bad": 1}, wantID: ind, wantPath: "x-Bad", wantRule: RulePropertyName},
		{name: "custom property digit first", base: "indicator", set: map[string]any{"000": 1}, wantID: ind, wantPath: "000", wantRule: RulePropertyName},
		{name: "custom property null", raw: `{"type":"x-acme-thing","spec_version":"2.1","id":"x-acme-thing--1d5a7a35-4ee1-4e6c-a2a6-3e1e2a0a3b11","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_acme":null}`, wantID: "x-acme-thing--1d5a7a35-4ee1-4e6c-a2a6-3e1e2a0a3b11", wantPath: "x_acme", wantRule: RuleValueType},
		{name: "custom hex", base: "indicator", set: map[string]any{"x_acme_hex": "abc"}, wantID: ind, wantPath: "x_acme_hex", wantRule: RuleValue},
		{name: "custom extension property", base: "indicator", set: map[string]any{"extensions": map[string]any{"x-acme-ext": map[string]any{"ab": 1}}}, wantID: ind, wantPath: "extensions.x-acme-ext.ab", wantRule: RulePropertyName},
		{name: "email value", base: "x-custom", raw: `{"type":"email-addr","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"John <john@example.com>"}`, wantID: "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", wantPath: "value", wantRule: RuleValue},
		{name: "file magic hex", base: "file", set: map[string]any{"magic_number_hex": "0"}, wantID: "file--9a1f834d-2506-5367-baec-7aa63996ac43", wantPath: "magic_number_hex", wantRule: RuleValue},
		{name: "file name_enc", base: "file", set: map[string]any{"name_enc": "utf 8"}, wantID: "file--9a1f834d-2506-5367-baec-7aa63996ac43", wantPath: "name_enc", wantRule: RuleValue},
		{name: "custom property short", base: "indicator", set: map[string]any{"xy": 1}, wantID: ind, wantPath: "xy", wantRule: RulePropertyName},
		{name: "reserved property", base: "indicator", set: map[string]any{"severity": "high"}, wantID: ind, wantPath: "severity", wantRule: RuleReserved},
		{name: "extension key", base: "indicator", set: map[string]any{"extensions": map[string]any{"foo": map[string]any{"a": 1}}}, wantID: ind, wantPath: "extensions.foo", wantRule: RuleExtension},
		{name: "extension type", base: "indicator", set: map[string]any{"extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"extension_type": "other"}}}, wantID: ind, wantPath: "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type", wantRule: RuleVocabulary},
		{name: "relationship source SRO", base: "relationship", set: map[string]any{"source_ref": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"}, wantID: "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", wantPath: "source_ref", wantRule: RuleRefType},
		{name: "relationship target marking", base: "relationship", set: map[string]any{"target_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, wantID: "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", wantPath: "target_ref", wantRule: RuleRefType},
		{name: "relationship_type form", base: "relationship", set: map[string]any{"relationship_type": "Indicates"}, wantID: "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", wantPath: "relationship_type", wantRule: RuleValue},
		{name: "sighting where", base: "sighting", set: map[string]any{"where_sighted_refs": []any{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, wantID: "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", wantPath: "where_sighted_refs[0]", wantRule: RuleRefType},
		{name: "sighting of SCO", base: "sighting", set: map[string]any{"sighting_of_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}, wantID: "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", wantPath: "sighting_of_ref", wantRule: RuleRefType},
		{name: "sighting seen order", base: "sighting", set: map[string]any{"first_seen": "2016-01-02T00:00:00Z", "last_seen": "2016-01-01T00:00:00Z"}, wantID: "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", wantPath: "last_seen", wantRule: RuleTimeOrder},
		{name: "sighting count", base: "sighting", set: map[string]any{"count": -1}, wantID: "sighting--ee20065d-2555-424f-ad9e-0f8428623c75", wantPath: "count", wantRule: RuleRange},
		{name: "ipv4 value", base: "ipv4-addr", set: map[string]any{"value": "2001:db8::1"}, wantID: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", wantPath: "value", wantRule: RuleValue},
		{name: "domain value", raw: `{"type":"domain-name","id":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","value":"http://example.com/"}`, wantID: "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7", wantPath: "value", wantRule: RuleValue},
		{name: "location none", base: "location", set: map[string]any{"region": nil}, wantID: "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64", wantRule: RuleConstraint},
		{name: "location latitude", base: "location", set: map[string]any{"latitude": 91, "longitude": 0}, wantID: "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64", wantPath: "latitude", wantRule: RuleRange},
		{name: "artifact both", base: "artifact", set: map[string]any{"url": "https://a/", "hashes": map[string]any{"MD5": "6cc8e2f0e1e3a9d6f9d7e3bd5c5ba5c1"}}, wantID: "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", wantPath: "url", wantRule: RuleConstraint},
		{name: "artifact encryption enum", base: "artifact", set: map[string]any{"encryption_algorithm": "rot13"}, wantID: "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641", wantPath: "encryption_algorithm", wantRule: RuleVocabulary},
		{name: "opinion enum", base: "opinion", set: map[string]any{"opinion": "maybe"}, wantID: "opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7", wantPath: "opinion", wantRule: RuleVocabulary},
		{name: "tlp not fixed", base: "marking", set: map[string]any{"id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"}, wantID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db", wantPath: "definition", wantRule: RuleTLP},
		{name: "tlp definition not object", base: "marking", set: map[string]any{"definition": "green"}, wantID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", wantPath: "definition", wantRule: RuleValueType},
		{name: "tlp definition missing", base: "marking", set: map[string]any{"definition": nil}, wantID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", wantPath: "definition", wantRule: RuleTLP},
		{name: "tlp name", base: "marking", set: map[string]any{"name": "TLP:RED"}, wantID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", wantPath: "name", wantRule: RuleTLP},
		{name: "tlp wrong level", base: "marking", set: map[string]any{"definition": map[string]any{"tlp": "red"}}, wantID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", wantPath: "definition", wantRule: RuleTLP},
		{name: "file extension misplaced", base: "file", set: map[string]any{"extensions": map[string]any{"tcp-ext": map[string]any{"src_flags_hex": "00"}}}, wantID: "file--9a1f834d-2506-5367-baec-7aa63996ac43", wantPath: "extensions.tcp-ext", wantRule: RuleExtension},
		{name: "archive-ext refs", base: "file", set: map[string]any{"extensions": map[string]any{"archive-ext": map[string]any{"contains_refs": []any{"url--c1477287-23ac-5971-a010-5c287877fa60"}}}}, wantID: "file--9a1f834d-2506-5367-baec-7aa63996ac43", wantPath: "extensions.archive-ext.contains_refs[0]", wantRule: RuleRefType},
		{name: "file neither", base: "file", set: map[string]any{"name": nil}, wantID: "file--9a1f834d-2506-5367-baec-7aa63996ac43", wantRule: RuleConstraint},
		{name: "registry value empty", raw: `{"type":"windows-registry-key","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"k","values":[{"x_note":"a"}]}`, wantID: "windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016", wantPath: "values[0]", wantRule: RuleConstraint},
		{name: "custom object property", base: "x-custom", set: map[string]any{"X_Score": 1}, wantID: "x-acme-thing--1d5a7a35-4ee1-4e6c-a2a6-3e1e2a0a3b11", wantPath: "X_Score", wantRule: RulePropertyName},
		{name: "custom object modified", base: "x-custom", set: map[string]any{"modified": nil}, wantID: "x-acme-thing--1d5a7a35-4ee1-4e6c-a2a6-3e1e2a0a3b11", wantPath: "modified", wantRule: RuleRequired},
		{name: "observed-data embedded SCO", base: "observed", set: map[string]any{"object_refs": nil, "objects": map[string]any{"0": map[string]any{"type": "ipv4-addr", "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4", "value": 5}}}, wantID: "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", wantPath: "objects.0.value", wantRule: RuleValueType},
		{name: "observed-data embedded SDO", base: "observed", set: map[string]any{"object_refs": nil, "objects": map[string]any{"0": map[string]any{"type": "malware"}}}, wantID: "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", wantPath: "objects.0.type", wantRule: RuleConstraint},
		{name: "observed-data both", base: "observed", set: map[string]any{"objects": map[string]any{"0": map[string]any{"type": "ipv4-addr", "value": "1.2.3.4"}}}, wantID: "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", wantPath: "objects", wantRule: RuleConstraint},
		{name: "observed-data refs SDO", base: "observed", set: map[string]any{"object_refs": []any{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, wantID: "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", wantPath: "object_refs[0]", wantRule: RuleRefType},
		{name: "observed-data count", base: "observed", set: map[string]any{"number_observed": 0}, wantID: "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", wantPath: "number_observed", wantRule: RuleRange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := []byte(c.raw)
			if c.raw == "" {
				raw = mutate(t, c.base, c.set)
			}
			err := ValidateJSON(raw)
			if err == nil {
				t.Fatalf("valid, want rule %s at %q", c.wantRule, c.wantPath)
			}
			var es ValidationErrors
			if !errors.As(err, &es) {
				t.Fatalf("error %T %v is not ValidationErrors", err, err)
			}
			for _, e := range es {
				if e.Rule == c.wantRule && e.Path == c.wantPath {
					if e.ObjectID != c.wantID {
						t.Errorf("ObjectID %q, want %q", e.ObjectID, c.wantID)
					}
					if !strings.Contains(err.Error(), "object ") {
						t.Errorf("message %q does not name the object", err)
					}
					return
				}
			}
			t.Errorf("got %v; want rule %s at path %q", err, c.wantRule, c.wantPath)
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	raw := mutate(t, "indicator", map[string]any{"external_references": []any{
		map[string]any{"source_name": "a", "url": "https://a/"},
		map[string]any{"source_name": "b", "url": "https://b/"},
		map[string]any{"url": "https://c/"},
	}})
	err := ValidateJSON(raw)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	want := "object " + testIndicatorID + ": external_references[2].source_name: required property missing"
	if ve.Error() != want {
		t.Errorf("got %q\nwant %q", ve.Error(), want)
	}
}

func TestValidateReportsSeveralInOrder(t *testing.T) {
	raw := mutate(t, "indicator", map[string]any{"pattern": nil, "valid_from": nil, "name": 7})
	err := ValidateJSON(raw)
	var es ValidationErrors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("got %v, want three problems", err)
	}
	var paths []string
	for _, e := range es {
		paths = append(paths, e.Path)
	}
	if got := strings.Join(paths, ","); got != "name,pattern,valid_from" {
		t.Errorf("paths %s, want name,pattern,valid_from (table order)", got)
	}
}

func TestValidateNil(t *testing.T) {
	if Validate(nil) == nil {
		t.Error("Validate(nil) passed")
	}
}

func TestValidateNoDuplicateReports(t *testing.T) {
	err := ValidateJSON([]byte(`{"type":"indicator"}`))
	var es ValidationErrors
	if !errors.As(err, &es) {
		t.Fatalf("got %v", err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		if seen[e.Path+" "+e.Rule] {
			t.Errorf("%s reported twice: %v", e.Path, err)
		}
		seen[e.Path+" "+e.Rule] = true
	}
	if !seen["id required"] || !seen["valid_from required"] {
		t.Errorf("got %v", err)
	}
}

// Where the official schemas are stricter than the specification,
// Validate follows the specification.
func TestSchemaOverStrictAccepted(t *testing.T) {
	all, err := NewValidator(SchemaAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		`{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"hkey_local_machine\\system\\bar\\foo","values":[{"data":"qwerty","data_type":"REG_SZ"}]}`,
		`{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"hkey_local_machine\\system\\bar\\foo","values":[{"name":""}]}`,
		`{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","dst_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","protocols":["tcp","http"],"extensions":{"http-request-ext":{"request_method":"get","request_value":"/download.html","request_header":{"Host":"www.example.com","Accept-Encoding":"gzip,deflate"}}}}`,
		`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"Poison Ivy","is_family":true,"granular_markings":[{"lang":"en","selectors":["name"]}]}`,
	} {
		if err := all.Validate([]byte(raw)); err != nil {
			t.Errorf("%v", err)
		}
	}
}
