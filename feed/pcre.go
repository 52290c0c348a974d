package feed

import (
	"fmt"
	"regexp"
	"strings"
)

// CompileDelimited compiles a regular expression written the way MISP
// writes them, between delimiters with trailing flags ("/^#.*/i"), or bare.
// Flags i, m and s are honoured; g and u are accepted and ignored (they
// mean nothing to a match test); others are an error. Escaped slashes
// ("\/") are unescaped.
func CompileDelimited(expr string) (*regexp.Regexp, error) {
	pat, flags := expr, ""
	if len(expr) >= 2 && expr[0] == '/' {
		end := strings.LastIndexByte(expr, '/')
		if end > 0 {
			pat, flags = expr[1:end], expr[end+1:]
		}
	}
	pat = strings.ReplaceAll(pat, `\/`, `/`)
	var goFlags string
	for _, f := range flags {
		switch f {
		case 'i', 'm', 's':
			if !strings.ContainsRune(goFlags, f) {
				goFlags += string(f)
			}
		case 'g', 'u', 'x':
		default:
			return nil, fmt.Errorf("regular expression %q: unsupported flag %q", expr, f)
		}
	}
	if goFlags != "" {
		pat = "(?" + goFlags + ")" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", expr, err)
	}
	return re, nil
}
