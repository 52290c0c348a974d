package pattern

import "strings"

// Comparison is one condition of a simple pattern, in a form a value index
// can use: the object of type Type whose property at Path equals Value (Op
// "=") or lies within the IP range Value (Op "ISSUBSET").
type Comparison struct {
	Type  string // object type: "ipv4-addr", "file"
	Path  string // property keys joined by '.', unquoted: "value", "hashes.SHA-256"
	Op    string // "=" or "ISSUBSET"
	Value string // as written in the pattern: normalise before indexing
}

// Simple reports whether the pattern is a disjunction of equality tests
// (=, IN, ISSUBSET) on single string properties, with no NOT, AND,
// FOLLOWEDBY or qualifier, and if so returns its comparisons, one per
// value (an IN list gives one per element). Such a pattern matches exactly
// when an observed object satisfies one of them, so a value index can
// stand in for the evaluator. Examples: [ipv4-addr:value = '1.2.3.4'],
// [domain-name:value = 'x' OR url:value = 'y'] OR [file:hashes.'SHA-256' = '…'].
func (p *Pattern) Simple() ([]Comparison, bool) {
	var out []Comparison
	if !simpleExpr(p.Expr, &out) {
		return nil, false
	}
	return out, true
}

func simpleExpr(e Expr, out *[]Comparison) bool {
	switch e := e.(type) {
	case *ObservationExpr:
		return simpleCond(e.Cond, out)
	case *BinaryExpr:
		return e.Op == ObsOr && simpleExpr(e.X, out) && simpleExpr(e.Y, out)
	}
	return false
}

func simpleCond(c Cond, out *[]Comparison) bool {
	switch c := c.(type) {
	case *CondExpr:
		return c.Op == Or && simpleCond(c.X, out) && simpleCond(c.Y, out)
	case *Test:
		cs, ok := c.required()
		if !ok {
			return false
		}
		*out = append(*out, cs...)
		return true
	}
	return false
}

// keyPath returns the path's keys joined by '.', or false when the path
// has list steps.
func (p *Path) keyPath() (string, bool) {
	if len(p.Steps) == 1 {
		return p.Steps[0].Key, true // the common case, without allocating
	}
	keys := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		if s.Kind != StepKey {
			return "", false
		}
		keys[i] = s.Key
	}
	return strings.Join(keys, "."), true
}

// required returns the comparisons equivalent to the test, when it is a
// positive equality, IN list or ISSUBSET on string values.
func (t *Test) required() ([]Comparison, bool) {
	if t.Not {
		return nil, false
	}
	path, ok := t.Path.keyPath()
	if !ok {
		return nil, false
	}
	switch t.Op {
	case OpEQ, OpIsSubset:
		if t.Value.Kind != LitString {
			return nil, false
		}
		return []Comparison{{t.Path.Type, path, t.Op.String(), t.Value.Str}}, true
	case OpIn:
		if len(t.Set) == 0 {
			return nil, false
		}
		out := make([]Comparison, 0, len(t.Set))
		for _, l := range t.Set {
			if l.Kind != LitString {
				return nil, false
			}
			out = append(out, Comparison{t.Path.Type, path, "=", l.Str})
		}
		return out, true
	}
	return nil, false
}

// Required returns comparisons of which any set of observations matching
// the pattern satisfies at least one (on some object it observes), for
// prefiltering patterns too complex for Simple: an observation set with no
// object satisfying any of them cannot match. ok is false when no such
// finite list exists (a pattern of only NOT, LIKE or MATCHES tests, say).
// For a simple pattern it returns the same comparisons as Simple.
func (p *Pattern) Required() ([]Comparison, bool) {
	return requiredExpr(p.Expr)
}

func requiredExpr(e Expr) ([]Comparison, bool) {
	switch e := e.(type) {
	case *ObservationExpr:
		return requiredCond(e.Cond)
	case *QualifiedExpr:
		return requiredExpr(e.X)
	case *BinaryExpr:
		x, okx := requiredExpr(e.X)
		y, oky := requiredExpr(e.Y)
		if e.Op == ObsOr {
			if !okx || !oky {
				return nil, false
			}
			return append(x, y...), true
		}
		return narrower(x, okx, y, oky)
	}
	return nil, false
}

func requiredCond(c Cond) ([]Comparison, bool) {
	switch c := c.(type) {
	case *Test:
		return c.required()
	case *CondExpr:
		x, okx := requiredCond(c.X)
		y, oky := requiredCond(c.Y)
		if c.Op == Or {
			if !okx || !oky {
				return nil, false
			}
			return append(x, y...), true
		}
		return narrower(x, okx, y, oky)
	}
	return nil, false
}

// narrower picks, of two lists both required, the one with fewer entries.
func narrower(x []Comparison, okx bool, y []Comparison, oky bool) ([]Comparison, bool) {
	switch {
	case okx && oky:
		if len(y) < len(x) {
			return y, true
		}
		return x, true
	case okx:
		return x, true
	case oky:
		return y, true
	}
	return nil, false
}

// Comparisons returns every positive equality test (=, IN, ISSUBSET on
// strings, not under NOT) anywhere in the pattern, in order: the values
// the pattern names, for indexing and correlation. Unlike Simple and
// Required it says nothing about what a match needs.
func (p *Pattern) Comparisons() []Comparison {
	var out []Comparison
	var walkCond func(Cond)
	walkCond = func(c Cond) {
		switch c := c.(type) {
		case *CondExpr:
			walkCond(c.X)
			walkCond(c.Y)
		case *Test:
			if cs, ok := c.required(); ok {
				out = append(out, cs...)
			}
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *ObservationExpr:
			walkCond(e.Cond)
		case *BinaryExpr:
			walk(e.X)
			walk(e.Y)
		case *QualifiedExpr:
			walk(e.X)
		}
	}
	walk(p.Expr)
	return out
}
