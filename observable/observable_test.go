package observable

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/testdata"
	"github.com/dragnet-intel/dragnet/stix"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// bundleObjects reads the objects of a bundle under the shared test data,
// keyed by id.
func bundleObjects(t testing.TB, name string) map[string]*stix.Object {
	t.Helper()
	raw, err := os.ReadFile(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]*stix.Object{}
	for _, r := range b.Objects {
		o, err := stix.Decode(r)
		if err != nil {
			t.Fatal(err)
		}
		out[o.ID] = o
	}
	return out
}

func v(k dragnet.ValueKind, s string) dragnet.Value { return dragnet.Value{Kind: k, Value: s} }

func TestValuesRealObjects(t *testing.T) {
	tests := []struct {
		file, id string
		want     []dragnet.Value
	}{
		{"stix-examples/cti-stix2-json-schemas/infrastructure.json", "ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956",
			[]dragnet.Value{v(dragnet.ValueIPv4, "198.51.100.3")}},
		{"stix-examples/cti-stix2-json-schemas/infrastructure.json", "domain-name--ecb120bf-2694-4902-a737-62b74539a41b",
			[]dragnet.Value{v(dragnet.ValueDomain, "example.com")}},
		{"stix-examples/cti-documentation/sighting-of-observed-data.json", "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d",
			nil}, // hashes checked below, map order varies
		{"stix-examples/cti-documentation/malware-indicator-for-file-hash.json", "",
			[]dragnet.Value{v(dragnet.ValueSHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")}},
		{"stix-examples/cti-documentation/indicator-for-malicious-url.json", "",
			[]dragnet.Value{v(dragnet.ValueURL, "http://x4z9arb.cn/4712/")}},
	}
	for _, tc := range tests {
		objs := bundleObjects(t, tc.file)
		if tc.id == "" {
			for id, o := range objs {
				if o.Type == "indicator" {
					tc.id = id
				}
			}
		}
		o := objs[tc.id]
		if o == nil {
			t.Fatalf("%s: %s not found", tc.file, tc.id)
		}
		got := Values(o)
		if tc.want == nil && o.Type == "file" {
			want := map[dragnet.Value]bool{
				v(dragnet.ValueMD5, "1717b7fff97d37a1e1a0029d83492de1"):          true,
				v(dragnet.ValueSHA1, "c79a326f8411e9488bdc3779753e1e3489aaedea"): true,
			}
			if len(got) != 2 || !want[got[0]] || !want[got[1]] {
				t.Errorf("%s: Values = %v, want %v", tc.id, got, want)
			}
			continue
		}
		if tc.want == nil {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Values = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestValuesReports(t *testing.T) {
	// The APT1 and Poison Ivy reports' indicators: domains and addresses
	// joined by OR; one domain ('domain autuo.xicp.net') is malformed and
	// is skipped.
	counts := map[dragnet.ValueKind]int{}
	for _, f := range []string{"threat-reports/apt1.json", "threat-reports/poisonivy.json"} {
		for _, o := range bundleObjects(t, "stix-examples/cti-stix2-json-schemas/"+f) {
			if err := Validate(o); err != nil {
				t.Errorf("%s: %v", o.ID, err)
			}
			for _, x := range Values(o) {
				counts[x.Kind]++
				if x.Value == "domain autuo.xicp.net" {
					t.Errorf("malformed domain kept")
				}
			}
		}
	}
	if counts[dragnet.ValueDomain] == 0 || counts[dragnet.ValueIPv4] == 0 || counts[dragnet.ValueMD5] == 0 {
		t.Errorf("value kinds from reports = %v, want domains, IPv4 and MD5", counts)
	}
	t.Logf("values from reports: %v", counts)
}

// TestAttack runs ATT&CK's objects through Validate and Values: none is an
// indicator or observable, so all validate and none carries a value.
func TestAttack(t *testing.T) {
	for _, f := range []string{"attack/ics-attack-18.1.json", "attack/mobile-attack-17.1.json"} {
		objs := bundleObjects(t, f)
		if len(objs) < 1000 {
			t.Fatalf("%s: %d objects", f, len(objs))
		}
		for _, o := range objs {
			if err := Validate(o); err != nil {
				t.Errorf("%s: %v", o.ID, err)
			}
			if vs := Values(o); len(vs) != 0 {
				t.Errorf("%s: Values = %v", o.ID, vs)
			}
		}
	}
}

func obj(t testing.TB, js string) *stix.Object {
	t.Helper()
	o, err := stix.Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestValuesTable(t *testing.T) {
	tests := []struct {
		js   string
		want []dragnet.Value
	}{
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.0.0.0/8"}`, []dragnet.Value{v(dragnet.ValueCIDR, "10.0.0.0/8")}},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.0.0.1/32"}`, []dragnet.Value{v(dragnet.ValueIPv4, "10.0.0.1")}},
		{`{"type":"ipv4-addr","id":"ipv4-addr--1","value":"not an ip"}`, nil},
		{`{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:DB8::1"}`, []dragnet.Value{v(dragnet.ValueIPv6, "2001:db8::1")}},
		{`{"type":"domain-name","id":"d--1","value":"Evil.Example."}`, []dragnet.Value{v(dragnet.ValueDomain, "evil.example")}},
		{`{"type":"url","id":"u--1","value":"HTTP://Evil.Example:80/a"}`, []dragnet.Value{v(dragnet.ValueURL, "http://evil.example/a")}},
		{`{"type":"email-addr","id":"e--1","value":"Bad@Example.com"}`, []dragnet.Value{v(dragnet.ValueEmail, "bad@example.com")}},
		{`{"type":"file","id":"f--1","hashes":{"SHA-256":"AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F"}}`,
			[]dragnet.Value{v(dragnet.ValueSHA256, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f")}},
		{`{"type":"file","id":"f--1","hashes":{"SHA-256":"tooshort","SSDEEP":"3:a:b"}}`, nil},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.example'] OR [file:hashes.MD5 = '79054025255FB1A26E4BC422AEF54EB4' OR file:name = 'x.exe']"}`,
			[]dragnet.Value{v(dragnet.ValueIPv4, "1.2.3.4"), v(dragnet.ValueDomain, "x.example"), v(dragnet.ValueMD5, "79054025255fb1a26e4bc422aef54eb4")}},
		// complex patterns carry no values: seeing one would not be a match
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [file:hashes.MD5 = '79054025255FB1A26E4BC422AEF54EB4']"}`, nil},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = 'x.example' AND domain-name:resolves_to_refs[*].value = '1.2.3.4']"}`, nil},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128' OR url:value = 'HTTP://X.example:80/']"}`,
			[]dragnet.Value{v(dragnet.ValueIPv6, "2001:db8:dead:beef:dead:beef:dead:1"), v(dragnet.ValueURL, "http://x.example/")}},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value ISSUBSET '10.1.0.0/16' OR ipv4-addr:value IN ('1.1.1.1', '1.1.1.1')]"}`,
			[]dragnet.Value{v(dragnet.ValueCIDR, "10.1.0.0/16"), v(dragnet.ValueIPv4, "1.1.1.1")}},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value NOT = '1.2.3.4']"}`, nil},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"snort","pattern":"alert tcp any any"}`, nil},
		{`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[broken"}`, nil},
		{`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"ipv4-addr","value":"192.0.2.1"},"1":{"type":"url","value":"http://a.example/"}}}`,
			nil}, // checked as a set below
		{`{"type":"malware","id":"malware--1","name":"x"}`, nil},
	}
	for _, tc := range tests {
		got := Values(obj(t, tc.js))
		checkValidateValues(t, obj(t, tc.js))
		if tc.want == nil && len(got) == 2 { // the observed-data case, map order varies
			if !(got[0].Kind == dragnet.ValueIPv4 || got[1].Kind == dragnet.ValueIPv4) {
				t.Errorf("%s: Values = %v", tc.js, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.js, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	good := []string{
		`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4']"}`,
		`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '1.2.3.4']"}`,
		`{"type":"indicator","id":"indicator--1","pattern_type":"yara","pattern":"rule x { condition: true }"}`,
		`{"type":"malware","id":"malware--1"}`,
	}
	for _, js := range good {
		checkValidateValues(t, obj(t, js))
		if err := Validate(obj(t, js)); err != nil {
			t.Errorf("%s: %v", js, err)
		}
	}
	err := Validate(obj(t, `{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4' AND file:name = 'x' file:size = 1]"}`))
	if dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Fatalf("Validate: %v, want EINVALID", err)
	}
	var pe *pattern.Error
	if !errors.As(err, &pe) || pe.Column != 30 {
		t.Fatalf("Validate: %v, want a *pattern.Error at column 30", err)
	}
	want := "indicator indicator--1: pattern: column 30: AND joins comparisons on ipv4-addr and on file, but within brackets they must hold for one object"
	if dragnet.ErrorMessage(err) != want {
		t.Errorf("message %q, want %q", dragnet.ErrorMessage(err), want)
	}
	if err := Validate(obj(t, `{"type":"indicator","id":"indicator--2","pattern_type":"stix"}`)); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Errorf("indicator without pattern: %v, want EINVALID", err)
	}
}

// checkValidateValues checks that ValidateValues gives Validate's error,
// or else what Values gives.
func checkValidateValues(t *testing.T, o *stix.Object) {
	t.Helper()
	got, err := ValidateValues(o)
	if want := Validate(o); (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
		t.Errorf("%s: ValidateValues error %v, Validate %v", o.Raw, err, want)
	}
	if err == nil && o.Type != "observed-data" && !reflect.DeepEqual(got, Values(o)) {
		t.Errorf("%s: ValidateValues %v, Values %v", o.Raw, got, Values(o))
	}
}

func TestValidateValuesBad(t *testing.T) {
	for _, js := range []string{
		`{"type":"indicator","id":"indicator--2","pattern_type":"stix"}`,
		`{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[broken"}`,
		`{"type":"indicator","id":"indicator--1","pattern":""}`,
	} {
		if _, err := ValidateValues(obj(t, js)); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("%s: %v, want EINVALID", js, err)
		}
		checkValidateValues(t, obj(t, js))
	}
}

func BenchmarkValues(b *testing.B) {
	objs := []*stix.Object{
		obj(b, `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","indicator_types":["malicious-activity"],"name":"C2 address","pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.1']","valid_from":"2016-01-01T00:00:00Z","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`),
		obj(b, `{"type":"file","spec_version":"2.1","id":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","hashes":{"MD5":"1717b7fff97d37a1e1a0029d83492de1","SHA-1":"c79a326f8411e9488bdc3779753e1e3489aaedea"},"size":83968,"name":"resume.pdf"}`),
		obj(b, `{"type":"domain-name","spec_version":"2.1","id":"domain-name--ecb120bf-2694-4902-a737-62b74539a41b","value":"example.com"}`),
		obj(b, `{"type":"malware","spec_version":"2.1","id":"malware--1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"x","is_family":true}`),
	}
	names := []string{"indicator", "file", "domain", "malware"}
	for i, o := range objs {
		b.Run(names[i], func(b *testing.B) {
			b.SetBytes(int64(len(o.Raw)))
			b.ReportAllocs()
			for b.Loop() {
				Values(o)
			}
		})
	}
}

// BenchmarkValuesBundles runs Values over every object of the STIX example
// reports and an ATT&CK bundle, as ingest would.
func BenchmarkValuesBundles(b *testing.B) {
	var objs []*stix.Object
	var size int64
	for _, f := range []string{"stix-examples/cti-stix2-json-schemas/threat-reports/apt1.json",
		"stix-examples/cti-stix2-json-schemas/threat-reports/poisonivy.json", "attack/mobile-attack-17.1.json"} {
		for _, o := range bundleObjects(b, f) {
			objs = append(objs, o)
			size += int64(len(o.Raw))
		}
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			Values(o)
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
}
