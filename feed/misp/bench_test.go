package misp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dragnet-intel/dragnet/feed"
)

func benchEvent(n int) []byte {
	attrs := make([]map[string]any, n)
	for i := range attrs {
		a := map[string]any{"uuid": fmt.Sprintf("5b6464ca-%04x-4707-9b8a-%012x", i&0xffff, i), "to_ids": true,
			"timestamp": fmt.Sprint(1700000000 + i), "category": "Network activity", "comment": ""}
		switch i % 4 {
		case 0:
			a["type"], a["value"] = "ip-dst", fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)
		case 1:
			a["type"], a["value"] = "domain", fmt.Sprintf("evil-%d.example.org", i)
		case 2:
			a["type"], a["value"] = "url", fmt.Sprintf("https://evil-%d.example.org/gate.php", i)
		default:
			a["type"], a["value"] = "sha256", fmt.Sprintf("%064x", i)
		}
		attrs[i] = a
	}
	data, _ := json.Marshal(map[string]any{"Event": map[string]any{"uuid": "5b646415-7b48-40d5-86b4-c0070acd0835", "info": "bench",
		"date": "2026-01-01", "timestamp": "1800000000", "Orgc": map[string]any{"uuid": "5a68c02d-959c-4c8a-a571-0dcac0a8060a", "name": "X"},
		"Tag": []map[string]any{{"name": "tlp:green"}}, "Attribute": attrs}})
	return data
}

func BenchmarkDecode(b *testing.B) {
	data := benchEvent(10000)
	bld := &feed.Builder{Scope: "s"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		(&Decoder{}).Decode(context.Background(), bytes.NewReader(data), bld, func(it *feed.Item) error { return nil })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/attribute")
}
