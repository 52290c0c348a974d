// Package graph holds Dragnet's intelligence graph: nodes are STIX objects
// and observable values, edges are relationships, sightings, embedded
// references (*_ref, *_refs) and shared values. On it run the correlation
// ("who else reported this"), neighbourhood and shortest evidence path
// queries, botnet clustering and origin tracing.
//
// The graph is built from a stream of stored object versions (Record), so it
// depends on no store's internals, and it is immutable once built: an
// updated store is answered by building a new graph and swapping it in.
//
// Every query takes a *dragnet.Access and only ever touches nodes and edges
// asserted by submissions the access can see (dragnet.Access.CanSee, the one
// policy). A node is visible when one of its submissions is; an edge is
// visible when a submission of the object asserting it is, and both its ends
// are; a value node is visible through a visible edge of an object carrying
// it. Nothing derived from an invisible submission (counts, times, orgs,
// countries, scores) reaches a result.
//
// The representation is compact: int32 node ids, compressed sparse row
// adjacency, ids in one byte arena, no per-node maps or pointers, so a graph
// of a million objects costs the garbage collector next to nothing.
package graph

import (
	"encoding/json"
	"hash/maphash"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Record is one stored object version as published to one audience: what
// the builder needs, and nothing of any store's internals.
type Record struct {
	ID         string
	Type       string
	AudienceID int64
	TLP        dragnet.TLP
	OrgID      int64  // the submitting organisation
	Country    string // the submitting organisation's country (ISO 3166-1 alpha-2)
	DateAdded  time.Time
	Raw        json.RawMessage
	// Values are the normalised observable values the store indexed for
	// this object. When nil, the builder extracts them from Raw itself.
	Values []dragnet.Value
}

// NodeID is a node of one Graph.
type NodeID int32

// None is the NodeID of no node.
const None NodeID = -1

// sub is one submission of a node: one object version in one audience.
type sub struct {
	aud   int32 // dense audience index
	org   int32 // dense organisation index
	first int64 // unix seconds: when the object says it was first seen (or created), else date added
	last  int64
	added int64
	name  uint32 // offset+1 into the name arena of the name this version gives (0: none)
}

// half is one direction of an edge, stored in the adjacency of its node.
type half struct {
	to    NodeID
	via   NodeID // the object asserting the edge (a relationship, or the object holding the reference or value)
	label uint16 // interned: reference property, relationship type, or "value"
	dir   uint8  // dirOut: this node is the edge's source; dirIn: its target
	kind  uint8
	aset  int32 // interned set of audiences whose submissions assert the edge
	toSet int32 // interned set of the audiences of the far end's submissions; -1 for a value
	conf  uint8 // the asserting relationship's STIX confidence 0..100, confAbsent when it has none
}

const (
	dirOut uint8 = 0
	dirIn  uint8 = 1
)

// Edge kinds.
const (
	KindRef          uint8 = iota // an embedded *_ref / *_refs property
	KindRelationship              // a STIX relationship object
	KindValue                     // an object carrying an observable value
	KindProvenance                // created_by_ref, object_marking_refs, where_sighted_refs
)

var kindNames = [...]string{"ref", "relationship", "value", "provenance"}

// Node flags.
const (
	flagValue   uint8 = 1 << iota // an observable value node, not an object
	flagPopular                   // a popular value (warninglisted), or an object carrying one
	flagHosting                   // an address that enough names resolve to that it may be shared hosting
	flagHost                      // counts as one host of a cluster (see countsAsHost)
)

// Graph is an immutable intelligence graph. It is safe for concurrent use.
type Graph struct {
	seed maphash.Seed

	idArena []byte
	idOff   []uint32 // node i's id is idArena[idOff[i]:idOff[i+1]]
	typ     []uint16 // interned type name; values: the value kind
	flags   []uint8
	lookup  []hashNode // sorted by hash

	subStart []int32 // node i's submissions are subs[subStart[i]:subStart[i+1]]
	subs     []sub
	nodeSet  []int32 // interned set of the audiences of node i's submissions; -1 for a value

	adjStart []int32
	adj      []half

	setStart []int32 // audience set s is setAud[setStart[s]:setStart[s+1]]
	setAud   []int32

	names     []byte   // name arena: a uvarint length, then the bytes
	strs      []string // interned strings: types, labels, kinds
	audiences []int64  // dense audience index -> audience id
	orgs      []int64  // dense org index -> org id
	countries []string // dense org index -> country
	hosting   int      // distinct names resolving to an address that make it shared hosting

	scratch sync.Pool // *scratch: dense per-query arrays of the tracer
	paths   sync.Pool // *pathState: dense per-query arrays of evidence paths
	locate  func(netip.Addr) (Location, bool)
}

// locateValue returns where an address value node is, if the graph has a
// locator and n is an address.
func (g *Graph) locateValue(n NodeID) (Location, bool) {
	if g.locate == nil || !g.IsValue(n) {
		return Location{}, false
	}
	k := dragnet.ValueKind(g.strs[g.typ[n]])
	return locateAddr(g.locate, k, g.ID(n)[len(k)+1:])
}

// locateAddr returns where the value val of kind k is, when locate is set
// and it is an address.
func locateAddr(locate func(netip.Addr) (Location, bool), k dragnet.ValueKind, val string) (Location, bool) {
	if locate == nil || (k != dragnet.ValueIPv4 && k != dragnet.ValueIPv6) {
		return Location{}, false
	}
	a, err := netip.ParseAddr(val)
	if err != nil {
		return Location{}, false
	}
	return locate(a)
}

type hashNode struct {
	h    uint64
	node NodeID
}

// Len returns the number of nodes (objects, referenced ids and values).
func (g *Graph) Len() int { return len(g.typ) }

// Edges returns the number of edges (each counted once).
func (g *Graph) Edges() int { return len(g.adj) / 2 }

// ID returns the node's STIX id, or for a value node "kind:value".
func (g *Graph) ID(n NodeID) string { return string(g.idArena[g.idOff[n]:g.idOff[n+1]]) }

// Type returns the node's STIX type, or "value" for a value node.
func (g *Graph) Type(n NodeID) string {
	if g.flags[n]&flagValue != 0 {
		return "value"
	}
	return g.strs[g.typ[n]]
}

// IsValue reports whether n is an observable value node.
func (g *Graph) IsValue(n NodeID) bool { return g.flags[n]&flagValue != 0 }

// Lookup returns the node with the given STIX id (or "kind:value" for a
// value), or None.
func (g *Graph) Lookup(id string) NodeID {
	h := maphash.String(g.seed, id)
	i := sort.Search(len(g.lookup), func(i int) bool { return g.lookup[i].h >= h })
	for ; i < len(g.lookup) && g.lookup[i].h == h; i++ {
		n := g.lookup[i].node
		if g.ID(n) == id {
			return n
		}
	}
	return None
}

// LookupValue returns the node of an observable value, or None.
func (g *Graph) LookupValue(v dragnet.Value) NodeID {
	return g.Lookup(valueKey(string(v.Kind), v.Value))
}

func valueKey(kind, v string) string { return kind + ":" + v }

// degree returns the number of half-edges at n.
func (g *Graph) degree(n NodeID) int { return int(g.adjStart[n+1] - g.adjStart[n]) }

func (g *Graph) edges(n NodeID) []half { return g.adj[g.adjStart[n]:g.adjStart[n+1]] }

func (g *Graph) nodeSubs(n NodeID) []sub { return g.subs[g.subStart[n]:g.subStart[n+1]] }

func (g *Graph) label(h half) string { return g.strs[h.label] }

// typeIs reports whether node n's type is the interned string t.
func (g *Graph) typeIndex(name string) (uint16, bool) {
	i := slices.Index(g.strs, name)
	return uint16(i), i >= 0
}
