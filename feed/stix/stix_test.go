package stix

import (
	"context"
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet/feed"
)

var testdata = sharedtestdata.Join()

func decode(t testing.TB, in string) (ok, bad []*feed.Item, err error) {
	err = (&Decoder{}).Decode(context.Background(), strings.NewReader(in), &feed.Builder{}, func(it *feed.Item) error {
		if it.Err != nil {
			bad = append(bad, it)
		} else {
			ok = append(ok, it)
		}
		return nil
	})
	return
}

func TestExamples(t *testing.T) {
	var files []string
	for _, g := range []string{"stix-examples/*/*.json", "stix-examples/*/*/*.json", "attack/*.json"} {
		m, _ := filepath.Glob(filepath.Join(testdata, g))
		files = append(files, m...)
	}
	if len(files) < 18 {
		t.Fatalf("found %d bundles", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Type    string
			Objects []json.RawMessage
		}
		json.Unmarshal(data, &b)
		if b.Type != "bundle" {
			b.Objects = []json.RawMessage{data}
		}
		ok, bad, err := decode(t, string(data))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, it := range bad {
			t.Logf("%s: %s: %v", filepath.Base(f), it.Where, it.Err)
		}
		if len(ok)+len(bad) != len(b.Objects) {
			t.Errorf("%s: %d accepted + %d rejected, want %d objects", f, len(ok), len(bad), len(b.Objects))
		}
		if len(ok) == 0 {
			t.Errorf("%s: nothing accepted", f)
		}
	}
}

func TestValues(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(testdata, "stix-examples/cti-stix2-json-schemas/indicator-for-c2-ip-address.json"))
	ok, _, err := decode(t, string(data))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range ok {
		n += len(it.Values)
	}
	if n == 0 {
		t.Error("no observable values found in an indicator bundle")
	}
}

const bundle20 = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "spec_version": "2.0", "objects": [
 {"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48Z",
  "modified": "2016-04-06T20:03:48Z", "labels": ["malicious-activity"], "name": "Poison Ivy Malware",
  "pattern": "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
  "valid_from": "2016-01-01T00:00:00Z", "x_custom": "kept"},
 {"type": "malware", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "created": "2016-04-06T20:07:09.000Z",
  "modified": "2016-04-06T20:07:09.000Z", "name": "Poison Ivy", "labels": ["remote-access-trojan"]},
 {"type": "relationship", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "created": "2016-04-06T20:06:37Z",
  "modified": "2016-04-06T20:06:37Z", "relationship_type": "indicates",
  "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"},
 {"type": "observed-data", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", "created": "2016-04-06T19:58:16.000Z",
  "modified": "2016-04-06T19:58:16.000Z", "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
  "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}}},
 {"type": "indicator", "id": "indicator--bad", "created": "2016-04-06T20:03:48Z"}
]}`

func TestUpgrade20(t *testing.T) {
	ok, bad, err := decode(t, bundle20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ok) != 5 || len(bad) != 1 || bad[0].Where != "objects[4]" {
		t.Fatalf("%d accepted, %d rejected (%v)", len(ok), len(bad), bad)
	}
	var ind map[string]any
	json.Unmarshal(ok[0].Object.Raw, &ind)
	for k, want := range map[string]any{"spec_version": "2.1", "pattern_type": "stix", "created": "2016-04-06T20:03:48.000Z", "x_custom": "kept"} {
		if ind[k] != want {
			t.Errorf("%s = %v, want %v", k, ind[k], want)
		}
	}
	if _, ok := ind["labels"]; ok || ind["indicator_types"] == nil {
		t.Errorf("labels not moved to indicator_types: %v", ind)
	}
	if len(ok[0].Values) != 1 || ok[0].Values[0].Kind != "sha256" {
		t.Errorf("values %v", ok[0].Values)
	}
	if ok[4].Object.Type != "ipv4-addr" || ok[4].Entry || len(ok[4].Values) != 1 {
		t.Errorf("observed-data observable: %s entry=%v values=%v", ok[4].Object.Raw, ok[4].Entry, ok[4].Values)
	}
	var mal map[string]any
	json.Unmarshal(ok[1].Object.Raw, &mal)
	if mal["is_family"] != true || mal["malware_types"] == nil {
		t.Errorf("malware %v", mal)
	}
	// 2.1 objects pass through byte for byte.
	in := `{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","name":"x","is_family":false}`
	ok, _, err = decode(t, in)
	if err != nil || len(ok) != 1 || string(ok[0].Object.Raw) != in {
		t.Errorf("2.1 object changed: %v", err)
	}
}

func TestBadBundles(t *testing.T) {
	for _, in := range []string{`[]`, `{"type": "bundle", "objects": [`, `nope`, `{"type": "bundle", "objects": {}}`} {
		if _, _, err := decode(t, in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	// A single object that is not valid is a rejected entry.
	ok, bad, err := decode(t, `{"type": "report"}`)
	if err != nil || len(ok) != 0 || len(bad) != 1 {
		t.Errorf("single bad object: %d, %d, %v", len(ok), len(bad), err)
	}
}
