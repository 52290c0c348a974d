package graph

import (
	"net/netip"
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
}

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
	byObj   map[string][]int64 // object id -> the audiences of its recent pairs
}

func newRecent() recent {
	return recent{pairs: map[pairKey]*recentSub{}, byValue: map[string][]pairKey{}, byObj: map[string][]int64{}}
}

// put records the current version of (obj, aud), replacing an earlier one.
// It costs O(values of the old and new versions).
func (r *recent) put(k pairKey, s *recentSub) {
	if old := r.pairs[k]; old != nil {
		for _, v := range old.values {
			r.unindex(v, k)
		}
	} else {
		r.byObj[k.obj] = append(r.byObj[k.obj], k.aud)
	}
	r.pairs[k] = s
	for _, v := range s.values {
		r.byValue[v] = append(r.byValue[v], k)
	}
}

func (r *recent) unindex(v string, k pairKey) {
	ks := r.byValue[v]
	for i, x := range ks {
		if x == k {
			ks[i] = ks[len(ks)-1]
			ks = ks[:len(ks)-1]
			break
		}
	}
	if len(ks) == 0 {
		delete(r.byValue, v)
	} else {
		r.byValue[v] = ks
	}
}

// pruneThrough drops the entries a graph built from a snapshot taken at
// or after cursor already holds.
func (r *recent) pruneThrough(cursor int64) {
	for k, s := range r.pairs {
		if s.added <= cursor {
			for _, v := range s.values {
				r.unindex(v, k)
			}
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
// a may see. Sightings are counted from the graph only (a sighting
// published since it was built counts from the next build).
func (g *Graph) correlateRecent(a *dragnet.Access, key string, r *recent, opts *Options) (*Correlation, error) {
	v := g.view(a)
	var fresh []pairKey
	for _, k := range r.byValue[key] {
		if a.CanSee(k.aud) {
			fresh = append(fresh, k)
		}
	}
	n := g.Lookup(key)
	if n != None && !v.visible(n) {
		n = None
	}
	if n == None && len(fresh) == 0 {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", key)
	}
	c := &Correlation{Key: key}
	reports := map[int64]*OrgReport{}
	objects := map[string]bool{}
	if n != None {
		c.Popular = v.popular(n)
		for _, h := range g.edges(n) {
			if h.kind != KindValue || !v.edgeVisible(h) {
				continue
			}
			id := g.ID(h.to)
			counted := false
			for _, s := range g.nodeSubs(h.to) {
				if !v.aud[s.aud] || r.replaced(id, g.audiences[s.aud]) {
					continue
				}
				counted = true
				addReport(reports, g.orgs[s.org], g.countries[s.org], s.first, s.last, false)
			}
			if counted {
				objects[id] = true
				v.countSightings(c, reports, h.to)
			}
		}
		if loc, ok := g.locateValue(n); ok {
			c.Location = &loc
		}
	}
	kind, val, _ := strings.Cut(key, ":")
	if n == None && opts.Popular != nil {
		c.Popular = opts.Popular(dragnet.Value{Kind: dragnet.ValueKind(kind), Value: val})
	}
	if n == None && opts.Locate != nil && (kind == string(dragnet.ValueIPv4) || kind == string(dragnet.ValueIPv6)) {
		if ip, err := netip.ParseAddr(val); err == nil {
			if loc, ok := opts.Locate(ip); ok {
				c.Location = &loc
			}
		}
	}
	for _, k := range fresh {
		s := r.pairs[k]
		objects[k.obj] = true
		addReport(reports, s.org, s.country, s.first, s.last, false)
	}
	c.Objects = len(objects)
	if c.Objects == 0 {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", key)
	}
	c.finish(g, reports, c.Objects)
	return c, nil
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
	// live reports whether the graph's submissions of n to audience set s
	// include one a may see that no recent one supersedes.
	live := func(set int32) bool {
		for _, x := range g.setAud[g.setStart[set]:g.setStart[set+1]] {
			if v.aud[x] && !r.replaced(key, g.audiences[x]) {
				return true
			}
		}
		return false
	}
	if n := g.Lookup(key); n != None && !g.IsValue(n) {
		counted := false
		for _, s := range g.nodeSubs(n) {
			if v.aud[s.aud] && !r.replaced(key, g.audiences[s.aud]) {
				counted = true
				addReport(reports, g.orgs[s.org], g.countries[s.org], s.first, s.last, false)
			}
		}
		if counted {
			v.countSightings(c, reports, n)
			for _, h := range g.edges(n) {
				if h.kind == KindValue && h.dir == dirOut && live(h.aset) {
					addValue(g.ID(h.to))
				}
			}
		}
	}
	for _, aud := range r.byObj[key] {
		s := r.pairs[pairKey{key, aud}]
		if s.gone || !a.CanSee(aud) {
			continue
		}
		addReport(reports, s.org, s.country, s.first, s.last, false)
		for _, k := range s.values {
			addValue(k)
		}
	}
	if len(reports) == 0 {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%s not found", key)
	}
	c.finish(g, reports, 1)
	for _, k := range values {
		if cv, err := g.correlateRecent(a, k, r, opts); err == nil {
			c.Values = append(c.Values, *cv)
		}
	}
	sortValues(c.Values)
	return c, nil
}
