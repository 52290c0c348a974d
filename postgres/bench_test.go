package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/stix"
)

// benchIndicator is a realistic indicator of about 600 bytes with its
// value.
func benchIndicator(b testing.TB, n int) *dragnet.Submission {
	ip := fmt.Sprintf("%d.%d.%d.%d", 11+n>>24&127, n>>16&255, n>>8&255, n&255)
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--a0b1c2d3-0000-4000-8000-%012d",`+
		`"created":"2025-03-01T10:00:00.000Z","modified":"2025-03-01T10:00:00.000Z","name":"Botnet C2 %s",`+
		`"description":"Command and control server of a credential-stealing botnet, seen relaying traffic for ransomware operators.",`+
		`"indicator_types":["malicious-activity","attribution"],"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix",`+
		`"valid_from":"2025-03-01T10:00:00Z","valid_until":"2026-03-01T10:00:00Z","confidence":80,"labels":["botnet","c2"],`+
		`"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],`+
		`"object_marking_refs":["%s"]}`, n, ip, ip, dragnet.TLP2Green)
	o, err := stix.Decode([]byte(raw))
	if err != nil {
		b.Fatal(err)
	}
	return &dragnet.Submission{Object: o, Values: []dragnet.Value{{Kind: dragnet.ValueIPv4, Value: ip}}}
}

func benchBatches(b testing.TB, start, batches, size int) [][]*dragnet.Submission {
	out := make([][]*dragnet.Submission, batches)
	for i := range out {
		out[i] = make([]*dragnet.Submission, size)
		for j := range out[i] {
			out[i][j] = benchIndicator(b, start+i*size+j)
		}
	}
	return out
}

func addAll(b testing.TB, db *postgres.DB, ctx context.Context, batch []*dragnet.Submission) {
	res, err := db.AddObjects(ctx, dragnet.CommunityCollectionID, "", batch)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkAddObjects adds batches of 1,000 indicators through one node
// (nodes=1) or through two nodes at once (nodes=2); objects/s is the
// figure (target ≥ 20,000).
func BenchmarkAddObjects(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			schema := pgtest.Schema(b)
			dbs := make([]*postgres.DB, nodes)
			for i := range dbs {
				dbs[i] = pgtest.OpenSchema(b, postgres.Options{Schema: schema})
			}
			w := newWorld(&testing.T{}, dbs[0])
			batches := benchBatches(b, 0, b.N*nodes, 1000)
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range b.N {
						addAll(b, db, w.actx, batches[k*nodes+i])
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*nodes*1000)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkPage pages with limit 1,000 (default filters, raw JSON) through
// a collection of DRAGNET_BENCH_OBJECTS objects (default 1,000,000), by
// one reader (nodes=1) or by one reader on each of two nodes; objects/s is
// the figure (target ≥ 50,000).
func BenchmarkPage(b *testing.B) {
	total := 1_000_000
	if s := os.Getenv("DRAGNET_BENCH_OBJECTS"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	schema := pgtest.Schema(b)
	seed := pgtest.OpenSchema(b, postgres.Options{Schema: schema})
	w := newWorld(&testing.T{}, seed)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(5000)) - 5000
				if start >= total {
					return
				}
				addAll(b, seed, w.actx, benchBatches(b, start, 1, min(5000, total-start))[0])
			}
		}()
	}
	wg.Wait()
	if _, err := seed.Pool().Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("objects=%d/nodes=%d", total, nodes), func(b *testing.B) {
			dbs := make([]*postgres.DB, nodes)
			for i := range dbs {
				dbs[i] = pgtest.OpenSchema(b, postgres.Options{Schema: schema})
			}
			var objects atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f := dragnet.Filter{Limit: 1000}
					for range b.N {
						p, err := db.Objects(w.bctx, dragnet.CommunityCollectionID, f, true)
						if err != nil {
							b.Error(err)
							return
						}
						objects.Add(int64(len(p.Objects)))
						f.Next = p.Next
						if !p.More {
							f.Next = ""
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(objects.Load())/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
