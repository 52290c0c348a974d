package stix

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzValidate: no input panics Decode or Validate, and what Validate
// accepts Decode reads.
func FuzzValidate(f *testing.F) {
	for _, raw := range baseObjects {
		f.Add([]byte(raw))
	}
	for _, raw := range []string{`{"type":`, `[1,2]`, `{"type":"indicator","type":"malware"}`, "{\"type\":\"x\xff\"}",
		`{"a":[[[[[[[[[[]]]]]]]]]]}`, `{"type":"x-a","id":"x-a--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"2020"}`,
		`{"type":"file","id":"file--9a1f834d-2506-5367-baec-7aa63996ac43","name":"a","extensions":{"ntfs-ext":{"alternate_data_streams":[{"name":"x","hashes":{"MD5":"00"}}]}}}`,
		`{"type":"indicator","granular_markings":[{"selectors":["a.[0].b","[x]"],"lang":"en"}]}`} {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, decErr := Decode(raw)
		err := ValidateJSON(raw)
		if err == nil && decErr != nil {
			t.Fatalf("Validate accepted what Decode refuses (%v): %s", decErr, raw)
		}
		if err == nil && !json.Valid(raw) {
			t.Fatalf("Validate accepted invalid JSON: %s", raw)
		}
	})
}

// FuzzDecodeBundle: no input panics DecodeBundle, and every object it
// hands out is one JSON value.
func FuzzDecodeBundle(f *testing.F) {
	for _, name := range []string{"stix-examples/cti-documentation/sighting-of-an-indicator.json", "tlp/tlp-marking-definitions.json"} {
		data, err := os.ReadFile(testdataDir(f) + "/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range bundleCases {
		f.Add([]byte(s.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = DecodeBundle(bytes.NewReader(data), func(raw json.RawMessage, i int) error {
			if !json.Valid(raw) {
				t.Fatalf("object %d is not one JSON value: %s", i, raw)
			}
			_ = ValidateJSON(raw)
			return nil
		})
	})
}
