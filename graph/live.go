package graph

import (
	"cmp"
	"context"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/follow"
)

// Live holds the graph of a running node: built from the store, answered
// from memory, rebuilt and swapped in as the store changes (queries in
// flight keep the graph they started with).
//
// Correlation does not wait for a rebuild: when the store is also a
// dragnet.ObjectTail, CatchUp (run by Follow on every change notice)
// applies what was published since the graph's snapshot to a small index
// of recent submissions, in O(new objects), and Correlate answers from the
// graph and that index together, so a value reported a second ago
// correlates now. When the store is also a dragnet.RemovalTail, deletions
// are applied the same way: a submission deleted a second ago no longer
// counts. Sightings and observed data count the same way, through each
// caller's Access. The rest of the graph (paths, neighbourhoods, clusters,
// trace) is as of the last rebuild; each rebuild folds the recent
// submissions in and drops them from the index.
type Live struct {
	cur  atomic.Pointer[Graph]
	src  dragnet.ObjectScanner
	tail dragnet.ObjectTail  // nil when the store has none
	rem  dragnet.RemovalTail // nil when the store has none (or no ObjectTail)
	orgs func(context.Context) ([]*dragnet.Org, error)
	opts Options
	log  *slog.Logger

	build   sync.Mutex // one build at a time
	catchUp sync.Mutex // one CatchUp at a time

	mu      sync.RWMutex // guards what follows
	recent  recent
	cursor  int64            // the tail's cursor: everything up to it is in the graph or in recent
	country map[int64]string // organisation id -> country
	// builtHead is the store's head (the tail's cursor for "now") when
	// the current graph's scan began; -1 when unknown (no tail).
	builtHead int64
}

// NewLive returns a Live graph over src; orgs lists the organisations
// (for their countries). Call Reload, or Run, to build it.
func NewLive(src dragnet.ObjectScanner, orgs func(context.Context) ([]*dragnet.Org, error), opts Options, log *slog.Logger) *Live {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Live{src: src, orgs: orgs, opts: opts, log: log, recent: newRecent(), cursor: -1, builtHead: -1}
	l.tail, _ = src.(dragnet.ObjectTail)
	if l.tail != nil {
		l.rem, _ = src.(dragnet.RemovalTail)
	}
	return l
}

// Graph returns the current graph, nil until the first Reload succeeds.
func (l *Live) Graph() *Graph { return l.cur.Load() }

// Reload builds a new graph from the store and swaps it in. ctx must carry
// the system principal. Builds run one at a time.
func (l *Live) Reload(ctx context.Context) error {
	l.build.Lock()
	defer l.build.Unlock()
	return l.reload(ctx)
}

// ensureBuilt builds the graph unless one is built, waiting for a build
// under way rather than starting a second.
func (l *Live) ensureBuilt(ctx context.Context) error {
	if l.cur.Load() != nil {
		return nil
	}
	l.build.Lock()
	defer l.build.Unlock()
	if l.cur.Load() != nil {
		return nil
	}
	return l.reload(ctx)
}

// Sync makes Correlate answer for everything committed before the call:
// it builds the graph if none is built yet (waiting for a build under way
// instead), then runs CatchUp. Followers that must not miss a correlation
// (the alert watcher) call it before they ask. ctx must carry the system
// principal.
func (l *Live) Sync(ctx context.Context) error {
	if err := l.ensureBuilt(ctx); err != nil {
		return err
	}
	return l.CatchUp(ctx)
}

func (l *Live) reload(ctx context.Context) error {
	start := time.Now()
	orgs, err := l.orgs(ctx)
	if err != nil {
		return err
	}
	// Everything up to head is in the snapshot the scan reads (or a
	// later one): recent submissions up to it are folded in.
	head := int64(-1)
	if l.tail != nil {
		if _, head, err = l.tail.ObjectsAfter(ctx, -1, 0); err != nil {
			return err
		}
	}
	g, skipped, err := Load(ctx, l.src, orgs, l.opts)
	if err != nil {
		return err
	}
	country := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		country[o.ID] = o.Country
	}
	l.mu.Lock()
	l.cur.Store(g)
	l.country = country
	l.builtHead = head
	if head >= 0 {
		l.recent.pruneThrough(head)
		l.cursor = max(l.cursor, head)
	}
	l.mu.Unlock()
	l.log.Info("graph built", "nodes", g.Len(), "edges", g.Edges(), "skipped", skipped, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Run builds the graph now, unless a Sync has already, and then rebuilds
// it until ctx is done, logging failures (the previous graph keeps
// answering). A rebuild reads every object, so it runs only when the store
// changed since the last one (new or removed submissions, organisations'
// countries), at most once per interval, and never closer than
// rebuildSpacing times the last build's duration: a large store is not
// rebuilt back to back, and an idle one not at all.
func (l *Live) Run(ctx context.Context, every time.Duration) {
	start := time.Now()
	if err := l.ensureBuilt(ctx); err != nil && ctx.Err() == nil {
		l.log.Error("building the graph", "err", err)
	}
	took := time.Since(start)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(every, rebuildSpacing*took)):
		}
		stale, err := l.stale(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Error("checking the graph", "err", err)
		}
		if !stale {
			continue
		}
		start := time.Now()
		if err := l.Reload(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("building the graph", "err", err)
		}
		took = time.Since(start)
	}
}

// rebuildSpacing bounds the share of a processor that rebuilds take: the
// wait after a build is at least this many times its duration.
const rebuildSpacing = 4

// stale reports whether the store changed since the current graph was
// built: its head moved (objects published or removed) or an
// organisation's country changed. Without a tail the store cannot say, and
// the graph counts as stale.
func (l *Live) stale(ctx context.Context) (bool, error) {
	l.mu.RLock()
	built, country := l.builtHead, l.country
	l.mu.RUnlock()
	if l.tail == nil || built < 0 || l.cur.Load() == nil {
		return true, nil
	}
	_, head, err := l.tail.ObjectsAfter(ctx, -1, 0)
	if err != nil {
		return true, err
	}
	if head != built {
		return true, nil
	}
	orgs, err := l.orgs(ctx)
	if err != nil {
		return true, err
	}
	if len(orgs) != len(country) {
		return true, nil
	}
	for _, o := range orgs {
		if c, ok := country[o.ID]; !ok || c != o.Country {
			return true, nil
		}
	}
	return false, nil
}

// Correlate answers Graph.Correlate on the current graph and the
// submissions published since it was built (see Live): a value's
// reporters, or an object's and those of each value it carries, with
// their sightings. ENOTFOUND while no graph is built (Sync builds one).
func (l *Live) Correlate(a *dragnet.Access, key string) (*Correlation, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	g := l.cur.Load()
	if g == nil {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%q: the graph is being built", key)
	}
	key = g.ParseStart(key)
	if len(l.recent.pairs) == 0 {
		return g.correlate(a, key)
	}
	if strings.Contains(key, "--") {
		return g.correlateObjectRecent(a, key, &l.recent, &l.opts)
	}
	return g.correlateRecent(a, key, &l.recent, &l.opts)
}

// CatchUp applies what was published, and when the store is also a
// dragnet.RemovalTail what was removed, since the last CatchUp (or the
// graph's snapshot) to the recent index: a deleted submission stops
// counting at once. It does nothing before the first build or when the
// store is no ObjectTail. ctx must carry the system principal.
func (l *Live) CatchUp(ctx context.Context) error {
	if l.tail == nil {
		return nil
	}
	l.catchUp.Lock()
	defer l.catchUp.Unlock()
	const page = 1000
	for {
		l.mu.RLock()
		cursor := l.cursor
		l.mu.RUnlock()
		if cursor < 0 {
			return nil
		}
		// Removals first: their cursor is a bound every later read of
		// objects covers (one sequence, committed in order), so objects
		// up to it are all seen; what lies beyond waits for the next round.
		var rems []*dragnet.Removal
		next, full := int64(math.MaxInt64), false
		if l.rem != nil {
			var err error
			if rems, next, err = l.rem.RemovalsAfter(ctx, cursor, page); err != nil {
				return err
			}
			full = len(rems) == page
		}
		objs, onext, err := l.tail.ObjectsAfter(ctx, cursor, page)
		if err != nil {
			return err
		}
		if len(objs) == page || l.rem == nil {
			next = min(next, onext)
			full = full || len(objs) == page
		}
		objs = slices.DeleteFunc(objs, func(o *dragnet.StoredObject) bool { return o.DateAdded.UnixMicro() > next })
		rems = slices.DeleteFunc(rems, func(r *dragnet.Removal) bool { return r.Seq > next })
		if next > cursor {
			if err := l.apply(ctx, objs, rems, cursor, next); err != nil {
				return err
			}
		}
		if !full {
			return nil
		}
	}
}

// apply records objs and rems, read from cursor to next, unless a rebuild
// moved the cursor past them meanwhile. Both are applied in the order of
// the store's sequence, so the state each carries as of its read ends up
// in the index.
func (l *Live) apply(ctx context.Context, objs []*dragnet.StoredObject, rems []*dragnet.Removal, cursor, next int64) error {
	l.mu.RLock()
	missing := false
	for _, o := range objs {
		if _, ok := l.country[o.Submitter]; !ok {
			missing = true
		}
	}
	for _, r := range rems {
		if r.Current != nil {
			if _, ok := l.country[r.Current.Submitter]; !ok {
				missing = true
			}
		}
	}
	l.mu.RUnlock()
	var orgs []*dragnet.Org
	if missing {
		var err error
		if orgs, err = l.orgs(ctx); err != nil {
			return err
		}
	}
	type change struct {
		seq int64
		key pairKey
		sub *recentSub
		obj *dragnet.StoredObject // whose submitter reports sub; nil for a tombstone
	}
	changes := make([]change, 0, len(objs)+len(rems))
	for _, o := range objs {
		added := o.DateAdded.UnixMicro()
		changes = append(changes, change{added, pairKey{o.ID, o.AudienceID}, recentFrom(o, added), o})
	}
	for _, r := range rems {
		c := change{seq: r.Seq, key: pairKey{r.ObjectID, r.AudienceID}, sub: &recentSub{added: r.Seq, gone: true}}
		if r.Current != nil {
			// The version left current replaces the graph's too; it is
			// pruned once a rebuild's snapshot holds the removal.
			c.sub, c.obj = recentFrom(r.Current, r.Seq), r.Current
		}
		changes = append(changes, c)
	}
	slices.SortStableFunc(changes, func(a, b change) int { return cmp.Compare(a.seq, b.seq) })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range orgs {
		l.country[o.ID] = o.Country
	}
	if l.cursor != cursor {
		return nil // a rebuild took these in
	}
	for _, c := range changes {
		if c.obj != nil {
			c.sub.org, c.sub.country = c.obj.Submitter, l.country[c.obj.Submitter]
		}
		l.recent.put(c.key, c.sub)
	}
	l.cursor = next
	return nil
}

// recentFrom is what correlation needs of o, pruned once a rebuild's
// snapshot reaches added (Unix microseconds). An object the builder would
// skip carries no values.
func recentFrom(o *dragnet.StoredObject, added int64) *recentSub {
	s := &recentSub{added: added}
	x, err := extract(o.Raw)
	if err != nil {
		return s
	}
	s.first, s.last, s.typ = x.first, x.last, x.typ
	if countsRefs(x.typ) {
		for _, rf := range x.refs {
			// As the builder: provenance is no KindRef edge, nor a self-reference.
			if !provenance(rf.prop) && rf.to != x.id && !slices.Contains(s.refs, rf.to) {
				s.refs = append(s.refs, rf.to)
			}
		}
	}
	if s.first == 0 {
		s.first = o.DateAdded.Unix()
	}
	if s.last == 0 {
		s.last = s.first
	}
	for _, v := range x.values {
		s.values = append(s.values, valueKey(string(v.Kind), v.Value))
	}
	return s
}

// Follow runs CatchUp on every notice from wake and every interval, until
// ctx is done, logging failures.
func (l *Live) Follow(ctx context.Context, every time.Duration, wake <-chan dragnet.Change) {
	follow.Loop(ctx, every, wake, func(dragnet.Change) {
		if err := l.CatchUp(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("graph: applying new submissions", "err", err)
		}
	})
}
