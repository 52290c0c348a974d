package graph_test

import (
	"sync"
	"testing"

	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/scenario"
)

var (
	benchOnce  sync.Once
	benchGraph *graph.Graph
	benchScen  *scenario.Scenario
)

// benchWorld is a scenario of about 110,000 objects: two botnets of about
// 10,000 hosts each. (dragnet bench graph runs the million-object one.)
func benchWorld(b *testing.B) (*graph.Graph, *scenario.Scenario) {
	benchOnce.Do(func() {
		benchGraph, benchScen = buildScenario(b, scenario.Config{Seed: 1, Countries: 30, Botnets: 2, Bots: 10_000, Incidents: 20})
	})
	return benchGraph, benchScen
}

func BenchmarkBuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		buildScenario(b, scenario.Config{Seed: 1, Countries: 30, Botnets: 2, Bots: 10_000, Incidents: 20})
	}
}

func BenchmarkTraceIncident(b *testing.B) {
	g, s := benchWorld(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inc := s.Truth.Incidents[i%len(s.Truth.Incidents)]
		if _, err := g.Trace(community, []string{inc.ID}, graph.TraceOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClusters(b *testing.B) {
	g, _ := benchWorld(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Clusters(community, graph.ClusterOptions{})
	}
}

func BenchmarkCorrelate(b *testing.B) {
	g, s := benchWorld(b)
	bots := s.Truth.Botnets[0].Bots
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Correlate(community, bots[i%len(bots)]); err != nil {
			b.Fatal(err)
		}
	}
}
