package match

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// PatternEntry is one indicator whose STIX pattern the value index cannot
// stand in for (pattern.Simple is false: AND across observations,
// FOLLOWEDBY, qualifiers, NOT, comparisons other than equality), to be
// matched with the evaluator.
type PatternEntry struct {
	IndicatorID string
	Pattern     string
	Audience    int64
	TLP         dragnet.TLP
	Confidence  int
	ValidFrom   time.Time // zero: no lower bound
	ValidUntil  time.Time // zero: no upper bound
	Revoked     bool
}

// Patterns is a compiled, immutable set of complex-pattern indicators,
// prefiltered by the values their patterns name: an event is evaluated
// against a pattern only when it carries one of them (or when the
// pattern names none). Build one with CompilePatterns; match events with
// a PatternSession.
type Patterns struct {
	pats    []compiledPattern
	byValue map[dragnet.Value][]int32
	ranges  []rangeRef // ISSUBSET comparisons on addresses
	always  []int32    // patterns naming no value: evaluated on every event
}

type compiledPattern struct {
	e PatternEntry
	p *pattern.Pattern
}

type rangeRef struct {
	pfx netip.Prefix
	i   int32
}

// Len returns the number of compiled patterns.
func (ps *Patterns) Len() int {
	if ps == nil {
		return 0
	}
	return len(ps.pats)
}

// CompilePatterns compiles entries. Revoked and expired entries are left
// out. A pattern that does not parse fails compilation with EINVALID
// naming the indicator and the position, unless skip is set: then skip is
// told and the entry left out.
func CompilePatterns(es []PatternEntry, now time.Time, skip func(PatternEntry, error)) (*Patterns, error) {
	ps := &Patterns{byValue: map[dragnet.Value][]int32{}}
	for _, e := range es {
		if e.Revoked || (!e.ValidUntil.IsZero() && !e.ValidUntil.After(now)) {
			continue
		}
		p, err := pattern.Parse(e.Pattern)
		if err != nil {
			err = dragnet.Errorf(dragnet.EINVALID, "indicator %s: pattern: %v", e.IndicatorID, err)
			if skip != nil {
				skip(e, err)
				continue
			}
			return nil, err
		}
		i := int32(len(ps.pats))
		ps.pats = append(ps.pats, compiledPattern{e: e, p: p})
		named := false
		for _, c := range p.Comparisons() {
			k, ok := observable.Kind(c.Type, c.Path)
			if !ok {
				continue
			}
			v, err := dragnet.NormalizeValue(k, c.Value)
			if err != nil {
				continue
			}
			named = true
			if v.Kind == dragnet.ValueCIDR {
				if pfx, err := netip.ParsePrefix(v.Value); err == nil {
					ps.ranges = append(ps.ranges, rangeRef{pfx.Masked(), i})
				}
				continue
			}
			if l := ps.byValue[v]; len(l) == 0 || l[len(l)-1] != i {
				ps.byValue[v] = append(l, i)
			}
		}
		if !named {
			ps.always = append(ps.always, i)
		}
	}
	return ps, nil
}

// PatternHit is one complex-pattern indicator an event completed.
type PatternHit struct {
	IndicatorID string
	Pattern     string
	Audience    int64
	TLP         dragnet.TLP
	Confidence  int
}

// A PatternSession matches a stream of events against a Patterns set for
// one reader. Each event is one observation of the objects its values
// make (an address, a domain name, a URL, an e-mail address, a file with
// the event's hashes). A pattern is evaluated when an event carries a
// value the pattern names, against that event and the recent events that
// carried one too (the last Window of them), so that AND, FOLLOWEDBY and
// the qualifiers can join observations of several events. Only indicators
// the access may see and valid at the event's time hit. A session is not
// safe for concurrent use.
type PatternSession struct {
	ps     *Patterns
	access *dragnet.Access
	window int
	recent []recentObs // oldest first
	cands  []int32
	seen   map[int32]bool
	nvs    []dragnet.Value
}

type recentObs struct {
	obs   pattern.Observation
	cands []int32
}

// DefaultPatternWindow is the number of recent relevant events a session
// keeps when NewSession is given 0.
const DefaultPatternWindow = 1000

// NewSession starts a session for access keeping window recent events.
func (ps *Patterns) NewSession(access *dragnet.Access, window int) *PatternSession {
	if window <= 0 {
		window = DefaultPatternWindow
	}
	return &PatternSession{ps: ps, access: access, window: window, seen: map[int32]bool{}}
}

// Event matches one event observed at t carrying values vs and returns the
// indicators whose pattern this event completes: those matched by it and
// the recent events together but not by the recent events alone. Each
// indicator is reported at most once per event. An error is the first of
// the evaluator's (a pattern needing too much work, say); the other
// patterns are still evaluated and their hits returned with it.
func (s *PatternSession) Event(t time.Time, vs []dragnet.Value) ([]PatternHit, error) {
	if s.ps.Len() == 0 {
		return nil, nil
	}
	s.cands = s.cands[:0]
	clear(s.seen)
	add := func(i int32) {
		if !s.seen[i] {
			s.seen[i] = true
			s.cands = append(s.cands, i)
		}
	}
	s.nvs = s.nvs[:0]
	for _, v := range vs {
		nv, err := dragnet.NormalizeValue(v.Kind, v.Value)
		if err != nil {
			continue
		}
		s.nvs = append(s.nvs, nv)
		for _, i := range s.ps.byValue[nv] {
			add(i)
		}
		if len(s.ps.ranges) > 0 && (nv.Kind == dragnet.ValueIPv4 || nv.Kind == dragnet.ValueIPv6) {
			if a, err := netip.ParseAddr(nv.Value); err == nil {
				for _, r := range s.ps.ranges {
					if r.pfx.Contains(a) {
						add(r.i)
					}
				}
			}
		}
	}
	relevant := len(s.cands)
	for _, i := range s.ps.always {
		add(i)
	}
	if len(s.cands) == 0 {
		return nil, nil
	}
	cur := pattern.Observation{FirstObserved: t, LastObserved: t, NumberObserved: 1, Objects: eventObjects(s.nvs)}
	var hits []PatternHit
	var firstErr error
	var obs []pattern.Observation
	for _, i := range s.cands {
		cp := &s.ps.pats[i]
		if !s.visible(&cp.e, t) {
			continue
		}
		obs = obs[:0]
		for _, r := range s.recent {
			for _, j := range r.cands {
				if j == i {
					obs = append(obs, r.obs)
					break
				}
			}
		}
		ok, err := pattern.Match(cp.p, append(obs, cur))
		if ok && len(obs) > 0 {
			// A match the earlier events make on their own was reported
			// when it completed.
			var before bool
			before, err = pattern.Match(cp.p, obs[:len(obs):len(obs)])
			ok = !before
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("indicator %s: %w", cp.e.IndicatorID, err)
			}
			continue
		}
		if ok {
			hits = append(hits, PatternHit{IndicatorID: cp.e.IndicatorID, Pattern: cp.e.Pattern, Audience: cp.e.Audience, TLP: cp.e.TLP, Confidence: cp.e.Confidence})
		}
	}
	if relevant > 0 {
		if len(s.recent) == s.window {
			copy(s.recent, s.recent[1:])
			s.recent = s.recent[:len(s.recent)-1]
		}
		s.recent = append(s.recent, recentObs{obs: cur, cands: append([]int32(nil), s.cands[:relevant]...)})
	}
	return hits, firstErr
}

func (s *PatternSession) visible(e *PatternEntry, t time.Time) bool {
	return s.access.CanSee(e.Audience) && (e.ValidFrom.IsZero() || !e.ValidFrom.After(t)) &&
		(e.ValidUntil.IsZero() || e.ValidUntil.After(t))
}

// eventObjects builds the cyber-observable objects of one event from its
// values: one object per address, domain, URL and e-mail address, and one
// file holding every hash.
func eventObjects(vs []dragnet.Value) map[string]map[string]any {
	objs := make(map[string]map[string]any, len(vs))
	var file map[string]any
	for _, v := range vs {
		typ := v.SCOType()
		switch {
		case typ == "" || v.Kind == dragnet.ValueCIDR: // telemetry names hosts, not ranges
			continue
		case typ == "file":
			if file == nil {
				file = map[string]any{"type": "file", "hashes": map[string]any{}}
				objs[strconv.Itoa(len(objs))] = file
			}
			file["hashes"].(map[string]any)[v.Kind.HashAlgorithm()] = v.Value
			continue
		}
		objs[strconv.Itoa(len(objs))] = map[string]any{"type": typ, "value": v.Value}
	}
	return objs
}
