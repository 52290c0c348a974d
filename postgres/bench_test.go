package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
			meter := newCPUMeter(b, dbs[0])
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
			meter.report(b, int64(b.N*nodes*1000))
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
			meter := newCPUMeter(b, dbs[0])
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
			meter.report(b, objects.Load())
		})
	}
}

// cpuMeter measures the CPU time this process and the database's server
// processes spend, so that a benchmark can report CPU per object, a figure
// that holds on a busy machine where wall-clock rates do not.
type cpuMeter struct {
	db     *postgres.DB
	self   time.Duration
	server map[int]time.Duration
}

func newCPUMeter(b *testing.B, db *postgres.DB) *cpuMeter {
	m := &cpuMeter{db: db}
	m.self, m.server = selfCPU(), serverCPU(b, db)
	return m
}

// report adds client-cpu-ms/kobj and server-cpu-ms/kobj metrics for
// objects processed since the meter started.
func (m *cpuMeter) report(b *testing.B, objects int64) {
	self := selfCPU() - m.self
	var server time.Duration
	for pid, t := range serverCPU(b, m.db) {
		server += t - m.server[pid]
	}
	if objects > 0 {
		b.ReportMetric(float64(self.Milliseconds())*1000/float64(objects), "client-cpu-ms/kobj")
		b.ReportMetric(float64(server.Milliseconds())*1000/float64(objects), "server-cpu-ms/kobj")
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU reads the CPU time of every server process of the database
// from /proc (the server runs on this machine in benchmarks).
func serverCPU(b *testing.B, db *postgres.DB) map[int]time.Duration {
	rows, err := db.Pool().Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // not on this machine, or gone
		}
		// Fields after the command name: state is 3rd, utime 14th, stime 15th.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return out
}
