package main

import (
	"context"

	"github.com/dragnet-intel/dragnet/graph"
)

// runCluster prints the botnet clusters the organisation can see, one
// JSON line each, largest first.
func (m *Main) runCluster(ctx context.Context, args []string) error {
	fs := m.newFlagSet("cluster", "--data DIR --org NAME [--min N]")
	var gf graphFlags
	gf.register(fs)
	minSize := fs.Int("min", 2, "fewest hosts a cluster must have")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	g, a, err := m.loadGraph(ctx, gf)
	if err != nil {
		return err
	}
	for _, c := range g.Clusters(a, graph.ClusterOptions{MinSize: *minSize}) {
		if err := m.printJSON(c); err != nil {
			return err
		}
	}
	return nil
}
