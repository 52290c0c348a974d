package graph

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// TraceOptions tune Trace. The zero value is usable.
type TraceOptions struct {
	Limit   int     // most candidates returned; 0 means 5
	Restart float64 // probability of returning to the starting points at each step; 0 means 0.15
	Epsilon float64 // residual below which the walk stops spreading from a node; 0 means 1e-5
	Rounds  int     // most spreading rounds (each node spreads at most once per round); 0 means 20
}

// Candidate is a possible origin of what was traced: one actor, merged
// from the threat actors and intrusion sets that the evidence says are the
// same people (attributed-to, or sharing a persona: an e-mail address, a
// user account, a crypto wallet, a phone number).
type Candidate struct {
	ID         string   `json:"id"` // the representative object: a threat actor if there is one
	Type       string   `json:"type"`
	Name       string   `json:"name,omitempty"`
	Objects    []string `json:"objects"`   // every threat actor and intrusion set merged into it
	Countries  []string `json:"countries"` // where it is located (located-at, originates-from)
	Score      float64  `json:"score"`
	Confidence float64  `json:"confidence"` // its share of the evidence reaching any candidate, 0..1
	Evidence   []Edge   `json:"evidence"`   // a shortest chain from a starting point to it
}

// actorTypes are the types a trace ends at.
func actorType(t string) bool { return t == "threat-actor" || t == "intrusion-set" }

// personaType reports whether objects of type t identify a person across
// cases.
func personaType(t string) bool {
	switch t {
	case "email-addr", "user-account", "x-crypto-wallet", "x-phone-number",
		string(dragnet.ValueEmail), string(ValueWallet), string(ValueAccount), string(ValuePhone):
		return true
	}
	return false
}

// keyKinds are the kinds of the graph's value keys.
var keyKinds = []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR, dragnet.ValueDomain, dragnet.ValueURL,
	dragnet.ValueEmail, dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512, ValueWallet, ValueAccount, ValuePhone}

// ParseStart resolves how a user names a starting point: a STIX id, a
// "kind:value" value key, or a bare IP address, domain name or e-mail
// address.
func (g *Graph) ParseStart(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "--") {
		return s
	}
	if kind, _, ok := strings.Cut(s, ":"); ok && slices.Contains(keyKinds, dragnet.ValueKind(kind)) {
		return s // already a key: "email:a@b.example" is no bare e-mail address
	}
	for _, k := range []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueEmail, dragnet.ValueURL, dragnet.ValueDomain} {
		if v, err := dragnet.NormalizeValue(k, s); err == nil && v.Kind == k {
			return valueKey(string(v.Kind), v.Value)
		}
	}
	return s
}

// Trace follows the evidence from an incident, a sighting, an indicator
// or a set of addresses (STIX ids or "kind:value" keys, see ParseStart)
// to ranked origin candidates. The walk is a personalised PageRank over
// what a may see: from each node the walk's weight is shared out equally
// among the kinds of link it has (a relationship type, a reference
// property, a carried value, by neighbour type), then within a kind by the
// asserting relationship's confidence, so a command server contacted by a
// hundred thousand bots still passes its weight to the one intrusion set
// using it. Popular nodes (shared hosting, CDNs, warninglisted) take
// little weight and pass none on; provenance (created_by_ref, markings,
// where sighted) is not evidence. Starting points a may not see are
// ENOTFOUND, as if absent.
func (g *Graph) Trace(a *dragnet.Access, from []string, opts TraceOptions) ([]Candidate, error) {
	v := g.view(a)
	if len(from) == 0 {
		return nil, dragnet.Errorf(dragnet.EINVALID, "trace needs at least one starting point")
	}
	var seeds []NodeID
	for _, f := range from {
		n, err := v.start(g.ParseStart(f))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(seeds, n) {
			seeds = append(seeds, n)
		}
	}
	if opts.Limit <= 0 {
		opts.Limit = 5
	}
	if opts.Restart <= 0 || opts.Restart >= 1 {
		opts.Restart = 0.15
	}
	if opts.Epsilon <= 0 {
		opts.Epsilon = 1e-5
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 20
	}
	w := newWalk(v, opts)
	defer w.release()
	w.run(seeds)
	return w.candidates(seeds, opts.Limit), nil
}

// walk is the state of one personalised PageRank. Its weights live in
// dense scratch arrays reused across queries; touched lists the nodes whose
// entries must be cleared afterwards.
type walk struct {
	v     *view
	opts  TraceOptions
	sc    *scratch
	vis   []bool
	group []groupSpan
	take  []float64
	hubs  map[NodeID]*hubGroups // groups of nodes with many edges, found once per walk
}

// hubGroups are the visible edges and groups of one node with many edges.
type hubGroups struct {
	vis   []bool
	group []groupSpan
}

// hubDegree is the number of edges from which a node's groups are kept
// for the rest of the walk instead of found again each round.
const hubDegree = 256

type scratch struct {
	p, r    []float64 // settled and residual weight
	queued  []uint32  // round stamp: queued for the next round
	stamp   uint32
	inTouch []bool
	touched []NodeID
}

type groupSpan struct {
	start, end int
	max, sum   float64
}

func newWalk(v *view, opts TraceOptions) *walk {
	g := v.g
	sc, _ := g.scratch.Get().(*scratch)
	if sc == nil || len(sc.p) != g.Len() {
		n := g.Len()
		sc = &scratch{p: make([]float64, n), r: make([]float64, n), queued: make([]uint32, n), inTouch: make([]bool, n)}
	}
	return &walk{v: v, opts: opts, sc: sc}
}

// release clears the scratch arrays and returns them to the pool.
func (w *walk) release() {
	sc := w.sc
	for _, n := range sc.touched {
		sc.p[n], sc.r[n], sc.inTouch[n] = 0, 0, false
	}
	sc.touched = sc.touched[:0]
	w.v.g.scratch.Put(sc)
	w.sc = nil
}

func (w *walk) touch(n NodeID) {
	if !w.sc.inTouch[n] {
		w.sc.inTouch[n] = true
		w.sc.touched = append(w.sc.touched, n)
	}
}

// weight is how much an edge counts as evidence: the asserting
// relationship's confidence, and little for popular neighbours.
func (w *walk) weight(h half) float64 {
	x := 1.0
	if h.conf != confAbsent {
		x = max(float64(h.conf)/100, 0.05)
	}
	if w.v.popular(h.to) {
		x *= 0.1
	}
	return x
}

// run spreads the walk's weight from the seeds in synchronous rounds.
// Weight too thin to matter (a share below Epsilon for every edge of a
// kind of link, as when a command server's weight would be spread over
// its hundred thousand bots) stays where it is: the walk then costs what
// the evidence near the seeds costs, not what the hubs it meets weigh.
func (w *walk) run(seeds []NodeID) {
	g, sc := w.v.g, w.sc
	alpha, eps := w.opts.Restart, w.opts.Epsilon
	for _, s := range seeds {
		sc.r[s] += 1 / float64(len(seeds))
		w.touch(s)
	}
	frontier := slices.Clone(seeds)
	for round := 0; round < w.opts.Rounds && len(frontier) > 0; round++ {
		var next []NodeID
		sc.stamp++
		if sc.stamp == 0 { // wrapped: old stamps could collide
			clear(sc.queued)
			sc.stamp = 1
		}
		// Every node of the round spreads what it held when the round
		// began, so the outcome does not depend on the order of nodes.
		take := w.take[:0]
		for _, u := range frontier {
			if ru := sc.r[u]; ru >= eps {
				take = append(take, ru)
				sc.r[u] = 0
			} else {
				take = append(take, 0)
			}
		}
		w.take = take
		for k, u := range frontier {
			ru := take[k]
			if ru == 0 {
				continue
			}
			sc.p[u] += alpha * ru
			spread := (1 - alpha) * ru
			if w.v.popular(u) && !slices.Contains(seeds, u) {
				sc.p[u] += spread
				continue
			}
			es := g.edges(u)
			vis, groups := w.groups(u, es)
			if len(groups) == 0 {
				sc.p[u] += spread
				continue
			}
			total := 0.0
			for _, gr := range groups {
				total += gr.max
			}
			for _, gr := range groups {
				share := spread * gr.max / total / gr.sum
				if share*gr.max < eps {
					sc.p[u] += share * gr.sum
					continue
				}
				for i := gr.start; i < gr.end; i++ {
					if !vis[i] {
						continue
					}
					h := es[i]
					x := sc.r[h.to] + share*w.weight(h)
					sc.r[h.to] = x
					w.touch(h.to)
					if x >= eps && sc.queued[h.to] != sc.stamp {
						sc.queued[h.to] = sc.stamp
						next = append(next, h.to)
					}
				}
			}
		}
		frontier = next
	}
	// What is left unspread counts where it stands.
	for _, n := range sc.touched {
		sc.p[n] += sc.r[n]
		sc.r[n] = 0
	}
}

// groups returns the visible evidence edges of u and their groups: runs
// of the same kind, label, direction and neighbour type. A hub's are found
// once per walk and kept; other nodes' are found in reused buffers, valid
// until the next call.
func (w *walk) groups(u NodeID, es []half) ([]bool, []groupSpan) {
	if len(es) < hubDegree {
		w.vis, w.group = w.findGroups(es, w.vis, w.group)
		return w.vis, w.group
	}
	if hg, ok := w.hubs[u]; ok {
		return hg.vis, hg.group
	}
	vis, group := w.findGroups(es, nil, nil)
	if w.hubs == nil {
		w.hubs = map[NodeID]*hubGroups{}
	}
	w.hubs[u] = &hubGroups{vis, group}
	return vis, group
}

func (w *walk) findGroups(es []half, vis []bool, group []groupSpan) ([]bool, []groupSpan) {
	g := w.v.g
	group = group[:0]
	if cap(vis) < len(es) {
		vis = make([]bool, len(es))
	}
	vis = vis[:len(es)]
	cur := -1
	for i, h := range es {
		vis[i] = h.kind != KindProvenance && w.v.edgeVisible(h)
		if !vis[i] {
			continue
		}
		if cur < 0 || !sameGroup(g, es[group[cur].start], h) {
			group = append(group, groupSpan{start: i})
			cur = len(group) - 1
		}
		x := w.weight(h)
		gr := &group[cur]
		gr.end = i + 1
		gr.sum += x
		gr.max = max(gr.max, x)
	}
	return vis, group
}

func sameGroup(g *Graph, a, b half) bool {
	return a.kind == b.kind && a.label == b.label && a.dir == b.dir && g.typ[a.to] == g.typ[b.to]
}

// candidates merges the actors the walk reached into candidates and
// ranks them.
func (w *walk) candidates(seeds []NodeID, limit int) []Candidate {
	v, g := w.v, w.v.g
	p := w.sc.p
	var actors []NodeID
	for _, n := range w.sc.touched {
		if p[n] > 0 && !g.IsValue(n) && actorType(g.Type(n)) {
			actors = append(actors, n)
		}
	}
	slices.Sort(actors)
	group := map[NodeID]int{}
	var groups [][]NodeID
	for _, s := range actors {
		if _, ok := group[s]; ok {
			continue
		}
		members := w.identity(s)
		for _, m := range members {
			group[m] = len(groups)
		}
		groups = append(groups, members)
	}
	var out []Candidate
	total := 0.0
	for _, ms := range groups {
		c := Candidate{}
		rep, repScore := None, -1.0
		countries := map[string]bool{}
		for _, m := range ms {
			c.Score += p[m]
			c.Objects = append(c.Objects, g.ID(m))
			better := p[m] > repScore
			if rep != None && (g.Type(rep) == "threat-actor") != (g.Type(m) == "threat-actor") {
				better = g.Type(m) == "threat-actor"
			}
			if better {
				rep, repScore = m, p[m]
			}
			for _, h := range g.edges(m) {
				if h.kind == KindRelationship && h.dir == dirOut && (g.label(h) == "located-at" || g.label(h) == "originates-from") &&
					g.Type(h.to) == "location" && v.edgeVisible(h) {
					if cc := v.name(h.to); cc != "" {
						countries[cc] = true
					}
				}
			}
		}
		total += c.Score
		c.ID, c.Type, c.Name = g.ID(rep), g.Type(rep), v.name(rep)
		slices.Sort(c.Objects)
		for cc := range countries {
			c.Countries = append(c.Countries, cc)
		}
		slices.Sort(c.Countries)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if r := cmp.Compare(b.Score, a.Score); r != 0 {
			return r
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	within := func(n NodeID) bool { return p[n] > 0 }
	for i := range out {
		if total > 0 {
			out[i].Confidence = out[i].Score / total
		}
		best, bestP := None, -1.0
		for _, id := range out[i].Objects {
			m := g.Lookup(id)
			if p[m] > bestP {
				best, bestP = m, p[m]
			}
		}
		out[i].Evidence = v.path(seeds, best, 12, within)
	}
	return out
}

// identity returns the actors that the visible evidence says are the same
// people as s: linked by attributed-to, or sharing a persona that few
// actors share.
func (w *walk) identity(s NodeID) []NodeID {
	v, g := w.v, w.v.g
	seen := map[NodeID]bool{s: true}
	queue := []NodeID{s}
	var out []NodeID
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if actorType(g.Type(n)) {
			out = append(out, n)
		}
		for _, h := range g.edges(n) {
			if seen[h.to] || h.kind == KindProvenance || v.popular(h.to) || !v.edgeVisible(h) {
				continue
			}
			nt, tt := g.Type(n), g.Type(h.to)
			if g.IsValue(h.to) {
				tt = g.strs[g.typ[h.to]]
			}
			if g.IsValue(n) {
				nt = g.strs[g.typ[n]]
			}
			ok := false
			switch {
			case actorType(nt) && actorType(tt):
				ok = h.kind == KindRelationship && g.label(h) == "attributed-to"
			case actorType(nt) && personaType(tt), personaType(nt) && personaType(tt):
				ok = true
			case personaType(nt) && actorType(tt):
				ok = w.personaActors(n) <= 3
			}
			if ok {
				seen[h.to] = true
				queue = append(queue, h.to)
			}
		}
	}
	slices.Sort(out)
	return out
}

// personaActors counts the actors a persona is visibly linked to.
func (w *walk) personaActors(n NodeID) int {
	v, g := w.v, w.v.g
	c := 0
	for _, h := range g.edges(n) {
		if actorType(g.Type(h.to)) && !g.IsValue(h.to) && v.edgeVisible(h) {
			c++
		}
	}
	return c
}
