package graph

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragnet-intel/dragnet"
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
// correlates now. The rest of the graph (paths, neighbourhoods, clusters,
// trace, sightings) is as of the last rebuild; each rebuild folds the
// recent submissions in and drops them from the index.
type Live struct {
	cur  atomic.Pointer[Graph]
	src  dragnet.ObjectScanner
	tail dragnet.ObjectTail // nil when the store has none
	orgs func(context.Context) ([]*dragnet.Org, error)
	opts Options
	log  *slog.Logger

	catchUp sync.Mutex // one CatchUp at a time

	mu      sync.RWMutex // guards what follows
	recent  recent
	cursor  int64            // the tail's cursor: everything up to it is in the graph or in recent
	country map[int64]string // organisation id -> country
}

// NewLive returns a Live graph over src; orgs lists the organisations
// (for their countries). Call Reload, or Run, to build it.
func NewLive(src dragnet.ObjectScanner, orgs func(context.Context) ([]*dragnet.Org, error), opts Options, log *slog.Logger) *Live {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Live{src: src, orgs: orgs, opts: opts, log: log, recent: newRecent(), cursor: -1}
	l.tail, _ = src.(dragnet.ObjectTail)
	return l
}

// Graph returns the current graph, nil until the first Reload succeeds.
func (l *Live) Graph() *Graph { return l.cur.Load() }

// Reload builds a new graph from the store and swaps it in. ctx must carry
// the system principal.
func (l *Live) Reload(ctx context.Context) error {
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
	if head >= 0 {
		l.recent.pruneThrough(head)
		l.cursor = max(l.cursor, head)
	}
	l.mu.Unlock()
	l.log.Info("graph built", "nodes", g.Len(), "edges", g.Edges(), "skipped", skipped, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Run reloads now and then every interval until ctx is done, logging
// failures (the previous graph keeps answering).
func (l *Live) Run(ctx context.Context, every time.Duration) {
	for {
		if err := l.Reload(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("building the graph", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Correlate answers Graph.Correlate on the current graph and the
// submissions published since it was built (see Live): a value's
// reporters, or an object's and those of each value it carries.
// Sightings count as of the last build. ENOTFOUND while no graph is built.
func (l *Live) Correlate(a *dragnet.Access, key string) (*Correlation, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	g := l.cur.Load()
	if g == nil {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "%q: the graph is being built", key)
	}
	key = g.ParseStart(key)
	if len(l.recent.pairs) == 0 {
		return g.Correlate(a, key)
	}
	if strings.Contains(key, "--") {
		return g.correlateObjectRecent(a, key, &l.recent, &l.opts)
	}
	return g.correlateRecent(a, key, &l.recent, &l.opts)
}

// CatchUp applies what was published since the last CatchUp (or the
// graph's snapshot) to the recent index. It does nothing before the first
// build or when the store is no ObjectTail. ctx must carry the system
// principal.
func (l *Live) CatchUp(ctx context.Context) error {
	if l.tail == nil {
		return nil
	}
	l.catchUp.Lock()
	defer l.catchUp.Unlock()
	for {
		l.mu.RLock()
		cursor := l.cursor
		l.mu.RUnlock()
		if cursor < 0 {
			return nil
		}
		objs, next, err := l.tail.ObjectsAfter(ctx, cursor, 1000)
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			return nil
		}
		if err := l.apply(ctx, objs, cursor, next); err != nil {
			return err
		}
	}
}

// apply records objs, read from cursor to next, unless a rebuild moved
// the cursor past them meanwhile.
func (l *Live) apply(ctx context.Context, objs []*dragnet.StoredObject, cursor, next int64) error {
	l.mu.RLock()
	missing := false
	for _, o := range objs {
		if _, ok := l.country[o.Submitter]; !ok {
			missing = true
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
	subs := make([]*recentSub, len(objs))
	for i, o := range objs {
		x, err := extract(o.Raw)
		if err != nil {
			continue // the builder skips it too
		}
		added := o.DateAdded.Unix()
		s := &recentSub{added: o.DateAdded.UnixMicro(), first: x.first, last: x.last}
		if s.first == 0 {
			s.first = added
		}
		if s.last == 0 {
			s.last = s.first
		}
		for _, v := range x.values {
			s.values = append(s.values, valueKey(string(v.Kind), v.Value))
		}
		subs[i] = s
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range orgs {
		l.country[o.ID] = o.Country
	}
	if l.cursor != cursor {
		return nil // a rebuild took these in
	}
	for i, o := range objs {
		s := subs[i]
		if s == nil {
			s = &recentSub{added: o.DateAdded.UnixMicro()}
		}
		s.org, s.country = o.Submitter, l.country[o.Submitter]
		l.recent.put(pairKey{o.ID, o.AudienceID}, s)
	}
	l.cursor = next
	return nil
}

// Follow runs CatchUp on every notice from wake and every interval, until
// ctx is done, logging failures.
func (l *Live) Follow(ctx context.Context, every time.Duration, wake <-chan dragnet.Change) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := l.CatchUp(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("graph: applying new submissions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		}
	}
}
