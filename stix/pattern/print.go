package pattern

import (
	"strconv"
	"strings"
)

// String prints the pattern in canonical form: keywords in upper case, one
// space around operators, parentheses only where the grammar needs them.
// Parse(p.String()) gives a pattern equal to p.
func (p *Pattern) String() string {
	var b strings.Builder
	writeExpr(&b, p.Expr, 0)
	return b.String()
}

// Observation-level precedence, loosest first.
func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *BinaryExpr:
		return [...]int{ObsFollowedBy: 1, ObsOr: 2, ObsAnd: 3}[e.Op]
	case *QualifiedExpr:
		return 4
	}
	return 5
}

// writeExpr writes e, in parentheses when its precedence is below min.
func writeExpr(b *strings.Builder, e Expr, min int) {
	prec := exprPrec(e)
	if prec < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e := e.(type) {
	case *ObservationExpr:
		b.WriteByte('[')
		writeCond(b, e.Cond, 0)
		b.WriteByte(']')
	case *BinaryExpr:
		// Left-associative: a right operand of the same precedence needs
		// parentheses to parse back to the same tree.
		writeExpr(b, e.X, prec)
		b.WriteString(" " + e.Op.String() + " ")
		writeExpr(b, e.Y, prec+1)
	case *QualifiedExpr:
		writeExpr(b, e.X, 4)
		b.WriteByte(' ')
		b.WriteString(e.Q.String())
	}
}

// String prints the qualifier as written in a pattern.
func (q Qualifier) String() string {
	switch q.Kind {
	case QualWithin:
		s := q.SecondsText
		if s == "" {
			s = strconv.FormatFloat(q.Seconds, 'f', -1, 64)
			if !strings.Contains(s, ".") && q.Seconds != float64(int64(q.Seconds)) {
				s += ".0"
			}
		}
		return "WITHIN " + s + " SECONDS"
	case QualRepeats:
		return "REPEATS " + strconv.Itoa(q.Times) + " TIMES"
	}
	return "START t'" + formatTime(q.Start) + "' STOP t'" + formatTime(q.Stop) + "'"
}

func condPrec(c Cond) int {
	if c, ok := c.(*CondExpr); ok {
		return [...]int{Or: 1, And: 2}[c.Op]
	}
	return 3
}

func writeCond(b *strings.Builder, c Cond, min int) {
	prec := condPrec(c)
	if prec < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch c := c.(type) {
	case *CondExpr:
		writeCond(b, c.X, prec)
		b.WriteString(" " + c.Op.String() + " ")
		writeCond(b, c.Y, prec+1)
	case *Test:
		b.WriteString(c.String())
	}
}

// String prints the comparison as written in a pattern.
func (t *Test) String() string {
	var b strings.Builder
	if t.Op == OpExists {
		if t.Not {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS ")
		b.WriteString(t.Path.String())
		return b.String()
	}
	b.WriteString(t.Path.String())
	if t.Not {
		b.WriteString(" NOT")
	}
	b.WriteString(" " + t.Op.String() + " ")
	if t.Op == OpIn {
		b.WriteByte('(')
		for i, l := range t.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(l.String())
		}
		b.WriteByte(')')
	} else {
		b.WriteString(t.Value.String())
	}
	return b.String()
}

// String prints the path: type:key.key[0].'quoted key'[*].
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(':')
	p.writeSteps(&b)
	return b.String()
}

// StepsString prints the path's steps without the type: "hashes.'SHA-256'".
func (p Path) StepsString() string {
	var b strings.Builder
	p.writeSteps(&b)
	return b.String()
}

func (p Path) writeSteps(b *strings.Builder) {
	for i, s := range p.Steps {
		switch s.Kind {
		case StepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				b.WriteString(quoteString(s.Key))
			}
		case StepIndex:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case StepAny:
			b.WriteString("[*]")
		}
	}
}

// plainKey reports whether k prints without quotes: [a-zA-Z_][a-zA-Z0-9_]*
// and not a keyword or boolean.
func plainKey(k string) bool {
	if k == "" || keywords[k] != 0 || k == "true" || k == "false" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// String prints the literal as written in a pattern.
func (l Literal) String() string {
	switch l.Kind {
	case LitString:
		return quoteString(l.Str)
	case LitInt:
		if l.Text != "" {
			return l.Text
		}
		return strconv.FormatInt(l.Int, 10)
	case LitFloat:
		if l.Text != "" {
			return l.Text
		}
		s := strconv.FormatFloat(l.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case LitBool:
		if l.Bool {
			return "true"
		}
		return "false"
	case LitBinary:
		return "b'" + l.Text + "'"
	case LitHex:
		return "h'" + l.Text + "'"
	case LitTimestamp:
		if l.Text != "" {
			return "t'" + l.Text + "'"
		}
		return "t'" + formatTime(l.Time) + "'"
	}
	return "?"
}

func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}
