package alert

import (
	"slices"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
)

// CrossBorder returns the cross-border correlations that arose after
// since and involve org's own reports, as org (through a, its Access)
// sees them: one "cross-border" event each, with the countries.
func CrossBorder(g *graph.Graph, a *dragnet.Access, org int64, since time.Time) []Event {
	var out []Event
	for _, ev := range g.CrossBorder(a, since) {
		c, err := g.Correlate(a, ev.Key)
		if err != nil {
			continue
		}
		if !slices.ContainsFunc(c.Reports, func(r graph.OrgReport) bool { return r.OrgID == org }) {
			continue
		}
		out = append(out, Event{
			ID: "cross-border:" + ev.Key + ":" + ev.At.Format(time.RFC3339), Kind: "cross-border", OrgID: org,
			Time: ev.At, Key: ev.Key, Detail: map[string]any{"countries": ev.Countries, "reports": len(c.Reports)},
		})
	}
	return out
}
