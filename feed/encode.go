package feed

import (
	"sort"
	"unicode/utf8"
)

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, nothing else (no
// HTML escaping), as encoding/json with SetEscapeHTML(false) writes it.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendStrings(dst []byte, xs []string) []byte {
	dst = append(dst, '[')
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, x)
	}
	return append(dst, ']')
}

// appendField appends ,"key":"value" (nothing when value is empty).
func appendField(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}

// encodeIndicator writes an indicator without reflection: the hot path of
// every feed.
func encodeIndicator(ind *indicatorJSON, extra map[string]any) ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"type":"indicator","spec_version":"2.1","id":`...)
	b = appendString(b, ind.ID)
	b = appendField(b, "created", ind.Created)
	b = appendField(b, "modified", ind.Modified)
	b = appendField(b, "created_by_ref", ind.CreatedByRef)
	if ind.Revoked {
		b = append(b, `,"revoked":true`...)
	}
	b = appendField(b, "name", ind.Name)
	b = appendField(b, "description", ind.Description)
	if len(ind.IndicatorTypes) > 0 {
		b = append(b, `,"indicator_types":`...)
		b = appendStrings(b, ind.IndicatorTypes)
	}
	b = appendField(b, "pattern", ind.Pattern)
	b = append(b, `,"pattern_type":"stix","pattern_version":"2.1"`...)
	b = appendField(b, "valid_from", ind.ValidFrom)
	b = appendField(b, "valid_until", ind.ValidUntil)
	if len(ind.Labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendStrings(b, ind.Labels)
	}
	if len(ind.ObjectMarkingRefs) > 0 {
		b = append(b, `,"object_marking_refs":`...)
		b = appendStrings(b, ind.ObjectMarkingRefs)
	}
	if len(extra) > 0 {
		keys := make([]string, 0, len(extra))
		for k := range extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			if s, ok := extra[k].(string); ok {
				b = appendString(b, s)
				continue
			}
			v, err := marshal(extra[k])
			if err != nil {
				return nil, err
			}
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}
