package graph_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/scenario"
)

func TestTmp(t *testing.T) {
	for _, cfg := range []scenario.Config{{Seed: 7, Botnets: 20, Countries: 30}, {Seed: 8, Botnets: 40, Countries: 40, Bots: 60}, {Seed: 9, Botnets: 3, Countries: 5, Bots: 2000}} {
		g, s := buildScenario(t, cfg)
		sc := evaluate(t, g, s, community)
		t.Logf("%+v: nodes %d edges %d: %+v", cfg, g.Len(), g.Edges(), sc)
	}
	g, s := buildScenario(t, scenario.Config{Seed: 3})
	cs, _ := g.Trace(community, []string{s.Truth.Incidents[0].ID}, graph.TraceOptions{})
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", " ")
	e.Encode(cs)
	t.Log(s.Truth.Incidents[0], s.Truth.Operators)
}
