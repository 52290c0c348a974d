package graph

import (
	"slices"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Node is a node as a caller sees it.
type Node struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Name    string    `json:"name,omitempty"`
	Popular bool      `json:"popular,omitempty"`
	First   time.Time `json:"first_seen,omitzero"`
	Last    time.Time `json:"last_seen,omitzero"`
}

// Edge is an edge as a caller sees it: From asserts Label about To (a
// relationship's source and target, the object holding a reference and
// the referenced object, the object carrying a value and the value). Via
// is the object that asserts it (the relationship, or From itself).
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Via   string `json:"via"`
	Label string `json:"label"`
	Kind  string `json:"kind"` // ref, relationship, value, provenance
}

func (v *view) node(n NodeID) Node {
	g := v.g
	out := Node{ID: g.ID(n), Type: g.Type(n), Popular: v.popular(n)}
	if g.IsValue(n) {
		out.Name = out.ID[len(g.strs[g.typ[n]])+1:]
		return out
	}
	out.Name = v.name(n)
	if f, l, ok := v.timeRange(n); ok {
		out.First, out.Last = time.Unix(f, 0).UTC(), time.Unix(l, 0).UTC()
	}
	return out
}

func (v *view) edge(at NodeID, h half) Edge {
	g := v.g
	from, to := g.ID(at), g.ID(h.to)
	if h.dir == dirIn {
		from, to = to, from
	}
	return Edge{From: from, To: to, Via: g.ID(h.via), Label: g.label(h), Kind: kindNames[h.kind]}
}

// start resolves a query's starting point: a STIX id or "kind:value". It
// answers ENOTFOUND when the node is absent or not visible (the two are
// never distinguished).
func (v *view) start(id string) (NodeID, error) {
	n := v.g.Lookup(id)
	if n == None || !v.visible(n) {
		return None, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", id)
	}
	return n, nil
}

// NeighbourhoodQuery selects a neighbourhood.
type NeighbourhoodQuery struct {
	Depth      int       // hops from the start; 0 means 1, at most 6
	Types      []string  // if set, only nodes of these types (and "value") are entered
	Since      time.Time // if set, only objects last seen at or after it
	Until      time.Time // if set, only objects first seen at or before it
	Limit      int       // most nodes returned; 0 means 1,000
	Provenance bool      // also follow created_by_ref, markings and where_sighted_refs
}

// Subgraph is the answer to a neighbourhood query.
type Subgraph struct {
	Nodes     []Node `json:"nodes"`
	Edges     []Edge `json:"edges"`
	Truncated bool   `json:"truncated,omitempty"` // Limit was reached
}

// Neighbourhood returns the visible nodes within q.Depth hops of id and
// the visible edges between them. Popular nodes are shown but not passed
// through. ENOTFOUND if id is absent or invisible to a.
func (g *Graph) Neighbourhood(a *dragnet.Access, id string, q NeighbourhoodQuery) (*Subgraph, error) {
	v := g.view(a)
	s, err := v.start(id)
	if err != nil {
		return nil, err
	}
	depth := min(max(q.Depth, 1), 6)
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	var types []uint16
	for _, t := range q.Types {
		if i, ok := g.typeIndex(t); ok {
			types = append(types, i)
		}
	}
	enter := func(n NodeID) bool {
		if g.IsValue(n) {
			return true
		}
		if q.Types != nil && !slices.Contains(types, g.typ[n]) {
			return false
		}
		if !q.Since.IsZero() || !q.Until.IsZero() {
			f, l, _ := v.timeRange(n)
			if !q.Since.IsZero() && l < q.Since.Unix() {
				return false
			}
			if !q.Until.IsZero() && f > q.Until.Unix() {
				return false
			}
		}
		return true
	}
	seen := map[NodeID]bool{s: true}
	order := []NodeID{s}
	frontier := []NodeID{s}
	out := &Subgraph{}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []NodeID
		for _, n := range frontier {
			if n != s && v.popular(n) {
				continue
			}
			for _, h := range g.edges(n) {
				if seen[h.to] || (h.kind == KindProvenance && !q.Provenance) {
					continue
				}
				if !v.edgeVisible(h) || !enter(h.to) {
					continue
				}
				if len(order) >= limit {
					out.Truncated = true
					break
				}
				seen[h.to] = true
				order = append(order, h.to)
				next = append(next, h.to)
			}
		}
		frontier = next
	}
	for _, n := range order {
		out.Nodes = append(out.Nodes, v.node(n))
		for _, h := range g.edges(n) {
			// Each edge once: from its source's side.
			if h.dir != dirOut || !seen[h.to] || (h.kind == KindProvenance && !q.Provenance) {
				continue
			}
			if v.edgeVisible(h) {
				out.Edges = append(out.Edges, v.edge(n, h))
			}
		}
	}
	return out, nil
}

// Path returns the best evidence path from one node to another over the
// edges a may see, at most maxHops long (0 means 8), not passing through
// popular nodes nor provenance edges: the chain of objects that links them
// that is most believed, preferring confident relationships to fewer hops
// (see edgeCost); of equally believed chains, the shortest.
// ENOTFOUND if either end is absent or invisible, or no path exists.
func (g *Graph) Path(a *dragnet.Access, from, to string, maxHops int) ([]Edge, error) {
	v := g.view(a)
	s, err := v.start(from)
	if err != nil {
		return nil, err
	}
	t, err := v.start(to)
	if err != nil {
		return nil, err
	}
	if maxHops <= 0 {
		maxHops = 8
	}
	p := v.path([]NodeID{s}, t, maxHops, nil)
	if p == nil && s != t {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no evidence path from %s to %s within %d hops", from, to, maxHops)
	}
	return p, nil
}
