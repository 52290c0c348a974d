package stix

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

// benchIndicator is a typical indicator as feeds send them, about 600 bytes.
func benchIndicator(i int) []byte {
	return []byte(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f",`+
		`"created":"2024-04-06T20:03:48.000Z","modified":"2024-04-06T20:03:48.000Z",`+
		`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",`+
		`"name":"Botnet C2 server 198.51.100.%d","description":"IP address observed acting as a command-and-control server for a banking trojan botnet.",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix",`+
		`"valid_from":"2024-04-06T20:03:48Z","labels":["botnet","c2"],"confidence":80,`+
		`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],`+
		`"external_references":[{"source_name":"feodotracker","url":"https://feodotracker.abuse.ch/browse/host/198.51.100.%d/"}]}`,
		i, i%256, i%256, i%256))
}

func benchValidate(b *testing.B, v *Validator, objs [][]byte) {
	b.Helper()
	var bytes int64
	for _, o := range objs {
		bytes += int64(len(o))
	}
	b.SetBytes(bytes / int64(len(objs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raw := objs[i%len(objs)]
		o, err := Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Validate(o.Raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func indicators() [][]byte {
	objs := make([][]byte, 1000)
	for i := range objs {
		objs[i] = benchIndicator(i)
	}
	return objs
}

func attackObjects(b *testing.B) [][]byte {
	var objs [][]byte
	for _, raw := range readBundle(b, filepath.Join(testdataDir(b), "attack/ics-attack-18.1.json")) {
		objs = append(objs, []byte(raw))
	}
	return objs
}

func mustValidator(b *testing.B, mode SchemaMode) *Validator {
	v, err := NewValidator(mode)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkValidateIndicator: Decode + Validate as the ingest path calls
// them, indicators, default mode (hand-written rules authoritative).
func BenchmarkValidateIndicator(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaCold), indicators())
}

// BenchmarkValidateIndicatorSchema: the same with the JSON schema applied too.
func BenchmarkValidateIndicatorSchema(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaAll), indicators())
}

func BenchmarkValidateATTACK(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaCold), attackObjects(b))
}

func BenchmarkValidateATTACKSchema(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaAll), attackObjects(b))
}

func BenchmarkValidateATTACKRulesOnly(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaOff), attackObjects(b))
}

var _ = json.Valid
