package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/scenario"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// runScenario writes a training scenario, or with "score" generates one,
// ingests it into a fresh store, traces and clusters it, and prints how
// well the truth was recovered.
func (m *Main) runScenario(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "score" {
		return m.runScenarioScore(ctx, args[1:])
	}
	fs := m.newFlagSet("scenario", "[score] --seed N [--countries K] [--botnets B] [--bots N] [--incidents N] --out DIR")
	cfg := scenarioFlags(fs)
	out := fs.String("out", "", "directory to write one STIX bundle per organisation and truth.json into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--out is required")
	}
	s, err := scenario.New(*cfg)
	if err != nil {
		return err
	}
	n, err := s.WriteDir(*out)
	if err != nil {
		return err
	}
	return json.NewEncoder(m.Stdout).Encode(map[string]any{
		"objects": n, "organisations": len(s.Orgs), "botnets": len(s.Truth.Botnets), "incidents": len(s.Truth.Incidents), "out": *out,
	})
}

func scenarioFlags(fs interface {
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
}) *scenario.Config {
	c := &scenario.Config{}
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed (the same seed gives the same scenario)")
	fs.IntVar(&c.Countries, "countries", 12, "reporting countries (2..40)")
	fs.IntVar(&c.Botnets, "botnets", 4, "botnets")
	fs.IntVar(&c.Bots, "bots", 150, "mean bots per botnet")
	fs.IntVar(&c.Incidents, "incidents", 6, "incidents per botnet")
	return c
}

func (m *Main) runScenarioScore(ctx context.Context, args []string) error {
	fs := m.newFlagSet("scenario score", "--seed N [--countries K] [--botnets B] [--bots N] [--incidents N] [--data DIR]")
	cfg := scenarioFlags(fs)
	data := fs.String("data", "", "store directory to ingest into (must not exist; default: a temporary directory, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "dragnet-scenario-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if _, err := os.Stat(dir); err == nil {
		return dragnet.Errorf(dragnet.EINVALID, "--data %s already exists; scoring needs a fresh store", dir)
	}
	s, err := scenario.New(*cfg)
	if err != nil {
		return err
	}
	score, err := scoreScenario(ctx, s, dir)
	if err != nil {
		return err
	}
	return json.NewEncoder(m.Stdout).Encode(score)
}

// scoreScenario generates s, ingests each organisation's bundle as that
// organisation into a fresh store in dir, builds the graph from the store,
// traces every incident as the organisation that reported it, clusters as
// each reporter, and scores the results against the truth.
func scoreScenario(ctx context.Context, s *scenario.Scenario, dir string) (scenario.Score, error) {
	var score scenario.Score
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		return score, err
	}
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	orgs := make([]*dragnet.Org, len(s.Orgs))
	for i, o := range s.Orgs {
		orgs[i] = &dragnet.Org{Name: o.Name, Country: o.Country, Kind: o.Kind}
		if err := db.CreateOrg(sys, orgs[i]); err != nil {
			return score, fmt.Errorf("creating %s: %w", o.Name, err)
		}
	}
	objs := make([][]*dragnet.Submission, len(s.Orgs))
	if _, err := s.Generate(func(org int, raw []byte) error {
		o, err := stix.Decode(raw)
		if err != nil {
			return err
		}
		if err := stix.Validate(o); err != nil {
			return fmt.Errorf("generated object is not valid STIX: %w", err)
		}
		objs[org] = append(objs[org], &dragnet.Submission{Object: o, Values: observable.Values(o)})
		return nil
	}); err != nil {
		return score, err
	}
	for i, subs := range objs {
		octx := dragnet.OrgContext(ctx, orgs[i], dragnet.RoleWrite)
		for len(subs) > 0 {
			n := min(len(subs), 1000)
			res, err := db.AddObjects(octx, dragnet.CommunityCollectionID, "", subs[:n])
			if err != nil {
				return score, fmt.Errorf("ingesting %s: %w", orgs[i].Name, err)
			}
			for _, r := range res {
				if r.Err != nil && dragnet.ErrorCode(r.Err) != dragnet.ECONFLICT {
					return score, fmt.Errorf("ingesting %s: object %s: %w", orgs[i].Name, r.ID, r.Err)
				}
			}
			subs = subs[n:]
		}
		objs[i] = nil
	}
	g, _, err := graph.Load(sys, db, orgs, graph.Options{})
	if err != nil {
		return score, err
	}
	byName := map[string]*dragnet.Org{}
	for _, o := range orgs {
		byName[o.Name] = o
	}
	access := func(o *dragnet.Org) (*dragnet.Access, error) {
		return db.Access(dragnet.OrgContext(ctx, o, dragnet.RoleRead))
	}
	ranked := map[string][]string{}
	for _, inc := range s.Truth.Incidents {
		a, err := access(byName[inc.Reporter])
		if err != nil {
			return score, err
		}
		cs, err := g.Trace(a, []string{inc.ID}, graph.TraceOptions{})
		if err != nil {
			return score, fmt.Errorf("tracing %s: %w", inc.ID, err)
		}
		for _, c := range cs {
			ranked[inc.ID] = append(ranked[inc.ID], c.ID)
		}
	}
	a, err := access(orgs[0])
	if err != nil {
		return score, err
	}
	var clusters [][]string
	for _, c := range g.Clusters(a, graph.ClusterOptions{}) {
		var ips []string
		for _, mem := range c.Members {
			if strings.HasPrefix(mem.ID, string(dragnet.ValueIPv4)+":") {
				ips = append(ips, mem.Name)
			}
		}
		clusters = append(clusters, ips)
	}
	return s.Truth.Evaluate(ranked, clusters), nil
}
