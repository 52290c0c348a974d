package graph

import (
	"cmp"
	"slices"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// ClusterOptions tune Clusters.
type ClusterOptions struct {
	MinSize int // fewest hosts a cluster must have to be returned; 0 means 2
	// CoObserved is the largest number of hosts one observation may name
	// and still count as a strong link between them (one connection: a
	// source, a destination, the name in its handshake). Larger
	// observations (the attackers of an incident) only place hosts nothing
	// else links. 0 means 3.
	CoObserved int
}

// Cluster is a group of infrastructure and infected hosts that share
// command servers, domains or certificates, or were seen together.
type Cluster struct {
	ID        string    `json:"id"`                       // the id of its best-connected member
	Size      int       `json:"size"`                     // distinct addresses and domain names
	Countries []string  `json:"countries"`                // of the members that reported its hosts
	Located   []string  `json:"host_countries,omitempty"` // where its hosts are (with a locator)
	First     time.Time `json:"first_seen,omitzero"`
	Last      time.Time `json:"last_seen,omitzero"`
	Members   []Member  `json:"members"`
}

// Member is one node of a cluster and the evidence that put it there.
type Member struct {
	ID       string `json:"id"` // a STIX id, or "kind:value"
	Type     string `json:"type"`
	Name     string `json:"name,omitempty"`
	Evidence string `json:"evidence,omitempty"` // the object linking it to the rest (a relationship, an observation, the object itself)
	Weak     bool   `json:"weak,omitempty"`     // placed only by co-occurrence (an incident's attackers)
}

// hostType reports whether nodes of interned type t are infrastructure or
// hosts for clustering.
func (g *Graph) hostTypes() []bool {
	out := make([]bool, len(g.strs))
	for i, s := range g.strs {
		switch s {
		case "ipv4-addr", "ipv6-addr", "domain-name", "url", "x509-certificate", "infrastructure",
			string(dragnet.ValueIPv4), string(dragnet.ValueIPv6), string(dragnet.ValueDomain):
			out[i] = true
		}
	}
	return out
}

var strongRelationships = map[string]bool{
	"consists-of": true, "communicates-with": true, "resolves-to": true, "hosts": true, "controls": true,
	"beacons-to": true, "uses": true, "related-to": false,
}

// Clusters groups the hosts a may see into botnet clusters. Strong links
// join: an address and its value, a connection's ends, a domain and the
// addresses it resolves to, infrastructure and what it consists of, hosts
// named together in one small observation. Popular nodes (shared hosting,
// CDNs, warninglisted) join nothing. Large observations (an incident's
// attacking addresses) then place each host no strong link placed into
// the cluster most of its co-observed hosts belong to, never merging two
// clusters. Clusters are returned largest first.
func (g *Graph) Clusters(a *dragnet.Access, opts ClusterOptions) []*Cluster {
	v := g.view(a)
	minSize := opts.MinSize
	if minSize <= 0 {
		minSize = 2
	}
	coObs := opts.CoObserved
	if coObs <= 0 {
		coObs = 3
	}
	host := g.hostTypes()
	n := g.Len()
	uf := newUnionFind(n)
	for i := 0; i < n; i++ {
		if g.countsAsHost(NodeID(i)) {
			uf.hosts[i] = 1
		}
	}
	evidence := make([]NodeID, n)
	for i := range evidence {
		evidence[i] = None
	}
	isHost := func(m NodeID) bool { return host[g.typ[m]] && !v.popular(m) }
	link := func(x, y, via NodeID) {
		if uf.union(int32(x), int32(y)) {
			if evidence[x] == None {
				evidence[x] = via
			}
			if evidence[y] == None {
				evidence[y] = via
			}
		}
	}
	var weak []weakGroup
	var refs []NodeID
	for i := 0; i < n; i++ {
		m := NodeID(i)
		if !v.visible(m) {
			continue
		}
		refs = refs[:0]
		for _, h := range g.edges(m) {
			if h.kind == KindProvenance || !v.edgeVisible(h) {
				continue
			}
			switch {
			case h.kind == KindValue && h.dir == dirOut && isHost(m) && isHost(h.to):
				link(m, h.to, m)
			case h.kind == KindRelationship && h.dir == dirOut && isHost(m) && isHost(h.to) && strongRelationships[g.label(h)]:
				link(m, h.to, h.via)
			case h.kind == KindRef && h.dir == dirOut && isHost(h.to):
				if isHost(m) {
					link(m, h.to, m) // a domain and what it resolves to
				} else if !slices.Contains(refs, h.to) {
					refs = append(refs, h.to)
				}
			}
		}
		switch {
		case len(refs) >= 2 && len(refs) <= coObs:
			for _, r := range refs[1:] {
				link(refs[0], r, m)
			}
		case len(refs) > coObs:
			weak = append(weak, weakGroup{m, slices.Clone(refs)})
		}
	}
	weakVia := g.placeWeak(uf, weak)
	return g.collectClusters(v, uf, evidence, weakVia, minSize)
}

// weakGroup is an observation naming many hosts.
type weakGroup struct {
	via   NodeID
	hosts []NodeID
}

// placeWeak puts each host that strong links left alone into the cluster
// most of its co-observed hosts belong to, and returns the observation
// that placed each.
func (g *Graph) placeWeak(uf *unionFind, weak []weakGroup) map[NodeID]NodeID {
	type vote struct {
		n   int
		via NodeID
	}
	votes := map[NodeID]map[int32]vote{}
	for _, grp := range weak {
		counts := map[int32]int{}
		for _, m := range grp.hosts {
			if r := uf.find(int32(m)); uf.hosts[r] > 1 {
				counts[r]++
			}
		}
		// A tie is no majority: the hosts stay unplaced rather than be put
		// by an arbitrary rule.
		best, bestN, tie := int32(-1), 0, false
		for r, c := range counts {
			switch {
			case c > bestN:
				best, bestN, tie = r, c, false
			case c == bestN:
				tie = true
			}
		}
		if best < 0 || bestN < 2 || tie {
			continue
		}
		for _, m := range grp.hosts {
			if uf.hosts[uf.find(int32(m))] <= 1 {
				if votes[m] == nil {
					votes[m] = map[int32]vote{}
				}
				vt := votes[m][best]
				if vt.n == 0 {
					vt.via = grp.via
				}
				vt.n++
				votes[m][best] = vt
			}
		}
	}
	ms := make([]NodeID, 0, len(votes))
	for m := range votes {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	placed := make(map[NodeID]NodeID, len(ms))
	for _, m := range ms {
		best, bestN, via, tie := int32(-1), 0, None, false
		for r, vt := range votes[m] {
			switch {
			case vt.n > bestN:
				best, bestN, via, tie = r, vt.n, vt.via, false
			case vt.n == bestN:
				tie = true
			}
		}
		if tie {
			continue
		}
		uf.union(int32(m), best)
		placed[m] = via
	}
	return placed
}

func (g *Graph) collectClusters(v *view, uf *unionFind, evidence []NodeID, weakVia map[NodeID]NodeID, minSize int) []*Cluster {
	n := g.Len()
	byRoot := map[int32][]NodeID{}
	for i := 0; i < n; i++ {
		if uf.hosts[uf.find(int32(i))] < 2 {
			continue
		}
		r := uf.find(int32(i))
		byRoot[r] = append(byRoot[r], NodeID(i))
	}
	var out []*Cluster
	for _, ms := range byRoot {
		c := g.cluster(v, ms, evidence, weakVia)
		if c.Size >= minSize {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Cluster) int {
		if r := cmp.Compare(b.Size, a.Size); r != 0 {
			return r
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func (g *Graph) cluster(v *view, ms []NodeID, evidence []NodeID, weakVia map[NodeID]NodeID) *Cluster {
	c := &Cluster{}
	countries := map[string]bool{}
	best, bestDeg := None, -1
	var first, last int64
	seenTime := false
	located := map[string]bool{}
	for _, m := range ms {
		if g.countsAsHost(m) {
			c.Size++
		}
		if loc, ok := g.locateValue(m); ok && loc.Country != "" {
			located[loc.Country] = true
		}
		d := 0
		for _, h := range g.edges(m) {
			if h.kind != KindProvenance && v.edgeVisible(h) {
				d++
			}
		}
		if d > bestDeg || (d == bestDeg && g.ID(m) < g.ID(best)) {
			best, bestDeg = m, d
		}
		mem := Member{ID: g.ID(m), Type: g.Type(m)}
		if g.IsValue(m) {
			mem.Name = mem.ID[len(g.strs[g.typ[m]])+1:]
		} else {
			mem.Name = v.name(m)
			for _, s := range g.nodeSubs(m) {
				if v.aud[s.aud] {
					countries[g.countries[s.org]] = true
				}
			}
			if f, l, ok := v.timeRange(m); ok {
				if !seenTime || f < first {
					first = f
				}
				if !seenTime || l > last {
					last = l
				}
				seenTime = true
			}
		}
		if via, ok := weakVia[m]; ok {
			mem.Weak = true
			mem.Evidence = g.ID(via)
		} else if e := evidence[m]; e != None {
			mem.Evidence = g.ID(e)
		}
		c.Members = append(c.Members, mem)
	}
	if best != None {
		c.ID = g.ID(best)
	}
	for cc := range countries {
		if cc != "" {
			c.Countries = append(c.Countries, cc)
		}
	}
	slices.Sort(c.Countries)
	for cc := range located {
		c.Located = append(c.Located, cc)
	}
	slices.Sort(c.Located)
	if seenTime {
		c.First, c.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	}
	return c
}

// countsAsHost reports whether n counts as one host of a cluster: a value
// that is an address or a name, or an address object carrying no value
// (objects carrying one are counted by it, so each host counts once).
// Infrastructure objects and certificates are members but not hosts.
func (g *Graph) countsAsHost(n NodeID) bool { return g.flags[n]&flagHost != 0 }

func (g *Graph) hostNode(n NodeID) bool {
	t := g.strs[g.typ[n]]
	if g.IsValue(n) {
		switch dragnet.ValueKind(t) {
		case dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueDomain, dragnet.ValueURL:
			return true
		}
		return false
	}
	if t != "ipv4-addr" && t != "ipv6-addr" && t != "domain-name" && t != "url" {
		return false
	}
	for _, h := range g.edges(n) {
		if h.kind == KindValue && h.dir == dirOut {
			return false
		}
	}
	return true
}

// unionFind is a disjoint-set forest over dense int32 ids.
type unionFind struct {
	parent []int32
	size   []int32
	hosts  []int32 // hosts in the set (valid at roots)
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int32, n), size: make([]int32, n), hosts: make([]int32, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		u.size[i] = 1
	}
	return u
}

func (u *unionFind) find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// union joins the sets of x and y and reports whether they were apart.
func (u *unionFind) union(x, y int32) bool {
	x, y = u.find(x), u.find(y)
	if x == y {
		return false
	}
	if u.size[x] < u.size[y] {
		x, y = y, x
	}
	u.parent[y] = x
	u.size[x] += u.size[y]
	u.hosts[x] += u.hosts[y]
	return true
}
