package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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

// benchValidate measures Validate alone, or Decode and Validate as the
// ingest path calls them.
func benchValidate(b *testing.B, v *Validator, objs [][]byte, decode bool) {
	b.Helper()
	var bytes int64
	decoded := make([]*Object, len(objs))
	for i, o := range objs {
		bytes += int64(len(o))
		var err error
		if decoded[i], err = Decode(o); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes / int64(len(objs)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		o := decoded[i%len(objs)]
		if decode {
			var err error
			if o, err = Decode(objs[i%len(objs)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := v.Validate(o.Raw); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, cpu0)
}

// cpuTime is the CPU time the process has used (all threads: the
// benchmark's and the garbage collector's).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports objects per wall-clock second and per CPU second.
// On a shared machine the second is the steadier figure: it is what one
// core does.
func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "objects/cpu-s")
	}
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

// BenchmarkValidateIndicator: Validate of ~600-byte indicators in the
// default mode (hand-written rules authoritative for hot types).
func BenchmarkValidateIndicator(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaCold), indicators(), false)
}

// BenchmarkValidateIndicatorSchema: the same with the JSON schema too.
func BenchmarkValidateIndicatorSchema(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaAll), indicators(), false)
}

// BenchmarkDecodeValidateIndicator: Decode then Validate, as ingest does.
func BenchmarkDecodeValidateIndicator(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaCold), indicators(), true)
}

// BenchmarkDecodeIndicator: Decode alone.
func BenchmarkDecodeIndicator(b *testing.B) {
	objs := indicators()
	b.SetBytes(int64(len(objs[0])))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(objs[i%len(objs)]); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, cpu0)
}

// The ATT&CK ICS objects (attack patterns, relationships, x-mitre custom
// objects, ...) in each mode.
func BenchmarkValidateATTACK(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaCold), attackObjects(b), false)
}

func BenchmarkValidateATTACKSchema(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaAll), attackObjects(b), false)
}

func BenchmarkValidateATTACKRulesOnly(b *testing.B) {
	benchValidate(b, mustValidator(b, SchemaOff), attackObjects(b), false)
}

// BenchmarkDecodeBundle: streaming 1,000-indicator bundles through
// DecodeBundle (each object handed out, not decoded).
func BenchmarkDecodeBundle(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":"bundle--0b6c3e5a-6f0e-4d3c-9d1e-3f7a2b8c9d10","objects":[`)
	for i, o := range indicators() {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(o)
	}
	buf.WriteString(`]}`)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		err := DecodeBundle(bytes.NewReader(data), func(json.RawMessage, int) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "objects/cpu-s")
	}
}
