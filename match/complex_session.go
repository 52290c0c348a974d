package match

import (
	"fmt"
	"net/netip"
	"slices"
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
// carries a value the pattern names (or when the pattern names none) and
// one of the pattern's observation expressions holds for the event. It is
// evaluated against that event and recent events for which one held too
// (kept among the last Window events), so that AND, FOLLOWEDBY and the
// qualifiers can join observations of several events: for each of its
// observation expressions, the newest few events it held for (twice as
// many as a match of the pattern may need, at least 8), within the
// pattern's outermost WITHIN of the event. This bounds the work an event
// costs however often a pattern's values occur. Only indicators the
// access may see and valid at the event's time hit. A session is not safe
// for concurrent use.
type PatternSession struct {
	v      *patternView
	access *dragnet.Access
	window int
	recent []recentObs // a ring: the oldest at start once full
	start  int
	cands  []int32
	masks  []uint64 // of cands: which observation expressions hold
	seen   map[int32]bool
	nvs    []dragnet.Value
	obs    []pattern.Observation
	counts []int
}

type recentObs struct {
	obs   pattern.Observation
	vals  []dragnet.Value // normalised: to find its candidates in a new view
	cands []int32         // the patterns it may join a match of
	masks []uint64        // of cands: which of their observation expressions hold
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
	kept := make([]recentObs, 0, len(s.recent))
	for k := range s.recent {
		r := s.recent[(s.start+k)%len(s.recent)]
		s.candidates(r.vals)
		if s.holding(&r.obs) > 0 {
			r.cands = append(r.cands[:0], s.cands...)
			r.masks = append(r.masks[:0], s.masks...)
			kept = append(kept, r)
		}
	}
	s.recent, s.start = kept, 0
}

// candidates fills s.cands with the patterns vs (normalised) name, then
// those naming no value; masked base patterns are left out.
func (s *PatternSession) candidates(vs []dragnet.Value) {
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
	for _, i := range v.base.always {
		e := &v.base.pats[i].e
		if _, gone := v.masked[objAud{e.IndicatorID, e.Audience}]; !gone {
			add(i)
		}
	}
	for _, i := range v.delta.always {
		add(i + nb)
	}
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
	s.candidates(s.nvs)
	if len(s.cands) == 0 {
		return nil, nil
	}
	cur := mk(s.nvs)
	// Only patterns one of whose observation expressions holds for this
	// event can have a match it completes.
	if s.holding(&cur) == 0 {
		return nil, nil
	}
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
		obs := s.recentFor(i, cp, &cur)
		// A match the earlier events make on their own was reported when
		// it completed (or when they were read): only a match this event
		// completes is a hit.
		var before bool
		var err error
		if len(obs) > 0 {
			before, err = pattern.Match(cp.p, obs)
		}
		ok := false
		if !before && err == nil {
			ok, err = pattern.Match(cp.p, append(obs, cur))
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
	r := recentObs{obs: cur, vals: append([]dragnet.Value(nil), s.nvs...),
		cands: append([]int32(nil), s.cands...), masks: append([]uint64(nil), s.masks...)}
	if len(s.recent) < s.window {
		s.recent = append(s.recent, r)
	} else {
		s.recent[s.start] = r
		s.start = (s.start + 1) % len(s.recent)
	}
	return hits, firstErr
}

// holding keeps in s.cands (and s.masks) the candidates one of whose
// observation expressions holds for obs, and returns how many.
func (s *PatternSession) holding(obs *pattern.Observation) int {
	s.masks = s.masks[:0]
	n := 0
	for _, i := range s.cands {
		if m := s.v.pat(i).partMask(obs); m != 0 {
			s.cands[n] = i
			s.masks = append(s.masks, m)
			n++
		}
	}
	s.cands = s.cands[:n]
	return n
}

// recentFor returns the recent observations pattern i is evaluated with
// beside cur, oldest first: for each of its observation expressions, the
// newest cp.keep observations it holds for, less those further from cur
// than its outermost WITHIN.
func (s *PatternSession) recentFor(i int32, cp *compiledPattern, cur *pattern.Observation) []pattern.Observation {
	obs := s.obs[:0]
	nparts := min(len(cp.parts), 64)
	counts := append(s.counts[:0], make([]int, nparts)...)
	full := 0
	for k := len(s.recent) - 1; k >= 0 && full < nparts; k-- {
		r := &s.recent[(s.start+k)%len(s.recent)]
		j := slices.Index(r.cands, i)
		if j < 0 {
			continue
		}
		if cp.span > 0 && (r.obs.LastObserved.Before(cur.FirstObserved.Add(-cp.span)) || r.obs.FirstObserved.After(cur.LastObserved.Add(cp.span))) {
			continue
		}
		m, wanted := r.masks[j], false
		for b := 0; b < nparts; b++ {
			if m&(1<<b) != 0 && counts[b] < cp.keep {
				wanted = true
				if counts[b]++; counts[b] == cp.keep {
					full++
				}
			}
		}
		if wanted {
			obs = append(obs, r.obs)
		}
	}
	slices.Reverse(obs)
	s.obs, s.counts = obs, counts
	return obs
}

// partMask returns which of the pattern's observation expressions hold
// for obs, one bit each (the 64th stands for itself and any after it).
func (cp *compiledPattern) partMask(obs *pattern.Observation) uint64 {
	one := []pattern.Observation{*obs}
	var m uint64
	for j, p := range cp.parts {
		b := uint64(1) << min(j, 63)
		if m&b != 0 {
			continue
		}
		if ok, _ := pattern.Match(p, one); ok {
			m |= b
		}
	}
	return m
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
