package graph

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// Options tune what the builder marks as popular. The zero value is usable.
type Options struct {
	// Popular reports whether an observable value is known to be shared by
	// many unrelated parties (a warninglisted CDN range, a public resolver,
	// a free-mail domain). Such values are weighted down in every query and
	// never joined through. Nil means none is.
	Popular func(v dragnet.Value) bool
	// SharedHosting is the number of distinct domain names resolving to one
	// address from which the address counts as shared hosting (popular).
	// Zero means 10.
	SharedHosting int
	// Locate, when set, says where an address is (country and autonomous
	// system, from the operator's GeoLite2-format files: see package
	// enrich). Clusters then report their hosts' countries and
	// correlations of addresses their location.
	Locate func(netip.Addr) (Location, bool)
}

// Location is where an address is.
type Location struct {
	Country string `json:"country,omitempty"`
	ASN     uint32 `json:"asn,omitempty"`
	ASOrg   string `json:"as_org,omitempty"`
}

// Builder collects records and builds a Graph. It is not safe for
// concurrent use.
type Builder struct {
	opts Options

	ids   map[string]int32
	arena []byte
	off   []uint32
	typ   []uint16
	flags []uint8

	strIdx map[string]uint16
	strs   []string
	audIdx map[int64]int32
	auds   []int64
	orgIdx map[int64]int32
	orgs   []int64
	ctry   []string

	subs  []nodeSub
	edges []rawEdge
	names []byte
}

type nodeSub struct {
	node int32
	s    sub
}

type rawEdge struct {
	from, to, via int32
	label         uint16
	kind          uint8
	conf          uint8
	aud           int32
}

// NewBuilder returns an empty builder.
func NewBuilder(opts Options) *Builder {
	b := &Builder{
		opts:   opts,
		ids:    make(map[string]int32),
		strIdx: make(map[string]uint16),
		audIdx: make(map[int64]int32),
		orgIdx: make(map[int64]int32),
		off:    []uint32{0},
	}
	b.intern("value") // label 0
	b.intern("other") // label 1
	return b
}

func (b *Builder) intern(s string) uint16 {
	if i, ok := b.strIdx[s]; ok {
		return i
	}
	if len(b.strs) >= 65535 {
		// More distinct labels than fit is not real intelligence; fold the
		// rest into one label rather than fail the build.
		return 1
	}
	i := uint16(len(b.strs))
	b.strs = append(b.strs, s)
	b.strIdx[s] = i
	return i
}

// node returns the node for id, creating a placeholder of type typ.
func (b *Builder) node(id, typ string, value bool) int32 {
	if n, ok := b.ids[id]; ok {
		if value {
			return n
		}
		if b.flags[n]&flagValue == 0 && typ != "" && b.strs[b.typ[n]] == "" {
			b.typ[n] = b.intern(typ)
		}
		return n
	}
	n := int32(len(b.typ))
	b.ids[id] = n
	b.arena = append(b.arena, id...)
	b.off = append(b.off, uint32(len(b.arena)))
	if typ == "" && !value {
		typ = typeOfID(id)
	}
	b.typ = append(b.typ, b.intern(typ))
	var f uint8
	if value {
		f = flagValue
	}
	b.flags = append(b.flags, f)
	return n
}

func typeOfID(id string) string {
	if i := strings.Index(id, "--"); i > 0 {
		return id[:i]
	}
	return ""
}

func (b *Builder) audience(id int64) int32 {
	if i, ok := b.audIdx[id]; ok {
		return i
	}
	i := int32(len(b.auds))
	b.auds = append(b.auds, id)
	b.audIdx[id] = i
	return i
}

func (b *Builder) org(id int64, country string) int32 {
	if i, ok := b.orgIdx[id]; ok {
		if b.ctry[i] == "" {
			b.ctry[i] = country
		}
		return i
	}
	i := int32(len(b.orgs))
	b.orgs = append(b.orgs, id)
	b.ctry = append(b.ctry, country)
	b.orgIdx[id] = i
	return i
}

// Add adds one stored object version. A record whose Raw is not a STIX
// object with the record's id is refused with EINVALID and leaves the
// builder unchanged.
func (b *Builder) Add(r *Record) error {
	x, err := extract(r.Raw)
	if err != nil {
		return dragnet.Errorf(dragnet.EINVALID, "object %s: %v", r.ID, err)
	}
	if x.id != r.ID {
		return dragnet.Errorf(dragnet.EINVALID, "object %s: raw JSON has id %q", r.ID, x.id)
	}
	typ := r.Type
	if typ == "" {
		typ = x.typ
	}
	n := b.node(r.ID, typ, false)
	aud := b.audience(r.AudienceID)
	s := sub{aud: aud, org: b.org(r.OrgID, r.Country), added: r.DateAdded.Unix()}
	s.first, s.last = x.first, x.last
	if s.first == 0 {
		s.first = s.added
	}
	if s.last == 0 {
		s.last = s.first
	}
	if x.name != "" {
		s.name = uint32(len(b.names)) + 1
		b.names = binary.AppendUvarint(b.names, uint64(len(x.name)))
		b.names = append(b.names, x.name...)
	}
	b.subs = append(b.subs, nodeSub{n, s})

	for _, e := range x.refs {
		to := b.node(e.to, "", false)
		if to == n {
			continue
		}
		k := KindRef
		if provenance(e.prop) {
			k = KindProvenance
		}
		b.edges = append(b.edges, rawEdge{from: n, to: to, via: n, label: b.intern(e.prop), kind: k, conf: confAbsent, aud: aud})
	}
	if x.rel.src != "" && x.rel.dst != "" {
		src := b.node(x.rel.src, "", false)
		dst := b.node(x.rel.dst, "", false)
		if src != dst {
			b.edges = append(b.edges, rawEdge{from: src, to: dst, via: n, label: b.intern(x.rel.typ), kind: KindRelationship, conf: x.conf, aud: aud})
		}
	}
	vals := r.Values
	if vals == nil {
		vals = x.values
	}
	for _, v := range vals {
		vn := b.node(valueKey(string(v.Kind), v.Value), "", true)
		b.typ[vn] = b.intern(string(v.Kind))
		if b.opts.Popular != nil && b.opts.Popular(v) {
			b.flags[vn] |= flagPopular
		}
		b.edges = append(b.edges, rawEdge{from: n, to: vn, via: n, label: 0, kind: KindValue, conf: confAbsent, aud: aud})
	}
	return nil
}

// provenance reports whether a reference property says who made or marked
// an object rather than what it is about.
func provenance(prop string) bool {
	switch prop {
	case "created_by_ref", "object_marking_refs", "marking_ref", "where_sighted_refs", "sample_ref":
		return prop != "sample_ref"
	}
	return false
}

const confAbsent uint8 = 255

// Build returns the graph. The builder must not be used afterwards.
func (b *Builder) Build() *Graph {
	g := &Graph{
		seed:      maphash.MakeSeed(),
		idArena:   b.arena,
		idOff:     b.off,
		typ:       b.typ,
		flags:     b.flags,
		strs:      b.strs,
		names:     b.names,
		locate:    b.opts.Locate,
		audiences: b.auds,
		orgs:      b.orgs,
		countries: b.ctry,
	}
	n := len(b.typ)
	b.ids = nil

	// Submissions, grouped by node.
	slices.SortStableFunc(b.subs, func(a, c nodeSub) int { return cmp.Compare(a.node, c.node) })
	g.subStart = make([]int32, n+1)
	g.subs = make([]sub, len(b.subs))
	for i, s := range b.subs {
		g.subStart[s.node+1]++
		g.subs[i] = s.s
	}
	for i := 0; i < n; i++ {
		g.subStart[i+1] += g.subStart[i]
	}
	b.subs = nil
	// Each node's audiences as one interned set, so that whether a node is
	// visible is one look-up in a small table, and each edge carries its
	// far end's set: scanning a node's edges reads nothing else.
	sets := newSetInterner()
	g.nodeSet = make([]int32, n)
	var auds []int32
	for i := 0; i < n; i++ {
		if g.flags[i]&flagValue != 0 {
			g.nodeSet[i] = -1
			continue
		}
		auds = auds[:0]
		for _, s := range g.nodeSubs(NodeID(i)) {
			auds = append(auds, s.aud)
		}
		slices.Sort(auds)
		g.nodeSet[i] = sets.intern(slices.Compact(auds))
	}

	// Edges: one per (from, to, via, label, kind), asserted by a set of
	// audiences.
	slices.SortFunc(b.edges, func(a, c rawEdge) int {
		if r := cmp.Compare(a.from, c.from); r != 0 {
			return r
		}
		if r := cmp.Compare(a.to, c.to); r != 0 {
			return r
		}
		if r := cmp.Compare(a.via, c.via); r != 0 {
			return r
		}
		if r := cmp.Compare(a.label, c.label); r != 0 {
			return r
		}
		if r := cmp.Compare(a.kind, c.kind); r != 0 {
			return r
		}
		return cmp.Compare(a.aud, c.aud)
	})
	type uedge struct {
		rawEdge
		aset int32
	}
	var uniq []uedge
	var cur []int32
	for i := 0; i < len(b.edges); {
		j := i
		cur = cur[:0]
		conf := confAbsent
		for ; j < len(b.edges) && sameEdge(b.edges[i], b.edges[j]); j++ {
			if len(cur) == 0 || cur[len(cur)-1] != b.edges[j].aud {
				cur = append(cur, b.edges[j].aud)
			}
			if c := b.edges[j].conf; c != confAbsent && (conf == confAbsent || c > conf) {
				conf = c
			}
		}
		e := b.edges[i]
		e.conf = conf
		uniq = append(uniq, uedge{e, sets.intern(cur)})
		i = j
	}
	b.edges = nil
	g.setStart, g.setAud = sets.start, sets.members

	g.adjStart = make([]int32, n+1)
	for _, e := range uniq {
		g.adjStart[e.from+1]++
		g.adjStart[e.to+1]++
	}
	for i := 0; i < n; i++ {
		g.adjStart[i+1] += g.adjStart[i]
	}
	g.adj = make([]half, len(uniq)*2)
	fill := slices.Clone(g.adjStart[:n])
	for _, e := range uniq {
		g.adj[fill[e.from]] = half{to: NodeID(e.to), via: NodeID(e.via), label: e.label, dir: dirOut, kind: e.kind, aset: e.aset, toSet: g.nodeSet[e.to], conf: e.conf}
		fill[e.from]++
		g.adj[fill[e.to]] = half{to: NodeID(e.from), via: NodeID(e.via), label: e.label, dir: dirIn, kind: e.kind, aset: e.aset, toSet: g.nodeSet[e.from], conf: e.conf}
		fill[e.to]++
	}
	// Each node's edges in groups: same kind, label, direction and
	// neighbour type (what the tracer shares its weight out by).
	for i := 0; i < n; i++ {
		es := g.adj[g.adjStart[i]:g.adjStart[i+1]]
		slices.SortFunc(es, func(a, c half) int {
			if r := cmp.Compare(a.kind, c.kind); r != 0 {
				return r
			}
			if r := cmp.Compare(a.label, c.label); r != 0 {
				return r
			}
			if r := cmp.Compare(a.dir, c.dir); r != 0 {
				return r
			}
			if r := cmp.Compare(g.typ[a.to], g.typ[c.to]); r != 0 {
				return r
			}
			return cmp.Compare(a.to, c.to)
		})
	}

	g.markSharedHosting(b.opts.SharedHosting)
	for i := range g.typ {
		if g.hostNode(NodeID(i)) {
			g.flags[i] |= flagHost
		}
	}

	g.lookup = make([]hashNode, n)
	for i := 0; i < n; i++ {
		g.lookup[i] = hashNode{maphash.String(g.seed, g.ID(NodeID(i))), NodeID(i)}
	}
	slices.SortFunc(g.lookup, func(a, c hashNode) int { return cmp.Compare(a.h, c.h) })
	return g
}

func sameEdge(a, c rawEdge) bool {
	return a.from == c.from && a.to == c.to && a.via == c.via && a.label == c.label && a.kind == c.kind
}

// markSharedHosting flags every address (object or value) that at least
// limit domain names resolve to, counting every audience, and the value
// and other address objects standing for it. Whether a flagged address is
// popular for a caller is decided by counting only what the caller sees
// (view.popular); the flag only saves counting for all the others.
func (g *Graph) markSharedHosting(limit int) {
	if limit <= 0 {
		limit = 10
	}
	g.hosting = limit
	for i := range g.typ {
		n := NodeID(i)
		if g.flags[n]&flagValue != 0 || g.resolvers(n, nil) < limit {
			continue
		}
		g.flags[n] |= flagHosting
		for _, h := range g.edges(n) {
			if h.kind != KindValue {
				continue
			}
			g.flags[h.to] |= flagHosting
			for _, c := range g.edges(h.to) {
				if isAddressType(g.strs[g.typ[c.to]]) {
					g.flags[c.to] |= flagHosting
				}
			}
		}
	}
	// An object carrying a warninglisted value is as popular as the value.
	for i := range g.typ {
		n := NodeID(i)
		if g.flags[n]&(flagValue|flagPopular) != flagValue|flagPopular {
			continue
		}
		for _, h := range g.edges(n) {
			if h.kind == KindValue {
				g.flags[h.to] |= flagPopular
			}
		}
	}
}

// resolvers counts the distinct names resolving to address object n
// (resolves_to_refs or resolves-to relationships) over the edges ok
// accepts (nil: all).
func (g *Graph) resolvers(n NodeID, ok func(half) bool) int {
	count := 0
	var last NodeID = None
	for _, h := range g.edges(n) {
		if h.dir != dirIn || (g.strs[h.label] != "resolves_to_refs" && g.strs[h.label] != "resolves-to") {
			continue
		}
		if h.to == last || (ok != nil && !ok(h)) {
			continue
		}
		last = h.to
		count++
	}
	return count
}

func isAddressType(t string) bool {
	return t == "ipv4-addr" || t == "ipv6-addr"
}

// setInterner interns sorted sets of dense audience indexes.
type setInterner struct {
	one     map[int32]int32
	idx     map[string]int32
	start   []int32
	members []int32
}

func newSetInterner() *setInterner {
	return &setInterner{one: make(map[int32]int32), idx: make(map[string]int32), start: []int32{0}}
}

func (s *setInterner) intern(set []int32) int32 {
	if len(set) == 1 {
		if i, ok := s.one[set[0]]; ok {
			return i
		}
		i := int32(len(s.start) - 1)
		s.members = append(s.members, set[0])
		s.start = append(s.start, int32(len(s.members)))
		s.one[set[0]] = i
		return i
	}
	key := fmt.Sprint(set)
	if i, ok := s.idx[key]; ok {
		return i
	}
	i := int32(len(s.start) - 1)
	s.members = append(s.members, set...)
	s.start = append(s.start, int32(len(s.members)))
	s.idx[key] = i
	return i
}
