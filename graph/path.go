package graph

import (
	"math"
	"slices"
)

type step struct {
	prev NodeID
	h    half
}

// path finds the best evidence path from any of the sources to t within
// maxHops: the one whose edges are most believed together (see edgeCost),
// so that a chain of confident relationships beats a shorter one through a
// doubtful relationship, and of equally believed chains the shortest wins.
// When within is not nil, only nodes it accepts are entered (t always
// is).
//
// It is a hop-bounded Bellman-Ford by layers: layer d holds the nodes
// whose best cost improved with d hops, and the step that improved it, so
// that the path read back from t is exactly the one its cost was found
// by. Labels that cost as much as the best path to t found so far are not
// spread further (costs are positive); the first bound is the cost of a
// path of fewest hops, which is kept unless a better one is found.
func (v *view) path(sources []NodeID, t NodeID, maxHops int, within func(NodeID) bool) []Edge {
	g := v.g
	short, bound := v.hopPath(sources, t, maxHops, within)
	if short == nil {
		return nil // no path within maxHops, or t is a source
	}
	ps := g.pathScratch()
	defer g.releasePath(ps)
	for _, s := range sources {
		ps.improve(s, 0, 0, None, half{})
	}
	frontier := slices.Clone(sources)
	best, found := bound-1e-9, false
	var fc []float64
	for d := 1; d <= maxHops && len(frontier) > 0; d++ {
		fc = fc[:0]
		for _, n := range frontier {
			fc = append(fc, ps.cost[n])
		}
		var next []NodeID
		for i, n := range frontier {
			if n == t || (v.popular(n) && !slices.Contains(sources, n)) {
				continue
			}
			for _, h := range g.edges(n) {
				if h.kind == KindProvenance {
					continue
				}
				c := fc[i] + edgeCost(h)
				if c >= best || c >= ps.cost[h.to]-1e-12 {
					continue
				}
				if h.to != t && within != nil && !within(h.to) {
					continue
				}
				if !v.edgeVisible(h) {
					continue
				}
				if ps.improve(h.to, d, c, n, h) {
					next = append(next, h.to)
				}
				if h.to == t {
					best, found = c, true
				}
			}
		}
		frontier = next
	}
	if !found {
		return short
	}
	var out []Edge
	for i, d := ps.last[t], int32(maxHops); ; {
		for ps.recs[i].layer > d {
			i = ps.recs[i].older
		}
		r := ps.recs[i]
		if r.prev == None {
			break
		}
		out = append(out, v.edge(r.prev, r.h))
		i, d = ps.last[r.prev], r.layer-1
	}
	slices.Reverse(out)
	return out
}

// pathState is the dense, reusable state of one evidence path search.
type pathState struct {
	cost    []float64 // +Inf where not reached
	last    []int32   // index in recs of the node's newest improvement, -1 if none
	recs    []pathRec
	touched []NodeID
}

type pathRec struct {
	prev  NodeID
	h     half
	layer int32
	older int32
}

// improve records that n costs c with layer hops, by the step (prev, h),
// and reports whether it is n's first improvement at this layer. An
// improvement at the same layer replaces the earlier one.
func (ps *pathState) improve(n NodeID, layer int, c float64, prev NodeID, h half) bool {
	if ps.last[n] < 0 {
		ps.touched = append(ps.touched, n)
	}
	ps.cost[n] = c
	if i := ps.last[n]; i >= 0 && int(ps.recs[i].layer) == layer {
		ps.recs[i].prev, ps.recs[i].h = prev, h
		return false
	}
	ps.recs = append(ps.recs, pathRec{prev: prev, h: h, layer: int32(layer), older: ps.last[n]})
	ps.last[n] = int32(len(ps.recs) - 1)
	return true
}

func (g *Graph) pathScratch() *pathState {
	if ps, ok := g.paths.Get().(*pathState); ok {
		return ps
	}
	n := g.Len()
	ps := &pathState{cost: make([]float64, n), last: make([]int32, n)}
	for i := range ps.cost {
		ps.cost[i], ps.last[i] = math.Inf(1), -1
	}
	return ps
}

func (g *Graph) releasePath(ps *pathState) {
	for _, n := range ps.touched {
		ps.cost[n], ps.last[n] = math.Inf(1), -1
	}
	ps.touched, ps.recs = ps.touched[:0], ps.recs[:0]
	g.paths.Put(ps)
}

// hopPath finds a path of fewest hops by breadth-first search from any of the
// sources to t. When within is not nil, only nodes it accepts are entered
// (t always is).
func (v *view) hopPath(sources []NodeID, t NodeID, maxHops int, within func(NodeID) bool) ([]Edge, float64) {
	g := v.g
	parent := map[NodeID]step{}
	for _, s := range sources {
		parent[s] = step{prev: None}
	}
	frontier := slices.Clone(sources)
	found := slices.Contains(sources, t)
	for d := 0; d < maxHops && !found && len(frontier) > 0; d++ {
		var next []NodeID
		for _, n := range frontier {
			if v.popular(n) && !slices.Contains(sources, n) {
				continue
			}
			for _, h := range g.edges(n) {
				if h.kind == KindProvenance {
					continue
				}
				if _, ok := parent[h.to]; ok {
					continue
				}
				if h.to != t && within != nil && !within(h.to) {
					continue
				}
				if !v.edgeVisible(h) {
					continue
				}
				parent[h.to] = step{prev: n, h: h}
				if h.to == t {
					found = true
					break
				}
				next = append(next, h.to)
			}
			if found {
				break
			}
		}
		frontier = next
	}
	if !found {
		return nil, 0
	}
	var out []Edge
	cost := 0.0
	for n := t; parent[n].prev != None; n = parent[n].prev {
		st := parent[n]
		out = append(out, v.edge(st.prev, st.h))
		cost += edgeCost(st.h)
	}
	slices.Reverse(out)
	return out, cost
}

// Evidence costs: an edge believed with probability p costs -ln(p) plus
// hopCost. A relationship is believed as its STIX confidence says (at
// least 1%), one without a confidence as much as relAbsent; a reference or
// a shared value, which the object asserting it states itself, as much as
// refBelief.
const (
	relAbsent = 0.6
	refBelief = 0.9
)

var (
	hopCost   = -math.Log(0.95)
	confCosts = func() (c [101]float64) {
		for i := range c {
			c[i] = -math.Log(max(float64(i), 1)/100) + hopCost
		}
		return c
	}()
	relAbsentCost = -math.Log(relAbsent) + hopCost
	refCost       = -math.Log(refBelief) + hopCost
)

// edgeCost is what following h adds to an evidence path's cost.
func edgeCost(h half) float64 {
	if h.kind != KindRelationship {
		return refCost
	}
	if h.conf == confAbsent || h.conf > 100 {
		return relAbsentCost
	}
	return confCosts[h.conf]
}
