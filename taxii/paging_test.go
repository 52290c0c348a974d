package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// genIndicator returns a realistic indicator of about 600 bytes with a
// unique id derived from n.
func genIndicator(n int) json.RawMessage {
	ip := fmt.Sprintf("%d.%d.%d.%d", 10+n>>24&0x7f, n>>16&0xff, n>>8&0xff, n&0xff)
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-%012x",`+
		`"created":"2024-04-06T20:03:48.000Z","modified":"2024-04-06T20:03:48.000Z",`+
		`"name":"Botnet C2 server %s","description":"IP address observed acting as a command-and-control server for a banking trojan botnet.",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix",`+
		`"valid_from":"2024-04-06T20:03:48Z","labels":["botnet","c2"],"confidence":80,`+
		`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],`+
		`"external_references":[{"source_name":"feodotracker","url":"https://feodotracker.abuse.ch/browse/host/%s/"}]}`,
		n, n, ip, ip, ip))
}

func objectID(t testing.TB, raw json.RawMessage) string {
	var h struct{ ID string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.ID
}

// TestPagingWhileWriting pages through a collection with small pages,
// following next and resuming from X-TAXII-Date-Added-Last, while another
// goroutine keeps posting: no object is skipped and none is read twice.
func TestPagingWhileWriting(t *testing.T) {
	w := newWorld(t, Config{})
	coll := w.ids["community"]
	ctx := context.Background()
	const batches, perBatch = 30, 25
	written := map[string]bool{}
	var all [][]json.RawMessage
	for b := 0; b < batches; b++ {
		var objs []json.RawMessage
		for i := 0; i < perBatch; i++ {
			o := genIndicator(b*perBatch + i)
			written[objectID(t, o)] = true
			objs = append(objs, o)
		}
		all = append(all, objs)
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		c := w.client("acme/write")
		for _, objs := range all {
			st, err := c.AddObjects(ctx, coll, objs)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := c.WaitStatus(ctx, st.ID, time.Millisecond); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	seen := map[string]int{}
	reader := w.client("bravo/read")
	var last time.Time
	finished := false
	for rounds := 0; ; rounds++ {
		select {
		case <-done:
			finished = true
		default:
		}
		var err error
		last, err = reader.GetObjects(ctx, coll, Query{AddedAfter: last, Limit: 7}, func(p *Page) error {
			for _, o := range p.Objects {
				seen[objectID(t, o)]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if finished {
			break // one full pass after the writer ended
		}
		if rounds > 100000 {
			t.Fatal("reader never caught up")
		}
	}
	wg.Wait()
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s read %d times", id, n)
		}
	}
	for id := range written {
		if seen[id] == 0 {
			t.Errorf("%s never read", id)
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d objects written while paging; all read exactly once", len(written))
}
