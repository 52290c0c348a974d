package observable

import (
	"encoding/json"
)

// patternFields reads an indicator's top-level pattern and pattern_type
// without decoding the rest of the object. pattern is nil when the member
// is absent; ok is false when the scan meets anything it does not handle
// (malformed JSON, a non-string value for either member, a key with
// escapes), and the caller then decodes with encoding/json, which reports
// the problem.
func patternFields(raw []byte) (pattern *string, patternType string, ok bool) {
	s := scanner{b: raw}
	s.space()
	if !s.byte('{') {
		return nil, "", false
	}
	s.space()
	if s.byte('}') {
		return nil, "", s.end()
	}
	for {
		s.space()
		key, ok := s.plainString()
		if !ok {
			return nil, "", false
		}
		s.space()
		if !s.byte(':') {
			return nil, "", false
		}
		s.space()
		if key == "pattern" || key == "pattern_type" {
			v, ok := s.stringValue()
			if !ok {
				return nil, "", false
			}
			if key == "pattern" {
				pattern = &v
			} else {
				patternType = v
			}
		} else if !s.skipValue(0) {
			return nil, "", false
		}
		s.space()
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			return pattern, patternType, s.end()
		}
		return nil, "", false
	}
}

// scanner walks JSON text; its methods report false on anything
// unexpected rather than describe it.
type scanner struct {
	b   []byte
	pos int
}

// maxSkipDepth bounds the nesting skipValue follows.
const maxSkipDepth = 64

func (s *scanner) space() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) byte(c byte) bool {
	if s.pos < len(s.b) && s.b[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// end reports whether only white space follows.
func (s *scanner) end() bool {
	s.space()
	return s.pos == len(s.b)
}

// rawString moves past a string and returns it with its quotes, and
// whether it holds escapes.
func (s *scanner) rawString() (str []byte, escaped, ok bool) {
	if !s.byte('"') {
		return nil, false, false
	}
	start := s.pos - 1
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.b[start:s.pos], escaped, true
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.b) || !hexByte(s.b[s.pos+2]) || !hexByte(s.b[s.pos+3]) || !hexByte(s.b[s.pos+4]) || !hexByte(s.b[s.pos+5]) {
					return nil, false, false
				}
				s.pos += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			s.pos++
		}
	}
	return nil, false, false
}

// plainString reads a string without escapes (a member name).
func (s *scanner) plainString() (string, bool) {
	str, escaped, ok := s.rawString()
	if !ok || escaped {
		return "", false
	}
	return string(str[1 : len(str)-1]), true
}

// stringValue reads a string value, unescaping it with encoding/json when
// it holds escapes (or bytes that are not ASCII, whose validity
// encoding/json decides).
func (s *scanner) stringValue() (string, bool) {
	str, escaped, ok := s.rawString()
	if !ok {
		return "", false
	}
	if !escaped {
		plain := true
		for _, c := range str {
			if c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return string(str[1 : len(str)-1]), true
		}
	}
	var v string
	if json.Unmarshal(str, &v) != nil {
		return "", false
	}
	return v, true
}

// skipValue moves past one value of any kind.
func (s *scanner) skipValue(depth int) bool {
	if s.pos >= len(s.b) || depth > maxSkipDepth {
		return false
	}
	switch c := s.b[s.pos]; c {
	case '"':
		_, _, ok := s.rawString()
		return ok
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		s.pos++
		s.space()
		if s.byte(closer) {
			return true
		}
		for {
			s.space()
			if c == '{' {
				if _, _, ok := s.rawString(); !ok {
					return false
				}
				s.space()
				if !s.byte(':') {
					return false
				}
				s.space()
			}
			if !s.skipValue(depth + 1) {
				return false
			}
			s.space()
			if s.byte(',') {
				continue
			}
			return s.byte(closer)
		}
	default:
		// A number or a literal, which encoding/json would accept.
		start := s.pos
		for s.pos < len(s.b) && tokenByte(s.b[s.pos]) {
			s.pos++
		}
		tok := s.b[start:s.pos]
		switch string(tok) {
		case "true", "false", "null":
			return true
		}
		return len(tok) > 0 && (tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') && json.Valid(tok)
	}
}

func tokenByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.'
}

func hexByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
