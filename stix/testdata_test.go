package stix

import (
	"encoding/json"
	"github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testdataDir(t testing.TB) string {
	t.Helper()
	d, err := testdata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// bundleFiles lists the STIX bundles of the shared test data.
func bundleFiles(t testing.TB) []string {
	t.Helper()
	root := testdataDir(t)
	var files []string
	for _, pattern := range []string{"stix-examples/*/*.json", "stix-examples/*/*/*.json", "attack/*.json", "tlp/*.json"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d bundles under %s", len(files), root)
	}
	return files
}

func readBundle(t testing.TB, file string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Type string }
	if err := json.Unmarshal(data, &head); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if head.Type != "bundle" { // a file holding one object
		return []json.RawMessage{data}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var objs []json.RawMessage
	if err := DecodeBundle(f, func(raw json.RawMessage, i int) error {
		if i != len(objs) {
			t.Fatalf("index %d, want %d", i, len(objs))
		}
		objs = append(objs, raw)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return objs
}

// TestSharedBundlesValidate: every object of every bundle in the shared
// test data (STIX examples, ATT&CK with its x-mitre custom objects, the TLP
// definitions) decodes and validates, with every schema applied.
func TestSharedBundlesValidate(t *testing.T) {
	all, err := NewValidator(SchemaAll)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, file := range bundleFiles(t) {
		name := strings.TrimPrefix(file, testdataDir(t)+"/")
		objs := readBundle(t, file)
		if len(objs) == 0 {
			t.Errorf("%s: no objects", name)
		}
		for i, raw := range objs {
			o, err := Decode(raw)
			if err != nil {
				t.Errorf("%s[%d]: decode: %v", name, i, err)
				continue
			}
			types[o.Type]++
			if err := Validate(o); err != nil {
				t.Errorf("%s[%d]: %v", name, i, err)
			}
			if err := all.Validate(raw); err != nil {
				t.Errorf("%s[%d] (all schemas): %v", name, i, err)
			}
		}
	}
	t.Logf("types validated: %v", types)
}
