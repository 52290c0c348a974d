package graph

import (
	"slices"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// pairKey names one object in one audience: what a store's current
// version replaces.
type pairKey struct {
	obj string
	aud int64
}

// recentSub is the current version of one object in one audience,
// published after the graph's snapshot: what correlation needs of it.
type recentSub struct {
	gone        bool // removed from the audience: a tombstone that only hides the graph's submission
	org         int64
	country     string
	added       int64 // date_added, Unix microseconds
	first, last int64 // Unix seconds, as the graph's submissions
	values      []string
	typ         string   // the object's type
	refs        []string // for sightings and observed data: the ids they refer to
}

// countsRefs reports whether objects of type typ count as sightings or
// observations of the objects they refer to (see countSightings).
func countsRefs(typ string) bool { return typ == "sighting" || typ == "observed-data" }

// recent holds what was published or removed since the current graph was
// built, so that correlation answers at once instead of at the next
// rebuild. Each entry replaces whatever the graph holds for its (object,
// audience): the newest version is what counts, as in the store, and a
// removal leaves the version still current there, or a tombstone when none
// remains. Not safe for concurrent
// use; Live guards it.
type recent struct {
	pairs   map[pairKey]*recentSub
	byValue map[string][]pairKey
	byObj   map[string][]int64   // object id -> the audiences of its recent pairs
	byRef   map[string][]pairKey // object id -> the recent sightings and observed data referring to it
}

func newRecent() recent {
	return recent{pairs: map[pairKey]*recentSub{}, byValue: map[string][]pairKey{}, byObj: map[string][]int64{}, byRef: map[string][]pairKey{}}
}

// put records the current version of (obj, aud), replacing an earlier one.
// It costs O(values of the old and new versions).
func (r *recent) put(k pairKey, s *recentSub) {
	if old := r.pairs[k]; old != nil {
		r.unindex(k, old)
	} else {
		r.byObj[k.obj] = append(r.byObj[k.obj], k.aud)
	}
	r.pairs[k] = s
	for _, v := range s.values {
		r.byValue[v] = append(r.byValue[v], k)
	}
	for _, to := range s.refs {
		r.byRef[to] = append(r.byRef[to], k)
	}
}

// unindex removes s, recorded for k, from the value and reference indexes.
func (r *recent) unindex(k pairKey, s *recentSub) {
	for _, v := range s.values {
		dropKey(r.byValue, v, k)
	}
	for _, to := range s.refs {
		dropKey(r.byRef, to, k)
	}
}

func dropKey(m map[string][]pairKey, key string, k pairKey) {
	ks := m[key]
	for i, x := range ks {
		if x == k {
			ks[i] = ks[len(ks)-1]
			ks = ks[:len(ks)-1]
			break
		}
	}
	if len(ks) == 0 {
		delete(m, key)
	} else {
		m[key] = ks
	}
}

// pruneThrough drops the entries a graph built from a snapshot taken at
// or after cursor already holds.
func (r *recent) pruneThrough(cursor int64) {
	for k, s := range r.pairs {
		if s.added <= cursor {
			r.unindex(k, s)
			delete(r.pairs, k)
			auds := slices.DeleteFunc(r.byObj[k.obj], func(a int64) bool { return a == k.aud })
			if len(auds) == 0 {
				delete(r.byObj, k.obj)
			} else {
				r.byObj[k.obj] = auds
			}
		}
	}
}

// replaced reports whether the graph's submission of obj to aud is
// superseded by a recent one.
func (r *recent) replaced(obj string, aud int64) bool {
	_, ok := r.pairs[pairKey{obj, aud}]
	return ok
}

// correlateRecent is Correlate for a value key, counting the graph's
// submissions except those superseded by recent ones, and the recent ones
// a may see; sightings and observations of the objects carrying it too
// (see sightingsRecent).
func (g *Graph) correlateRecent(a *dragnet.Access, key string, r *recent, opts *Options) (*Correlation, error) {
	v := g.view(a)
	n := g.Lookup(key)
	if n != None && !v.visible(n) {
		n = None
	}
	// The carriers: objects whose current version in an audience a may
	// see carries the value, each with its graph node (None if only
	// recent). As in the graph, each counts once, with all its visible
	// submissions, whichever of its versions carries the value.
	carriers := map[string]NodeID{}
	c := &Correlation{Key: key}
	if n != None {
		c.Popular = v.popular(n)
		for _, h := range g.edges(n) {
			if h.kind == KindValue && v.edgeVisible(h) {
				if id := g.ID(h.to); g.liveIn(v, r, id, h.aset) {
					carriers[id] = h.to
				}
			}
		}
		if loc, ok := g.locateValue(n); ok {
			c.Location = &loc
		}
	}
	for _, k := range r.byValue[key] {
		if _, ok := carriers[k.obj]; !ok && a.CanSee(k.aud) {
			carriers[k.obj] = g.Lookup(k.obj)
		}
	}
	if len(carriers) == 0 {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", key)
	}
	kind, val, _ := strings.Cut(key, ":")
	if n == None && opts.Popular != nil {
		c.Popular = opts.Popular(dragnet.Value{Kind: dragnet.ValueKind(kind), Value: val})
	}
	if n == None {
		if loc, ok := locateAddr(opts.Locate, dragnet.ValueKind(kind), val); ok {
			c.Location = &loc
		}
	}
	reports := map[int64]*OrgReport{}
	for id, node := range carriers {
		g.reportsRecent(v, a, r, reports, id, node, false)
		g.sightingsRecent(v, a, r, c, reports, id)
	}
	c.Objects = len(carriers)
	c.finish(g, reports, c.Objects)
	return c, nil
}

// liveIn reports whether the graph's submissions of object id to the
// audience set include one v may see that no recent one supersedes.
func (g *Graph) liveIn(v *view, r *recent, id string, set int32) bool {
	for _, x := range g.setAud[g.setStart[set]:g.setStart[set+1]] {
		if v.aud[x] && !r.replaced(id, g.audiences[x]) {
			return true
		}
	}
	return false
}

// reportsRecent adds the current submissions of object id (graph node n,
// or None) that a may see to the organisations' reports: the graph's
// unless superseded, and the recent ones.
func (g *Graph) reportsRecent(v *view, a *dragnet.Access, r *recent, reports map[int64]*OrgReport, id string, n NodeID, sighting bool) {
	if n != None {
		for _, s := range g.nodeSubs(n) {
			if v.aud[s.aud] && !r.replaced(id, g.audiences[s.aud]) {
				addReport(reports, g.orgs[s.org], g.countries[s.org], s.first, s.last, sighting)
			}
		}
	}
	for _, aud := range r.byObj[id] {
		if s := r.pairs[pairKey{id, aud}]; !s.gone && a.CanSee(aud) {
			addReport(reports, s.org, s.country, s.first, s.last, sighting)
		}
	}
}

// correlateObjectRecent is Correlate for an object id: its own reporters
// and the correlation of each value it carries, counting the graph's
// submissions except those superseded by recent ones, and the recent ones
// a may see.
func (g *Graph) correlateObjectRecent(a *dragnet.Access, key string, r *recent, opts *Options) (*Correlation, error) {
	v := g.view(a)
	c := &Correlation{Key: key, Objects: 1}
	reports := map[int64]*OrgReport{}
	var values []string
	addValue := func(k string) {
		if !slices.Contains(values, k) {
			values = append(values, k)
		}
	}
	n := g.Lookup(key)
	if n != None && g.IsValue(n) {
		n = None
	}
	g.reportsRecent(v, a, r, reports, key, n, false)
	if n != None {
		for _, h := range g.edges(n) {
			if h.kind == KindValue && h.dir == dirOut && g.liveIn(v, r, key, h.aset) {
				addValue(g.ID(h.to))
			}
		}
	}
	for _, aud := range r.byObj[key] {
		if s := r.pairs[pairKey{key, aud}]; !s.gone && a.CanSee(aud) {
			for _, k := range s.values {
				addValue(k)
			}
		}
	}
	if len(reports) == 0 {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", key)
	}
	g.sightingsRecent(v, a, r, c, reports, key)
	c.finish(g, reports, 1)
	for _, k := range values {
		if cv, err := g.correlateRecent(a, k, r, opts); err == nil {
			c.Values = append(c.Values, *cv)
		}
	}
	sortValues(c.Values)
	return c, nil
}

// sightingsRecent is countSightings for the object id over the graph and
// the recent index together: each sighting or observed data that refers
// to id in a current version a may see counts once, and a sighting adds
// each of its current submissions a may see to its organisation's report.
func (g *Graph) sightingsRecent(v *view, a *dragnet.Access, r *recent, c *Correlation, reports map[int64]*OrgReport, id string) {
	type referrer struct {
		id   string
		node NodeID // in the graph, None if only recent
		typ  string
		seen bool // refers to id in a version a may see
	}
	// Few objects are sighted, and those a few times: a slice, allocated
	// only when there is a referrer.
	var refs []referrer
	get := func(sid string) *referrer {
		for i := range refs {
			if refs[i].id == sid {
				return &refs[i]
			}
		}
		refs = append(refs, referrer{id: sid, node: g.Lookup(sid)})
		return &refs[len(refs)-1]
	}
	if n := g.Lookup(id); n != None {
		for _, h := range g.edges(n) {
			if h.dir != dirIn || h.kind != KindRef {
				continue
			}
			typ := g.strs[g.typ[h.to]]
			if !countsRefs(typ) {
				continue
			}
			sid := g.ID(h.to)
			x := get(sid)
			x.typ = typ
			if g.liveIn(v, r, sid, h.aset) {
				x.seen = true
			}
		}
	}
	for _, k := range r.byRef[id] {
		if s := r.pairs[k]; !s.gone && a.CanSee(k.aud) {
			x := get(k.obj)
			x.typ, x.seen = s.typ, true
		}
	}
	for i := range refs {
		x := &refs[i]
		if !x.seen {
			continue
		}
		if x.typ == "observed-data" {
			c.Observed++
			continue
		}
		c.Sightings++
		g.reportsRecent(v, a, r, reports, x.id, x.node, true)
	}
}
