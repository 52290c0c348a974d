package stix

import (
	"fmt"
)

// decodeHeader reads the common properties Decode needs from one JSON
// object in a single pass, without building the rest: other members are
// scanned for well-formedness and skipped. It refuses what parseJSON
// refuses (malformed JSON, invalid UTF-8, nesting deeper than maxDepth,
// trailing data) and duplicate top-level member names, so that every reader
// sees the same type, id, version and markings.
func decodeHeader(raw []byte) (header, error) {
	var h header
	p := jsonParser{data: raw}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		if p.pos >= len(p.data) {
			return h, p.errorf("unexpected end of input")
		}
		return h, p.errorf("a STIX object must be a JSON object")
	}
	p.pos++
	seen := make(map[string]struct{}, 16)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return h, p.end()
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return h, p.errorf("expected a member name in double quotes")
		}
		keyPos := p.pos
		k, err := p.string()
		if err != nil {
			return h, err
		}
		if _, dup := seen[k]; dup {
			return h, &JSONError{Offset: keyPos, Message: fmt.Sprintf("duplicate member name %q", k)}
		}
		seen[k] = struct{}{}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return h, p.errorf("expected ':' after member name")
		}
		p.pos++
		p.skipSpace()
		switch k {
		case "type", "id", "spec_version", "created", "modified", "created_by_ref":
			s, null, err := p.stringOrNull(k, -1)
			if err != nil {
				return h, err
			}
			if null {
				break
			}
			switch k {
			case "type":
				h.Type = s
			case "id":
				h.ID = s
			case "spec_version":
				h.SpecVersion = s
			case "created":
				h.Created = s
			case "modified":
				h.Modified = s
			case "created_by_ref":
				h.CreatedByRef = s
			}
		case "revoked":
			v, err := p.value(1)
			if err != nil {
				return h, err
			}
			if v == nil {
				break
			}
			b, ok := v.(bool)
			if !ok {
				return h, fmt.Errorf("revoked: must be a boolean, not %s", jsonTypeName(v))
			}
			h.Revoked = b
		case "object_marking_refs":
			refs, err := p.stringList(k)
			if err != nil {
				return h, err
			}
			h.ObjectMarkingRefs = refs
		default:
			if err := p.skip(1); err != nil {
				return h, err
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return h, p.errorf("unexpected end of input in object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return h, p.end()
		default:
			return h, p.errorf("expected ',' or '}' in object")
		}
	}
}

// end checks that only white space follows the value.
func (p *jsonParser) end() error {
	p.skipSpace()
	if p.pos != len(p.data) {
		return p.errorf("unexpected data after the JSON value")
	}
	return nil
}

// skip scans one value for well-formedness without building it.
func (p *jsonParser) skip(depth int) error {
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; c {
	case '{', '[':
		if depth >= maxDepth {
			return p.errorf("nesting deeper than %d levels", maxDepth)
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == closing {
			p.pos++
			return nil
		}
		for {
			p.skipSpace()
			if c == '{' {
				if p.pos >= len(p.data) || p.data[p.pos] != '"' {
					return p.errorf("expected a member name in double quotes")
				}
				if err := p.skipString(); err != nil {
					return err
				}
				p.skipSpace()
				if p.pos >= len(p.data) || p.data[p.pos] != ':' {
					return p.errorf("expected ':' after member name")
				}
				p.pos++
				p.skipSpace()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input")
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case closing:
				p.pos++
				return nil
			default:
				return p.errorf("expected ',' or '%c'", closing)
			}
		}
	case '"':
		return p.skipString()
	}
	_, err := p.value(depth)
	return err
}

// skipString scans a string for well-formedness; it allocates only when the
// string has escapes or non-ASCII characters.
func (p *jsonParser) skipString() error {
	start := p.pos
	for i := p.pos + 1; i < len(p.data); i++ {
		c := p.data[i]
		if c == '"' {
			p.pos = i + 1
			return nil
		}
		if c == '\\' || c >= 0x80 || c < 0x20 {
			break
		}
	}
	p.pos = start
	_, err := p.string()
	return err
}

// stringOrNull reads a string or null member value without boxing it.
// idx ≥ 0 names a list element in errors.
func (p *jsonParser) stringOrNull(name string, idx int) (string, bool, error) {
	if p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '"':
			s, err := p.string()
			return s, false, err
		case 'n':
			return "", true, p.literal("null")
		}
	}
	v, err := p.value(1)
	if err != nil {
		return "", false, err
	}
	if idx >= 0 {
		name = fmt.Sprintf("%s[%d]", name, idx)
	}
	return "", false, fmt.Errorf("%s: must be a string, not %s", name, jsonTypeName(v))
}

// stringList reads a list of strings (or null, as nil).
func (p *jsonParser) stringList(name string) ([]string, error) {
	if p.pos < len(p.data) && p.data[p.pos] == 'n' {
		return nil, p.literal("null")
	}
	if p.pos >= len(p.data) || p.data[p.pos] != '[' {
		v, err := p.value(1)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: must be a list, not %s", name, jsonTypeName(v))
	}
	p.pos++
	out := make([]string, 0, 2)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return out, nil
	}
	for {
		p.skipSpace()
		s, null, err := p.stringOrNull(name, len(out))
		if err != nil {
			return nil, err
		}
		if null {
			return nil, fmt.Errorf("%s[%d]: must be a string, not null", name, len(out))
		}
		out = append(out, s)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return out, nil
		default:
			return nil, p.errorf("expected ',' or ']' in array")
		}
	}
}
