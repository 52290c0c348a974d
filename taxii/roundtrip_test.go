package taxii

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// bundleFiles lists every STIX bundle of the shared test data: ATT&CK ICS
// and Mobile and the STIX examples.
func bundleFiles(t *testing.T) []string {
	t.Helper()
	files := []string{
		sharedTestdata(t, "attack/ics-attack-18.1.json"),
		sharedTestdata(t, "attack/mobile-attack-17.1.json"),
	}
	root := sharedTestdata(t, "stix-examples")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 19 {
		t.Fatalf("found %d bundles, want at least 19", len(files))
	}
	return files
}

// versionKey identifies one object version: id and modified (or created,
// or nothing for objects that are not versioned).
func versionKey(t *testing.T, raw json.RawMessage) string {
	var h struct{ ID, Modified, Created string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	v := h.Modified
	if v == "" {
		v = h.Created
	}
	return h.ID + "|" + v
}

// TestRoundTripBundles posts every bundle of the shared test data through
// TAXII and reads it back: object for object, what comes back is equal as
// JSON to what was sent.
func TestRoundTripBundles(t *testing.T) {
	for _, file := range bundleFiles(t) {
		name := filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var bundle struct {
				Type    string            `json:"type"`
				Objects []json.RawMessage `json:"objects"`
			}
			if err := json.Unmarshal(data, &bundle); err != nil {
				t.Fatal(err)
			}
			if bundle.Type != "bundle" { // a single object
				bundle.Objects = []json.RawMessage{data}
			}
			if len(bundle.Objects) == 0 {
				t.Fatalf("%s has no objects", file)
			}
			w := newWorld(t, Config{})
			coll := w.ids["acme"]
			st := w.post("acme/write", coll, bundle.Objects)
			sent := map[string]json.RawMessage{}
			for _, o := range bundle.Objects {
				sent[versionKey(t, o)] = o
			}
			if st.SuccessCount != len(bundle.Objects) {
				t.Fatalf("status: %d of %d objects stored (%d failed)", st.SuccessCount, len(bundle.Objects), st.FailureCount)
			}

			got := map[string]json.RawMessage{}
			_, err = w.client("acme/read").GetObjects(context.Background(), coll, Query{Versions: []string{"all"}, Limit: 500}, func(p *Page) error {
				for _, o := range p.Objects {
					k := versionKey(t, o)
					if _, dup := got[k]; dup {
						t.Errorf("%s read twice", k)
					}
					got[k] = o
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(sent) {
				t.Errorf("read back %d object versions, sent %d", len(got), len(sent))
			}
			for k, want := range sent {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: not read back", k)
					continue
				}
				var a, b any
				json.Unmarshal(want, &a)
				json.Unmarshal(g, &b)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s: read back\n%s\nwant\n%s", k, g, want)
				}
			}
		})
	}
}
