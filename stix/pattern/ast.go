// Package pattern implements STIX Patterning, section 9 of the STIX 2.1
// specification: a hand-written lexer and recursive-descent parser to an
// abstract syntax tree, a printer (Parse, String and Parse again give the
// same tree), and an evaluator of patterns over observations (observed-data
// objects with their cyber-observable objects).
//
// The grammar is the one of the specification's STIXPattern.g4, from the
// loosest binding to the tightest:
//
//	pattern     = obs EOF
//	obs         = obsOr { FOLLOWEDBY obsOr }
//	obsOr       = obsAnd { OR obsAnd }
//	obsAnd      = obsQual { AND obsQual }
//	obsQual     = obsPrimary { WITHIN num SECONDS | REPEATS int TIMES | START t'..' STOP t'..' }
//	obsPrimary  = "[" cond "]" | "(" obs ")"
//	cond        = condAnd { OR condAnd }
//	condAnd     = test { AND test }
//	test        = "(" cond ")" | EXISTS path | path [NOT] op literal
//
// Within brackets, the comparisons joined by AND must be satisfiable by
// one object type (section 9.5): [file:name = 'a' AND file:size = 10] is
// valid, [file:name = 'a' AND ipv4-addr:value = '1.2.3.4'] is not, and an
// observation expression holds when one object satisfies its whole
// condition.
//
// Keywords are upper case (AND, FOLLOWEDBY, ...) and booleans lower case
// (true, false), as in the grammar; a property named like a keyword is
// quoted (x:'AND'). A negative list index is valid and selects nothing.
package pattern

import (
	"net/netip"
	"regexp"
	"time"
)

// Pattern is a parsed STIX pattern. It is not changed after Parse, so one
// Pattern may be matched from many goroutines at once.
type Pattern struct {
	Expr Expr // the observation expression

	unsupported *Error // set when a MATCHES cannot be evaluated
}

// Expr is an observation expression: *ObservationExpr, *BinaryExpr or
// *QualifiedExpr.
type Expr interface {
	Pos() int // byte offset of the expression's first token
	expr()
}

// ObservationExpr is one bracketed observation expression, [cond]: a
// condition that one observation must satisfy.
type ObservationExpr struct {
	At   int
	Cond Cond

	types []string // the object types that can satisfy Cond
}

// ObsOp is an operator between observation expressions.
type ObsOp int

const (
	ObsAnd        ObsOp = iota // both sides, on different observations
	ObsOr                      // either side
	ObsFollowedBy              // both sides, the left's observations before the right's
)

func (o ObsOp) String() string {
	return [...]string{"AND", "OR", "FOLLOWEDBY"}[o]
}

// BinaryExpr joins two observation expressions.
type BinaryExpr struct {
	At   int
	Op   ObsOp
	X, Y Expr
}

// QualifierKind says which qualifier a Qualifier is.
type QualifierKind int

const (
	QualWithin    QualifierKind = iota // WITHIN n SECONDS
	QualRepeats                        // REPEATS n TIMES
	QualStartStop                      // START t'..' STOP t'..'
)

// Qualifier restricts the observations that may satisfy an expression.
type Qualifier struct {
	At          int
	Kind        QualifierKind
	Seconds     float64 // WITHIN
	SecondsText string  // WITHIN, as written (an int or float literal)
	Times       int     // REPEATS
	Start, Stop time.Time
}

// QualifiedExpr is an observation expression with one qualifier. Several
// qualifiers nest: the first written is innermost.
type QualifiedExpr struct {
	X Expr
	Q Qualifier
}

func (e *ObservationExpr) Pos() int { return e.At }
func (e *BinaryExpr) Pos() int      { return e.X.Pos() }
func (e *QualifiedExpr) Pos() int   { return e.X.Pos() }
func (*ObservationExpr) expr()      {}
func (*BinaryExpr) expr()           {}
func (*QualifiedExpr) expr()        {}

// Cond is a comparison expression inside brackets: *CondExpr or *Test.
type Cond interface {
	Pos() int
	cond()
}

// BoolOp joins comparison expressions.
type BoolOp int

const (
	And BoolOp = iota
	Or
)

func (o BoolOp) String() string { return [...]string{"AND", "OR"}[o] }

// CondExpr joins two comparison expressions with AND or OR. An
// observation expression holds when one object satisfies its whole
// condition, so both sides of an AND must be satisfiable by one object
// type (Parse checks this).
type CondExpr struct {
	At   int // the operator's offset
	Op   BoolOp
	X, Y Cond
}

// Op is a comparison operator.
type Op int

const (
	OpEQ Op = iota
	OpNEQ
	OpLT
	OpLE
	OpGT
	OpGE
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

func (o Op) String() string {
	return [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}[o]
}

// Test is one comparison: an object path, an operator, optionally negated
// with NOT, and a literal (Set for IN; none for EXISTS).
type Test struct {
	At    int
	Path  Path
	Not   bool
	Op    Op
	Value Literal
	Set   []Literal      // OpIn
	Re    *regexp.Regexp // OpMatches, compiled from Value.Str; nil when RE2 cannot run it
}

func (c *CondExpr) Pos() int { return c.X.Pos() }
func (t *Test) Pos() int     { return t.At }
func (*CondExpr) cond()      {}
func (*Test) cond()          {}

// Path is an object path: an object type and the steps into the object.
type Path struct {
	Type  string
	Steps []Step
}

// StepKind says what a Step selects.
type StepKind int

const (
	StepKey   StepKind = iota // a property: .name or .'quoted name'
	StepIndex                 // a list element: [n]
	StepAny                   // every list element: [*]
)

// Step is one step of an object path.
type Step struct {
	Kind  StepKind
	Key   string // StepKey
	Index int    // StepIndex; a negative index selects nothing
}

// LitKind is the type of a literal.
type LitKind int

const (
	LitString LitKind = iota
	LitInt
	LitFloat
	LitBool
	LitBinary
	LitHex
	LitTimestamp
)

// Literal is a constant in a comparison. Text is the literal as written
// for numbers (so printing keeps it); the typed field holds its value.
type Literal struct {
	Kind  LitKind
	Text  string
	Str   string // LitString
	Int   int64
	Float float64 // LitFloat, and LitInt as a float
	Bool  bool
	Bytes []byte    // LitBinary, LitHex
	Time  time.Time // LitTimestamp

	// ip is a LitString that reads as an IP address or CIDR range, so
	// that '198.51.100.1/32' equals an observed '198.51.100.1'.
	ip netip.Prefix
}
