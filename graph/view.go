package graph

import (
	"encoding/binary"
	"github.com/dragnet-intel/dragnet"
	"slices"
)

// view is the graph as one caller may see it. Every query goes through
// one, so visibility is decided in exactly one place, by Access.CanSee.
type view struct {
	g      *Graph
	aud    []bool // dense audience index -> visible
	setVis []bool // audience set -> has a visible audience
	pop    map[NodeID]bool
}

func (g *Graph) view(a *dragnet.Access) *view {
	v := &view{g: g, aud: make([]bool, len(g.audiences)), setVis: make([]bool, len(g.setStart)-1)}
	for i, id := range g.audiences {
		v.aud[i] = a.CanSee(id)
	}
	for s := range v.setVis {
		for _, x := range g.setAud[g.setStart[s]:g.setStart[s+1]] {
			if v.aud[x] {
				v.setVis[s] = true
				break
			}
		}
	}
	return v
}

// setVisible reports whether an audience set has a visible audience.
func (v *view) setVisible(s int32) bool { return v.setVis[s] }

// visible reports whether node n may be shown: an object with a visible
// submission, or a value carried by a visible edge.
func (v *view) visible(n NodeID) bool {
	g := v.g
	if g.flags[n]&flagValue != 0 {
		for _, h := range g.edges(n) {
			if v.setVisible(h.aset) && v.objVisible(h.to) {
				return true
			}
		}
		return false
	}
	return v.objVisible(n)
}

func (v *view) objVisible(n NodeID) bool {
	s := v.g.nodeSet[n]
	return s >= 0 && v.setVis[s]
}

// edgeVisible reports whether the half-edge h at a visible node may be
// followed: a visible submission asserts it and its far end is visible (a
// value is visible through the visible object carrying it). The asserting
// object is visible whenever its audience set is.
func (v *view) edgeVisible(h half) bool {
	return v.setVis[h.aset] && (h.toSet < 0 || v.setVis[h.toSet])
}

// timeRange returns the first and last time n was seen over its visible
// submissions, and false if it has none.
func (v *view) timeRange(n NodeID) (first, last int64, ok bool) {
	for _, s := range v.g.nodeSubs(n) {
		if !v.aud[s.aud] {
			continue
		}
		if !ok || s.first < first {
			first = s.first
		}
		if !ok || s.last > last {
			last = s.last
		}
		ok = true
	}
	return first, last, ok
}

// name returns the name given by the newest visible submission of n.
func (v *view) name(n NodeID) string {
	g := v.g
	best, at := uint32(0), int64(-1)
	for _, s := range g.nodeSubs(n) {
		if v.aud[s.aud] && s.name != 0 && s.added >= at {
			best, at = s.name, s.added
		}
	}
	if best == 0 {
		return ""
	}
	l, k := binary.Uvarint(g.names[best-1:])
	start := int(best-1) + k
	return string(g.names[start : start+int(l)])
}

// popular reports whether n is popular for this caller: warninglisted, or
// an address that at least the graph's hosting limit of names the caller
// can see resolve to (shared hosting, CDNs). Only visible reports count,
// so what others alone reported changes nothing for this caller.
func (v *view) popular(n NodeID) bool {
	g := v.g
	f := g.flags[n]
	if f&flagPopular != 0 {
		return true
	}
	if f&flagHosting == 0 {
		return false
	}
	if p, ok := v.pop[n]; ok {
		return p
	}
	// The address may stand as several objects and one value: count the
	// names resolving to any of them.
	var addrs []NodeID
	collect := func(m NodeID) {
		if !g.IsValue(m) && !slices.Contains(addrs, m) {
			addrs = append(addrs, m)
		}
	}
	var vals []NodeID
	if g.IsValue(n) {
		vals = append(vals, n)
	} else {
		collect(n)
		for _, h := range g.edges(n) {
			if h.kind == KindValue && v.edgeVisible(h) {
				vals = append(vals, h.to)
			}
		}
	}
	for _, val := range vals {
		for _, h := range g.edges(val) {
			if v.edgeVisible(h) && isAddressType(g.strs[g.typ[h.to]]) {
				collect(h.to)
			}
		}
	}
	names := map[NodeID]bool{}
	for _, a := range addrs {
		if !v.objVisible(a) {
			continue
		}
		for _, h := range g.edges(a) {
			if h.dir == dirIn && (g.strs[h.label] == "resolves_to_refs" || g.strs[h.label] == "resolves-to") && v.edgeVisible(h) {
				names[h.to] = true
			}
		}
	}
	p := len(names) >= g.hosting
	if v.pop == nil {
		v.pop = map[NodeID]bool{}
	}
	v.pop[n] = p
	return p
}
