package csv

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/dragnet-intel/dragnet/feed"
)

func BenchmarkDecode(b *testing.B) {
	var in bytes.Buffer
	in.WriteString("# value,first_seen,comment\n")
	for i := 0; i < 10000; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&in, "10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)
		case 1:
			fmt.Fprintf(&in, "c2-%d.example.com", i)
		case 2:
			fmt.Fprintf(&in, "http://dl-%d.example.net/p/x.bin", i)
		default:
			fmt.Fprintf(&in, "%064x", i)
		}
		fmt.Fprintf(&in, ",2026-01-%02d 10:00:00,botnet c2\n", 1+i%28)
	}
	data := in.Bytes()
	bld := testBuilder()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		(&Decoder{}).Decode(context.Background(), bytes.NewReader(data), bld, func(it *feed.Item) error { n++; return nil })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/entry")
}
