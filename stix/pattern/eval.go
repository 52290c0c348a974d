package pattern

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// resolver holds the objects by id, to follow _ref and _refs properties.
type resolver = map[string]map[string]any

// maxValues bounds the values one path may select, so that lists of
// references to lists cannot multiply without end; beyond it the rest is
// ignored.
const maxValues = 100000

// values returns the values the path's steps select in obj. A [*] step
// fans out over a list; a key step applied to a string that names an
// object (the value of a _ref, or an element of a _refs list) continues in
// that object. A missing property selects nothing.
func (p *Path) values(obj map[string]any, resolve resolver) []any {
	cur := []any{obj}
	for _, s := range p.Steps {
		var next []any
		for _, v := range cur {
			if len(next) >= maxValues {
				break
			}
			switch s.Kind {
			case StepKey:
				m, ok := v.(map[string]any)
				if !ok {
					id, isStr := v.(string)
					if !isStr || resolve == nil {
						continue
					}
					if m, ok = resolve[id]; !ok {
						continue
					}
				}
				if x, ok := m[s.Key]; ok && x != nil {
					next = append(next, x)
				}
			case StepIndex:
				if l, ok := v.([]any); ok && s.Index >= 0 && s.Index < len(l) && l[s.Index] != nil {
					next = append(next, l[s.Index])
				}
			case StepAny:
				if l, ok := v.([]any); ok {
					for _, x := range l {
						if x != nil {
							next = append(next, x)
						}
					}
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// value is values for paths of keys only (single is true): the one value
// selected, if any. For paths with list steps single is false.
func (p *Path) value(obj map[string]any, resolve resolver) (v any, ok, single bool) {
	m := obj
	for i, s := range p.Steps {
		if s.Kind != StepKey {
			return nil, false, false
		}
		if m == nil {
			// Keep checking the remaining steps' kinds: a later list step
			// means the general walk must answer.
			continue
		}
		x, found := m[s.Key]
		if !found || x == nil {
			m = nil
			continue
		}
		if i == len(p.Steps)-1 {
			v, ok = x, true
			break
		}
		switch x := x.(type) {
		case map[string]any:
			m = x
		case string:
			if m, found = resolve[x]; !found {
				m = nil
			}
		default:
			m = nil
		}
	}
	return v, ok, true
}

// eval reports whether the test holds for obj, an object of the path's
// type: whether any value the path selects satisfies the operator (NOT
// negates the operator for each value; a path that selects nothing makes
// the test false, with or without NOT, except NOT EXISTS).
func (t *Test) eval(obj map[string]any, resolve resolver) bool {
	if v, ok, single := t.Path.value(obj, resolve); single {
		// A path of keys only selects at most one value: no slices.
		if t.Op == OpExists {
			return ok
		}
		if !ok {
			return false
		}
		if t.Op == OpMatches {
			if suffix := t.binarySuffix(); suffix != "" {
				v = bytesAsRunes(v, suffix == "_hex")
			}
		}
		r, ok := t.compare(v)
		return ok && r != t.Not
	}
	vals := t.Path.values(obj, resolve)
	if t.Op == OpExists {
		return (len(vals) > 0) != t.Not
	}
	for _, v := range vals {
		if t.Op == OpMatches {
			if suffix := t.binarySuffix(); suffix != "" {
				v = bytesAsRunes(v, suffix == "_hex")
			}
		}
		r, ok := t.compare(v)
		if ok && r != t.Not {
			return true
		}
	}
	return false
}

// compare applies the operator to one property value. ok is false when
// the value and the literal are of types that do not compare (then the
// test fails whether negated or not).
func (t *Test) compare(v any) (result, ok bool) {
	switch t.Op {
	case OpEQ:
		c, ok := compareLit(v, t.Value)
		return ok && c == 0, ok
	case OpNEQ:
		c, ok := compareLit(v, t.Value)
		return ok && c != 0, ok
	case OpLT, OpLE, OpGT, OpGE:
		if t.Value.Kind == LitBool {
			return false, false
		}
		c, ok := compareLit(v, t.Value)
		if !ok {
			return false, false
		}
		switch t.Op {
		case OpLT:
			return c < 0, true
		case OpLE:
			return c <= 0, true
		case OpGT:
			return c > 0, true
		}
		return c >= 0, true
	case OpIn:
		any := false
		for _, l := range t.Set {
			c, ok := compareLit(v, l)
			if ok {
				any = true
				if c == 0 {
					return true, true
				}
			}
		}
		return false, any || len(t.Set) == 0
	case OpLike:
		s, ok := v.(string)
		if !ok {
			return false, false
		}
		return like(s, t.Value.Str), true
	case OpMatches:
		s, ok := v.(string)
		if !ok || t.Re == nil {
			return false, false
		}
		return t.Re.MatchString(s), true
	case OpIsSubset, OpIsSuperset:
		s, ok := v.(string)
		if !ok {
			return false, false
		}
		have, err := parsePrefix(s)
		if err != nil {
			return false, false
		}
		lit, _ := parsePrefix(t.Value.Str)
		if have.Addr().Is4() != lit.Addr().Is4() {
			return false, true
		}
		if t.Op == OpIsSubset {
			return lit.Bits() <= have.Bits() && lit.Contains(have.Addr()), true
		}
		return have.Bits() <= lit.Bits() && have.Contains(lit.Addr()), true
	}
	return false, false
}

// compareLit compares a JSON value with a literal: -1, 0 or +1, and
// whether they compare at all. Numbers compare numerically, strings by
// byte (code point) order (but two IP addresses or ranges are equal when
// they are the same, however written: '198.51.100.1/32' = '198.51.100.1'), timestamps as instants (a string property is
// read as a STIX timestamp), binary and hex literals by bytes (a string
// property is read as base64 for b'...', hex for h'...', and as raw text).
func compareLit(v any, l Literal) (int, bool) {
	switch l.Kind {
	case LitString:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		if l.ip.IsValid() && s != l.Str {
			if p, err := parsePrefix(s); err == nil && p == l.ip {
				return 0, true // the same address or range, written differently
			}
		}
		return strings.Compare(s, l.Str), true
	case LitInt, LitFloat:
		f, ok := number(v)
		if !ok {
			return 0, false
		}
		if l.Kind == LitInt {
			if n, ok := v.(json.Number); ok {
				if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
					return cmpInt(i, l.Int), true
				}
			}
		}
		switch {
		case f < l.Float:
			return -1, true
		case f > l.Float:
			return 1, true
		case f == l.Float:
			return 0, true
		}
		return 0, false // NaN
	case LitBool:
		b, ok := v.(bool)
		if !ok {
			return 0, false
		}
		if b == l.Bool {
			return 0, true
		}
		return 1, true
	case LitTimestamp:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		ts, err := parseTime(s)
		if err != nil {
			return 0, false
		}
		return ts.Compare(l.Time), true
	case LitBinary, LitHex:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		var b []byte
		var err error
		if l.Kind == LitBinary {
			b, err = base64.StdEncoding.DecodeString(s)
		} else {
			b, err = hex.DecodeString(s)
		}
		if err == nil && bytes.Equal(b, l.Bytes) {
			return 0, true
		}
		if err == nil {
			return bytes.Compare(b, l.Bytes), true
		}
		return bytes.Compare([]byte(s), l.Bytes), true
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// number reads a JSON number decoded either as float64 or json.Number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsNaN(f)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// like reports whether s matches the SQL LIKE pattern pat: '%' matches any
// run of characters, '_' one character, everything else itself.
func like(s, pat string) bool {
	// Iterative matcher with backtracking to the last '%': linear in
	// practice, never exponential.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pat) {
			switch pat[pi] {
			case '%':
				starP, starS = pi, si
				pi++
				continue
			case '_':
				_, w := utf8.DecodeRuneInString(s[si:])
				si += w
				pi++
				continue
			default:
				if pat[pi] == s[si] {
					si++
					pi++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		si, pi = starS, starP+1
	}
	for pi < len(pat) && pat[pi] == '%' {
		pi++
	}
	return pi == len(pat)
}

// parsePrefix reads an IP address or CIDR range as a masked prefix (an
// address is the prefix of its full length).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// timeOf reads a STIX timestamp property, zero if absent or malformed.
func timeOf(m map[string]any, key string) time.Time {
	s, _ := m[key].(string)
	t, _ := parseTime(s)
	return t
}

// binarySuffix returns "_bin" or "_hex" when the path ends in a binary or
// hex property, whose decoded bytes MATCHES tests, and "" otherwise.
func (t *Test) binarySuffix() string {
	for i := len(t.Path.Steps) - 1; i >= 0; i-- {
		if s := t.Path.Steps[i]; s.Kind == StepKey {
			if strings.HasSuffix(s.Key, "_bin") {
				return "_bin"
			}
			if strings.HasSuffix(s.Key, "_hex") {
				return "_hex"
			}
			return ""
		}
	}
	return ""
}

// bytesAsRunes decodes a base64 (or hex) property and returns its bytes as
// a string of the runes U+0000..U+00FF, so that a regular expression's
// \xNN matches the byte NN. A value that does not decode is returned as is.
func bytesAsRunes(v any, isHex bool) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	var b []byte
	var err error
	if isHex {
		b, err = hex.DecodeString(s)
	} else {
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil {
		return v
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
