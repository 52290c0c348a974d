package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/scenario"
)

// runBenchGraph measures the graph on a generated scenario of about a
// million objects (two botnets of about 100,000 hosts each, by default):
// depth-2 neighbourhoods, traces, clustering and correlation look-ups,
// as one organisation that sees the community. It prints one JSON line.
func (m *Main) runBenchGraph(ctx context.Context, args []string) error {
	fs := m.newFlagSet("bench graph", "[--seed N] [--bots N] [--botnets B] [--queries N]")
	seed := fs.Uint64("seed", 1, "scenario seed")
	bots := fs.Int("bots", 100_000, "mean bots per botnet")
	botnets := fs.Int("botnets", 2, "botnets")
	queries := fs.Int("queries", 500, "neighbourhood and trace queries to time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	s, err := scenario.New(scenario.Config{Seed: *seed, Countries: 30, Botnets: *botnets, Bots: *bots, Incidents: 50})
	if err != nil {
		return err
	}
	start := time.Now()
	b := graph.NewBuilder(graph.Options{})
	added := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var addrs []string
	objects, err := s.Generate(func(org int, raw []byte) error {
		var h struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			Value string `json:"value"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			return err
		}
		if h.Type == "ipv4-addr" {
			addrs = append(addrs, h.Value)
		}
		return b.Add(&graph.Record{ID: h.ID, Type: h.Type, AudienceID: 1, OrgID: int64(org + 1), Country: s.Orgs[org].Country, DateAdded: added, Raw: raw})
	})
	if err != nil {
		return err
	}
	g := b.Build()
	build := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	a := &dragnet.Access{OrgID: 1, Audiences: []int64{1}}
	r := rand.New(rand.NewPCG(*seed, 7))

	// Neighbourhoods of random nodes.
	var nb []time.Duration
	for i := 0; i < *queries; i++ {
		id := g.ID(graph.NodeID(r.IntN(g.Len())))
		t := time.Now()
		if _, err := g.Neighbourhood(a, id, graph.NeighbourhoodQuery{Depth: 2}); err != nil && dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
			return err
		}
		nb = append(nb, time.Since(t))
	}

	// Traces: from every incident, and from random sets of five attacking
	// addresses.
	var tr []time.Duration
	traceOne := func(from []string) error {
		t := time.Now()
		if _, err := g.Trace(a, from, graph.TraceOptions{}); err != nil && dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
			return err
		}
		tr = append(tr, time.Since(t))
		return nil
	}
	for _, inc := range s.Truth.Incidents {
		if err := traceOne([]string{inc.ID}); err != nil {
			return err
		}
	}
	for len(tr) < *queries {
		from := make([]string, 5)
		for k := range from {
			from[k] = addrs[r.IntN(len(addrs))]
		}
		if err := traceOne(from); err != nil {
			return err
		}
	}

	t := time.Now()
	clusters := g.Clusters(a, graph.ClusterOptions{})
	clusterTime := time.Since(t)
	largest := 0
	if len(clusters) > 0 {
		largest = clusters[0].Size
	}

	// Correlation look-ups of random addresses for about a second.
	n := 0
	t = time.Now()
	for time.Since(t) < time.Second {
		for k := 0; k < 100; k++ {
			if _, err := g.Correlate(a, addrs[r.IntN(len(addrs))]); err != nil {
				return err
			}
			n++
		}
	}
	corr := float64(n) / time.Since(t).Seconds()

	return m.printJSON(map[string]any{
		"objects": objects, "nodes": g.Len(), "edges": g.Edges(), "build_seconds": graphRound(build.Seconds()),
		"heap_mib":             ms.HeapAlloc >> 20,
		"neighbourhood_p50_ms": graphP50(nb), "neighbourhood_p99_ms": graphP99(nb),
		"trace_p50_ms": graphP50(tr), "trace_p99_ms": graphP99(tr),
		"cluster_seconds": graphRound(clusterTime.Seconds()), "clusters": len(clusters), "largest_cluster_hosts": largest,
		"correlation_lookups_per_second": int(corr),
	})
}

func graphPercentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return graphRound(float64(s[min(len(s)-1, int(float64(len(s))*p))]) / 1e6)
}

func graphP50(ds []time.Duration) float64 { return graphPercentile(ds, 0.50) }
func graphP99(ds []time.Duration) float64 { return graphPercentile(ds, 0.99) }

func graphRound(x float64) float64 {
	v, _ := json.Number(strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".")).Float64()
	return v
}
