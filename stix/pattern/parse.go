package pattern

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a syntax or semantic error in a pattern, at byte offset Pos
// (0-based) of the input. Its text names the 1-based column and what was
// wrong: "column 17: expected ']' after comparison, found 'AND'".
type Error struct {
	Pos    int    // byte offset of the offending token
	Column int    // 1-based column, counted in characters
	Msg    string // what is wrong
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Msg) }

// maxDepth bounds the nesting of parentheses and brackets, so that hostile
// input cannot exhaust the stack.
const maxDepth = 100

// maxInput bounds the length of a pattern.
const maxInput = 1 << 20

type parser struct {
	input       string
	tokens      []token
	i           int
	depth       int
	unsupported *Error // the first MATCHES that Match cannot evaluate
}

// bailout carries an error up the stack (as a panic caught by Parse) to
// stop the parse at the first problem.
type bailout struct{ err *Error }

func (p *parser) fail(pos int, format string, args ...any) {
	panic(bailout{p.errorAt(pos, format, args...)})
}

func (p *parser) errorAt(pos int, format string, args ...any) *Error {
	col := utf8.RuneCountInString(p.input[:min(pos, len(p.input))]) + 1
	return &Error{Pos: pos, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// beyondRE2 reports whether a regular-expression error may come from PCRE
// syntax RE2 lacks (lookaround, backreferences, possessive quantifiers,
// escapes such as \Z) rather than from a malformed expression.
func beyondRE2(c syntax.ErrorCode) bool {
	return c == syntax.ErrInvalidPerlOp || c == syntax.ErrInvalidEscape || c == syntax.ErrInvalidRepeatOp
}

// Parse parses a STIX 2.1 pattern. Errors are *Error. A MATCHES
// expression that is valid PCRE, as the specification allows, but beyond
// Go's RE2 engine (lookaround, backreferences, possessive quantifiers)
// parses; Match then fails with an *Error naming it.
func Parse(s string) (pat *Pattern, err error) {
	if len(s) > maxInput {
		return nil, &Error{Pos: 0, Column: 1, Msg: fmt.Sprintf("pattern is %d bytes long, more than the limit of %d", len(s), maxInput)}
	}
	p := &parser{input: s, tokens: lex(s)}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			pat, err = nil, b.err
		}
	}()
	if p.peek().kind == tokEOF {
		p.fail(0, "empty pattern")
	}
	e := p.obs()
	if t := p.peek(); t.kind != tokEOF {
		p.fail(t.pos, "unexpected %s after observation expression", t.describe())
	}
	return &Pattern{Expr: e, unsupported: p.unsupported}, nil
}

// MustParse is Parse for patterns known to be valid (tests, constants); it
// panics on error.
func MustParse(s string) *Pattern {
	p, err := Parse(s)
	if err != nil {
		panic("pattern: MustParse(" + strconv.Quote(s) + "): " + err.Error())
	}
	return p
}

func (p *parser) peek() token {
	t := p.tokens[p.i]
	if t.kind == tokError {
		p.fail(t.pos, "%s", t.text)
	}
	return t
}

func (p *parser) advance() token {
	t := p.peek()
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) expect(k tokenKind, what, after string) token {
	t := p.peek()
	if t.kind != k {
		p.fail(t.pos, "expected %s after %s, found %s", what, after, t.describe())
	}
	return p.advance()
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(pos, "expression nested more than %d deep", maxDepth)
	}
}

func (p *parser) obs() Expr {
	x := p.obsOr()
	for p.peek().kind == tokFOLLOWEDBY {
		t := p.advance()
		x = &BinaryExpr{At: t.pos, Op: ObsFollowedBy, X: x, Y: p.obsOr()}
	}
	return x
}

func (p *parser) obsOr() Expr {
	x := p.obsAnd()
	for p.peek().kind == tokOR {
		t := p.advance()
		x = &BinaryExpr{At: t.pos, Op: ObsOr, X: x, Y: p.obsAnd()}
	}
	return x
}

func (p *parser) obsAnd() Expr {
	x := p.obsQual()
	for p.peek().kind == tokAND {
		t := p.advance()
		x = &BinaryExpr{At: t.pos, Op: ObsAnd, X: x, Y: p.obsQual()}
	}
	return x
}

func (p *parser) obsQual() Expr {
	x := p.obsPrimary()
	for {
		t := p.peek()
		switch t.kind {
		case tokWITHIN:
			p.advance()
			n := p.peek()
			if n.kind != tokInt && n.kind != tokFloat {
				p.fail(n.pos, "expected a number of seconds after WITHIN, found %s", n.describe())
			}
			p.advance()
			f, err := strconv.ParseFloat(n.text, 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) {
				p.fail(n.pos, "WITHIN needs a positive number of seconds, found %s", n.describe())
			}
			p.expect(tokSECONDS, "SECONDS", "WITHIN "+n.text)
			x = &QualifiedExpr{X: x, Q: Qualifier{At: t.pos, Kind: QualWithin, Seconds: f, SecondsText: n.text}}
		case tokREPEATS:
			p.advance()
			n := p.peek()
			if n.kind != tokInt {
				p.fail(n.pos, "expected a whole number after REPEATS, found %s", n.describe())
			}
			p.advance()
			v, err := strconv.Atoi(n.text)
			if err != nil || v <= 0 || v > 1<<20 {
				p.fail(n.pos, "REPEATS needs a positive whole number up to %d, found %s", 1<<20, n.describe())
			}
			p.expect(tokTIMES, "TIMES", "REPEATS "+n.text)
			x = &QualifiedExpr{X: x, Q: Qualifier{At: t.pos, Kind: QualRepeats, Times: v}}
		case tokSTART:
			p.advance()
			start := p.qualTime("START")
			p.expect(tokSTOP, "STOP", "START timestamp")
			stop := p.qualTime("STOP")
			if !stop.After(start) {
				p.fail(t.pos, "STOP time must be later than START time")
			}
			x = &QualifiedExpr{X: x, Q: Qualifier{At: t.pos, Kind: QualStartStop, Start: start, Stop: stop}}
		default:
			return x
		}
	}
}

// qualTime reads the timestamp of START or STOP: t'...' as STIX 2.1 writes
// it, or a plain '...' string as STIX 2.0 did.
func (p *parser) qualTime(kw string) time.Time {
	t := p.peek()
	if t.kind != tokTimestamp && t.kind != tokString {
		p.fail(t.pos, "expected a timestamp t'...' after %s, found %s", kw, t.describe())
	}
	p.advance()
	var s string
	if t.kind == tokTimestamp {
		s = t.text[2 : len(t.text)-1]
	} else {
		s = unquote(t.text)
	}
	ts, err := parseTime(s)
	if err != nil {
		p.fail(t.pos, "%s", err.Error())
	}
	return ts
}

func (p *parser) obsPrimary() Expr {
	t := p.peek()
	switch t.kind {
	case tokLBrack:
		p.enter(t.pos)
		p.advance()
		c, types := p.cond()
		p.expect(tokRBrack, "']'", "comparison")
		p.depth--
		return &ObservationExpr{At: t.pos, Cond: c, types: types}
	case tokLParen:
		p.enter(t.pos)
		p.advance()
		x := p.obs()
		p.expect(tokRParen, "')'", "observation expression")
		p.depth--
		return x
	}
	p.fail(t.pos, "expected '[' or '(' to start an observation expression, found %s", t.describe())
	return nil
}

// cond, condAnd and test return a condition and the object types that
// can satisfy it (sorted): the union of its operands' for OR, the
// intersection for AND.
func (p *parser) cond() (Cond, []string) {
	x, tx := p.condAnd()
	for p.peek().kind == tokOR {
		op := p.advance()
		y, ty := p.condAnd()
		x, tx = &CondExpr{At: op.pos, Op: Or, X: x, Y: y}, union(tx, ty)
	}
	return x, tx
}

func (p *parser) condAnd() (Cond, []string) {
	x, tx := p.test()
	for p.peek().kind == tokAND {
		op := p.advance()
		y, ty := p.test()
		both := intersect(tx, ty)
		if len(both) == 0 {
			p.fail(op.pos, "AND joins comparisons on %s and on %s, but within brackets they must hold for one object",
				strings.Join(tx, " or "), strings.Join(ty, " or "))
		}
		x, tx = &CondExpr{At: op.pos, Op: And, X: x, Y: y}, both
	}
	return x, tx
}

func (p *parser) test() (Cond, []string) {
	t := p.peek()
	switch t.kind {
	case tokLParen:
		p.enter(t.pos)
		p.advance()
		c, types := p.cond()
		p.expect(tokRParen, "')'", "comparison")
		p.depth--
		return c, types
	case tokEXISTS:
		p.advance()
		test := &Test{At: t.pos, Path: p.path(), Op: OpExists}
		return test, []string{test.Path.Type}
	case tokNOT:
		p.fail(t.pos, "NOT must follow the object path (file:name NOT = 'x'); EXISTS takes no NOT")
	case tokIdent:
	default:
		p.fail(t.pos, "expected an object path like file:name, found %s", t.describe())
	}
	test := &Test{At: t.pos, Path: p.path()}
	if p.peek().kind == tokNOT {
		p.advance()
		test.Not = true
	}
	op := p.advance()
	switch op.kind {
	case tokEQ, tokNEQ:
		test.Op = map[tokenKind]Op{tokEQ: OpEQ, tokNEQ: OpNEQ}[op.kind]
		test.Value = p.literal(op, false)
	case tokLT, tokLE, tokGT, tokGE:
		test.Op = map[tokenKind]Op{tokLT: OpLT, tokLE: OpLE, tokGT: OpGT, tokGE: OpGE}[op.kind]
		test.Value = p.literal(op, true)
	case tokIN:
		test.Op = OpIn
		test.Set = p.set()
	case tokLIKE, tokMATCHES, tokISSUBSET, tokISSUPERSET:
		test.Op = map[tokenKind]Op{tokLIKE: OpLike, tokMATCHES: OpMatches, tokISSUBSET: OpIsSubset, tokISSUPERSET: OpIsSuperset}[op.kind]
		lt := p.peek()
		if lt.kind != tokString {
			p.fail(lt.pos, "expected a string after %s, found %s", strings.ToUpper(op.text), lt.describe())
		}
		test.Value = p.literal(op, false)
		switch test.Op {
		case OpMatches:
			re, err := regexp.Compile(test.Value.Str)
			var se *syntax.Error
			switch {
			case err == nil:
				test.Re = re
			case errors.As(err, &se) && beyondRE2(se.Code):
				// Valid PCRE, as the specification allows, that Go's
				// RE2 engine cannot run: the pattern stands, Match
				// refuses it.
				if p.unsupported == nil {
					p.unsupported = p.errorAt(lt.pos, "MATCHES uses regular-expression syntax this evaluator does not support: %v", err)
				}
			default:
				p.fail(lt.pos, "invalid regular expression: %v", err)
			}
		case OpIsSubset, OpIsSuperset:
			if _, err := parsePrefix(test.Value.Str); err != nil {
				p.fail(lt.pos, "%s needs an IP address or CIDR range: %v", strings.ToUpper(op.text), err)
			}
		}
	default:
		p.fail(op.pos, "expected a comparison operator after object path, found %s", op.describe())
	}
	return test, []string{test.Path.Type}
}

// union and intersect combine sorted sets of object types.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); ok {
			out = append(out, x)
		}
	}
	return out
}

// condTypes returns the object types that can satisfy c, as the parser
// computes them, for trees built by hand.
func condTypes(c Cond) []string {
	switch c := c.(type) {
	case *Test:
		return []string{c.Path.Type}
	case *CondExpr:
		x, y := condTypes(c.X), condTypes(c.Y)
		if c.Op == And {
			return intersect(x, y)
		}
		return union(x, y)
	}
	return nil
}

// path reads type:step.step[n]...
func (p *parser) path() Path {
	t := p.peek()
	if t.kind != tokIdent {
		p.fail(t.pos, "expected an object type, found %s", t.describe())
	}
	p.advance()
	if !validType(t.text) {
		p.fail(t.pos, "invalid object type %s", t.describe())
	}
	path := Path{Type: t.text}
	p.expect(tokColon, "':'", "object type "+t.describe())
	path.Steps = append(path.Steps, Step{Kind: StepKey, Key: p.key()})
	for {
		switch p.peek().kind {
		case tokDot:
			p.advance()
			path.Steps = append(path.Steps, Step{Kind: StepKey, Key: p.key()})
		case tokLBrack:
			p.advance()
			n := p.advance()
			switch n.kind {
			case tokStar:
				path.Steps = append(path.Steps, Step{Kind: StepAny})
			case tokInt:
				v, err := strconv.Atoi(n.text)
				if err != nil {
					p.fail(n.pos, "list index %s out of range", n.describe())
				}
				path.Steps = append(path.Steps, Step{Kind: StepIndex, Index: v})
			default:
				p.fail(n.pos, "expected a list index or '*' after '[', found %s", n.describe())
			}
			p.expect(tokRBrack, "']'", "list index")
		default:
			return path
		}
	}
}

// key reads a property name: an identifier without hyphens (keywords
// included), or a quoted string.
func (p *parser) key() string {
	t := p.peek()
	switch {
	case t.kind == tokString:
		p.advance()
		k := unquote(t.text)
		if k == "" {
			p.fail(t.pos, "empty property name")
		}
		return k
	case t.kind == tokIdent:
		p.advance()
		if strings.Contains(t.text, "-") {
			p.fail(t.pos, "property name %s contains '-': quote it, as in hashes.'SHA-256'", t.describe())
		}
		return t.text
	}
	p.fail(t.pos, "expected a property name, found %s", t.describe())
	return ""
}

func (p *parser) set() []Literal {
	open := p.peek()
	p.expect(tokLParen, "'('", "IN")
	var set []Literal
	if p.peek().kind == tokRParen {
		p.advance()
		return set
	}
	for {
		set = append(set, p.literal(open, false))
		t := p.advance()
		if t.kind == tokRParen {
			return set
		}
		if t.kind != tokComma {
			p.fail(t.pos, "expected ',' or ')' in IN list, found %s", t.describe())
		}
	}
}
