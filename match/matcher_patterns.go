package match

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// scanPatterns reads the complex-pattern indicators from the object
// scanner (nil when the Matcher has none) and compiles them.
func (m *Matcher) scanPatterns(ctx context.Context) (*Patterns, error) {
	if m.opt.Objects == nil {
		return nil, nil
	}
	var es []PatternEntry
	err := m.opt.Objects.ScanObjects(ctx, func(o *dragnet.StoredObject) error {
		if o.Type != "indicator" {
			return nil
		}
		if e, ok := patternEntryOf(o); ok {
			es = append(es, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning indicator patterns: %w", err)
	}
	ps, err := CompilePatterns(es, m.opt.Now(), m.skipPattern)
	if err != nil {
		return nil, err
	}
	m.opt.Logger.Info("match: patterns loaded", "patterns", ps.Len())
	return ps, nil
}

func (m *Matcher) skipPattern(e PatternEntry, err error) {
	m.opt.Logger.Warn("match: pattern left out", "indicator", e.IndicatorID, "err", err)
}

// patternChanges applies a run of changes of the store's value stream,
// in order, to the pattern delta and reports whether it changed. When
// many of them need their indicator read, the run's new objects are read
// in one pass over the object tail instead of one read each.
func (m *Matcher) patternChanges(ctx context.Context, cs []*dragnet.ValueChange) (bool, error) {
	if m.opt.Objects == nil {
		return false, nil
	}
	pre, err := m.prefetch(ctx, cs)
	if err != nil {
		return false, err
	}
	changed := false
	for _, c := range cs {
		pc, err := m.patternChange(ctx, c, pre)
		if err != nil {
			return false, err
		}
		changed = changed || pc
	}
	return changed, nil
}

// needsRead reports whether a change is of an indicator with no values,
// which patternChange reads.
func needsRead(c *dragnet.ValueChange) bool {
	return len(c.Entries) == 0 && strings.HasPrefix(c.ObjectID, "indicator--")
}

// prefetch reads the current indicators published in the span of cs, by
// date_added, when at least a quarter of cs (and 4 or more) need reading;
// otherwise it returns nil and each is read on its own.
func (m *Matcher) prefetch(ctx context.Context, cs []*dragnet.ValueChange) (map[int64]*dragnet.StoredObject, error) {
	if m.tail == nil {
		return nil, nil
	}
	n, lo, hi := 0, int64(0), int64(0)
	for _, c := range cs {
		if needsRead(c) && c.Seq > 0 {
			if n == 0 || c.Seq < lo {
				lo = c.Seq
			}
			hi = max(hi, c.Seq)
			n++
		}
	}
	if n < 4 || n*4 < len(cs) {
		return nil, nil
	}
	pre := make(map[int64]*dragnet.StoredObject, n)
	for cursor := lo - 1; cursor < hi; {
		objs, next, err := m.tail.ObjectsAfter(ctx, cursor, 1000)
		if err != nil {
			return nil, fmt.Errorf("reading new indicators: %w", err)
		}
		for _, o := range objs {
			if da := o.DateAdded.UnixMicro(); o.Type == "indicator" && da <= hi {
				pre[da] = o
			}
		}
		if len(objs) < 1000 || next <= cursor {
			break
		}
		cursor = next
	}
	return pre, nil
}

// patternChange applies one change of the store's value stream to the
// pattern delta and reports whether the delta changed. The value stream
// carries no pattern: a complex pattern has no values (observable.Values),
// so an indicator whose change has values is simple now, and one whose
// change has none is read from the object tail at the change's position:
// its current version there (a new or changed complex pattern, or one no
// longer complex), or nothing (removed). Only indicators are read, and
// only those without values or known to be complex; pre holds those
// already read (see prefetch), by date_added.
func (m *Matcher) patternChange(ctx context.Context, c *dragnet.ValueChange, pre map[int64]*dragnet.StoredObject) (bool, error) {
	if !strings.HasPrefix(c.ObjectID, "indicator--") {
		return false, nil
	}
	k := objAud{c.ObjectID, c.AudienceID}
	_, inDelta := m.patDelta[k]
	known := inDelta || m.patBase.has(k)
	if len(c.Entries) > 0 {
		if known {
			m.patDelta[k] = nil
		}
		return known, nil
	}
	o, found := pre[c.Seq]
	if !found || o.ID != c.ObjectID || o.AudienceID != c.AudienceID {
		var err error
		if o, found, err = m.currentAt(ctx, c); err != nil || !found {
			return false, err
		}
	}
	if o != nil {
		if e, ok := patternEntryOf(o); ok {
			m.patDelta[k] = &e
			return true, nil
		}
	}
	if known {
		m.patDelta[k] = nil
	}
	return known, nil
}

// currentAt reads the object version a value change is about, through
// the store's object and removal tails: a change's Seq is the date_added
// of the submission that made it, or the sequence number of the removal
// (one counter for both, unique), so the first object or removal after
// Seq-1 is that change. o is nil when a removal left no version in the
// audience. found is false when the store has no tails, or when the
// submission is no longer current (a later change in the stream, read
// after this one, replaces it).
func (m *Matcher) currentAt(ctx context.Context, c *dragnet.ValueChange) (o *dragnet.StoredObject, found bool, err error) {
	if m.tail == nil || c.Seq <= 0 {
		return nil, false, nil
	}
	objs, _, err := m.tail.ObjectsAfter(ctx, c.Seq-1, 1)
	if err != nil {
		return nil, false, fmt.Errorf("reading indicator %s: %w", c.ObjectID, err)
	}
	if len(objs) == 1 && objs[0].ID == c.ObjectID && objs[0].AudienceID == c.AudienceID && objs[0].DateAdded.UnixMicro() == c.Seq {
		return objs[0], true, nil
	}
	if m.rem == nil {
		return nil, false, nil
	}
	rs, _, err := m.rem.RemovalsAfter(ctx, c.Seq-1, 1)
	if err != nil {
		return nil, false, fmt.Errorf("reading removals of indicator %s: %w", c.ObjectID, err)
	}
	if len(rs) == 1 && rs[0].Seq == c.Seq && rs[0].ObjectID == c.ObjectID && rs[0].AudienceID == c.AudienceID {
		return rs[0].Current, true, nil
	}
	return nil, false, nil
}

// publishPatterns compiles the pattern delta and publishes it with the
// base as one view.
func (m *Matcher) publishPatterns() {
	if m.patBase == nil {
		return
	}
	masked := make(map[objAud]struct{}, len(m.patDelta))
	var es []PatternEntry
	for k, e := range m.patDelta {
		masked[k] = struct{}{}
		if e != nil {
			es = append(es, *e)
		}
	}
	// In a fixed order, so that the hits of one event come in one order.
	slices.SortFunc(es, func(a, b PatternEntry) int {
		return cmp.Or(strings.Compare(a.IndicatorID, b.IndicatorID), cmp.Compare(a.Audience, b.Audience))
	})
	delta, _ := CompilePatterns(es, m.opt.Now(), m.skipPattern) // skip: no error
	m.patterns.Store(&patternView{base: m.patBase, delta: delta, masked: masked, now: m.opt.Now})
}

// PatternLen returns the number of complex patterns matched from the base
// (those not changed since) and from the delta (changed since the base).
func (m *Matcher) PatternLen() (base, delta int) {
	v := m.patterns.Load()
	if v == nil {
		return 0, 0
	}
	return v.Len() - v.delta.Len(), v.delta.Len()
}

// patternEntryOf returns the PatternEntry of a stored indicator whose
// STIX pattern needs the evaluator; ok is false for other indicators
// (simple patterns naming a value are in the value index; other pattern
// languages are not matched). A simple pattern that names no value the
// value index holds ([network-traffic:dst_port = 4444]) carries no values
// and so is matched here. A pattern that does not parse is returned, for
// CompilePatterns to report; one that does is passed on parsed.
func patternEntryOf(o *dragnet.StoredObject) (PatternEntry, bool) {
	if indexedPattern(o.Raw) {
		return PatternEntry{}, false
	}
	return decodedPatternEntry(o)
}

// decodedPatternEntry is patternEntryOf reading the whole object.
func decodedPatternEntry(o *dragnet.StoredObject) (PatternEntry, bool) {
	var f struct {
		Pattern     string     `json:"pattern"`
		PatternType string     `json:"pattern_type"`
		Confidence  int        `json:"confidence"`
		ValidFrom   *time.Time `json:"valid_from"`
		ValidUntil  *time.Time `json:"valid_until"`
	}
	if json.Unmarshal(o.Raw, &f) != nil || f.Pattern == "" || (f.PatternType != "" && f.PatternType != "stix") {
		return PatternEntry{}, false
	}
	p, err := pattern.Parse(f.Pattern)
	if err != nil {
		p = nil
	} else if cs, simple := p.Simple(); simple && indexable(cs) {
		return PatternEntry{}, false
	}
	e := PatternEntry{IndicatorID: o.ID, Pattern: f.Pattern, Audience: o.AudienceID, TLP: o.TLP, Revoked: o.Revoked, parsed: p}
	if f.Confidence > 0 && f.Confidence <= 100 {
		e.Confidence = f.Confidence
	}
	if f.ValidFrom != nil {
		e.ValidFrom = *f.ValidFrom
	}
	if f.ValidUntil != nil {
		e.ValidUntil = *f.ValidUntil
	}
	return e, true
}

// indexedPattern reports, without decoding the whole object, that raw is
// an indicator whose STIX pattern is simple and in the value index: nearly
// every indicator, and none patternEntryOf returns. Anything unusual (a
// pattern that does not parse, a member named like pattern in another
// case, which a decoder would take) gets false, and the full reading.
func indexedPattern(raw []byte) bool {
	var pat, typ jsonscan.Value
	odd := false
	err := jsonscan.Object(string(raw), func(k string, v jsonscan.Value) error {
		switch k {
		case "pattern":
			pat = v
		case "pattern_type":
			typ = v
		default:
			odd = odd || strings.EqualFold(k, "pattern") || strings.EqualFold(k, "pattern_type")
		}
		return nil
	})
	if err != nil || odd {
		return false
	}
	if t, ok := typ.String(); typ.Kind() != 0 && typ.Text() != "null" && (!ok || t != "stix") {
		return false
	}
	text, ok := pat.String()
	if !ok || text == "" || !utf8.ValidString(text) {
		return false
	}
	if typ, lit, ok := valueComparison(text); ok {
		if k, ok := observable.Kind(typ, "value"); ok {
			if _, err := dragnet.NormalizeValue(k, lit); err == nil {
				return true
			}
		}
	}
	p, err := pattern.Parse(text)
	if err != nil {
		return false
	}
	cs, simple := p.Simple()
	return simple && indexable(cs)
}

// valueComparison recognises the commonest pattern of all,
// "[type:value = 'literal']" (white space around the tokens allowed), and
// returns its object type and literal; ok is false for anything else,
// which the parser then reads. Literals with escapes or control
// characters are left to the parser.
func valueComparison(p string) (typ, lit string, ok bool) {
	i := 0
	ws := func() {
		for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
			i++
		}
	}
	eat := func(c byte) bool {
		if i < len(p) && p[i] == c {
			i++
			return true
		}
		return false
	}
	ws()
	if !eat('[') {
		return "", "", false
	}
	ws()
	start := i
	for i < len(p) && (p[i] >= 'a' && p[i] <= 'z' || p[i] >= '0' && p[i] <= '9' || p[i] == '-') {
		i++
	}
	typ = p[start:i]
	if typ == "" || !strings.HasPrefix(p[i:], ":value") {
		return "", "", false
	}
	i += len(":value")
	ws()
	if !eat('=') {
		return "", "", false
	}
	ws()
	if !eat('\'') {
		return "", "", false
	}
	start = i
	for i < len(p) && p[i] != '\'' {
		if p[i] < 0x20 || p[i] == '\\' || p[i] == 0x7f {
			return "", "", false
		}
		i++
	}
	lit = p[start:i]
	if !eat('\'') {
		return "", "", false
	}
	ws()
	if !eat(']') {
		return "", "", false
	}
	ws()
	return typ, lit, i == len(p)
}

// patternSet implements patternLooker.
func (m *Matcher) patternSet() (*patternView, func() time.Time) {
	return m.patterns.Load(), m.opt.Now
}

// patternLooker is a Looker that also holds complex patterns. The view it
// returns is nil or immutable; a later call may return a newer one.
type patternLooker interface {
	patternSet() (*patternView, func() time.Time)
}

// indexable reports whether a simple pattern's comparisons give the value
// index a value (observable.Values does the same).
func indexable(cs []pattern.Comparison) bool {
	for _, c := range cs {
		if k, ok := observable.Kind(c.Type, c.Path); ok {
			if _, err := dragnet.NormalizeValue(k, c.Value); err == nil {
				return true
			}
		}
	}
	return false
}
