package stix

import (
	"encoding/json"
	"errors"
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
	// Inputs that once found gaps.
	f.Add([]byte(`{"type":"email-addr","id":"email-addr--00000000-0000-1000-8000-000000000000","value":"0@!"}`))
	f.Add([]byte(`{"type":"email-addr","id":"email-addr--00000000-0000-1000-8000-000000000000","value":"0@0","000":""}`))
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
		if _, err := json.Marshal(m); err != nil {
			return
		}
		typ, _ := m["type"].(string)
		if se := all.validateMap(m); se != nil && rules.validateMap(m) == nil && !schemaStricter(typ, se) {
			t.Fatalf("schema rejects what the rules accept: %v\n%s", se, raw)
		}
	})
}

// typeSamples are valid objects of the types the shared test data lacks,
// most from the examples of the STIX 2.1 specification.
var typeSamples = []string{
	`{"type":"grouping","spec_version":"2.1","id":"grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"The Black Vine Cyberespionage Group","context":"suspicious-activity","object_refs":["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"]}`,
	`{"type":"incident","spec_version":"2.1","id":"incident--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"Breach","description":"x","kill_chain_phases":[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":"reconnaissance"}]}`,
	`{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":48.8566,"longitude":2.3522,"precision":1000,"country":"fr","city":"Paris"}`,
	`{"type":"malware-analysis","spec_version":"2.1","id":"malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","product":"microsoft","version":"5.1.0","analysis_started":"2018-04-06T20:03:00.000Z","result":"malicious","sample_ref":"file--9a1f834d-2506-5367-baec-7aa63996ac43","host_vm_ref":"software--a1827f6d-ca53-5605-9e93-4316cd22a00a"}`,
	`{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","abstract":"Tracking Team Note#1","content":"This note indicates the various steps taken.","authors":["John Doe"],"object_refs":["campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
	`{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","explanation":"x","opinion":"strongly-disagree","object_refs":["relationship--16d2358f-3b0d-4c88-b047-0da2f7ed4471"]}`,
	`{"type":"artifact","spec_version":"2.1","id":"artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee","mime_type":"application/zip","payload_bin":"ZX7HIBWPQA99NSUhEUgAAADI","encryption_algorithm":"mime-type-indicated","decryption_key":"My voice is my passport"}`,
	`{"type":"autonomous-system","spec_version":"2.1","id":"autonomous-system--f720c34b-98ae-597f-ade5-27dc241e8c74","number":15139,"name":"Slime Industries","rir":"ARIN"}`,
	`{"type":"directory","spec_version":"2.1","id":"directory--93c0a9b0-520d-545d-9094-1a08ddf46b05","path":"C:\\Windows\\System32","path_enc":"utf-8","contains_refs":["file--9a1f834d-2506-5367-baec-7aa63996ac43"]}`,
	`{"type":"email-message","spec_version":"2.1","id":"email-message--cf9b4b7f-14c8-5955-8065-020e0316b559","is_multipart":true,"received_lines":["from mail.example.com ([198.51.100.3]) by smtp.gmail.com"],"content_type":"multipart/mixed","date":"2016-06-19T14:20:40.000Z","from_ref":"email-addr--89f52ea8-d6ef-51e9-8fce-6a29236436ed","to_refs":["email-addr--d1b3bf0c-f02a-51a1-8102-11aba7959868"],"subject":"Check out this picture of a cat!","additional_header_fields":{"Content-Disposition":"inline","X-Mailer":"Mutt/1.5.23"},"body_multipart":[{"content_type":"text/plain; charset=utf-8","content_disposition":"inline","body":"Cats are funny!"},{"content_type":"image/png","content_disposition":"attachment; filename=\"tabby.png\"","body_raw_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}]}`,
	`{"type":"mac-addr","spec_version":"2.1","id":"mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00","value":"d2:fb:49:24:37:18"}`,
	`{"type":"mutex","spec_version":"2.1","id":"mutex--eba44954-d4e4-5d3b-814c-2b17dd8de300","name":"__CLEANSWEEP__"}`,
	`{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","src_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","dst_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","src_port":2487,"dst_port":1723,"protocols":["ipv4","tcp"],"start":"2016-06-19T14:20:40.000Z","end":"2016-06-19T14:21:40.000Z","extensions":{"tcp-ext":{"src_flags_hex":"00000002"},"http-request-ext":{"request_method":"get","request_value":"/download.html","request_version":"http/1.1","request_header":{"Host":["www.example.com"]}}}}`,
	`{"type":"process","spec_version":"2.1","id":"process--f52a906a-0dfc-40bd-92f1-e7778ead38a9","pid":1221,"created_time":"2016-01-20T14:11:25.55Z","command_line":"./gedit-bin --new-window","image_ref":"file--e04f22d1-be2c-59de-add8-10f61d15fe20","extensions":{"windows-process-ext":{"aslr_enabled":true,"dep_enabled":true,"priority":"HIGH_PRIORITY_CLASS","owner_sid":"S-1-5-21-186985262-1144665072-74031268-1309","integrity_level":"high"}}}`,
	`{"type":"software","spec_version":"2.1","id":"software--a1827f6d-ca53-5605-9e93-4316cd22a00a","name":"Word","cpe":"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*","version":"2002","vendor":"Microsoft","languages":["eng"]}`,
	`{"type":"url","spec_version":"2.1","id":"url--c1477287-23ac-5971-a010-5c287877fa60","value":"https://example.com/research/index.html"}`,
	`{"type":"user-account","spec_version":"2.1","id":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c","user_id":"1001","account_login":"jdoe","account_type":"unix","display_name":"John Doe","is_service_account":false,"is_privileged":false,"can_escalate_privs":true,"account_created":"2016-01-20T12:31:12Z","credential_last_changed":"2016-01-20T14:27:43Z","account_first_login":"2016-01-20T14:26:07Z","account_last_login":"2016-07-22T16:08:28Z","extensions":{"unix-account-ext":{"gid":1001,"groups":["wheel"],"home_dir":"/home/jdoe","shell":"/bin/bash"}}}`,
	`{"type":"x509-certificate","spec_version":"2.1","id":"x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de","issuer":"C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc, OU=Certification Services Division, CN=Thawte Server CA/emailAddress=server-certs@thawte.com","validity_not_before":"2016-03-12T12:00:00Z","validity_not_after":"2016-08-21T12:00:00Z","subject":"C=US, ST=Maryland, L=Pasadena, O=Brent Baccala, OU=FreeSoft, CN=www.freesoft.org/emailAddress=baccala@freesoft.org","serial_number":"36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06","x509_v3_extensions":{"basic_constraints":"critical,CA:TRUE, pathlen:0","name_constraints":"permitted;IP:192.168.0.0/255.255.0.0","policy_constraints":"requireExplicitPolicy:3","key_usage":"critical, keyCertSign","private_key_usage_period_not_before":"2016-03-12T12:00:00Z"}}`,
	`{"type":"language-content","spec_version":"2.1","id":"language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d","created":"2017-02-08T21:31:22.007Z","modified":"2017-02-08T21:31:22.007Z","object_ref":"campaign--12a111f0-b824-4baf-a224-83b80237a094","object_modified":"2017-02-08T21:31:22.007Z","contents":{"de":{"name":"Bank Angriff 1","description":"Weitere Informationen über Banküberfall"},"fr":{"name":"Attaque Bank 1","description":"Plus d'informations sur la crise bancaire"}}}`,
	`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62","created_by_ref":"identity--11b76a96-5d2b-45e0-8a5a-f6994f370731","created":"2014-02-20T09:16:08.989Z","modified":"2014-02-20T09:16:08.989Z","name":"New SDO 1","description":"This schema creates a new object type called my-favorite-sdo-1","schema":"https://www.example.com/schema-my-favorite-sdo-1/v1/","version":"1.2.1","extension_types":["new-sdo"]}`,
	`{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"hkey_local_machine\\system\\bar\\foo","values":[{"name":"Foo","data":"qwerty","data_type":"REG_SZ"},{"name":"Bar","data":"42","data_type":"REG_DWORD"}]}`,
}

// schemaStricter reports whether every problem in err is one where the
// official schemas are stricter than the specification (schemaOverStrict).
func schemaStricter(typ string, err error) bool {
	var es ValidationErrors
	if !errors.As(err, &es) {
		return false
	}
	for _, e := range es {
		if !schemaOverStrict(typ, e.Path, e.Message) {
			return false
		}
	}
	return true
}

// TestRulesCoverSchemaAllTypes: for one object of every type, the
// variants the official schema rejects the rules reject too, but for the
// documented places where the schema is stricter than the specification.
func TestRulesCoverSchemaAllTypes(t *testing.T) {
	all, err := NewValidator(SchemaAll)
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := NewValidator(SchemaOff)
	samples := map[string]map[string]any{}
	for _, file := range bundleFiles(t) {
		for _, raw := range readBundle(t, file) {
			doc, _ := parseJSON(raw)
			m := doc.(map[string]any)
			typ, _ := m["type"].(string)
			if _, ok := samples[typ]; !ok && model.types[typ] != nil {
				samples[typ] = m
			}
		}
	}
	sources := typeSamples
	for _, s := range hotSamples {
		sources = append(sources, s)
	}
	for _, raw := range sources {
		doc, err := parseJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		m := doc.(map[string]any)
		if err := all.validateMap(m); err != nil {
			t.Errorf("sample invalid: %v", err)
		}
		samples[m["type"].(string)] = m
	}
	for _, typ := range Types() {
		if _, ok := samples[typ]; !ok && typ != "bundle" {
			t.Errorf("no sample of %s", typ)
		}
	}
	for typ, m := range samples {
		for _, v := range mutations(m, typ) {
			if se := all.validateMap(v); se != nil && rules.validateMap(v) == nil && !schemaStricter(typ, se) {
				b, _ := json.Marshal(v)
				t.Errorf("schema rejects what the rules accept: %v\n%s", se, b)
			}
		}
	}
}
