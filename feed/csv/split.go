package csv

import (
	"fmt"
	"strings"
)

// split splits one CSV line into fields (RFC 4180 quoting within the
// line: a quoted field may hold delimiters and doubled quotes). A space
// delimiter splits on runs of white space. The error names the byte
// position of the problem.
func split(s string, delim rune) ([]string, error) {
	if delim == ' ' {
		return strings.Fields(s), nil
	}
	if !strings.ContainsRune(s, '"') {
		return strings.Split(s, string(delim)), nil
	}
	var fields []string
	var b strings.Builder
	i := 0
	for {
		// start of a field
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') && rune(s[i]) != delim {
			i++
		}
		if i < len(s) && s[i] == '"' {
			b.Reset()
			start := i
			i++
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("unterminated quoted field starting at byte %d", start+1)
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			fields = append(fields, b.String())
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') && rune(s[i]) != delim {
				i++
			}
			if i == len(s) {
				return fields, nil
			}
			if r := rune(s[i]); r != delim {
				return nil, fmt.Errorf("unexpected %q after quoted field at byte %d", r, i+1)
			}
			i += len(string(delim))
			continue
		}
		j := strings.IndexRune(s[i:], delim)
		if j < 0 {
			f := s[i:]
			if strings.IndexByte(f, '"') >= 0 {
				return nil, fmt.Errorf("bare quote in unquoted field at byte %d", i+strings.IndexByte(f, '"')+1)
			}
			return append(fields, f), nil
		}
		f := s[i : i+j]
		if k := strings.IndexByte(f, '"'); k >= 0 {
			return nil, fmt.Errorf("bare quote in unquoted field at byte %d", i+k+1)
		}
		fields = append(fields, f)
		i += j + len(string(delim))
	}
}
