package main

import (
	"context"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
)

// runTrace prints the ranked origin candidates of an incident, a
// sighting or a set of addresses.
func (m *Main) runTrace(ctx context.Context, args []string) error {
	fs := m.newFlagSet("trace", "--data DIR --org NAME ID|ADDRESS...")
	var gf graphFlags
	gf.register(fs)
	limit := fs.Int("limit", 5, "most candidates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return dragnet.Errorf(dragnet.EINVALID, "name an incident, a sighting, an indicator or addresses to trace from")
	}
	g, a, err := m.loadGraph(ctx, gf)
	if err != nil {
		return err
	}
	cs, err := g.Trace(a, fs.Args(), graph.TraceOptions{Limit: *limit})
	if err != nil {
		return err
	}
	return m.printJSON(map[string]any{"from": fs.Args(), "candidates": cs})
}
