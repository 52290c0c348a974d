package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/scenario"
)

// community is the one audience every scenario object is published to in
// these tests.
var community = &dragnet.Access{OrgID: 1, Audiences: []int64{1}}

// buildScenario generates a scenario and builds its graph as the store
// would feed it: each organisation's objects in the community audience.
func buildScenario(tb testing.TB, cfg scenario.Config) (*graph.Graph, *scenario.Scenario) {
	tb.Helper()
	s, err := scenario.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	b := graph.NewBuilder(graph.Options{})
	added := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	_, err = s.Generate(func(org int, raw []byte) error {
		id, typ := idOf(raw)
		return b.Add(&graph.Record{ID: id, Type: typ, AudienceID: 1, OrgID: int64(org + 1), Country: s.Orgs[org].Country, DateAdded: added, Raw: raw})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b.Build(), s
}

// idOf reads id and type the cheap way (the generator writes them plainly).
func idOf(raw []byte) (id, typ string) {
	s := string(raw)
	i := strings.Index(s, `"id":"`) + 6
	id = s[i : i+strings.IndexByte(s[i:], '"')]
	return id, id[:strings.Index(id, "--")]
}

// evaluate traces every incident and clusters the hosts, as the caller.
func evaluate(tb testing.TB, g *graph.Graph, s *scenario.Scenario, a *dragnet.Access) scenario.Score {
	tb.Helper()
	ranked := map[string][]string{}
	for _, inc := range s.Truth.Incidents {
		cs, err := g.Trace(a, []string{inc.ID}, graph.TraceOptions{})
		if err != nil {
			tb.Fatalf("trace %s: %v", inc.ID, err)
		}
		for _, c := range cs {
			ranked[inc.ID] = append(ranked[inc.ID], c.ID)
		}
	}
	var clusters [][]string
	for _, c := range g.Clusters(a, graph.ClusterOptions{}) {
		var ips []string
		for _, m := range c.Members {
			if strings.HasPrefix(m.ID, "ipv4:") {
				ips = append(ips, m.Name)
			}
		}
		clusters = append(clusters, ips)
	}
	return s.Truth.Evaluate(ranked, clusters)
}

// TestScenarioScore holds the tracer and the clusterer to the targets on
// fixed seeds of scenarios of several shapes.
func TestScenarioScore(t *testing.T) {
	for _, cfg := range []scenario.Config{
		{Seed: 101},
		{Seed: 102, Countries: 30, Botnets: 12, Bots: 80},
		{Seed: 103, Countries: 5, Botnets: 2, Bots: 600, Incidents: 10},
	} {
		g, s := buildScenario(t, cfg)
		sc := evaluate(t, g, s, community)
		t.Logf("%+v: %d nodes, %d edges: %+v", cfg, g.Len(), g.Edges(), sc)
		if sc.TraceTop1 < 0.9 || sc.TraceTop3 < 0.98 || sc.ClusterF1 < 0.9 {
			t.Errorf("seed %d: top1 %.3f top3 %.3f F1 %.3f; want at least 0.9, 0.98, 0.9", cfg.Seed, sc.TraceTop1, sc.TraceTop3, sc.ClusterF1)
		}
	}
}
