// Package jsonscan reads the top-level members of a JSON object without
// building it: telemetry lines and stored STIX objects are read for a few
// members each, far more often than they are decoded whole.
package jsonscan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Object walks the top-level members of one JSON object in s without
// building it: for each member it calls fn with the key and a Value that
// fn may read as a string, a list of strings or a number (anything else is
// skipped). Keys and strings without escapes are substrings of s, so a
// telemetry line costs no allocation beyond its own string. It checks
// enough of the syntax to find every member; errors give the byte offset.
func Object(s string, fn func(key string, v Value) error) error {
	p := jsonParser{s: s}
	p.ws()
	if !p.eat('{') {
		return p.errorf("expected '{'")
	}
	p.ws()
	if p.eat('}') {
		return p.end()
	}
	for {
		p.ws()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if !p.eat(':') {
			return p.errorf("expected ':' after key %q", key)
		}
		p.ws()
		start := p.i
		if err := p.skip(0); err != nil {
			return err
		}
		if err := fn(key, Value{s: s[start:p.i]}); err != nil {
			return err
		}
		p.ws()
		if p.eat('}') {
			return p.end()
		}
		if !p.eat(',') {
			return p.errorf("expected ',' or '}'")
		}
	}
}

// Value is the raw text of one JSON value.
type Value struct{ s string }

// Raw returns a Value holding the JSON text s, as Object would pass it.
func Raw(s string) Value { return Value{s: s} }

// Text returns the value's JSON text.
func (v Value) Text() string { return v.s }

// Members calls fn for each member of the value when it is an object (see
// Object); it returns an error for any other value.
func (v Value) Members(fn func(key string, v Value) error) error { return Object(v.s, fn) }

// Elements calls fn for each element of the value when it is an array; it
// returns an error for any other value, or for a malformed array.
func (v Value) Elements(fn func(Value) error) error {
	p := jsonParser{s: v.s}
	p.ws()
	if !p.eat('[') {
		return p.errorf("expected '['")
	}
	p.ws()
	if p.eat(']') {
		return p.end()
	}
	for {
		p.ws()
		start := p.i
		if err := p.skip(1); err != nil {
			return err
		}
		if err := fn(Value{s: p.s[start:p.i]}); err != nil {
			return err
		}
		p.ws()
		if p.eat(']') {
			return p.end()
		}
		if !p.eat(',') {
			return p.errorf("expected ',' or ']'")
		}
	}
}

// Kind returns the first byte of the value's text: '{', '[', '"', 't',
// 'f', 'n', or a number's first character; 0 for an empty value.
func (v Value) Kind() byte {
	if v.s == "" {
		return 0
	}
	return v.s[0]
}

// Number returns the value as a number; ok is false if it is not one.
func (v Value) Number() (float64, bool) {
	if !jsonNumber(v.s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.s, 64)
	return f, err == nil
}

// String returns the value as a string; ok is false if it is not one.
func (v Value) String() (string, bool) {
	if len(v.s) == 0 || v.s[0] != '"' {
		return "", false
	}
	p := jsonParser{s: v.s}
	s, err := p.str()
	return s, err == nil
}

// Strings calls fn for each string in the value: the value itself, or the
// string elements of an array.
func (v Value) Strings(fn func(string)) {
	if s, ok := v.String(); ok {
		fn(s)
		return
	}
	if len(v.s) == 0 || v.s[0] != '[' {
		return
	}
	p := jsonParser{s: v.s, i: 1}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] == ']' {
			return
		}
		start := p.i
		if p.skip(1) != nil {
			return
		}
		if s, ok := (Value{s: p.s[start:p.i]}).String(); ok {
			fn(s)
		}
		p.ws()
		if !p.eat(',') {
			return
		}
	}
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) end() error {
	p.ws()
	if p.i != len(p.s) {
		return p.errorf("unexpected text after the object")
	}
	return nil
}

// str reads a string; escapes are decoded into a new string.
func (p *jsonParser) str() (string, error) {
	if !p.eat('"') {
		return "", p.errorf("expected a string")
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], nil
		case c == '\\':
			return p.strEscaped(start)
		case c < 0x20:
			return "", p.errorf("control character in string")
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) strEscaped(start int) (string, error) {
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(p.s[p.i:], "\\u") {
				p.i += 2
				lo, ok := p.hex4()
				if !ok {
					return "", p.errorf("bad \\u escape")
				}
				r = (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			return "", p.errorf("bad escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := p.s[p.i+k]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// skip moves past one value of any type.
func (p *jsonParser) skip(depth int) error {
	if depth > maxDepth {
		return p.errorf("nested too deeply")
	}
	if p.i >= len(p.s) {
		return p.errorf("expected a value")
	}
	switch c := p.s[p.i]; c {
	case '"':
		_, err := p.rawStr()
		return err
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.i++
		p.ws()
		if p.eat(closer) {
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if _, err := p.rawStr(); err != nil {
					return err
				}
				p.ws()
				if !p.eat(':') {
					return p.errorf("expected ':'")
				}
				p.ws()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.eat(closer) {
				return nil
			}
			if !p.eat(',') {
				return p.errorf("expected ',' or '%c'", closer)
			}
		}
	default:
		start := p.i
		for p.i < len(p.s) {
			switch p.s[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			p.i++
		}
	done:
		lit := p.s[start:p.i]
		if lit == "" {
			return p.errorf("expected a value")
		}
		switch lit {
		case "true", "false", "null":
			return nil
		}
		if !jsonNumber(lit) {
			return p.errorf("bad literal %q", lit)
		}
		return nil
	}
}

// rawStr moves past a string without decoding it.
func (p *jsonParser) rawStr() (string, error) {
	if !p.eat('"') {
		return "", p.errorf("expected a string")
	}
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errorf("unterminated string")
			}
			switch p.s[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				p.i += 2
				if _, ok := p.hex4(); !ok {
					return "", p.errorf("bad \\u escape")
				}
			default:
				return "", p.errorf("bad escape")
			}
			continue
		case c < 0x20:
			return "", p.errorf("control character in string")
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

func jsonNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-') {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
		i++
	}
	return i == len(s) && digits > 0
}
