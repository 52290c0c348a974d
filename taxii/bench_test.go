package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"syscall"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// BenchmarkDecodeEnvelope measures streaming decoding and validation of an
// envelope of 1,000 generated indicators, as POST does it.
func BenchmarkDecodeEnvelope(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"objects":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(genIndicator(i))
	}
	buf.WriteString(`]}`)
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		err := decodeEnvelope(bytes.NewReader(body), func(i int, raw json.RawMessage) error {
			if _, _, err := decodeObject(raw); err != nil {
				b.Fatal(err)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "objects/s")
}

var benchPagingObjects = flag.Int("paging-objects", 10000, "objects stored for BenchmarkPaging")

// BenchmarkPaging pages through one collection over HTTP, 1,000 objects a
// page, as organisation bravo. The same objects are published twice: to
// the community, where every member's access admits every object (the
// reader sees everything), and to the collection of group "outer", which
// bravo reaches only through nested membership (outer ⊃ inner ⊃ bravo),
// so every page goes through the full policy. The difference is what the
// policy costs; compare cpu-µs/object, which a busy machine does not
// disturb as it does objects/s.
func BenchmarkPaging(b *testing.B) {
	w := newWorld(b, Config{})
	sys := dragnet.SystemContext(context.Background())
	if _, err := w.store.CreateGroup(sys, "inner", []string{"bravo"}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.store.CreateGroup(sys, "outer", []string{"inner", "acme"}); err != nil {
		b.Fatal(err)
	}
	cs, err := w.store.Collections(w.ctx("acme/write"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == "outer" {
			w.ids["outer"] = c.CollectionID
		}
	}
	for i := 0; i < *benchPagingObjects; i += 1000 {
		var objs []json.RawMessage
		for j := i; j < min(i+1000, *benchPagingObjects); j++ {
			objs = append(objs, genIndicator(j))
		}
		w.post("acme/write", w.ids["community"], objs)
		w.post("acme/write", w.ids["outer"], objs)
	}
	reader := w.client("bravo/read")
	for _, name := range []string{"community", "outer"} {
		b.Run(name, func(b *testing.B) {
			n := 0
			cpu := cpuTime()
			for b.Loop() {
				_, err := reader.GetObjects(context.Background(), w.ids[name], Query{Limit: 1000}, func(p *Page) error {
					n += len(p.Objects)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
			// CPU per object (server and client, one process) does not
			// depend on what else the machine runs.
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n), "cpu-µs/object")
		})
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
