package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// literal reads a literal after token after; ordered refuses booleans.
func (p *parser) literal(after token, ordered bool) Literal {
	t := p.advance()
	switch t.kind {
	case tokString:
		l := Literal{Kind: LitString, Str: unquote(t.text)}
		if strings.ContainsAny(l.Str, ".:") && len(l.Str) <= 64 {
			l.ip, _ = parsePrefix(l.Str)
		}
		return l
	case tokInt:
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			p.fail(t.pos, "integer %s out of range", t.describe())
		}
		return Literal{Kind: LitInt, Text: t.text, Int: v, Float: float64(v)}
	case tokFloat:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			p.fail(t.pos, "invalid number %s", t.describe())
		}
		return Literal{Kind: LitFloat, Text: t.text, Float: v}
	case tokBool:
		if ordered {
			p.fail(t.pos, "cannot order by a boolean (%s)", t.describe())
		}
		return Literal{Kind: LitBool, Bool: t.text == "true"}
	case tokBinary:
		s := t.text[2 : len(t.text)-1]
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || s == "" {
			p.fail(t.pos, "invalid base64 in binary literal %s", t.describe())
		}
		return Literal{Kind: LitBinary, Text: s, Bytes: b}
	case tokHex:
		s := t.text[2 : len(t.text)-1]
		b, err := hex.DecodeString(s)
		if err != nil {
			p.fail(t.pos, "invalid hex literal %s (want pairs of hex digits)", t.describe())
		}
		return Literal{Kind: LitHex, Text: s, Bytes: b}
	case tokTimestamp:
		ts, err := parseTime(t.text[2 : len(t.text)-1])
		if err != nil {
			p.fail(t.pos, "%s", err.Error())
		}
		return Literal{Kind: LitTimestamp, Text: t.text[2 : len(t.text)-1], Time: ts}
	}
	p.fail(t.pos, "expected a literal after %s, found %s", after.describe(), t.describe())
	return Literal{}
}

// unquote removes the quotes of a string token and resolves \' and \\.
func unquote(s string) string {
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseTime parses a STIX timestamp, YYYY-MM-DDTHH:MM:SS[.s+]Z.
func parseTime(s string) (time.Time, error) {
	bad := fmt.Errorf("timestamp '%s' is not of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[10] != 'T' || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, bad
	}
	return t.UTC(), nil
}

// validType reports whether s is a valid STIX object type name in a path.
func validType(s string) bool {
	if s == "" || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
