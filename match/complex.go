package match

import (
	"net/netip"
	"strings"
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

	// parsed is Pattern parsed already, when whoever made the entry had
	// to parse it (nil: CompilePatterns parses it).
	parsed *pattern.Pattern
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
	keys    map[objAud]struct{}
}

type compiledPattern struct {
	e PatternEntry
	p *pattern.Pattern
	// parts are the pattern's observation expressions, each as a pattern
	// of its own: an event can help complete the pattern only if one of
	// them holds for it. Nil when the pattern cannot be evaluated.
	parts []*pattern.Pattern
	// keep bounds the recent observations an event is evaluated with,
	// per observation expression: twice what a match may need, at least
	// 8, so that the work per event stays bounded however often the
	// pattern's values occur.
	keep int
	// span is the outermost WITHIN, if any (0: none): observations
	// further than that from an event cannot join it in a match.
	span time.Duration
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
	ps := &Patterns{byValue: map[dragnet.Value][]int32{}, keys: map[objAud]struct{}{}}
	for _, e := range es {
		if e.Revoked || (!e.ValidUntil.IsZero() && !e.ValidUntil.After(now)) {
			continue
		}
		p, err := e.parsed, error(nil)
		if p == nil {
			p, err = pattern.Parse(e.Pattern)
		}
		if err != nil {
			err = dragnet.Errorf(dragnet.EINVALID, "indicator %s: pattern: %v", e.IndicatorID, err)
			if skip != nil {
				skip(e, err)
				continue
			}
			return nil, err
		}
		i := int32(len(ps.pats))
		ps.pats = append(ps.pats, compiledPattern{e: e, p: p, parts: parts(p), keep: max(8, min(2*need(p.Expr), maxKeep)), span: span(p.Expr)})
		ps.keys[objAud{e.IndicatorID, e.Audience}] = struct{}{}
		named := false
		for _, c := range p.Comparisons() {
			v, ok := namedValue(c)
			if !ok {
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

// has reports whether ps holds a pattern of indicator id in audience aud.
func (ps *Patterns) has(k objAud) bool {
	if ps == nil {
		return false
	}
	_, ok := ps.keys[k]
	return ok
}

// namedValue returns the normalised value an equality test names, for the
// prefilter: an observable property (observable.Kind), or the value of an
// object a reference points to (network-traffic:dst_ref.value,
// email-message:from_ref.value), whose kind the literal itself shows.
func namedValue(c pattern.Comparison) (dragnet.Value, bool) {
	k, ok := observable.Kind(c.Type, c.Path)
	if !ok {
		if !strings.HasSuffix(c.Path, "_ref.value") {
			return dragnet.Value{}, false
		}
		d, ok := DetectValue(c.Value)
		if !ok || d.Kind == dragnet.ValueURL || d.Kind.HashBytes() != 0 {
			return dragnet.Value{}, false
		}
		k = d.Kind
	}
	v, err := dragnet.NormalizeValue(k, c.Value)
	return v, err == nil
}

// parts returns p's observation expressions as patterns, or nil if p
// cannot be evaluated (a MATCHES the evaluator refuses).
func parts(p *pattern.Pattern) []*pattern.Pattern {
	if _, err := pattern.Match(p, nil); err != nil {
		return nil
	}
	var out []*pattern.Pattern
	var walk func(pattern.Expr)
	walk = func(e pattern.Expr) {
		switch e := e.(type) {
		case *pattern.ObservationExpr:
			out = append(out, &pattern.Pattern{Expr: e})
		case *pattern.BinaryExpr:
			walk(e.X)
			walk(e.Y)
		case *pattern.QualifiedExpr:
			walk(e.X)
		}
	}
	walk(p.Expr)
	return out
}

// maxKeep bounds need: no window keeps more observations.
const maxKeep = 1 << 20

// need returns how many observations a match of e may need: the most
// that the smallest match of either side of an OR needs (at most
// maxKeep).
func need(e pattern.Expr) int {
	switch e := e.(type) {
	case *pattern.BinaryExpr:
		x, y := need(e.X), need(e.Y)
		if e.Op == pattern.ObsOr {
			return max(x, y)
		}
		return min(x+y, maxKeep)
	case *pattern.QualifiedExpr:
		x := need(e.X)
		if e.Q.Kind == pattern.QualRepeats && e.Q.Times > 1 {
			if x > maxKeep/e.Q.Times {
				return maxKeep
			}
			return x * e.Q.Times
		}
		return x
	}
	return 1
}

// span returns the WITHIN of e's outermost qualifiers, 0 if none.
func span(e pattern.Expr) time.Duration {
	for {
		q, ok := e.(*pattern.QualifiedExpr)
		if !ok {
			return 0
		}
		if q.Q.Kind == pattern.QualWithin && q.Q.Seconds > 0 && q.Q.Seconds < float64(1<<62)/float64(time.Second) {
			return time.Duration(q.Q.Seconds * float64(time.Second))
		}
		e = q.X
	}
}
