package match

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Matcher keeps an index of every active indicator of a store up to date.
// It compiles a base index from a full scan, then follows the store's
// change stream into a small delta index: an indicator that is new,
// changed, revoked or removed since the base lives in the delta, and its
// base records are masked. When the delta grows past MaxDelta objects a
// new base is built in the background from a fresh scan and swapped in.
// Readers always see a complete view (base, delta and mask swapped as one
// pointer); no write rebuilds the base.
type Matcher struct {
	src dragnet.ValueScanner
	opt MatcherOptions

	view     atomic.Pointer[view]
	patterns atomic.Pointer[patternView]
	tail     dragnet.ObjectTail  // from Objects, when the store has one: complex patterns follow changes
	rem      dragnet.RemovalTail // likewise, for removals

	mu         sync.Mutex // serialises Refresh and the swap of a new base
	cursor     int64
	delta      map[objAud][]Entry // current entries of each object changed since the base
	patBase    *Patterns          // complex patterns as of the base; nil without Objects
	patDelta   map[objAud]*PatternEntry
	rebuilding bool
	rebuildErr error
	wg         sync.WaitGroup
	// life ends when Run returns, and with it a rebuild under way: a
	// rebuild outlives the Refresh that started it, not the server.
	life    context.Context
	endLife context.CancelFunc
}

// MatcherOptions tune a Matcher.
type MatcherOptions struct {
	Suppress *Suppression
	Now      func() time.Time // nil: time.Now
	Logger   *slog.Logger     // nil: discard
	// MaxDelta is the number of changed objects past which the base is
	// rebuilt in the background; 0 means 10,000.
	MaxDelta int
	// Objects, if set, is read at Load and at each rebuild of the base
	// for the indicators whose patterns the value index cannot stand in
	// for (see PatternEntry); they are matched by the evaluator. When it
	// is also a dragnet.ObjectTail and a dragnet.RemovalTail (both stores
	// are), those patterns follow the change stream as the value index
	// does: a complex indicator published, changed, revoked or removed
	// counts from the next Refresh on.
	Objects dragnet.ObjectScanner
}

// objAud names one object in one audience: the unit the change stream
// replaces.
type objAud struct {
	id  string
	aud int64
}

type view struct {
	base, delta *Index
	masked      map[objAud]struct{} // objects whose base records are out of date
}

// NewMatcher returns a Matcher over src; call Load before the first lookup.
func NewMatcher(src dragnet.ValueScanner, opt MatcherOptions) *Matcher {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxDelta <= 0 {
		opt.MaxDelta = 10000
	}
	m := &Matcher{src: src, opt: opt, delta: map[objAud][]Entry{}, patDelta: map[objAud]*PatternEntry{}}
	m.life, m.endLife = context.WithCancel(context.Background())
	if t, ok := opt.Objects.(dragnet.ObjectTail); ok {
		m.tail = t
		m.rem, _ = opt.Objects.(dragnet.RemovalTail)
	}
	empty, _ := Compile(Entries(nil), Options{Now: opt.Now})
	m.view.Store(&view{base: empty, delta: empty})
	return m
}

// entryOf converts a store value entry; ok is false for values of objects
// other than indicators.
func entryOf(e *dragnet.ValueEntry) (Entry, bool) {
	if e.Type != "indicator" {
		return Entry{}, false
	}
	return Entry{
		Value:       e.Value,
		IndicatorID: e.ObjectID,
		Audience:    e.AudienceID,
		TLP:         e.TLP,
		Confidence:  e.Confidence,
		ValidFrom:   e.ValidFrom,
		ValidUntil:  e.ValidUntil,
		Revoked:     e.Revoked,
	}, true
}

// scan compiles a base index from a full scan of the store (ctx must carry
// the system principal) and returns it with the scan's cursor.
func (m *Matcher) scan(ctx context.Context) (*Index, int64, error) {
	var cursor int64
	var scanErr error
	seq := func(yield func(Entry, error) bool) {
		stopped := false
		cursor, scanErr = m.src.ScanValues(ctx, func(ve *dragnet.ValueEntry) error {
			if e, ok := entryOf(ve); ok && !yield(e, nil) {
				stopped = true
				return context.Canceled
			}
			return nil
		})
		if scanErr != nil && !stopped {
			yield(Entry{}, fmt.Errorf("scanning indicator values: %w", scanErr))
		}
	}
	ix, err := Compile(seq, Options{Now: m.opt.Now, Suppress: m.opt.Suppress, Skip: m.skip})
	if err != nil {
		return nil, 0, err
	}
	return ix, cursor, nil
}

// skip logs a stored value the index cannot hold; one bad value must not
// keep every other indicator from matching.
func (m *Matcher) skip(e Entry, err error) {
	m.opt.Logger.Warn("match: value left out of the index", "indicator", e.IndicatorID, "value", e.Value.String(), "err", err)
}

// Load builds the base index from a full scan, replacing whatever the
// Matcher held, then applies the changes made since.
func (m *Matcher) Load(ctx context.Context) error {
	start := time.Now()
	ix, cursor, err := m.scan(ctx)
	if err != nil {
		return err
	}
	ps, err := m.scanPatterns(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursor = cursor
	m.delta = map[objAud][]Entry{}
	m.setPatternBase(ps)
	m.opt.Logger.Info("match: index loaded", "indicators", ix.Len(), "bytes", ix.Bytes(), "seconds", time.Since(start).Seconds())
	return m.refreshLocked(ctx, ix)
}

// Refresh applies the changes the store made since the last Refresh (or
// Load) and publishes the new view. It starts a background rebuild of the
// base when the delta has grown past MaxDelta; Wait waits for it.
func (m *Matcher) Refresh(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rebuildErr != nil {
		err := m.rebuildErr
		m.rebuildErr = nil
		return err
	}
	if err := m.refreshLocked(ctx, m.view.Load().base); err != nil {
		return err
	}
	if len(m.delta) > m.opt.MaxDelta && !m.rebuilding {
		m.rebuilding = true
		m.wg.Add(1)
		// ctx's values (the principal) without its end; Run's instead.
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(m.life, cancel)
		go func() {
			defer cancel()
			defer stop()
			m.rebuild(rctx)
		}()
	}
	return nil
}

// Wait waits for a background rebuild to finish.
func (m *Matcher) Wait() { m.wg.Wait() }

// refreshLocked reads the changes after m.cursor into the delta and
// publishes base with the new delta. It stops reading once the delta holds
// maxBacklog times MaxDelta objects: a rebuild follows (see Refresh) and
// its scan covers the rest, so a writer's million changes are neither
// held in memory nor compiled into a delta only to be thrown away; they
// match once the rebuild is in.
func (m *Matcher) refreshLocked(ctx context.Context, base *Index) error {
	changed := false
	patChanged := m.patterns.Load() == nil || m.patterns.Load().base != m.patBase
	for len(m.delta) <= maxBacklog*m.opt.MaxDelta {
		changes, next, err := m.src.ValueChanges(ctx, m.cursor, 1000)
		if err != nil {
			return fmt.Errorf("reading value changes: %w", err)
		}
		for _, c := range changes {
			var es []Entry
			for _, ve := range c.Entries {
				if e, ok := entryOf(ve); ok {
					es = append(es, e)
				}
			}
			m.delta[objAud{c.ObjectID, c.AudienceID}] = es
			changed = true
		}
		pc, err := m.patternChanges(ctx, changes)
		if err != nil {
			return err
		}
		patChanged = patChanged || pc
		m.cursor = next
		if len(changes) < 1000 {
			break
		}
	}
	if patChanged {
		m.publishPatterns()
	}
	if cur := m.view.Load(); !changed && cur.base == base {
		// Nothing new: only time moves (expiry, ValidFrom).
		now := m.opt.Now()
		cur.base.SetNow(now)
		cur.delta.SetNow(now)
		return nil
	}
	masked := make(map[objAud]struct{}, len(m.delta))
	var all []Entry
	for k, es := range m.delta {
		masked[k] = struct{}{}
		all = append(all, es...)
	}
	delta, err := Compile(Entries(all), Options{Now: m.opt.Now, Suppress: m.opt.Suppress, Skip: m.skip})
	if err != nil {
		return err
	}
	base.SetNow(m.opt.Now())
	m.view.Store(&view{base: base, delta: delta, masked: masked})
	return nil
}

// maxBacklog bounds the delta a refresh reads into, in multiples of
// MaxDelta.
const maxBacklog = 16

// rebuild builds a new base from a fresh scan, then, under the lock,
// swaps it in with a delta of the changes made after that scan.
func (m *Matcher) rebuild(ctx context.Context) {
	defer m.wg.Done()
	ix, cursor, err := m.scan(dragnet.SystemContext(ctx))
	var ps *Patterns
	if err == nil {
		ps, err = m.scanPatterns(dragnet.SystemContext(ctx))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rebuilding = false
	if err != nil {
		m.rebuildErr = fmt.Errorf("rebuilding the match index: %w", err)
		return
	}
	old, oldDelta, oldBase, oldPatDelta := m.cursor, m.delta, m.patBase, m.patDelta
	m.cursor = cursor
	m.delta = map[objAud][]Entry{}
	m.setPatternBase(ps)
	if err := m.refreshLocked(dragnet.SystemContext(ctx), ix); err != nil {
		m.rebuildErr = err
		m.cursor, m.delta, m.patBase, m.patDelta = old, oldDelta, oldBase, oldPatDelta
		return
	}
	m.opt.Logger.Info("match: base rebuilt", "indicators", ix.Len())
}

// setPatternBase makes ps the base of the complex patterns, with an
// empty delta; refreshLocked publishes it.
func (m *Matcher) setPatternBase(ps *Patterns) {
	m.patBase = ps
	m.patDelta = map[objAud]*PatternEntry{}
}

// Run refreshes every interval until ctx is done, and at once whenever
// wake delivers (a store's change notices; nil if none).
func (m *Matcher) Run(ctx context.Context, interval time.Duration, wake <-chan dragnet.Change) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			m.endLife() // a rebuild under way stops rather than finish its scan
			m.Wait()
			return
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil
				continue
			}
		}
		if err := m.Refresh(ctx); err != nil && ctx.Err() == nil {
			m.opt.Logger.Error("match: refresh failed", "err", err)
		}
	}
}

// AppendLookup appends the hits of v visible to access, from the current
// view: base hits of objects changed since are dropped, and the delta's
// hits added. It implements Looker.
func (m *Matcher) AppendLookup(dst []Hit, v dragnet.Value, access *dragnet.Access) []Hit {
	vw := m.view.Load()
	n := len(dst)
	dst = vw.unmask(vw.base.AppendLookup(dst, v, access), n)
	return vw.delta.AppendLookup(dst, v, access)
}

// unmask drops from dst[n:] the base hits of objects changed since.
func (vw *view) unmask(dst []Hit, n int) []Hit {
	if len(vw.masked) == 0 || len(dst) == n {
		return dst
	}
	out := dst[:n]
	for _, h := range dst[n:] {
		if _, gone := vw.masked[objAud{h.IndicatorID(), h.Audience}]; !gone {
			out = append(out, h)
		}
	}
	return out
}

// lookupBatch implements batchLooker: the base, which is large, reads
// ahead for the whole batch; the delta is small enough to stay cached.
func (m *Matcher) lookupBatch(b *Batch, qs []query, access *dragnet.Access, fn func(i int, hits []Hit) error) error {
	vw := m.view.Load()
	b.addrRun(vw.base, qs, access)
	for base := 0; base < len(qs); base += batchSize {
		chunk := qs[base:min(len(qs), base+batchSize)]
		b.sink += vw.base.prefetch(chunk)
		for i := range chunk {
			q := &chunk[i]
			var hits []Hit
			if q.isAddr4() {
				hits = append(b.hits[:0], b.addrHits(base+i)...)
			} else {
				hits = vw.base.appendQuery(b.hits[:0], q, access)
			}
			hits = vw.delta.appendQuery(vw.unmask(hits, 0), q, access)
			b.hits = hits
			if len(hits) > 0 {
				if err := fn(base+i, hits); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Len returns the number of indicator values in the base and the delta.
func (m *Matcher) Len() (base, delta int) {
	vw := m.view.Load()
	return vw.base.Len(), vw.delta.Len()
}
