package match

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// patternView is the set of complex patterns readers see at one moment: a
// base compiled at Load or at a rebuild, a small delta compiled from the
// indicators changed since, and the base patterns those changes replace
// (masked). A view is immutable; a Matcher publishes a new one as a whole,
// so a reader sees either the old set or the new one, never a mixture.
type patternView struct {
	base, delta *Patterns
	masked      map[objAud]struct{}
	// now, if set, is the clock expiry is judged by: a pattern whose
	// valid_until has passed no longer hits, whatever its events' time.
	now func() time.Time
}

var emptyPatterns = &Patterns{byValue: map[dragnet.Value][]int32{}}

// Len returns the number of patterns the view holds (masked base
// patterns left out).
func (v *patternView) Len() int {
	if v == nil {
		return 0
	}
	n := v.base.Len() + v.delta.Len()
	for k := range v.masked {
		if v.base.has(k) {
			n--
		}
	}
	return n
}

// pat returns candidate i: base patterns first, then the delta's.
func (v *patternView) pat(i int32) *compiledPattern {
	if nb := int32(v.base.Len()); i >= nb {
		return &v.delta.pats[i-nb]
	}
	return &v.base.pats[i]
}

// PatternHit is one complex-pattern indicator an event completed.
type PatternHit struct {
	IndicatorID string
	Pattern     string
	Audience    int64
	TLP         dragnet.TLP
	Confidence  int
}

// A PatternSession matches a stream of events against a set of complex
// patterns for one reader. Each event is one observation (observed-data
// with its cyber-observable objects). A pattern is evaluated when an event
// carries a value the pattern names (or, for a pattern naming none, when
// one of its observation expressions holds for the event), against that
// event and the recent events that did so too (the last Window of them),
// so that AND, FOLLOWEDBY and the qualifiers can join observations of
// several events.
// Only indicators the access may see and valid at the event's time hit. A
// session is not safe for concurrent use.
type PatternSession struct {
	v      *patternView
	access *dragnet.Access
	window int
	recent []recentObs // oldest first
	cands  []int32
	seen   map[int32]bool
	nvs    []dragnet.Value
	obs    []pattern.Observation
}

type recentObs struct {
	obs   pattern.Observation
	vals  []dragnet.Value // normalised: to find its candidates in a new view
	cands []int32
}

// DefaultPatternWindow is the number of recent relevant events a session
// keeps when NewSession is given 0.
const DefaultPatternWindow = 1000

// NewSession starts a session for access keeping window recent events.
func (ps *Patterns) NewSession(access *dragnet.Access, window int) *PatternSession {
	if ps == nil {
		ps = emptyPatterns
	}
	return newSession(&patternView{base: ps, delta: emptyPatterns}, access, window)
}

func newSession(v *patternView, access *dragnet.Access, window int) *PatternSession {
	if window <= 0 {
		window = DefaultPatternWindow
	}
	return &PatternSession{v: v, access: access, window: window, seen: map[int32]bool{}}
}

// setView moves the session to a newer set of patterns. The recent events
// stay, their candidates found again in the new set, so a pattern added
// now can join them with the events to come.
func (s *PatternSession) setView(v *patternView) {
	if v == s.v {
		return
	}
	s.v = v
	kept := s.recent[:0]
	for _, r := range s.recent {
		n := s.candidates(r.vals)
		for _, i := range s.cands[n:] {
			if v.pat(i).holdsPart(&r.obs) {
				s.cands[n] = i
				n++
			}
		}
		if n > 0 {
			r.cands = append(r.cands[:0], s.cands[:n]...)
			kept = append(kept, r)
		}
	}
	clear(s.recent[len(kept):])
	s.recent = kept
}

// candidates fills s.cands with the patterns vs (normalised) name, then
// those naming no value, and returns how many are of the first kind.
func (s *PatternSession) candidates(vs []dragnet.Value) int {
	s.cands = s.cands[:0]
	clear(s.seen)
	add := func(i int32) {
		if !s.seen[i] {
			s.seen[i] = true
			s.cands = append(s.cands, i)
		}
	}
	v := s.v
	nb := int32(v.base.Len())
	for layer, ps := range [2]*Patterns{v.base, v.delta} {
		off := int32(0)
		addLive := add
		if layer == 1 {
			off = nb
		} else if len(v.masked) > 0 {
			addLive = func(i int32) {
				e := &ps.pats[i].e
				if _, gone := v.masked[objAud{e.IndicatorID, e.Audience}]; !gone {
					add(i)
				}
			}
		}
		for _, nv := range vs {
			for _, i := range ps.byValue[nv] {
				addLive(i + off)
			}
			if len(ps.ranges) > 0 && (nv.Kind == dragnet.ValueIPv4 || nv.Kind == dragnet.ValueIPv6) {
				if a, err := netip.ParseAddr(nv.Value); err == nil {
					for _, r := range ps.ranges {
						if r.pfx.Contains(a) {
							addLive(r.i + off)
						}
					}
				}
			}
		}
	}
	relevant := len(s.cands)
	for _, i := range v.base.always {
		e := &v.base.pats[i].e
		if _, gone := v.masked[objAud{e.IndicatorID, e.Audience}]; !gone {
			add(i)
		}
	}
	for _, i := range v.delta.always {
		add(i + nb)
	}
	return relevant
}

// Event matches one event observed at t carrying values vs and returns the
// indicators whose pattern this event completes: those matched by it and
// the recent events together but not by the recent events alone. The
// event's objects are those its values make (an address, a domain name, a
// URL, an e-mail address, a file with the event's hashes). Each indicator
// is reported at most once per event. An error is the first of the
// evaluator's (a pattern needing too much work, say); the other patterns
// are still evaluated and their hits returned with it.
func (s *PatternSession) Event(t time.Time, vs []dragnet.Value) ([]PatternHit, error) {
	return s.observe(vs, func(nvs []dragnet.Value) pattern.Observation {
		return pattern.Observation{FirstObserved: t, LastObserved: t, NumberObserved: 1, Objects: eventObjects(nvs)}
	})
}

// observe is Event for an observation mk builds, called only when some
// pattern is to be evaluated; vs are the event's values, which choose the
// patterns.
func (s *PatternSession) observe(vs []dragnet.Value, mk func(nvs []dragnet.Value) pattern.Observation) ([]PatternHit, error) {
	if s.v.base.Len()+s.v.delta.Len() == 0 {
		return nil, nil
	}
	s.nvs = s.nvs[:0]
	for _, v := range vs {
		if canonical(v) {
			s.nvs = append(s.nvs, v)
		} else if nv, err := dragnet.NormalizeValue(v.Kind, v.Value); err == nil {
			s.nvs = append(s.nvs, nv)
		}
	}
	named := s.candidates(s.nvs)
	if len(s.cands) == 0 {
		return nil, nil
	}
	cur := mk(s.nvs)
	// Of the patterns naming no value, keep those this event may help
	// complete (one of their observation expressions holds for it): the
	// others cannot hit now, and the event is no part of their history.
	relevant := named
	for _, i := range s.cands[named:] {
		if s.v.pat(i).holdsPart(&cur) {
			s.cands[relevant] = i
			relevant++
		}
	}
	s.cands = s.cands[:relevant]
	var now time.Time
	if s.v.now != nil {
		now = s.v.now()
	}
	var hits []PatternHit
	var firstErr error
	for _, i := range s.cands {
		cp := s.v.pat(i)
		if !s.visible(&cp.e, cur.FirstObserved, now) {
			continue
		}
		obs := s.obs[:0]
		for _, r := range s.recent {
			for _, j := range r.cands {
				if j == i {
					obs = append(obs, r.obs)
					break
				}
			}
		}
		s.obs = obs
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
			s.recent[len(s.recent)-1] = recentObs{}
			s.recent = s.recent[:len(s.recent)-1]
		}
		s.recent = append(s.recent, recentObs{obs: cur, vals: append([]dragnet.Value(nil), s.nvs...), cands: append([]int32(nil), s.cands[:relevant]...)})
	}
	return hits, firstErr
}

// holdsPart reports whether one of the pattern's observation expressions
// holds for obs.
func (cp *compiledPattern) holdsPart(obs *pattern.Observation) bool {
	one := []pattern.Observation{*obs}
	for _, p := range cp.parts {
		if ok, _ := pattern.Match(p, one); ok {
			return true
		}
	}
	return false
}

// visible reports whether an indicator may hit an event at t: the reader
// may see it, it is valid at t, and (with a clock) it has not expired.
func (s *PatternSession) visible(e *PatternEntry, t, now time.Time) bool {
	return s.access.CanSee(e.Audience) && (e.ValidFrom.IsZero() || !e.ValidFrom.After(t)) &&
		(e.ValidUntil.IsZero() || e.ValidUntil.After(t) && (now.IsZero() || e.ValidUntil.After(now)))
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

// canonical reports, without allocating, whether v is valid and already
// as dragnet.NormalizeValue would write it, for the common forms
// telemetry has: a dotted IPv4 address without leading zeros, an ASCII
// domain name in lower case without a final dot, a hash in lower-case
// hex. False says nothing: NormalizeValue decides.
func canonical(v dragnet.Value) bool {
	s := v.Value
	switch v.Kind {
	case dragnet.ValueIPv4:
		return canonicalIPv4(s)
	case dragnet.ValueDomain:
		// As validDomain in the root package, for ASCII names: at least
		// two labels of 1 to 63 letters, digits, '-' and '_', no label
		// starting or ending with '-'.
		if len(s) > 253 {
			return false
		}
		labels, start := 0, 0
		for i := 0; i <= len(s); i++ {
			if i < len(s) && s[i] != '.' {
				c := s[i]
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
					return false
				}
				continue
			}
			l := s[start:i]
			if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
				return false
			}
			labels++
			start = i + 1
		}
		return labels >= 2
	case dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512:
		if len(s) != 2*v.Kind.HashBytes() {
			return false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	return false
}

func canonicalIPv4(s string) bool {
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || digits > 0 && n == 0 {
			return false // not a digit, or a leading zero
		}
		n = n*10 + int(c-'0')
		digits++
		if digits > 3 {
			return false
		}
	}
	return parts == 4
}
