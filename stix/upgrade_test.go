package stix

import (
	"encoding/json"
	"strings"
	"testing"
)

const observed20 = `{
  "type": "observed-data",
  "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
  "created": "2016-04-06T19:58:16Z",
  "modified": "2016-04-06T19:58:16.000Z",
  "first_observed": "2015-12-21T19:00:00Z",
  "last_observed": "2015-12-21T19:00:00Z",
  "number_observed": 50,
  "objects": {
    "0": {"type": "file", "hashes": {"SHA-256": "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}, "parent_directory_ref": "1", "created": "2016-01-01T00:00:00Z"},
    "1": {"type": "directory", "path": "C:\\Windows"},
    "10": {"type": "network-traffic", "src_ref": "2", "protocols": ["tcp"]},
    "2": {"type": "ipv4-addr", "value": "198.51.100.3"},
    "3": {"type": "process", "pid": 1221, "name": "gedit-bin", "binary_ref": "0"}
  }
}`

func TestUpgrade20ObservedData(t *testing.T) {
	out, scos, err := Upgrade20([]byte(observed20))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateJSON(out); err != nil {
		t.Fatalf("upgraded object invalid: %v\n%s", err, out)
	}
	if len(scos) != 5 {
		t.Fatalf("%d SCOs, want 5", len(scos))
	}
	var od map[string]any
	json.Unmarshal(out, &od)
	if _, ok := od["objects"]; ok {
		t.Error("objects kept")
	}
	if od["created"] != "2016-04-06T19:58:16.000Z" || od["spec_version"] != "2.1" {
		t.Errorf("created %v, spec_version %v", od["created"], od["spec_version"])
	}
	refs := od["object_refs"].([]any)
	byType := map[string]map[string]any{}
	for i, raw := range scos {
		if err := ValidateJSON(raw); err != nil {
			t.Errorf("SCO %d invalid: %v\n%s", i, err, raw)
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		if m["id"] != refs[i] {
			t.Errorf("object_refs[%d] = %v, SCO id %v", i, refs[i], m["id"])
		}
		byType[m["type"].(string)] = m
	}
	// Keys in numeric order: 0 1 2 3 10.
	if !strings.HasPrefix(refs[4].(string), "network-traffic--") || !strings.HasPrefix(refs[3].(string), "process--") {
		t.Errorf("object_refs order %v", refs)
	}
	if byType["ipv4-addr"]["id"] != IPv4AddrID("198.51.100.3") {
		t.Errorf("ipv4 id %v", byType["ipv4-addr"]["id"])
	}
	file, dir := byType["file"], byType["directory"]
	if file["parent_directory_ref"] != dir["id"] || file["ctime"] != "2016-01-01T00:00:00Z" || file["created"] != nil {
		t.Errorf("file not upgraded: %v", file)
	}
	wantFileID, _ := SCOID("file", map[string]any{"hashes": file["hashes"], "parent_directory_ref": dir["id"]})
	if file["id"] != wantFileID {
		t.Errorf("file id %v, want %v (its parent directory's new id contributes)", file["id"], wantFileID)
	}
	proc := byType["process"]
	if proc["image_ref"] != file["id"] || proc["name"] != "gedit-bin" || proc["binary_ref"] != nil {
		t.Errorf("process not upgraded: %v", proc)
	}
	if byType["network-traffic"]["src_ref"] != byType["ipv4-addr"]["id"] {
		t.Errorf("network-traffic src_ref %v", byType["network-traffic"]["src_ref"])
	}
}

func TestUpgrade20SDOs(t *testing.T) {
	cases := []struct {
		in    string
		check func(m map[string]any) bool
	}{
		{`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","labels":["malicious-activity"],"pattern":"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']","valid_from":"2016-01-01T00:00:00Z"}`,
			func(m map[string]any) bool {
				return m["labels"] == nil && m["indicator_types"].([]any)[0] == "malicious-activity" && m["pattern_type"] == "stix" && m["pattern_version"] == "2.0"
			}},
		{`{"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"Poison Ivy","labels":["remote-access-trojan"]}`,
			func(m map[string]any) bool { return m["is_family"] == true && m["malware_types"] != nil }},
		{`{"type":"marking-definition","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"green"}}`,
			func(m map[string]any) bool { return m["spec_version"] == "2.1" }},
		{`{"type":"relationship","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","description":"<b>&</b>"}`,
			func(m map[string]any) bool { return m["description"] == "<b>&</b>" }},
	}
	for _, c := range cases {
		out, scos, err := Upgrade20([]byte(c.in))
		if err != nil || scos != nil {
			t.Errorf("%s: %v %v", c.in, err, scos)
			continue
		}
		if err := ValidateJSON(out); err != nil {
			t.Errorf("invalid: %v\n%s", err, out)
		}
		var m map[string]any
		json.Unmarshal(out, &m)
		if !c.check(m) {
			t.Errorf("not upgraded as expected: %s", out)
		}
		if strings.Contains(string(out), `\u003c`) {
			t.Errorf("HTML-escaped: %s", out)
		}
	}
}

func TestUpgrade20Errors(t *testing.T) {
	v21 := []byte(baseObjects["indicator"])
	out, _, err := Upgrade20(v21)
	if err != nil || string(out) != string(v21) {
		t.Errorf("a 2.1 object is not returned unchanged: %v", err)
	}
	bad := map[string]string{
		"cycle":       `{"type":"observed-data","objects":{"0":{"type":"file","parent_directory_ref":"1","name":"a"},"1":{"type":"directory","path":"/","contains_refs":["0"]}}}`,
		"missing ref": `{"type":"observed-data","objects":{"0":{"type":"network-traffic","src_ref":"7","protocols":["tcp"]}}}`,
		"no type":     `{"id":"x"}`,
		"bundle":      `{"type":"bundle","id":"bundle--0b6c3e5a-6f0e-4d3c-9d1e-3f7a2b8c9d10","spec_version":"2.0","objects":[]}`,
		"not object":  `[]`,
		"bad json":    `{"type":`,
		"bad entry":   `{"type":"observed-data","objects":{"0":5}}`,
	}
	for name, in := range bad {
		if _, _, err := Upgrade20([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzUpgrade20: no input panics it, and its SCOs are JSON.
func FuzzUpgrade20(f *testing.F) {
	f.Add([]byte(observed20))
	f.Add([]byte(`{"type":"observed-data","objects":{"0":{"type":"file","parent_directory_ref":"1","name":"a"},"1":{"type":"directory","path":"/","contains_refs":["0"]}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, scos, err := Upgrade20(raw)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output not JSON: %s", out)
		}
		for _, s := range scos {
			if !json.Valid(s) {
				t.Fatalf("SCO not JSON: %s", s)
			}
		}
	})
}
