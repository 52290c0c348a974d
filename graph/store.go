package graph

import (
	"context"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

// Load builds a graph from everything a store holds: the current version
// of every object in every audience. ctx must carry the system principal
// (the scan sees every audience; queries on the graph apply each caller's
// Access). orgs gives the submitters' countries. A record the builder
// refuses (not a readable STIX object) is skipped and counted in skipped.
func Load(ctx context.Context, sc dragnet.ObjectScanner, orgs []*dragnet.Org, opts Options) (g *Graph, skipped int, err error) {
	country := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		country[o.ID] = o.Country
	}
	b := NewBuilder(opts)
	err = sc.ScanObjects(ctx, func(o *dragnet.StoredObject) error {
		r := Record{ID: o.ID, Type: o.Type, AudienceID: o.AudienceID, TLP: o.TLP, OrgID: o.Submitter,
			Country: country[o.Submitter], DateAdded: o.DateAdded, Raw: o.Raw}
		if err := b.Add(&r); err != nil {
			skipped++
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("loading graph: %w", err)
	}
	return b.Build(), skipped, nil
}
