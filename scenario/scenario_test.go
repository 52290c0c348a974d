package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

func generate(t *testing.T, cfg Config) (*Scenario, [][]byte) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var objs [][]byte
	n, err := s.Generate(func(org int, raw []byte) error {
		if org < 0 || org >= len(s.Orgs) {
			t.Fatalf("object for organisation %d of %d", org, len(s.Orgs))
		}
		objs = append(objs, raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(objs) {
		t.Fatalf("Generate says %d objects, emitted %d", n, len(objs))
	}
	return s, objs
}

func TestDeterministicBySeed(t *testing.T) {
	_, a := generate(t, Config{Seed: 42, Botnets: 2, Bots: 30})
	_, b := generate(t, Config{Seed: 42, Botnets: 2, Bots: 30})
	_, c := generate(t, Config{Seed: 43, Botnets: 2, Bots: 30})
	if !bytes.Equal(bytes.Join(a, nil), bytes.Join(b, nil)) {
		t.Fatal("the same seed gave different scenarios")
	}
	if bytes.Equal(bytes.Join(a, nil), bytes.Join(c, nil)) {
		t.Fatal("different seeds gave the same scenario")
	}
}

// TestValidSTIX checks every generated object against the STIX 2.1 rules
// and schemas, and the truth against what was generated.
func TestValidSTIX(t *testing.T) {
	s, objs := generate(t, Config{Seed: 7, Countries: 20, Botnets: 5, Bots: 40, Incidents: 3})
	ids := map[string]bool{}
	types := map[string]int{}
	for _, raw := range objs {
		o, err := stix.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := stix.Validate(o); err != nil {
			t.Fatalf("%s", err)
		}
		ids[o.ID] = true
		types[o.Type]++
	}
	for _, want := range []string{"identity", "ipv4-addr", "domain-name", "x509-certificate", "network-traffic", "indicator", "sighting",
		"observed-data", "infrastructure", "malware", "intrusion-set", "threat-actor", "location", "incident", "relationship",
		"email-addr", "user-account", "x-crypto-wallet", "x-phone-number"} {
		if types[want] == 0 {
			t.Errorf("no %s generated", want)
		}
	}
	if len(s.Truth.Incidents) != 15 || len(s.Truth.Botnets) != 5 || len(s.Truth.Operators) != 5 {
		t.Fatalf("truth has %d incidents, %d botnets, %d operators", len(s.Truth.Incidents), len(s.Truth.Botnets), len(s.Truth.Operators))
	}
	for _, inc := range s.Truth.Incidents {
		if !ids[inc.ID] {
			t.Errorf("truth names incident %s that was not generated", inc.ID)
		}
	}
	for _, op := range s.Truth.Operators {
		for _, id := range op.Objects {
			if !ids[id] {
				t.Errorf("truth names %s of %s that was not generated", id, op.Name)
			}
		}
	}
	countries := map[string]bool{}
	for _, o := range s.Orgs {
		if err := (&dragnet.Org{Name: o.Name, Country: o.Country, Kind: o.Kind}).Validate(); err != nil {
			t.Errorf("organisation %q: %v", o.Name, err)
		}
		countries[o.Country] = true
	}
	if len(countries) < 20 {
		t.Errorf("organisations in %d countries, want 20", len(countries))
	}
}

func TestWriteDir(t *testing.T) {
	s, err := New(Config{Seed: 5, Countries: 4, Botnets: 1, Bots: 20, Incidents: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n, err := s.WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, o := range s.Orgs {
		f, err := os.Open(filepath.Join(dir, FileName(o)))
		if err != nil {
			t.Fatal(err)
		}
		err = stix.DecodeBundle(f, func(raw json.RawMessage, i int) error {
			total++
			if i == 0 && !strings.Contains(string(raw), o.Identity) {
				t.Errorf("%s: first object is not the organisation's identity", FileName(o))
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", FileName(o), err)
		}
	}
	if total != n {
		t.Fatalf("bundles hold %d objects, WriteDir wrote %d", total, n)
	}
	var truth Truth
	raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if truth.Seed != 5 || len(truth.Botnets) != 1 || len(truth.Botnets[0].Bots) == 0 || len(truth.Incidents) != 2 {
		t.Fatalf("truth.json: %+v", truth)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Countries: 1}, "countries"},
		{Config{Countries: 41}, "countries"},
		{Config{Botnets: -1}, "botnets"},
		{Config{Bots: 5}, "bots"},
		{Config{Incidents: -2}, "incidents"},
	} {
		_, err := New(c.cfg)
		if dragnet.ErrorCode(err) != dragnet.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want EINVALID naming %s", c.cfg, err, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	truth := &Truth{
		Botnets:   []TruthBotnet{{Name: "a", Bots: []string{"1", "2", "3"}, C2: []string{"9"}}, {Name: "b", Bots: []string{"4", "5"}}},
		Operators: []TruthOperator{{Name: "A", Objects: []string{"ta-a"}}, {Name: "B", Objects: []string{"ta-b", "is-b"}}},
		Incidents: []TruthIncident{{ID: "i1", Operator: "A"}, {ID: "i2", Operator: "B"}, {ID: "i3", Operator: "B"}, {ID: "i4", Operator: "A"}},
	}
	ranked := map[string][]string{"i1": {"ta-a"}, "i2": {"ta-a", "is-b"}, "i3": {"x", "y", "z", "ta-b"}}
	s := truth.Evaluate(ranked, [][]string{{"1", "2", "3", "9"}, {"4"}})
	if s.TraceTop1 != 0.25 || s.TraceTop3 != 0.5 {
		t.Errorf("top1 %v top3 %v, want 0.25 0.5", s.TraceTop1, s.TraceTop3)
	}
	// Truth pairs: 6 + 1; predicted pairs 6, all true: precision 1, recall 6/7.
	if s.Precision != 1 || s.Recall != 6.0/7 {
		t.Errorf("precision %v recall %v", s.Precision, s.Recall)
	}
	perfect := truth.Evaluate(nil, [][]string{{"1", "2", "3", "9"}, {"4", "5"}})
	if perfect.ClusterF1 != 1 {
		t.Errorf("perfect clusters score F1 %v", perfect.ClusterF1)
	}
	merged := truth.Evaluate(nil, [][]string{{"1", "2", "3", "9", "4", "5"}})
	if merged.Precision != 7.0/15 {
		t.Errorf("one cluster of everything: precision %v, want 7/15", merged.Precision)
	}
}
