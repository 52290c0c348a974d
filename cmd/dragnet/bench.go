package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/taxii"
)

// runBench dispatches the benchmarks of user-visible figures.
func (m *Main) runBench(ctx context.Context, args []string) error {
	return m.runSub(ctx, "bench", args, map[string]subcommand{
		"taxii":  {"TAXII 2.1 add, paging and get-object throughput and latency", (*Main).runBenchTAXII},
		"match":  {"lookup rates of the compiled indicator index against plain Go maps", (*Main).runBenchMatch},
		"ingest": {"ingest rates of a generated CSV feed and MISP event, stored and decode-only", (*Main).runBenchIngest},
		"graph":  {"neighbourhood and trace latency, clustering time and correlation rate on a million-object scenario", (*Main).runBenchGraph},
	})
}

// taxiiBenchResult is the one JSON line dragnet bench taxii prints.
type taxiiBenchResult struct {
	Objects           int     `json:"objects"`
	Store             string  `json:"store"`
	Nodes             int     `json:"nodes"`
	AddObjectsPerSec  float64 `json:"add_objects_per_sec"`
	AddSeconds        float64 `json:"add_seconds"`
	AddCPUSeconds     float64 `json:"add_cpu_seconds"` // user+system CPU of the process (servers and clients)
	PageObjectsPerSec float64 `json:"page_objects_per_sec"`
	PageSeconds       float64 `json:"page_seconds"`
	PageCPUSeconds    float64 `json:"page_cpu_seconds"`
	PagedObjects      int     `json:"paged_objects"`
	Gets              int     `json:"gets"`
	GetObjectP50Ms    float64 `json:"get_object_p50_ms"`
	GetObjectP99Ms    float64 `json:"get_object_p99_ms"`
	PeakRSSBytes      int64   `json:"peak_rss_bytes"`
}

// benchNode is one TAXII server on its own store handle (its own
// connection pool, as a separate process would have) and a client of it.
type benchNode struct {
	st  dragnet.Store
	srv *http.Server
	tx  *taxii.Server
	c   *taxii.Client
}

func (m *Main) runBenchTAXII(ctx context.Context, args []string) error {
	fs := m.newFlagSet("bench taxii", "[--objects N] [--data DIR | --db postgres://… [--nodes N]]")
	var sf storeFlags
	sf.register(fs)
	n := fs.Int("objects", 1_000_000, "indicators to add, page through and read")
	batch := fs.Int("batch", 1000, "indicators per posted envelope")
	pageSize := fs.Int("page", 1000, "objects per page when paging")
	gets := fs.Int("gets", 10000, "random get-object requests")
	nodes := fs.Int("nodes", 1, "servers on one PostgreSQL database (--db only); adds and pages are split across them")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *n < 1 || *batch < 1 || *pageSize < 1 || *gets < 0 || *nodes < 1 {
		return dragnet.Errorf(dragnet.EINVALID, "--objects, --batch, --page and --nodes must be positive, --gets not negative")
	}
	if *nodes > 1 && sf.db == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--nodes needs --db postgres://…: nodes share one PostgreSQL database")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	storeName := "sqlite"
	if sf.data == "" && sf.db == "" {
		dir, err := os.MkdirTemp("", "dragnet-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		sf.data = dir
	}
	if sf.db != "" {
		storeName = "postgres"
	}
	ns := make([]*benchNode, *nodes)
	for i := range ns {
		st, err := m.openStore(ctx, sf)
		if err != nil {
			return err
		}
		defer st.Close()
		ns[i] = &benchNode{st: st}
	}

	// A fresh organisation per run, so that runs on one store do not meet.
	sys := dragnet.SystemContext(ctx)
	st := ns[0].st
	if _, _, _, err := st.EnsureOperator(sys, "operator", dragnet.CountryInternational); err != nil {
		return fmt.Errorf("creating the operator organisation: %w", err)
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	run := uint16(suffix[0])<<8 | uint16(suffix[1])
	org := &dragnet.Org{Name: "bench-" + hex.EncodeToString(suffix[:]), Country: "DE", Kind: dragnet.KindVendor}
	if err := st.CreateOrg(sys, org); err != nil {
		return err
	}
	secret, _, err := st.CreateToken(sys, org.Name, dragnet.RoleWrite, "bench", time.Time{})
	if err != nil {
		return err
	}

	for _, nd := range ns {
		a := auth.New(nd.st, auth.Options{Logger: m.Logger, RequestsPerSecond: 1e9})
		nd.tx = taxii.NewServer(nd.st, a, taxii.Config{Logger: m.Logger})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		nd.srv = &http.Server{Handler: nd.tx, ReadHeaderTimeout: 10 * time.Second}
		go nd.srv.Serve(ln)
		defer func(nd *benchNode) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			nd.srv.Shutdown(sctx)
			nd.tx.Close(sctx)
		}(nd)
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Minute}
		if nd.c, err = taxii.NewClient("http://"+ln.Addr().String(), taxii.ClientOptions{HTTPClient: hc, User: org.Name, Token: secret}); err != nil {
			return err
		}
	}
	coll := dragnet.CommunityCollectionID
	res := taxiiBenchResult{Objects: *n, Store: storeName, Nodes: *nodes, Gets: *gets}

	// Add: envelopes of --batch indicators; envelope k goes to node k mod
	// --nodes, each node's envelopes one after another, the nodes at once.
	// A server answers 202 once an envelope is validated and stores it
	// meanwhile; the phase ends when every status is complete.
	m.Logger.Info("bench taxii: adding", "objects", *n, "batch", *batch, "nodes", *nodes)
	start, cpu := time.Now(), cpuTime()
	err = eachNode(ns, func(k int, nd *benchNode) error {
		var statuses []string
		var env bytes.Buffer
		for i := k * *batch; i < *n; i += *batch * len(ns) {
			env.Reset()
			env.WriteString(`{"objects":[`)
			for j := i; j < min(i+*batch, *n); j++ {
				if j > i {
					env.WriteByte(',')
				}
				env.Write(benchIndicator(run, j))
			}
			env.WriteString(`]}`)
			s, err := nd.c.AddEnvelope(ctx, coll, env.Bytes())
			if err != nil {
				return fmt.Errorf("adding objects %d-%d: %w", i, i+*batch-1, err)
			}
			if s.FailureCount > 0 {
				return fmt.Errorf("adding objects %d-%d: %d failed, first: %s", i, i+*batch-1, s.FailureCount, s.Failures[0].Message)
			}
			statuses = append(statuses, s.ID)
		}
		for _, id := range statuses {
			// A status that stays pending this long means the server
			// failed to store the envelope (its log says why).
			wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			s, err := nd.c.WaitStatus(wctx, id, 20*time.Millisecond)
			cancel()
			if err != nil {
				return fmt.Errorf("waiting for status %s: %w", id, err)
			}
			if s.SuccessCount != s.TotalCount {
				return fmt.Errorf("status %s: %d of %d objects stored", id, s.SuccessCount, s.TotalCount)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	res.AddSeconds = el.Seconds()
	res.AddCPUSeconds = (cpuTime() - cpu).Seconds()
	res.AddObjectsPerSec = float64(*n) / el.Seconds()

	// Page through the whole collection. With several nodes, each pages
	// through all of it at once with the others, and the figure is the
	// objects served per second by all of them together.
	m.Logger.Info("bench taxii: paging", "page", *pageSize, "nodes", *nodes)
	start, cpu = time.Now(), cpuTime()
	paged := make([]int, len(ns))
	err = eachNode(ns, func(k int, nd *benchNode) error {
		_, err := nd.c.GetObjects(ctx, coll, taxii.Query{Limit: *pageSize}, func(p *taxii.Page) error {
			paged[k] += len(p.Objects)
			return nil
		})
		if err != nil {
			return fmt.Errorf("paging through node %d: %w", k, err)
		}
		if paged[k] < *n {
			return fmt.Errorf("paging through node %d read %d objects, want at least %d", k, paged[k], *n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	el = time.Since(start)
	for _, p := range paged {
		res.PagedObjects += p
	}
	res.PageSeconds = el.Seconds()
	res.PageCPUSeconds = (cpuTime() - cpu).Seconds()
	res.PageObjectsPerSec = float64(res.PagedObjects) / el.Seconds()

	// Random get-object requests, taking the nodes in turn.
	m.Logger.Info("bench taxii: get-object", "requests", *gets)
	lat := make([]time.Duration, 0, *gets)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for g := range *gets {
		id := benchIndicatorID(run, rng.IntN(*n))
		t := time.Now()
		p, err := ns[g%len(ns)].c.GetObject(ctx, coll, id, taxii.Query{})
		if err != nil {
			return fmt.Errorf("getting %s: %w", id, err)
		}
		lat = append(lat, time.Since(t))
		if len(p.Objects) != 1 {
			return fmt.Errorf("getting %s: %d objects", id, len(p.Objects))
		}
	}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		res.GetObjectP50Ms, res.GetObjectP99Ms = pct(0.50), pct(0.99)
	}
	res.PeakRSSBytes = peakRSS()
	out, _ := json.Marshal(res)
	fmt.Fprintln(m.Stdout, string(out))
	return nil
}

// eachNode runs fn for every node at once and returns the first error.
func eachNode(ns []*benchNode, fn func(k int, nd *benchNode) error) error {
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for k, nd := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = fn(k, nd)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// benchIndicatorID is the id of generated indicator i of a run: runs on
// one store (a PostgreSQL database kept between runs) add new objects
// rather than re-publish those of earlier runs.
func benchIndicatorID(run uint16, i int) string {
	return fmt.Sprintf("indicator--%08x-5e1c-4b8a-%04x-%012x", uint32(i), 0x8000|run&0x3fff, uint64(i)*2654435761%(1<<48))
}

// benchIndicator returns generated indicator i, about 600 bytes, with a
// realistic pattern on an IPv4 address, a domain, a URL, a file hash or
// an e-mail address.
func benchIndicator(run uint16, i int) []byte {
	a, b, c := i>>16&0xff, i>>8&0xff, i&0xff
	var name, pattern string
	switch i % 5 {
	case 0:
		ip := fmt.Sprintf("198.%d.%d.%d", a, b, c)
		name, pattern = "Botnet C2 server "+ip, "[ipv4-addr:value = '"+ip+"']"
	case 1:
		d := fmt.Sprintf("upd%06x.cdn-telemetry.example", i)
		name, pattern = "Phishing domain "+d, "[domain-name:value = '"+d+"']"
	case 2:
		u := fmt.Sprintf("http://files%d.example.net/gate.php?id=%d", a, i)
		name, pattern = "Malware download URL", "[url:value = '"+u+"']"
	case 3:
		h := fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15)
		name, pattern = "Ransomware loader", "[file:hashes.'SHA-256' = '"+h+"']"
	default:
		e := fmt.Sprintf("billing%d@invoice-notice.example", i)
		name, pattern = "Phishing sender", "[email-addr:value = '"+e+"']"
	}
	return []byte(`{"type":"indicator","spec_version":"2.1","id":"` + benchIndicatorID(run, i) + `",` +
		`"created":"2024-04-06T20:03:48.000Z","modified":"2024-04-06T20:03:48.000Z",` +
		`"name":` + strconv.Quote(name) + `,"description":"Observed in a banking-trojan campaign; reported by a member CERT.",` +
		`"indicator_types":["malicious-activity"],"pattern":` + strconv.Quote(pattern) + `,"pattern_type":"stix",` +
		`"valid_from":"2024-04-06T20:03:48Z","labels":["botnet","c2"],"confidence":80,` +
		`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],` +
		`"external_references":[{"source_name":"member-report","external_id":"MR-` + strconv.Itoa(i) + `"}]}`)
}

// cpuTime is the user and system CPU time the process has used. On a
// shared machine it tells what a phase cost, whatever else ran.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reads the process's peak resident set size (VmHWM), in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
